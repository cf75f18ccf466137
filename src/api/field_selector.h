// Field selectors as k8s.io/apimachinery/pkg/fields implements them:
// `?fieldSelector=spec.nodeName=n1,status.phase!= Running` (kubectl --field-selector), with
// backslash escapes in values, matched against an object's selectable fields. Used by the API
// server's list/watch filtering and by agents and controllers that watch a subset. A FieldSelector
// is an immutable value after construction: safe to share between threads for reading.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/label_selector.h"  // SelectorSyntaxError
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// An object's selectable fields ("metadata.name" -> "web-0"). A field that is absent reads as "".
using Fields = std::map<std::string, std::string, std::less<>>;

// One term: `field=value` (also written `field==value`) or `field!=value`. The value is unescaped.
struct FieldRequirement {
  std::string field;
  bool not_equals = false;
  std::string value;
  bool operator==(const FieldRequirement&) const = default;
};

class FieldSelector {
 public:
  // The empty selector: matches everything (fields.Everything()).
  FieldSelector() = default;
  static FieldSelector everything() { return FieldSelector(); }
  // Matches nothing (fields.Nothing()).
  static FieldSelector nothing();
  // fields.OneTermEqualSelector.
  static FieldSelector one_term_equal(std::string field, std::string value);
  // fields.SelectorFromSet: field=value for each entry.
  static FieldSelector from_set(const Fields& set);

  // fields.ParseSelector: terms in any order, joined by unescaped commas; values may escape `\`,
  // `,` and `=` with a backslash; empty terms and terms with neither field nor value are dropped.
  // Terms are kept in the order Kubernetes keeps them (sorted as written). Errors are BadRequest;
  // their message is Kubernetes' text followed by " (at byte N)"; `detail`, when given, receives
  // Kubernetes' text alone and N.
  static Result<FieldSelector> parse(std::string_view text, SelectorSyntaxError* detail = nullptr);

  bool matches(const Fields& fields) const;
  // `get(field)` returns the object's value of a field as something convertible to std::string_view
  // ("" when absent). Allocation-free when `get` is.
  template <typename Get>
  bool matches_with(const Get& get) const {
    if (nothing_) return false;
    for (const auto& r : requirements_) {
      std::string_view v = get(std::string_view(r.field));
      if ((v == r.value) == r.not_equals) return false;
    }
    return true;
  }

  // Selector.Transform: `fn(field, value)` returns the replacement field and value, or an error
  // (which is returned as is); a term mapped to an empty field and value is dropped. This is how
  // the API server applies a kind's field label conversion (e.g. a Pod's legacy "spec.host" becomes
  // "spec.nodeName").
  using TransformFn = std::function<Result<std::pair<std::string, std::string>>(
      std::string_view field, std::string_view value)>;
  Result<FieldSelector> transform(const TransformFn& fn) const;

  bool empty() const { return !nothing_ && requirements_.empty(); }
  bool matches_nothing() const { return nothing_; }
  // Selector.String(): `f=v` / `f!=v` joined by ",", values escaped; "" for everything() and
  // nothing().
  std::string to_string() const;
  // Selector.RequiresExactMatch: the value a `field=v` term demands (the first such term).
  std::optional<std::string_view> requires_exact_match(std::string_view field) const;

  const std::vector<FieldRequirement>& requirements() const { return requirements_; }
  bool operator==(const FieldSelector&) const = default;

 private:
  std::vector<FieldRequirement> requirements_;
  bool nothing_ = false;
};

// fields.EscapeValue: `\` -> `\\`, `,` -> `\,`, `=` -> `\=`.
std::string escape_field_value(std::string_view value);
// fields.UnescapeValue; BadRequest with Kubernetes' wording ("invalid field selector: invalid
// escape sequence: \a", "invalid field selector: unescaped character in value: 61").
Result<std::string> unescape_field_value(std::string_view value);

// How a kind words a field it cannot select on. Kinds that declare their own selectable fields
// (Pod, Node, Event, Secret, ...) register a conversion function saying `field label not supported:
// spec.foo`; every other kind falls back to runtime.DefaultMetaV1FieldSelectorConversion:
// `"spec.foo" is not a known field selector: only "metadata.name", "metadata.namespace"`. kAuto
// picks the first when `supported` names any field beyond those two.
enum class FieldLabelConversion { kAuto, kPerKind, kDefault };

// The check the API server makes before listing: every field the selector names must be in
// `supported` (metadata.name and metadata.namespace are not implied: a Node supports only
// metadata.name). BadRequest with Kubernetes' message for the first unsupported field, in the
// selector's term order.
Result<void> check_supported(const FieldSelector& selector, const std::set<std::string>& supported,
                             FieldLabelConversion conversion = FieldLabelConversion::kAuto);

// The selectable fields of an object: metadata.name and metadata.namespace always ("" when absent),
// plus each of `extra_paths`, a dotted JSON path such as "spec.nodeName" or "status.phase", keyed
// by that path. Strings are taken as they are, booleans as "true"/"false" and integers in decimal
// (as Kubernetes formats them with strconv); a path that is absent or leads to anything else is
// left out, so it reads as "". Kind-specific derivations (a Pod's status.podIP is
// status.podIPs[0].ip) are the caller's.
Fields object_fields(const Json& object, const std::vector<std::string>& extra_paths = {});

}  // namespace bosun::api
