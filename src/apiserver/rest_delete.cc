// DELETE of an object or a collection: Kubernetes' deleteHandler and Store.Delete. Preconditions
// (uid, resourceVersion) are checked first; pods are deleted gracefully (a pod bound to a node gets
// a deletionTimestamp and grace period and stays until its node's agent deletes it with grace 0);
// the propagation policy adds the garbage collector's finalizers (`orphan`, `foregroundDeletion`);
// an object with finalizers gets a deletionTimestamp and stays until an update removes the last
// one; everything else is removed at once.
#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"
#include "apiserver/service_allocator.h"
#include "common/time_format.h"

namespace bosun::apiserver {

namespace {

constexpr int kDeleteAttempts = 8;

bool is_pods(const ResourceScope& scope) {
  return scope.type->group.empty() && scope.type->plural == "pods";
}
bool is_services(const ResourceScope& scope) {
  return scope.type->group.empty() && scope.type->plural == "services";
}

// shouldOrphanDependents / shouldDeleteDependents, for kinds whose default policy is to delete
// dependents in the background (every built-in kind served here).
void gc_finalizer_policy(const Json& obj, const DeleteOptions& o, bool* orphan, bool* foreground) {
  *orphan = false;
  *foreground = false;
  if (o.orphan_dependents.has_value()) {
    *orphan = *o.orphan_dependents;
    return;
  }
  switch (o.propagation) {
    case PropagationPolicy::kOrphan:
      *orphan = true;
      return;
    case PropagationPolicy::kForeground:
      *foreground = true;
      return;
    case PropagationPolicy::kBackground:
      return;
    case PropagationPolicy::kDefault:
      break;
  }
  // An existing GC finalizer is the object's standing policy.
  for (const std::string& f : api::finalizers(obj)) {
    if (f == api::kFinalizerOrphanDependents) {
      *orphan = true;
      return;
    }
    if (f == api::kFinalizerDeleteDependents) {
      *foreground = true;
      return;
    }
  }
}

// deletionFinalizersForGarbageCollection: whether the finalizers change, and the new list.
bool gc_finalizers(const Json& obj, const DeleteOptions& o, std::vector<std::string>* out) {
  bool orphan = false, foreground = false;
  gc_finalizer_policy(obj, o, &orphan, &foreground);
  std::vector<std::string> current = api::finalizers(obj);
  std::vector<std::string> next;
  for (const std::string& f : current) {
    if (f != api::kFinalizerOrphanDependents && f != api::kFinalizerDeleteDependents) {
      next.push_back(f);
    }
  }
  if (orphan) next.emplace_back(api::kFinalizerOrphanDependents);
  if (foreground) next.emplace_back(api::kFinalizerDeleteDependents);
  std::vector<std::string> a = current, b = next;
  std::sort(a.begin(), a.end());
  a.erase(std::unique(a.begin(), a.end()), a.end());
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  *out = std::move(next);
  return a != b;
}

void set_finalizers(Json& obj, const std::vector<std::string>& finalizers) {
  Json& m = api::mutable_metadata(obj);
  if (finalizers.empty()) {
    m.erase("finalizers");
  } else {
    m["finalizers"] = finalizers;
  }
}

std::string rfc3339(Clock::WallTime t) { return format_rfc3339(t); }

// The pod strategy's CheckGracefulDelete: the grace period asked for, else the pod's
// terminationGracePeriodSeconds; zero for a pod no node runs, or one that has finished.
int64_t pod_grace_period(const Json& pod, const DeleteOptions& o) {
  int64_t period = 0;
  if (o.grace_period_seconds) {
    period = *o.grace_period_seconds;
  } else if (pod.contains("spec") && pod["spec"].is_object()) {
    auto t = pod["spec"].find("terminationGracePeriodSeconds");
    if (t != pod["spec"].end() && t->is_number_integer()) period = t->get<int64_t>();
  }
  std::string node;
  std::string phase;
  if (pod.contains("spec") && pod["spec"].is_object()) {
    node = pod["spec"].value("nodeName", std::string());
  }
  if (pod.contains("status") && pod["status"].is_object()) {
    phase = pod["status"].value("phase", std::string());
  }
  if (node.empty() || phase == "Failed" || phase == "Succeeded") period = 0;
  if (period < 0) period = 1;
  return period;
}

}  // namespace

// The body of a completed delete: the object for kinds that return it, else a Success Status.
Json deleted_response(const ResourceScope& scope, const Json& obj) {
  if (scope.return_deleted_object) return obj;
  return success_status(api::name(obj), scope.type->group, scope.type->plural, api::uid(obj));
}

struct DeleteOutcome {
  Json body;
  bool deleted = false;
};

Result<DeleteOutcome> delete_once(RestCore& core, const ResourceScope& scope, std::string_view ns,
                                  std::string_view name, DeleteOptions& o, bool* retry) {
  *retry = false;
  std::string key = object_key(scope.prefix, ns, name);
  BOSUN_ASSIGN_OR_RETURN(store::KeyValue kv, get_current(core, scope, ns, name));
  BOSUN_ASSIGN_OR_RETURN(Json obj, served_object(scope, kv.value, kv.mod_revision));

  // rest.BeforeDelete: preconditions first (the conflict names the kind, as upstream does).
  if (o.precondition_uid && *o.precondition_uid != api::uid(obj)) {
    return conflict_error(scope.qualified_kind, name,
                          fmt::format("the UID in the precondition ({}) does not match the UID in "
                                      "record ({}). The object might have been deleted and then "
                                      "recreated",
                                      *o.precondition_uid, api::uid(obj)));
  }
  if (o.precondition_resource_version &&
      *o.precondition_resource_version != api::resource_version(obj)) {
    return conflict_error(
        scope.qualified_kind, name,
        fmt::format("the ResourceVersion in the precondition ({}) does not match "
                    "the ResourceVersion in record ({}). The object might have "
                    "been modified",
                    *o.precondition_resource_version, api::resource_version(obj)));
  }
  if (o.grace_period_seconds && *o.grace_period_seconds < 0) o.grace_period_seconds = 1;

  Json updated = obj;
  bool graceful = false;
  bool graceful_pending = false;
  int64_t grace = 0;
  Clock::WallTime now = core.clock().now();
  if (is_pods(scope)) {
    if (!api::deletion_timestamp(obj).empty()) {
      auto existing = api::deletion_grace_period_seconds(obj);
      if (existing && *existing > 0) {
        if (o.grace_period_seconds && *o.grace_period_seconds < *existing) {
          // Only a shorter grace period may be given once deletion started.
          auto ts = parse_rfc3339(api::deletion_timestamp(obj));
          Clock::WallTime at = ts.ok() ? *ts : now;
          // Saturated: both are int64s a caller chose; their difference cannot overflow (here
          // 0 <= grace < *existing).
          at = saturating_add(at, std::chrono::seconds(*o.grace_period_seconds - *existing));
          Json& m = api::mutable_metadata(updated);
          m["deletionTimestamp"] = rfc3339(at);
          m["deletionGracePeriodSeconds"] = *o.grace_period_seconds;
          grace = *o.grace_period_seconds;
          graceful = true;
        } else {
          graceful_pending = true;
        }
      }
    } else {
      grace = pod_grace_period(obj, o);
      Json& m = api::mutable_metadata(updated);
      m["deletionTimestamp"] = rfc3339(saturating_add(now, std::chrono::seconds(grace)));
      m["deletionGracePeriodSeconds"] = grace;
      if (api::generation(obj) > 0) api::set_generation(updated, api::generation(obj) + 1);
      graceful = true;
    }
  }
  if (graceful_pending) return DeleteOutcome{obj, false};

  std::vector<std::string> finalizers;
  if (gc_finalizers(updated, o, &finalizers)) set_finalizers(updated, finalizers);
  bool pending_finalizers = !api::finalizers(updated).empty();

  bool delete_now = false;
  if (graceful) {
    // A graceful deletion with nothing left to wait for completes at once.
    delete_now = grace == 0 && !pending_finalizers;
  } else if (pending_finalizers) {
    // markAsDeleting.
    Json& m = api::mutable_metadata(updated);
    if (api::deletion_timestamp(obj).empty() && api::generation(obj) > 0) {
      api::set_generation(updated, api::generation(obj) + 1);
    }
    auto existing = parse_rfc3339(api::deletion_timestamp(obj));
    if (api::deletion_timestamp(obj).empty() || !existing.ok() || *existing > now) {
      m["deletionTimestamp"] = rfc3339(now);
    }
    m["deletionGracePeriodSeconds"] = 0;
  } else {
    delete_now = true;
  }

  if (!delete_now) {
    if (o.dry_run) return DeleteOutcome{updated, false};
    std::string value = stored_value(scope, updated);
    if (value == kv.value) return DeleteOutcome{obj, false};
    auto written = core.store().update(key, std::move(value), kv.mod_revision);
    if (!written.ok()) {
      if (written.error().code == ErrorCode::kConflict) {
        *retry = true;
        return std::move(written).error();
      }
      if (written.error().code == ErrorCode::kNotFound) {
        return not_found_error(scope.qualified_resource, name);
      }
      return std::move(written).error();
    }
    api::set_resource_version(updated, written->mod_revision);
    return DeleteOutcome{updated, false};
  }

  if (o.dry_run) return DeleteOutcome{deleted_response(scope, obj), true};
  auto removed = core.store().remove(key, kv.mod_revision);
  if (!removed.ok()) {
    if (removed.error().code == ErrorCode::kConflict) {
      *retry = true;
      return std::move(removed).error();
    }
    if (removed.error().code == ErrorCode::kNotFound) {
      return not_found_error(scope.qualified_resource, name);
    }
    return std::move(removed).error();
  }
  if (is_services(scope) && core.service_allocator()) {
    core.service_allocator()->commit(core.service_allocator()->release_for_delete(obj));
  }
  return DeleteOutcome{deleted_response(scope, obj), true};
}

Result<Json> delete_object(RestCore& core, const ResourceScope& scope, std::string_view ns,
                           std::string_view name, DeleteOptions options) {
  for (int attempt = 0;; ++attempt) {
    DeleteOptions o = options;
    bool retry = false;
    auto outcome = delete_once(core, scope, ns, name, o, &retry);
    if (outcome.ok()) return std::move(outcome->body);
    if (!retry || attempt + 1 >= kDeleteAttempts) return std::move(outcome).error();
  }
}

Result<Response> handle_delete(RestCore& core, RestRequest& r) {
  BOSUN_ASSIGN_OR_RETURN(DeleteOptions options, parse_delete_options(r.req()));
  const ResourceScope& scope = *r.scope;
  Json body;
  if (scope.type->group.empty() && scope.type->plural == "namespaces") {
    BOSUN_ASSIGN_OR_RETURN(body, delete_namespace(core, scope, r.info.name, options));
  } else {
    BOSUN_ASSIGN_OR_RETURN(body,
                           delete_object(core, scope, r.info.namespace_, r.info.name, options));
  }
  // Upstream answers 202 only for the deprecated orphanDependents=false when the object stays.
  int status = 200;
  bool stays =
      body.value("kind", std::string()) != "Status" && !api::deletion_timestamp(body).empty();
  if (stays && options.orphan_dependents.has_value() && !*options.orphan_dependents) status = 202;
  if (body.value("kind", std::string()) == "Status") {
    Response resp = Response::json(status, body);
    add_warnings(r, resp);
    return resp;
  }
  return object_response(r, status, to_json(body));
}

Result<Response> handle_delete_collection(RestCore& core, RestRequest& r) {
  BOSUN_ASSIGN_OR_RETURN(DeleteOptions options, parse_delete_options(r.req()));
  BOSUN_ASSIGN_OR_RETURN(ListOptions lo, parse_list_options(r.req().query, r.type()));
  const ResourceScope& scope = *r.scope;
  ObjectFilter filter;
  filter.namespace_ = r.info.namespace_;
  filter.labels = lo.label_selector;
  filter.fields = lo.field_selector;
  filter.compile(r.type());
  std::string prefix = collection_prefix(scope.prefix, r.info.namespace_);
  store::ListOptions slo;
  slo.limit = lo.limit;
  BOSUN_ASSIGN_OR_RETURN(store::ListResult listed, core.store().list(prefix, slo));
  std::string items;
  bool first = true;
  for (const store::KeyValue& kv : listed.items) {
    auto obj = make_cached_object(*scope.type, kv.key, kv.value, kv.mod_revision, nullptr,
                                  &scope.from_storage);
    if (!obj || !filter.matches(*obj)) continue;
    auto deleted = delete_object(core, scope, obj->namespace_, obj->name, options);
    if (!deleted.ok() && deleted.error().code != ErrorCode::kNotFound) {
      return std::move(deleted).error();
    }
    if (!first) items += ',';
    first = false;
    items += obj->json;
  }
  // DeleteCollection answers with the list of what it deleted, as listed.
  std::string body = fmt::format(
      R"({{"kind":{},"apiVersion":{},"metadata":{{"resourceVersion":"{}"}},"items":[{}]}})",
      to_json(scope.type->list_kind), to_json(scope.type->api_version()), listed.revision, items);
  Response resp;
  resp.body = std::move(body);
  add_warnings(r, resp);
  return resp;
}

}  // namespace bosun::apiserver
