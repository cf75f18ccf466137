// The generic REST layer of the API server: every resource of the registry served under
// /api/v1/... and /apis/<group>/<version>/... (namespaced and cluster-wide, collections, objects
// and subresources) with Kubernetes' verbs, semantics, errors and content negotiation, over one
// Store, with a watch cache per resource type. `bosun server` and `bosun apiserver` install it into
// the ApiServer's router; handler tests start it over a temporary store. Thread-safe: requests are
// served concurrently from the server's worker threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "api/registry.h"
#include "apiserver/healthz.h"
#include "apiserver/router.h"
#include "apiserver/watch_cache.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"
#include "http/upstream.h"
#include "store/store.h"

namespace bosun::apiserver {

class RestCore;

struct RestApiOptions {
  store::Store* store = nullptr;  // required; must outlive the RestApi
  // The registry with every resource strategy installed (nullptr: the builtin defaults).
  std::shared_ptr<const api::ResourceRegistry> registry;
  Clock* clock = nullptr;              // Clock::real() when null
  MetricsRegistry* metrics = nullptr;  // MetricsRegistry::global() when null
  // Where ClusterIPs come from; the first address goes to the `kubernetes` Service (k3s' default).
  std::string service_cidr = "10.43.0.0/16";
  int node_port_min = 30000;
  int node_port_max = 32767;
  WatchCacheOptions watch_cache;
  uint64_t allocator_seed = 0;  // 0: random
};

// What bootstrap() points the `kubernetes` Service at.
struct BootstrapOptions {
  std::string advertise_address = "127.0.0.1";
  uint16_t port = 6443;
};

class RestApi {
 public:
  // Loads the watch caches and the service allocators' state from the store.
  static Result<std::unique_ptr<RestApi>> start(RestApiOptions options);
  ~RestApi();
  RestApi(const RestApi&) = delete;
  RestApi& operator=(const RestApi&) = delete;

  // Routes the "/api/" and "/apis/" prefixes here (discovery documents at exact paths such as
  // "/api/v1" are someone else's), and registers the store's readiness check.
  void install(Router& router, HealthChecks* health = nullptr);

  // Creates what a cluster has from the start if missing: the namespaces default, kube-system,
  // kube-public and kube-node-lease, and the `kubernetes` Service in default (the first ClusterIP,
  // port 443) with its Endpoints and EndpointSlice pointing at the API server.
  Result<void> bootstrap(const BootstrapOptions& options);

  // The watch cache of a resource (tests wait on and poke it); nullptr if none.
  WatchCache* watch_cache(std::string_view group, std::string_view version,
                          std::string_view resource) const;

  // Serves one request under /api/ or /apis/.
  void serve(const std::shared_ptr<Exchange>& exchange);

  // How pods/log, pods/exec and pods/attach reach the node agents (with the API server's kubelet
  // client certificate); until set they answer 503. Set before serving.
  void set_node_client(std::shared_ptr<UpstreamClient> client) {
    nodes_.store(client.get());
    nodes_owner_ = std::move(client);
  }

 private:
  RestApi() = default;
  std::unique_ptr<store::Store> instrumented_;
  std::unique_ptr<RestCore> core_;
  std::shared_ptr<UpstreamClient> nodes_owner_;
  std::atomic<UpstreamClient*> nodes_{nullptr};  // read by handlers while the setter may run
};

}  // namespace bosun::apiserver
