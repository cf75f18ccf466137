#include "api/apply.h"

#include <chrono>
#include <optional>
#include <utility>

#include "api/go_json.h"
#include "api/object_meta.h"
#include "api/structured_merge.h"

namespace bosun::api {
namespace {

// The manager SMD's Update runs under, so that this request's changes form a set of their own; it
// cannot collide with an identifier, which is JSON text.
const std::string kCurrentOperation = "current-operation";

PathElement f(const char* name) { return PathElement::field(name); }

const Json* metadata_member(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto m = obj.find("metadata");
  if (m == obj.end() || !m->is_object()) return nullptr;
  auto it = m->find(key);
  return it == m->end() ? nullptr : &*it;
}

void erase_managed_fields(Json& obj) {
  if (!obj.is_object()) return;
  auto m = obj.find("metadata");
  if (m != obj.end() && m->is_object()) m->erase("managedFields");
}

void store_managed_fields(Json& obj, ManagedFieldsMap&& managed) {
  Json encoded = encode_managed_fields(std::move(managed));
  if (encoded.is_null()) {
    erase_managed_fields(obj);
    return;
  }
  mutable_metadata(obj)["managedFields"] = std::move(encoded);
}

Clock::WallTime now_seconds(const Clock& clock) {
  return std::chrono::time_point_cast<std::chrono::seconds>(clock.now());
}

// Equal apart from metadata.managedFields.
bool same_object(const Json& a, const Json& b) {
  if (!a.is_object() || !b.is_object()) return a == b;
  if (a.size() != b.size()) return false;
  for (auto ia = a.begin(), ib = b.begin(); ia != a.end(); ++ia, ++ib) {
    if (ia.key() != ib.key()) return false;
    if (ia.key() != "metadata" || !ia->is_object() || !ib->is_object()) {
      if (*ia != *ib) return false;
      continue;
    }
    const Json &ma = *ia, &mb = *ib;
    auto ja = ma.begin(), jb = mb.begin();
    while (ja != ma.end() || jb != mb.end()) {
      if (ja != ma.end() && ja.key() == "managedFields") {
        ++ja;
        continue;
      }
      if (jb != mb.end() && jb.key() == "managedFields") {
        ++jb;
        continue;
      }
      if (ja == ma.end() || jb == mb.end() || ja.key() != jb.key() || *ja != *jb) return false;
      ++ja;
      ++jb;
    }
  }
  return true;
}

// The fields the comparison saw change leave every entry but `skip` (Updater.update): an entry
// that owned a modified or added field loses it, and so it is a conflict when not forced.
bool reassign(const Comparison& cmp, ManagedFieldsMap& managed, const std::string& skip, bool force,
              std::vector<FieldConflict>* conflicts) {
  const FieldSet changed = cmp.modified.unite(cmp.added);
  if (changed.empty() && cmp.removed.empty()) return true;
  if (!force && conflicts) {
    for (const auto& entry : managed) {
      if (entry.first == skip) continue;
      FieldSet owned = entry.second.fields.intersect(changed);
      if (owned.empty()) continue;
      const std::string& id = entry.first;
      const std::string description = entry.second.describe();
      owned.for_each([&](std::span<const PathElement> path) {
        conflicts->push_back({id, description, FieldPath(path.begin(), path.end())});
      });
    }
    if (!conflicts->empty()) return false;
  }
  for (auto it = managed.begin(); it != managed.end();) {
    ManagedFieldsEntry& e = it->second;
    if (it->first != skip && (e.fields.intersects(changed) || e.fields.intersects(cmp.removed))) {
      e.fields.subtract(changed);
      e.fields.subtract(cmp.removed);
      e.decoded_fields_v1.reset();
    }
    if (e.fields.empty()) {
      it = managed.erase(it);
    } else {
      ++it;
    }
  }
  return true;
}

std::string format_validation_errors(const std::vector<std::string>& errors) {
  if (errors.size() == 1) return errors[0];
  std::string out = "errors:";
  for (const auto& e : errors) out += "\n  " + e;
  return out;
}

std::string gvk_string(const GroupVersionKind& gvk) {
  return gvk.group + "/" + gvk.version + ", Kind=" + gvk.kind;
}

// schema.FromAPIVersionAndKind: an apiVersion that does not parse gives an empty group/version.
GroupVersionKind gvk_of(const Json& obj) {
  GroupVersionKind out;
  auto av = obj.find("apiVersion");
  auto kind = obj.find("kind");
  if (kind != obj.end() && kind->is_string()) out.kind = kind->get<std::string>();
  if (av == obj.end() || !av->is_string()) return out;
  const std::string& s = av->get_ref<const std::string&>();
  if (s.empty() || s == "/") return out;
  size_t slash = s.find('/');
  if (slash == std::string::npos) {
    out.version = s;
  } else if (s.find('/', slash + 1) == std::string::npos) {
    out.group = s.substr(0, slash);
    out.version = s.substr(slash + 1);
  }
  return out;
}

std::string go_type_of(const Json& v) {
  if (v.is_array()) return "array";
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "bool";
  return "number";
}

bool has_last_applied(const Json& obj) {
  auto v = annotation(obj, kLastAppliedConfigAnnotation);
  return v && !v->empty();
}

// buildLastApplied: the applied configuration without the annotation itself, as JSON the way
// unstructured's encoder writes it (Go encoding/json with a trailing newline).
std::string build_last_applied(const Json& config) {
  Json copy = config;
  auto m = copy.find("metadata");
  if (m != copy.end() && m->is_object()) {
    auto a = m->find("annotations");
    if (a != m->end() && a->is_object()) {
      a->erase(std::string(kLastAppliedConfigAnnotation));
      if (a->empty()) m->erase("annotations");
    }
  }
  std::string out = go_json(copy);
  out += '\n';
  return out;
}

// SetLastApplied: an annotation that would take the object past the annotation size limit is left
// out instead.
void set_last_applied(Json& obj, const std::string& value) {
  Json& annotations = mutable_metadata(obj)["annotations"];
  if (!annotations.is_object()) annotations = Json::object();
  annotations[std::string(kLastAppliedConfigAnnotation)] = value;
  size_t total = 0;
  for (auto it = annotations.begin(); it != annotations.end(); ++it) {
    total += it.key().size();
    if (it->is_string()) total += it->get_ref<const std::string&>().size();
  }
  if (total > kTotalAnnotationSizeLimit) {
    annotations.erase(std::string(kLastAppliedConfigAnnotation));
  }
}

}  // namespace

struct FieldManager::Outcome {
  std::optional<Json> object;  // nullopt: the apply changed nothing in the object
  ManagedFieldsMap managed;
  std::string applier;  // the applier's identifier
  std::vector<FieldConflict> conflicts;
};

FieldManager::FieldManager(const SchemaType* type, GroupVersionKind gvk, std::string subresource)
    : FieldManager(type, gvk, subresource, default_reset_fields(type, subresource)) {}

FieldManager::FieldManager(const SchemaType* type, GroupVersionKind gvk, std::string subresource,
                           FieldSet reset_fields)
    : type_(type),
      gvk_(std::move(gvk)),
      api_version_(gvk_.api_version()),
      subresource_(std::move(subresource)),
      reset_fields_(std::move(reset_fields)),
      // stripMeta: identity and server-maintained metadata are never owned by anyone.
      strip_{{f("apiVersion")},
             {f("kind")},
             {f("metadata")},
             {f("metadata"), f("name")},
             {f("metadata"), f("namespace")},
             {f("metadata"), f("creationTimestamp")},
             {f("metadata"), f("selfLink")},
             {f("metadata"), f("uid")},
             {f("metadata"), f("clusterName")},
             {f("metadata"), f("generation")},
             {f("metadata"), f("managedFields")},
             {f("metadata"), f("resourceVersion")}} {}

FieldSet FieldManager::default_reset_fields(const SchemaType* type, std::string_view subresource) {
  FieldSet out;
  if (!type) return out;
  if (subresource == "status") {
    for (const auto& fd : type->fields()) {
      if (fd.name != "apiVersion" && fd.name != "kind" && fd.name != "metadata" &&
          fd.name != "status") {
        out.insert(FieldPath{PathElement::field(fd.name)});
      }
    }
  } else if (type->field("status")) {
    out.insert(FieldPath{f("status")});
  }
  return out;
}

void FieldManager::update(const Json& live, Json& new_obj, std::string_view manager,
                          const Clock& clock) const {
  if (!new_obj.is_object()) return;
  const bool creating = uid(live).empty();
  auto decode_live = [&] {
    const Json* m = metadata_member(live, "managedFields");
    auto d = decode_managed_fields(m ? *m : Json());
    return d.ok() ? std::move(*d) : ManagedFieldsMap();
  };
  ManagedFieldsMap managed;
  std::optional<Json> incoming;
  if (auto m = new_obj.find("metadata"); m != new_obj.end() && m->is_object()) {
    if (auto it = m->find("managedFields"); it != m->end()) {
      incoming = std::move(*it);
      m->erase(it);
    }
  }
  if (!subresource_.empty()) {
    // A subresource request cannot set managedFields: the live ones are kept.
    managed = decode_live();
  } else if (incoming && is_reset_managed_fields(*incoming)) {
    // managedFields: [] starts the tracking afresh.
  } else {
    auto d = decode_managed_fields(incoming ? std::move(*incoming) : Json());
    // Clients that do not know managedFields send none (or garbage): keep the live ones.
    managed = d.ok() && !d->empty() ? std::move(*d) : decode_live();
  }
  // skipNonApplied: an object whose entries are gone is not tracked again until an apply.
  if (managed.empty() && !creating) return;

  Comparison cmp = compare(type_, live, new_obj);
  if (!managed.empty()) {
    // Only existing entries can lose fields to this update; a created object starts with none, so
    // its create skips copying and filtering the comparison (a few % of a pod create's CPU).
    Comparison filtered = cmp;
    filtered.exclude(reset_fields_);
    reassign(filtered, managed, kCurrentOperation, /*force=*/true, nullptr);
  }

  FieldSet current = cmp.modified.unite(cmp.added);
  current.subtract(cmp.removed);
  current.subtract_recursive(reset_fields_);
  current.subtract(strip_);
  if (!current.empty()) {
    ManagedFieldsEntry e;
    e.manager = manager.empty() ? std::string(kUnknownManager) : std::string(manager);
    e.operation = ManagedFieldsOperation::kUpdate;
    e.api_version = api_version_;
    e.subresource = subresource_;
    std::string id = e.identifier();
    auto [it, inserted] = managed.try_emplace(id, std::move(e));
    it->second.fields = inserted ? std::move(current) : current.unite(it->second.fields);
    it->second.decoded_fields_v1.reset();
    it->second.time = now_seconds(clock);
  }
  cap_update_managers(managed);
  store_managed_fields(new_obj, std::move(managed));
}

Result<FieldManager::Outcome> FieldManager::apply_once(const Json& live, const Json& config,
                                                       ManagedFieldsMap managed,
                                                       std::string_view manager, bool force) const {
  std::vector<std::string> errors;
  FieldSet applied = to_field_set(type_, config, &errors);
  if (!errors.empty()) {
    return make_error(ErrorCode::kInternal,
                      "failed to create typed patch object (" + std::string(namespace_of(config)) +
                          "/" + std::string(name(config)) + "; " + gvk_string(gvk_) +
                          "): " + format_validation_errors(errors));
  }
  Json merged = merge(type_, live, config);
  erase_managed_fields(merged);

  ManagedFieldsEntry entry;
  entry.manager = std::string(manager);
  entry.operation = ManagedFieldsOperation::kApply;
  entry.api_version = api_version_;
  entry.subresource = subresource_;
  Outcome out;
  out.applier = entry.identifier();
  FieldSet last;
  if (auto it = managed.find(out.applier); it != managed.end()) {
    last = std::move(it->second.fields);
    entry.time = it->second.time;  // a time changes only when the object does
  }
  applied.subtract_recursive(reset_fields_);
  entry.fields = std::move(applied);
  managed[out.applier] = std::move(entry);

  merged = prune(std::move(merged), managed, last, managed[out.applier].fields);
  if (!take_ownership(live, merged, managed, out.applier, force, &out.conflicts).ok()) {
    return out;
  }
  if (!same_object(live, merged)) out.object = std::move(merged);
  if (auto it = managed.find(out.applier); it != managed.end()) {
    it->second.fields.subtract(strip_);
    it->second.decoded_fields_v1.reset();
    if (it->second.fields.empty()) managed.erase(it);
  }
  out.managed = std::move(managed);
  return out;
}

Result<void> FieldManager::take_ownership(const Json& old_obj, const Json& new_obj,
                                          ManagedFieldsMap& managed, const std::string& applier,
                                          bool force, std::vector<FieldConflict>* conflicts) const {
  Comparison cmp = compare(type_, old_obj, new_obj);
  cmp.exclude(reset_fields_);
  if (!reassign(cmp, managed, applier, force, conflicts)) {
    return make_error(ErrorCode::kConflict, "conflicts");
  }
  return {};
}

// Updater.prune: removes what the applier set last time, no longer sets, and nobody else owns.
Json FieldManager::prune(Json merged, const ManagedFieldsMap& managed, const FieldSet& last,
                         const FieldSet& applied) const {
  // Nothing can go when everything applied last time is applied again.
  if (last.empty() || last.difference(applied).empty()) return merged;
  const FieldSet last_named = ensure_named_fields_are_members(type_, last);
  auto named_set = [&](const Json& obj) {
    return ensure_named_fields_are_members(type_, to_field_set(type_, obj));
  };
  const FieldSet merged_set = named_set(merged);
  Json pruned = remove_items(type_, merged, last_named);
  // addBackOwnedItems: what any manager (or this apply) owns stays.
  FieldSet owned;
  for (const auto& [id, e] : managed) owned.merge_from(e.fields);
  owned = ensure_named_fields_are_members(type_, owned);
  pruned = remove_items(type_, merged, merged_set.difference(named_set(pruned).unite(owned)));
  // addBackDanglingItems: only what this applier owned last time may go.
  return remove_items(type_, merged,
                      merged_set.difference(named_set(pruned)).intersect(last_named));
}

FieldSet FieldManager::allowed_conflicts_from_last_applied(const Json& live) const {
  auto text = annotation(live, kLastAppliedConfigAnnotation);
  if (!text || text->empty()) return {};
  Json last_applied;
  try {
    last_applied = Json::parse(*text);
  } catch (const std::exception&) {
    return {};
  }
  if (!last_applied.is_object() || !last_applied.contains("kind")) return {};
  std::vector<std::string> errors;
  FieldSet set = to_field_set(type_, last_applied, &errors);
  if (!errors.empty()) return {};
  // Only the fields whose live values still match what kubectl last applied were the client-side
  // applier's, and may be taken over without force.
  Comparison cmp = compare(type_, last_applied, live);
  return set.difference(cmp.modified).difference(cmp.added).difference(cmp.removed);
}

Result<ApplyResult> FieldManager::apply(const Json& live, const Json& config,
                                        std::string_view manager, bool force,
                                        const Clock& clock) const {
  if (!live.is_null() && !live.is_object()) {
    return make_error(ErrorCode::kInternal, "the live object is not a JSON object");
  }
  const Json* live_managed = metadata_member(live, "managedFields");
  auto decoded = decode_managed_fields(live_managed ? *live_managed : Json());
  if (!decoded.ok()) {
    return make_error(ErrorCode::kInternal,
                      "failed to decode managed fields: " + decoded.error().message);
  }
  if (!config.is_null() && !config.is_object()) {
    return make_error(ErrorCode::kBadRequest,
                      "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: "
                      "cannot unmarshal " +
                          go_type_of(config) + " into Go value of type map[string]interface {}");
  }
  const Json body = config.is_null() ? Json::object() : Json();
  const Json& applied = config.is_null() ? body : config;
  if (GroupVersionKind got = gvk_of(applied); got != gvk_) {
    return make_error(ErrorCode::kBadRequest, "invalid object type: " + gvk_string(got));
  }
  if (const Json* m = metadata_member(applied, "managedFields"); m && !m->is_null()) {
    return make_error(ErrorCode::kBadRequest, "metadata.managedFields must be nil");
  }

  BOSUN_ASSIGN_OR_RETURN(Outcome out, apply_once(live, applied, *decoded, manager, force));
  if (!out.conflicts.empty()) {
    // lastAppliedManager: kubectl taking over from its own client-side apply may claim, without
    // force, the fields whose live values are still what it last applied.
    if (manager != kKubectlApplyManager) return apply_conflict_error(out.conflicts);
    FieldSet allowed = allowed_conflicts_from_last_applied(live);
    std::vector<FieldConflict> remaining;
    for (auto& c : out.conflicts) {
      if (!allowed.has(c.path)) remaining.push_back(std::move(c));
    }
    if (!remaining.empty()) return apply_conflict_error(remaining);
    BOSUN_ASSIGN_OR_RETURN(out, apply_once(live, applied, *decoded, manager, /*force=*/true));
  }

  ApplyResult result;
  if (out.object) {
    result.object = std::move(*out.object);
    if (auto it = out.managed.find(out.applier); it != out.managed.end()) {
      it->second.time = now_seconds(clock);
    }
  } else {
    result.object = live.is_null() ? Json::object() : live;
  }
  cap_update_managers(out.managed);
  store_managed_fields(result.object, std::move(out.managed));
  // lastAppliedUpdater: keep kubectl's client-side annotation in step with what it applies.
  if (manager == kKubectlApplyManager && has_last_applied(result.object)) {
    set_last_applied(result.object, build_last_applied(applied));
  }
  result.changed = result.object != live;
  return result;
}

}  // namespace bosun::api
