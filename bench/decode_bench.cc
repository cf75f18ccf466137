// Every request body and every `kubectl apply -f` manifest is decoded, and every object the API
// server writes has its metadata validated: these measure YAML and JSON decoding of a typical
// Deployment (with nlohmann's own parser, which does not detect duplicate keys, as the JSON
// baseline), a 100-document manifest, to_yaml, and validate_object_meta.
#include <benchmark/benchmark.h>

#include <string>

#include "api/decode.h"
#include "api/object_meta.h"

namespace {

using bosun::Json;

const char kDeploymentYaml[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels:
    app: web
    tier: frontend
  annotations:
    deployment.kubernetes.io/revision: "3"
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25.3
        imagePullPolicy: IfNotPresent
        args: ["--port", "8080", "--verbose"]
        ports:
        - containerPort: 8080
          name: http
          protocol: TCP
        env:
        - name: MODE
          value: production
        - name: WORKERS
          value: "4"
        resources:
          requests: {cpu: 100m, memory: 128Mi}
          limits: {cpu: 500m, memory: 256Mi}
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 5
      restartPolicy: Always
      terminationGracePeriodSeconds: 30
)";

const std::string& deployment_json() {
  static const std::string json = bosun::api::decode_manifests(kDeploymentYaml)->front().dump();
  return json;
}

void BM_DecodeYamlDeployment(benchmark::State& state) {
  for (auto _ : state) {
    auto r = bosun::api::decode_manifests(kDeploymentYaml);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * (sizeof(kDeploymentYaml) - 1));
}
BENCHMARK(BM_DecodeYamlDeployment);

void BM_DecodeJsonDeployment(benchmark::State& state) {
  const std::string& text = deployment_json();
  for (auto _ : state) {
    auto r = bosun::api::decode_json(text);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_DecodeJsonDeployment);

// Baseline: nlohmann's DOM parser on the same text (no duplicate detection, no depth limit).
void BM_NlohmannParseDeployment(benchmark::State& state) {
  const std::string& text = deployment_json();
  for (auto _ : state) {
    Json j = Json::parse(text);
    benchmark::DoNotOptimize(j);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_NlohmannParseDeployment);

void BM_DecodeYamlManifest100(benchmark::State& state) {
  std::string text;
  for (int i = 0; i < 100; ++i) text += std::string("---\n") + kDeploymentYaml;
  for (auto _ : state) {
    auto r = bosun::api::decode_manifests(text);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * text.size());
}
BENCHMARK(BM_DecodeYamlManifest100);

void BM_ToYamlDeployment(benchmark::State& state) {
  Json obj = Json::parse(deployment_json());
  for (auto _ : state) {
    std::string y = bosun::api::to_yaml(obj);
    benchmark::DoNotOptimize(y);
  }
}
BENCHMARK(BM_ToYamlDeployment);

void BM_ValidateObjectMeta(benchmark::State& state) {
  Json obj = Json::parse(deployment_json());
  for (auto _ : state) {
    auto errs = bosun::api::validate_object_meta(obj, true, bosun::api::name_is_dns_subdomain);
    benchmark::DoNotOptimize(errs);
  }
}
BENCHMARK(BM_ValidateObjectMeta);

}  // namespace

BENCHMARK_MAIN();
