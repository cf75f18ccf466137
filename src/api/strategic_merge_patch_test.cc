// Strategic merge patch against the behaviour apimachinery's own tests pin down
// (pkg/util/strategicpatch/patch_test.go): the same documents, patches and results, over a schema
// that declares the fields of its MergeItem test type with the same patch strategies. Each case is
// one application of a patch Kubernetes' tests apply (a two-way patch to the original, or a
// three-way patch to the live object).
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "api/decode.h"
#include "api/patch.h"
#include "api/schema.h"

namespace bosun::api {
namespace {

constexpr std::string_view kMergeItemSchema = R"(
package io.bosun.test.v1

type MergeItem : Kubernetes' strategicpatch test type.
  name string
  value string
  other string
  mergingList []MergeItem patch=merge merge-key=name
  nonMergingList []MergeItem
  mergingIntList []int64 patch=merge
  nonMergingIntList []int64
  mergeItemPtr []MergeItem patch=merge merge-key=name
  simpleMap map[string]string
  replacingItem any patch=replace
  retainKeysMap RetainKeysMergeItem patch=retainKeys
  retainKeysMergingList []MergeItem patch=merge,retainKeys merge-key=name

type RetainKeysMergeItem
  name string
  value string
  other string
  simpleMap map[string]string
  mergingIntList []int64 patch=merge
  mergingList []MergeItem patch=merge merge-key=name
  nonMergingList []MergeItem
)";

const SchemaType& merge_item() {
  static const std::unique_ptr<SchemaSet> set = [] {
    const SchemaSource src{"merge_item", kMergeItemSchema};
    Result<std::unique_ptr<SchemaSet>> r = SchemaSet::parse({&src, 1});
    if (!r.ok()) {
      ADD_FAILURE() << r.error().message;
      std::abort();
    }
    return std::move(r).value();
  }();
  return *set->find("io.bosun.test.v1.MergeItem");
}

// YAML, flow style included ("---" keeps decode_document from reading `{a: 1}` as JSON).
Json yaml(std::string_view text) {
  Result<Decoded> d = decode_document("---\n" + std::string(text), DecodeOptions{});
  if (!d.ok()) {
    ADD_FAILURE() << d.error().message << "\n" << text;
    return Json();
  }
  return d->value;
}

struct ApplyCase {
  const char* description;
  const char* original;
  const char* patch;
  const char* result;
};

// Lists are compared in order: the order of merged lists is part of the behaviour.
void expect_applies(const ApplyCase& c) {
  SCOPED_TRACE(c.description);
  Json original = yaml(c.original);
  Json patch = yaml(c.patch);
  Result<Json> got = strategic_merge_patch(original, patch, merge_item());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, yaml(c.result)) << "got:\n" << to_yaml(*got);
}

// Cases Kubernetes lists as "custom" (patches its diff would not produce: explicit directives,
// duplicates, old client formats).
TEST(StrategicMergePatch, CustomPatchesFromKubernetesTests) {
  const ApplyCase cases[] = {
      {"unique scalars when merging lists", "mergingIntList: [1, 2]", "mergingIntList: [2, 3]",
       "mergingIntList: [1, 2, 3]"},
      {"delete map from nested map", "simpleMap: {key1: 1, key2: 1}", "simpleMap: {$patch: delete}",
       "simpleMap: {}"},
      {"delete all items from merging list", "mergingList: [{name: 1}, {name: 2}]",
       "mergingList: [{$patch: replace}]", "mergingList: []"},
      {"merge empty merging lists", "mergingList: []", "mergingList: []", "mergingList: []"},
      {"delete all keys from map", "{name: 1, value: 1}", "{$patch: replace}", "{}"},
      {"add key and delete all keys from map", "{name: 1, value: 1}", "{other: a, $patch: replace}",
       "{other: a}"},
      {"delete all duplicate entries in a merging list",
       "mergingList: [{name: 1}, {name: 1}, {name: 2, value: a}, {name: 3}, {name: 3}]",
       "mergingList: [{name: 1, $patch: delete}, {name: 3, $patch: delete}]",
       "mergingList: [{name: 2, value: a}]"},
      {"retainKeys map can add a field when no retainKeys directive present",
       "retainKeysMap: {name: foo}", "retainKeysMap: {value: bar}",
       "retainKeysMap: {name: foo, value: bar}"},
      {"retainKeys map can change a field when no retainKeys directive present",
       "retainKeysMap: {name: foo, value: a}", "retainKeysMap: {value: b}",
       "retainKeysMap: {name: foo, value: b}"},
      {"retainKeys map can delete a field when no retainKeys directive present",
       "retainKeysMap: {name: foo, value: a}", "retainKeysMap: {value: null}",
       "retainKeysMap: {name: foo}"},
      {"retainKeys map merge an empty map", "retainKeysMap: {name: foo, value: a}",
       "retainKeysMap: {}", "retainKeysMap: {name: foo, value: a}"},
      {"retainKeys list can add a field when no retainKeys directive present",
       "retainKeysMergingList: [{name: bar}, {name: foo}]",
       "retainKeysMergingList: [{name: foo, value: a}]",
       "retainKeysMergingList: [{name: bar}, {name: foo, value: a}]"},
      {"retainKeys list can delete a field when no retainKeys directive present",
       "retainKeysMergingList: [{name: bar}, {name: foo, value: a}]",
       "retainKeysMergingList: [{name: foo, value: null}]",
       "retainKeysMergingList: [{name: bar}, {name: foo}]"},
      {"preserve the order from the patch in a merging list",
       "mergingList: [{name: 1}, {name: 2, value: b}, {name: 3}]",
       "mergingList: [{name: 3, value: c}, {name: 1, value: a}, {name: 2, other: x}]",
       "mergingList: [{name: 3, value: c}, {name: 1, value: a}, {name: 2, value: b, other: x}]"},
      {"preserve the order from the patch in a merging list 2",
       "mergingList: [{name: 1}, {name: 2, value: b}, {name: 3}]",
       "mergingList: [{name: 3, value: c}, {name: 1, value: a}]",
       "mergingList: [{name: 2, value: b}, {name: 3, value: c}, {name: 1, value: a}]"},
      {"preserve the order from the patch in a merging int list", "mergingIntList: [1, 2, 3]",
       "mergingIntList: [3, 1, 2]", "mergingIntList: [3, 1, 2]"},
      {"preserve the order from the patch in a merging int list 2", "mergingIntList: [1, 2, 3]",
       "mergingIntList: [3, 1]", "mergingIntList: [2, 3, 1]"},
      {"$setElementOrder contains item that is not present in the list to be merged",
       "mergingList: [{name: 1}, {name: 3}]",
       "{$setElementOrder/mergingList: [{name: 3}, {name: 2}, {name: 1}],"
       " mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]}",
       "mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]"},
      {"$setElementOrder contains item that is not present in the int list to be merged",
       "mergingIntList: [1, 3]", "$setElementOrder/mergingIntList: [3, 2, 1]",
       "mergingIntList: [3, 1]"},
      {"$deleteFromPrimitiveList of nonexistent item does not add it", "mergingIntList: [1, 2]",
       "$deleteFromPrimitiveList/mergingIntList: [3]", "mergingIntList: [1, 2]"},
      {"$deleteFromPrimitiveList on empty primitive list", "mergingIntList: null",
       "$deleteFromPrimitiveList/mergingIntList: [3]", "mergingIntList: null"},
      {"$deleteFromPrimitiveList on nonexistent primitive list", "foo: [bar]",
       "$deleteFromPrimitiveList/mergingIntList: [3]", "foo: [bar]"},
      {"$deleteFromPrimitiveList deletes from a list with merge strategy",
       "mergingIntList: [1, 2, 3]", "$deleteFromPrimitiveList/mergingIntList: [2]",
       "mergingIntList: [1, 3]"},
      {"$deleteFromPrimitiveList deletes from a list without merge strategy",
       "nonMergingIntList: [1, 2, 3]", "$deleteFromPrimitiveList/nonMergingIntList: [2]",
       "nonMergingIntList: [1, 3]"},
  };
  for (const ApplyCase& c : cases) expect_applies(c);
}

// Maps: adding, changing and deleting fields, with and without concurrent changes on the server.
TEST(StrategicMergePatch, MapsFromKubernetesTests) {
  const ApplyCase cases[] = {
      {"nil patch", "name: 1", "{}", "name: 1"},
      {"add field to map", "{name: 1, other: a}", "value: 1", "{name: 1, value: 1, other: a}"},
      {"add field and delete field from map", "{name: 1, other: a}", "{name: null, value: 1}",
       "{value: 1, other: a}"},
      {"delete field from nested map", "simpleMap: {key1: 1, key2: 1, other: a}",
       "simpleMap: {key2: null}", "simpleMap: {key1: 1, other: a}"},
      {"delete all fields from map", "{name: 1, value: 1, other: a}", "{name: null, value: null}",
       "other: a"},
      {"defined null values overwrite current fields", "{name: a, other: a}",
       "{name: 1, value: 1, other: null}", "{name: 1, value: 1}"},
      {"defined null values remove original fields",
       "{name: original-name, value: original-value, other: current-other}",
       "{name: modified-name, value: null}", "{name: modified-name, other: current-other}"},
      {"replace list of scalars", "nonMergingIntList: [1, 4]", "nonMergingIntList: [2, 3]",
       "nonMergingIntList: [2, 3]"},
      {"retainKeys map with no change", "{name: a, other: c, retainKeysMap: {name: foo}}",
       "value: b", "{name: a, value: b, other: c, retainKeysMap: {name: foo}}"},
  };
  for (const ApplyCase& c : cases) expect_applies(c);
}

// Lists of maps merged by merge key, including `$patch: delete` elements and $setElementOrder.
TEST(StrategicMergePatch, MergingListsFromKubernetesTests) {
  const ApplyCase cases[] = {
      {"delete all maps from merging list",
       "mergingList: [{name: 1, other: a}, {name: 2, other: b}]",
       "mergingList: [{name: 1, $patch: delete}, {name: 2, $patch: delete}]", "mergingList: []"},
      {"delete all maps from empty merging list", "mergingList: []",
       "mergingList: [{name: 1, $patch: delete}, {name: 2, $patch: delete}]", "mergingList: []"},
      {"nested patch merge with empty list, onto the original", "name: hi",
       "mergingList: [{name: hello}, {$patch: delete, name: doesntexist}]",
       "{name: hi, mergingList: [{name: hello}]}"},
      {"nested patch merge with empty list, onto the live object",
       "{name: hi, mergingList: [{name: hello2}]}",
       "{$setElementOrder/mergingList: [{name: hello}, {name: doesntexist}],"
       " mergingList: [{name: hello}, {$patch: delete, name: doesntexist}]}",
       "{name: hi, mergingList: [{name: hello}, {name: hello2}]}"},
      {"merge lists of maps", "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 4}, {name: 1}, {name: 2}, {name: 3}],"
       " mergingList: [{name: 4, value: 4}, {name: 3, value: 3}]}",
       "mergingList: [{name: 4, value: 4}, {name: 1, other: a}, {name: 2, value: 2, other: b},"
       " {name: 3, value: 3}]"},
      {"merge lists of maps with conflict",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 3, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}, {name: 3}],"
       " mergingList: [{name: 2, value: 2}, {name: 3, value: 3}]}",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]"},
      {"add field to map in merging list",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}],"
       " mergingList: [{name: 1, value: 1}]}",
       "mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2, other: b}]"},
      {"add field to map in merging list with conflict",
       "mergingList: [{name: 1, other: a}, {name: 3, value: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}],"
       " mergingList: [{name: 1, value: 1}, {name: 2, value: 2}]}",
       "mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2},"
       " {name: 3, value: 2, other: b}]"},
      {"replace map field value in merging list",
       "mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}],"
       " mergingList: [{name: 1, value: a}]}",
       "mergingList: [{name: 1, value: a, other: a}, {name: 2, value: 2, other: b}]"},
      {"delete map from merging list", "mergingList: [{name: 1}, {name: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 2}], mergingList: [{name: 1, $patch: delete}]}",
       "mergingList: [{name: 2, other: b}]"},
      {"delete missing map from merging list", "mergingList: [{name: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 2}], mergingList: [{name: 1, $patch: delete}]}",
       "mergingList: [{name: 2, other: b}]"},
      {"delete missing map from merging list with conflict", "mergingList: [{name: 3, other: a}]",
       "{$setElementOrder/mergingList: [{name: 2}],"
       " mergingList: [{name: 2}, {name: 1, $patch: delete}]}",
       "mergingList: [{name: 2}, {name: 3, other: a}]"},
      {"add map and delete map from merging list",
       "mergingList: [{name: 1}, {name: 2, other: b}, {name: 4, other: c}]",
       "{$setElementOrder/mergingList: [{name: 2}, {name: 3}],"
       " mergingList: [{name: 3}, {name: 1, $patch: delete}]}",
       "mergingList: [{name: 2, other: b}, {name: 4, other: c}, {name: 3}]"},
      {"add map and delete map from merging list with conflict",
       "mergingList: [{name: 1, other: a}, {name: 4, other: c}]",
       "{$setElementOrder/mergingList: [{name: 2}, {name: 3}],"
       " mergingList: [{name: 2}, {name: 3}, {name: 1, $patch: delete}]}",
       "mergingList: [{name: 4, other: c}, {name: 2}, {name: 3}]"},
      {"delete field from map in merging list",
       "mergingList: [{name: 1, value: 1, other: a}, {name: 2, value: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}],"
       " mergingList: [{name: 1, value: null}]}",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]"},
      {"replace non merging list nested in merging list",
       "mergingList: [{name: 1, other: a, nonMergingList: [{name: 1}, {name: 2, value: 2}]},"
       " {name: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}],"
       " mergingList: [{name: 1, nonMergingList: [{name: 1, value: 1}]}]}",
       "mergingList: [{name: 1, other: a, nonMergingList: [{name: 1, value: 1}]},"
       " {name: 2, other: b}]"},
      {"add field to map in merging list nested in merging list",
       "mergingList: [{name: 1, other: a, mergingList: [{name: 1}, {name: 2, value: 2}]},"
       " {name: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}],"
       " mergingList: [{$setElementOrder/mergingList: [{name: 1}, {name: 2}], name: 1,"
       " mergingList: [{name: 1, value: 1}]}]}",
       "mergingList: [{name: 1, other: a, mergingList: [{name: 1, value: 1}, {name: 2, value: "
       "2}]},"
       " {name: 2, other: b}]"},
      {"reorder a nested merging list while adding to it",
       "mergingList: [{name: 1, other: a, mergingList: [{name: 2, value: 2, other: d}]},"
       " {name: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}],"
       " mergingList: [{$setElementOrder/mergingList: [{name: 2}, {name: 1}], name: 1,"
       " mergingList: [{name: 1, value: 1}]}]}",
       "mergingList: [{name: 1, other: a, mergingList: [{name: 2, value: 2, other: d},"
       " {name: 1, value: 1}]}, {name: 2, other: b}]"},
      {"add map to merging list by pointer", "mergeItemPtr: [{name: 1, other: a}, {name: 3}]",
       "{$setElementOrder/mergeItemPtr: [{name: 1}, {name: 2}], mergeItemPtr: [{name: 2}]}",
       "mergeItemPtr: [{name: 1, other: a}, {name: 2}, {name: 3}]"},
      {"delete and reorder in one list, reorder in another",
       "{mergingList: [{name: a, value: a}, {name: b, value: b}],"
       " mergeItemPtr: [{name: c, value: c}, {name: d, value: d}]}",
       "{$setElementOrder/mergingList: [{name: b}],"
       " $setElementOrder/mergeItemPtr: [{name: d}, {name: c}],"
       " mergingList: [{$patch: delete, name: a}]}",
       "{mergingList: [{name: b, value: b}],"
       " mergeItemPtr: [{name: d, value: d}, {name: c, value: c}]}"},
  };
  for (const ApplyCase& c : cases) expect_applies(c);
}

// $setElementOrder alone and with additions and deletions: the patch's order wins for the elements
// it names, live-only elements keep their place relative to them.
TEST(StrategicMergePatch, ElementOrderFromKubernetesTests) {
  const ApplyCase cases[] = {
      {"add an item in a list and preserve order",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 3}, {name: 1}, {name: 2}],"
       " mergingList: [{name: 3, value: 3}]}",
       "mergingList: [{name: 3, value: 3}, {name: 1, other: a}, {name: 2, value: 2, other: b}]"},
      {"add multiple items in a list and preserve order",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 4}, {name: 2}, {name: 3}],"
       " mergingList: [{name: 4, value: 4}, {name: 3, value: 3}]}",
       "mergingList: [{name: 1, other: a}, {name: 4, value: 4}, {name: 2, value: 2, other: b},"
       " {name: 3, value: 3}]"},
      {"delete an item in a list and preserve order",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]",
       "{$setElementOrder/mergingList: [{name: 2}, {name: 1}],"
       " mergingList: [{name: 3, $patch: delete}]}",
       "mergingList: [{name: 2, value: 2, other: b}, {name: 1, other: a}]"},
      {"change an item in a list and preserve order",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]",
       "{$setElementOrder/mergingList: [{name: 2}, {name: 3}, {name: 1}],"
       " mergingList: [{name: 3, value: x}]}",
       "mergingList: [{name: 2, value: 2, other: b}, {name: 3, value: x}, {name: 1, other: a}]"},
      {"add and delete an item in a list and preserve order",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2, other: b}, {name: 3, value: 3}]",
       "{$setElementOrder/mergingList: [{name: 4}, {name: 2}, {name: 1}],"
       " mergingList: [{name: 4, value: 4}, {name: 3, $patch: delete}]}",
       "mergingList: [{name: 4, value: 4}, {name: 2, value: 2, other: b}, {name: 1, other: a}]"},
      {"set elements order in a list",
       "mergingList: [{name: 1, other: a}, {name: 3, value: 3}, {name: 4, value: 4},"
       " {name: 2, value: 2}]",
       "$setElementOrder/mergingList: [{name: 4}, {name: 2}, {name: 3}, {name: 1}]",
       "mergingList: [{name: 4, value: 4}, {name: 2, value: 2}, {name: 3, value: 3},"
       " {name: 1, other: a}]"},
      {"set elements order in a list with server-only items",
       "mergingList: [{name: 1, other: a}, {name: 3, value: 3}, {name: 4, value: 4},"
       " {name: 2, value: 2}, {name: 9}]",
       "$setElementOrder/mergingList: [{name: 4}, {name: 2}, {name: 3}, {name: 1}]",
       "mergingList: [{name: 4, value: 4}, {name: 2, value: 2}, {name: 3, value: 3},"
       " {name: 1, other: a}, {name: 9}]"},
      {"set elements order in a list with server-only items 2",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2}, {name: 9}, {name: 3, value: 3},"
       " {name: 4, value: 4}]",
       "$setElementOrder/mergingList: [{name: 2}, {name: 1}, {name: 4}, {name: 3}]",
       "mergingList: [{name: 2, value: 2}, {name: 1, other: a}, {name: 9}, {name: 4, value: 4},"
       " {name: 3, value: 3}]"},
      {"set elements order in a list with server-only items 3",
       "mergingList: [{name: 1, other: a}, {name: 2, value: 2}, {name: 7}, {name: 9}, {name: 8},"
       " {name: 3, value: 3}, {name: 4, value: 4}]",
       "$setElementOrder/mergingList: [{name: 2}, {name: 1}, {name: 4}, {name: 3}]",
       "mergingList: [{name: 2, value: 2}, {name: 1, other: a}, {name: 7}, {name: 9}, {name: 8},"
       " {name: 4, value: 4}, {name: 3, value: 3}]"},
      {"set element order for a merging list with duplicate",
       "mergingList: [{name: 1}, {name: 2, value: dup1}, {name: 3}, {name: 2, value: dup2},"
       " {name: 4}]",
       "$setElementOrder/mergingList: [{name: 2}, {name: 1}, {name: 4}, {name: 3}, {name: 2}]",
       "mergingList: [{name: 2, value: dup1}, {name: 2, value: dup2}, {name: 1}, {name: 4},"
       " {name: 3}]"},
      {"merge lists of scalars", "mergingIntList: [1, 2, 4]",
       "{$setElementOrder/mergingIntList: [1, 2, 3], mergingIntList: [3]}",
       "mergingIntList: [1, 2, 3, 4]"},
      {"add an item in a list of primitives and preserve order", "mergingIntList: [1, 4, 2]",
       "{$setElementOrder/mergingIntList: [3, 1, 2], mergingIntList: [3]}",
       "mergingIntList: [3, 1, 4, 2]"},
      {"delete an item in a list of primitives and preserve order", "mergingIntList: [1, 2, 3]",
       "{$setElementOrder/mergingIntList: [2, 1], $deleteFromPrimitiveList/mergingIntList: [3]}",
       "mergingIntList: [2, 1]"},
      {"delete items in lists of scalars", "mergingIntList: [1, 2, 3, 4]",
       "{$setElementOrder/mergingIntList: [1, 2], $deleteFromPrimitiveList/mergingIntList: [3]}",
       "mergingIntList: [1, 2, 4]"},
      {"delete all duplicate items in lists of scalars", "mergingIntList: [1, 2, 3, 3, 4]",
       "{$setElementOrder/mergingIntList: [1, 2], $deleteFromPrimitiveList/mergingIntList: [3]}",
       "mergingIntList: [1, 2, 4]"},
      {"add and delete items in lists of scalars", "mergingIntList: [1, 2, 3]",
       "{$setElementOrder/mergingIntList: [1, 2, 4], $deleteFromPrimitiveList/mergingIntList: [3],"
       " mergingIntList: [4]}",
       "mergingIntList: [1, 2, 4]"},
      {"add multiple items in a int list and preserve order", "mergingIntList: [1, 2]",
       "{$setElementOrder/mergingIntList: [1, 4, 2, 3], mergingIntList: [4, 3]}",
       "mergingIntList: [1, 4, 2, 3]"},
      {"add and delete an item in a int list and preserve order", "mergingIntList: [1, 2, 3]",
       "{$setElementOrder/mergingIntList: [4, 2, 1], mergingIntList: [4],"
       " $deleteFromPrimitiveList/mergingIntList: [3]}",
       "mergingIntList: [4, 2, 1]"},
      {"set elements order in a int list with server-only items 2",
       "mergingIntList: [1, 2, 9, 3, 4]", "$setElementOrder/mergingIntList: [2, 1, 4, 3]",
       "mergingIntList: [2, 1, 9, 4, 3]"},
      {"set elements order in a int list with server-only items 3",
       "mergingIntList: [1, 2, 7, 9, 8, 3, 4]", "$setElementOrder/mergingIntList: [2, 1, 4, 3]",
       "mergingIntList: [2, 1, 7, 9, 8, 4, 3]"},
      {"set element order for a merging int list with duplicate", "mergingIntList: [1, 2, 3, 2, 4]",
       "$setElementOrder/mergingIntList: [2, 1, 4, 3, 2]", "mergingIntList: [2, 2, 1, 4, 3]"},
  };
  for (const ApplyCase& c : cases) expect_applies(c);
}

// $retainKeys: the map keeps only the listed keys, then the patch merges in.
TEST(StrategicMergePatch, RetainKeysFromKubernetesTests) {
  const ApplyCase cases[] = {
      {"retainKeys map should clear defaulted field", "retainKeysMap: {value: foo}",
       "retainKeysMap: {$retainKeys: [other], other: bar}", "retainKeysMap: {other: bar}"},
      {"retainKeys map clears the other member of a discriminated union",
       "retainKeysMap: {name: type1, value: foo}",
       "retainKeysMap: {$retainKeys: [name, other], name: type2, other: bar}",
       "retainKeysMap: {name: type2, other: bar}"},
      {"retainKeys map adds a field and clears a field", "retainKeysMap: {name: foo, other: a}",
       "retainKeysMap: {$retainKeys: [name, value], value: bar}",
       "retainKeysMap: {name: foo, value: bar}"},
      {"retainKeys map deletes a field and clears a field",
       "retainKeysMap: {name: foo, value: bar, other: a}",
       "retainKeysMap: {$retainKeys: [name], value: null}", "retainKeysMap: {name: foo}"},
      {"retainKeys map clears a field", "retainKeysMap: {name: foo, value: bar, other: a}",
       "retainKeysMap: {$retainKeys: [name, value]}", "retainKeysMap: {name: foo, value: bar}"},
      {"retainKeys map adds a field in a nested map",
       "retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key3: c}}",
       "retainKeysMap: {$retainKeys: [name, simpleMap, value], simpleMap: {key2: b}}",
       "retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key2: b, key3: c}}"},
      {"retainKeys map deletes a field in a nested map",
       "retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key2: b, key3: c}}",
       "retainKeysMap: {$retainKeys: [name, simpleMap, value], simpleMap: {key2: null}}",
       "retainKeysMap: {name: foo, value: bar, simpleMap: {key1: a, key3: c}}"},
      {"retainKeys map replaces non-merging list",
       "retainKeysMap: {name: foo, value: bar, nonMergingList: [{name: a}, {name: b}]}",
       "retainKeysMap: {$retainKeys: [name, nonMergingList, value],"
       " nonMergingList: [{name: a}, {name: c}, {name: b}]}",
       "retainKeysMap: {name: foo, value: bar, nonMergingList: [{name: a}, {name: c}, {name: "
       "b}]}"},
      {"retainKeys map deletes nested non-merging list",
       "retainKeysMap: {name: foo, nonMergingList: [{name: a}, {name: b}, {name: c}]}",
       "retainKeysMap: {$retainKeys: [name, value], value: bar, nonMergingList: null}",
       "retainKeysMap: {name: foo, value: bar}"},
      {"retainKeys map nested merging int list with no change",
       "retainKeysMap: {name: foo, mergingIntList: [1, 2, 3]}",
       "retainKeysMap: {$retainKeys: [mergingIntList, name, value],"
       " $setElementOrder/mergingIntList: [1, 2], value: bar}",
       "retainKeysMap: {name: foo, value: bar, mergingIntList: [1, 2, 3]}"},
      {"retainKeys map adds an item in nested merging int list",
       "retainKeysMap: {name: foo, mergingIntList: [1, 2, 3]}",
       "retainKeysMap: {$setElementOrder/mergingIntList: [1, 2, 4],"
       " $retainKeys: [mergingIntList, name], mergingIntList: [4]}",
       "retainKeysMap: {name: foo, mergingIntList: [1, 2, 4, 3]}"},
      {"retainKeys map deletes an item in nested merging int list",
       "retainKeysMap: {name: foo, mergingIntList: [1, 2, 3, 4]}",
       "retainKeysMap: {$retainKeys: [mergingIntList, name],"
       " $deleteFromPrimitiveList/mergingIntList: [2], $setElementOrder/mergingIntList: [1, 3]}",
       "retainKeysMap: {name: foo, mergingIntList: [1, 3, 4]}"},
      {"retainKeys map adds an item and deletes an item in nested merging int list",
       "retainKeysMap: {name: foo, mergingIntList: [1, 2, 3, 4]}",
       "retainKeysMap: {$retainKeys: [mergingIntList, name], mergingIntList: [5],"
       " $deleteFromPrimitiveList/mergingIntList: [2], $setElementOrder/mergingIntList: [1, 3, "
       "5]}",
       "retainKeysMap: {name: foo, mergingIntList: [1, 3, 5, 4]}"},
      {"retainKeys map deletes nested merging int list",
       "retainKeysMap: {name: foo, mergingIntList: [1, 2, 3]}",
       "retainKeysMap: {$retainKeys: [name], mergingIntList: null}", "retainKeysMap: {name: foo}"},
      {"retainKeys map adds an item in nested merging list",
       "retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b}, {name: x}]}",
       "retainKeysMap: {$retainKeys: [mergingList, name],"
       " $setElementOrder/mergingList: [{name: a}, {name: b}, {name: c}],"
       " mergingList: [{name: c}]}",
       "retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b}, {name: c}, {name: x}]}"},
      {"retainKeys map deletes an item in nested merging list",
       "retainKeysMap: {name: foo, mergingList: [{name: a}, {name: b}, {name: x}]}",
       "retainKeysMap: {$retainKeys: [mergingList, name],"
       " $setElementOrder/mergingList: [{name: a}], mergingList: [{name: b, $patch: delete}]}",
       "retainKeysMap: {name: foo, mergingList: [{name: a}, {name: x}]}"},
      {"retainKeys list of maps clears a field",
       "retainKeysMergingList: [{name: bar}, {name: foo, value: a, other: x}]",
       "{$setElementOrder/retainKeysMergingList: [{name: bar}, {name: foo}],"
       " retainKeysMergingList: [{$retainKeys: [name, value], name: foo}]}",
       "retainKeysMergingList: [{name: bar}, {name: foo, value: a}]"},
      {"retainKeys list of maps changes a field and clears a field",
       "retainKeysMergingList: [{name: bar}, {name: foo, value: modified, other: x}]",
       "{$setElementOrder/retainKeysMergingList: [{name: bar}, {name: foo}],"
       " retainKeysMergingList: [{$retainKeys: [name, value], name: foo, value: new}]}",
       "retainKeysMergingList: [{name: bar}, {name: foo, value: new}]"},
      {"retainKeys list of maps deletes a field and clears a field",
       "retainKeysMergingList: [{name: bar}, {name: foo, value: a, other: x}]",
       "{$setElementOrder/retainKeysMergingList: [{name: bar}, {name: foo}],"
       " retainKeysMergingList: [{$retainKeys: [name], name: foo, value: null}]}",
       "retainKeysMergingList: [{name: bar}, {name: foo}]"},
  };
  for (const ApplyCase& c : cases) expect_applies(c);
}

// Fields with patch strategy replace, and fields the schema does not declare.
TEST(StrategicMergePatch, ReplaceStrategyAndUnknownFieldsFromKubernetesTests) {
  const ApplyCase cases[] = {
      {"replace RawExtension field, rest unchanged",
       "{name: my-object, other: current-other, mergingList: [{name: 1}, {name: 2}],"
       " replacingItem: {Some: Generic, Yaml: Inside, The: RawExtension, Field: Period}}",
       "replacingItem: {Newly: Modified, Yaml: Inside, The: RawExtension}",
       "{name: my-object, other: current-other, mergingList: [{name: 1}, {name: 2}],"
       " replacingItem: {Newly: Modified, Yaml: Inside, The: RawExtension}}"},
      {"replace RawExtension field and merge list",
       "{mergingList: [{name: 1}, {name: 3}], replacingItem: {Some: Generic}}",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}], mergingList: [{name: 2}],"
       " replacingItem: {Newly: Modified}}",
       "{mergingList: [{name: 1}, {name: 2}, {name: 3}], replacingItem: {Newly: Modified}}"},
      {"new map keeps no null members", "name: foo", "complex_nullable: {key: null}",
       "{name: foo, complex_nullable: {}}"},
      {"discard nulls in nested and add not nulls", "name: foo",
       "complex_nullable: {key: {keynotnull: value, keynull: null}}",
       "{name: foo, complex_nullable: {key: {keynotnull: value}}}"},
      {"null values in original are preserved", "thing: null", "nested: {value: 5}",
       "{nested: {value: 5}, thing: null}"},
      {"nested null values in original are preserved", "{complex: {key: null}, thing: null}",
       "nested: {value: 5}", "{complex: {key: null}, nested: {value: 5}, thing: null}"},
      {"add empty slices", "name: foo", "complex_nullable: []",
       "{name: foo, complex_nullable: []}"},
      {"filter nulls from nested slices", "{}",
       "complex_nullable: [{inner_one: {key_one: foo, key_two: null}}]",
       "complex_nullable: [{inner_one: {key_one: foo}}]"},
      {"do not filter nulls from a list of scalars", "{}", "complex_nullable: [key1, null, key2]",
       "complex_nullable: [key1, null, key2]"},
      {"removed only", "{name: foo, scalar: true, complex: {nested: true}, array: [1, 2, 3]}",
       "{complex: null, scalar: null}", "{name: foo, array: [1, 2, 3]}"},
      // Kubernetes fails here (`unable to find api field in struct MergeItem for the json field
      // "complex"`) because its Go types know every field; Bosun merges a field its schema does
      // not declare as Kubernetes merges a map.
      {"unknown object field merges like a map",
       "{name: foo, complex: {nested: true, kept: 1}, array: [1, 2, 3]}",
       "{complex: {nested: false}, array: [4]}",
       "{name: foo, complex: {nested: false, kept: 1}, array: [4]}"},
  };
  for (const ApplyCase& c : cases) expect_applies(c);
}

struct ErrorCase {
  const char* description;
  const char* original;
  const char* patch;
  ErrorCode code;
  const char* message;
};

TEST(StrategicMergePatch, ErrorsAreWordedAsKubernetes) {
  const ErrorCase cases[] = {
      {"order in $setElementOrder and patch list must match",
       "mergingList: [{name: 1}, {name: 3}, {name: 2}]",
       "{$setElementOrder/mergingList: [{name: 1}, {name: 2}, {name: 3}],"
       " mergingList: [{name: 3, value: 3}, {name: 1, value: 1}]}",
       ErrorCode::kInternal,
       "The order in patch list:\n[map[name:3 value:3] map[name:1 value:1]]\n doesn't match "
       "$setElementOrder list:\n[map[name:1] map[name:2] map[name:3]]\n"},
      {"order of a primitive list must match", "mergingIntList: [1, 3, 2]",
       "{$setElementOrder/mergingIntList: [1, 2, 3], mergingIntList: [3, 1]}", ErrorCode::kInternal,
       "The order in patch list:\n[3 1]\n doesn't match $setElementOrder list:\n[1 2 3]\n"},
      {"missing merge key", "mergingList: [{name: 1, value: a}]", "mergingList: [{value: b}]",
       ErrorCode::kInternal, "map: map[value:b] does not contain declared merge key: name"},
      {"delete directive without merge key", "mergingList: [{name: 1}]",
       "mergingList: [{$patch: delete, value: b}]", ErrorCode::kInternal,
       "map: map[$patch:delete value:b] does not contain declared merge key: name"},
      {"live element without merge key", "mergingList: [{value: a}]", "mergingList: [{name: 1}]",
       ErrorCode::kInternal, "map: map[value:a] does not contain declared merge key: name"},
      {"merge directive in a list", "mergingList: [{name: 1}]", "mergingList: [{$patch: merge}]",
       ErrorCode::kInternal, "merging lists cannot yet be specified in the patch"},
      {"unknown directive in a list", "mergingList: [{name: 1}]",
       "mergingList: [{name: 1, $patch: bogus}]", ErrorCode::kInternal,
       "unknown patch type: bogus in map: map[$patch:bogus name:1]"},
      {"unknown directive on a map", "simpleMap: {a: b}", "simpleMap: {$patch: 1}",
       ErrorCode::kInternal, "unknown patch type: %!s(int64=1) in map: map[$patch:1]"},
      {"deletion list key without a list name", "mergingIntList: [1]",
       "$deleteFromPrimitiveList: [1]", ErrorCode::kBadRequest,
       "invalid patch format of primitive list"},
      {"deletion list key with a misspelt prefix", "mergingIntList: [1]",
       "$deleteFromPrimitiveListX/mergingIntList: [1]", ErrorCode::kBadRequest,
       "invalid patch format of primitive list"},
      {"retainKeys that is not a list", "retainKeysMap: {name: a}",
       "retainKeysMap: {$retainKeys: name}", ErrorCode::kBadRequest,
       "invalid patch format of retainKeys"},
      {"patch sets a field retainKeys drops", "retainKeysMap: {name: a}",
       "retainKeysMap: {$retainKeys: [name], value: b}", ErrorCode::kBadRequest,
       "invalid patch format of retainKeys"},
      {"element order key with a misspelt prefix", "mergingList: [{name: 1}]",
       "$setElementOrderX/mergingList: [{name: 1}]", ErrorCode::kBadRequest,
       "invalid patch format of setElementOrder list"},
      {"element order that is not a list", "mergingList: [{name: 1}]",
       "$setElementOrder/mergingList: {name: 1}", ErrorCode::kInternal,
       "expected a []interface {}, but received a map[string]interface {}"},
      {"element order on a field that is not a list", "mergingList: {name: 1}",
       "$setElementOrder/mergingList: [{name: 1}]", ErrorCode::kInternal,
       "expected a []interface {}, but received a map[string]interface {}"},
      {"lists of lists", "mergingIntList: [[1]]", "mergingIntList: [[2]]", ErrorCode::kInvalid,
       "lists of lists are not supported"},
      {"elements of different types", "mergingIntList: [1]", "mergingIntList: [a]",
       ErrorCode::kInternal, "list element types are not identical: [[1] [a]]"},
      {"null first element", "mergingIntList: [null]", "mergingIntList: [1]", ErrorCode::kInternal,
       "runtime error: invalid memory address or nil pointer dereference"},
      {"deletion list of maps on a list without merge key", "nonMergingList: [{name: 1}]",
       "$deleteFromPrimitiveList/nonMergingList: [{name: 1}]", ErrorCode::kInternal,
       "cannot merge lists without merge key for struct"},
      {"patch that is not an object", "name: a", "[1, 2]", ErrorCode::kBadRequest,
       "json: cannot unmarshal array into Go value of type map[string]interface {}"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.description);
    Json original = yaml(c.original);
    const Json before = original;
    Result<Json> got = strategic_merge_patch(original, yaml(c.patch), merge_item());
    ASSERT_FALSE(got.ok()) << to_yaml(*got);
    EXPECT_EQ(got.error().code, c.code);
    EXPECT_EQ(got.error().message, c.message);
    EXPECT_EQ(original, before);
  }
}

TEST(StrategicMergePatch, NullPatchChangesNothing) {
  Json original = yaml("{name: a, mergingList: [{name: 1}]}");
  Result<Json> got = strategic_merge_patch(original, Json(), merge_item());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, original);
}

// Without a schema at all maps still merge and lists are replaced.
TEST(StrategicMergePatch, NoSchemaMergesMapsAndReplacesLists) {
  Result<Json> got = strategic_merge_patch(yaml("{a: {b: 1, c: 2}, l: [1, 2]}"),
                                           yaml("{a: {b: null, d: 3}, l: [3]}"), nullptr);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, yaml("{a: {c: 2, d: 3}, l: [3]}"));
}

// Lists of many thousand elements merge in near-linear time (a hostile patch must not pin a core).
TEST(StrategicMergePatch, LongListsMerge) {
  Json original = Json::object();
  Json patch = Json::object();
  Json& live = original["mergingList"] = Json::array();
  Json& add = patch["mergingList"] = Json::array();
  Json& order = patch["$setElementOrder/mergingList"] = Json::array();
  for (int i = 0; i < 20000; ++i) {
    live.push_back({{"name", std::to_string(i)}});
    order.push_back({{"name", std::to_string(20000 + i)}});
    order.push_back({{"name", std::to_string(i)}});
    add.push_back({{"name", std::to_string(20000 + i)}, {"value", "v"}});
  }
  Result<Json> got = strategic_merge_patch(original, patch, merge_item());
  ASSERT_TRUE(got.ok()) << got.error().message;
  const Json& list = (*got)["mergingList"];
  ASSERT_EQ(list.size(), 40000u);
  EXPECT_EQ(list[0], Json({{"name", "20000"}, {"value", "v"}}));
  EXPECT_EQ(list[1], Json({{"name", "0"}}));
  EXPECT_EQ(list[39999], Json({{"name", "19999"}}));
}

}  // namespace
}  // namespace bosun::api
