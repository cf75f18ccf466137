// Label and field selector hot paths: parsing a typical `?labelSelector=`, matching a 3-requirement
// selector against a pod's 10 labels (what the scheduler and every controller do per pod), and a
// field selector's parse plus match. Baseline: std::regex for the label value check the
// hand-written validators replace.
#include <benchmark/benchmark.h>

#include <regex>
#include <string>

#include "api/field_selector.h"
#include "api/label_selector.h"
#include "api/validation.h"

namespace {

using bosun::Json;
using bosun::api::Fields;
using bosun::api::FieldSelector;
using bosun::api::Labels;
using bosun::api::LabelSelector;

constexpr std::string_view kTypical = "app=web,tier in (frontend,backend),environment!=dev";

Labels pod_labels() {
  return {{"app", "web"},
          {"tier", "frontend"},
          {"environment", "prod"},
          {"pod-template-hash", "7c5ddbdf54"},
          {"app.kubernetes.io/name", "web"},
          {"app.kubernetes.io/instance", "web-prod"},
          {"app.kubernetes.io/version", "1.4.2"},
          {"app.kubernetes.io/managed-by", "bosun"},
          {"team", "storefront"},
          {"release", "stable"}};
}

void BM_LabelSelectorParse(benchmark::State& state) {
  for (auto _ : state) {
    auto s = LabelSelector::parse(kTypical);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_LabelSelectorParse);

void BM_LabelSelectorToString(benchmark::State& state) {
  LabelSelector s = *LabelSelector::parse(kTypical);
  for (auto _ : state) benchmark::DoNotOptimize(s.to_string());
}
BENCHMARK(BM_LabelSelectorToString);

// Arg 1: the pod matches (all three requirements are evaluated); 0: the last requirement fails.
void BM_LabelSelectorMatches(benchmark::State& state) {
  LabelSelector s = *LabelSelector::parse(kTypical);
  Labels labels = pod_labels();
  if (state.range(0) == 0) labels["tier"] = "cache";
  bool want = state.range(0) == 1;
  for (auto _ : state) {
    bool m = s.matches(labels);
    if (m != want) state.SkipWithError("wrong match");
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_LabelSelectorMatches)->Arg(1)->Arg(0);

void BM_LabelSelectorMatchesJson(benchmark::State& state) {
  LabelSelector s = *LabelSelector::parse(kTypical);
  Json labels = bosun::api::labels_to_json(pod_labels());
  for (auto _ : state) {
    bool m = s.matches(labels);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_LabelSelectorMatchesJson);

void BM_LabelSelectorFromJson(benchmark::State& state) {
  Json obj = Json::parse(R"({"matchLabels": {"app": "web"},
      "matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "backend"]},
                           {"key": "environment", "operator": "NotIn", "values": ["dev"]}]})");
  for (auto _ : state) {
    auto s = LabelSelector::from_json(obj);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_LabelSelectorFromJson);

void BM_FieldSelectorParseAndMatch(benchmark::State& state) {
  Fields fields = {{"metadata.name", "web-7c5ddbdf54-x2x9q"},
                   {"metadata.namespace", "shop"},
                   {"spec.nodeName", "node-17"},
                   {"status.phase", "Running"}};
  for (auto _ : state) {
    auto s = FieldSelector::parse("spec.nodeName=node-17,status.phase!=Failed");
    bool m = s->matches(fields);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_FieldSelectorParseAndMatch);

void BM_FieldSelectorMatch(benchmark::State& state) {
  Fields fields = {{"metadata.name", "web-7c5ddbdf54-x2x9q"},
                   {"metadata.namespace", "shop"},
                   {"spec.nodeName", "node-17"},
                   {"status.phase", "Running"}};
  FieldSelector s = *FieldSelector::parse("spec.nodeName=node-17,status.phase!=Failed");
  for (auto _ : state) {
    bool m = s.matches(fields);
    benchmark::DoNotOptimize(m);
  }
}
BENCHMARK(BM_FieldSelectorMatch);

const std::string kLabelValues[] = {"web", "frontend", "7c5ddbdf54", "1.4.2", "bad value!", ""};

void BM_LabelValueCheck(benchmark::State& state) {
  for (auto _ : state) {
    for (const auto& v : kLabelValues) benchmark::DoNotOptimize(bosun::api::label_value_ok(v));
  }
}
BENCHMARK(BM_LabelValueCheck);

// Baseline: the same check with std::regex and Kubernetes' regex.
void BM_LabelValueCheckStdRegex(benchmark::State& state) {
  const std::regex re("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");
  for (auto _ : state) {
    for (const auto& v : kLabelValues) {
      benchmark::DoNotOptimize(v.size() <= 63 && std::regex_match(v, re));
    }
  }
}
BENCHMARK(BM_LabelValueCheckStdRegex);

}  // namespace

BENCHMARK_MAIN();
