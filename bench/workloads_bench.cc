// The workload strategies on the API server's write and list paths: a Deployment create (v1
// defaults with the pod template, prepare, validation) and update (prepare and validation against
// the stored object), a Service create, a PersistentVolumeClaim create, and the `kubectl get`
// table rows of Deployments and Services. Baseline: parsing the same Deployment's JSON body, the
// cost every write already pays before the strategy runs.
#include <benchmark/benchmark.h>

#include <string>

#include "api/registry.h"
#include "api/resources/resources_workloads.h"
#include "common/clock.h"
#include "common/json.h"

namespace {

using bosun::FakeClock;
using bosun::Json;
using bosun::api::ResourceRegistry;
using bosun::api::ResourceStrategy;

// A realistic application Deployment: two containers with ports, env, resources and probes, a
// config volume.
constexpr const char* kDeployment = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "storefront", "namespace": "shop",
               "labels": {"app": "storefront", "tier": "web"},
               "annotations": {"kubernetes.io/change-cause": "image 1.4.2"}},
  "spec": {
    "replicas": 3,
    "selector": {"matchLabels": {"app": "storefront"},
                 "matchExpressions": [{"key": "tier", "operator": "In", "values": ["web"]}]},
    "template": {
      "metadata": {"labels": {"app": "storefront", "tier": "web"}},
      "spec": {
        "containers": [
          {"name": "app", "image": "registry.example.com/shop/storefront:1.4.2",
           "ports": [{"name": "http", "containerPort": 8080}],
           "env": [{"name": "MODE", "value": "prod"}, {"name": "CACHE", "value": "redis:6379"}],
           "resources": {"requests": {"cpu": "250m", "memory": "256Mi"},
                         "limits": {"cpu": "1", "memory": "512Mi"}},
           "readinessProbe": {"httpGet": {"path": "/ready", "port": "http"}},
           "livenessProbe": {"httpGet": {"path": "/live", "port": 8080},
                             "initialDelaySeconds": 10},
           "volumeMounts": [{"name": "config", "mountPath": "/etc/storefront"}]},
          {"name": "log-shipper", "image": "fluent/fluent-bit:3.0",
           "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}
        ],
        "volumes": [{"name": "config", "configMap": {"name": "storefront-config"}}]
      }
    }
  }
})";

constexpr const char* kService = R"({
  "apiVersion": "v1", "kind": "Service",
  "metadata": {"name": "storefront", "namespace": "shop"},
  "spec": {"type": "NodePort", "selector": {"app": "storefront"},
           "ports": [{"name": "http", "port": 80, "targetPort": "http"},
                     {"name": "metrics", "port": 9090}]}
})";

constexpr const char* kClaim = R"({
  "apiVersion": "v1", "kind": "PersistentVolumeClaim",
  "metadata": {"name": "data", "namespace": "shop"},
  "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
           "resources": {"requests": {"storage": "10Gi"}}}
})";

struct Fixture {
  Fixture() : registry(ResourceRegistry::make_builtin()) {
    bosun::api::resources::install_workloads(registry, clock);
  }
  const ResourceStrategy& of(const char* group, const char* plural) const {
    return registry.find(group, "v1", plural)->strategy;
  }
  FakeClock clock;
  ResourceRegistry registry;
};

const Fixture& fixture() {
  static const Fixture* const f = new Fixture();
  return *f;
}

Json created(const ResourceStrategy& s, const char* text) {
  Json obj = Json::parse(text);
  s.default_fields(obj);
  s.prepare_for_create(obj);
  obj["metadata"]["creationTimestamp"] = "2023-11-14T20:00:00Z";
  return obj;
}

void BM_ParseDeploymentJson(benchmark::State& state) {
  std::string body = Json::parse(kDeployment).dump();
  for (auto _ : state) benchmark::DoNotOptimize(Json::parse(body));
}
BENCHMARK(BM_ParseDeploymentJson);

// The strategy's share of a create: defaults, prepare, validate on the decoded object (the copy
// stands in for the decoded request body the server owns).
void BM_DeploymentCreate(benchmark::State& state) {
  const ResourceStrategy& s = fixture().of("apps", "deployments");
  const Json decoded = Json::parse(kDeployment);
  for (auto _ : state) {
    Json obj = decoded;
    s.default_fields(obj);
    s.prepare_for_create(obj);
    bosun::FieldErrors errs = s.validate_create(obj);
    if (!errs.empty()) state.SkipWithError(errs.aggregate_message().c_str());
    benchmark::DoNotOptimize(obj);
  }
}
BENCHMARK(BM_DeploymentCreate);

// A `kubectl set image`-style update: new image, against the stored object.
void BM_DeploymentUpdate(benchmark::State& state) {
  const ResourceStrategy& s = fixture().of("apps", "deployments");
  const Json old = created(s, kDeployment);
  Json changed = old;
  changed["spec"]["template"]["spec"]["containers"][0]["image"] =
      "registry.example.com/shop/storefront:1.4.3";
  for (auto _ : state) {
    Json obj = changed;
    s.default_fields(obj);
    s.prepare_for_update(obj, old);
    bosun::FieldErrors errs = s.validate_update(obj, old);
    if (!errs.empty()) state.SkipWithError(errs.aggregate_message().c_str());
    benchmark::DoNotOptimize(obj);
  }
}
BENCHMARK(BM_DeploymentUpdate);

void BM_ServiceCreate(benchmark::State& state) {
  const ResourceStrategy& s = fixture().of("", "services");
  const Json decoded = Json::parse(kService);
  for (auto _ : state) {
    Json obj = decoded;
    s.default_fields(obj);
    s.prepare_for_create(obj);
    bosun::FieldErrors errs = s.validate_create(obj);
    if (!errs.empty()) state.SkipWithError(errs.aggregate_message().c_str());
    benchmark::DoNotOptimize(obj);
  }
}
BENCHMARK(BM_ServiceCreate);

void BM_PersistentVolumeClaimCreate(benchmark::State& state) {
  const ResourceStrategy& s = fixture().of("", "persistentvolumeclaims");
  const Json decoded = Json::parse(kClaim);
  for (auto _ : state) {
    Json obj = decoded;
    s.default_fields(obj);
    s.prepare_for_create(obj);
    bosun::FieldErrors errs = s.validate_create(obj);
    if (!errs.empty()) state.SkipWithError(errs.aggregate_message().c_str());
    benchmark::DoNotOptimize(obj);
  }
}
BENCHMARK(BM_PersistentVolumeClaimCreate);

// One row of `kubectl get deployments` / `kubectl get services` (a list of N objects costs N).
void BM_DeploymentTableRow(benchmark::State& state) {
  const ResourceStrategy& s = fixture().of("apps", "deployments");
  Json obj = created(s, kDeployment);
  obj["status"] = {
      {"replicas", 3}, {"readyReplicas", 3}, {"updatedReplicas", 3}, {"availableReplicas", 3}};
  for (auto _ : state) benchmark::DoNotOptimize(s.table_cells(obj));
}
BENCHMARK(BM_DeploymentTableRow);

void BM_ServiceTableRow(benchmark::State& state) {
  const ResourceStrategy& s = fixture().of("", "services");
  Json obj = created(s, kService);
  obj["spec"]["clusterIP"] = "10.96.12.7";
  obj["spec"]["clusterIPs"] = {"10.96.12.7"};
  obj["spec"]["ports"][0]["nodePort"] = 30080;
  obj["spec"]["ports"][1]["nodePort"] = 30090;
  for (auto _ : state) benchmark::DoNotOptimize(s.table_cells(obj));
}
BENCHMARK(BM_ServiceTableRow);

}  // namespace

BENCHMARK_MAIN();
