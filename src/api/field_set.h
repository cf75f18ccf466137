// Field paths and sets of them as server-side apply tracks ownership (structured-merge-diff's
// fieldpath package), with their set algebra and the `fieldsV1` encoding of managedFields; used
// by the field manager (apply.h). Values; not synchronised.
//
// Paths are made of elements (`.name`, `[name="nginx"]`, `[="a"]`, `[0]`) ordered as SMD orders
// them; fieldsV1 writes them as `f:name`, `k:{"name":"nginx"}`, `v:"a"`, `i:0`, with `.` for a
// path that is both a member and a prefix of others.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// SMD's total order over values (value.Compare): numbers first (ints and floats compared
// numerically), then strings, booleans, lists, maps and null. Returns -1, 0 or 1.
int compare_json_values(const Json& a, const Json& b);
// value.ToString: what Kubernetes prints for a key value in a path (`"nginx"`, `80`, `true`).
std::string json_value_to_string(const Json& v);

// One step of a path: a struct field or map key, an item of a list-map by its key fields, an item
// of a set by its value, or an item of an atomic list by its index (fieldpath.PathElement).
class PathElement {
 public:
  enum class Kind : uint8_t { kField, kKey, kValue, kIndex };  // SMD's order between kinds
  using KeyFields = std::vector<std::pair<std::string, Json>>;

  static PathElement field(std::string name);
  // The key fields are sorted by name, as SMD keeps them.
  static PathElement key(KeyFields fields);
  static PathElement value(Json v);
  static PathElement index(int64_t i);

  Kind kind() const { return kind_; }
  const std::string& field_name() const { return name_; }  // kField
  const KeyFields& key_fields() const { return key_; }     // kKey
  const Json& value() const { return value_; }             // kValue
  int64_t index() const { return index_; }                 // kIndex

  int compare(const PathElement& o) const;
  bool operator==(const PathElement& o) const { return compare(o) == 0; }
  bool operator<(const PathElement& o) const { return compare(o) < 0; }

  // As Kubernetes prints paths in conflict messages: `.replicas`, `[name="nginx"]`, `[="a"]`,
  // `[0]`.
  std::string to_string() const;
  // The fieldsV1 key: `f:replicas`, `k:{"name":"nginx"}`, `v:"a"`, `i:0`.
  std::string serialize() const;
  void append_serialized(std::string& out) const;
  // DeserializePathElement. nullopt for a key of a type this version does not know (the caller
  // skips it, as SMD does); an Error for a malformed key.
  static Result<std::optional<PathElement>> parse(std::string_view key);

 private:
  Kind kind_ = Kind::kField;
  int64_t index_ = 0;
  std::string name_;
  KeyFields key_;
  Json value_;
};

using FieldPath = std::vector<PathElement>;

// A path step borrowed from elsewhere: a struct field or map key (`field`), or an element. The
// schema walkers build paths of these without copying; a set copies only what it stores.
struct PathStep {
  const std::string* field = nullptr;
  const PathElement* element = nullptr;

  int compare(const PathElement& e) const;
  PathElement materialize() const;
};

// `.spec.template.spec.containers[name="nginx"].image` (fieldpath.Path.String).
std::string field_path_string(std::span<const PathElement> path);
std::string field_path_string(std::span<const PathStep> path);

// A set of field paths (fieldpath.Set): at each level, the elements that are members (paths ending
// here) and the children with their own sets. A path can be both a member and a prefix of others
// (the `.` key of fieldsV1). Members and children stay sorted by PathElement::compare.
class FieldSet {
 public:
  struct Node;

  FieldSet();
  FieldSet(std::initializer_list<FieldPath> paths);
  FieldSet(const FieldSet&);
  FieldSet(FieldSet&&) noexcept;
  FieldSet& operator=(const FieldSet&);
  FieldSet& operator=(FieldSet&&) noexcept;
  ~FieldSet();

  // The empty path is the whole object, whose ownership is not tracked: inserting it does nothing.
  void insert(std::span<const PathElement> path);
  void insert(const FieldPath& path) { insert(std::span<const PathElement>(path)); }
  void insert(std::span<const PathStep> path);
  bool has(std::span<const PathElement> path) const;
  bool has(const FieldPath& path) const { return has(std::span<const PathElement>(path)); }
  bool empty() const;
  // Number of paths in the set.
  size_t size() const;

  bool has_member(const PathElement& pe) const;
  bool has_member(const PathStep& step) const;
  // The set of paths below `pe` (Set.WithPrefix); nullptr when there are none.
  const FieldSet* child(const PathElement& pe) const;
  const FieldSet* child(const PathStep& step) const;
  const std::vector<PathElement>& members() const { return members_; }
  const std::vector<Node>& children() const { return children_; }

  FieldSet unite(const FieldSet& o) const;
  FieldSet intersect(const FieldSet& o) const;
  // Paths of this set not in `o`; a member of `o` does not remove paths below it.
  FieldSet difference(const FieldSet& o) const;
  // Removes every path of `o` and every path below a member of `o` (Set.RecursiveDifference).
  FieldSet recursive_difference(const FieldSet& o) const;
  // Whether a path is in both sets (without building the intersection).
  bool intersects(const FieldSet& o) const;
  // In place: this = this ∪ o.
  void merge_from(const FieldSet& o);
  // In place: this = difference(o) and this = recursive_difference(o), touching only what they
  // share.
  void subtract(const FieldSet& o);
  void subtract_recursive(const FieldSet& o);

  bool operator==(const FieldSet& o) const;

  // Every path: the members of a level (in order), then each child's paths (Set.Iterate).
  void for_each(const std::function<void(std::span<const PathElement>)>& fn) const;
  std::vector<FieldPath> paths() const;
  // One path per line, for test output.
  std::string to_string() const;

  // The fieldsV1 encoding. to_fields_v1_string gives the bytes Kubernetes writes (its key order);
  // to_fields_v1 gives the same object as Json (whose keys print sorted).
  std::string to_fields_v1_string() const;
  Json to_fields_v1() const;
  // Reads fieldsV1: `.` marks the enclosing path as a member, keys of unknown types are ignored,
  // null counts as an empty object. A non-object, a malformed key or nesting deeper than
  // kMaxFieldsV1Depth is an Error (BadRequest).
  static Result<FieldSet> from_fields_v1(const Json& fields);
  static Result<FieldSet> from_fields_v1_string(std::string_view text);

  static constexpr int kMaxFieldsV1Depth = 256;

 private:
  void for_each_prefixed(FieldPath& prefix,
                         const std::function<void(std::span<const PathElement>)>& fn) const;
  void emit_v1(std::string& out, bool include_self) const;
  Json to_v1_json(bool include_self) const;
  static Result<void> read_v1(const Json& v, int depth, FieldSet* children, bool* has_children,
                              bool* is_member);

  std::vector<PathElement> members_;
  std::vector<Node> children_;
};

struct FieldSet::Node {
  PathElement element;
  FieldSet set;
};

}  // namespace bosun::api
