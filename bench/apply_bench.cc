// Field management on every write: the managedFields update of a Deployment update (what every
// PUT and non-apply PATCH pays), a server-side apply of a Deployment configuration onto the live
// Deployment (kubectl apply --server-side), the same apply when nothing changed and when the
// configuration drops fields (the prune path), and decoding plus encoding managedFields. Baseline:
// copying the live Deployment, which every one of them does at least once.
#include <benchmark/benchmark.h>

#include <string>

#include "api/apply.h"
#include "api/decode.h"
#include "api/managed_fields.h"
#include "common/clock.h"

namespace {

using bosun::FakeClock;
using bosun::Json;
using bosun::api::FieldManager;
using bosun::api::SchemaSet;

// A realistic applied configuration: two containers with ports, env, resources and probes.
const char* kConfig = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web, tier: frontend}
  annotations: {team: storefront}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web, tier: frontend}
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1.4.2
        args: [--port=8080, --log-level=info]
        ports:
        - {name: http, containerPort: 8080}
        - {name: metrics, containerPort: 9090}
        env:
        - {name: MODE, value: production}
        - {name: CACHE_SIZE, value: "256"}
        - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 5
        volumeMounts:
        - {name: cache, mountPath: /cache}
      - name: proxy
        image: registry.example.com/proxy:2.1
        ports:
        - {containerPort: 443}
      volumes:
      - name: cache
        emptyDir: {}
)";

Json yaml(const char* text) { return (*bosun::api::decode_manifests(text))[0]; }

FieldManager& manager() {
  static FieldManager fm(SchemaSet::global().find("apps", "v1", "Deployment"),
                         {"apps", "v1", "Deployment"});
  return fm;
}

// The live Deployment as the store holds it after a server-side apply, defaulting and a status
// update by the controller (three managedFields entries).
Json live_deployment(FakeClock& clock) {
  Json live = (*manager().apply(Json::object(), yaml(kConfig), "kubectl", false, clock)).object;
  live["metadata"]["uid"] = "0b5c1e9a-1111-4a2b-9c3d-000000000001";
  live["metadata"]["resourceVersion"] = "1200";
  live["metadata"]["generation"] = 1;
  live["metadata"]["creationTimestamp"] = "2026-11-01T10:00:00Z";
  Json& spec = live["spec"];
  spec["revisionHistoryLimit"] = 10;
  spec["progressDeadlineSeconds"] = 600;
  spec["strategy"] = Json::parse(
      R"({"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}})");
  Json& pod = spec["template"]["spec"];
  pod["restartPolicy"] = "Always";
  pod["dnsPolicy"] = "ClusterFirst";
  pod["schedulerName"] = "default-scheduler";
  pod["terminationGracePeriodSeconds"] = 30;
  pod["securityContext"] = Json::object();
  for (Json& c : pod["containers"]) {
    c["imagePullPolicy"] = "IfNotPresent";
    c["terminationMessagePath"] = "/dev/termination-log";
    c["terminationMessagePolicy"] = "File";
  }
  FieldManager status(SchemaSet::global().find("apps", "v1", "Deployment"),
                      {"apps", "v1", "Deployment"}, "status");
  Json with_status = live;
  with_status["status"] = Json::parse(R"({"observedGeneration":1,"replicas":3,"readyReplicas":3,
    "availableReplicas":3,"updatedReplicas":3,"conditions":[
    {"type":"Available","status":"True","reason":"MinimumReplicasAvailable"},
    {"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"}]})");
  status.update(live, with_status, "kube-controller-manager", clock);
  return with_status;
}

void BM_CopyDeployment(benchmark::State& state) {
  FakeClock clock;
  Json live = live_deployment(clock);
  for (auto _ : state) {
    Json copy = live;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyDeployment);

// kubectl edit / a controller's PUT: replicas and one image change; includes copying the body.
void BM_UpdateManagedFields(benchmark::State& state) {
  FakeClock clock;
  Json live = live_deployment(clock);
  Json next = live;
  next["spec"]["replicas"] = 5;
  next["spec"]["template"]["spec"]["containers"][1]["image"] = "registry.example.com/proxy:2.2";
  for (auto _ : state) {
    Json body = next;
    manager().update(live, body, "kubectl-edit", clock);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_UpdateManagedFields);

// kubectl apply --server-side of a new image and replica count.
void BM_ApplyDeployment(benchmark::State& state) {
  FakeClock clock;
  Json live = live_deployment(clock);
  Json config = yaml(kConfig);
  config["spec"]["replicas"] = 5;
  config["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.example.com/web:1.4.3";
  for (auto _ : state) {
    auto r = manager().apply(live, config, "kubectl", false, clock);
    if (!r.ok() || !r->changed) state.SkipWithError("apply failed");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyDeployment);

// The same configuration again: nothing to write.
void BM_ApplyDeploymentUnchanged(benchmark::State& state) {
  FakeClock clock;
  Json live = live_deployment(clock);
  Json config = yaml(kConfig);
  for (auto _ : state) {
    auto r = manager().apply(live, config, "kubectl", false, clock);
    if (!r.ok() || r->changed) state.SkipWithError("apply was not a no-op");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyDeploymentUnchanged);

// A configuration without the proxy container and one env var: the prune path.
void BM_ApplyDeploymentDroppingFields(benchmark::State& state) {
  FakeClock clock;
  Json live = live_deployment(clock);
  Json config = yaml(kConfig);
  Json& containers = config["spec"]["template"]["spec"]["containers"];
  containers.erase(1);
  containers[0]["env"].erase(1);
  for (auto _ : state) {
    auto r = manager().apply(live, config, "kubectl", false, clock);
    if (!r.ok() || r->object["spec"]["template"]["spec"]["containers"].size() != 1) {
      state.SkipWithError("prune failed");
    }
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyDeploymentDroppingFields);

void BM_DecodeEncodeManagedFields(benchmark::State& state) {
  FakeClock clock;
  Json entries = live_deployment(clock)["metadata"]["managedFields"];
  for (auto _ : state) {
    auto decoded = bosun::api::decode_managed_fields(entries);
    Json encoded = bosun::api::encode_managed_fields(*decoded);
    benchmark::DoNotOptimize(encoded);
  }
}
BENCHMARK(BM_DecodeEncodeManagedFields);

}  // namespace

BENCHMARK_MAIN();
