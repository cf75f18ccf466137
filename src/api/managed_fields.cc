#include "api/managed_fields.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <type_traits>

#include "api/go_json.h"
#include "common/time_format.h"

namespace bosun::api {
namespace {

int64_t unix_seconds(const std::optional<Clock::WallTime>& t) {
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count();
}

// Decodes one UTF-8 rune at s[i] (Go's utf8.DecodeRuneInString): invalid bytes are U+FFFD of
// length 1.
uint32_t decode_rune(std::string_view s, size_t i, size_t* len) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  *len = 1;
  if (b0 < 0x80) return b0;
  size_t n = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (n == 0 || b0 >= 0xF5 || b0 == 0xC0 || b0 == 0xC1 || i + n > s.size()) return 0xFFFD;
  uint32_t r = b0 & (0x7F >> n);
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0xFFFD;
    r = (r << 6) | (b & 0x3F);
  }
  if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF)) ||
      (r >= 0xD800 && r <= 0xDFFF)) {
    return 0xFFFD;
  }
  *len = n;
  return r;
}

// unicode.IsPrint, for the characters that matter in manager names: controls, the separators other
// than the ASCII space, format characters and private use are not printable.
bool is_print(uint32_t r) {
  if (r < 0x20 || (r >= 0x7F && r < 0xA0)) return false;
  if (r < 0x7F) return true;
  if (r == 0xA0 || r == 0xAD || r == 0x1680 || r == 0x180E || r == 0x3000 || r == 0xFEFF) {
    return false;
  }
  if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
      (r >= 0x205F && r <= 0x206F) || (r >= 0xFFF9 && r <= 0xFFFB)) {
    return false;
  }
  if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000) return false;
  return true;
}

void append_rune(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

size_t rune_length(uint32_t r) { return r < 0x80 ? 1 : r < 0x800 ? 2 : r < 0x10000 ? 3 : 4; }

Result<std::string> string_member(const Json& entry, const char* name, size_t index) {
  auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return make_error(ErrorCode::kBadRequest, std::string("managed fields entry ") +
                                                  std::to_string(index) + ": " + name +
                                                  " must be a string");
  }
  return it->get<std::string>();
}

std::string identifier_of(std::string_view manager, ManagedFieldsOperation op,
                          std::string_view api_version, std::string_view subresource) {
  // json.Marshal of a ManagedFieldsEntry without time, fieldsType and fieldsV1; empty fields are
  // omitted, and appliers are identified without their apiVersion.
  std::string out = "{";
  bool first = true;
  auto field = [&](const char* name, std::string_view value) {
    if (value.empty()) return;
    if (!first) out += ',';
    first = false;
    out += '"';
    out += name;
    out += "\":";
    append_go_json_string(out, value);
  };
  field("manager", manager);
  field("operation", operation_name(op));
  if (op == ManagedFieldsOperation::kUpdate) field("apiVersion", api_version);
  field("subresource", subresource);
  out += '}';
  return out;
}

}  // namespace

std::string_view operation_name(ManagedFieldsOperation op) {
  return op == ManagedFieldsOperation::kApply ? "Apply" : "Update";
}

std::string ManagedFieldsEntry::identifier() const {
  return identifier_of(manager, operation, api_version, subresource);
}

std::string ManagedFieldsEntry::describe() const {
  std::string out = go_quote(manager);
  if (!subresource.empty()) out += " with subresource " + go_quote(subresource);
  // The identifier printManager decodes never carries a time, so no "at <time>" is printed.
  if (operation == ManagedFieldsOperation::kUpdate) out += " using " + api_version;
  return out;
}

Json ManagedFieldsEntry::to_json() const {
  Json e = Json::object();
  if (!manager.empty()) e["manager"] = manager;
  e["operation"] = std::string(operation_name(operation));
  if (!api_version.empty()) e["apiVersion"] = api_version;
  if (time) e["time"] = format_rfc3339(*time);
  e["fieldsType"] = "FieldsV1";
  e["fieldsV1"] = decoded_fields_v1 ? *decoded_fields_v1 : fields.to_fields_v1();
  if (!subresource.empty()) e["subresource"] = subresource;
  return e;
}

namespace {

// Decodes the entries; with `keep`, each entry keeps its fieldsV1 (moved out of `entries`) to be
// written back unchanged.
Result<ManagedFieldsMap> decode_entries(Json& entries, bool keep) {
  ManagedFieldsMap out;
  if (entries.is_null()) return out;
  if (!entries.is_array()) {
    return make_error(ErrorCode::kBadRequest, "managedFields must be a list");
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    Json& raw = entries[i];
    if (!raw.is_object()) {
      return make_error(ErrorCode::kBadRequest,
                        "managed fields entry " + std::to_string(i) + " must be an object");
    }
    ManagedFieldsEntry e;
    BOSUN_ASSIGN_OR_RETURN(e.manager, string_member(raw, "manager", i));
    BOSUN_ASSIGN_OR_RETURN(std::string op, string_member(raw, "operation", i));
    if (op == "Apply") {
      e.operation = ManagedFieldsOperation::kApply;
    } else if (op == "Update") {
      e.operation = ManagedFieldsOperation::kUpdate;
    } else {
      return make_error(ErrorCode::kBadRequest, "operation must be `Apply` or `Update`");
    }
    BOSUN_ASSIGN_OR_RETURN(e.api_version, string_member(raw, "apiVersion", i));
    if (e.api_version.empty()) {
      return make_error(ErrorCode::kBadRequest, "apiVersion must not be empty");
    }
    BOSUN_ASSIGN_OR_RETURN(std::string fields_type, string_member(raw, "fieldsType", i));
    if (fields_type.empty()) {
      return make_error(ErrorCode::kBadRequest,
                        "missing fieldsType in managed fields entry " + std::to_string(i));
    }
    if (fields_type != "FieldsV1") {
      return make_error(ErrorCode::kBadRequest, "invalid fieldsType " + go_quote(fields_type) +
                                                    " in managed fields entry " +
                                                    std::to_string(i));
    }
    BOSUN_ASSIGN_OR_RETURN(std::string time, string_member(raw, "time", i));
    if (!time.empty()) {
      BOSUN_ASSIGN_OR_RETURN(Clock::WallTime t, parse_rfc3339(time));
      e.time = std::chrono::time_point_cast<std::chrono::seconds>(t);
    }
    BOSUN_ASSIGN_OR_RETURN(e.subresource, string_member(raw, "subresource", i));
    if (auto it = raw.find("fieldsV1"); it != raw.end()) {
      auto fields = FieldSet::from_fields_v1(*it);
      if (!fields.ok()) {
        return make_error(ErrorCode::kBadRequest,
                          "error decoding versioned set from managed fields entry " +
                              std::to_string(i) + ": " + fields.error().message);
      }
      e.fields = std::move(*fields);
      if (keep) e.decoded_fields_v1 = std::move(*it);
    }
    std::string id = e.identifier();
    out[id] = std::move(e);
  }
  return out;
}

}  // namespace

Result<ManagedFieldsMap> decode_managed_fields(const Json& entries) {
  // Only read: const_cast is safe because nothing is moved out without `keep`.
  return decode_entries(const_cast<Json&>(entries), /*keep=*/false);
}

Result<ManagedFieldsMap> decode_managed_fields(Json&& entries) {
  return decode_entries(entries, /*keep=*/true);
}

namespace {

template <typename Map>
Json encode_entries(Map& managed) {
  if (managed.empty()) return Json();
  using Entry = std::remove_pointer_t<decltype(&managed.begin()->second)>;
  std::vector<Entry*> sorted;
  sorted.reserve(managed.size());
  for (auto& [id, e] : managed) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(),
            [](const ManagedFieldsEntry* p, const ManagedFieldsEntry* q) {
              if (p->operation != q->operation) {
                return operation_name(p->operation) < operation_name(q->operation);
              }
              int64_t ps = unix_seconds(p->time), qs = unix_seconds(q->time);
              if (ps != qs) return ps < qs;
              if (p->manager != q->manager) return p->manager < q->manager;
              if (p->api_version != q->api_version) return p->api_version < q->api_version;
              return p->subresource < q->subresource;
            });
  Json out = Json::array();
  for (auto* e : sorted) {
    if constexpr (std::is_const_v<Entry>) {
      out.push_back(e->to_json());
    } else {
      // Moving the kept fieldsV1 out saves copying it.
      std::optional<Json> kept = std::move(e->decoded_fields_v1);
      e->decoded_fields_v1.reset();
      Json j = e->to_json();
      if (kept) j["fieldsV1"] = std::move(*kept);
      out.push_back(std::move(j));
    }
  }
  return out;
}

}  // namespace

Json encode_managed_fields(const ManagedFieldsMap& managed) { return encode_entries(managed); }

Json encode_managed_fields(ManagedFieldsMap&& managed) { return encode_entries(managed); }

bool is_reset_managed_fields(const Json& entries) {
  if (!entries.is_array()) return false;
  if (entries.empty()) return true;
  // A single entry equal to the zero ManagedFieldsEntry: every field absent or empty.
  if (entries.size() != 1 || !entries[0].is_object()) return false;
  for (auto it = entries[0].begin(); it != entries[0].end(); ++it) {
    const Json& v = it.value();
    if (v.is_null()) continue;
    if (v.is_string() && v.get_ref<const std::string&>().empty()) continue;
    return false;
  }
  return true;
}

void cap_update_managers(ManagedFieldsMap& managed, size_t max) {
  std::vector<std::string> updaters;
  for (const auto& [id, e] : managed) {
    if (e.operation == ManagedFieldsOperation::kUpdate) updaters.push_back(id);
  }
  if (updaters.size() <= max) return;
  // Oldest first; equal times by identifier.
  std::sort(updaters.begin(), updaters.end(), [&](const std::string& a, const std::string& b) {
    int64_t as = unix_seconds(managed.at(a).time), bs = unix_seconds(managed.at(b).time);
    if (as != bs) return as < bs;
    return a < b;
  });
  std::map<std::string, std::string> first_of_version;
  size_t length = updaters.size();
  for (size_t i = 0; i < updaters.size() && length > max; ++i) {
    const std::string& id = updaters[i];
    auto it = managed.find(id);
    if (it == managed.end()) continue;
    const std::string version = it->second.api_version;
    const std::string bucket =
        identifier_of(kAncientChangesManager, ManagedFieldsOperation::kUpdate, version, "");
    auto first = first_of_version.find(version);
    if (first == first_of_version.end()) {
      first_of_version[version] = id;
      continue;
    }
    if (!managed.count(bucket)) {
      // The first entry of this version becomes the bucket.
      ManagedFieldsEntry moved = std::move(managed.at(first->second));
      managed.erase(first->second);
      moved.manager = std::string(kAncientChangesManager);
      moved.operation = ManagedFieldsOperation::kUpdate;
      moved.api_version = version;
      moved.subresource.clear();
      moved.decoded_fields_v1.reset();
      managed[bucket] = std::move(moved);
    }
    ManagedFieldsEntry& b = managed.at(bucket);
    ManagedFieldsEntry& merging = managed.at(id);
    b.fields = merging.fields.unite(b.fields);
    b.decoded_fields_v1.reset();
    // The bucket takes the time of the entry merged last, the most recent.
    b.time = merging.time;
    if (id != bucket) {
      managed.erase(id);
      --length;
    }
  }
}

Error apply_conflict_error(const std::vector<FieldConflict>& conflicts) {
  Error err;
  err.code = ErrorCode::kConflict;
  for (const auto& c : conflicts) {
    err.causes.push_back(Cause{"FieldManagerConflict", "conflict with " + c.manager_description,
                               field_path_string(c.path)});
  }
  if (conflicts.size() == 1) {
    err.message = "Apply failed with 1 conflict: conflict with " +
                  conflicts[0].manager_description + ": " + field_path_string(conflicts[0].path);
    return err;
  }
  // Grouped by manager, the managers in the order of their identifiers (sort.Strings).
  std::map<std::string, std::vector<const FieldConflict*>> by_manager;
  for (const auto& c : conflicts) by_manager[c.manager_identifier].push_back(&c);
  std::string text;
  for (const auto& [id, list] : by_manager) {
    if (!text.empty()) text += '\n';
    text += "conflicts with " + list.front()->manager_description + ":";
    for (const auto* c : list) text += "\n- " + field_path_string(c->path);
  }
  err.message = "Apply failed with " + std::to_string(conflicts.size()) + " conflicts: " + text;
  return err;
}

std::string manager_from_user_agent(std::string_view user_agent) {
  std::string_view prefix = user_agent.substr(0, user_agent.find('/'));
  std::string out;
  for (size_t i = 0; i < prefix.size();) {
    size_t len = 1;
    uint32_t r = decode_rune(prefix, i, &len);
    i += len;
    if (!is_print(r)) continue;
    if (out.size() + rune_length(r) > kFieldManagerMaxLength) break;
    append_rune(out, r);
  }
  return out;
}

std::string manager_or_user_agent(std::string_view field_manager, std::string_view user_agent) {
  if (!field_manager.empty()) return std::string(field_manager);
  return manager_from_user_agent(user_agent);
}

void validate_field_manager(std::string_view manager, std::string_view field, FieldErrors& errs) {
  if (manager.size() > kFieldManagerMaxLength) {
    errs.too_long(std::string(field), std::string(manager), kFieldManagerMaxLength);
  }
  for (size_t i = 0; i < manager.size();) {
    size_t len = 1;
    uint32_t r = decode_rune(manager, i, &len);
    if (!is_print(r)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "invalid character U+%04X (at position %zu)", r, i);
      errs.invalid(std::string(field), std::string(manager), buf);
    }
    i += len;
  }
}

Result<void> validate_patch_options(std::string_view field_manager, bool apply_patch,
                                    bool force_given) {
  FieldErrors errs;
  if (!apply_patch) {
    if (force_given) errs.forbidden("force", "may not be specified for non-apply patch");
  } else if (field_manager.empty()) {
    // kubectl defaults it to "kubectl"; other clients must name themselves.
    errs.required("fieldManager", "is required for apply patch");
  }
  validate_field_manager(field_manager, "fieldManager", errs);
  if (!errs.empty()) return errs.to_error("PatchOptions.meta.k8s.io", "");
  return {};
}

Result<void> validate_field_manager_option(std::string_view options_kind,
                                           std::string_view field_manager) {
  FieldErrors errs;
  validate_field_manager(field_manager, "fieldManager", errs);
  if (!errs.empty()) return errs.to_error(std::string(options_kind) + ".meta.k8s.io", "");
  return {};
}

}  // namespace bosun::api
