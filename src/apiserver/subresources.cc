// The subresources that are not the object itself: scale (autoscaling/v1 Scale over
// spec.replicas, for deployments, replicasets and replicationcontrollers), pods/binding (the
// scheduler's assignment of a pod to a node, once) and pods/eviction (a delete that
// PodDisruptionBudgets may refuse, once they exist).
#include <fmt/format.h>

#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/patch.h"
#include "api/resources/resources.h"
#include "api/schema_validation.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"

namespace bosun::apiserver {

namespace {

const api::GroupVersionKind kScaleKind{"autoscaling", "v1", "Scale"};
const api::GroupVersionKind kBindingKind{"", "v1", "Binding"};
const api::GroupVersionKind kEvictionKind{"policy", "v1", "Eviction"};

// The status.selector of a Scale: the label selector as a string.
std::string scale_selector(const ResourceScope& scope, const Json& obj) {
  if (!obj.contains("spec") || !obj["spec"].is_object()) return "";
  auto sel = obj["spec"].find("selector");
  if (sel == obj["spec"].end() || sel->is_null()) return "";
  if (scope.type->group.empty()) {
    // ReplicationControllers select by a plain map.
    if (!sel->is_object()) return "";
    api::Labels set;
    for (auto it = sel->begin(); it != sel->end(); ++it) {
      if (it.value().is_string()) set.emplace(it.key(), it.value().get<std::string>());
    }
    return api::LabelSelector::from_set(set).to_string();
  }
  auto parsed = api::LabelSelector::from_json(*sel);
  return parsed.ok() ? parsed->to_string() : "";
}

int64_t int_at(const Json& obj, const char* a, const char* b) {
  if (!obj.contains(a) || !obj[a].is_object()) return 0;
  auto v = obj[a].find(b);
  return v != obj[a].end() && v->is_number_integer() ? v->get<int64_t>() : 0;
}

Json scale_of(const ResourceScope& scope, const Json& obj) {
  Json meta = Json::object();
  const Json& m = obj.contains("metadata") && obj["metadata"].is_object() ? obj["metadata"] : meta;
  Json out_meta = Json::object();
  for (const char* k : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (m.contains(k)) out_meta[k] = m[k];
  }
  Json status = {{"replicas", int_at(obj, "status", "replicas")}};
  std::string selector = scale_selector(scope, obj);
  if (!selector.empty()) status["selector"] = selector;
  return Json{{"kind", "Scale"},
              {"apiVersion", "autoscaling/v1"},
              {"metadata", std::move(out_meta)},
              {"spec", {{"replicas", int_at(obj, "spec", "replicas")}}},
              {"status", std::move(status)}};
}

Json success_created() {
  return Json{{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", Json::object()},
              {"status", "Success"},
              {"code", 201}};
}

const api::SchemaType* schema_of(const api::GroupVersionKind& gvk) {
  return api::SchemaSet::global().find(gvk);
}

}  // namespace

Result<Response> handle_scale(RestCore& core, RestRequest& r) {
  const ResourceScope& scope = *r.scope;
  const std::string& ns = r.info.namespace_;
  const std::string& name = r.info.name;
  if (r.info.verb == "get") {
    BOSUN_ASSIGN_OR_RETURN(store::KeyValue kv, get_current(core, scope, ns, name));
    BOSUN_ASSIGN_OR_RETURN(Json obj, decode_stored(kv.value, kv.mod_revision));
    return object_response(r, 200, to_json(scale_of(scope, obj)));
  }
  const char* options_kind = r.info.verb == "patch" ? "PatchOptions" : "UpdateOptions";
  BOSUN_ASSIGN_OR_RETURN(WriteOptions options, parse_write_options(r.req().query, options_kind));
  options.manager = api::manager_or_user_agent(options.field_manager, r.req().header("User-Agent"));
  const api::SchemaType* scale_schema = schema_of(kScaleKind);
  Json body;
  std::optional<PatchType> patch_type;
  if (r.info.verb == "update") {
    BOSUN_ASSIGN_OR_RETURN(body,
                           decode_body(r, kScaleKind, scale_schema, options.field_validation));
    if (api::name(body) != name) {
      return bad_request_error(
          fmt::format("the name of the object ({}) does not match the name on the URL ({})",
                      api::name(body), name));
    }
  } else {
    BOSUN_ASSIGN_OR_RETURN(PatchType pt, negotiate_patch(r.req().header("Content-Type")));
    if (pt == PatchType::kApply) {
      return make_error(ErrorCode::kUnsupportedMediaType,
                        "the body of the request was in an unknown format - accepted media types "
                        "include: application/json-patch+json, application/merge-patch+json, "
                        "application/strategic-merge-patch+json");
    }
    patch_type = pt;
  }
  auto fn = [&](const Json& current) -> Result<Json> {
    Json old_scale = scale_of(scope, current);
    Json scale;
    if (patch_type) {
      api::PatchType engine = *patch_type == PatchType::kJsonPatch ? api::PatchType::kJsonPatch
                              : *patch_type == PatchType::kMergePatch
                                  ? api::PatchType::kMergePatch
                                  : api::PatchType::kStrategicMergePatch;
      api::PatchOptions po;
      po.strict_decoding = options.field_validation != FieldValidation::kIgnore;
      BOSUN_ASSIGN_OR_RETURN(api::PatchResult patched,
                             api::apply_patch(engine, old_scale, r.req().body, scale_schema, po));
      scale = std::move(patched.object);
    } else {
      scale = body;
    }
    // ValidateScale.
    int64_t replicas = int_at(scale, "spec", "replicas");
    if (replicas < 0) {
      FieldErrors errs;
      errs.invalid("spec.replicas", replicas, "must be greater than or equal to 0");
      return errs.to_error("Scale.autoscaling", name);
    }
    Json obj = current;
    obj["spec"]["replicas"] = replicas;
    // A resourceVersion in the Scale is a precondition on the object.
    std::string_view rv = api::resource_version(scale);
    if (!rv.empty()) {
      api::mutable_metadata(obj)["resourceVersion"] = std::string(rv);
    }
    // The change is the parent's, recorded for the manager with subresource "scale".
    if (scope.scale_field_manager) {
      scope.scale_field_manager->update(current, obj, options.manager, core.clock());
    }
    return obj;
  };
  BOSUN_ASSIGN_OR_RETURN(UpdateOutcome outcome,
                         update_object(core, scope, ns, name, "", fn, options, true));
  Json updated = Json::parse(outcome.json, nullptr, false);
  return object_response(r, 200, to_json(scale_of(scope, updated)));
}

Result<Response> handle_binding(RestCore& core, RestRequest& r) {
  BOSUN_ASSIGN_OR_RETURN(WriteOptions options, parse_write_options(r.req().query, "CreateOptions"));
  BOSUN_ASSIGN_OR_RETURN(Json binding, decode_body(r, kBindingKind, schema_of(kBindingKind),
                                                   options.field_validation));
  // pods/<name>/binding names the pod in the URL; the legacy bindings resource only in the body.
  std::string pod = r.info.subresource.empty() ? std::string(api::name(binding)) : r.info.name;
  std::string_view binding_ns = api::namespace_of(binding);
  if (!binding_ns.empty() && binding_ns != r.info.namespace_) {
    return bad_request_error(
        "the namespace of the provided object does not match the namespace sent on the request");
  }
  if (FieldErrors errs = api::resources::validate_pod_binding(binding); !errs.empty()) {
    return errs.to_error("Binding", api::name(binding));
  }
  const ResourceScope* pods = core.scope("", "v1", "pods");
  if (pods == nullptr) return path_not_found_error();
  options.manager = api::manager_or_user_agent(options.field_manager, r.req().header("User-Agent"));
  auto fn = [&](const Json& current) -> Result<Json> {
    return api::resources::bind_pod(current, binding, core.clock().now());
  };
  BOSUN_RETURN_IF_ERROR(update_object(core, *pods, r.info.namespace_, pod, "binding", fn, options));
  Response resp = Response::json(201, success_created());
  add_warnings(r, resp);
  return resp;
}

Result<Response> handle_eviction(RestCore& core, RestRequest& r) {
  BOSUN_ASSIGN_OR_RETURN(WriteOptions options, parse_write_options(r.req().query, "CreateOptions"));
  BOSUN_ASSIGN_OR_RETURN(Json eviction, decode_body(r, kEvictionKind, schema_of(kEvictionKind),
                                                    options.field_validation));
  if (api::name(eviction) != r.info.name) {
    return bad_request_error("name in URL does not match name in Eviction object");
  }
  Json delete_options_json =
      eviction.contains("deleteOptions") ? eviction["deleteOptions"] : Json();
  BOSUN_ASSIGN_OR_RETURN(DeleteOptions delete_options,
                         delete_options_from_json(delete_options_json));
  if (options.dry_run) delete_options.dry_run = true;
  // PodDisruptionBudgets, which may refuse an eviction with 429, arrive with the disruption
  // controller; until then an eviction is a delete.
  BOSUN_RETURN_IF_ERROR(
      delete_object(core, *r.scope, r.info.namespace_, r.info.name, std::move(delete_options)));
  Response resp = Response::json(201, success_created());
  add_warnings(r, resp);
  return resp;
}

}  // namespace bosun::apiserver
