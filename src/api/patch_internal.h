// Helpers shared by the patch engine's source files (patch.cc, json_patch.cc, merge_patch.cc,
// strategic_merge_patch.cc); not for use elsewhere. They reproduce how Go sees a decoded JSON value
// (map[string]interface{} and friends), because Kubernetes' patch errors print values with fmt and
// its merge logic compares them with ==. Pure functions; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"

namespace bosun::api::patch_internal {

// The dynamic type a value has after kube-apiserver decodes it into interface{} with integers
// preserved (sigs.k8s.io/json): map[string]interface{}, []interface{}, string, int64, float64,
// bool, or nil.
enum class GoKind : uint8_t { kNil, kMap, kSlice, kString, kInt, kFloat, kBool };
GoKind go_kind(const Json& v);

// reflect.TypeOf(v).String(): "map[string]interface {}", "[]interface {}", "string", "int64",
// "float64", "bool"; fmt's "%!s(<nil>)" for nil, as mergepatch.ErrBadArgType prints it.
std::string_view go_type_name(const Json& v);

// fmt's %v: `map[image:nginx name:web]`, `[a b]`, `<nil>`, floats as %g.
std::string go_format_v(const Json& v);
// fmt's %s: strings as they are, other scalars as `%!s(int64=1)`.
std::string go_format_s(const Json& v);

// Go's == on two interface{} values holding scalars: same dynamic type and same value (int64(1)
// and float64(1) differ). Maps and slices never compare equal here; Go would panic on them.
bool go_equal(const Json& a, const Json& b);

// encoding/json's word for a value in an UnmarshalTypeError: "object", "array", "string",
// "number", "bool" ("null" never fails to decode).
std::string_view json_value_word(const Json& v);

// `json: cannot unmarshal <word> into Go value of type <type>`.
std::string cannot_unmarshal(const Json& v, std::string_view go_type);

// strconv.Atoi: optional sign and decimal digits that fit an int64. On failure *error is Go's text
// (`strconv.Atoi: parsing "x": invalid syntax`, `... value out of range`).
bool go_atoi(std::string_view s, int64_t* out, std::string* error);

// Positions of scalar keys in a list under Go's == (the first position of each distinct key), for
// the lookups strategic merge patch does while ordering and merging lists. Keys that are maps or
// slices are never found. Keys are kept in a compact canonical form; short lists are searched
// linearly, long ones through an open-addressing table, so that a hostile patch with many
// thousand elements stays linear.
class KeyIndex {
 public:
  KeyIndex() = default;
  // Appends a key; keys are indexed in the order added.
  void add(const Json& key);
  // The first position of a key equal to `key`, or -1.
  long find(const Json& key) const;
  size_t size() const { return keys_.size(); }

 private:
  static constexpr size_t kLinearLimit = 16;
  long find_canonical(const std::string& c, bool valid) const;
  void insert_slot(size_t position);
  void rehash(size_t capacity);
  std::vector<std::string> keys_;  // canonical form per position; empty when not comparable
  std::vector<bool> valid_;        // false: a map or slice, equal to nothing
  std::vector<int32_t> slots_;     // open addressing over first positions; -1 empty
};

}  // namespace bosun::api::patch_internal
