// PUT of an object or its status: Kubernetes' updateHandler and Store.Update. The update is a
// read-modify-write over the store's guaranteed_update, so a concurrent writer makes it start again
// from a fresh read, and an update that changes nothing writes nothing (no new resourceVersion).
#include <fmt/format.h>

#include <functional>

#include "api/managed_fields.h"
#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"
#include "apiserver/service_allocator.h"

namespace bosun::apiserver {

namespace {

constexpr std::string_view kDeleteDuringUpdate =
    "\x01"
    "delete during update";
constexpr int kDeleteDuringUpdateAttempts = 5;

bool is_services(const ResourceScope& scope) {
  return scope.type->group.empty() && scope.type->plural == "services";
}

// rest.ResetObjectMetaForStatus plus the status strategy's PrepareForUpdate: a status update takes
// only the status (and managedFields); everything else stays as stored. Deployments are the
// exception Kubernetes makes (deploymentStatusStrategy keeps only spec and labels): their status
// writes may change annotations, which is how the deployment controller records revisions
// without bumping the generation.
Json status_update(const Json& old, const Json& obj, bool takes_annotations) {
  Json out = old;
  if (takes_annotations && obj.contains("metadata") && obj["metadata"].is_object()) {
    Json& m = api::mutable_metadata(out);
    if (auto a = obj["metadata"].find("annotations"); a != obj["metadata"].end()) {
      m["annotations"] = *a;
    } else {
      m.erase("annotations");
    }
  }
  if (auto s = obj.find("status"); s != obj.end()) {
    out["status"] = *s;
  } else {
    out.erase("status");
  }
  if (obj.contains("metadata") && obj["metadata"].is_object()) {
    Json& m = api::mutable_metadata(out);
    const Json& nm = obj["metadata"];
    if (auto mf = nm.find("managedFields"); mf != nm.end()) m["managedFields"] = *mf;
    if (auto rv = nm.find("resourceVersion"); rv != nm.end()) {
      m["resourceVersion"] = *rv;
    } else {
      m.erase("resourceVersion");
    }
  }
  return out;
}

// The namespace finalize subresource takes only spec.finalizers.
Json finalize_update(const Json& old, const Json& obj) {
  Json out = old;
  Json finalizers = Json::array();
  if (obj.contains("spec") && obj["spec"].is_object() && obj["spec"].contains("finalizers")) {
    finalizers = obj["spec"]["finalizers"];
  }
  out["spec"]["finalizers"] = finalizers;
  if (auto rv = api::resource_version(obj); !rv.empty()) {
    api::mutable_metadata(out)["resourceVersion"] = rv;
  } else {
    api::mutable_metadata(out).erase("resourceVersion");
  }
  return out;
}

// Store.Update's ShouldDeleteDuringUpdate: a deleting object whose last finalizer went, with no
// grace period left, is deleted instead of written. Namespaces also wait for their spec
// finalizers (ShouldDeleteNamespaceDuringUpdate): the namespace controller's finalize removes it.
bool should_delete_during_update(const ResourceScope& scope, const Json& obj, const Json& old) {
  if (!api::finalizers(obj).empty() || api::deletion_timestamp(old).empty()) return false;
  if (scope.type->group.empty() && scope.type->plural == "namespaces") {
    if (obj.contains("spec") && obj["spec"].is_object()) {
      auto f = obj["spec"].find("finalizers");
      if (f != obj["spec"].end() && f->is_array() && !f->empty()) return false;
    }
  }
  auto grace = api::deletion_grace_period_seconds(old);
  return !grace || *grace == 0;
}

// Kubernetes' Cacher.GuaranteedUpdate hands the store the watch cache's copy of the object
// (cachedExistingObject): the first attempt is computed on it without reading the store, and only
// when that copy turns out stale (a compare-and-swap conflict) or its outcome needs a fresh read to
// be trusted (an error, or no change) does the store's read-modify-write run. Used for
// pods/binding and status writes: the scheduler binds pods the cache has just seen created, and
// kubelets write the status of pods they watch. `reset` forgets what a rejected attempt recorded.
Result<store::KeyValue> update_from_cache_first(RestCore& core, const ResourceScope& scope,
                                                const std::string& key,
                                                std::string_view subresource,
                                                const store::TryUpdate& try_update,
                                                const std::function<void()>& reset) {
  const bool eligible = scope.cache != nullptr && !scope.from_storage &&
                        (subresource == "binding" || subresource == "status");
  if (eligible) {
    auto [cached, cache_revision] = scope.cache->get(key);
    if (cached) {
      // The cached text is the stored value with its resourceVersion spliced in, which the update
      // reads as the precondition the store checks.
      store::KeyValue current{key, cached->json, cached->revision, cached->revision};
      auto next = try_update(current);
      if (next.ok() && next->has_value() &&
          with_resource_version(**next, cached->revision) != cached->json) {
        auto written = core.store().update(key, std::move(**next), cached->revision);
        if (written.ok() || written.error().code != ErrorCode::kConflict) return written;
      }
      reset();
    }
  }
  return core.store().guaranteed_update(key, try_update);
}

}  // namespace

FieldErrors validate_for_update(const api::ResourceType& type, const Json& obj, const Json& old) {
  FieldErrors meta = api::validate_object_meta_update(obj, old);
  FieldErrors own =
      type.strategy.validate_update ? type.strategy.validate_update(obj, old) : FieldErrors();
  meta.append(own);
  return meta;
}

Result<UpdateOutcome> update_object(RestCore& core, const ResourceScope& scope, std::string_view ns,
                                    std::string_view name, std::string_view subresource,
                                    const UpdatedObjectFn& fn, const WriteOptions& options,
                                    bool fn_manages_fields) {
  const api::ResourceType& type = *scope.type;
  std::string key = object_key(scope.prefix, ns, name);
  for (int attempt = 0;; ++attempt) {
    std::optional<ServiceAllocation> allocation;
    bool delete_now = false;
    Json deleting;
    uint64_t deleting_revision = 0;
    std::string dry_run_result;

    auto try_update = [&](const store::KeyValue& current) -> Result<std::optional<std::string>> {
      if (allocation) {
        core.service_allocator()->rollback(*allocation);
        allocation.reset();
      }
      BOSUN_ASSIGN_OR_RETURN(Json old, served_object(scope, current.value, current.mod_revision));
      BOSUN_ASSIGN_OR_RETURN(Json obj, fn(old));
      if (!obj.is_object()) return internal_error("the updated object is not an object");
      if (!fn_manages_fields) {
        if (const api::FieldManager* fm = scope.manager_for(subresource)) {
          fm->update(old, obj, options.manager, core.clock());
        }
      }
      if (subresource == "status") {
        obj = status_update(old, obj, type.group == "apps" && type.plural == "deployments");
      } else if (subresource == "finalize") {
        obj = finalize_update(old, obj);
      } else if (subresource == "binding") {
        // pods/binding writes spec.nodeName and the PodScheduled condition itself.
      } else if (scope.has_status) {
        // The main resource ignores status changes: they go through /status.
        if (auto s = old.find("status"); s != old.end()) {
          obj["status"] = *s;
        } else {
          obj.erase("status");
        }
      }
      // The optimistic-concurrency precondition the new object carries. Without one the update
      // is unconditional (AllowUnconditionalUpdate, true for every kind served here): it applies
      // to the version just read.
      if (api::resource_version(obj).empty()) api::set_resource_version(obj, current.mod_revision);
      BOSUN_RETURN_IF_ERROR(api::check_resource_version_precondition(
          obj, current.mod_revision, scope.qualified_resource, name));
      // rest.BeforeUpdate.
      if (type.namespaced) {
        std::string_view ons = api::namespace_of(obj);
        if (ons.empty()) {
          api::set_namespace(obj, ns);
        } else if (ons != ns) {
          return bad_request_error(
              "the namespace of the provided object does not match the namespace sent on the "
              "request");
        }
      } else {
        api::mutable_metadata(obj).erase("namespace");
      }
      api::prepare_object_meta_for_update(obj, old);
      const api::resources::SubresourceStrategy* sub_strategy = nullptr;
      if (auto it = scope.subresource_strategies.find(subresource);
          it != scope.subresource_strategies.end()) {
        sub_strategy = &it->second;
      }
      if (subresource.empty()) {
        if (type.strategy.default_fields) type.strategy.default_fields(obj);
        if (type.strategy.prepare_for_update) type.strategy.prepare_for_update(obj, old);
        // Kubernetes' strategies bump metadata.generation when the spec changes.
        if (api::generation(old) > 0) api::bump_generation_if_changed(obj, old, "spec");
      } else if (sub_strategy) {
        if (type.strategy.default_fields) type.strategy.default_fields(obj);
        if (sub_strategy->prepare_for_update) sub_strategy->prepare_for_update(obj, old);
      }
      FieldErrors errs;
      if (subresource.empty()) {
        errs = validate_for_update(type, obj, old);
      } else {
        // A subresource has its own validation, if any (the binding is its own: a pod's spec is
        // otherwise immutable).
        errs = api::validate_object_meta_update(obj, old);
        if (sub_strategy && sub_strategy->validate_update) {
          errs.append(sub_strategy->validate_update(obj, old));
        }
      }
      if (!errs.empty()) return errs.to_error(scope.qualified_kind, name);

      if (should_delete_during_update(scope, obj, old)) {
        delete_now = true;
        deleting = std::move(obj);
        deleting_revision = current.mod_revision;
        return make_error(ErrorCode::kInternal, std::string(kDeleteDuringUpdate));
      }
      if (is_services(scope) && core.service_allocator() && subresource.empty()) {
        BOSUN_ASSIGN_OR_RETURN(allocation, core.service_allocator()->allocate_for_update(obj, old));
      }
      // The store's revision is the resourceVersion: it is not kept in the value.
      api::mutable_metadata(obj).erase("resourceVersion");
      std::string value = stored_value(scope, obj);
      if (options.dry_run) {
        dry_run_result = served_json(scope, value, current.mod_revision);
        return std::optional<std::string>();
      }
      if (value == current.value) return std::optional<std::string>();
      // obj is in the stored shape unless the resource converts (then the value is not announced).
      if (!scope.to_storage) announce_write(scope, key, value, obj);
      return std::optional<std::string>(std::move(value));
    };

    Result<store::KeyValue> written = make_error(ErrorCode::kInternal, "not run");
    if (options.dry_run) {
      BOSUN_ASSIGN_OR_RETURN(store::KeyValue current, get_current(core, scope, ns, name));
      auto r = try_update(current);
      if (allocation) core.service_allocator()->rollback(*allocation);
      if (!r.ok() && !delete_now) return std::move(r).error();
      if (delete_now) {
        return UpdateOutcome{to_json(deleting), true};
      }
      if (dry_run_result.empty())
        dry_run_result = served_json(scope, current.value, current.mod_revision);
      return UpdateOutcome{std::move(dry_run_result), false};
    }
    written = update_from_cache_first(core, scope, key, subresource, try_update, [&] {
      delete_now = false;
      deleting = Json();
      deleting_revision = 0;
    });
    if (written.ok()) {
      if (allocation) core.service_allocator()->commit(*allocation);
      return UpdateOutcome{served_json(scope, written->value, written->mod_revision), false};
    }
    if (allocation) core.service_allocator()->rollback(*allocation);
    Error e = std::move(written).error();
    if (!delete_now) {
      if (e.code == ErrorCode::kNotFound) return not_found_error(scope.qualified_resource, name);
      return e;
    }
    // deleteWithoutFinalizers: remove it, unless it changed since (then start over).
    auto removed = core.store().remove(key, deleting_revision);
    if (removed.ok()) {
      if (is_services(scope) && core.service_allocator()) {
        core.service_allocator()->commit(core.service_allocator()->release_for_delete(deleting));
      }
      api::set_resource_version(deleting, removed->revision);
      return UpdateOutcome{to_json(deleting), true};
    }
    if (removed.error().code == ErrorCode::kNotFound) {
      return not_found_error(scope.qualified_resource, name);
    }
    if (removed.error().code != ErrorCode::kConflict ||
        attempt + 1 >= kDeleteDuringUpdateAttempts) {
      return std::move(removed).error();
    }
  }
}

Result<Response> handle_update(RestCore& core, RestRequest& r) {
  BOSUN_ASSIGN_OR_RETURN(WriteOptions options, parse_write_options(r.req().query, "UpdateOptions"));
  options.manager = api::manager_or_user_agent(options.field_manager, r.req().header("User-Agent"));
  BOSUN_ASSIGN_OR_RETURN(Json body,
                         decode_body(r, r.type().gvk(), r.type().schema, options.field_validation));
  // checkName.
  std::string_view body_name = api::name(body);
  if (body_name != r.info.name) {
    return bad_request_error(
        fmt::format("the name of the object ({}) does not match the name on the URL ({})",
                    body_name, r.info.name));
  }
  if (r.type().namespaced) {
    std::string_view body_ns = api::namespace_of(body);
    if (!body_ns.empty() && body_ns != r.info.namespace_) {
      return bad_request_error(fmt::format(
          "the namespace of the object ({}) does not match the namespace on the request ({})",
          body_ns, r.info.namespace_));
    }
  }
  BOSUN_ASSIGN_OR_RETURN(UpdateOutcome outcome,
                         update_object(
                             core, *r.scope, r.info.namespace_, r.info.name, r.info.subresource,
                             [&](const Json&) -> Result<Json> { return body; }, options));
  return object_response(r, 200, std::move(outcome.json));
}

}  // namespace bosun::apiserver
