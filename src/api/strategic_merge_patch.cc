// Strategic merge patch, applied as apimachinery's StrategicMergeMapPatch applies it on the server
// (MergeParallelList and IgnoreUnmatchedNulls both on). The structure follows Kubernetes' so that
// its behaviour carries over case by case: merge_map is mergeMap, merge_list is mergeSlice,
// merge_with_element_order is mergePatchIntoOriginal, normalize is normalizeElementOrder.
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/patch.h"
#include "api/patch_internal.h"

namespace bosun::api {
namespace {

using patch_internal::cannot_unmarshal;
using patch_internal::go_equal;
using patch_internal::go_format_s;
using patch_internal::go_format_v;
using patch_internal::go_kind;
using patch_internal::go_type_name;
using patch_internal::GoKind;
using patch_internal::KeyIndex;

constexpr std::string_view kDirectiveMarker = "$patch";
constexpr std::string_view kDeleteDirective = "delete";
constexpr std::string_view kReplaceDirective = "replace";
constexpr std::string_view kMergeDirective = "merge";
constexpr std::string_view kRetainKeysDirective = "$retainKeys";
constexpr std::string_view kDeleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList";
constexpr std::string_view kSetElementOrderPrefix = "$setElementOrder";

// mergepatch's sentinel errors; kube-apiserver answers the first three with 400 BadRequest and the
// last with 422 (interpretStrategicMergePatchError).
constexpr std::string_view kBadPrimitiveList = "invalid patch format of primitive list";
constexpr std::string_view kBadRetainKeys = "invalid patch format of retainKeys";
constexpr std::string_view kBadSetElementOrder = "invalid patch format of setElementOrder list";
constexpr std::string_view kNoListOfLists = "lists of lists are not supported";

constexpr std::string_view kGoMapType = "map[string]interface {}";
constexpr std::string_view kGoSliceType = "[]interface {}";

bool is_string(const Json& v, std::string_view s) {
  return v.is_string() && v.get_ref<const std::string&>() == s;
}

bool has_directive(const Json& v) { return v.is_object() && v.contains(kDirectiveMarker); }

// A list element carrying `$patch: delete`.
bool is_delete_element(const Json& v) {
  if (!v.is_object()) return false;
  auto it = v.find(kDirectiveMarker);
  return it != v.end() && is_string(*it, kDeleteDirective);
}

// What the schema says of one field, as LookupPatchMetadataForStruct reads Go struct tags: its type
// (nullptr where the schema knows nothing), patch strategy and merge key.
struct FieldMeta {
  const TypeRef* type = nullptr;
  bool merge = false;
  bool replace = false;
  std::string_view merge_key;
};

FieldMeta lookup(const TypeRef* parent, std::string_view key) {
  FieldMeta m;
  if (parent == nullptr) return m;
  if (parent->kind == ValueKind::kMap) {
    // Go map types carry no patch metadata; their values have the element type.
    m.type = parent->element;
    return m;
  }
  const SchemaField* f = parent->field(key);
  if (f == nullptr) return m;
  m.type = f->type;
  m.merge = f->patch_strategy == PatchStrategy::kMerge ||
            f->patch_strategy == PatchStrategy::kMergeRetainKeys;
  m.replace = f->patch_strategy == PatchStrategy::kReplace;
  m.merge_key = f->merge_key;
  return m;
}

const TypeRef* element_type(const TypeRef* t) {
  return t != nullptr && t->kind == ValueKind::kArray ? t->element : nullptr;
}

// reflect.Kind of a list's element type, as PatchMetaFromStruct.Name() reports it in "cannot merge
// lists without merge key for struct".
std::string_view element_kind_name(const TypeRef* elem) {
  if (elem == nullptr) return "interface";
  switch (elem->kind) {
    case ValueKind::kString:
      return "string";
    case ValueKind::kInt32:
      return "int32";
    case ValueKind::kInt64:
      return "int64";
    case ValueKind::kNumber:
      return "float64";
    case ValueKind::kBoolean:
      return "bool";
    case ValueKind::kByte:
    case ValueKind::kArray:
      return "slice";
    case ValueKind::kMap:
      return "map";
    default:
      return "struct";
  }
}

// discardNullValuesFromPatch: drops null-valued keys everywhere below v (null list elements stay).
void discard_nulls(Json& v) {
  if (v.is_object()) {
    auto& obj = v.get_ref<Json::object_t&>();
    for (auto it = obj.begin(); it != obj.end();) {
      if (it->second.is_null()) {
        it = obj.erase(it);
      } else {
        discard_nulls(it->second);
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (Json& e : v.get_ref<Json::array_t&>()) discard_nulls(e);
  }
}

// removeDirectives: false when v is itself a `$patch` map (it must then not be stored at all);
// otherwise strips such maps from below v. Kubernetes leaves the other directive keys
// ($retainKeys, $setElementOrder/..., $deleteFromPrimitiveList/...) of a subtree the original does
// not have in the result, where decoding into the typed object then drops them (or reports them
// as unknown fields under fieldValidation=Strict); since Bosun keeps objects as JSON, they are
// dropped here.
bool remove_directives(Json& v) {
  if (v.is_object()) {
    if (v.contains(kDirectiveMarker)) return false;
    auto& obj = v.get_ref<Json::object_t&>();
    for (auto it = obj.begin(); it != obj.end();) {
      std::string_view k = it->first;
      if (k == kRetainKeysDirective || k.starts_with(kSetElementOrderPrefix) ||
          k.starts_with(kDeleteFromPrimitiveListPrefix) || !remove_directives(it->second)) {
        it = obj.erase(it);
      } else {
        ++it;
      }
    }
  } else if (v.is_array()) {
    auto& arr = v.get_ref<Json::array_t&>();
    arr.erase(std::remove_if(arr.begin(), arr.end(), [](Json& e) { return !remove_directives(e); }),
              arr.end());
  }
  return true;
}

// Positions of list elements by the key that orders them (the merge key's value for lists of maps,
// the element itself for lists of scalars), and the first element that has no such key, which
// normalizeSliceOrder's validateMergeKeyInLists reports.
struct OrderList {
  KeyIndex index;
  std::optional<Error> invalid;
  // The first element that is not a map: findMapInSliceBasedOnKeyValue fails on it ("value for
  // key 2 is not a map.") when it meets it before a match.
  long first_non_map = -1;
  // Positions at or past `limit` belong to elements appended after the order was taken.
  long limit = LONG_MAX;

  long position(const Json& key) const {
    long p = index.find(key);
    return p < limit ? p : -1;
  }
};

Error no_merge_key_error(const Json& m, std::string_view key) {
  return Error{ErrorCode::kInternal,
               fmt::format("map: {} does not contain declared merge key: {}", go_format_v(m), key),
               {}};
}

Error bad_arg_type_error(std::string_view expected, const Json& actual) {
  return Error{ErrorCode::kInternal,
               fmt::format("expected a {}, but received a {}", expected, go_type_name(actual)),
               {}};
}

// The key of one element for ordering; for maps the caller has checked the merge key is present.
const Json& order_key(const Json& e, bool maps, std::string_view merge_key) {
  if (!maps) return e;
  return e.get_ref<const Json::object_t&>().find(merge_key)->second;
}

// A value that compares equal to nothing, standing in for elements without a usable key.
const Json& unmatchable() {
  static const Json kObject = Json::object();
  return kObject;
}

void add_to_order(OrderList& order, const Json& e, bool maps, std::string_view merge_key) {
  if (!maps) {
    order.index.add(e);
    return;
  }
  if (!e.is_object()) {
    if (!order.invalid) order.invalid = bad_arg_type_error(kGoMapType, e);
    if (order.first_non_map < 0) order.first_non_map = static_cast<long>(order.index.size());
    order.index.add(unmatchable());
    return;
  }
  auto it = e.get_ref<const Json::object_t&>().find(merge_key);
  if (it == e.get_ref<const Json::object_t&>().end()) {
    if (!order.invalid) order.invalid = no_merge_key_error(e, merge_key);
    order.index.add(unmatchable());
    return;
  }
  order.index.add(it->second);
}

OrderList make_order(const Json::array_t& list, bool maps, std::string_view merge_key) {
  OrderList order;
  for (const Json& e : list) add_to_order(order, e, maps, merge_key);
  return order;
}

OrderList make_order(const std::vector<const Json*>& list, bool maps, std::string_view merge_key) {
  OrderList order;
  for (const Json* e : list) add_to_order(order, *e, maps, merge_key);
  return order;
}

// sliceElementType's verdict on the elements of one or two lists.
struct ElementKind {
  GoKind kind = GoKind::kNil;
  std::optional<Error> error;
};

ElementKind slice_element_kind(const Json::array_t& a, const Json::array_t& b) {
  ElementKind out;
  bool first = true;
  for (const Json::array_t* list : {&a, &b}) {
    for (const Json& e : *list) {
      GoKind k = go_kind(e);
      if (first) {
        first = false;
        out.kind = k;
        // Go calls Kind() on the nil reflect.Type of a null first element and panics; the server
        // recovers with a 500.
        if (k == GoKind::kNil) {
          out.error = Error{ErrorCode::kInternal,
                            "runtime error: invalid memory address or nil pointer dereference",
                            {}};
          return out;
        }
        if (k == GoKind::kSlice) {
          out.error = Error{ErrorCode::kInvalid, std::string(kNoListOfLists), {}};
          return out;
        }
      } else if (k != out.kind) {
        out.error = Error{ErrorCode::kInternal,
                          fmt::format("list element types are not identical: [{} {}]",
                                      go_format_v(Json(a)), go_format_v(Json(b))),
                          {}};
        return out;
      }
    }
  }
  if (first) {
    out.error = Error{ErrorCode::kInternal, "no elements in any of the given slices", {}};
  }
  return out;
}

class Merger {
 public:
  bool merge_map(Json& original, const Json& patch, const TypeRef* type);
  Error take_error() { return std::move(error_); }

 private:
  bool fail(ErrorCode code, std::string_view message) {
    error_ = Error{code, std::string(message), {}};
    return false;
  }
  bool fail(Error e) {
    error_ = std::move(e);
    return false;
  }

  bool apply_retain_keys(Json::object_t& original, const Json::object_t& patch, const Json& retain);
  bool merge_with_element_order(Json::object_t& original, const Json::object_t& patch,
                                std::string_view directive_key, const Json& order,
                                const TypeRef* type, std::vector<std::string_view>* consumed);
  bool validate_element_order(const Json::array_t& patch_list, const Json::array_t& order,
                              std::string_view merge_key);
  bool merge_list(Json::array_t& original, const Json::array_t& patch, const TypeRef* elem,
                  std::string_view merge_key, bool delete_list, OrderList* live_view = nullptr);
  bool merge_scalar_list(Json::array_t& original, const Json::array_t& patch);
  bool merge_map_list(Json::array_t& original, const Json::array_t& patch, const TypeRef* elem,
                      std::string_view merge_key, OrderList* live_view);
  bool partition_maps(std::vector<Json>&& merged, const OrderList& by, std::string_view merge_key,
                      std::vector<Json>* present, std::vector<Json>* rest);
  bool sort_by_order(std::vector<Json>& items, const OrderList& order, bool maps,
                     std::string_view merge_key, std::vector<long>* positions);
  bool normalize(std::vector<Json>&& patch_items, std::vector<Json>&& server_only,
                 const OrderList& patch_order, const OrderList& server_order, bool maps,
                 std::string_view merge_key, Json::array_t* out);

  Error error_;
};

bool Merger::merge_map(Json& original, const Json& patch, const TypeRef* type) {
  const auto& pobj = patch.get_ref<const Json::object_t&>();
  if (auto d = pobj.find(kDirectiveMarker); d != pobj.end()) {
    if (is_string(d->second, kReplaceDirective)) {
      // The patch itself, as it is, replaces the map.
      Json replacement = patch;
      replacement.erase(std::string(kDirectiveMarker));
      original = std::move(replacement);
      return true;
    }
    if (is_string(d->second, kDeleteDirective)) {
      original = Json::object();
      return true;
    }
    return fail(ErrorCode::kInternal, fmt::format("unknown patch type: {} in map: {}",
                                                  go_format_s(d->second), go_format_v(patch)));
  }
  if (!original.is_object()) original = Json::object();
  auto& oobj = original.get_ref<Json::object_t&>();

  if (auto rk = pobj.find(kRetainKeysDirective); rk != pobj.end()) {
    if (!apply_retain_keys(oobj, pobj, rk->second)) return false;
  }

  // Lists with a $setElementOrder directive are merged and ordered first, then left alone.
  std::vector<std::string_view> consumed;  // sorted before the loop below searches it
  for (auto it = pobj.lower_bound(kSetElementOrderPrefix);
       it != pobj.end() && std::string_view(it->first).starts_with(kSetElementOrderPrefix); ++it) {
    if (!merge_with_element_order(oobj, pobj, it->first, it->second, type, &consumed)) {
      return false;
    }
  }

  std::sort(consumed.begin(), consumed.end());
  for (const auto& [raw_key, patch_v] : pobj) {
    std::string_view key = raw_key;
    if (key == kRetainKeysDirective || key.starts_with(kSetElementOrderPrefix)) continue;
    if (!consumed.empty() && std::binary_search(consumed.begin(), consumed.end(), key)) continue;
    bool delete_list = false;
    if (key.starts_with(kDeleteFromPrimitiveListPrefix)) {
      size_t slash = key.find('/');
      if (slash == std::string_view::npos ||
          key.substr(0, slash) != kDeleteFromPrimitiveListPrefix) {
        return fail(ErrorCode::kBadRequest, kBadPrimitiveList);
      }
      key = key.substr(slash + 1);
      delete_list = true;
    }
    auto oit = oobj.find(key);
    if (patch_v.is_null()) {
      // Even a null deletion list deletes the whole list, as in Kubernetes.
      if (oit != oobj.end()) oobj.erase(oit);
      continue;
    }
    if (oit == oobj.end() || go_kind(oit->second) != go_kind(patch_v)) {
      // New, or of another type: the patch value replaces, without its nulls and directives. A
      // deletion list has nothing to delete from.
      if (delete_list) continue;
      Json v = patch_v;
      discard_nulls(v);
      bool keep = remove_directives(v);
      if (oit == oobj.end()) {
        if (keep) oobj.emplace(std::string(key), std::move(v));
      } else if (keep) {
        oit->second = std::move(v);
      } else {
        oobj.erase(oit);
      }
      continue;
    }
    Json& cur = oit->second;
    switch (go_kind(cur)) {
      case GoKind::kMap: {
        FieldMeta m = lookup(type, key);
        if (m.replace) {
          cur = patch_v;
        } else if (!merge_map(cur, patch_v, m.type)) {
          return false;
        }
        break;
      }
      case GoKind::kSlice: {
        FieldMeta m = lookup(type, key);
        // Deletion lists apply whatever the field's strategy, as in Kubernetes.
        if (m.merge || delete_list) {
          if (!merge_list(cur.get_ref<Json::array_t&>(), patch_v.get_ref<const Json::array_t&>(),
                          element_type(m.type), m.merge_key, delete_list)) {
            return false;
          }
        } else {
          cur = patch_v;
        }
        break;
      }
      default:
        cur = patch_v;
        break;
    }
  }
  return true;
}

bool Merger::apply_retain_keys(Json::object_t& original, const Json::object_t& patch,
                               const Json& retain) {
  if (!retain.is_array()) return fail(ErrorCode::kBadRequest, kBadRetainKeys);
  std::vector<std::string_view> keep;
  for (const Json& e : retain.get_ref<const Json::array_t&>()) {
    if (e.is_string()) keep.push_back(e.get_ref<const std::string&>());
  }
  std::sort(keep.begin(), keep.end());
  auto retained = [&](std::string_view k) {
    return std::binary_search(keep.begin(), keep.end(), k);
  };
  // Every field the patch sets must be retained.
  for (const auto& [k, v] : patch) {
    std::string_view key = k;
    if (key == kRetainKeysDirective || v.is_null() ||
        key.starts_with(kDeleteFromPrimitiveListPrefix) ||
        key.starts_with(kSetElementOrderPrefix)) {
      continue;
    }
    if (!retained(key)) return fail(ErrorCode::kBadRequest, kBadRetainKeys);
  }
  for (auto it = original.begin(); it != original.end();) {
    if (retained(it->first)) {
      ++it;
    } else {
      it = original.erase(it);
    }
  }
  return true;
}

// validatePatchWithSetOrderList: the patch list's elements (deletions aside) must appear in the
// $setElementOrder list, in the same relative order.
bool Merger::validate_element_order(const Json::array_t& patch_list, const Json::array_t& order,
                                    std::string_view merge_key) {
  if (order.empty() || patch_list.empty()) return true;
  std::vector<const Json*> non_delete;
  for (const Json& e : patch_list) {
    if (!merge_key.empty()) {
      if (!e.is_object()) return fail(bad_arg_type_error(kGoMapType, e));
      if (is_delete_element(e)) continue;
    }
    non_delete.push_back(&e);
  }
  size_t p = 0, s = 0;
  while (p < non_delete.size() && s < order.size()) {
    const Json& item = *non_delete[p];
    if (has_directive(item)) {
      ++p;
      continue;
    }
    bool equal = false;
    if (merge_key.empty()) {
      equal = go_equal(item, order[s]);
    } else {
      const Json& right = order[s];
      if (!item.is_object()) return fail(bad_arg_type_error(kGoMapType, item));
      if (!right.is_object()) return fail(bad_arg_type_error(kGoMapType, right));
      auto l = item.find(merge_key);
      if (l == item.end()) return fail(no_merge_key_error(item, merge_key));
      auto r = right.find(merge_key);
      if (r == right.end()) return fail(no_merge_key_error(right, merge_key));
      equal = go_equal(*l, *r);
    }
    if (equal) ++p;
    ++s;
  }
  if (p < non_delete.size() && s >= order.size()) {
    return fail(ErrorCode::kInternal,
                fmt::format("The order in patch list:\n{}\n doesn't match {} list:\n{}\n",
                            go_format_v(Json(patch_list)), kSetElementOrderPrefix,
                            go_format_v(Json(order))));
  }
  return true;
}

bool Merger::merge_with_element_order(Json::object_t& original, const Json::object_t& patch,
                                      std::string_view directive_key, const Json& order,
                                      const TypeRef* type,
                                      std::vector<std::string_view>* consumed) {
  if (!order.is_array()) return fail(bad_arg_type_error(kGoSliceType, order));
  size_t slash = directive_key.find('/');
  if (slash == std::string_view::npos || directive_key.substr(0, slash) != kSetElementOrderPrefix) {
    return fail(ErrorCode::kBadRequest, kBadSetElementOrder);
  }
  std::string_view key = directive_key.substr(slash + 1);
  static const Json::array_t kNone;
  auto oit = original.find(key);
  auto pit = patch.find(key);
  bool found_original = oit != original.end();
  bool found_patch = pit != patch.end();
  if (found_original && !oit->second.is_array()) {
    return fail(bad_arg_type_error(kGoSliceType, oit->second));
  }
  if (found_patch && !pit->second.is_array()) {
    return fail(bad_arg_type_error(kGoSliceType, pit->second));
  }
  FieldMeta meta = lookup(type, key);
  const auto& order_list = order.get_ref<const Json::array_t&>();
  const Json::array_t& patch_list =
      found_patch ? pit->second.get_ref<const Json::array_t&>() : kNone;
  if (!validate_element_order(patch_list, order_list, meta.merge_key)) return false;
  if (!found_original && !found_patch) return true;

  const Json::array_t& original_list =
      found_original ? oit->second.get_ref<const Json::array_t&>() : kNone;
  // Taken before the merge changes the list: its element kind and the live order.
  ElementKind kind = slice_element_kind(original_list, patch_list);
  bool maps = kind.kind == GoKind::kMap;
  bool merging = found_original && found_patch && meta.merge;
  OrderList server_order;
  if (!(merging && maps)) server_order = make_order(original_list, maps, meta.merge_key);

  Json::array_t merged;
  if (found_original && !found_patch) {
    merged = std::move(oit->second.get_ref<Json::array_t&>());
  } else if (!found_original) {
    Json v = pit->second;
    remove_directives(v);
    merged = std::move(v.get_ref<Json::array_t&>());
  } else {
    merged = std::move(oit->second.get_ref<Json::array_t&>());
    if (meta.merge) {
      // Kubernetes orders the server-only elements below by its slice of the live list, which
      // the merge has overwritten in place (mergePatchIntoOriginal's originalFieldValue): deleted
      // elements gone, the first new ones in their place. Its tests pin the resulting order.
      OrderList live_view;
      if (!merge_list(merged, patch_list, element_type(meta.type), meta.merge_key, false,
                      maps ? &live_view : nullptr)) {
        return false;
      }
      if (maps) server_order = std::move(live_view);
    } else {
      merged = patch_list;
    }
  }

  // Elements named in $setElementOrder take its order; the rest keep their live order.
  // The $setElementOrder list indexed as normalize sorts by it; the partition looks elements up by
  // merge key (or, without one, as themselves), which is the same index unless the list's
  // elements do not fit its merge key.
  OrderList element_order = make_order(order_list, maps, meta.merge_key);
  std::optional<OrderList> partition_order;
  bool by_merge_key = !meta.merge_key.empty();
  if (by_merge_key != maps) partition_order = make_order(order_list, by_merge_key, meta.merge_key);
  const OrderList& by = partition_order ? *partition_order : element_order;
  std::vector<Json> present, rest;
  if (!by_merge_key) {
    for (Json& e : merged) (by.index.find(e) >= 0 ? present : rest).push_back(std::move(e));
  } else {
    std::vector<Json> all(std::make_move_iterator(merged.begin()),
                          std::make_move_iterator(merged.end()));
    if (!partition_maps(std::move(all), by, meta.merge_key, &present, &rest)) return false;
  }
  if (kind.error) return fail(std::move(*kind.error));
  Json::array_t result;
  if (!normalize(std::move(present), std::move(rest), element_order, server_order, maps,
                 meta.merge_key, &result)) {
    return false;
  }
  if (found_original) {
    oit->second = Json(std::move(result));
  } else {
    original.emplace(std::string(key), Json(std::move(result)));
  }
  consumed->push_back(key);
  return true;
}

bool Merger::merge_list(Json::array_t& original, const Json::array_t& patch, const TypeRef* elem,
                        std::string_view merge_key, bool delete_list, OrderList* live_view) {
  if (original.empty() && patch.empty()) return true;
  ElementKind kind = slice_element_kind(original, patch);
  if (kind.error) return fail(std::move(*kind.error));
  if (kind.kind != GoKind::kMap) {
    if (delete_list) {
      KeyIndex doomed;
      for (const Json& e : patch) doomed.add(e);
      original.erase(std::remove_if(original.begin(), original.end(),
                                    [&](const Json& e) { return doomed.find(e) >= 0; }),
                     original.end());
      return true;
    }
    return merge_scalar_list(original, patch);
  }
  if (merge_key.empty()) {
    return fail(ErrorCode::kInternal, fmt::format("cannot merge lists without merge key for {}",
                                                  element_kind_name(elem)));
  }
  return merge_map_list(original, patch, elem, merge_key, live_view);
}

// Lists of scalars with patch strategy merge are sets: the union, ordered as the patch lists its
// elements, with the live elements the patch does not name kept in their places.
bool Merger::merge_scalar_list(Json::array_t& original, const Json::array_t& patch) {
  OrderList server_order = make_order(original, false, {});
  OrderList patch_order = make_order(patch, false, {});
  KeyIndex seen;
  std::vector<Json> present, rest;
  auto place = [&](Json&& e) {
    if (seen.find(e) >= 0) return;
    seen.add(e);
    (patch_order.index.find(e) >= 0 ? present : rest).push_back(std::move(e));
  };
  for (Json& e : original) place(std::move(e));
  for (const Json& e : patch) place(Json(e));
  Json::array_t result;
  if (!normalize(std::move(present), std::move(rest), patch_order, server_order, false, {},
                 &result)) {
    return false;
  }
  original = std::move(result);
  return true;
}

// live_view, when given, receives the order keys of what Kubernetes' caller still sees through its
// own slice of the live list afterwards (see merge_with_element_order).
bool Merger::merge_map_list(Json::array_t& original, const Json::array_t& patch,
                            const TypeRef* elem, std::string_view merge_key, OrderList* live_view) {
  // mergeSliceWithSpecialElements: `$patch: delete` elements remove every live element with
  // their merge key, `$patch: replace` makes the other patch elements the whole list.
  std::vector<const Json*> plain;
  KeyIndex deletions;
  bool replace = false;
  for (const Json& v : patch) {
    auto d = v.find(kDirectiveMarker);
    if (d == v.end()) {
      plain.push_back(&v);
    } else if (is_string(*d, kDeleteDirective)) {
      auto mv = v.find(merge_key);
      if (mv == v.end()) return fail(no_merge_key_error(v, merge_key));
      deletions.add(*mv);
    } else if (is_string(*d, kReplaceDirective)) {
      replace = true;
    } else if (is_string(*d, kMergeDirective)) {
      return fail(ErrorCode::kInternal, "merging lists cannot yet be specified in the patch");
    } else {
      return fail(ErrorCode::kInternal, fmt::format("unknown patch type: {} in map: {}",
                                                    go_format_s(*d), go_format_v(v)));
    }
  }
  size_t deleted = 0;
  if (deletions.size() > 0) {
    size_t before = original.size();
    original.erase(std::remove_if(original.begin(), original.end(),
                                  [&](const Json& e) {
                                    auto k = e.find(merge_key);
                                    return k != e.end() && deletions.find(*k) >= 0;
                                  }),
                   original.end());
    deleted = before - original.size();
  }
  if (live_view != nullptr) {
    for (const Json& e : original) add_to_order(*live_view, e, true, merge_key);
  }
  if (replace) {
    Json::array_t fresh;
    fresh.reserve(plain.size());
    for (const Json* p : plain) fresh.push_back(*p);
    original = std::move(fresh);
    plain.clear();
  }
  // The live order, and (past its limit) where appended elements went.
  OrderList server_order = make_order(original, true, merge_key);
  server_order.limit = static_cast<long>(original.size());

  // mergeSliceWithoutSpecialElements: merge into the first live element with the same merge key,
  // or append.
  for (const Json* p : plain) {
    auto mv = p->find(merge_key);
    if (mv == p->end()) return fail(no_merge_key_error(*p, merge_key));
    long i = server_order.index.find(*mv);
    if (i >= 0) {
      if (!merge_map(original[static_cast<size_t>(i)], *p, elem)) return false;
    } else {
      original.push_back(*p);
      server_order.index.add(*mv);
      // Go deletes in place and appends into the freed tail of the same array, so the first
      // appended elements show through the caller's view of the live list.
      if (live_view != nullptr && !replace && deleted > 0) {
        add_to_order(*live_view, *p, true, merge_key);
        --deleted;
      }
    }
  }

  OrderList patch_order = make_order(plain, true, merge_key);
  std::vector<Json> present, rest;
  std::vector<Json> merged(std::make_move_iterator(original.begin()),
                           std::make_move_iterator(original.end()));
  if (!partition_maps(std::move(merged), patch_order, merge_key, &present, &rest)) return false;
  Json::array_t result;
  if (!normalize(std::move(present), std::move(rest), patch_order, server_order, true, merge_key,
                 &result)) {
    return false;
  }
  original = std::move(result);
  return true;
}

// partitionMapsByPresentInList.
bool Merger::partition_maps(std::vector<Json>&& merged, const OrderList& by,
                            std::string_view merge_key, std::vector<Json>* present,
                            std::vector<Json>* rest) {
  for (Json& e : merged) {
    if (!e.is_object()) return fail(bad_arg_type_error(kGoMapType, e));
    auto k = e.find(merge_key);
    if (k == e.end()) return fail(no_merge_key_error(e, merge_key));
    long pos = by.index.find(*k);
    if (by.first_non_map >= 0 && (pos < 0 || by.first_non_map < pos)) {
      return fail(ErrorCode::kInternal,
                  fmt::format("value for key {} is not a map.", by.first_non_map));
    }
    (pos >= 0 ? present : rest)->push_back(std::move(e));
  }
  return true;
}

// normalizeSliceOrder: sorts items stably by their position in `order`, elements `$patch: delete`
// last. Every element of both (for lists of maps) must carry the merge key. `positions`, when
// given, receives each sorted element's position in `order` (-1 when absent).
bool Merger::sort_by_order(std::vector<Json>& items, const OrderList& order, bool maps,
                           std::string_view merge_key, std::vector<long>* positions) {
  std::vector<Json> deletes;
  if (maps) {
    for (const Json& e : items) {
      if (!e.is_object()) return fail(bad_arg_type_error(kGoMapType, e));
      if (!e.contains(merge_key)) return fail(no_merge_key_error(e, merge_key));
    }
    if (order.invalid) return fail(*order.invalid);
    auto split = std::stable_partition(items.begin(), items.end(),
                                       [](const Json& e) { return !is_delete_element(e); });
    deletes.assign(std::make_move_iterator(split), std::make_move_iterator(items.end()));
    items.erase(split, items.end());
  }
  // Kubernetes' comparator puts elements missing from `order` anywhere; none are missing in the
  // cases it produces, and here they sort last.
  std::vector<std::pair<long, size_t>> keys;
  keys.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    long pos = order.position(order_key(items[i], maps, merge_key));
    keys.emplace_back(pos < 0 ? LONG_MAX : pos, i);
  }
  std::stable_sort(keys.begin(), keys.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  bool in_order = true;
  for (size_t i = 0; i < keys.size(); ++i) in_order &= keys[i].second == i;
  if (!in_order) {
    std::vector<Json> sorted;
    sorted.reserve(items.size());
    for (const auto& k : keys) sorted.push_back(std::move(items[k.second]));
    items = std::move(sorted);
  }
  if (positions != nullptr) {
    positions->clear();
    for (const auto& k : keys) positions->push_back(k.first == LONG_MAX ? -1 : k.first);
    for (const Json& d : deletes)
      positions->push_back(order.position(order_key(d, maps, merge_key)));
  }
  for (Json& d : deletes) items.push_back(std::move(d));
  return true;
}

// normalizeElementOrder: patch elements in the patch's order, live-only elements in the live
// order, merged so that a live-only element goes before a patch element when both are live and it
// came first (mergeSortedSlice); new patch elements thus land before the live-only ones after
// them.
bool Merger::normalize(std::vector<Json>&& patch_items, std::vector<Json>&& server_only,
                       const OrderList& patch_order, const OrderList& server_order, bool maps,
                       std::string_view merge_key, Json::array_t* out) {
  // Live positions of both sides; the server-only side's come out of its own sort.
  std::vector<long> left, right;
  if (!sort_by_order(patch_items, patch_order, maps, merge_key, nullptr)) return false;
  if (!sort_by_order(server_only, server_order, maps, merge_key, &left)) return false;
  right.reserve(patch_items.size());
  for (const Json& e : patch_items) {
    right.push_back(server_order.position(order_key(e, maps, merge_key)));
  }
  out->clear();
  out->reserve(patch_items.size() + server_only.size());
  size_t i = 0, j = 0;
  while (i < server_only.size() && j < patch_items.size()) {
    long li = left[i];
    long ri = right[j];
    if (li >= 0 && ri >= 0 && li < ri) {
      out->push_back(std::move(server_only[i++]));
    } else {
      out->push_back(std::move(patch_items[j++]));
    }
  }
  for (; i < server_only.size(); ++i) out->push_back(std::move(server_only[i]));
  for (; j < patch_items.size(); ++j) out->push_back(std::move(patch_items[j]));
  return true;
}

}  // namespace

Result<Json> strategic_merge_patch(Json original, const Json& patch, const TypeRef* type) {
  if (patch.is_null()) return original;
  if (!patch.is_object()) {
    return make_error(ErrorCode::kBadRequest, cannot_unmarshal(patch, kGoMapType));
  }
  Merger merger;
  if (!merger.merge_map(original, patch, type)) return merger.take_error();
  return original;
}

Result<Json> strategic_merge_patch(Json original, const Json& patch, const SchemaType& type) {
  return strategic_merge_patch(std::move(original), patch, &type.ref());
}

}  // namespace bosun::api
