#include "apiserver/instrumented_store.h"

#include <chrono>

namespace bosun::apiserver {

namespace {

// "/registry/pods/default/web" -> "/registry/pods".
std::string_view resource_type_of(std::string_view key) {
  constexpr std::string_view kRoot = "/registry/";
  if (!key.starts_with(kRoot)) return key;
  size_t end = key.find('/', kRoot.size());
  return end == std::string_view::npos ? key : key.substr(0, end);
}

class InstrumentedStore final : public store::Store {
 public:
  InstrumentedStore(store::Store& inner, MetricsRegistry& metrics)
      : inner_(inner),
        latency_(metrics.histogram_vec("etcd_request_duration_seconds",
                                       "Etcd request latency in seconds for each operation and "
                                       "object type.",
                                       {"operation", "type"}, kubernetes_latency_buckets())) {}

  Result<store::KeyValue> get(std::string_view key) override {
    Timer t(this, "get", key);
    return inner_.get(key);
  }
  Result<store::ListResult> list(std::string_view prefix,
                                 const store::ListOptions& options) override {
    Timer t(this, "list", prefix);
    return inner_.list(prefix, options);
  }
  Result<uint64_t> create(std::string_view key, std::string value) override {
    Timer t(this, "create", key);
    return inner_.create(key, std::move(value));
  }
  Result<store::KeyValue> update(std::string_view key, std::string value,
                                 uint64_t expected_mod_revision) override {
    Timer t(this, "update", key);
    return inner_.update(key, std::move(value), expected_mod_revision);
  }
  Result<store::RemoveResult> remove(std::string_view key,
                                     std::optional<uint64_t> expected_mod_revision) override {
    Timer t(this, "delete", key);
    return inner_.remove(key, expected_mod_revision);
  }
  Result<store::KeyValue> guaranteed_update(std::string_view key,
                                            const store::TryUpdate& try_update) override {
    Timer t(this, "update", key);
    return inner_.guaranteed_update(key, try_update);
  }
  Result<std::unique_ptr<store::Watch>> watch(std::string_view prefix, uint64_t from_revision,
                                              store::WatchCallback callback) override {
    return inner_.watch(prefix, from_revision, std::move(callback));
  }
  void after_delivered(store::Watch& watch, uint64_t revision, std::function<void()> fn) override {
    inner_.after_delivered(watch, revision, std::move(fn));
  }
  uint64_t current_revision() override { return inner_.current_revision(); }
  Result<void> compact(uint64_t revision) override { return inner_.compact(revision); }
  uint64_t compacted_revision() override { return inner_.compacted_revision(); }

 private:
  struct Timer {
    Timer(InstrumentedStore* s, std::string_view op, std::string_view key)
        : store(s),
          operation(op),
          type(resource_type_of(key)),
          start(std::chrono::steady_clock::now()) {}
    ~Timer() {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      store->latency_.with({operation, type}).observe(secs);
    }
    InstrumentedStore* store;
    std::string_view operation;
    std::string_view type;
    std::chrono::steady_clock::time_point start;
  };

  store::Store& inner_;
  HistogramVec& latency_;
};

}  // namespace

std::unique_ptr<store::Store> instrument_store(store::Store& inner, MetricsRegistry& metrics) {
  return std::make_unique<InstrumentedStore>(inner, metrics);
}

}  // namespace bosun::apiserver
