// The agent's per-pod hot path — a pod worker's sync of a pod already running (what every
// informer update and relist of a healthy pod costs) and the status it computes — over the fake
// runtime, as hollow nodes run it. With HOLLOW_KUBECONFIG set it instead measures hollow nodes
// against a running server: RSS per simulated node, pods started, and idle CPU.
//   HOLLOW_KUBECONFIG=<kubeconfig> HOLLOW_COUNT=1000 HOLLOW_PODS=10 build/bench/pod_sync_bench
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <thread>

#include "agent/fake_runtime.h"
#include "agent/hollow_nodes.h"
#include "agent/pod_status.h"
#include "agent/pod_sync.h"
#include "client/kubeconfig.h"

namespace {

using namespace bosun;
using namespace bosun::agent;

Json bench_pod(int i) {
  Json pod = Json::parse(R"js({
    "metadata": {"namespace": "default", "labels": {"app": "web"}},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always", "containers": [
      {"name": "app", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent",
       "env": [{"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
       "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]},
    "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "True",
               "lastProbeTime": null, "lastTransitionTime": "2024-01-01T00:00:00Z"}]}
  })js");
  pod["metadata"]["name"] = "web-" + std::to_string(i);
  pod["metadata"]["uid"] = "uid-" + std::to_string(i);
  return pod;
}

struct NodeFixture {
  explicit NodeFixture(int pods) {
    FakeRuntimeOptions o;
    o.clock = &clock;
    runtime = std::make_unique<FakeRuntime>(o);
    node.node_name = "node-a";
    node.host_ips = {"10.0.0.7"};
    node.memory_capacity_bytes = int64_t{16} << 30;
    node.create_log_directories = false;
    syncer = std::make_unique<PodSyncer>(*runtime, clock, node);
    for (int i = 0; i < pods; ++i) {
      this->pods.push_back(bench_pod(i));
      states.emplace_back();
      (void)syncer->sync_pod(this->pods.back(), states.back());
    }
  }
  FakeClock clock;
  std::unique_ptr<FakeRuntime> runtime;
  NodeContext node;
  std::unique_ptr<PodSyncer> syncer;
  std::vector<Json> pods;
  std::deque<PodSyncState> states;
};

// One steady-state sync of a running pod plus its status and the did-it-change check, on a node
// with state.range(0) pods.
void BM_SteadyPodSync(benchmark::State& state) {
  NodeFixture f(static_cast<int>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % f.pods.size();
    auto r = f.syncer->sync_pod(f.pods[k], f.states[k]);
    auto view = observe_pod(*f.runtime, f.pods[k]["metadata"]["uid"].get<std::string>());
    PodStatusInput in;
    in.pod = &f.pods[k];
    in.view = &*view;
    in.state = &f.states[k];
    in.node = &f.node;
    in.runtime_prefix = "fake";
    in.now = f.clock.now();
    Json status = generate_pod_status(in);
    benchmark::DoNotOptimize(status != f.pods[k]["status"]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SteadyPodSync)->Arg(10)->Arg(110);

// The first start of a pod: sandbox, image check, env, config, create, start.
void BM_FirstPodStart(benchmark::State& state) {
  NodeFixture f(0);
  int i = 0;
  for (auto _ : state) {
    Json pod = bench_pod(i++);
    PodSyncState st;
    benchmark::DoNotOptimize(f.syncer->sync_pod(pod, st));
    state.PauseTiming();
    (void)f.runtime->remove_pod_sandbox(pod["metadata"]["uid"].get<std::string>());
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FirstPodStart);

int64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      int64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Where a hollow node's pod memory goes: RSS after each layer for `n` pods (no server).
int memory_breakdown(int n) {
  const int64_t rss0 = rss_bytes();
  std::vector<Json> pods;
  pods.reserve(n);
  for (int i = 0; i < n; ++i) {
    Json pod = bench_pod(i);
    pod["metadata"]["resourceVersion"] = std::to_string(1000 + i);
    pod["metadata"]["creationTimestamp"] = "2024-01-01T00:00:00Z";
    pods.push_back(trim_pod_for_agent(std::move(pod)));
  }
  const int64_t rss1 = rss_bytes();
  FakeClock clock;
  FakeRuntimeOptions o;
  o.clock = &clock;
  FakeRuntime runtime(o);
  NodeContext node;
  node.node_name = "node-a";
  node.host_ips = {"10.0.0.7"};
  node.create_log_directories = false;
  PodSyncer syncer(runtime, clock, node);
  std::deque<PodSyncState> states(n);
  for (int i = 0; i < n; ++i) (void)syncer.sync_pod(pods[i], states[i]);
  const int64_t rss2 = rss_bytes();
  std::vector<Json> statuses;
  for (int i = 0; i < n; ++i) {
    auto view = observe_pod(runtime, pods[i]["metadata"]["uid"].get<std::string>());
    PodStatusInput in;
    in.pod = &pods[i];
    in.view = &*view;
    in.state = &states[i];
    in.node = &node;
    in.runtime_prefix = "fake";
    in.now = clock.now();
    statuses.push_back(generate_pod_status(in));
  }
  const int64_t rss3 = rss_bytes();
  for (int i = 0; i < n; ++i) {
    Json st = statuses[i];
    st["conditions"] = pods[i]["status"]["conditions"];
    pods[i]["status"] = std::move(st);
    pods[i] = trim_pod_for_agent(std::move(pods[i]));
  }
  statuses.clear();
  statuses.shrink_to_fit();
  const int64_t rss4 = rss_bytes();
  std::printf(
      "per pod: cached pod %lld B, runtime + sync state %lld B, a full status %lld B, "
      "cached pod with its trimmed status %lld B\n",
      static_cast<long long>((rss1 - rss0) / n), static_cast<long long>((rss2 - rss1) / n),
      static_cast<long long>((rss3 - rss2) / n),
      static_cast<long long>((rss4 - rss2) / n + (rss1 - rss0) / n));
  return 0;
}

int hollow_memory(const char* kubeconfig) {
  const int count = std::getenv("HOLLOW_COUNT") ? std::atoi(std::getenv("HOLLOW_COUNT")) : 1000;
  const int pods_per_node = std::getenv("HOLLOW_PODS") ? std::atoi(std::getenv("HOLLOW_PODS")) : 0;
  auto config = client::load_kubeconfig(kubeconfig);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.error().message.c_str());
    return 1;
  }
  config->max_idle_connections = 32;
  auto client = client::RestClient::create(*config);
  if (!client.ok()) return 1;
  const int64_t rss0 = rss_bytes();
  HollowNodesOptions o;
  o.client = client->get();
  o.count = count;
  o.max_pods = 110;
  o.workers = 8;
  o.post_events = std::getenv("HOLLOW_NO_EVENTS") == nullptr;
  auto t0 = std::chrono::steady_clock::now();
  auto h = HollowNodes::start(o);
  if (!h.ok()) {
    std::fprintf(stderr, "%s\n", h.error().message.c_str());
    return 1;
  }
  auto t1 = std::chrono::steady_clock::now();
  while (!(*h)->pods_synced()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  const int64_t rss1 = rss_bytes();
  std::printf("hollow nodes: %d registered in %.1f s; RSS %.1f MiB -> %.1f MiB: %lld bytes/node\n",
              count, std::chrono::duration<double>(t1 - t0).count(), rss0 / 1048576.0,
              rss1 / 1048576.0, static_cast<long long>((rss1 - rss0) / std::max(1, count)));
  if (pods_per_node > 0) {
    const int total = count * pods_per_node;
    std::atomic<int> next{0};
    std::vector<std::thread> creators;
    auto c0 = std::chrono::steady_clock::now();
    for (int t = 0; t < 16; ++t) {
      creators.emplace_back([&] {
        for (int i = next++; i < total; i = next++) {
          Json pod = {{"apiVersion", "v1"},
                      {"kind", "Pod"},
                      {"metadata", {{"name", "hp-" + std::to_string(i)}, {"namespace", "default"}}},
                      {"spec",
                       {{"nodeName", o.name_prefix + std::to_string(i % count)},
                        {"containers", Json::array({{{"name", "app"}, {"image", "pause:3.9"}}})}}}};
          auto r = (*client)->create(client::kPods, "default", pod);
          if (!r.ok() && r.error().code != ErrorCode::kAlreadyExists) {
            std::fprintf(stderr, "create: %s\n", r.error().message.c_str());
          }
        }
      });
    }
    for (auto& t : creators) t.join();
    // Every pod's container is up in its node's runtime.
    while (true) {
      size_t running = 0;
      for (size_t i = 0; i < (*h)->size(); ++i) running += (*h)->runtime(i).container_count();
      if (running >= static_cast<size_t>(total)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto c1 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(10));  // status writes settle
    const int64_t rss2 = rss_bytes();
    std::printf(
        "pods: %d created and started in %.1f s; RSS %.1f MiB: %lld bytes/node with %d pods each\n",
        total, std::chrono::duration<double>(c1 - c0).count(), rss2 / 1048576.0,
        static_cast<long long>((rss2 - rss0) / std::max(1, count)), pods_per_node);
  }
  const double cpu0 = cpu_seconds();
  std::this_thread::sleep_for(std::chrono::seconds(30));
  const double cpu1 = cpu_seconds();
  std::printf(
      "idle: %.1f %% of one CPU over 30 s (leases every 10 s, heartbeats every 60 s); RSS %.1f "
      "MiB\n",
      (cpu1 - cpu0) / 30 * 100, rss_bytes() / 1048576.0);
  (*h)->stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (const char* kubeconfig = std::getenv("HOLLOW_KUBECONFIG")) return hollow_memory(kubeconfig);
  if (const char* n = std::getenv("HOLLOW_MEMORY_BREAKDOWN")) return memory_breakdown(std::atoi(n));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
