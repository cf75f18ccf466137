// The whole API server of `bosun server` / `bosun apiserver`, assembled: the SQLite store at
// <data-dir>/state.db, the resource registry with every strategy installed, the REST layer with its
// watch caches, discovery and OpenAPI documents, and the HTTPS ApiServer, plus the objects a
// cluster starts with. main.cc, the handler tests and the API benchmark start it the same way.
// Thread-safe like ApiServer; shutdown() may be called once from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/registry.h"
#include "api/resources/resources.h"
#include "apiserver/apiserver.h"
#include "apiserver/event_ttl.h"
#include "apiserver/rest_api.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"
#include "store/store.h"

namespace bosun::apiserver {

// The default number of handler threads. Idle, each costs a few pages of stack.
inline constexpr size_t kWorkerThreads = 64;

struct ApiStackOptions {
  std::string data_dir;
  std::string listen = "127.0.0.1:6443";
  std::vector<std::string> extra_sans;
  size_t io_threads = 0;
  // Handlers block on the store (a durable write waits for its group commit), so there are many:
  // concurrent writes then share commits instead of queueing for a thread. 0: kWorkerThreads.
  size_t worker_threads = 0;
  std::string service_cidr = "10.43.0.0/16";
  Clock* clock = nullptr;              // Clock::real() when null
  MetricsRegistry* metrics = nullptr;  // MetricsRegistry::global() when null
  // synchronous=FULL in SQLite; false only for benchmarks that measure the cost of durability.
  bool durable = true;
  WatchCacheOptions watch_cache;
  uint64_t allocator_seed = 0;
  // Events unchanged for this long are deleted (kube-apiserver's --event-ttl); 0 keeps them.
  std::chrono::seconds event_ttl = kDefaultEventTtl;
  // The tolerations pods get for not-ready and unreachable nodes unless they have their own
  // (--default-not-ready-toleration-seconds, --default-unreachable-toleration-seconds).
  api::resources::PodAdmissionOptions pod_admission;
};

class ApiStack {
 public:
  static Result<std::unique_ptr<ApiStack>> start(ApiStackOptions options);
  // Shuts down with no grace period if shutdown() was not called.
  ~ApiStack();
  ApiStack(const ApiStack&) = delete;
  ApiStack& operator=(const ApiStack&) = delete;

  ApiServer& server() { return *server_; }
  RestApi& rest() { return *rest_; }
  store::Store& store() { return *store_; }
  const std::string& url() const { return server_->url(); }

  // Stops serving (see ApiServer::shutdown), then the watch caches and the store.
  void shutdown(std::chrono::milliseconds grace);

 private:
  ApiStack() = default;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<RestApi> rest_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<EventReaper> event_reaper_;
};

// The registry Bosun serves: the builtin resources with every per-type strategy installed.
std::shared_ptr<const api::ResourceRegistry> served_registry(
    const Clock& clock, api::resources::PodAdmissionOptions pod_admission = {});

}  // namespace bosun::apiserver
