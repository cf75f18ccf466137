// POST to a collection: Kubernetes' createHandler and Store.Create. The object's namespace defaults
// to the request's, admission checks the namespace, rest.BeforeCreate fills uid, creation time,
// generation and a generated name and runs the strategy, validation answers 422, Services get their
// IPs and ports, and the store's create is the final word on uniqueness.
#include <fmt/format.h>

#include "api/managed_fields.h"
#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"
#include "apiserver/service_allocator.h"

namespace bosun::apiserver {

namespace {

// How many generated names are tried before giving up (the RetryGenerateName feature, on by
// default since Kubernetes 1.31, makes 8 attempts).
constexpr int kGenerateNameAttempts = 8;

bool is_services(const ResourceScope& scope) {
  return scope.type->group.empty() && scope.type->plural == "services";
}

// Kubernetes' namespace strategy gives every new namespace the `kubernetes` finalizer and phase
// Active; kept here too so that namespace deletion works whatever the installed strategy does.
void prepare_namespace(Json& ns) {
  Json& spec = ns["spec"];
  if (!spec.is_object()) spec = Json::object();
  if (!spec.contains("finalizers") || !spec["finalizers"].is_array()) {
    spec["finalizers"] = Json::array({std::string(api::kFinalizerKubernetes)});
  }
  if (!ns.contains("status") || !ns["status"].is_object()) ns["status"] = Json::object();
  ns["status"]["phase"] = "Active";
}

}  // namespace

// ValidateObjectMeta with the type's name rules, then the strategy's own (type-specific)
// validation, in Kubernetes' order of errors.
FieldErrors validate_for_create(const api::ResourceType& type, const Json& obj) {
  FieldErrors meta = api::validate_object_meta(obj, type.namespaced, type.strategy.validate_name);
  FieldErrors own =
      type.strategy.validate_create ? type.strategy.validate_create(obj) : FieldErrors();
  meta.append(own);
  return meta;
}

Result<std::string> create_object(RestCore& core, const ResourceScope& scope,
                                  std::string_view request_ns, Json obj,
                                  const WriteOptions& options, bool manages_fields) {
  const api::ResourceType& type = *scope.type;
  // EnsureObjectNamespaceMatchesRequestNamespace.
  if (type.namespaced) {
    std::string_view ns = api::namespace_of(obj);
    if (ns.empty()) {
      api::set_namespace(obj, request_ns);
    } else if (ns != request_ns) {
      return bad_request_error(
          "the namespace of the provided object does not match the namespace sent on the request");
    }
  } else {
    api::mutable_metadata(obj).erase("namespace");
  }
  BOSUN_RETURN_IF_ERROR(api::check_create_resource_version(obj));
  if (type.namespaced) {
    BOSUN_RETURN_IF_ERROR(
        admit_create_in_namespace(core, scope, request_ns, std::string(api::name(obj))));
  }

  bool generated = api::name(obj).empty() && !api::generate_name_of(obj).empty();
  if (type.strategy.default_fields) type.strategy.default_fields(obj);
  if (!manages_fields && scope.field_manager) {
    scope.field_manager->update(Json(), obj, options.manager, core.clock());
  }
  for (int attempt = 0;; ++attempt) {
    // Only a generated name is ever tried again; otherwise the object itself becomes the candidate
    // (a pod's deep copy was ~1 % of scheduler_perf's CPU).
    Json candidate = generated ? obj : std::move(obj);
    api::mutable_metadata(candidate).erase("resourceVersion");
    api::prepare_object_meta_for_create(candidate, core.clock());
    // The strategies of kinds with a status subresource start new objects with an empty status
    // (nodes keep theirs: the kubelet registers a node with its status).
    if (scope.has_status && !(type.group.empty() && type.plural == "nodes")) {
      candidate.erase("status");
    }
    if (type.strategy.prepare_for_create) type.strategy.prepare_for_create(candidate);
    if (type.group.empty() && type.plural == "namespaces") prepare_namespace(candidate);
    FieldErrors errs = validate_for_create(type, candidate);
    if (!errs.empty()) return errs.to_error(scope.qualified_kind, api::name(candidate));

    std::optional<ServiceAllocation> allocation;
    if (is_services(scope) && core.service_allocator()) {
      BOSUN_ASSIGN_OR_RETURN(allocation, core.service_allocator()->allocate_for_create(candidate));
    }
    if (options.dry_run) {
      if (allocation) core.service_allocator()->rollback(*allocation);
      return to_json(candidate);
    }
    std::string key = object_key(scope.prefix, api::namespace_of(candidate), api::name(candidate));
    // Resources stored in another shape (events.k8s.io Events) are converted once, here.
    Json converted;
    if (scope.to_storage) converted = scope.to_storage(candidate);
    const Json& stored = scope.to_storage ? converted : candidate;
    std::string value = encode_for_storage(stored);
    announce_write(scope, key, value, stored);
    auto rev = core.store().create(key, value);
    if (rev.ok()) {
      if (allocation) core.service_allocator()->commit(*allocation);
      if (!scope.from_storage) return with_resource_version(value, *rev);
      // The stored object as the resource serves it, from the object just encoded rather than a
      // parse of its bytes.
      Json served = scope.from_storage(stored);
      api::set_resource_version(served, *rev);
      return to_json(served);
    }
    if (allocation) core.service_allocator()->rollback(*allocation);
    Error e = std::move(rev).error();
    if (e.code == ErrorCode::kAlreadyExists) {
      if (generated && attempt + 1 < kGenerateNameAttempts) continue;
      return already_exists_error(scope.qualified_resource, api::name(candidate));
    }
    return e;
  }
}

Result<Response> handle_create(RestCore& core, RestRequest& r) {
  BOSUN_ASSIGN_OR_RETURN(WriteOptions options, parse_write_options(r.req().query, "CreateOptions"));
  options.manager = api::manager_or_user_agent(options.field_manager, r.req().header("User-Agent"));
  BOSUN_ASSIGN_OR_RETURN(Json obj,
                         decode_body(r, r.type().gvk(), r.type().schema, options.field_validation));
  BOSUN_ASSIGN_OR_RETURN(std::string created,
                         create_object(core, *r.scope, r.info.namespace_, std::move(obj), options));
  return object_response(r, 201, std::move(created));
}

}  // namespace bosun::apiserver
