// Store benchmarks (SQLite backend): durable creates and updates with 1, 16 and 64 concurrent
// writers, the same creates with synchronous=OFF as the baseline that shows what durability costs,
// gets from several reader threads, a list of 1,000 objects of 1 KiB, and watch delivery latency to
// 100 watchers. Databases live in the temp directory (the filesystem /tmp is on). Run alone it
// repeats each benchmark 3 times and prints medians, then a summary with the durability ratio and
// the targets.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_store.h"
#include "store/store.h"

namespace bosun::store {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

const std::string kValue(1024, 'x');  // ~1 KiB, the size of a small Kubernetes object

// A fresh store in its own temporary directory, removed afterwards.
class BenchStore {
 public:
  explicit BenchStore(bool durable) {
    std::string tmpl = (fs::temp_directory_path() / "bosun-store-bench-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir_ = tmpl;
    SqliteOptions options;
    options.path = (dir_ / "state.db").string();
    options.durable = durable;
    options.compaction_interval = std::chrono::nanoseconds(0);
    auto store = Store::open_sqlite(options);
    if (!store.ok()) {
      std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
      std::abort();
    }
    store_ = std::move(store).value();
  }
  ~BenchStore() {
    store_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  Store& operator*() { return *store_; }
  Store* operator->() { return store_.get(); }

 private:
  fs::path dir_;
  std::unique_ptr<Store> store_;
};

// Runs fn(thread_index) on `threads` threads that start together; returns when all are done.
template <typename Fn>
void run_threads(int threads, Fn fn) {
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      fn(t);
    });
  }
  go.store(true, std::memory_order_release);
  for (auto& thread : pool) thread.join();
}

void fail(const Error& error) {
  std::fprintf(stderr, "store error: %s\n", error.message.c_str());
  std::abort();
}

// Total writes per run: enough for about a second at each concurrency.
int64_t writes_for(int writers) { return writers == 1 ? 1500 : writers == 16 ? 8000 : 16000; }

void create_benchmark(benchmark::State& state, bool durable) {
  const int writers = static_cast<int>(state.range(0));
  const int64_t per_writer = writes_for(writers) / writers;
  BenchStore store(durable);
  int round = 0;
  for (auto _ : state) {
    run_threads(writers, [&](int t) {
      for (int64_t i = 0; i < per_writer; ++i) {
        std::string key = "/registry/pods/ns" + std::to_string(t) + "/r" + std::to_string(round) +
                          "-" + std::to_string(i);
        auto r = store->create(key, kValue);
        if (!r.ok()) fail(r.error());
      }
    });
    ++round;
  }
  state.SetItemsProcessed(state.iterations() * writers * per_writer);
}

void BM_CreateDurable(benchmark::State& state) { create_benchmark(state, true); }
void BM_CreateNoSync(benchmark::State& state) { create_benchmark(state, false); }

void BM_UpdateDurable(benchmark::State& state) {
  const int writers = static_cast<int>(state.range(0));
  const int64_t per_writer = writes_for(writers) / writers;
  BenchStore store(true);
  std::vector<uint64_t> revisions(writers);
  for (int t = 0; t < writers; ++t) {
    auto r = store->create("/registry/leases/default/w" + std::to_string(t), kValue);
    if (!r.ok()) fail(r.error());
    revisions[t] = *r;
  }
  for (auto _ : state) {
    run_threads(writers, [&](int t) {
      const std::string key = "/registry/leases/default/w" + std::to_string(t);
      for (int64_t i = 0; i < per_writer; ++i) {
        auto r = store->update(key, kValue,
                               revisions[t]);  // compare-and-swap on the revision it last wrote
        if (!r.ok()) fail(r.error());
        revisions[t] = r->mod_revision;
      }
    });
  }
  state.SetItemsProcessed(state.iterations() * writers * per_writer);
}

void preload(Store& store, const std::string& prefix, int count) {
  run_threads(16, [&](int t) {
    for (int i = t; i < count; i += 16) {
      auto r = store.create(prefix + "obj-" + std::to_string(100000 + i), kValue);
      if (!r.ok()) fail(r.error());
    }
  });
}

void BM_Get(benchmark::State& state) {
  const int readers = static_cast<int>(state.range(0));
  constexpr int kKeys = 10000;
  constexpr int64_t kGetsPerReader = 50000;
  BenchStore store(true);
  preload(*store, "/registry/pods/default/", kKeys);
  for (auto _ : state) {
    run_threads(readers, [&](int t) {
      std::mt19937 random(t);
      std::uniform_int_distribution<int> pick(0, kKeys - 1);
      for (int64_t i = 0; i < kGetsPerReader; ++i) {
        auto kv = store->get("/registry/pods/default/obj-" + std::to_string(100000 + pick(random)));
        if (!kv.ok()) fail(kv.error());
        benchmark::DoNotOptimize(kv->value.data());
      }
    });
  }
  state.SetItemsProcessed(state.iterations() * readers * kGetsPerReader);
}

void BM_List1000(benchmark::State& state) {
  BenchStore store(true);
  preload(*store, "/registry/pods/default/", 1000);
  preload(*store, "/registry/pods/other/", 1000);  // a neighbouring namespace the list must skip
  for (auto _ : state) {
    auto list = store->list("/registry/pods/default/", {});
    if (!list.ok()) fail(list.error());
    if (list->items.size() != 1000) std::abort();
    benchmark::DoNotOptimize(list->items.data());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}

double percentile(std::vector<double>& samples, double p) {
  if (samples.empty()) return 0;
  size_t index =
      std::min(samples.size() - 1, static_cast<size_t>(p * static_cast<double>(samples.size())));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                   samples.end());
  return samples[index];
}

// One writer creates objects one after another. For every event at every watcher: the time from the
// create() call to the callback (commit with fsync, then fan-out to all watchers: the target), and
// the time from create() returning to the callback, 0 if the callback came first (fan-out alone).
void BM_WatchLatency(benchmark::State& state) {
  const int watchers = static_cast<int>(state.range(0));
  constexpr int kWrites = 1000;
  BenchStore store(true);
  std::vector<double> e2e_ms;
  std::vector<double> after_ack_ms;
  std::vector<double> write_ms;
  for (auto _ : state) {
    std::vector<int64_t> sent(kWrites);
    std::vector<int64_t> acked(kWrites);
    std::vector<std::vector<std::pair<size_t, int64_t>>> seen(watchers);  // (write, callback time)
    std::atomic<int64_t> delivered{0};
    std::vector<std::unique_ptr<Watch>> handles;
    const std::string prefix = "/registry/events/default/";
    for (int w = 0; w < watchers; ++w) {
      seen[w].reserve(kWrites);
      auto watch = store->watch(prefix, 0, [&, w](Result<EventList> events) {
        if (!events.ok()) return;
        int64_t now = Clock::now().time_since_epoch().count();
        for (const auto& event : *events) {
          seen[w].emplace_back(std::stoul(event->key.substr(event->key.rfind('-') + 1)), now);
        }
        delivered.fetch_add(static_cast<int64_t>(events->size()));
      });
      if (!watch.ok()) fail(watch.error());
      handles.push_back(std::move(watch).value());
    }
    std::string run = std::to_string(state.iterations());
    for (int i = 0; i < kWrites; ++i) {
      sent[i] = Clock::now().time_since_epoch().count();
      auto r = store->create(prefix + "e" + run + "-" + std::to_string(i), kValue);
      if (!r.ok()) fail(r.error());
      acked[i] = Clock::now().time_since_epoch().count();
      write_ms.push_back(static_cast<double>(acked[i] - sent[i]) / 1e6);
    }
    while (delivered.load() < static_cast<int64_t>(kWrites) * watchers) std::this_thread::yield();
    handles.clear();
    for (const auto& samples : seen) {
      for (auto [i, at] : samples) {
        e2e_ms.push_back(static_cast<double>(at - sent[i]) / 1e6);
        after_ack_ms.push_back(static_cast<double>(std::max<int64_t>(0, at - acked[i])) / 1e6);
      }
    }
  }
  state.counters["p50_ms"] = percentile(e2e_ms, 0.50);
  state.counters["p99_ms"] = percentile(e2e_ms, 0.99);
  state.counters["ack_p99_ms"] = percentile(after_ack_ms, 0.99);
  state.counters["write_p50_ms"] = percentile(write_ms, 0.50);
  state.SetItemsProcessed(state.iterations() * kWrites);
}

BENCHMARK(BM_CreateDurable)
    ->ArgName("writers")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_CreateNoSync)
    ->ArgName("writers")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UpdateDurable)
    ->ArgName("writers")
    ->Arg(1)
    ->Arg(16)
    ->Arg(64)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Get)->ArgName("readers")->Arg(4)->Iterations(1)->UseRealTime()->Unit(
    benchmark::kMillisecond);
BENCHMARK(BM_List1000)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_WatchLatency)
    ->ArgName("watchers")
    ->Arg(100)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// Prints as the console reporter does, and keeps each benchmark's median for the summary.
class SummaryReporter : public benchmark::ConsoleReporter {
 public:
  explicit SummaryReporter(OutputOptions options) : ConsoleReporter(options) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.run_type == Run::RT_Aggregate && run.aggregate_name != "median") continue;
      Figures& f = figures_[run.run_name.str()];
      f.real_ms = run.GetAdjustedRealTime();
      for (const auto& [name, counter] : run.counters) f.counters[name] = counter.value;
    }
  }

  void print_summary() const {
    std::printf("\nSummary (medians):\n");
    for (int writers : {1, 16, 64}) {
      std::string suffix = "/writers:" + std::to_string(writers) + "/iterations:1/real_time";
      double durable = rate("BM_CreateDurable" + suffix);
      double nosync = rate("BM_CreateNoSync" + suffix);
      double update = rate("BM_UpdateDurable" + suffix);
      std::printf(
          "Writers %2d: durable creates %6.0f/s, durable updates %6.0f/s, synchronous=OFF creates "
          "%6.0f/s, durable/OFF %.2f\n",
          writers, durable, update, nosync, nosync > 0 ? durable / nosync : 0.0);
    }
    double gets = rate("BM_Get/readers:4/iterations:1/real_time");
    auto list = figures_.find("BM_List1000/real_time");
    auto watch = figures_.find("BM_WatchLatency/watchers:100/iterations:1/real_time");
    double list_ms = list != figures_.end() ? list->second.real_ms : 0;
    double p50 = watch != figures_.end() ? watch->second.get("p50_ms") : 0;
    double p99 = watch != figures_.end() ? watch->second.get("p99_ms") : 0;
    double durable64 = rate("BM_CreateDurable/writers:64/iterations:1/real_time");
    std::printf("Gets, 4 reader threads: %.0f/s\n", gets);
    std::printf("List of 1,000 objects of 1 KiB: %.2f ms\n", list_ms);
    double ack_p99 = watch != figures_.end() ? watch->second.get("ack_p99_ms") : 0;
    double write_p50 = watch != figures_.end() ? watch->second.get("write_p50_ms") : 0;
    std::printf(
        "Watch latency, 100 watchers, create() call to callback: p50 %.2f ms, p99 %.2f ms "
        "(durable write p50 %.2f ms; callback after create() returned: p99 %.2f ms)\n",
        p50, p99, write_p50, ack_p99);
    auto verdict = [](bool measured, bool met) {
      return !measured ? "not run" : met ? "met" : "MISSED";
    };
    std::printf(
        "Targets: durable writes at 64 writers >= 5000/s %s; gets >= 100000/s %s; watch p99 <= 5 "
        "ms %s\n",
        verdict(durable64 > 0, durable64 >= 5000), verdict(gets > 0, gets >= 100000),
        verdict(p99 > 0, p99 <= 5));
  }

 private:
  struct Figures {
    double real_ms = 0;
    std::map<std::string, double> counters;
    double get(const std::string& name) const {
      auto it = counters.find(name);
      return it == counters.end() ? 0 : it->second;
    }
  };
  double rate(const std::string& name) const {
    auto it = figures_.find(name);
    return it == figures_.end() ? 0 : it->second.get("items_per_second");
  }
  std::map<std::string, Figures> figures_;
};

}  // namespace
}  // namespace bosun::store

int main(int argc, char** argv) {
  std::vector<char*> args(argv, argv + argc);
  bool repetitions_given = false;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]).rfind("--benchmark_repetitions", 0) == 0) repetitions_given = true;
  }
  std::string repetitions = "--benchmark_repetitions=3";
  std::string aggregates = "--benchmark_report_aggregates_only=true";
  if (!repetitions_given) {
    args.push_back(repetitions.data());
    args.push_back(aggregates.data());
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  // Colour only on a terminal, as the library's own reporter decides: logs stay plain text.
  auto options = benchmark::ConsoleReporter::OO_Tabular;
  if (isatty(STDOUT_FILENO)) {
    options = static_cast<benchmark::ConsoleReporter::OutputOptions>(
        options | benchmark::ConsoleReporter::OO_Color);
  }
  bosun::store::SummaryReporter reporter(options);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.print_summary();
  benchmark::Shutdown();
  return 0;
}
