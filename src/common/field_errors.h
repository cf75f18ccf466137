// Field-level validation errors, worded as Kubernetes' apimachinery field.Error so that kubectl
// users see the messages they know (`metadata.name: Invalid value: "Foo": a lowercase RFC 1123
// subdomain must ...`). FieldErrors is a plain value; not synchronised.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun {

enum class FieldErrorType {
  kNotFound,
  kRequired,
  kDuplicate,
  kInvalid,
  kNotSupported,
  kForbidden,
  kTooLong,
  kTooMany,
  kInternal,
  kTypeInvalid,
};

struct FieldError {
  FieldErrorType type = FieldErrorType::kInvalid;
  std::string field;  // "metadata.labels[app]", "spec.containers[0].name"
  Json value;         // the offending value; null with omit_value = true prints no value
  std::string detail;
  bool omit_value = false;

  // "Invalid value: \"Foo\": detail" (field.Error.ErrorBody).
  std::string body() const;
  // "field: body" (field.Error.Error).
  std::string message() const;
  // metav1.CauseType: "FieldValueInvalid", "FieldValueRequired", ...
  std::string_view cause_reason() const;
};

class FieldErrors {
 public:
  void add(FieldError e) { errors_.push_back(std::move(e)); }
  void required(std::string field, std::string detail = "");
  void invalid(std::string field, Json value, std::string detail);
  void not_supported(std::string field, Json value, const std::vector<std::string>& supported);
  void duplicate(std::string field, Json value);
  void forbidden(std::string field, std::string detail);
  void too_long(std::string field, Json value, size_t max_bytes);
  void too_many(std::string field, size_t actual, size_t max);
  void append(const FieldErrors& other);

  bool empty() const { return errors_.empty(); }
  size_t size() const { return errors_.size(); }
  const std::vector<FieldError>& errors() const { return errors_; }

  // The aggregate text: one message alone, several as "[m1, m2]" (utilerrors.NewAggregate).
  std::string aggregate_message() const;
  // An Invalid (422) error as apierrors.NewInvalid words it: `Pod "web" is invalid: ...`, one Cause
  // per error. qualified_kind is "Pod" for the core group and "Deployment.apps" for others.
  Error to_error(std::string_view qualified_kind, std::string_view name) const;

 private:
  std::vector<FieldError> errors_;
};

// Go's %q for a string: double-quoted, with escapes.
std::string go_quote(std::string_view s);

}  // namespace bosun
