// RFC 7386 JSON Merge Patch as kube-apiserver applies it (evanphx/json-patch v4's MergePatch). It
// differs from nlohmann's merge_patch in where nulls are pruned: inside arrays of a newly set value
// too, but not inside an array that replaces an existing object.
#include <string>
#include <utility>

#include "api/patch.h"

namespace bosun::api {
namespace {

// The library's ErrBadJSONPatch text; kube-apiserver returns it as 400 BadRequest.
constexpr std::string_view kBadJsonPatch = "Invalid JSON Patch";

void prune_nulls(Json& v);

void prune_object_nulls(Json& obj) {
  auto& o = obj.get_ref<Json::object_t&>();
  for (auto it = o.begin(); it != o.end();) {
    if (it->second.is_null()) {
      it = o.erase(it);
    } else {
      prune_nulls(it->second);
      ++it;
    }
  }
}

// Null elements of an array stay; objects inside it lose their null members.
void prune_array_nulls(Json& arr) {
  for (Json& e : arr.get_ref<Json::array_t&>()) {
    if (!e.is_null()) prune_nulls(e);
  }
}

void prune_nulls(Json& v) {
  if (v.is_object()) {
    prune_object_nulls(v);
  } else if (v.is_array()) {
    prune_array_nulls(v);
  }
}

void merge_objects(Json& doc, const Json& patch);

void merge_value(Json& cur, const Json& patch) {
  if (!cur.is_object()) {
    Json v = patch;
    prune_nulls(v);
    cur = std::move(v);
  } else if (!patch.is_object()) {
    cur = patch;  // kept as sent, nulls included
  } else {
    merge_objects(cur, patch);
  }
}

void merge_objects(Json& doc, const Json& patch) {
  auto& d = doc.get_ref<Json::object_t&>();
  for (const auto& [k, v] : patch.get_ref<const Json::object_t&>()) {
    auto it = d.find(k);
    if (v.is_null()) {
      if (it != d.end()) d.erase(it);
    } else if (it == d.end() || it->second.is_null()) {
      Json nv = v;
      prune_nulls(nv);
      d.insert_or_assign(k, std::move(nv));
    } else {
      merge_value(it->second, v);
    }
  }
}

}  // namespace

Result<Json> merge_patch(Json document, const Json& patch) {
  if (document.is_null()) return make_error(ErrorCode::kInternal, "Invalid JSON Document");
  if (patch.is_null()) return make_error(ErrorCode::kBadRequest, std::string(kBadJsonPatch));
  if (!document.is_object() || !patch.is_object()) {
    // Not two objects: the patch, pruned, is the result, if it is an object or an array.
    if (!patch.is_object() && !patch.is_array()) {
      return make_error(ErrorCode::kBadRequest, std::string(kBadJsonPatch));
    }
    Json out = patch;
    prune_nulls(out);
    return out;
  }
  merge_objects(document, patch);
  return document;
}

}  // namespace bosun::api
