#include "api/structured_merge.h"

#include <algorithm>
#include <optional>
#include <string_view>

#include "common/field_errors.h"

namespace bosun::api {
namespace {

// What structured-merge-diff calls an atom: how a position is walked.
enum class AtomKind : uint8_t { kScalar, kUntyped, kDeduced, kList, kMap, kStruct };
enum class ListKind : uint8_t { kAtomic, kSet, kMap };

// A place in the schema: the type, and for a struct field the field (whose attributes carry the
// list and map types). A null type is deduced from the value.
struct Position {
  const TypeRef* type = nullptr;
  const SchemaField* field = nullptr;
};

struct Atom {
  AtomKind kind = AtomKind::kDeduced;
  bool atomic = false;
  ListKind list = ListKind::kAtomic;
  const std::string* keys = nullptr;  // list-map key names
  size_t key_count = 0;
  const TypeRef* element = nullptr;  // list and map elements; null: deduced
  const SchemaType* type = nullptr;  // structs
};

constexpr Atom kDeducedMap{AtomKind::kMap, false, ListKind::kAtomic, nullptr, 0, nullptr, nullptr};

const Json& empty_object() {
  static const Json v = Json::object();
  return v;
}
const Json& null_json() {
  static const Json v;
  return v;
}

// kube-openapi's conversion of a schema to SMD's: x-kubernetes-list-type decides, else a merge
// patch strategy makes the list associative (keyed by the merge key, or a set of scalars), else the
// list is atomic.
void list_semantics(const SchemaField* f, Atom* a) {
  a->list = ListKind::kAtomic;
  if (!f) return;
  switch (f->list_type) {
    case ListType::kAtomic:
      return;
    case ListType::kSet:
      a->list = ListKind::kSet;
      return;
    case ListType::kMap:
      if (f->list_map_keys.empty()) {
        a->list = ListKind::kSet;
      } else {
        a->list = ListKind::kMap;
        a->keys = f->list_map_keys.data();
        a->key_count = f->list_map_keys.size();
      }
      return;
    case ListType::kNone:
      break;
  }
  if (f->patch_strategy == PatchStrategy::kMerge ||
      f->patch_strategy == PatchStrategy::kMergeRetainKeys) {
    if (f->merge_key.empty()) {
      a->list = ListKind::kSet;
    } else {
      a->list = ListKind::kMap;
      a->keys = &f->merge_key;
      a->key_count = 1;
    }
  }
}

Atom resolve(Position p) {
  Atom a;
  if (!p.type) return a;
  switch (p.type->kind) {
    case ValueKind::kAny:
      a.kind = p.field && p.field->preserve_unknown ? AtomKind::kDeduced : AtomKind::kUntyped;
      return a;
    case ValueKind::kArray:
      a.kind = AtomKind::kList;
      a.element = p.type->element;
      list_semantics(p.field, &a);
      a.atomic = a.list == ListKind::kAtomic;
      return a;
    case ValueKind::kMap:
      a.kind = AtomKind::kMap;
      a.element = p.type->element;
      a.atomic = p.field && p.field->map_type == MapType::kAtomic;
      return a;
    case ValueKind::kObject:
      if (!p.type->named ||
          (p.type->named->fields().empty() && p.type->named->preserve_unknown())) {
        return a;  // deduced
      }
      a.kind = AtomKind::kStruct;
      a.type = p.type->named;
      a.atomic = a.type->atomic();
      return a;
    default:
      a.kind = AtomKind::kScalar;
      return a;
  }
}

Position root_position(const SchemaType* root) {
  return root ? Position{&root->ref(), nullptr} : Position{};
}

// The position of entry `key` of a struct or map; `declared` tells whether it is a struct field.
Position entry_position(const Atom& a, const std::string& key, bool* declared) {
  *declared = false;
  if (a.kind == AtomKind::kStruct) {
    if (const SchemaField* f = a.type->field(key)) {
      *declared = true;
      return {f->type, f};
    }
    return {};  // a field the schema does not know: deduced
  }
  if (a.kind == AtomKind::kMap) return {a.element, nullptr};
  return {};
}

Position item_position(const Atom& a) { return {a.element, nullptr}; }

bool empty_or_null(const Json* v) {
  return !v || v->is_null() || ((v->is_object() || v->is_array()) && v->empty());
}
bool object_like(const Json* v) { return !v || v->is_null() || v->is_object(); }
bool array_like(const Json* v) { return !v || v->is_null() || v->is_array(); }

const Json* key_default(const Atom& a, const std::string& key) {
  if (!a.element || !a.element->named) return nullptr;
  const SchemaField* f = a.element->named->field(key);
  return f && f->default_value ? &*f->default_value : nullptr;
}

// listItemToPathElement for associative lists; nullopt with SMD's message when the item has none.
std::optional<PathElement> item_element(const Atom& a, const Json& item, std::string* error) {
  if (a.list == ListKind::kMap) {
    if (item.is_null()) {
      *error = "associative list with keys may not have a null element";
      return std::nullopt;
    }
    if (!item.is_object()) {
      *error = "associative list with keys may not have non-map elements";
      return std::nullopt;
    }
    PathElement::KeyFields fields;
    fields.reserve(a.key_count);
    for (size_t i = 0; i < a.key_count; ++i) {
      const std::string& k = a.keys[i];
      if (auto it = item.find(k); it != item.end()) {
        fields.emplace_back(k, *it);
      } else if (const Json* d = key_default(a, k)) {
        // A key field left out takes its schema default (ports' protocol "TCP"), as SMD does.
        fields.emplace_back(k, *d);
      } else {
        *error = "associative list with keys has an element that omits key field " + go_quote(k) +
                 " (and doesn't have default value)";
        return std::nullopt;
      }
    }
    return PathElement::key(std::move(fields));
  }
  if (item.is_object()) {
    *error = "associative list without keys has an element that's a map type";
    return std::nullopt;
  }
  if (item.is_array()) {
    *error = "not supported: associative list with lists as elements";
    return std::nullopt;
  }
  if (item.is_null()) {
    *error = "associative list without keys has an element that's an explicit null";
    return std::nullopt;
  }
  return PathElement::value(item);
}

// Calls f(key, left value or null, right value or null) over the union of the keys of two objects
// (either may be null or not an object), in key order.
template <typename F>
void zip_objects(const Json* l, const Json* r, F&& f) {
  const Json& a = l && l->is_object() ? *l : empty_object();
  const Json& b = r && r->is_object() ? *r : empty_object();
  auto ia = a.begin(), ib = b.begin();
  while (ia != a.end() || ib != b.end()) {
    if (ib == b.end() || (ia != a.end() && ia.key() < ib.key())) {
      f(ia.key(), &ia.value(), nullptr);
      ++ia;
    } else if (ia == a.end() || ib.key() < ia.key()) {
      f(ib.key(), nullptr, &ib.value());
      ++ib;
    } else {
      f(ia.key(), &ia.value(), &ib.value());
      ++ia;
      ++ib;
    }
  }
}

bool is_root_metadata(const std::vector<PathStep>& path) {
  return path.size() == 1 && path[0].field && *path[0].field == "metadata";
}

// The items of a list with their elements, sorted by element, first occurrence of each; items
// without an element are left out.
struct IndexedItem {
  PathElement element;
  const Json* value;
};
std::vector<IndexedItem> index_items(const Atom& a, const Json* list) {
  std::vector<IndexedItem> out;
  if (!list || !list->is_array()) return out;
  out.reserve(list->size());
  std::string error;
  for (const Json& item : *list) {
    if (auto pe = item_element(a, item, &error)) out.push_back({std::move(*pe), &item});
  }
  std::stable_sort(out.begin(), out.end(), [](const IndexedItem& x, const IndexedItem& y) {
    return x.element < y.element;
  });
  out.erase(std::unique(
                out.begin(), out.end(),
                [](const IndexedItem& x, const IndexedItem& y) { return x.element == y.element; }),
            out.end());
  return out;
}

// Where the Go types of the Kubernetes API hold a value struct (or a non-omitempty slice), their
// zero value, and so the typed object kube-apiserver compares, has that field even when the JSON
// does not: `{}` (or null). Only the fields that lie on chains of such fields from the root matter.
enum class ZeroShape : uint8_t { kNone, kObject, kNull };
ZeroShape go_zero_shape(const SchemaType& parent, const std::string& field, const Position& child) {
  if (!parent.gvks().empty() && (field == "metadata" || field == "spec" || field == "status")) {
    return child.type && child.type->is_object() ? ZeroShape::kObject : ZeroShape::kNone;
  }
  struct Entry {
    std::string_view type, field;
    ZeroShape shape;
  };
  static constexpr Entry kValueFields[] = {
      {"io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "creationTimestamp", ZeroShape::kNull},
      {"io.k8s.api.core.v1.PodTemplateSpec", "metadata", ZeroShape::kObject},
      {"io.k8s.api.core.v1.PodTemplateSpec", "spec", ZeroShape::kObject},
      {"io.k8s.api.core.v1.PodTemplate", "template", ZeroShape::kObject},
      {"io.k8s.api.core.v1.PodSpec", "containers", ZeroShape::kNull},
      {"io.k8s.api.apps.v1.DeploymentSpec", "template", ZeroShape::kObject},
      {"io.k8s.api.apps.v1.DeploymentSpec", "strategy", ZeroShape::kObject},
      {"io.k8s.api.apps.v1.ReplicaSetSpec", "template", ZeroShape::kObject},
  };
  for (const Entry& e : kValueFields) {
    if (e.field == field && e.type == parent.full_name()) return e.shape;
  }
  return ZeroShape::kNone;
}

// ---- ToFieldSet.

class FieldSetBuilder {
 public:
  FieldSetBuilder(FieldSet* out, std::vector<std::string>* errors, bool skip_managed_fields)
      : out_(out), errors_(errors), skip_managed_fields_(skip_managed_fields) {}

  void walk(Position pos, const Json& v) {
    Atom a = resolve(pos);
    switch (a.kind) {
      case AtomKind::kScalar:
      case AtomKind::kUntyped:
        out_->insert(path_);
        return;
      case AtomKind::kDeduced:
        if (v.is_object()) {
          visit_entries(kDeducedMap, v);
        } else {
          out_->insert(path_);
        }
        return;
      case AtomKind::kList:
        if (a.atomic) {
          out_->insert(path_);
        } else if (v.is_array()) {
          visit_items(a, v);
        } else if (!v.is_null()) {
          out_->insert(path_);  // not a list: owned whole
        }
        return;
      case AtomKind::kMap:
      case AtomKind::kStruct:
        if (a.atomic) {
          out_->insert(path_);
        } else if (v.is_object()) {
          visit_entries(a, v);
        } else if (!v.is_null()) {
          out_->insert(path_);
        }
        return;
    }
  }

 private:
  void visit_entries(const Atom& a, const Json& v) {
    const bool root_meta = skip_managed_fields_ && is_root_metadata(path_);
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      if (root_meta && key == "managedFields") continue;
      bool declared = false;
      Position cp = entry_position(a, key, &declared);
      path_.push_back({&key, nullptr});
      const Json& val = it.value();
      walk(cp, val);
      // Map entries are owned themselves; struct fields only through what they hold, unless they
      // hold nothing: an applied `struct: {}` or `struct: null` is owned (SMD since v4.1).
      if (!declared || val.is_null() || (val.is_object() && val.empty())) out_->insert(path_);
      path_.pop_back();
    }
  }

  void visit_items(const Atom& a, const Json& v) {
    std::vector<PathElement> seen;
    std::string error;
    for (size_t i = 0; i < v.size(); ++i) {
      std::optional<PathElement> pe = item_element(a, v[i], &error);
      if (!pe) {
        if (errors_) {
          // SMD stops validating a list at the first item it cannot key.
          report("element " + std::to_string(i) + ": " + error);
          return;
        }
        continue;
      }
      if (errors_) {
        auto it = std::lower_bound(seen.begin(), seen.end(), *pe);
        if (it != seen.end() && *it == *pe) {
          report("duplicate entries for key " + pe->to_string());
        } else {
          seen.insert(it, *pe);
        }
      }
      path_.push_back({nullptr, &*pe});
      walk(item_position(a), v[i]);
      out_->insert(path_);
      path_.pop_back();
    }
  }

  void report(const std::string& message) {
    if (path_.empty()) {
      errors_->push_back(message);
    } else {
      errors_->push_back(field_path_string(std::span<const PathStep>(path_)) + ": " + message);
    }
  }

  FieldSet* out_;
  std::vector<std::string>* errors_;
  bool skip_managed_fields_;
  std::vector<PathStep> path_;
};

// ---- Compare.

class Comparer {
 public:
  Comparer(Comparison* out, bool skip_managed_fields)
      : out_(out), skip_managed_fields_(skip_managed_fields) {}

  // At least one of l and r is set; a null pointer is a field that is absent on that side.
  void walk(Position pos, const Json* l, const Json* r) {
    // Equal values hold no change anywhere below: skip the walk (most of an update).
    if (l && r && *l == *r) return;
    Atom a = resolve(pos);
    switch (a.kind) {
      case AtomKind::kScalar:
      case AtomKind::kUntyped:
        leaf(l, r);
        return;
      case AtomKind::kDeduced:
        if (object_like(l) && object_like(r)) {
          granular_map(kDeducedMap, l, r);
        } else {
          leaf(l, r);
        }
        return;
      case AtomKind::kList:
        // Both empty or null compares as a leaf, which keeps [] and null apart (SMD's
        // emptyPromoteToLeaf).
        if (a.atomic || !array_like(l) || !array_like(r) ||
            (empty_or_null(l) && empty_or_null(r))) {
          leaf(l, r);
          return;
        }
        visit_items(a, l, r);
        node_added_or_removed(l, r);
        return;
      case AtomKind::kMap:
      case AtomKind::kStruct:
        if (a.atomic || !object_like(l) || !object_like(r)) {
          leaf(l, r);
          return;
        }
        granular_map(a, l, r);
        return;
    }
  }

 private:
  void granular_map(const Atom& a, const Json* l, const Json* r) {
    if (empty_or_null(l) && empty_or_null(r)) {
      leaf(l, r);
      return;
    }
    visit_entries(a, l, r);
    node_added_or_removed(l, r);
  }

  void leaf(const Json* l, const Json* r) {
    if (!l) {
      out_->added.insert(path_);
    } else if (!r) {
      out_->removed.insert(path_);
    } else if (*l != *r) {
      out_->modified.insert(path_);
    }
  }

  // The post-item hook of Compare: a map, struct or list that exists on one side only is itself
  // added or removed (the `.` of fieldsV1), besides what it holds.
  void node_added_or_removed(const Json* l, const Json* r) {
    if (!l) out_->added.insert(path_);
    if (!r) out_->removed.insert(path_);
  }

  void visit_entries(const Atom& a, const Json* l, const Json* r) {
    const bool root_meta = skip_managed_fields_ && is_root_metadata(path_);
    const bool l_object = l && l->is_object(), r_object = r && r->is_object();
    zip_objects(l, r, [&](const std::string& key, const Json* lv, const Json* rv) {
      if (root_meta && key == "managedFields") return;
      bool declared = false;
      Position cp = entry_position(a, key, &declared);
      if (a.kind == AtomKind::kStruct && (!lv || !rv)) {
        ZeroShape z = go_zero_shape(*a.type, key, cp);
        if (z != ZeroShape::kNone) {
          const Json* zero = z == ZeroShape::kObject ? &empty_object() : &null_json();
          if (!lv && l_object) lv = zero;
          if (!rv && r_object) rv = zero;
        }
      }
      path_.push_back({&key, nullptr});
      walk(cp, lv, rv);
      path_.pop_back();
    });
  }

  void visit_items(const Atom& a, const Json* l, const Json* r) {
    std::vector<IndexedItem> li = index_items(a, l), ri = index_items(a, r);
    size_t i = 0, j = 0;
    const Position ep = item_position(a);
    while (i < li.size() || j < ri.size()) {
      int c = i == li.size() ? 1 : j == ri.size() ? -1 : li[i].element.compare(ri[j].element);
      const PathElement& pe = c <= 0 ? li[i].element : ri[j].element;
      path_.push_back({nullptr, &pe});
      walk(ep, c <= 0 ? li[i].value : nullptr, c >= 0 ? ri[j].value : nullptr);
      path_.pop_back();
      if (c <= 0) ++i;
      if (c >= 0) ++j;
    }
  }

  Comparison* out_;
  bool skip_managed_fields_;
  std::vector<PathStep> path_;
};

// ---- Merge.

class Merger {
 public:
  // The merged value of one position; `r` is always there (a live-only value is copied by the
  // caller).
  Json merge(Position pos, const Json* l, const Json& r) {
    if (l && *l == r) return r;
    Atom a = resolve(pos);
    switch (a.kind) {
      case AtomKind::kScalar:
      case AtomKind::kUntyped:
        return r;
      case AtomKind::kDeduced:
        if (r.is_object() && object_like(l) && !(empty_or_null(l) && r.empty())) {
          return merge_entries(kDeducedMap, l, r);
        }
        return r;
      case AtomKind::kList:
        if (a.atomic || !array_like(l) || !array_like(&r)) return r;
        // null for a granular list merges nothing in: the live items stay (SMD visits the live
        // items alone).
        if (r.is_null()) return empty_or_null(l) ? r : *l;
        if (empty_or_null(l) && r.empty()) return r;
        return merge_items(a, l, r);
      case AtomKind::kMap:
      case AtomKind::kStruct:
        if (a.atomic || !object_like(l) || !object_like(&r)) return r;
        if (r.is_null()) return empty_or_null(l) ? r : *l;
        if (empty_or_null(l) && r.empty()) return r;
        return merge_entries(a, l, r);
    }
    return r;
  }

 private:
  Json merge_entries(const Atom& a, const Json* l, const Json& r) {
    Json out = Json::object();
    zip_objects(l, &r, [&](const std::string& key, const Json* lv, const Json* rv) {
      if (!rv) {
        out[key] = *lv;
        return;
      }
      bool declared = false;
      Json v = merge(entry_position(a, key, &declared), lv, *rv);
      // A field the configuration sets to null ends up unset, as decoding into Go types leaves it.
      if (v.is_null() && rv->is_null()) return;
      out[key] = std::move(v);
    });
    return out;
  }

  // The order of the result: live items keep their places; the applied items are emitted in the
  // applied order, each run of them just before the next item both lists share (SMD's
  // visitListItems ordering).
  Json merge_items(const Atom& a, const Json* l, const Json& r) {
    static const Json kNoItems = Json::array();
    const Json& lhs = l && l->is_array() ? *l : kNoItems;
    std::string error;
    std::vector<std::optional<PathElement>> lpe, rpe;
    lpe.reserve(lhs.size());
    rpe.reserve(r.size());
    for (const Json& item : lhs) lpe.push_back(item_element(a, item, &error));
    for (const Json& item : r) rpe.push_back(item_element(a, item, &error));

    // Sorted (element, index) of the first occurrence of each element on each side.
    auto first_index = [](const std::vector<std::optional<PathElement>>& pes) {
      std::vector<std::pair<const PathElement*, size_t>> idx;
      for (size_t i = 0; i < pes.size(); ++i)
        if (pes[i]) idx.emplace_back(&*pes[i], i);
      std::stable_sort(idx.begin(), idx.end(),
                       [](const auto& x, const auto& y) { return *x.first < *y.first; });
      idx.erase(std::unique(idx.begin(), idx.end(),
                            [](const auto& x, const auto& y) { return *x.first == *y.first; }),
                idx.end());
      return idx;
    };
    auto lookup = [](const std::vector<std::pair<const PathElement*, size_t>>& idx,
                     const PathElement& pe) -> std::optional<size_t> {
      auto it = std::lower_bound(idx.begin(), idx.end(), pe,
                                 [](const auto& x, const PathElement& e) { return *x.first < e; });
      if (it != idx.end() && *it->first == pe) return it->second;
      return std::nullopt;
    };
    const auto lidx = first_index(lpe), ridx = first_index(rpe);

    // The applied items the live list also has, in applied order.
    std::vector<size_t> shared;
    for (size_t j = 0; j < r.size(); ++j) {
      if (rpe[j] && lookup(ridx, *rpe[j]) == j && lookup(lidx, *rpe[j])) shared.push_back(j);
    }
    const Position ep = item_position(a);
    std::vector<bool> emitted(r.size(), false);
    Json out = Json::array();
    auto emit_applied = [&](size_t j) {
      const Json* live = nullptr;
      if (rpe[j] && lookup(ridx, *rpe[j]) == j) {
        if (auto li = lookup(lidx, *rpe[j])) live = &lhs[*li];
      }
      out.push_back(merge(ep, live, r[j]));
      emitted[j] = true;
    };

    size_t ri = 0, si = 0;
    for (size_t li = 0; li < lhs.size(); ++li) {
      std::optional<size_t> rj = lpe[li] ? lookup(ridx, *lpe[li]) : std::nullopt;
      if (!rj) {
        out.push_back(lhs[li]);  // live only
        continue;
      }
      // A duplicate of an item the configuration names is replaced by the one merged item.
      if (lookup(lidx, *lpe[li]) != li || emitted[*rj]) continue;
      if (si < shared.size() && shared[si] == *rj) {
        for (; ri <= *rj; ++ri)
          if (!emitted[ri]) emit_applied(ri);
        while (si < shared.size() && emitted[shared[si]]) ++si;
      }
      // Otherwise a shared item out of the applied order: merged when the applied list reaches it.
    }
    for (; ri < r.size(); ++ri)
      if (!emitted[ri]) emit_applied(ri);
    return out;
  }
};

// ---- RemoveItems.

std::optional<Json> remove_walk(Position pos, const Json& v, const FieldSet& set) {
  Atom a = resolve(pos);
  if (a.kind == AtomKind::kDeduced && v.is_object()) a = kDeducedMap;
  if (a.kind == AtomKind::kList && !a.atomic && v.is_array() && !v.empty()) {
    Json out = Json::array();
    std::string error;
    const Position ep = item_position(a);
    for (const Json& item : v) {
      std::optional<PathElement> pe = item_element(a, item, &error);
      if (!pe) {
        out.push_back(item);
        continue;
      }
      if (set.has_member(*pe)) continue;
      if (const FieldSet* sub = set.child(*pe)) {
        if (auto kept = remove_walk(ep, item, *sub)) out.push_back(std::move(*kept));
      } else {
        out.push_back(item);
      }
    }
    if (out.empty()) return std::nullopt;
    return out;
  }
  if ((a.kind == AtomKind::kMap || a.kind == AtomKind::kStruct) && !a.atomic && v.is_object() &&
      !v.empty()) {
    Json out = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& key = it.key();
      PathStep step{&key, nullptr};
      if (set.has_member(step)) continue;
      if (const FieldSet* sub = set.child(step)) {
        bool declared = false;
        if (auto kept = remove_walk(entry_position(a, key, &declared), it.value(), *sub)) {
          out[key] = std::move(*kept);
        }
      } else {
        out[key] = it.value();
      }
    }
    if (out.empty()) return std::nullopt;
    return out;
  }
  return v;
}

// ---- EnsureNamedFieldsAreMembers.

void add_named_fields(Position pos, const FieldSet& set, FieldPath& prefix, FieldSet& out) {
  Atom a = resolve(pos);
  for (const auto& node : set.children()) {
    const PathElement& pe = node.element;
    Position cp;
    if (pe.kind() == PathElement::Kind::kField) {
      bool declared = false;
      cp = entry_position(a, pe.field_name(), &declared);
      if (declared) {
        prefix.push_back(pe);
        out.insert(prefix);
        prefix.pop_back();
      }
    } else if (pe.kind() == PathElement::Kind::kKey && a.kind == AtomKind::kList) {
      cp = item_position(a);
    }
    prefix.push_back(pe);
    add_named_fields(cp, node.set, prefix, out);
    prefix.pop_back();
  }
}

}  // namespace

void Comparison::exclude(const FieldSet& ignored) {
  if (ignored.empty()) return;
  added = added.recursive_difference(ignored);
  modified = modified.recursive_difference(ignored);
  removed = removed.recursive_difference(ignored);
}

FieldSet to_field_set(const SchemaType* root, const Json& value, std::vector<std::string>* errors,
                      const TypedOptions& options) {
  FieldSet out;
  FieldSetBuilder(&out, errors, options.skip_managed_fields).walk(root_position(root), value);
  return out;
}

Comparison compare(const SchemaType* root, const Json& lhs, const Json& rhs,
                   const TypedOptions& options) {
  Comparison out;
  // An object being created compares from the empty object of its type.
  const Json* l = lhs.is_null() ? &empty_object() : &lhs;
  const Json* r = rhs.is_null() ? &empty_object() : &rhs;
  Comparer(&out, options.skip_managed_fields).walk(root_position(root), l, r);
  return out;
}

Json merge(const SchemaType* root, const Json& lhs, const Json& rhs) {
  return Merger().merge(root_position(root), lhs.is_null() ? nullptr : &lhs, rhs);
}

Json remove_items(const SchemaType* root, const Json& value, const FieldSet& set) {
  if (set.empty()) return value;
  std::optional<Json> kept = remove_walk(root_position(root), value, set);
  return kept ? std::move(*kept) : Json::object();
}

FieldSet ensure_named_fields_are_members(const SchemaType* root, const FieldSet& set) {
  FieldSet out = set;
  FieldPath prefix;
  add_named_fields(root_position(root), set, prefix, out);
  return out;
}

}  // namespace bosun::api
