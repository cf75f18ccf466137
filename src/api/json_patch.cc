// RFC 6902 JSON Patch as kube-apiserver applies it: gopkg.in/evanphx/json-patch.v4, whose quirks
// (negative indices, replace adding a missing object key, a missing "value" meaning null) and
// error texts users meet in `kubectl patch --type=json` are reproduced here.
#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/patch.h"
#include "api/patch_internal.h"

namespace bosun::api {
namespace {

using patch_internal::cannot_unmarshal;
using patch_internal::go_atoi;

// evanphx/json-patch's sentinel errors, which its messages end with.
constexpr std::string_view kErrMissing = "missing value";
constexpr std::string_view kErrInvalidIndex = "invalid index referenced";
constexpr std::string_view kErrTestFailed = "test failed";

// An operation's string member ("path", "from"), as Operation.Path()/From() decode it.
enum class Member { kOk, kMissing, kNotString };

Member string_member(const Json& op, std::string_view name, std::string* out, std::string* err) {
  if (!op.is_object()) return Member::kMissing;
  auto it = op.find(name);
  if (it == op.end() || it->is_null()) return Member::kMissing;
  if (!it->is_string()) {
    *err = cannot_unmarshal(*it, "string");
    return Member::kNotString;
  }
  *out = it->get<std::string>();
  return Member::kOk;
}

// RFC 6901 unescaping in one left-to-right pass: "~1" is "/", then "~0" is "~".
std::string decode_token(std::string_view t) {
  std::string out;
  out.reserve(t.size());
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '~' && i + 1 < t.size() && (t[i + 1] == '1' || t[i + 1] == '0')) {
      out += t[i + 1] == '1' ? '/' : '~';
      ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

std::string invalid_index(int64_t idx) {
  return fmt::format("Unable to access invalid index: {}: {}", idx, kErrInvalidIndex);
}

// The value at `key` of a container (nullptr for a missing key or a null value, which the library
// does not tell apart), or an error for a bad array index.
bool container_get(Json& c, const std::string& key, Json** out, std::string* err) {
  *out = nullptr;
  if (c.is_object()) {
    auto it = c.find(key);
    if (it != c.end() && !it->is_null()) *out = &*it;
    return true;
  }
  auto& arr = c.get_ref<Json::array_t&>();
  int64_t idx = 0;
  if (!go_atoi(key, &idx, err)) return false;
  int64_t n = static_cast<int64_t>(arr.size());
  if (idx < 0) {
    if (idx < -n) {
      *err = invalid_index(idx);
      return false;
    }
    idx += n;
  }
  if (idx >= n) {
    *err = invalid_index(idx);
    return false;
  }
  Json& v = arr[static_cast<size_t>(idx)];
  if (!v.is_null()) *out = &v;
  return true;
}

// Only reached after container_get accepted the same key (the "replace" operation).
void container_set(Json& c, const std::string& key, Json value) {
  if (c.is_object()) {
    c[key] = std::move(value);
    return;
  }
  auto& arr = c.get_ref<Json::array_t&>();
  int64_t idx = 0;
  std::string err;
  go_atoi(key, &idx, &err);
  if (idx < 0) idx += static_cast<int64_t>(arr.size());
  arr[static_cast<size_t>(idx)] = std::move(value);
}

bool container_add(Json& c, const std::string& key, Json value, std::string* err) {
  if (c.is_object()) {
    c[key] = std::move(value);
    return true;
  }
  auto& arr = c.get_ref<Json::array_t&>();
  if (key == "-") {
    arr.push_back(std::move(value));
    return true;
  }
  int64_t idx = 0;
  std::string atoi_err;
  if (!go_atoi(key, &idx, &atoi_err)) {
    *err = fmt::format("value was not a proper array index: '{}': {}", key, atoi_err);
    return false;
  }
  int64_t size = static_cast<int64_t>(arr.size()) + 1;
  if (idx >= size) {
    *err = invalid_index(idx);
    return false;
  }
  if (idx < 0) {
    if (idx < -size) {
      *err = invalid_index(idx);
      return false;
    }
    idx += size;
  }
  arr.insert(arr.begin() + idx, std::move(value));
  return true;
}

bool container_remove(Json& c, const std::string& key, std::string* err) {
  if (c.is_object()) {
    auto& obj = c.get_ref<Json::object_t&>();
    auto it = obj.find(key);
    if (it == obj.end()) {
      *err = fmt::format("Unable to remove nonexistent key: {}: {}", key, kErrMissing);
      return false;
    }
    obj.erase(it);
    return true;
  }
  auto& arr = c.get_ref<Json::array_t&>();
  int64_t idx = 0;
  if (!go_atoi(key, &idx, err)) return false;
  int64_t n = static_cast<int64_t>(arr.size());
  if (idx >= n) {
    *err = invalid_index(idx);
    return false;
  }
  if (idx < 0) {
    if (idx < -n) {
      *err = invalid_index(idx);
      return false;
    }
    idx += n;
  }
  arr.erase(arr.begin() + idx);
  return true;
}

// findObject: the container holding the last token of `path`, and that token. The first segment
// is skipped unread (it is empty for a well-formed path), so "a/b" addresses "/b".
bool find_object(Json& doc, std::string_view path, Json** container, std::string* key) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t slash = path.find('/', start);
    parts.push_back(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.size() < 2) return false;
  Json* cur = &doc;
  for (size_t i = 1; i + 1 < parts.size(); ++i) {
    Json* next = nullptr;
    std::string ignored;
    if (!container_get(*cur, decode_token(parts[i]), &next, &ignored)) return false;
    if (next == nullptr || !(next->is_object() || next->is_array())) return false;
    cur = next;
  }
  *container = cur;
  *key = decode_token(parts.back());
  return true;
}

// lazyNode.equal: structural equality in which numbers compare as written, so 1 and 1.0 differ.
bool patch_value_equal(const Json& a, const Json& b) {
  if (a.is_object()) {
    if (!b.is_object() || a.size() != b.size()) return false;
    for (const auto& [k, v] : a.get_ref<const Json::object_t&>()) {
      auto it = b.find(k);
      if (it == b.end()) return false;
      if (v.is_null() != it->is_null()) return false;
      if (!v.is_null() && !patch_value_equal(v, *it)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (!b.is_array() || a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!patch_value_equal(a[i], b[i])) return false;
    }
    return true;
  }
  if (b.is_object() || b.is_array()) return false;
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() != b.is_number_float()) return false;
  }
  return a == b;
}

class Applier {
 public:
  explicit Applier(Json& doc) : doc_(doc) {}

  bool apply(const Json& op) {
    std::string kind = "unknown";
    if (op.is_object()) {
      auto it = op.find("op");
      if (it != op.end() && it->is_string()) kind = it->get<std::string>();
    }
    if (kind == "add") return add(op);
    if (kind == "remove") return remove(op);
    if (kind == "replace") return replace(op);
    if (kind == "move") return move(op);
    if (kind == "test") return test(op);
    if (kind == "copy") return copy(op);
    return fail(fmt::format("Unexpected kind: {}", kind));
  }

  std::string take_error() { return std::move(error_); }

 private:
  bool fail(std::string message) {
    error_ = std::move(message);
    return false;
  }

  // The operation's "value"; an operation without one adds null.
  static Json value_of(const Json& op) {
    if (!op.is_object()) return nullptr;
    auto it = op.find("value");
    return it == op.end() ? Json(nullptr) : *it;
  }

  // Operation.Path(): the text after `what`, or false with the message set.
  bool path_of(const Json& op, std::string_view member, std::string_view what, bool keep_cause,
               std::string* out) {
    std::string err;
    Member m = string_member(op, member, out, &err);
    if (m == Member::kOk) return true;
    if (!keep_cause) return fail(fmt::format("{}: {}", what, kErrMissing));
    if (m == Member::kMissing) {
      err = member == "path" ? fmt::format("operation missing path field: {}", kErrMissing)
                             : fmt::format("operation, missing {} field: {}", member, kErrMissing);
    }
    return fail(fmt::format("{}: {}", what, err));
  }

  bool add(const Json& op) {
    std::string path, key, err;
    if (!path_of(op, "path", "add operation failed to decode path", false, &path)) return false;
    Json* con = nullptr;
    if (!find_object(doc_, path, &con, &key)) {
      return fail(fmt::format("add operation does not apply: doc is missing path: \"{}\": {}", path,
                              kErrMissing));
    }
    if (!container_add(*con, key, value_of(op), &err)) {
      return fail(fmt::format("error in add for path: '{}': {}", path, err));
    }
    return true;
  }

  bool remove(const Json& op) {
    std::string path, key, err;
    if (!path_of(op, "path", "remove operation failed to decode path", false, &path)) {
      return false;
    }
    Json* con = nullptr;
    if (!find_object(doc_, path, &con, &key)) {
      return fail(fmt::format("remove operation does not apply: doc is missing path: \"{}\": {}",
                              path, kErrMissing));
    }
    if (!container_remove(*con, key, &err)) {
      return fail(fmt::format("error in remove for path: '{}': {}", path, err));
    }
    return true;
  }

  bool replace(const Json& op) {
    std::string path, key, err;
    if (!path_of(op, "path", "replace operation failed to decode path", true, &path)) {
      return false;
    }
    if (path.empty()) {
      Json v = value_of(op);
      // The library wraps a nil error here, which fmt prints as %!w(<nil>).
      if (!v.is_object() && !v.is_array()) {
        return fail("replace operation value must be object or array: %!w(<nil>)");
      }
      doc_ = std::move(v);
      return true;
    }
    Json* con = nullptr;
    if (!find_object(doc_, path, &con, &key)) {
      return fail(fmt::format("replace operation does not apply: doc is missing path: {}: {}", path,
                              kErrMissing));
    }
    Json* ignored = nullptr;
    if (!container_get(*con, key, &ignored, &err)) {
      return fail(fmt::format("replace operation does not apply: doc is missing key: {}: {}", path,
                              kErrMissing));
    }
    container_set(*con, key, value_of(op));
    return true;
  }

  bool move(const Json& op) {
    std::string from, path, key, err;
    if (!path_of(op, "from", "move operation failed to decode from", true, &from)) return false;
    Json* con = nullptr;
    if (!find_object(doc_, from, &con, &key)) {
      return fail(fmt::format("move operation does not apply: doc is missing from path: {}: {}",
                              from, kErrMissing));
    }
    Json* val = nullptr;
    if (!container_get(*con, key, &val, &err)) {
      return fail(fmt::format("error in move for path: '{}': {}", key, err));
    }
    Json moved = val != nullptr ? std::move(*val) : Json(nullptr);
    if (!container_remove(*con, key, &err)) {
      return fail(fmt::format("error in move for path: '{}': {}", key, err));
    }
    if (!path_of(op, "path", "move operation failed to decode path", true, &path)) return false;
    if (!find_object(doc_, path, &con, &key)) {
      return fail(
          fmt::format("move operation does not apply: doc is missing destination path: {}: {}",
                      path, kErrMissing));
    }
    if (!container_add(*con, key, std::move(moved), &err)) {
      return fail(fmt::format("error in move for path: '{}': {}", path, err));
    }
    return true;
  }

  bool test(const Json& op) {
    std::string path, key, err;
    if (!path_of(op, "path", "test operation failed to decode path", true, &path)) return false;
    bool has_value = op.is_object() && op.contains("value");
    Json expected = value_of(op);
    if (path.empty()) {
      if (has_value && patch_value_equal(doc_, expected)) return true;
      return fail(fmt::format("testing value {} failed: {}", path, kErrTestFailed));
    }
    Json* con = nullptr;
    if (!find_object(doc_, path, &con, &key)) {
      return fail(
          fmt::format("test operation does not apply: is missing path: {}: {}", path, kErrMissing));
    }
    Json* val = nullptr;
    if (!container_get(*con, key, &val, &err)) {
      return fail(fmt::format("error in test for path: '{}': {}", path, err));
    }
    // A missing or null target passes against a missing or null value, and only then.
    bool ok = val == nullptr
                  ? expected.is_null()
                  : has_value && !expected.is_null() && patch_value_equal(*val, expected);
    if (ok) return true;
    return fail(fmt::format("testing value {} failed: {}", path, kErrTestFailed));
  }

  bool copy(const Json& op) {
    std::string from, path, key, err;
    if (!path_of(op, "from", "copy operation failed to decode from", true, &from)) return false;
    Json* con = nullptr;
    if (!find_object(doc_, from, &con, &key)) {
      return fail(fmt::format("copy operation does not apply: doc is missing from path: {}: {}",
                              from, kErrMissing));
    }
    Json* val = nullptr;
    if (!container_get(*con, key, &val, &err)) {
      return fail(fmt::format("error in copy for from: '{}': {}", from, err));
    }
    Json copied = val != nullptr ? *val : Json(nullptr);
    if (!path_of(op, "path", "copy operation failed to decode path", false, &path)) return false;
    if (!find_object(doc_, path, &con, &key)) {
      return fail(
          fmt::format("copy operation does not apply: doc is missing destination path: {}: {}",
                      path, kErrMissing));
    }
    // kube-apiserver caps what copies may add (JSONPatchMaxCopyBytes), so that a small patch
    // cannot double the document thousands of times.
    if (val != nullptr) copied_bytes_ += static_cast<int64_t>(copied.dump().size());
    if (copied_bytes_ > kMaxJsonPatchCopyBytes) {
      return fail(fmt::format(
          "Unable to complete the copy, the accumulated size increase of copy is {}, exceeding "
          "the limit {}",
          copied_bytes_, kMaxJsonPatchCopyBytes));
    }
    if (!container_add(*con, key, std::move(copied), &err)) {
      return fail(fmt::format("error while adding value during copy: {}", err));
    }
    return true;
  }

  Json& doc_;
  int64_t copied_bytes_ = 0;
  std::string error_;
};

}  // namespace

Result<Json> json_patch(Json document, const Json& operations) {
  if (operations.is_null()) return document;
  if (!operations.is_array()) {
    return make_error(ErrorCode::kBadRequest, cannot_unmarshal(operations, "jsonpatch.Patch"));
  }
  for (const Json& op : operations) {
    if (!op.is_object() && !op.is_null()) {
      return make_error(ErrorCode::kBadRequest, cannot_unmarshal(op, "jsonpatch.Operation"));
    }
  }
  if (!document.is_object() && !document.is_array()) {
    return make_error(ErrorCode::kInvalid, cannot_unmarshal(document, "jsonpatch.partialDoc"));
  }
  Applier applier(document);
  for (const Json& op : operations) {
    if (!applier.apply(op)) return make_error(ErrorCode::kInvalid, applier.take_error());
  }
  return document;
}

}  // namespace bosun::api
