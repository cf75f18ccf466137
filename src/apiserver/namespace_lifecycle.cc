// Namespaces' lifecycle, as Kubernetes' NamespaceLifecycle admission plugin and namespace REST
// storage keep it: nothing is created in a namespace that does not exist (404) or is being
// terminated (403, cause NamespaceTerminating); deleting a namespace first marks it Terminating and
// leaves it to the namespace controller, which empties it and removes the `kubernetes` finalizer;
// default, kube-system and kube-public may not be deleted.
#include <fmt/format.h>

#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"
#include "common/time_format.h"

namespace bosun::apiserver {

namespace {

bool terminating(const Json& ns) {
  if (!api::deletion_timestamp(ns).empty()) return true;
  if (ns.contains("status") && ns["status"].is_object()) {
    return ns["status"].value("phase", std::string()) == "Terminating";
  }
  return false;
}

bool has_spec_finalizers(const Json& ns) {
  if (!ns.contains("spec") || !ns["spec"].is_object()) return false;
  auto f = ns["spec"].find("finalizers");
  return f != ns["spec"].end() && f->is_array() && !f->empty();
}

// kube-apiserver's forceLiveLookupTTL.
constexpr auto kForceLiveLookupTtl = std::chrono::seconds(30);

}  // namespace

void RestCore::force_live_namespace_lookup(std::string_view name) {
  std::lock_guard lock(live_lookup_mu_);
  const auto now = clock_.now();
  // Expired entries go whenever one is added: the map holds only recent deletions.
  std::erase_if(live_lookup_until_, [&](const auto& e) { return e.second <= now; });
  live_lookup_until_[std::string(name)] = now + kForceLiveLookupTtl;
}

bool RestCore::needs_live_namespace_lookup(std::string_view name) {
  std::lock_guard lock(live_lookup_mu_);
  if (live_lookup_until_.empty()) return false;
  auto it = live_lookup_until_.find(name);
  return it != live_lookup_until_.end() && it->second > clock_.now();
}

bool is_immortal_namespace(std::string_view name) {
  return name == "default" || name == "kube-system" || name == "kube-public";
}

Result<void> admit_create_in_namespace(RestCore& core, const ResourceScope& scope,
                                       std::string_view ns, std::string_view name) {
  if (!scope.type->namespaced) return ok_result();
  const ResourceScope* namespaces = core.scope("", "v1", "namespaces");
  if (namespaces == nullptr) return ok_result();
  std::string key = object_key(namespaces->prefix, "", ns);
  Json obj;
  bool found = false;
  if (namespaces->cache && !core.needs_live_namespace_lookup(ns)) {
    auto [cached, rev] = namespaces->cache->get(key);
    if (cached) {
      // The cache keeps status.phase as a selectable field: no parse on this hot path. The phase
      // turns Terminating together with the deletionTimestamp.
      const auto& fields = namespaces->type->selectable_fields;
      for (size_t i = 0; i < fields.size() && i < cached->fields.size(); ++i) {
        if (fields[i].label == "status.phase") {
          obj = Json{{"status", {{"phase", cached->fields[i]}}}};
          found = true;
        }
      }
      if (!found) {
        obj = Json::parse(cached->json, nullptr, false);
        found = true;
      }
    }
  }
  if (!found) {
    // The cache may not have seen a namespace created a moment ago: ask the store, as the plugin
    // falls back to a live lookup.
    auto kv = core.store().get(key);
    if (!kv.ok()) {
      if (kv.error().code == ErrorCode::kNotFound) return not_found_error("namespaces", ns);
      return std::move(kv).error();
    }
    obj = Json::parse(kv->value, nullptr, false);
  }
  if (terminating(obj)) {
    Error e = forbidden_error(
        scope.qualified_resource, name,
        fmt::format("unable to create new content in namespace {} because it is being terminated",
                    ns));
    e.causes.push_back({"NamespaceTerminating", fmt::format("namespace {} is being terminated", ns),
                        "metadata.namespace"});
    return e;
  }
  return ok_result();
}

Result<Json> delete_namespace(RestCore& core, const ResourceScope& scope, std::string_view name,
                              const DeleteOptions& options) {
  if (is_immortal_namespace(name)) {
    return forbidden_error("namespaces", name, "this namespace may not be deleted");
  }
  for (int attempt = 0;; ++attempt) {
    BOSUN_ASSIGN_OR_RETURN(store::KeyValue kv, get_current(core, scope, "", name));
    BOSUN_ASSIGN_OR_RETURN(Json ns, decode_stored(kv.value, kv.mod_revision));
    if (options.precondition_uid && *options.precondition_uid != api::uid(ns)) {
      return conflict_error("namespaces", name,
                            fmt::format("Precondition failed: UID in precondition: {}, UID in "
                                        "object meta: {}",
                                        *options.precondition_uid, api::uid(ns)));
    }
    if (!api::deletion_timestamp(ns).empty()) {
      // Termination already started: the namespace goes once its finalizers are done.
      if (has_spec_finalizers(ns)) {
        return conflict_error("namespaces", name,
                              "The system is ensuring all content is removed from this "
                              "namespace.  Upon completion, this namespace will automatically be "
                              "purged by the system.");
      }
      return delete_object(core, scope, "", name, options);
    }
    // The first delete marks it Terminating; the namespace controller finishes the job.
    Json out = ns;
    Json& m = api::mutable_metadata(out);
    m["deletionTimestamp"] = format_rfc3339(core.clock().now());
    if (!out.contains("status") || !out["status"].is_object()) out["status"] = Json::object();
    out["status"]["phase"] = "Terminating";
    if (options.orphan_dependents.has_value() && !*options.orphan_dependents) {
      std::vector<std::string> kept;
      for (const std::string& f : api::finalizers(out)) {
        if (f != api::kFinalizerOrphanDependents) kept.push_back(f);
      }
      if (kept.empty()) {
        m.erase("finalizers");
      } else {
        m["finalizers"] = kept;
      }
    }
    if (options.dry_run) return out;
    // Before the write, so no create that follows it can be admitted from a cache without it.
    core.force_live_namespace_lookup(name);
    auto written = core.store().update(object_key(scope.prefix, "", name), encode_for_storage(out),
                                       kv.mod_revision);
    if (written.ok()) {
      api::set_resource_version(out, written->mod_revision);
      return out;
    }
    if (written.error().code != ErrorCode::kConflict || attempt >= 8) {
      return std::move(written).error();
    }
  }
}

}  // namespace bosun::apiserver
