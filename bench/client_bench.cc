// The client library against an in-process API server over HTTPS (non-durable SQLite, 2 io
// threads, the client in the same process): an informer's initial sync of 10,000 ConfigMaps (paged
// list of 500 into the indexed cache, ms), and creates through one RestClient shared by 16 threads
// (its keep-alive pool), as req_per_s.
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/rest_test_server.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "common/json.h"

namespace {

using bosun::Json;
using bosun::apiserver::testing::RestTestServer;
using bosun::client::ClientConfig;
using bosun::client::Informer;
using bosun::client::InformerOptions;
using bosun::client::kConfigMaps;
using bosun::client::RestClient;

constexpr int kSyncObjects = 10'000;
constexpr int kThreads = 16;

ClientConfig admin(RestTestServer& server) {
  ClientConfig c;
  c.server = "https://127.0.0.1:" + std::to_string(server.port());
  c.ca_pem = server.stack().server().pki().ca.cert_pem;
  c.client_cert_pem = server.stack().server().pki().admin.cert_pem;
  c.client_key_pem = server.stack().server().pki().admin.key_pem;
  c.user_agent = "bosun/client-bench";
  c.max_idle_connections = kThreads;
  return c;
}

Json config_map(const std::string& name) {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"labels", {{"app", "bench"}}}}},
              {"data", {{"key", std::string(200, 'x')}}}};
}

// Creates `count` ConfigMaps named prefix-N from kThreads threads; returns the failures.
int create_many(RestClient& client, const std::string& ns, const std::string& prefix, int count) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        if (!client.create(kConfigMaps, ns, config_map(prefix + "-" + std::to_string(i))).ok()) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  return failures.load();
}

struct Fixture {
  std::unique_ptr<RestTestServer> server;
  std::unique_ptr<RestClient> client;
};

Fixture& fixture() {
  static Fixture* f = [] {
    auto* fx = new Fixture();
    auto s = RestTestServer::start();
    if (!s.ok()) {
      fprintf(stderr, "server: %s\n", s.error().message.c_str());
      abort();
    }
    fx->server = std::move(s).value();
    auto c = RestClient::create(admin(*fx->server));
    if (!c.ok()) abort();
    fx->client = std::move(c).value();
    if (create_many(*fx->client, "default", "sync", kSyncObjects) != 0) abort();
    return fx;
  }();
  return *f;
}

void BM_InformerInitialSync(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) {
    InformerOptions o;
    o.resource = kConfigMaps;
    o.namespace_name = "default";
    Informer informer(*f.client, o);
    auto start = std::chrono::steady_clock::now();
    informer.start();
    if (!informer.wait_for_sync(std::chrono::seconds(120))) state.SkipWithError("no sync");
    auto elapsed = std::chrono::steady_clock::now() - start;
    state.SetIterationTime(std::chrono::duration<double>(elapsed).count());
    if (informer.size() < static_cast<size_t>(kSyncObjects)) state.SkipWithError("short cache");
    informer.stop();
  }
  state.counters["objects"] = kSyncObjects;
}
BENCHMARK(BM_InformerInitialSync)->UseManualTime()->Unit(benchmark::kMillisecond);

void BM_CreateConfigMap(benchmark::State& state) {
  Fixture& f = fixture();
  constexpr int kPerIteration = 2'000;
  static int round = 0;
  double requests = 0;
  double seconds = 0;
  for (auto _ : state) {
    std::string ns = "default";
    auto start = std::chrono::steady_clock::now();
    int failures = create_many(*f.client, ns, "create" + std::to_string(round++), kPerIteration);
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    requests += kPerIteration;
    if (failures != 0) state.SkipWithError("create failed");
  }
  state.counters["threads"] = kThreads;
  state.counters["req_per_s"] = requests / seconds;
}
BENCHMARK(BM_CreateConfigMap)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
