#include "api/labels.h"

#include "api/validation.h"

namespace bosun::api {

Result<Labels> labels_from_json(const Json& labels) {
  Labels out;
  if (labels.is_null()) return out;
  if (!labels.is_object()) {
    return make_error(ErrorCode::kBadRequest, "labels must be an object of strings, got " +
                                                  std::string(labels.type_name()));
  }
  for (const auto& [k, v] : labels.items()) {
    if (!v.is_string()) {
      return make_error(
          ErrorCode::kBadRequest,
          "label " + go_quote(k) + " must have a string value, got " + std::string(v.type_name()));
    }
    out.emplace(k, v.get<std::string>());
  }
  return out;
}

Json labels_to_json(const Labels& labels) {
  Json out = Json::object();
  for (const auto& [k, v] : labels) out[k] = v;
  return out;
}

void validate_label_name(std::string_view key, std::string_view field, FieldErrors& errs) {
  for (auto& msg : is_qualified_name(key))
    errs.invalid(std::string(field), Json(key), std::move(msg));
}

FieldErrors validate_labels(const Labels& labels, std::string_view field) {
  FieldErrors errs;
  for (const auto& [k, v] : labels) {
    validate_label_name(k, field, errs);
    for (auto& msg : is_valid_label_value(v))
      errs.invalid(std::string(field), Json(v), std::move(msg));
  }
  return errs;
}

}  // namespace bosun::api
