// Label selectors as k8s.io/apimachinery/pkg/labels implements them: the string grammar of
// `?labelSelector=` and `kubectl -l` ("app=web,tier in (a,b),!canary"), the metav1.LabelSelector
// object of Deployments, ReplicaSets, Services' pods and so on, and matching against a label set.
// Used by the API server (list/watch filtering, validation), the scheduler and the controllers. A
// LabelSelector is an immutable value after construction: safe to share between threads for
// reading.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/labels.h"
#include "common/field_errors.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// selection.Operator. The names are Kubernetes' (`in`, `notin`, `=`, `==`, `!=`, `exists`, `!`,
// `gt`, `lt`).
enum class SelectorOperator : uint8_t {
  kIn,
  kNotIn,
  kEquals,
  kDoubleEquals,
  kNotEquals,
  kExists,
  kDoesNotExist,
  kGreaterThan,
  kLessThan,
};
std::string_view selector_operator_name(SelectorOperator op);

// One requirement: a key, an operator and its values (labels.Requirement).
class LabelRequirement {
 public:
  // labels.NewRequirement: validates the key, the number of values for the operator, Gt/Lt values
  // as integers and every value as a label value. The error (BadRequest) carries Kubernetes'
  // aggregated field errors, with paths under `path` ("key", "values[0][app]", ...), as its message
  // and causes.
  static Result<LabelRequirement> create(std::string key, SelectorOperator op,
                                         std::vector<std::string> values,
                                         std::string_view path = "");

  const std::string& key() const { return key_; }
  SelectorOperator op() const { return op_; }
  // In the order given (the string parser gives them sorted and de-duplicated, as Kubernetes'
  // sets.String does).
  const std::vector<std::string>& values() const { return values_; }

  bool matches(const Labels& labels) const;
  // `labels` is a JSON object of strings (metadata.labels); null or a non-object has no labels.
  bool matches(const Json& labels) const;

  // Requirement.String(): "key in (a,b)", "!key", "key>3"; several values are printed sorted.
  std::string to_string() const;
  void append_to(std::string& out) const;

  bool operator==(const LabelRequirement& o) const {
    return key_ == o.key_ && op_ == o.op_ && values_ == o.values_;
  }

 private:
  friend class LabelSelector;  // from_set builds unvalidated requirements, as SelectorFromSet does
  LabelRequirement() = default;
  template <typename Lookup>
  bool matches_with(const Lookup& lookup) const;

  std::string key_;
  SelectorOperator op_ = SelectorOperator::kExists;
  std::vector<std::string> values_;
  int64_t number_ = 0;  // the value of Gt/Lt, parsed once so that matching never re-parses it
};

// Where and why the string form failed to parse. `message` is Kubernetes' text exactly; `position`
// is the byte offset of the offending token in the input.
struct SelectorSyntaxError {
  std::string message;
  size_t position = 0;
};

class LabelSelector {
 public:
  // The empty selector: matches every label set (labels.Everything()).
  LabelSelector() = default;
  static LabelSelector everything() { return LabelSelector(); }
  // Matches nothing (labels.Nothing()): what a null metav1.LabelSelector means.
  static LabelSelector nothing();

  // labels.Parse. An empty string is everything(). Errors are BadRequest; their message is
  // Kubernetes' text followed by " (at byte N)"; `detail`, when given, receives Kubernetes' text
  // alone and N.
  static Result<LabelSelector> parse(std::string_view text, SelectorSyntaxError* detail = nullptr);

  // labels.SelectorFromSet (a ReplicationController's or Service's `selector` map): key=value for
  // each entry, unvalidated. An empty set is everything().
  static LabelSelector from_set(const Labels& set);
  // labels.ValidatedSelectorFromSet: the same, but validates keys and values (BadRequest on the
  // first bad one).
  static Result<LabelSelector> from_validated_set(const Labels& set);

  // metav1.LabelSelectorAsSelector on a metav1.LabelSelector JSON value: null/absent = nothing(),
  // {} (no matchLabels, no matchExpressions) = everything(). BadRequest if the object is malformed
  // or a requirement is invalid (Kubernetes' wording, e.g. `"Foo" is not a valid pod selector
  // operator`).
  static Result<LabelSelector> from_json(const Json& label_selector);

  // A copy with more requirements, re-sorted by key (Selector.Add).
  LabelSelector add(std::vector<LabelRequirement> requirements) const;

  // Allocation-free. AND of all requirements.
  bool matches(const Labels& labels) const;
  bool matches(const Json& labels) const;

  // Selector.Empty(): true when the selector does not restrict anything (everything()); nothing()
  // is not empty.
  bool empty() const { return !nothing_ && requirements_.empty(); }
  bool matches_nothing() const { return nothing_; }

  // Selector.String(): requirements sorted by key, joined by ","; everything() and nothing() print
  // "".
  std::string to_string() const;

  // Selector.RequiresExactMatch: the single value a `key=v`, `key==v` or `key in (v)` requirement
  // demands.
  std::optional<std::string_view> requires_exact_match(std::string_view key) const;

  // metav1.ParseToLabelSelector's result as metav1.LabelSelector JSON (matchLabels for =/==,
  // matchExpressions for the set operators). BadRequest for Gt/Lt and != which the object form
  // cannot express.
  Result<Json> to_json() const;

  const std::vector<LabelRequirement>& requirements() const { return requirements_; }

  bool operator==(const LabelSelector& o) const = default;

 private:
  std::vector<LabelRequirement> requirements_;  // sorted by key, stable
  bool nothing_ = false;
};

// ValidateLabelSelector on a metav1.LabelSelector JSON value at `path` ("spec.selector"):
// matchLabels keys and values, and for each matchExpressions[i] its operator, key, and values
// (In/NotIn need some, Exists/DoesNotExist none, each a valid label value unless
// allow_invalid_label_value). Null is valid.
FieldErrors validate_label_selector(const Json& label_selector, std::string_view path,
                                    bool allow_invalid_label_value = false);

}  // namespace bosun::api
