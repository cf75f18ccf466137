// Every PATCH request runs the patch engine once per attempt (and again on a conflict retry):
// `kubectl apply` sends a strategic merge patch, `kubectl scale`/`label` a merge patch, `kubectl
// rollout undo` a JSON Patch. These measure each on a realistic Deployment, next to the cost of
// copying that Deployment (which every engine pays, since the stored object stays unchanged), and
// the strategic merge of a long list to show it scales linearly.
#include <benchmark/benchmark.h>

#include <string>

#include "api/decode.h"
#include "api/patch.h"
#include "api/schema.h"

namespace {

using bosun::Json;
using bosun::api::PatchType;
using bosun::api::SchemaSet;
using bosun::api::SchemaType;

const char kDeployment[] = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop", "uid": "5f0c2b0e-8d1c-4b7e-9a57-3c9a1f0e2d11",
               "resourceVersion": "48213", "generation": 4, "creationTimestamp": "2025-01-10T09:00:00Z",
               "labels": {"app": "web", "tier": "frontend"},
               "annotations": {"deployment.kubernetes.io/revision": "3",
                               "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":2}}\n"}},
  "spec": {
    "replicas": 2, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
    "selector": {"matchLabels": {"app": "web"}},
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
    "template": {
      "metadata": {"labels": {"app": "web", "tier": "frontend"}},
      "spec": {
        "containers": [{
          "name": "web", "image": "registry.example.com/web:1.2.3", "imagePullPolicy": "IfNotPresent",
          "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
          "env": [{"name": "MODE", "value": "prod"},
                  {"name": "POD_IP", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "status.podIP"}}}],
          "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}},
          "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"}, "periodSeconds": 5,
                             "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
          "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"}, "initialDelaySeconds": 10,
                            "periodSeconds": 10, "timeoutSeconds": 1, "successThreshold": 1, "failureThreshold": 3},
          "volumeMounts": [{"name": "config", "mountPath": "/etc/web", "readOnly": true}],
          "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"},
         {"name": "proxy", "image": "registry.example.com/proxy:2.0", "imagePullPolicy": "IfNotPresent",
          "ports": [{"containerPort": 9901, "protocol": "TCP"}],
          "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}],
        "volumes": [{"name": "config", "configMap": {"name": "web-config", "defaultMode": 420}}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
        "securityContext": {}, "schedulerName": "default-scheduler"}}},
  "status": {"observedGeneration": 4, "replicas": 2, "updatedReplicas": 2, "readyReplicas": 2,
             "availableReplicas": 2,
             "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
                            {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}})";

// What kubectl 1.27-1.33 send when the manifest changes the image and the replica count.
const char kReapplyPatch[] =
    R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"shop\"},\"spec\":{\"replicas\":3}}\n"}},)"
    R"("spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"proxy"}],)"
    R"("containers":[{"image":"registry.example.com/web:1.2.4","name":"web"}]}}}})";

const char kScalePatch[] = R"({"spec":{"replicas":4}})";

const char kUndoPatch[] = R"([
  {"op":"replace","path":"/spec/template","value":{
    "metadata":{"creationTimestamp":null,"labels":{"app":"web","tier":"frontend"}},
    "spec":{"containers":[{"name":"web","image":"registry.example.com/web:1.2.2","resources":{}}]}}},
  {"op":"replace","path":"/metadata/annotations","value":{"deployment.kubernetes.io/revision":"2"}}])";

const SchemaType& deployment_schema() {
  return *SchemaSet::global().find("apps", "v1", "Deployment");
}

Json parse(const char* text) { return *bosun::api::decode_json(text); }

// The baseline: what any engine pays to leave the stored object untouched.
void BM_CopyDeployment(benchmark::State& state) {
  const Json live = parse(kDeployment);
  for (auto _ : state) {
    Json copy = live;
    benchmark::DoNotOptimize(copy);
  }
}
BENCHMARK(BM_CopyDeployment);

void BM_StrategicMergePatchReapply(benchmark::State& state) {
  const Json live = parse(kDeployment);
  const Json patch = parse(kReapplyPatch);
  const SchemaType& schema = deployment_schema();
  for (auto _ : state) {
    auto r = bosun::api::strategic_merge_patch(live, patch, schema);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_StrategicMergePatchReapply);

// The handler's whole step: decode the body, check it, patch.
void BM_ApplyPatchStrategicReapply(benchmark::State& state) {
  const Json live = parse(kDeployment);
  const SchemaType* schema = &deployment_schema();
  const std::string body = kReapplyPatch;
  for (auto _ : state) {
    auto r = bosun::api::apply_patch(PatchType::kStrategicMergePatch, live, body, schema);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ApplyPatchStrategicReapply);

void BM_MergePatchScale(benchmark::State& state) {
  const Json live = parse(kDeployment);
  const Json patch = parse(kScalePatch);
  for (auto _ : state) {
    auto r = bosun::api::merge_patch(live, patch);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MergePatchScale);

void BM_JsonPatchRolloutUndo(benchmark::State& state) {
  const Json live = parse(kDeployment);
  const Json patch = parse(kUndoPatch);
  for (auto _ : state) {
    auto r = bosun::api::json_patch(live, patch);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_JsonPatchRolloutUndo);

// A container with N environment variables, re-applied with one changed: the list merge and the
// $setElementOrder ordering should grow linearly with N.
void BM_StrategicMergePatchLongEnv(benchmark::State& state) {
  const auto n = static_cast<int>(state.range(0));
  Json live = parse(kDeployment);
  Json& env = live["spec"]["template"]["spec"]["containers"][0]["env"];
  env = Json::array();
  Json order = Json::array();
  for (int i = 0; i < n; ++i) {
    std::string name = "VAR_" + std::to_string(i);
    env.push_back({{"name", name}, {"value", "x"}});
    order.push_back({{"name", name}});
  }
  Json patch = parse(
      R"({"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"proxy"}],
    "containers":[{"name":"web"}]}}}})");
  Json& c = patch["spec"]["template"]["spec"]["containers"][0];
  c["$setElementOrder/env"] = order;
  c["env"] = Json::array({{{"name", "VAR_0"}, {"value", "changed"}}});
  const SchemaType& schema = deployment_schema();
  for (auto _ : state) {
    auto r = bosun::api::strategic_merge_patch(live, patch, schema);
    benchmark::DoNotOptimize(r);
  }
  state.SetComplexityN(n);
}
BENCHMARK(BM_StrategicMergePatchLongEnv)->RangeMultiplier(10)->Range(10, 10000)->Complexity();

}  // namespace

BENCHMARK_MAIN();
