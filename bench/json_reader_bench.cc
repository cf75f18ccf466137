// read_json (common/json_reader.h) against nlohmann's Json::parse, its baseline, on the bytes the
// hot paths parse: a scheduled Pod as stored (1.7 KB with managedFields, the scheduler_perf pod),
// the watch event line that carries it, and a Node.
#include <benchmark/benchmark.h>

#include <string>

#include "common/json.h"
#include "common/json_reader.h"

namespace {

using bosun::Json;

const std::string& stored_pod() {
  static const std::string text = [] {
    Json r = {{"cpu", "100m"}, {"memory", "500Mi"}};
    Json pod = {
        {"apiVersion", "v1"},
        {"kind", "Pod"},
        {"metadata",
         {{"creationTimestamp", "2026-11-26T12:00:00Z"},
          {"managedFields",
           Json::array({{{"apiVersion", "v1"},
                         {"fieldsType", "FieldsV1"},
                         {"fieldsV1",
                          {{"f:spec",
                            {{"f:containers",
                              {{"k:{\"name\":\"pause\"}",
                                {{".", Json::object()},
                                 {"f:image", Json::object()},
                                 {"f:imagePullPolicy", Json::object()},
                                 {"f:name", Json::object()},
                                 {"f:ports",
                                  {{".", Json::object()},
                                   {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}",
                                    {{".", Json::object()},
                                     {"f:containerPort", Json::object()},
                                     {"f:protocol", Json::object()}}}}},
                                 {"f:resources",
                                  {{".", Json::object()},
                                   {"f:limits",
                                    {{".", Json::object()},
                                     {"f:cpu", Json::object()},
                                     {"f:memory", Json::object()}}},
                                   {"f:requests",
                                    {{".", Json::object()},
                                     {"f:cpu", Json::object()},
                                     {"f:memory", Json::object()}}}}}}}}},
                             {"f:dnsPolicy", Json::object()},
                             {"f:restartPolicy", Json::object()}}}}},
                         {"manager", "scheduler-perf"},
                         {"operation", "Update"},
                         {"time", "2026-11-26T12:00:00Z"}}})},
          {"name", "pod-1234"},
          {"namespace", "default"},
          {"uid", "0b8f3c1e-1111-4222-8333-944455556666"}}},
        {"spec",
         {{"containers",
           Json::array({{{"image", "registry.k8s.io/pause:3.10"},
                         {"imagePullPolicy", "IfNotPresent"},
                         {"name", "pause"},
                         {"ports", Json::array({{{"containerPort", 80}, {"protocol", "TCP"}}})},
                         {"resources", {{"limits", r}, {"requests", r}}},
                         {"terminationMessagePath", "/dev/termination-log"},
                         {"terminationMessagePolicy", "File"}}})},
          {"dnsPolicy", "ClusterFirst"},
          {"enableServiceLinks", true},
          {"nodeName", "scheduler-perf-1234"},
          {"preemptionPolicy", "PreemptLowerPriority"},
          {"priority", 0},
          {"restartPolicy", "Always"},
          {"schedulerName", "default-scheduler"},
          {"securityContext", Json::object()},
          {"serviceAccountName", "default"},
          {"terminationGracePeriodSeconds", 30},
          {"tolerations", Json::array({{{"effect", "NoExecute"},
                                        {"key", "node.kubernetes.io/not-ready"},
                                        {"operator", "Exists"},
                                        {"tolerationSeconds", 300}},
                                       {{"effect", "NoExecute"},
                                        {"key", "node.kubernetes.io/unreachable"},
                                        {"operator", "Exists"},
                                        {"tolerationSeconds", 300}}})}}},
        {"status",
         {{"conditions", Json::array({{{"lastProbeTime", nullptr},
                                       {"lastTransitionTime", "2026-11-26T12:00:00Z"},
                                       {"status", "True"},
                                       {"type", "PodScheduled"}}})},
          {"phase", "Pending"},
          {"qosClass", "Guaranteed"}}}};
    return pod.dump();
  }();
  return text;
}

const std::string& event_line() {
  static const std::string text = "{\"type\":\"MODIFIED\",\"object\":" + stored_pod() + "}";
  return text;
}

const std::string& stored_node() {
  static const std::string text = [] {
    Json resources = {{"cpu", "4"}, {"memory", "32Gi"}, {"pods", "110"}};
    Json node = {{"apiVersion", "v1"},
                 {"kind", "Node"},
                 {"metadata",
                  {{"name", "scheduler-perf-1"},
                   {"labels", {{"kubernetes.io/hostname", "scheduler-perf-1"}}},
                   {"uid", "0b8f3c1e-1111-4222-8333-944455556666"}}},
                 {"spec", Json::object()},
                 {"status",
                  {{"capacity", resources},
                   {"allocatable", resources},
                   {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})},
                   {"phase", "Running"}}}};
    return node.dump();
  }();
  return text;
}

const std::string& input(int64_t which) {
  switch (which) {
    case 0:
      return stored_pod();
    case 1:
      return event_line();
    default:
      return stored_node();
  }
}

void set_label(benchmark::State& state) {
  static const char* kNames[] = {"stored pod", "watch event line", "node"};
  const std::string& text = input(state.range(0));
  state.SetLabel(std::string(kNames[state.range(0)]) + ", " + std::to_string(text.size()) + " B");
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

void BM_ReadJson(benchmark::State& state) {
  const std::string& text = input(state.range(0));
  for (auto _ : state) {
    auto r = bosun::read_json(text);
    benchmark::DoNotOptimize(r);
  }
  set_label(state);
}
BENCHMARK(BM_ReadJson)->DenseRange(0, 2);

// Baseline: what the callers did before.
void BM_NlohmannParse(benchmark::State& state) {
  const std::string& text = input(state.range(0));
  for (auto _ : state) {
    Json j = Json::parse(text, nullptr, false);
    benchmark::DoNotOptimize(j);
  }
  set_label(state);
}
BENCHMARK(BM_NlohmannParse)->DenseRange(0, 2);

// For scale: a deep copy of the parsed pod (what a cached tree costs to take).
void BM_CopyParsedPod(benchmark::State& state) {
  const Json pod = Json::parse(stored_pod());
  for (auto _ : state) {
    Json copy = pod;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyParsedPod);

}  // namespace

BENCHMARK_MAIN();
