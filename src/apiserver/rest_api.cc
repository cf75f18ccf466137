// Routing of resource requests to the verb handlers, after Kubernetes' APIInstaller: which verbs
// a path serves (collection, object, subresource), 404 for what no resource serves and 405 for a
// method a served path does not allow.
#include "apiserver/rest_api.h"

#include <random>

#include "apiserver/api_errors.h"
#include "apiserver/instrumented_store.h"
#include "apiserver/object_codec.h"
#include "apiserver/pod_streams.h"
#include "apiserver/rest_core.h"
#include "apiserver/service_allocator.h"
#include "common/log.h"

namespace bosun::apiserver {

namespace {

// Which handler serves a request, once the path is known to name a served resource.
enum class Action {
  kNotFound,
  kMethodNotAllowed,
  kGet,
  kList,
  kWatch,
  kCreate,
  kUpdate,
  kPatch,
  kDelete,
  kDeleteCollection,
  kScale,
  kBinding,
  kEviction,
  kPodStream,  // pods/log, exec, attach and portforward: proxied to the node agent
};

Action route(const RequestInfo& info, const api::ResourceType& type, std::string_view method) {
  const std::string& verb = info.verb;
  bool item = !info.name.empty();
  // Namespaced objects are only addressed within their namespace; cluster-scoped ones never are.
  if (type.namespaced && info.namespace_.empty() && item) return Action::kNotFound;
  if (info.parts.size() > 3) return Action::kNotFound;
  if (!info.subresource.empty()) {
    const api::Subresource* sub = type.subresource(info.subresource);
    if (sub == nullptr) return Action::kNotFound;
    const std::string& s = info.subresource;
    auto allowed = [&](std::string_view v) {
      return std::find(sub->verbs.begin(), sub->verbs.end(), v) != sub->verbs.end();
    };
    if (s == "status" || s == "finalize") {
      if (verb == "get" && allowed("get")) return Action::kGet;
      if (verb == "update" && allowed("update")) return Action::kUpdate;
      if (verb == "patch" && allowed("patch")) return Action::kPatch;
      return Action::kMethodNotAllowed;
    }
    if (s == "scale") {
      if (verb == "get" || verb == "update" || verb == "patch") return Action::kScale;
      return Action::kMethodNotAllowed;
    }
    if (s == "binding") return verb == "create" ? Action::kBinding : Action::kMethodNotAllowed;
    if (s == "eviction") return verb == "create" ? Action::kEviction : Action::kMethodNotAllowed;
    if (type.plural == "pods" && type.group.empty()) {
      if (s == "log") return verb == "get" ? Action::kPodStream : Action::kMethodNotAllowed;
      if (s == "exec" || s == "attach" || s == "portforward") {
        return verb == "get" || verb == "create" ? Action::kPodStream : Action::kMethodNotAllowed;
      }
    }
    // proxy is not served yet.
    return Action::kNotFound;
  }
  if (type.plural == "bindings" && type.group.empty()) {
    // The legacy pods binding: POST to namespaces/x/bindings.
    return verb == "create" && !item ? Action::kBinding : Action::kMethodNotAllowed;
  }
  if (!item) {
    if (verb == "list") return type.has_verb("list") ? Action::kList : Action::kMethodNotAllowed;
    if (verb == "watch") return type.has_verb("watch") ? Action::kWatch : Action::kMethodNotAllowed;
    if (type.namespaced && info.namespace_.empty()) {
      // The all-namespaces path only lists and watches.
      return Action::kMethodNotAllowed;
    }
    if (verb == "create")
      return type.has_verb("create") ? Action::kCreate : Action::kMethodNotAllowed;
    if (verb == "deletecollection") {
      return type.has_verb("deletecollection") ? Action::kDeleteCollection
                                               : Action::kMethodNotAllowed;
    }
    return Action::kMethodNotAllowed;
  }
  (void)method;
  if (verb == "get") return type.has_verb("get") ? Action::kGet : Action::kMethodNotAllowed;
  if (verb == "watch") return type.has_verb("watch") ? Action::kWatch : Action::kMethodNotAllowed;
  if (verb == "update")
    return type.has_verb("update") ? Action::kUpdate : Action::kMethodNotAllowed;
  if (verb == "patch") return type.has_verb("patch") ? Action::kPatch : Action::kMethodNotAllowed;
  if (verb == "delete")
    return type.has_verb("delete") ? Action::kDelete : Action::kMethodNotAllowed;
  return Action::kMethodNotAllowed;
}

void respond_error(const RestRequest& r, const Error& e) {
  Response resp = status_response(e);
  add_warnings(r, resp);
  r.exchange->respond(std::move(resp));
}

}  // namespace

RestApi::~RestApi() {
  // Watch caches first: they hold store watches and end their watchers' streams.
  if (core_) core_->stop_watch_caches();
}

Result<std::unique_ptr<RestApi>> RestApi::start(RestApiOptions options) {
  if (options.store == nullptr) {
    return make_error(ErrorCode::kInternal, "RestApi needs a store");
  }
  Clock& clock = options.clock ? *options.clock : Clock::real();
  MetricsRegistry& metrics = options.metrics ? *options.metrics : MetricsRegistry::global();
  auto registry = options.registry;
  if (!registry) {
    registry = std::make_shared<const api::ResourceRegistry>(api::ResourceRegistry::make_builtin());
  }
  std::unique_ptr<RestApi> api(new RestApi());
  api->instrumented_ = instrument_store(*options.store, metrics);
  api->core_ = std::make_unique<RestCore>(*api->instrumented_, std::move(registry), clock, metrics);

  uint64_t seed = options.allocator_seed ? options.allocator_seed : std::random_device{}();
  BOSUN_ASSIGN_OR_RETURN(auto ips, ClusterIpAllocator::create(options.service_cidr, seed));
  auto ports =
      std::make_unique<NodePortAllocator>(options.node_port_min, options.node_port_max, seed + 1);
  auto allocator = std::make_unique<ServiceAllocator>(std::move(ips), std::move(ports));
  // The allocators' state is what the stored Services hold.
  if (const ResourceScope* services = api->core_->scope("", "v1", "services")) {
    store::ListOptions lo;
    lo.limit = 1000;
    while (true) {
      BOSUN_ASSIGN_OR_RETURN(store::ListResult page, options.store->list(services->prefix, lo));
      for (const store::KeyValue& kv : page.items) {
        Json svc = Json::parse(kv.value, nullptr, false);
        if (svc.is_object()) allocator->restore(svc);
      }
      if (page.continue_token.empty()) break;
      lo.continue_token = page.continue_token;
    }
  }
  api->core_->set_service_allocator(std::move(allocator));
  BOSUN_RETURN_IF_ERROR(api->core_->start_watch_caches(options.watch_cache));
  return api;
}

void RestApi::install(Router& router, HealthChecks* health) {
  Route route{[this](const std::shared_ptr<Exchange>& ex) { serve(ex); }, /*may_block=*/true};
  router.handle_prefix("/api/", route);
  router.handle_prefix("/apis/", route);
  if (health != nullptr) {
    store::Store* s = &core_->store();
    // Kubernetes' etcd check: the storage answers.
    health->add("etcd", [s]() -> Result<void> {
      auto r = s->get("/registry/health");
      if (!r.ok() && r.error().code != ErrorCode::kNotFound) return std::move(r).error();
      return ok_result();
    });
  }
}

WatchCache* RestApi::watch_cache(std::string_view group, std::string_view version,
                                 std::string_view resource) const {
  const ResourceScope* s = core_->scope(group, version, resource);
  return s ? s->cache : nullptr;
}

void RestApi::serve(const std::shared_ptr<Exchange>& exchange) {
  RestRequest r;
  r.exchange = exchange;
  r.http = &exchange->request();
  r.info = parse_request_info(*r.http);
  exchange->set_metrics_labels(
      {metrics_verb(r.info, r.http->header("Content-Type")), r.info.resource, r.info.subresource});

  if (!r.info.is_resource_request) return respond_error(r, path_not_found_error());
  if (!core_->serves_group_version(r.info.api_group, r.info.api_version)) {
    // No group version here: the plain 404 of Kubernetes' not-found handler.
    exchange->respond(Response::text(404, "404 page not found\n"));
    return;
  }
  r.scope = core_->scope(r.info.api_group, r.info.api_version, r.info.resource);
  if (r.scope == nullptr) return respond_error(r, path_not_found_error());
  const api::ResourceType& type = r.type();
  if (!type.namespaced) {
    // namespaces/x is the namespace x; any other cluster-scoped resource has no namespace segment.
    bool is_namespaces = type.group.empty() && type.plural == "namespaces";
    if (!is_namespaces && !r.info.namespace_.empty()) {
      return respond_error(r, path_not_found_error());
    }
    r.info.namespace_.clear();
  }
  Action action = route(r.info, type, r.http->method);
  if (action == Action::kNotFound) return respond_error(r, path_not_found_error());
  if (action == Action::kMethodNotAllowed) return respond_error(r, method_not_allowed_error());

  if (action == Action::kPodStream) return serve_pod_stream(*core_, r, nodes_.load());

  bool meta_forms = action == Action::kGet || action == Action::kList || action == Action::kWatch;
  auto output = negotiate_output(r.http->header("Accept"), meta_forms);
  if (!output.ok()) return respond_error(r, output.error());
  r.output = *output;

  Result<Response> result = make_error(ErrorCode::kInternal, "unhandled");
  switch (action) {
    case Action::kGet:
      result = handle_get(*core_, r);
      break;
    case Action::kList:
      result = handle_list(*core_, r);
      break;
    case Action::kWatch: {
      auto started = handle_watch(*core_, r);
      if (!started.ok()) respond_error(r, started.error());
      return;
    }
    case Action::kCreate:
      result = handle_create(*core_, r);
      break;
    case Action::kUpdate:
      result = handle_update(*core_, r);
      break;
    case Action::kPatch:
      result = handle_patch(*core_, r);
      break;
    case Action::kDelete:
      result = handle_delete(*core_, r);
      break;
    case Action::kDeleteCollection:
      result = handle_delete_collection(*core_, r);
      break;
    case Action::kScale:
      result = handle_scale(*core_, r);
      break;
    case Action::kBinding:
      result = handle_binding(*core_, r);
      break;
    case Action::kEviction:
      result = handle_eviction(*core_, r);
      break;
    default:
      break;
  }
  if (!result.ok()) return respond_error(r, result.error());
  exchange->respond(std::move(result).value());
}

}  // namespace bosun::apiserver
