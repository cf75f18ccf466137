// Decoding of manifests and request bodies (YAML 1.1 as Kubernetes' sigs.k8s.io/yaml reads it, and
// JSON) into Json, and encoding Json as YAML the way kubectl prints it. Used by the API server for
// request bodies, by the CLI for `-f` files and by tests. Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// No input nests deeper than this (mappings and sequences); deeper input is an error, so that no
// document can exhaust the stack of the decoder, the encoder or Json's own recursive operations.
inline constexpr size_t kMaxDecodeDepth = 1000;

struct DecodeOptions {
  // true: a key repeated in one mapping/object fails decoding, as Kubernetes' strict decoders do
  // (go-yaml's UnmarshalStrict, sigs.k8s.io/json's DisallowDuplicateFields). false: decoding
  // succeeds, the last value wins as in Kubernetes' non-strict decoding, and every repeated key's
  // field path is reported in Decoded::duplicate_fields (what fieldValidation=Strict|Warn need).
  bool fail_on_duplicates = true;
};

struct Decoded {
  Json value;
  // Field paths of repeated keys in document order, e.g. "spec.containers[0].name".
  std::vector<std::string> duplicate_fields;
};

// Decodes a manifest file or stream: multi-document YAML (documents separated by `---`; empty and
// null documents are skipped; a `kind: List` is returned as is, not expanded) or a stream of JSON
// objects when the text starts with `{` (Kubernetes' YAMLOrJSONDecoder does the same sniffing).
// Errors are BadRequest and name the line and column (1-based), e.g.
// `error converting YAML to JSON: yaml: line 3, column 5: mapping values are not allowed in this
// context`. Duplicate keys fail.
Result<std::vector<Json>> decode_manifests(std::string_view text);

// As decode_manifests, with the duplicate-key policy chosen by `options`.
Result<std::vector<Decoded>> decode_documents(std::string_view text, const DecodeOptions& options);

// Decodes one request body: JSON when it starts with `{` or `[`, else the first YAML document (as
// go-yaml's Unmarshal reads only the first). An empty body decodes to null.
Result<Decoded> decode_document(std::string_view text, const DecodeOptions& options);

// Strict JSON: exactly one JSON value (trailing garbage is an error), duplicate keys are an error
// worded as Kubernetes' strict decoding (`duplicate field "metadata.name"`).
Result<Json> decode_json(std::string_view text);

// JSON with the duplicate-key policy chosen by `options`.
Result<Decoded> decode_json_document(std::string_view text, const DecodeOptions& options);

// YAML as kubectl prints it (go-yaml v2 via sigs.k8s.io/yaml): block style, two-space indent,
// sequences not indented under their key, keys in Json's (sorted) order, strings quoted only when a
// plain scalar would read back as something else (`"true"`, `"123"`, `"2024-05-01T00:00:00Z"`,
// `""`) or holds special characters (`'*'`, `'a: b'`), multi-line strings as literal blocks (`|`).
// Ends with a newline. Never fails: invalid UTF-8 in strings is replaced by U+FFFD, as Go's JSON
// encoder does. Unlike go-yaml it does not fold long lines at 80 columns.
std::string to_yaml(const Json& value);

}  // namespace bosun::api
