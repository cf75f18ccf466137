// Scheduler hot path: one scheduling decision (schedule_one with the default plugins) against 500
// and 5,000 nodes holding 10 pods each, like Kubernetes' scheduler_perf SchedulingBasic (nodes: 4
// cpu, 32Gi, 110 pods; pods: 100m cpu, 500Mi); a full cycle that also assumes the pod and
// refreshes the snapshot; the cost of assuming (and forgetting) a pod; and decoding a pod from
// JSON.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "common/clock.h"
#include "scheduler/cache.h"
#include "scheduler/framework.h"
#include "scheduler/plugins.h"

namespace bosun::scheduler {
namespace {

Json pod_json(const std::string& name, const std::string& node = "") {
  Json p = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", name}}},
      {"spec",
       {{"containers",
         Json::array({{{"name", "pause"},
                       {"image", "registry.k8s.io/pause:3.10"},
                       {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "500Mi"}}}}}}})}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  return p;
}

Json node_json(const std::string& name, int zone) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata",
           {{"name", name},
            {"labels",
             {{"kubernetes.io/hostname", name},
              {"topology.kubernetes.io/zone", "zone-" + std::to_string(zone)}}}}},
          {"status",
           {{"allocatable", {{"cpu", "4"}, {"memory", "32Gi"}, {"pods", "110"}}},
            {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
}

// With `spread`, every pod carries app=web and the framework spreads app=web pods as a Service
// selecting them would (PodTopologySpread's system default constraints over all nodes' pods).
struct Cluster {
  FakeClock clock;
  Cache cache{clock};
  Snapshot snapshot;
  std::unique_ptr<Framework> framework;

  explicit Cluster(int nodes, bool spread = false) {
    FrameworkOptions options;
    options.seed = 42;
    if (spread) {
      options.spread_selector = [](const PodInfo&) {
        return api::LabelSelector::from_set({{"app", "web"}});
      };
    }
    framework = make_default_framework(options);
    for (int i = 0; i < nodes; ++i) {
      std::string name = "node-" + std::to_string(i);
      cache.add_node(*decode_node(node_json(name, i % 3)));
      for (int j = 0; j < 10; ++j) {
        Json p = pod_json(name + "-pod-" + std::to_string(j), name);
        if (spread) p["metadata"]["labels"] = {{"app", "web"}};
        cache.add_pod(*decode_pod(p));
      }
    }
    cache.update_snapshot(snapshot);
  }
};

void BM_ScheduleOne(benchmark::State& state) {
  Cluster cluster(static_cast<int>(state.range(0)));
  auto pod = *decode_pod(pod_json("incoming"));
  for (auto _ : state) {
    ScheduleResult r = cluster.framework->schedule_one(*pod, cluster.snapshot);
    if (!r.ok()) state.SkipWithError("no node fits");
    benchmark::DoNotOptimize(r);
  }
  state.counters["decisions/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScheduleOne)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

// A ReplicaSet's pod: the default spreading counts matching pods on every node.
void BM_ScheduleOneSpread(benchmark::State& state) {
  Cluster cluster(static_cast<int>(state.range(0)), /*spread=*/true);
  Json p = pod_json("incoming");
  p["metadata"]["labels"] = {{"app", "web"}};
  auto pod = *decode_pod(p);
  for (auto _ : state) {
    ScheduleResult r = cluster.framework->schedule_one(*pod, cluster.snapshot);
    if (!r.ok()) state.SkipWithError("no node fits");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ScheduleOneSpread)->Arg(500)->Arg(5000)->Unit(benchmark::kMicrosecond);

// What one pod costs the scheduling thread: refresh the snapshot, decide, assume. Fixed iteration
// counts keep the cluster from filling up.
void BM_ScheduleCycle(benchmark::State& state) {
  Cluster cluster(static_cast<int>(state.range(0)));
  std::vector<std::shared_ptr<const PodInfo>> pods;
  for (int64_t i = 0; i < state.max_iterations; ++i) {
    pods.push_back(*decode_pod(pod_json("incoming-" + std::to_string(i))));
  }
  size_t next = 0;
  for (auto _ : state) {
    cluster.cache.update_snapshot(cluster.snapshot);
    const auto& pod = pods[next++];
    ScheduleResult r = cluster.framework->schedule_one(*pod, cluster.snapshot);
    if (!r.ok() || !cluster.cache.assume_pod(pod, r.node).ok()) state.SkipWithError("failed");
  }
  state.counters["pods/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ScheduleCycle)->Arg(500)->Iterations(10000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ScheduleCycle)->Arg(5000)->Iterations(20000)->Unit(benchmark::kMicrosecond);

void BM_AssumeAndForget(benchmark::State& state) {
  Cluster cluster(static_cast<int>(state.range(0)));
  auto pod = *decode_pod(pod_json("incoming"));
  for (auto _ : state) {
    benchmark::DoNotOptimize(cluster.cache.assume_pod(pod, "node-7"));
    cluster.cache.update_snapshot(cluster.snapshot);  // the snapshot shares the node: copy-on-write
    benchmark::DoNotOptimize(cluster.cache.forget_pod("incoming"));
  }
}
BENCHMARK(BM_AssumeAndForget)->Arg(5000);

void BM_DecodePod(benchmark::State& state) {
  Json p = pod_json("incoming");
  for (auto _ : state) benchmark::DoNotOptimize(decode_pod(p));
}
BENCHMARK(BM_DecodePod);

}  // namespace
}  // namespace bosun::scheduler

BENCHMARK_MAIN();
