#include "common/field_errors.h"

#include <fmt/format.h>

namespace bosun {
namespace {

std::string_view type_text(FieldErrorType t) {
  switch (t) {
    case FieldErrorType::kNotFound:
      return "Not found";
    case FieldErrorType::kRequired:
      return "Required value";
    case FieldErrorType::kDuplicate:
      return "Duplicate value";
    case FieldErrorType::kInvalid:
      return "Invalid value";
    case FieldErrorType::kNotSupported:
      return "Unsupported value";
    case FieldErrorType::kForbidden:
      return "Forbidden";
    case FieldErrorType::kTooLong:
      return "Too long";
    case FieldErrorType::kTooMany:
      return "Too many";
    case FieldErrorType::kInternal:
      return "Internal error";
    case FieldErrorType::kTypeInvalid:
      return "Invalid value";
  }
  return "Invalid value";
}

std::string value_text(const Json& v) {
  if (v.is_string()) return go_quote(v.get_ref<const std::string&>());
  return v.dump();
}

}  // namespace

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += fmt::format("\\x{:02x}", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

std::string FieldError::body() const {
  std::string s;
  switch (type) {
    case FieldErrorType::kRequired:
    case FieldErrorType::kForbidden:
    case FieldErrorType::kTooLong:
    case FieldErrorType::kInternal:
      s = type_text(type);
      break;
    default:
      if (omit_value) {
        s = type_text(type);
      } else {
        s = fmt::format("{}: {}", type_text(type), value_text(value));
      }
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

std::string FieldError::message() const { return field.empty() ? body() : field + ": " + body(); }

std::string_view FieldError::cause_reason() const {
  switch (type) {
    case FieldErrorType::kNotFound:
      return "FieldValueNotFound";
    case FieldErrorType::kRequired:
      return "FieldValueRequired";
    case FieldErrorType::kDuplicate:
      return "FieldValueDuplicate";
    case FieldErrorType::kInvalid:
      return "FieldValueInvalid";
    case FieldErrorType::kNotSupported:
      return "FieldValueNotSupported";
    case FieldErrorType::kForbidden:
      return "FieldValueForbidden";
    case FieldErrorType::kTooLong:
      return "FieldValueTooLong";
    case FieldErrorType::kTooMany:
      return "FieldValueTooMany";
    case FieldErrorType::kInternal:
      return "InternalError";
    case FieldErrorType::kTypeInvalid:
      return "FieldValueTypeInvalid";
  }
  return "FieldValueInvalid";
}

void FieldErrors::required(std::string field, std::string detail) {
  add({FieldErrorType::kRequired, std::move(field), nullptr, std::move(detail), true});
}

void FieldErrors::invalid(std::string field, Json value, std::string detail) {
  add({FieldErrorType::kInvalid, std::move(field), std::move(value), std::move(detail)});
}

void FieldErrors::not_supported(std::string field, Json value,
                                const std::vector<std::string>& supported) {
  std::string detail;
  if (!supported.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < supported.size(); ++i) {
      if (i) detail += ", ";
      detail += go_quote(supported[i]);
    }
  }
  add({FieldErrorType::kNotSupported, std::move(field), std::move(value), std::move(detail)});
}

void FieldErrors::duplicate(std::string field, Json value) {
  add({FieldErrorType::kDuplicate, std::move(field), std::move(value), ""});
}

void FieldErrors::forbidden(std::string field, std::string detail) {
  add({FieldErrorType::kForbidden, std::move(field), nullptr, std::move(detail), true});
}

void FieldErrors::too_long(std::string field, Json value, size_t max_bytes) {
  add({FieldErrorType::kTooLong, std::move(field), std::move(value),
       fmt::format("may not be more than {} bytes", max_bytes)});
}

void FieldErrors::too_many(std::string field, size_t actual, size_t max) {
  add({FieldErrorType::kTooMany, std::move(field), Json(actual),
       fmt::format("must have at most {} items", max)});
}

void FieldErrors::append(const FieldErrors& other) {
  errors_.insert(errors_.end(), other.errors_.begin(), other.errors_.end());
}

std::string FieldErrors::aggregate_message() const {
  // utilerrors.NewAggregate drops duplicate messages.
  std::vector<std::string> msgs;
  for (const auto& e : errors_) {
    std::string m = e.message();
    bool seen = false;
    for (const auto& x : msgs) seen = seen || x == m;
    if (!seen) msgs.push_back(std::move(m));
  }
  if (msgs.size() == 1) return msgs[0];
  std::string out = "[";
  for (size_t i = 0; i < msgs.size(); ++i) {
    if (i) out += ", ";
    out += msgs[i];
  }
  return out + "]";
}

Error FieldErrors::to_error(std::string_view qualified_kind, std::string_view name) const {
  Error err;
  err.code = ErrorCode::kInvalid;
  err.message =
      fmt::format("{} {} is invalid: {}", qualified_kind, go_quote(name), aggregate_message());
  for (const auto& e : errors_) {
    err.causes.push_back(Cause{std::string(e.cause_reason()), e.body(), e.field});
  }
  return err;
}

}  // namespace bosun
