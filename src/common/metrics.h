// A small Prometheus metrics registry: counters, gauges and histograms with labels, served as the
// text exposition format 0.0.4 by `/metrics` (the format kube-apiserver serves). Updating a metric
// is a lock-free atomic; finding a labelled child takes a shared lock, and the reference it returns
// stays valid for the registry's life, so hot paths look a child up once and keep it. Everything
// here is thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace bosun {

class Counter {
 public:
  // Counters only go up (Prometheus semantics); a negative v is ignored.
  void inc(double v = 1.0) {
    if (v > 0) value_.fetch_add(v, std::memory_order_relaxed);
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) { value_.fetch_add(v, std::memory_order_relaxed); }
  void dec(double v = 1.0) { value_.fetch_sub(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Buckets are upper bounds ("le"), ascending; the +Inf bucket is implicit.
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]>
      counts_;  // bounds_.size() + 1 slots; the last one is +Inf
  std::atomic<double> sum_{0};
};

// Kubernetes' request-latency buckets (apiserver_request_duration_seconds, k8s.io/apiserver
// endpoints/metrics).
std::span<const double> kubernetes_latency_buckets();

enum class MetricType { kCounter, kGauge, kHistogram };

// One metric name with its label names; children are created on first use of a combination of label
// values.
template <typename M>
class MetricVec {
 public:
  // values must match the label names given at registration, in that order. A wrong count is a
  // programming error and aborts.
  M& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  M& with(std::span<const std::string_view> values);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

 private:
  friend class MetricsRegistry;
  struct Child {
    std::vector<std::string> values;
    std::unique_ptr<M> metric;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  MetricVec(std::string name, std::string help, std::vector<std::string> label_names,
            MetricType type, std::vector<double> buckets);
  std::unique_ptr<M> make() const;
  void expose(std::string& out) const;

  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const MetricType type_;
  const std::vector<double> buckets_;  // histograms only
  std::vector<size_t>
      print_order_;  // label indexes sorted by name, the order Prometheus' Go client prints
  mutable std::shared_mutex mu_;  // guards children_
  std::unordered_map<std::string, Child, KeyHash, std::equal_to<>> children_;
};

extern template class MetricVec<Counter>;
extern template class MetricVec<Gauge>;
extern template class MetricVec<Histogram>;
using CounterVec = MetricVec<Counter>;
using GaugeVec = MetricVec<Gauge>;
using HistogramVec = MetricVec<Histogram>;

class MetricsRegistry {
 public:
  MetricsRegistry() = default;
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registering a name again with the same type and labels returns the existing family (so two
  // servers in one process share it); with a different type or labels it is a programming error and
  // aborts.
  CounterVec& counter_vec(std::string name, std::string help, std::vector<std::string> label_names);
  GaugeVec& gauge_vec(std::string name, std::string help, std::vector<std::string> label_names);
  HistogramVec& histogram_vec(std::string name, std::string help,
                              std::vector<std::string> label_names,
                              std::span<const double> buckets);
  Counter& counter(std::string name, std::string help) {
    return counter_vec(name, help, {}).with({});
  }
  Gauge& gauge(std::string name, std::string help) { return gauge_vec(name, help, {}).with({}); }

  // The text exposition format: families sorted by name, children by label values.
  std::string expose() const;

  // The process-wide registry that `/metrics` serves by default.
  static MetricsRegistry& global();

 private:
  template <typename M>
  MetricVec<M>& get_or_add(std::string name, std::string help, std::vector<std::string> label_names,
                           MetricType type, std::vector<double> buckets);

  mutable std::mutex mu_;  // guards families_
  struct Family {
    MetricType type;
    std::shared_ptr<void> vec;  // MetricVec<M> of the matching type
    void (*expose)(const void* vec, std::string& out);
  };
  std::map<std::string, Family, std::less<>> families_;
};

// Escaping as the text format wants it (label values: backslash, double quote, newline).
std::string escape_label_value(std::string_view v);
// Go's shortest float formatting as Prometheus prints samples: "3", "0.25", "+Inf".
std::string format_metric_value(double v);

}  // namespace bosun
