// Discovery and OpenAPI: what rendering every document costs at start-up (they are built once per
// registry and then served from memory), its parts (the v3 documents, Swagger 2.0 and its protobuf
// conversion, discovery), and the per-request work left: negotiating kubectl's Accept header and
// copying out the prebuilt body.
#include <benchmark/benchmark.h>

#include "api/registry.h"
#include "api/schema.h"
#include "apiserver/discovery.h"
#include "apiserver/openapi.h"
#include "apiserver/openapi_v2_proto.h"

namespace {

using bosun::Json;
using bosun::api::ResourceRegistry;
using bosun::api::SchemaSet;
namespace apiserver = bosun::apiserver;

constexpr std::string_view kKubectl133Accept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

// Everything OpenApiDocuments holds: six v3 documents with their hashes, the index, Swagger 2.0
// JSON and protobuf.
void BM_BuildAllOpenApiDocuments(benchmark::State& state) {
  const ResourceRegistry& reg = ResourceRegistry::builtin();
  const SchemaSet& schemas = SchemaSet::global();
  size_t bytes = 0;
  for (auto _ : state) {
    auto docs = apiserver::OpenApiDocuments::build(reg, schemas);
    bytes = docs.value()->v2_json().body.size() + docs.value()->v2_protobuf().size();
    for (const auto& [key, doc] : docs.value()->v3_documents()) bytes += doc.body.size();
    benchmark::DoNotOptimize(docs);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_BuildAllOpenApiDocuments)->Unit(benchmark::kMillisecond);

// The largest v3 document, core/v1: build and serialise.
void BM_OpenApiV3CoreV1(benchmark::State& state) {
  const ResourceRegistry& reg = ResourceRegistry::builtin();
  const SchemaSet& schemas = SchemaSet::global();
  for (auto _ : state) {
    std::string body = apiserver::build_openapi_v3(reg, schemas, "", "v1").value().dump();
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_OpenApiV3CoreV1)->Unit(benchmark::kMillisecond);

void BM_OpenApiV2ToProtobuf(benchmark::State& state) {
  Json v2 = apiserver::build_openapi_v2(ResourceRegistry::builtin(), SchemaSet::global());
  for (auto _ : state) {
    auto pb = apiserver::openapi_v2_to_protobuf(v2);
    benchmark::DoNotOptimize(pb);
  }
}
BENCHMARK(BM_OpenApiV2ToProtobuf)->Unit(benchmark::kMillisecond);

void BM_BuildDiscoveryDocuments(benchmark::State& state) {
  const ResourceRegistry& reg = ResourceRegistry::builtin();
  for (auto _ : state) {
    apiserver::DiscoveryDocuments docs(reg);
    benchmark::DoNotOptimize(docs);
  }
}
BENCHMARK(BM_BuildDiscoveryDocuments)->Unit(benchmark::kMicrosecond);

// What every `kubectl` command costs the server twice (GET /api, GET /apis): Accept negotiation and
// a copy of the cached aggregated body.
void BM_ServeAggregatedApis(benchmark::State& state) {
  apiserver::DiscoveryDocuments docs(ResourceRegistry::builtin());
  for (auto _ : state) {
    auto body = docs.apis(kKubectl133Accept);
    benchmark::DoNotOptimize(body);
  }
}
BENCHMARK(BM_ServeAggregatedApis);

void BM_NegotiateDiscovery(benchmark::State& state) {
  for (auto _ : state) {
    auto f = apiserver::negotiate_discovery(kKubectl133Accept);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_NegotiateDiscovery);

}  // namespace

BENCHMARK_MAIN();
