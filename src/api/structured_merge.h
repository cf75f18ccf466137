// The typed operations of server-side apply over a JSON object and its schema (structured-merge-
// diff's typed package: ToFieldSet, Compare, Merge, RemoveItems), used by the field manager
// (apply.h). Pure functions; safe from any thread.
//
// The schema's list and map types decide what is granular: list-maps are keyed by their
// list-map keys (or merge key), sets by value, atomic lists, maps and structs are leaves. `any`
// values are atomic leaves; preserve-unknown values and fields the schema does not know are
// deduced from the JSON (objects granular, arrays atomic), as SMD's deduced type does.
#pragma once

#include <string>
#include <vector>

#include "api/field_set.h"
#include "api/schema.h"
#include "common/json.h"

namespace bosun::api {

// In every operation a null root type means an object without a schema: all of it is deduced.
struct TypedOptions {
  // Leave the root object's metadata.managedFields out: the field manager keeps it itself.
  bool skip_managed_fields = true;
};

// The paths set in `value`: every scalar, atomic list, map and struct, every list item and map
// entry, and empty or null structs, but not the structs that merely contain others. With `errors`,
// the problems structured-merge-diff reports for list items are collected in its words, e.g.
// `.spec.ports: element 0: associative list with keys has an element that omits key field
// "protocol" (and doesn't have default value)` or `.spec.template.spec.containers[name="c"].env:
// duplicate entries for key [name="FOO"]`.
FieldSet to_field_set(const SchemaType* root, const Json& value, std::vector<std::string>* errors,
                      const TypedOptions& options = {});
inline FieldSet to_field_set(const SchemaType* root, const Json& value) {
  return to_field_set(root, value, nullptr);
}

struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;

  bool same() const { return added.empty() && modified.empty() && removed.empty(); }
  // Comparison.ExcludeFields: drops the fields of `ignored` and everything below them.
  void exclude(const FieldSet& ignored);
};

// typed.TypedValue.Compare from `lhs` to `rhs`. A null lhs is an object being created. Where the
// Kubernetes API types hold value structs that their Go zero value always has (an object's
// metadata, spec and status, a pod template and its spec, a Deployment's strategy) or a null list
// (a pod's containers), a side that lacks them compares as Kubernetes' typed objects do, so that
// managedFields show `.` entries exactly where kube-apiserver writes them.
Comparison compare(const SchemaType* root, const Json& lhs, const Json& rhs,
                   const TypedOptions& options = {});

// typed.TypedValue.Merge: `rhs` (an applied configuration) merged into `lhs` (the live object).
// List-map items are matched by key and set items by value; a new item lands where the applied
// list places it relative to the items both lists share, live-only items keep their place. A field
// the configuration sets to null is left out of the result. Duplicate items of the live object
// that the configuration names are replaced by the one merged item.
Json merge(const SchemaType* root, const Json& lhs, const Json& rhs);

// typed.TypedValue.RemoveItems: `value` without the paths of `set` (a member removes its whole
// subtree). Maps, structs and lists that lose their last entry are left out.
Json remove_items(const SchemaType* root, const Json& value, const FieldSet& set);

// fieldpath.Set.EnsureNamedFieldsAreMembers: `set` plus every struct field that has paths below it
// (map keys and list items are not added).
FieldSet ensure_named_fields_are_members(const SchemaType* root, const FieldSet& set);

}  // namespace bosun::api
