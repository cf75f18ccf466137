// The object form of label selectors (metav1.LabelSelector): LabelSelectorAsSelector,
// ParseToLabelSelector's result, and ValidateLabelSelector.
#include <algorithm>

#include "api/label_selector.h"
#include "api/label_selector_internal.h"
#include "api/validation.h"

namespace bosun::api {

using selector_internal::child;
using selector_internal::index_path;

Result<LabelSelector> LabelSelector::from_json(const Json& ls) {
  if (ls.is_null()) return nothing();
  if (!ls.is_object()) {
    return make_error(ErrorCode::kBadRequest,
                      "a label selector must be an object, got " + std::string(ls.type_name()));
  }
  const Json* match_labels = nullptr;
  const Json* match_expressions = nullptr;
  if (auto it = ls.find("matchLabels"); it != ls.end() && !it->is_null()) {
    if (!it->is_object()) {
      return make_error(ErrorCode::kBadRequest, "matchLabels must be an object of strings");
    }
    match_labels = &*it;
  }
  if (auto it = ls.find("matchExpressions"); it != ls.end() && !it->is_null()) {
    if (!it->is_array())
      return make_error(ErrorCode::kBadRequest, "matchExpressions must be a list");
    match_expressions = &*it;
  }
  std::vector<LabelRequirement> reqs;
  if (match_labels) {
    for (const auto& [k, v] : match_labels->items()) {
      if (!v.is_string()) {
        return make_error(ErrorCode::kBadRequest,
                          "matchLabels[" + k + "] must be a string, got " + v.type_name());
      }
      BOSUN_ASSIGN_OR_RETURN(
          auto r, LabelRequirement::create(k, SelectorOperator::kEquals, {v.get<std::string>()}));
      reqs.push_back(std::move(r));
    }
  }
  if (match_expressions) {
    for (const Json& e : *match_expressions) {
      if (!e.is_object()) {
        return make_error(ErrorCode::kBadRequest, "matchExpressions items must be objects");
      }
      std::string key;
      std::string op_name;
      std::vector<std::string> values;
      if (auto it = e.find("key"); it != e.end() && !it->is_null()) {
        if (!it->is_string()) return make_error(ErrorCode::kBadRequest, "key must be a string");
        key = it->get<std::string>();
      }
      if (auto it = e.find("operator"); it != e.end() && !it->is_null()) {
        if (!it->is_string())
          return make_error(ErrorCode::kBadRequest, "operator must be a string");
        op_name = it->get<std::string>();
      }
      if (auto it = e.find("values"); it != e.end() && !it->is_null()) {
        if (!it->is_array()) return make_error(ErrorCode::kBadRequest, "values must be a list");
        for (const Json& v : *it) {
          if (!v.is_string()) {
            return make_error(ErrorCode::kBadRequest, "values must be a list of strings");
          }
          values.push_back(v.get<std::string>());
        }
      }
      SelectorOperator op;
      if (op_name == "In") {
        op = SelectorOperator::kIn;
      } else if (op_name == "NotIn") {
        op = SelectorOperator::kNotIn;
      } else if (op_name == "Exists") {
        op = SelectorOperator::kExists;
      } else if (op_name == "DoesNotExist") {
        op = SelectorOperator::kDoesNotExist;
      } else {
        return make_error(ErrorCode::kBadRequest,
                          go_quote(op_name) + " is not a valid pod selector operator");
      }
      BOSUN_ASSIGN_OR_RETURN(auto r,
                             LabelRequirement::create(std::move(key), op, std::move(values)));
      reqs.push_back(std::move(r));
    }
  }
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  selector_internal::sort_by_key(s.requirements_);
  return s;
}

Result<Json> LabelSelector::to_json() const {
  if (nothing_) return Json(nullptr);
  Json match_labels = Json::object();
  Json match_expressions = Json::array();
  for (const auto& r : requirements_) {
    std::string_view op_name;
    switch (r.op()) {
      case SelectorOperator::kEquals:
      case SelectorOperator::kDoubleEquals:
        if (r.values().size() != 1) {
          return make_error(ErrorCode::kBadRequest, "equals operator must have exactly one value");
        }
        match_labels[r.key()] = r.values()[0];
        continue;
      case SelectorOperator::kIn:
        op_name = "In";
        break;
      case SelectorOperator::kNotIn:
        op_name = "NotIn";
        break;
      case SelectorOperator::kExists:
        op_name = "Exists";
        break;
      case SelectorOperator::kDoesNotExist:
        op_name = "DoesNotExist";
        break;
      case SelectorOperator::kGreaterThan:
      case SelectorOperator::kLessThan:
        return make_error(ErrorCode::kBadRequest, go_quote(selector_operator_name(r.op())) +
                                                      " isn't supported in label selectors");
      case SelectorOperator::kNotEquals:
        return make_error(ErrorCode::kBadRequest, go_quote(selector_operator_name(r.op())) +
                                                      " is not a valid label selector operator");
    }
    Json e = {{"key", r.key()}, {"operator", op_name}};
    auto values = r.values();
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (!values.empty()) e["values"] = values;
    match_expressions.push_back(std::move(e));
  }
  Json out = Json::object();
  if (!match_labels.empty()) out["matchLabels"] = std::move(match_labels);
  if (!match_expressions.empty()) out["matchExpressions"] = std::move(match_expressions);
  return out;
}

FieldErrors validate_label_selector(const Json& ls, std::string_view path,
                                    bool allow_invalid_label_value) {
  FieldErrors errs;
  if (ls.is_null()) return errs;
  if (!ls.is_object()) {
    errs.add({FieldErrorType::kTypeInvalid, std::string(path), ls, "must be an object"});
    return errs;
  }
  std::string labels_path = child(path, "matchLabels");
  if (auto it = ls.find("matchLabels"); it != ls.end() && !it->is_null()) {
    if (!it->is_object()) {
      errs.add({FieldErrorType::kTypeInvalid, labels_path, *it, "must be an object"});
    } else {
      for (const auto& [k, v] : it->items()) {
        validate_label_name(k, labels_path, errs);
        if (!v.is_string()) {
          errs.add({FieldErrorType::kTypeInvalid, labels_path, v, "must be a string"});
          continue;
        }
        for (auto& msg : is_valid_label_value(v.get_ref<const std::string&>())) {
          errs.invalid(labels_path, v, std::move(msg));
        }
      }
    }
  }
  std::string exprs_path = child(path, "matchExpressions");
  auto it = ls.find("matchExpressions");
  if (it == ls.end() || it->is_null()) return errs;
  if (!it->is_array()) {
    errs.add({FieldErrorType::kTypeInvalid, exprs_path, *it, "must be a list"});
    return errs;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& e = (*it)[i];
    std::string epath = index_path(exprs_path, i);
    if (!e.is_object()) {
      errs.add({FieldErrorType::kTypeInvalid, epath, e, "must be an object"});
      continue;
    }
    Json op = e.value("operator", Json(""));
    Json key = e.value("key", Json(""));
    Json values = e.value("values", Json::array());
    if (values.is_null()) values = Json::array();
    std::string values_path = child(epath, "values");
    size_t n_values = values.is_array() ? values.size() : 0;
    if (op == "In" || op == "NotIn") {
      if (n_values == 0) {
        errs.required(values_path, "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (n_values > 0) {
        errs.forbidden(values_path,
                       "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      errs.invalid(child(epath, "operator"), op, "not a valid selector operator");
    }
    if (key.is_string()) {
      validate_label_name(key.get_ref<const std::string&>(), child(epath, "key"), errs);
    } else {
      errs.add({FieldErrorType::kTypeInvalid, child(epath, "key"), key, "must be a string"});
    }
    if (!values.is_array()) {
      errs.add({FieldErrorType::kTypeInvalid, values_path, values, "must be a list"});
      continue;
    }
    for (size_t j = 0; j < values.size(); ++j) {
      const Json& v = values[j];
      if (!v.is_string()) {
        errs.add({FieldErrorType::kTypeInvalid, index_path(values_path, j), v, "must be a string"});
        continue;
      }
      if (allow_invalid_label_value) continue;
      for (auto& msg : is_valid_label_value(v.get_ref<const std::string&>())) {
        errs.invalid(index_path(values_path, j), v, std::move(msg));
      }
    }
  }
  return errs;
}

}  // namespace bosun::api
