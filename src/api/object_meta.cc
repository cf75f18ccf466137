#include "api/object_meta.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include "api/validation.h"
#include "common/thread_random.h"
#include "common/time_format.h"
#include "common/uuid.h"

namespace bosun::api {
namespace {

constexpr std::string_view kMeta = "metadata";
// apimachinery: ValidateFieldManager's FieldManagerMaxLength and MaxSubresourceNameLength.
constexpr size_t kFieldManagerMaxLength = 128;
constexpr size_t kMaxSubresourceNameLength = 256;

const Json* metadata(const Json& obj) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(kMeta);
  return it != obj.end() && it->is_object() ? &*it : nullptr;
}

const Json* meta_field(const Json& obj, std::string_view key) {
  const Json* m = metadata(obj);
  if (!m) return nullptr;
  auto it = m->find(key);
  return it != m->end() ? &*it : nullptr;
}

std::string_view meta_string(const Json& obj, std::string_view key) {
  const Json* f = meta_field(obj, key);
  return f && f->is_string() ? std::string_view(f->get_ref<const std::string&>()) : "";
}

// A metadata field as Kubernetes compares it for immutability: absent, null and "" are the same.
Json meta_value(const Json& obj, std::string_view key) {
  const Json* f = meta_field(obj, key);
  if (!f || (f->is_string() && f->get_ref<const std::string&>().empty())) return nullptr;
  return *f;
}

std::string path(std::string_view child) { return fmt::format("{}.{}", kMeta, child); }

Labels string_map(const Json& obj, std::string_view key) {
  const Json* f = meta_field(obj, key);
  if (!f) return {};
  return labels_from_json(*f).value_or(Labels{});
}

std::optional<std::string_view> string_map_entry(const Json& obj, std::string_view map,
                                                 std::string_view key) {
  const Json* f = meta_field(obj, map);
  if (!f || !f->is_object()) return std::nullopt;
  auto it = f->find(key);
  if (it == f->end() || !it->is_string()) return std::nullopt;
  return std::string_view(it->get_ref<const std::string&>());
}

std::string_view json_kind(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    default:
      return "number";
  }
}

// encoding/json's UnmarshalTypeError: "json: cannot unmarshal <what> into Go struct field
// <Struct>.<path> of type <type>".
Error type_error(const Json& v, std::string_view go_struct, std::string_view field,
                 std::string_view go_type) {
  std::string what(json_kind(v));
  if (v.is_number_float() && go_type == "int64") what = "number " + v.dump();
  return make_error(ErrorCode::kBadRequest,
                    fmt::format("json: cannot unmarshal {} into Go struct field {}.{} of type {}",
                                what, go_struct, field, go_type));
}

Result<void> check_string(const Json& parent, std::string_view key, std::string_view go_struct,
                          std::string_view field_path) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null() || it->is_string()) return ok_result();
  return type_error(*it, go_struct, field_path, "string");
}

Result<void> check_int(const Json& parent, std::string_view key, std::string_view go_struct,
                       std::string_view field_path) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null() || it->is_number_integer()) return ok_result();
  if (it->is_number_unsigned()) {  // beyond int64
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("json: cannot unmarshal number {} into Go struct field {}.{} of "
                                  "type int64",
                                  it->dump(), go_struct, field_path));
  }
  return type_error(*it, go_struct, field_path, "int64");
}

Result<void> check_bool(const Json& parent, std::string_view key, std::string_view go_struct,
                        std::string_view field_path) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null() || it->is_boolean()) return ok_result();
  return type_error(*it, go_struct, field_path, "bool");
}

// metav1.Time's UnmarshalJSON: null, or a string in RFC 3339.
Result<void> check_time(const Json& parent, std::string_view key, std::string_view go_struct,
                        std::string_view field_path) {
  auto it = parent.find(key);
  if (it == parent.end() || it->is_null()) return ok_result();
  if (!it->is_string()) {
    return make_error(
        ErrorCode::kBadRequest,
        fmt::format("json: cannot unmarshal {} into Go value of type string", json_kind(*it)));
  }
  const std::string& s = it->get_ref<const std::string&>();
  if (s.empty() || parse_rfc3339(s).ok()) return ok_result();
  (void)go_struct;
  (void)field_path;
  return make_error(ErrorCode::kBadRequest,
                    fmt::format("parsing time {} as \"2006-01-02T15:04:05Z07:00\": cannot parse {} "
                                "as \"2006\"",
                                go_quote(s), go_quote(s)));
}

Result<void> check_string_map(const Json& m, std::string_view key) {
  auto it = m.find(key);
  if (it == m.end() || it->is_null()) return ok_result();
  std::string field = path(key);
  if (!it->is_object()) return type_error(*it, "ObjectMeta", field, "map[string]string");
  for (const auto& [k, v] : it->items()) {
    if (!v.is_null() && !v.is_string()) return type_error(v, "ObjectMeta", field, "string");
  }
  return ok_result();
}

bool printable_rune(uint32_t r) { return !(r < 0x20 || r == 0x7F || (r >= 0x80 && r < 0xA0)); }

std::string go_string_slice(const std::vector<std::string>& v) {
  std::string out = "[]string{";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += go_quote(v[i]);
  }
  return out + "}";
}

std::mt19937_64& default_rng() { return thread_random(); }

}  // namespace

// ---- Accessors.

std::string_view name(const Json& obj) { return meta_string(obj, "name"); }
std::string_view generate_name_of(const Json& obj) { return meta_string(obj, "generateName"); }
std::string_view namespace_of(const Json& obj) { return meta_string(obj, "namespace"); }
std::string_view uid(const Json& obj) { return meta_string(obj, "uid"); }
std::string_view resource_version(const Json& obj) { return meta_string(obj, "resourceVersion"); }
std::string_view creation_timestamp(const Json& obj) {
  return meta_string(obj, "creationTimestamp");
}
std::string_view deletion_timestamp(const Json& obj) {
  return meta_string(obj, "deletionTimestamp");
}

int64_t generation(const Json& obj) {
  const Json* f = meta_field(obj, "generation");
  return f && f->is_number_integer() ? f->get<int64_t>() : 0;
}

std::optional<int64_t> deletion_grace_period_seconds(const Json& obj) {
  const Json* f = meta_field(obj, "deletionGracePeriodSeconds");
  if (!f || !f->is_number_integer()) return std::nullopt;
  return f->get<int64_t>();
}

Labels labels(const Json& obj) { return string_map(obj, "labels"); }
std::optional<std::string_view> label(const Json& obj, std::string_view key) {
  return string_map_entry(obj, "labels", key);
}
Labels annotations(const Json& obj) { return string_map(obj, "annotations"); }
std::optional<std::string_view> annotation(const Json& obj, std::string_view key) {
  return string_map_entry(obj, "annotations", key);
}

std::vector<std::string> finalizers(const Json& obj) {
  std::vector<std::string> out;
  const Json* f = meta_field(obj, "finalizers");
  if (!f || !f->is_array()) return out;
  for (const auto& v : *f) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool has_finalizer(const Json& obj, std::string_view finalizer) {
  const Json* f = meta_field(obj, "finalizers");
  if (!f || !f->is_array()) return false;
  return std::any_of(f->begin(), f->end(), [&](const Json& v) {
    return v.is_string() && v.get_ref<const std::string&>() == finalizer;
  });
}

std::vector<OwnerReference> owner_references(const Json& obj) {
  std::vector<OwnerReference> out;
  const Json* f = meta_field(obj, "ownerReferences");
  if (!f || !f->is_array()) return out;
  for (const auto& r : *f) {
    if (!r.is_object()) continue;
    auto str = [&](std::string_view k) {
      auto it = r.find(k);
      return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto flag = [&](std::string_view k) {
      auto it = r.find(k);
      return it != r.end() && it->is_boolean() && it->get<bool>();
    };
    out.push_back(OwnerReference{str("apiVersion"), str("kind"), str("name"), str("uid"),
                                 flag("controller"), flag("blockOwnerDeletion")});
  }
  return out;
}

std::optional<OwnerReference> controller_of(const Json& obj) {
  for (auto& r : owner_references(obj)) {
    if (r.controller) return std::move(r);
  }
  return std::nullopt;
}

Json owner_reference_to_json(const OwnerReference& ref) {
  Json j = {
      {"apiVersion", ref.api_version}, {"kind", ref.kind}, {"name", ref.name}, {"uid", ref.uid}};
  if (ref.controller) j["controller"] = true;
  if (ref.block_owner_deletion) j["blockOwnerDeletion"] = true;
  return j;
}

Json& mutable_metadata(Json& obj) {
  if (!obj.is_object()) obj = Json::object();
  Json& m = obj[std::string(kMeta)];
  if (!m.is_object()) m = Json::object();
  return m;
}

void set_name(Json& obj, std::string_view n) { mutable_metadata(obj)["name"] = n; }
void set_namespace(Json& obj, std::string_view ns) { mutable_metadata(obj)["namespace"] = ns; }

void set_label(Json& obj, std::string_view key, std::string_view value) {
  Json& l = mutable_metadata(obj)["labels"];
  if (!l.is_object()) l = Json::object();
  l[std::string(key)] = value;
}

void set_annotation(Json& obj, std::string_view key, std::string_view value) {
  Json& a = mutable_metadata(obj)["annotations"];
  if (!a.is_object()) a = Json::object();
  a[std::string(key)] = value;
}

void set_resource_version(Json& obj, uint64_t revision) {
  mutable_metadata(obj)["resourceVersion"] = std::to_string(revision);
}

void set_generation(Json& obj, int64_t g) { mutable_metadata(obj)["generation"] = g; }

// ---- Types.

Result<void> check_object_meta_types(const Json& obj) {
  if (!obj.is_object()) return ok_result();
  auto mit = obj.find(kMeta);
  if (mit == obj.end() || mit->is_null()) return ok_result();
  if (!mit->is_object()) {
    auto kit = obj.find("kind");
    std::string kind = kit != obj.end() && kit->is_string() ? kit->get<std::string>() : "Object";
    return type_error(*mit, kind, kMeta, "v1.ObjectMeta");
  }
  const Json& m = *mit;
  for (std::string_view k :
       {"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion"}) {
    BOSUN_RETURN_IF_ERROR(check_string(m, k, "ObjectMeta", path(k)));
  }
  BOSUN_RETURN_IF_ERROR(check_int(m, "generation", "ObjectMeta", path("generation")));
  BOSUN_RETURN_IF_ERROR(
      check_int(m, "deletionGracePeriodSeconds", "ObjectMeta", path("deletionGracePeriodSeconds")));
  BOSUN_RETURN_IF_ERROR(
      check_time(m, "creationTimestamp", "ObjectMeta", path("creationTimestamp")));
  BOSUN_RETURN_IF_ERROR(
      check_time(m, "deletionTimestamp", "ObjectMeta", path("deletionTimestamp")));
  BOSUN_RETURN_IF_ERROR(check_string_map(m, "labels"));
  BOSUN_RETURN_IF_ERROR(check_string_map(m, "annotations"));

  if (auto it = m.find("finalizers"); it != m.end() && !it->is_null()) {
    if (!it->is_array()) return type_error(*it, "ObjectMeta", path("finalizers"), "[]string");
    for (const auto& f : *it) {
      if (!f.is_null() && !f.is_string()) {
        return type_error(f, "ObjectMeta", path("finalizers"), "string");
      }
    }
  }
  if (auto it = m.find("ownerReferences"); it != m.end() && !it->is_null()) {
    std::string field = path("ownerReferences");
    if (!it->is_array()) return type_error(*it, "ObjectMeta", field, "[]v1.OwnerReference");
    for (const auto& r : *it) {
      if (r.is_null()) continue;
      if (!r.is_object()) return type_error(r, "ObjectMeta", field, "v1.OwnerReference");
      for (std::string_view k : {"apiVersion", "kind", "name", "uid"}) {
        BOSUN_RETURN_IF_ERROR(check_string(r, k, "OwnerReference", field + "." + std::string(k)));
      }
      for (std::string_view k : {"controller", "blockOwnerDeletion"}) {
        BOSUN_RETURN_IF_ERROR(check_bool(r, k, "OwnerReference", field + "." + std::string(k)));
      }
    }
  }
  if (auto it = m.find("managedFields"); it != m.end() && !it->is_null()) {
    std::string field = path("managedFields");
    if (!it->is_array()) return type_error(*it, "ObjectMeta", field, "[]v1.ManagedFieldsEntry");
    for (const auto& e : *it) {
      if (e.is_null()) continue;
      if (!e.is_object()) return type_error(e, "ObjectMeta", field, "v1.ManagedFieldsEntry");
      for (std::string_view k :
           {"manager", "operation", "apiVersion", "fieldsType", "subresource"}) {
        BOSUN_RETURN_IF_ERROR(
            check_string(e, k, "ManagedFieldsEntry", field + "." + std::string(k)));
      }
      BOSUN_RETURN_IF_ERROR(check_time(e, "time", "ManagedFieldsEntry", field + ".time"));
    }
  }
  return ok_result();
}

// ---- Validation.

void validate_annotations(const Json& annotations, std::string_view field, FieldErrors& errs) {
  if (!annotations.is_object()) return;
  size_t total = 0;
  for (const auto& [k, v] : annotations.items()) {
    // Annotation keys are qualified names in any case (ValidateAnnotations lower-cases them).
    std::string lower = k;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
      return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    });
    for (auto& msg : is_qualified_name(lower)) errs.invalid(std::string(field), k, std::move(msg));
    total += k.size() + (v.is_string() ? v.get_ref<const std::string&>().size() : 0);
  }
  if (total > kTotalAnnotationSizeLimit) {
    errs.too_long(std::string(field), "", kTotalAnnotationSizeLimit);
  }
}

void validate_owner_references(const Json& refs, std::string_view field, FieldErrors& errs) {
  if (!refs.is_array()) return;
  std::string f(field);
  std::string first_controller;
  for (const auto& r : refs) {
    if (!r.is_object()) continue;
    auto str = [&](std::string_view k) {
      auto it = r.find(k);
      return it != r.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string api_version = str("apiVersion"), kind = str("kind"), n = str("name"),
                u = str("uid");
    // schema.FromAPIVersionAndKind: "v1" is a version, "apps/v1" a group and version; anything
    // with more slashes parses to no version at all.
    std::string group, version;
    size_t slash = api_version.find('/');
    if (slash == std::string::npos) {
      version = api_version;
    } else if (api_version.find('/', slash + 1) == std::string::npos) {
      group = api_version.substr(0, slash);
      version = api_version.substr(slash + 1);
    }
    if (version.empty()) errs.invalid(f + ".apiVersion", api_version, "version must not be empty");
    if (kind.empty()) errs.invalid(f + ".kind", kind, "must not be empty");
    if (n.empty()) errs.invalid(f + ".name", n, "must not be empty");
    if (u.empty()) errs.invalid(f + ".uid", u, "must not be empty");
    // BannedOwners: core/v1 Events cannot own anything.
    if (group.empty() && version == "v1" && kind == "Event") {
      errs.invalid(f, r, "/v1, Kind=Event is disallowed from being an owner");
    }
    auto c = r.find("controller");
    if (c != r.end() && c->is_boolean() && c->get<bool>()) {
      std::string current = kind + "/" + n;
      if (!first_controller.empty()) {
        errs.invalid(f, refs,
                     fmt::format("Only one reference can have Controller set to true. Found "
                                 "\"true\" in references for {} and {}",
                                 first_controller, current));
      } else {
        first_controller = current;
      }
    }
  }
}

void validate_finalizers(const Json& fins, std::string_view field, FieldErrors& errs) {
  if (!fins.is_array()) return;
  bool orphan = false, foreground = false;
  for (const auto& v : fins) {
    if (!v.is_string()) continue;
    const std::string& s = v.get_ref<const std::string&>();
    for (auto& msg : is_qualified_name(s)) errs.invalid(std::string(field), s, std::move(msg));
    orphan = orphan || s == kFinalizerOrphanDependents;
    foreground = foreground || s == kFinalizerDeleteDependents;
  }
  if (orphan && foreground) {
    errs.invalid(std::string(field), fins,
                 fmt::format("finalizer {} and {} cannot be both set", kFinalizerOrphanDependents,
                             kFinalizerDeleteDependents));
  }
}

void validate_managed_fields(const Json& entries, std::string_view field, FieldErrors& errs) {
  if (!entries.is_array()) return;
  for (size_t i = 0; i < entries.size(); ++i) {
    const Json& e = entries[i];
    if (!e.is_object()) continue;
    std::string p = fmt::format("{}[{}]", field, i);
    auto str = [&](std::string_view k) {
      auto it = e.find(k);
      return it != e.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    std::string op = str("operation");
    if (op != "Apply" && op != "Update") {
      errs.invalid(p + ".operation", op, "must be `Apply` or `Update`");
    }
    std::string fields_type = str("fieldsType");
    if (!fields_type.empty() && fields_type != "FieldsV1") {
      errs.invalid(p + ".fieldsType", fields_type, "must be `FieldsV1`");
    }
    std::string manager = str("manager");
    if (manager.size() > kFieldManagerMaxLength) {
      errs.too_long(p + ".manager", manager, kFieldManagerMaxLength);
    }
    for (size_t b = 0; b < manager.size();) {
      unsigned char c = static_cast<unsigned char>(manager[b]);
      size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
      uint32_t r = c < 0x80 ? c : c & (0x7F >> len);
      for (size_t k = 1; k < len && b + k < manager.size(); ++k) {
        r = (r << 6) | (static_cast<unsigned char>(manager[b + k]) & 0x3F);
      }
      if (!printable_rune(r)) {
        errs.invalid(p + ".manager", manager,
                     fmt::format("invalid character U+{:04X} (at position {})", r, b));
      }
      b += len;
    }
    std::string subresource = str("subresource");
    if (subresource.size() > kMaxSubresourceNameLength) {
      errs.too_long(p + ".subresource", subresource, kMaxSubresourceNameLength);
    }
  }
}

namespace {

void validate_common(const Json& obj, bool namespaced, FieldErrors& errs) {
  std::string_view ns = namespace_of(obj);
  if (namespaced) {
    if (ns.empty()) {
      errs.required(path("namespace"));
    } else {
      for (auto& msg : name_is_dns_label(ns, false)) errs.invalid(path("namespace"), ns, msg);
    }
  } else if (!ns.empty()) {
    errs.forbidden(path("namespace"), "not allowed on this type");
  }
  if (int64_t g = generation(obj); g < 0) {
    errs.invalid(path("generation"), g, "must be greater than or equal to 0");
  }
}

void validate_maps_and_lists(const Json& obj, FieldErrors& errs) {
  errs.append(validate_labels(labels(obj), path("labels")));
  if (const Json* a = meta_field(obj, "annotations")) {
    validate_annotations(*a, path("annotations"), errs);
  }
  if (const Json* r = meta_field(obj, "ownerReferences")) {
    validate_owner_references(*r, path("ownerReferences"), errs);
  }
}

}  // namespace

FieldErrors validate_object_meta(const Json& obj, bool namespaced, const NameValidator& name_fn) {
  FieldErrors errs;
  std::string_view gen = generate_name_of(obj);
  if (!gen.empty() && name_fn) {
    for (auto& msg : name_fn(gen, true)) errs.invalid(path("generateName"), gen, msg);
  }
  std::string_view n = name(obj);
  if (n.empty()) {
    errs.required(path("name"), "name or generateName is required");
  } else if (name_fn) {
    for (auto& msg : name_fn(n, false)) errs.invalid(path("name"), n, msg);
  }
  validate_common(obj, namespaced, errs);
  validate_maps_and_lists(obj, errs);
  if (const Json* f = meta_field(obj, "finalizers"))
    validate_finalizers(*f, path("finalizers"), errs);
  if (const Json* m = meta_field(obj, "managedFields")) {
    validate_managed_fields(*m, path("managedFields"), errs);
  }
  return errs;
}

FieldErrors validate_object_meta_update(const Json& new_obj, const Json& old_obj) {
  FieldErrors errs;
  if (!deletion_timestamp(old_obj).empty()) {
    std::vector<std::string> old_f = finalizers(old_obj);
    std::set<std::string> extra;
    for (auto& f : finalizers(new_obj)) {
      if (std::find(old_f.begin(), old_f.end(), f) == old_f.end()) extra.insert(f);
    }
    if (!extra.empty()) {
      errs.forbidden(path("finalizers"),
                     fmt::format("no new finalizers can be added if the object is being deleted, "
                                 "found new finalizers {}",
                                 go_string_slice({extra.begin(), extra.end()})));
    }
  }
  if (resource_version(new_obj).empty()) {
    errs.invalid(path("resourceVersion"), "", "must be specified for an update");
  }
  if (generation(new_obj) < generation(old_obj)) {
    errs.invalid(path("generation"), generation(new_obj), "must not be decremented");
  }
  for (std::string_view k : {"name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                             "deletionGracePeriodSeconds"}) {
    Json nv = meta_value(new_obj, k);
    if (nv != meta_value(old_obj, k)) errs.invalid(path(k), std::move(nv), "field is immutable");
  }
  validate_maps_and_lists(new_obj, errs);
  if (const Json* m = meta_field(new_obj, "managedFields")) {
    validate_managed_fields(*m, path("managedFields"), errs);
  }
  return errs;
}

// ---- Server-side filling.

std::string generate_name(std::string_view base, std::mt19937_64& rng) {
  std::string out(base.substr(0, kMaxGeneratedNameLength));
  std::uniform_int_distribution<size_t> pick(0, kGeneratedNameAlphabet.size() - 1);
  for (size_t i = 0; i < kGeneratedNameRandomLength; ++i) out += kGeneratedNameAlphabet[pick(rng)];
  return out;
}

std::string generate_name(std::string_view base) { return generate_name(base, default_rng()); }

namespace {

// ObjectMeta's collections are `omitempty` in Go: an empty (or null) list or map sent by a client
// is not stored, so `ownerReferences: []` after an orphaning reads back as absent, as in
// Kubernetes.
void drop_empty_collections(Json& m) {
  for (const char* key : {"labels", "annotations", "ownerReferences", "finalizers"}) {
    auto it = m.find(key);
    if (it != m.end() && (it->is_null() || ((it->is_array() || it->is_object()) && it->empty()))) {
      m.erase(it);
    }
  }
}

}  // namespace

void prepare_object_meta_for_create(Json& obj, const Clock& clock, bool with_generation) {
  Json& m = mutable_metadata(obj);
  drop_empty_collections(m);
  m.erase("deletionTimestamp");
  m.erase("deletionGracePeriodSeconds");
  m["uid"] = new_uuid();
  m["creationTimestamp"] = format_rfc3339(clock.now());
  if (with_generation) m["generation"] = 1;
  if (name(obj).empty() && !generate_name_of(obj).empty()) {
    m["name"] = generate_name(generate_name_of(obj));
  }
}

void prepare_object_meta_for_update(Json& new_obj, const Json& old_obj) {
  Json& m = mutable_metadata(new_obj);
  drop_empty_collections(m);
  if (const Json* g = meta_field(old_obj, "generation")) {
    m["generation"] = *g;
  } else {
    m.erase("generation");
  }
  if (uid(new_obj).empty() && !uid(old_obj).empty()) m["uid"] = uid(old_obj);
  if (!creation_timestamp(old_obj).empty()) m["creationTimestamp"] = creation_timestamp(old_obj);
  if (!deletion_timestamp(old_obj).empty()) m["deletionTimestamp"] = deletion_timestamp(old_obj);
  if (auto grace = deletion_grace_period_seconds(old_obj);
      grace && !deletion_grace_period_seconds(new_obj)) {
    m["deletionGracePeriodSeconds"] = *grace;
  }
}

bool bump_generation_if_changed(Json& new_obj, const Json& old_obj, std::string_view field) {
  auto get = [&](const Json& o) -> Json {
    if (!o.is_object()) return nullptr;
    auto it = o.find(field);
    return it != o.end() ? *it : Json();
  };
  if (get(new_obj) == get(old_obj)) return false;
  set_generation(new_obj, generation(old_obj) + 1);
  return true;
}

Result<void> check_create_resource_version(const Json& obj) {
  std::string_view rv = resource_version(obj);
  if (rv.empty() || rv == "0") return ok_result();
  return make_error(ErrorCode::kBadRequest,
                    "resourceVersion should not be set on objects to be created");
}

Result<void> check_resource_version_precondition(const Json& obj, uint64_t current_revision,
                                                 std::string_view resource, std::string_view n) {
  std::string_view rv = resource_version(obj);
  if (rv.empty()) return ok_result();
  uint64_t want = 0;
  auto [p, ec] = std::from_chars(rv.data(), rv.data() + rv.size(), want);
  if (ec != std::errc() || p != rv.data() + rv.size()) {
    FieldErrors errs;
    errs.invalid(path("resourceVersion"), rv, "must be a decimal number");
    return make_error(ErrorCode::kBadRequest, errs.aggregate_message());
  }
  if (want == current_revision) return ok_result();
  return make_error(ErrorCode::kConflict,
                    fmt::format("Operation cannot be fulfilled on {} {}: the object has been "
                                "modified; please apply your changes to the latest version and try "
                                "again",
                                resource, go_quote(n)));
}

}  // namespace bosun::api
