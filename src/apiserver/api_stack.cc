#include "apiserver/api_stack.h"

#include <filesystem>
#include <system_error>

#include "api/resources/resources.h"
#include "api/resources/resources_workloads.h"
#include "api/schema.h"
#include "apiserver/discovery.h"
#include "apiserver/discovery_routes.h"
#include "apiserver/openapi.h"
#include "store/sqlite_store.h"

namespace bosun::apiserver {

std::shared_ptr<const api::ResourceRegistry> served_registry(
    const Clock& clock, api::resources::PodAdmissionOptions pod_admission) {
  auto registry = std::make_shared<api::ResourceRegistry>(api::ResourceRegistry::make_builtin());
  api::resources::install_core_resources(*registry, clock, pod_admission);
  api::resources::install_workloads(*registry, clock);
  return registry;
}

Result<std::unique_ptr<ApiStack>> ApiStack::start(ApiStackOptions options) {
  Clock& clock = options.clock ? *options.clock : Clock::real();
  MetricsRegistry& metrics = options.metrics ? *options.metrics : MetricsRegistry::global();
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return make_error(ErrorCode::kInternal,
                      "cannot create data dir " + options.data_dir + ": " + ec.message());
  }
  std::unique_ptr<ApiStack> stack(new ApiStack());
  store::SqliteOptions so;
  so.path = options.data_dir + "/state.db";
  so.clock = &clock;
  so.durable = options.durable;
  BOSUN_ASSIGN_OR_RETURN(stack->store_, store::Store::open_sqlite(so));

  auto registry = served_registry(clock, options.pod_admission);
  RestApiOptions ro;
  ro.store = stack->store_.get();
  ro.registry = registry;
  ro.clock = &clock;
  ro.metrics = &metrics;
  ro.service_cidr = options.service_cidr;
  ro.watch_cache = options.watch_cache;
  ro.allocator_seed = options.allocator_seed;
  BOSUN_ASSIGN_OR_RETURN(stack->rest_, RestApi::start(std::move(ro)));

  auto discovery = std::make_shared<const DiscoveryDocuments>(*registry);
  BOSUN_ASSIGN_OR_RETURN(auto openapi,
                         OpenApiDocuments::build(*registry, api::SchemaSet::global(), registry));

  ApiServerOptions so2;
  so2.data_dir = options.data_dir;
  so2.listen = options.listen;
  so2.extra_sans = options.extra_sans;
  so2.io_threads = options.io_threads;
  so2.worker_threads = options.worker_threads ? options.worker_threads : kWorkerThreads;
  so2.metrics = &metrics;
  so2.clock = &clock;
  RestApi* rest = stack->rest_.get();
  so2.install_routes = [rest, discovery, openapi, &clock](Router& router,
                                                          HealthChecks& health) -> Result<void> {
    DiscoveryRoutesOptions dro;
    dro.discovery = discovery;
    dro.openapi = openapi;
    dro.clock = &clock;
    register_discovery_routes(router, std::move(dro));
    rest->install(router, &health);
    return ok_result();
  };
  BOSUN_ASSIGN_OR_RETURN(stack->server_, ApiServer::start(std::move(so2)));
  // pods/log, exec and attach reach the agents with a client certificate of the cluster CA, as
  // kube-apiserver's --kubelet-client-certificate.
  BOSUN_ASSIGN_OR_RETURN(Credential kubelet_client,
                         issue_client_certificate(stack->server_->pki().ca,
                                                  "kube-apiserver-kubelet-client", {}, clock));
  BOSUN_ASSIGN_OR_RETURN(
      std::unique_ptr<UpstreamClient> nodes,
      UpstreamClient::create({kubelet_client.cert_pem, kubelet_client.key_pem, ""}));
  stack->rest_->set_node_client(std::move(nodes));

  BootstrapOptions bo;
  BOSUN_ASSIGN_OR_RETURN(auto listen, parse_listen_address(options.listen));
  bo.advertise_address =
      listen.first == "0.0.0.0" || listen.first == "::" ? "127.0.0.1" : listen.first;
  bo.port = stack->server_->port();
  BOSUN_RETURN_IF_ERROR(stack->rest_->bootstrap(bo));
  if (options.event_ttl.count() > 0) {
    // Core and events.k8s.io Events share one storage prefix (object_codec.h).
    stack->event_reaper_ = std::make_unique<EventReaper>(*stack->store_, "/registry/events/",
                                                         options.event_ttl, clock);
  }
  return stack;
}

ApiStack::~ApiStack() { shutdown(std::chrono::milliseconds(0)); }

void ApiStack::shutdown(std::chrono::milliseconds grace) {
  event_reaper_.reset();
  if (server_) server_->shutdown(grace);
  server_.reset();
  rest_.reset();
  store_.reset();
}

}  // namespace bosun::apiserver
