// Strict field validation runs on every create, update and patch: these measure validate_fields on
// a realistic Deployment and a realistic Pod (both valid, so the whole document is walked), plus
// the cost of a typo.
#include <benchmark/benchmark.h>

#include "api/schema.h"
#include "api/schema_validation.h"

namespace {

using bosun::Json;
using bosun::api::FieldValidationResult;
using bosun::api::SchemaSet;
using bosun::api::SchemaType;

const char kDeployment[] = R"({
  "apiVersion": "apps/v1", "kind": "Deployment",
  "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web", "tier": "frontend"},
               "annotations": {"deployment.kubernetes.io/revision": "3"}},
  "spec": {
    "replicas": 3, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
    "selector": {"matchLabels": {"app": "web"}},
    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
    "template": {
      "metadata": {"labels": {"app": "web", "tier": "frontend"}},
      "spec": {
        "containers": [{
          "name": "web", "image": "registry.example.com/web:1.2.3", "imagePullPolicy": "IfNotPresent",
          "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
          "env": [{"name": "MODE", "value": "prod"},
                  {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}}],
          "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}},
          "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
          "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "initialDelaySeconds": 10},
          "volumeMounts": [{"name": "config", "mountPath": "/etc/web", "readOnly": true}]}],
        "volumes": [{"name": "config", "configMap": {"name": "web-config"}}],
        "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst"}}}})";

const char kPod[] = R"({
  "apiVersion": "v1", "kind": "Pod",
  "metadata": {"name": "web-5d4f8b7c9-x2x7k", "namespace": "shop", "labels": {"app": "web", "pod-template-hash": "5d4f8b7c9"},
               "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d4f8b7c9",
                                    "uid": "d9607e19-f88f-11e6-a518-42010a800195", "controller": true,
                                    "blockOwnerDeletion": true}],
               "uid": "a1b2c3", "resourceVersion": "12345", "creationTimestamp": "2024-05-01T12:00:00Z"},
  "spec": {
    "securityContext": {"runAsUser": 1000, "fsGroup": 2000, "seccompProfile": {"type": "RuntimeDefault"}},
    "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
      {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                          "topologyKey": "kubernetes.io/hostname"}}]}},
    "tolerations": [{"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                     "tolerationSeconds": 300}],
    "containers": [{
      "name": "web", "image": "registry.example.com/web:1.2.3",
      "ports": [{"containerPort": 8080, "protocol": "TCP"}],
      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
      "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}},
      "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
      "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
      "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                       {"name": "kube-api-access", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}]}],
    "volumes": [{"name": "cache", "emptyDir": {}},
                {"name": "kube-api-access", "projected": {"defaultMode": 420, "sources": [
                  {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                  {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}}]}}],
    "nodeName": "node-1", "schedulerName": "default-scheduler", "serviceAccountName": "default",
    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "priority": 0},
  "status": {"phase": "Running", "podIP": "10.1.2.3", "podIPs": [{"ip": "10.1.2.3"}], "hostIP": "192.168.1.10",
             "qosClass": "Burstable", "startTime": "2024-05-01T12:00:00Z",
             "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2024-05-01T12:00:05Z"},
                            {"type": "PodScheduled", "status": "True", "lastTransitionTime": "2024-05-01T12:00:00Z"}],
             "containerStatuses": [{"name": "web", "ready": true, "restartCount": 0, "image": "registry.example.com/web:1.2.3",
                                    "imageID": "sha256:abc", "containerID": "bosun://abc", "started": true,
                                    "state": {"running": {"startedAt": "2024-05-01T12:00:01Z"}}}]}})";

void run(benchmark::State& state, const char* json, const char* group, const char* kind) {
  const Json doc = Json::parse(json);
  const SchemaType* root = SchemaSet::global().find(group, "v1", kind);
  FieldValidationResult out;
  for (auto _ : state) {
    out.unknown_fields.clear();
    out.type_errors.clear();
    bosun::api::validate_fields(doc, *root, {}, &out);
    benchmark::DoNotOptimize(out);
  }
  if (!out.ok()) state.SkipWithError("the benchmark document does not validate");
}

void BM_ValidateFieldsDeployment(benchmark::State& state) {
  run(state, kDeployment, "apps", "Deployment");
}
void BM_ValidateFieldsPod(benchmark::State& state) { run(state, kPod, "", "Pod"); }

// The allocating form, with a typo: the cost a rejected request pays.
void BM_ValidateFieldsPodWithTypo(benchmark::State& state) {
  Json doc = Json::parse(kPod);
  doc["spec"]["containers"][0]["imagee"] = "x";
  const SchemaType* root = SchemaSet::global().find("", "v1", "Pod");
  for (auto _ : state) {
    FieldValidationResult r = bosun::api::validate_fields(doc, *root);
    benchmark::DoNotOptimize(r);
  }
}

BENCHMARK(BM_ValidateFieldsDeployment);
BENCHMARK(BM_ValidateFieldsPod);
BENCHMARK(BM_ValidateFieldsPodWithTypo);

}  // namespace

BENCHMARK_MAIN();
