#include "api/label_selector.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "api/label_selector_internal.h"
#include "api/validation.h"

namespace bosun::api {
namespace selector_internal {

std::string child(std::string_view path, std::string_view name) {
  if (path.empty()) return std::string(name);
  std::string out(path);
  out += '.';
  out += name;
  return out;
}

std::string index_path(std::string_view path, size_t i) { return fmt::format("{}[{}]", path, i); }

std::string key_path(std::string_view path, std::string_view key) {
  return fmt::format("{}[{}]", path, key);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

bool parse_go_int64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
    if (s.empty()) return false;
  }
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (neg) {
    if (n > kMax + 1) return false;
    *out = n == kMax + 1 ? INT64_MIN : -static_cast<int64_t>(n);
  } else {
    if (n > kMax) return false;
    *out = static_cast<int64_t>(n);
  }
  return true;
}

void sort_by_key(std::vector<LabelRequirement>& reqs) {
  std::stable_sort(
      reqs.begin(), reqs.end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key() < b.key(); });
}

}  // namespace selector_internal

using selector_internal::child;
using selector_internal::index_path;
using selector_internal::join;
using selector_internal::key_path;
using selector_internal::parse_go_int64;
using selector_internal::sort_by_key;

namespace {

// Go's %#v of a []string, which field.Error prints for a list-valued bad value: []string{"a", "b"},
// and []string(nil) for a nil slice (LabelSelectorAsSelector passes nil when `values` is absent).
std::string go_string_slice(const std::vector<std::string>& values) {
  if (values.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += go_quote(values[i]);
  }
  return out + "}";
}

// A field.Invalid whose bad value is a []string: FieldError can only print JSON values, so the Go
// rendering of the slice goes into the detail with the value omitted; the resulting text is the
// same as Kubernetes'.
void invalid_slice(FieldErrors& errs, std::string field, const std::vector<std::string>& values,
                   std::string_view detail) {
  errs.add({FieldErrorType::kInvalid, std::move(field), nullptr,
            go_string_slice(values) + ": " + std::string(detail), true});
}

bool has_value(const std::vector<std::string>& values, std::string_view v) {
  for (const auto& x : values) {
    if (x == v) return true;
  }
  return false;
}

Error field_errors_error(const FieldErrors& errs) {
  return make_error(ErrorCode::kBadRequest, errs.aggregate_message());
}

const std::string* lookup_in(const Labels& labels, std::string_view key) {
  auto it = labels.find(key);
  return it == labels.end() ? nullptr : &it->second;
}

const std::string* lookup_in(const Json& labels, std::string_view key) {
  if (!labels.is_object()) return nullptr;
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace

std::string_view selector_operator_name(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn:
      return "in";
    case SelectorOperator::kNotIn:
      return "notin";
    case SelectorOperator::kEquals:
      return "=";
    case SelectorOperator::kDoubleEquals:
      return "==";
    case SelectorOperator::kNotEquals:
      return "!=";
    case SelectorOperator::kExists:
      return "exists";
    case SelectorOperator::kDoesNotExist:
      return "!";
    case SelectorOperator::kGreaterThan:
      return "gt";
    case SelectorOperator::kLessThan:
      return "lt";
  }
  return "";
}

Result<LabelRequirement> LabelRequirement::create(std::string key, SelectorOperator op,
                                                  std::vector<std::string> values,
                                                  std::string_view path) {
  FieldErrors errs;
  if (auto msgs = is_qualified_name(key); !msgs.empty()) {
    errs.invalid(child(path, "key"), Json(key), join(msgs, "; "));
  }
  // Built only on failure: creating requirements is on the path of every list request with a
  // selector.
  auto values_path = [&] { return child(path, "values"); };
  LabelRequirement r;
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (values.empty()) {
        invalid_slice(errs, values_path(), values,
                      "for 'in', 'notin' operators, values set can't be empty");
      }
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
    case SelectorOperator::kNotEquals:
      if (values.size() != 1) {
        invalid_slice(errs, values_path(), values,
                      "exact-match compatibility requires one single value");
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!values.empty()) {
        invalid_slice(errs, values_path(), values,
                      "values set must be empty for exists and does not exist");
      }
      break;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan:
      if (values.size() != 1) {
        invalid_slice(errs, values_path(), values,
                      "for 'Gt', 'Lt' operators, exactly one value is required");
      }
      for (size_t i = 0; i < values.size(); ++i) {
        if (!parse_go_int64(values[i], &r.number_)) {
          errs.invalid(index_path(values_path(), i), Json(values[i]),
                       "for 'Gt', 'Lt' operators, the value must be an integer");
        }
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (auto msgs = is_valid_label_value(values[i]); !msgs.empty()) {
      errs.invalid(key_path(index_path(values_path(), i), key), Json(values[i]), join(msgs, "; "));
    }
  }
  if (!errs.empty()) return field_errors_error(errs);
  r.key_ = std::move(key);
  r.op_ = op;
  r.values_ = std::move(values);
  return r;
}

template <typename Lookup>
bool LabelRequirement::matches_with(const Lookup& lookup) const {
  const std::string* v = lookup(key_);
  switch (op_) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
      return v != nullptr && has_value(values_, *v);
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals:
      return v == nullptr || !has_value(values_, *v);
    case SelectorOperator::kExists:
      return v != nullptr;
    case SelectorOperator::kDoesNotExist:
      return v == nullptr;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      // A label value that is not an integer never matches, as in Kubernetes.
      int64_t n;
      if (v == nullptr || values_.size() != 1 || !parse_go_int64(*v, &n)) return false;
      return op_ == SelectorOperator::kGreaterThan ? n > number_ : n < number_;
    }
  }
  return false;
}

bool LabelRequirement::matches(const Labels& labels) const {
  return matches_with([&](std::string_view k) { return lookup_in(labels, k); });
}

bool LabelRequirement::matches(const Json& labels) const {
  return matches_with([&](std::string_view k) { return lookup_in(labels, k); });
}

void LabelRequirement::append_to(std::string& out) const {
  if (op_ == SelectorOperator::kDoesNotExist) out += '!';
  out += key_;
  switch (op_) {
    case SelectorOperator::kEquals:
      out += '=';
      break;
    case SelectorOperator::kDoubleEquals:
      out += "==";
      break;
    case SelectorOperator::kNotEquals:
      out += "!=";
      break;
    case SelectorOperator::kIn:
      out += " in (";
      break;
    case SelectorOperator::kNotIn:
      out += " notin (";
      break;
    case SelectorOperator::kGreaterThan:
      out += '>';
      break;
    case SelectorOperator::kLessThan:
      out += '<';
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      return;
  }
  if (values_.size() == 1) {
    out += values_[0];
  } else if (std::is_sorted(values_.begin(), values_.end())) {
    out += join(values_, ",");
  } else {
    // Printed sorted without touching the requirement, as Kubernetes' safeSort does.
    auto sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    out += join(sorted, ",");
  }
  if (op_ == SelectorOperator::kIn || op_ == SelectorOperator::kNotIn) out += ')';
}

std::string LabelRequirement::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

LabelSelector LabelSelector::nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

LabelSelector LabelSelector::from_set(const Labels& set) {
  LabelSelector s;
  s.requirements_.reserve(set.size());
  for (const auto& [k, v] : set) {
    LabelRequirement r;
    r.key_ = k;
    r.op_ = SelectorOperator::kEquals;
    r.values_ = {v};
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

Result<LabelSelector> LabelSelector::from_validated_set(const Labels& set) {
  LabelSelector s;
  for (const auto& [k, v] : set) {
    BOSUN_ASSIGN_OR_RETURN(auto r, LabelRequirement::create(k, SelectorOperator::kEquals, {v}));
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

LabelSelector LabelSelector::add(std::vector<LabelRequirement> requirements) const {
  if (nothing_) return *this;  // labels.Nothing().Add(...) is still Nothing
  LabelSelector s = *this;
  for (auto& r : requirements) s.requirements_.push_back(std::move(r));
  sort_by_key(s.requirements_);
  return s;
}

bool LabelSelector::matches(const Labels& labels) const {
  if (nothing_) return false;
  for (const auto& r : requirements_) {
    if (!r.matches(labels)) return false;
  }
  return true;
}

bool LabelSelector::matches(const Json& labels) const {
  if (nothing_) return false;
  for (const auto& r : requirements_) {
    if (!r.matches(labels)) return false;
  }
  return true;
}

std::string LabelSelector::to_string() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i) out += ',';
    requirements_[i].append_to(out);
  }
  return out;
}

std::optional<std::string_view> LabelSelector::requires_exact_match(std::string_view key) const {
  for (const auto& r : requirements_) {
    if (r.key() != key) continue;
    switch (r.op()) {
      case SelectorOperator::kEquals:
      case SelectorOperator::kDoubleEquals:
      case SelectorOperator::kIn:
        if (r.values().size() == 1) return std::string_view(r.values()[0]);
        break;
      default:
        break;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace bosun::api
