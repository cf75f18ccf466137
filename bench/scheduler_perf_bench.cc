// Kubernetes' scheduler_perf SchedulingBasic end to end in one process: the in-process API server
// (non-durable SQLite, HTTPS), the Scheduler with its informers, N Nodes created directly through
// the API (4 cpu, 32Gi, 110 pods, Ready; no kubelets, which scheduling does not need), then M pods
// (100m / 500Mi, the scheduler_perf pod template) created as fast as 8 client threads can. A pod
// informer timestamps each binding. Reported: pods bound per second (average over the run, and
// the p50 of the per-second samples, as scheduler_perf's SchedulingThroughput), create->bound
// latency p50/p99 and the process RSS (server + scheduler + load client together). The manual
// time is first create to last binding.
//
// BM_SchedulingBasicExternal measures the same against a cluster of separate processes that
// bench/scheduler_perf.sh starts (`bosun apiserver`, `bosun scheduler`, `bosun hollow-nodes`):
// SCHEDULER_PERF_KUBECONFIG names its kubeconfig and SCHEDULER_PERF_PODS the pod count; the nodes
// are the hollow nodes already registered. Without the variable the benchmark is skipped.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/rest_test_server.h"
#include "client/informer.h"
#include "client/kubeconfig.h"
#include "client/rest_client.h"
#include "common/json.h"
#include "scheduler/scheduler.h"

namespace {

using bosun::Json;
using bosun::apiserver::testing::RestTestServer;
using bosun::client::ClientConfig;
using bosun::client::Informer;
using bosun::client::InformerOptions;
using bosun::client::RestClient;
using Clock = std::chrono::steady_clock;

constexpr int kCreateThreads = 16;

ClientConfig admin(RestTestServer& server, const char* agent) {
  ClientConfig c;
  c.server = "https://127.0.0.1:" + std::to_string(server.port());
  c.ca_pem = server.stack().server().pki().ca.cert_pem;
  c.client_cert_pem = server.stack().server().pki().admin.cert_pem;
  c.client_key_pem = server.stack().server().pki().admin.key_pem;
  c.user_agent = agent;
  c.max_idle_connections = kCreateThreads;
  return c;
}

Json node(int i) {
  const std::string name = "scheduler-perf-" + std::to_string(i);
  Json resources = {{"cpu", "4"}, {"memory", "32Gi"}, {"pods", "110"}};
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}},
          {"spec", Json::object()},
          {"status",
           {{"capacity", resources},
            {"allocatable", resources},
            {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})},
            {"phase", "Running"}}}};
}

Json pod(int i) {
  Json r = {{"cpu", "100m"}, {"memory", "500Mi"}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", "pod-" + std::to_string(i)}, {"namespace", "default"}}},
          {"spec",
           {{"containers", Json::array({{{"name", "pause"},
                                         {"image", "registry.k8s.io/pause:3.10"},
                                         {"ports", Json::array({{{"containerPort", 80}}})},
                                         {"resources", {{"requests", r}, {"limits", r}}}}})}}}};
}

// Runs make(i) for i in [0, count) through `client` from kCreateThreads threads; `before(i)` runs
// just before each request. Returns the failures.
template <typename Make, typename Before>
int create_all(RestClient& client, const bosun::client::GroupVersionResource& gvr,
               const std::string& ns, int count, Make make, Before before) {
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kCreateThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < count; i = next++) {
        Json body = make(i);
        before(i);
        if (!client.create(gvr, ns, body).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  return failures.load();
}

double rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}

// Creates `num_pods` pods in `ns` through `client` and times their bindings through a pod informer,
// as scheduler_perf does; `start_scheduler` starts (or, for an external cluster, merely checks) the
// scheduler once the informer runs. Sets the counters; false after SkipWithError.
template <typename StartScheduler>
bool measure(benchmark::State& state, RestClient& client, const std::string& ns, int num_pods,
             StartScheduler start_scheduler) {
  // Binding times, seen as scheduler_perf sees them: through a pod informer.
  std::vector<Clock::time_point> created(num_pods);
  std::vector<Clock::time_point> bound(num_pods);
  std::atomic<int> bound_count{0};
  InformerOptions io;
  io.resource = bosun::client::kPods;
  io.transform = [](Json pod) {
    Json slim = {{"metadata", {{"name", pod["metadata"]["name"]}}},
                 {"spec", {{"nodeName", pod["spec"].value("nodeName", "")}}}};
    return slim;
  };
  io.namespace_name = ns;
  Informer watcher(client, io);
  auto on_pod = [&](const bosun::client::ObjectPtr& o) {
    const Json& p = *o;
    if (p["spec"]["nodeName"].get_ref<const std::string&>().empty()) return;
    int i = std::stoi(p["metadata"]["name"].get<std::string>().substr(4));
    if (i >= 0 && i < num_pods && bound[i] == Clock::time_point()) {
      bound[i] = Clock::now();
      ++bound_count;
    }
  };
  bosun::client::EventHandler h;
  h.on_add = on_pod;
  h.on_update = [&](const bosun::client::ObjectPtr&, const bosun::client::ObjectPtr& n) {
    on_pod(n);
  };
  watcher.add_event_handler(h);
  watcher.start();
  if (!start_scheduler() || !watcher.wait_for_sync(std::chrono::seconds(60))) {
    state.SkipWithError("informers did not sync");
    watcher.stop();
    return false;
  }

  const auto start = Clock::now();
  // Per-second samples of the bound count, as scheduler_perf's throughput collector takes them.
  std::vector<double> per_second;
  std::atomic<bool> sampling{true};
  std::thread sampler([&] {
    int last = 0;
    auto next = start + std::chrono::seconds(1);
    while (sampling) {
      std::this_thread::sleep_until(next);
      int now = bound_count.load();
      per_second.push_back(now - last);
      last = now;
      next += std::chrono::seconds(1);
      if (now >= num_pods) break;
    }
  });
  int failures = create_all(client, bosun::client::kPods, ns, num_pods, pod,
                            [&](int i) { created[i] = Clock::now(); });
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (bound_count.load() < num_pods - failures && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  sampling = false;
  sampler.join();
  Clock::time_point last = start;
  std::vector<double> latencies;
  latencies.reserve(num_pods);
  for (int i = 0; i < num_pods; ++i) {
    if (bound[i] == Clock::time_point()) continue;
    last = std::max(last, bound[i]);
    latencies.push_back(std::chrono::duration<double, std::milli>(bound[i] - created[i]).count());
  }
  const double seconds = std::chrono::duration<double>(last - start).count();
  state.SetIterationTime(seconds);
  // The last sample may cover a part second only.
  if (per_second.size() > 1) per_second.pop_back();
  state.counters["pods_per_s"] = static_cast<double>(latencies.size()) / seconds;
  state.counters["p50_pods_per_s"] = percentile(per_second, 0.5);
  state.counters["lat_p50_ms"] = percentile(latencies, 0.5);
  state.counters["lat_p99_ms"] = percentile(latencies, 0.99);
  state.counters["rss_mib"] = rss_mib();
  state.counters["unbound"] = num_pods - static_cast<double>(latencies.size());
  state.counters["create_failures"] = failures;
  watcher.stop();
  return true;
}

void BM_SchedulingBasic(benchmark::State& state) {
  const int num_nodes = static_cast<int>(state.range(0));
  const int num_pods = static_cast<int>(state.range(1));
  for (auto _ : state) {
    bosun::apiserver::testing::RestTestServerOptions so;
    so.worker_threads = 8;
    auto server = RestTestServer::start(so);
    if (!server.ok()) {
      state.SkipWithError(server.error().message.c_str());
      return;
    }
    auto client = RestClient::create(admin(**server, "bosun/scheduler-perf"));
    if (!client.ok()) {
      state.SkipWithError(client.error().message.c_str());
      return;
    }
    if (create_all(**client, bosun::client::kNodes, "", num_nodes, node, [](int) {}) != 0) {
      state.SkipWithError("node creates failed");
      return;
    }

    bosun::scheduler::SchedulerOptions options;
    ClientConfig sc = admin(**server, "bosun/scheduler");  // no client-side rate limit
    auto scheduler = bosun::scheduler::Scheduler::create(sc, options);
    if (!scheduler.ok()) {
      state.SkipWithError(scheduler.error().message.c_str());
      return;
    }

    if (!measure(state, **client, "default", num_pods, [&] {
          (*scheduler)->start();
          return (*scheduler)->wait_for_sync(std::chrono::seconds(60));
        })) {
      return;
    }
    (*scheduler)->stop();
  }
}

BENCHMARK(BM_SchedulingBasic)
    ->ArgNames({"nodes", "pods"})
    ->Args({500, 10'000})
    ->Args({5'000, 10'000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

// The large workload alone (--benchmark_filter=SchedulingBasicLarge).
void BM_SchedulingBasicLarge(benchmark::State& state) { BM_SchedulingBasic(state); }
BENCHMARK(BM_SchedulingBasicLarge)
    ->ArgNames({"nodes", "pods"})
    ->Args({5'000, 50'000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_SchedulingBasicExternal(benchmark::State& state) {
  const char* kubeconfig = std::getenv("SCHEDULER_PERF_KUBECONFIG");
  const char* pods = std::getenv("SCHEDULER_PERF_PODS");
  if (kubeconfig == nullptr) {
    state.SkipWithError("SCHEDULER_PERF_KUBECONFIG is not set (bench/scheduler_perf.sh sets it)");
    return;
  }
  const int num_pods = pods ? std::atoi(pods) : 10'000;
  for (auto _ : state) {
    auto config = bosun::client::load_kubeconfig(kubeconfig);
    if (!config.ok()) {
      state.SkipWithError(config.error().message.c_str());
      return;
    }
    config->user_agent = "bosun/scheduler-perf";
    config->max_idle_connections = kCreateThreads;
    auto client = RestClient::create(*config);
    if (!client.ok()) {
      state.SkipWithError(client.error().message.c_str());
      return;
    }
    // The default namespace: a fresh one would need its default ServiceAccount, which only the
    // controller-manager makes. The script starts a fresh cluster for every run.
    const std::string ns = "default";
    if (!measure(state, **client, ns, num_pods, [] { return true; })) return;
  }
}
BENCHMARK(BM_SchedulingBasicExternal)
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
