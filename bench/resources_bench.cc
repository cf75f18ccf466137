// Resource strategy hot paths: what the API server runs per pod write (defaults, create
// preparation, validation; and an image-change update through ValidatePodUpdate's munged-spec
// comparison) and per row of `kubectl get pods` / `kubectl get nodes` (table cells). Reference
// point: serialising the same pod to JSON, which every write and read pays anyway.
#include <benchmark/benchmark.h>

#include "api/registry.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "common/clock.h"

namespace {

using bosun::Json;
using bosun::api::ResourceRegistry;
using bosun::api::ResourceType;

// A pod as a Deployment's ReplicaSet creates it: one container with ports, env, probes,
// resources and mounts, a configMap and a token volume, running with one restart.
Json deployment_pod() {
  return Json::parse(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"web-7c5ddbdf54-x2x8k","namespace":"default",
      "labels":{"app":"web","pod-template-hash":"7c5ddbdf54"},
      "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7c5ddbdf54",
        "uid":"a90be7e9-62f8-445e-9e45-ef3e05923dff","controller":true,"blockOwnerDeletion":true}],
      "creationTimestamp":"2024-05-03T14:00:00Z"},
    "spec":{"containers":[{"name":"web","image":"nginx:1.27",
      "ports":[{"name":"http","containerPort":80}],
      "env":[{"name":"MODE","value":"prod"},
             {"name":"POD_NAME","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
             {"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
      "resources":{"requests":{"cpu":"100m","memory":"128Mi"},"limits":{"cpu":"500m","memory":"256Mi"}},
      "livenessProbe":{"httpGet":{"path":"/healthz","port":"http"},"initialDelaySeconds":5},
      "readinessProbe":{"httpGet":{"path":"/ready","port":80}},
      "volumeMounts":[{"name":"config","mountPath":"/etc/web"},
                      {"name":"kube-api-access","mountPath":"/var/run/secrets/kubernetes.io/serviceaccount","readOnly":true}]}],
      "volumes":[{"name":"config","configMap":{"name":"web-config"}},
                 {"name":"kube-api-access","projected":{"sources":[
                   {"serviceAccountToken":{"path":"token"}},
                   {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}},
                   {"downwardAPI":{"items":[{"path":"namespace","fieldRef":{"fieldPath":"metadata.namespace"}}]}}]}}],
      "serviceAccountName":"default","nodeName":"node-1",
      "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]},
    "status":{"phase":"Running","podIP":"10.244.0.7","podIPs":[{"ip":"10.244.0.7"}],
      "conditions":[{"type":"Ready","status":"True"},{"type":"Initialized","status":"True"}],
      "containerStatuses":[{"name":"web","ready":true,"restartCount":1,"started":true,
        "state":{"running":{"startedAt":"2024-05-03T14:01:00Z"}},
        "lastState":{"terminated":{"exitCode":137,"reason":"OOMKilled","finishedAt":"2024-05-03T14:00:55Z"}}}]}})");
}

struct Fixture {
  Fixture() : registry(ResourceRegistry::make_builtin()) {
    bosun::api::resources::install_core_resources(registry, clock);
    pods = registry.find("", "v1", "pods");
    nodes = registry.find("", "v1", "nodes");
  }
  bosun::FakeClock clock{bosun::Clock::WallTime(std::chrono::seconds(1714748400))};
  ResourceRegistry registry;
  const ResourceType* pods;
  const ResourceType* nodes;
};

Fixture& fixture() {
  static Fixture* const kFixture = new Fixture();
  return *kFixture;
}

void BM_PodCreate(benchmark::State& state) {
  const auto& s = fixture().pods->strategy;
  const Json input = deployment_pod();
  for (auto _ : state) {
    Json pod = input;
    s.default_fields(pod);
    s.prepare_for_create(pod);
    auto errs = s.validate_create(pod);
    if (!errs.empty()) state.SkipWithError(errs.aggregate_message().c_str());
    benchmark::DoNotOptimize(pod);
  }
}
BENCHMARK(BM_PodCreate);

// The defaulting walk alone (imperative PodSpec defaults plus the schema-driven pass).
void BM_PodDefaults(benchmark::State& state) {
  const auto& s = fixture().pods->strategy;
  const Json input = deployment_pod();
  for (auto _ : state) {
    Json pod = input;
    s.default_fields(pod);
    benchmark::DoNotOptimize(pod);
  }
}
BENCHMARK(BM_PodDefaults);

void BM_PodUpdateImage(benchmark::State& state) {
  const auto& s = fixture().pods->strategy;
  Json old = deployment_pod();
  s.default_fields(old);
  s.prepare_for_create(old);
  Json input = old;
  input["spec"]["containers"][0]["image"] = "nginx:1.28";
  for (auto _ : state) {
    Json pod = input;
    s.default_fields(pod);
    s.prepare_for_update(pod, old);
    auto errs = s.validate_update(pod, old);
    if (!errs.empty()) state.SkipWithError(errs.aggregate_message().c_str());
    benchmark::DoNotOptimize(pod);
  }
}
BENCHMARK(BM_PodUpdateImage);

void BM_PodTableRow(benchmark::State& state) {
  const auto& s = fixture().pods->strategy;
  Json pod = deployment_pod();
  for (auto _ : state) benchmark::DoNotOptimize(s.table_cells(pod));
}
BENCHMARK(BM_PodTableRow);

void BM_NodeTableRow(benchmark::State& state) {
  const auto& s = fixture().nodes->strategy;
  Json node =
      Json::parse(R"js({"metadata":{"name":"node-1","creationTimestamp":"2024-05-01T12:00:00Z",
    "labels":{"kubernetes.io/hostname":"node-1","node-role.kubernetes.io/control-plane":""}},
    "spec":{"podCIDRs":["10.244.0.0/24"]},
    "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"DiskPressure","status":"False"},
      {"type":"PIDPressure","status":"False"},{"type":"Ready","status":"True"}],
      "addresses":[{"type":"InternalIP","address":"10.0.0.4"},{"type":"Hostname","address":"node-1"}],
      "nodeInfo":{"kubeletVersion":"v1.33.0","osImage":"Debian GNU/Linux 12 (bookworm)",
        "kernelVersion":"6.1.0-18-amd64","containerRuntimeVersion":"runc://1.1.12"}}})js");
  for (auto _ : state) benchmark::DoNotOptimize(s.table_cells(node));
}
BENCHMARK(BM_NodeTableRow);

// Reference: copying the pod, which every benchmark above includes.
void BM_PodCopy(benchmark::State& state) {
  const Json input = deployment_pod();
  for (auto _ : state) {
    Json pod = input;
    benchmark::DoNotOptimize(pod);
  }
}
BENCHMARK(BM_PodCopy);

// Reference: serialising the same pod.
void BM_PodJsonDump(benchmark::State& state) {
  Json pod = deployment_pod();
  fixture().pods->strategy.default_fields(pod);
  for (auto _ : state) benchmark::DoNotOptimize(pod.dump());
}
BENCHMARK(BM_PodJsonDump);

}  // namespace

BENCHMARK_MAIN();
