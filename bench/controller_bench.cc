// The ReplicaSet controller against an in-process API server over HTTPS (non-durable SQLite, no
// nodes): a ReplicaSet of 10,000 replicas from its create to all 10,000 pods created and seen by
// the controller's informer (slow-start batches, burst 500, 2 workers; a fresh server per
// iteration), and the cost of one steady-state reconcile of that ReplicaSet with its 10,000 pods in
// the cache (nothing to create, status unchanged: claim, count, compare).
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "apiserver/rest_test_server.h"
#include "client/rest_client.h"
#include "common/json.h"
#include "controller/replica_set.h"
#include "controller/shared_informers.h"

namespace {

using bosun::Clock;
using bosun::Json;
using bosun::apiserver::testing::RestTestServer;
using bosun::client::ClientConfig;
using bosun::client::RestClient;
using bosun::controller::ControllerContext;
using bosun::controller::ReplicaSetController;
using bosun::controller::SharedInformers;

constexpr int kReplicas = 10'000;
const bosun::client::GroupVersionResource kReplicaSets{"apps", "v1", "replicasets"};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "controller_bench: %s\n", what.c_str());
  std::abort();
}

ClientConfig admin(RestTestServer& server) {
  ClientConfig c;
  c.server = "https://127.0.0.1:" + std::to_string(server.port());
  c.ca_pem = server.stack().server().pki().ca.cert_pem;
  c.client_cert_pem = server.stack().server().pki().admin.cert_pem;
  c.client_key_pem = server.stack().server().pki().admin.key_pem;
  c.user_agent = "bosun/controller-bench";
  c.max_idle_connections = 16;  // the controller's create parallelism
  return c;
}

Json replica_set(int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata", {{"name", "bench"}}},
          {"spec",
           {{"replicas", replicas},
            {"selector", {{"matchLabels", {{"app", "bench"}}}}},
            {"template",
             {{"metadata", {{"labels", {{"app", "bench"}}}}},
              {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}}}}}};
}

// One server, client, informers and ReplicaSet controller (`workers` 0: reconcile by hand).
struct Cluster {
  std::unique_ptr<RestTestServer> server;
  std::unique_ptr<RestClient> client;
  std::unique_ptr<SharedInformers> informers;
  std::unique_ptr<ReplicaSetController> controller;

  explicit Cluster(int workers) {
    auto s = RestTestServer::start();
    if (!s.ok()) die(s.error().message);
    server = std::move(s).value();
    auto c = RestClient::create(admin(*server));
    if (!c.ok()) die(c.error().message);
    client = std::move(c).value();
    informers = std::make_unique<SharedInformers>(*client);
    controller = std::make_unique<ReplicaSetController>(
        ControllerContext{*client, *informers, Clock::real()},
        bosun::controller::replica_set_kind());
    informers->start();
    if (!informers->wait_for_sync(std::chrono::seconds(30))) die("informers did not sync");
    if (workers > 0) controller->run(workers);
  }
  ~Cluster() {
    controller.reset();
    informers.reset();
  }
  size_t cached_pods() { return informers->informer(bosun::client::kPods).size(); }
};

void wait_for_pods(Cluster& c, size_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (c.cached_pods() < n) {
    if (std::chrono::steady_clock::now() > deadline) die("timed out waiting for pods");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void BM_ReplicaSet10kCreateToAllPods(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto cluster = std::make_unique<Cluster>(/*workers=*/2);
    state.ResumeTiming();
    auto created = cluster->client->create(kReplicaSets, "default", replica_set(kReplicas));
    if (!created.ok()) die(created.error().message);
    wait_for_pods(*cluster, kReplicas);
    state.PauseTiming();
    cluster.reset();
    state.ResumeTiming();
  }
  state.counters["pods_per_s"] = benchmark::Counter(
      static_cast<double>(kReplicas) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReplicaSet10kCreateToAllPods)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

// The reconcile benchmark's cluster: built once, its pods created by reconciling by hand.
Cluster& steady_cluster() {
  static Cluster* c = [] {
    auto* cluster = new Cluster(/*workers=*/0);
    auto created = cluster->client->create(kReplicaSets, "default", replica_set(kReplicas));
    if (!created.ok()) die(created.error().message);
    auto& rs_informer = cluster->informers->informer(kReplicaSets);
    while (!rs_informer.get("default/bench"))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    while (cluster->cached_pods() < static_cast<size_t>(kReplicas)) {
      while (!cluster->controller->expectations().satisfied("default/bench")) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      auto r = cluster->controller->reconcile("default/bench");
      if (!r.ok()) die(r.error().message);
    }
    wait_for_pods(*cluster, kReplicas);
    // Once more so the status (replicas 10000) is written and cached: later syncs change nothing.
    while (!cluster->controller->expectations().satisfied("default/bench")) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    for (int i = 0; i < 50; ++i) {
      auto r = cluster->controller->reconcile("default/bench");
      if (!r.ok()) die(r.error().message);
      auto rs = rs_informer.get("default/bench");
      if (rs && (*rs)["status"].value("replicas", 0) == kReplicas) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return cluster;
  }();
  return *c;
}

void BM_ReplicaSetReconcile10kPodsCached(benchmark::State& state) {
  Cluster& c = steady_cluster();
  for (auto _ : state) {
    auto r = c.controller->reconcile("default/bench");
    if (!r.ok()) die(r.error().message);
  }
  state.counters["pods"] = static_cast<double>(c.cached_pods());
}
BENCHMARK(BM_ReplicaSetReconcile10kPodsCached)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
