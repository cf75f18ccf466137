// new_uuid(), paid once per created object (metadata.uid), against the libuuid call it replaced
// (uuid_generate_random + uuid_unparse_lower: ~6 system calls per UUID).
#include <benchmark/benchmark.h>
#include <uuid/uuid.h>

#include <string>

#include "common/uuid.h"

namespace {

void BM_NewUuid(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(bosun::new_uuid());
}
BENCHMARK(BM_NewUuid);

void BM_LibuuidBaseline(benchmark::State& state) {
  for (auto _ : state) {
    uuid_t id;
    uuid_generate_random(id);
    char text[37];
    uuid_unparse_lower(id, text);
    benchmark::DoNotOptimize(std::string(text));
  }
}
BENCHMARK(BM_LibuuidBaseline);

}  // namespace

BENCHMARK_MAIN();
