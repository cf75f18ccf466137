// Strict field validation: checks a decoded object against its schema the way kube-apiserver's
// decoder does (sigs.k8s.io/json in strict mode), reporting unknown fields by path (`unknown field
// "spec.containers[0].imagee"`) and values of the wrong JSON type in encoding/json's words (`json:
// cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32`). The
// API server runs it on every create, update and patch. Pure functions over immutable schemas; safe
// from any thread.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/schema.h"
#include "common/json.h"

namespace bosun::api {

// A value the decoder could not store: Kubernetes rejects the request with this text whatever the
// fieldValidation mode, because decoding itself failed.
struct FieldTypeError {
  std::string path;     // "spec.template.spec.containers[0].ports[0].containerPort"
  std::string message;  // "json: cannot unmarshal string into Go struct field ContainerPort...."
  bool operator==(const FieldTypeError&) const = default;
};

struct FieldValidationResult {
  // Paths of fields the schema does not know, in the order met (object keys in sorted order, since
  // Json keeps them sorted; Kubernetes reports document order).
  std::vector<std::string> unknown_fields;
  std::vector<FieldTypeError> type_errors;

  bool ok() const { return unknown_fields.empty() && type_errors.empty(); }
  // One `unknown field "<path>"` per unknown field: the Warning texts of fieldValidation=Warn.
  std::vector<std::string> unknown_field_warnings() const;
  // `strict decoding error: unknown field "a", unknown field "b"`, or empty when no field is
  // unknown.
  std::string strict_error() const;
  // What decoding reports under fieldValidation=Strict: the first type error if any (encoding/json
  // keeps only the first), else strict_error(); empty when there is nothing to report.
  std::string decode_error() const;
};

struct FieldValidationOptions {
  // Off for fieldValidation=Ignore: unknown fields are neither collected nor reported (type errors
  // still are).
  bool report_unknown = true;
};

// Checks obj (an object whose type is root) field by field. Subtrees typed `any`, and objects whose
// type or field preserves unknown fields, accept any field; null is accepted anywhere, as
// encoding/json leaves the zero value.
FieldValidationResult validate_fields(const Json& obj, const SchemaType& root,
                                      const FieldValidationOptions& options = {});
// The same, appending to *out so that a caller on a hot path can reuse its vectors.
void validate_fields(const Json& obj, const SchemaType& root, const FieldValidationOptions& options,
                     FieldValidationResult* out);

// `unknown field "spec.foo"`.
std::string unknown_field_message(std::string_view path);
// `duplicate field "spec.replicas"`: the strict decoder's words for a key repeated in one object.
// Callers that see the raw bytes detect duplicates (Json keeps only the last value) and report them
// alongside unknown fields.
std::string duplicate_field_message(std::string_view path);
// `strict decoding error: <e1>, <e2>` over already-worded errors (unknown and duplicate fields
// together).
std::string strict_decoding_message(std::span<const std::string> errors);
// The BadRequest message kube-apiserver returns when a body cannot be decoded:
// `Deployment in version "v1" cannot be handled as a Deployment: <detail>`.
std::string cannot_handle_message(std::string_view kind, std::string_view version,
                                  std::string_view detail);

// Go's time.Parse with metav1.Time's layout (RFC 3339) or, when micro, metav1.MicroTime's
// ("2006-01-02T15:04:05.000000Z07:00", exactly six fractional digits): empty when value parses,
// else Go's message (`parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as
// "2006"`).
std::string go_time_parse_error(std::string_view value, bool micro);

// Go's base64.StdEncoding check, as encoding/json applies it to []byte fields (Secret data): the
// byte offset Go reports in `illegal base64 data at input byte N`, or -1 when the text decodes.
long base64_error_offset(std::string_view text);

}  // namespace bosun::api
