// Quantities are parsed for every container's requests and limits on every write and summed and
// compared by the scheduler and quota for every pod on every node: these measure parse, print, and
// add+compare on typical values, with std::from_chars to double (a plain number parse that cannot
// do the job exactly) as a baseline.
#include <benchmark/benchmark.h>

#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "api/quantity.h"

namespace {

using bosun::api::Quantity;

// Typical spellings: milli-CPU, binary memory, a decimal fraction, plain bytes (what kubelet
// reports), an exponent.
constexpr std::string_view kTypical[] = {"100m", "1Gi", "1.5", "128974848", "129e6"};

Quantity must_parse(std::string_view s) { return Quantity::parse(s).value(); }

void BM_Parse(benchmark::State& state, std::string_view text) {
  for (auto _ : state) {
    auto q = Quantity::parse(text);
    benchmark::DoNotOptimize(q);
  }
}

// The same strings as numbers, no suffixes: the floor for any parser of these bytes.
void BM_BaselineFromCharsDouble(benchmark::State& state, std::string_view text) {
  for (auto _ : state) {
    double d = 0;
    auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    benchmark::DoNotOptimize(d);
    benchmark::DoNotOptimize(r);
  }
}

// A parsed quantity whose input was already canonical prints its input back.
void BM_ToStringParsed(benchmark::State& state, std::string_view text) {
  Quantity q = must_parse(text);
  for (auto _ : state) {
    std::string s = q.to_string();
    benchmark::DoNotOptimize(s);
  }
}

// The result of arithmetic has no input text: this is the full canonicalisation
// (CanonicalizeBytes).
void BM_ToStringCanonical(benchmark::State& state, std::string_view text) {
  Quantity q = must_parse(text) + Quantity();
  for (auto _ : state) {
    std::string s = q.to_string();
    benchmark::DoNotOptimize(s);
  }
}

// The scheduler's fit check: sum the requests of the pods on a node, add the new pod's, compare to
// allocatable.
void BM_AddCmpRequests(benchmark::State& state) {
  std::vector<Quantity> requests;
  const std::string_view cpu[] = {"100m", "250m", "500m", "1", "1.5", "2", "50m", "750m"};
  for (int i = 0; i < state.range(0); ++i) requests.push_back(must_parse(cpu[i % 8]));
  const Quantity allocatable = must_parse("64");
  for (auto _ : state) {
    Quantity used;
    for (const Quantity& r : requests) used += r;
    bool fits = used <= allocatable;
    benchmark::DoNotOptimize(fits);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_AddCmpRequests)->Arg(8)->Arg(110);

// Memory is summed in mixed binary and decimal units.
void BM_AddCmpMixedMemory(benchmark::State& state) {
  const Quantity a = must_parse("1Gi"), b = must_parse("512M"), c = must_parse("128974848"),
                 capacity = must_parse("16Gi");
  for (auto _ : state) {
    Quantity used = a;
    used += b;
    used += c;
    bool fits = used <= capacity;
    benchmark::DoNotOptimize(fits);
  }
}
BENCHMARK(BM_AddCmpMixedMemory);

// Past int64 (a cluster-wide quota total): the exact fallback.
void BM_AddCmpPastInt64(benchmark::State& state) {
  const Quantity big = must_parse("123456789012345678901234567890"), small = must_parse("1m");
  for (auto _ : state) {
    Quantity sum = big;
    sum += small;
    bool greater = sum > big;
    benchmark::DoNotOptimize(greater);
  }
}
BENCHMARK(BM_AddCmpPastInt64);

void register_typical() {
  for (std::string_view text : kTypical) {
    std::string name(text);
    benchmark::RegisterBenchmark(("BM_Parse/" + name).c_str(), BM_Parse, text);
    benchmark::RegisterBenchmark(("BM_BaselineFromCharsDouble/" + name).c_str(),
                                 BM_BaselineFromCharsDouble, text);
    benchmark::RegisterBenchmark(("BM_ToStringParsed/" + name).c_str(), BM_ToStringParsed, text);
    benchmark::RegisterBenchmark(("BM_ToStringCanonical/" + name).c_str(), BM_ToStringCanonical,
                                 text);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_typical();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
