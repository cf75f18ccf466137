#include "common/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/check.h"

namespace bosun {

namespace {

constexpr double kLatencyBuckets[] = {0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8,
                                      1.0,   1.25,  1.5,  2,   3,   4,   5,   6,
                                      8,     10,    15,   20,  30,  45,  60};

// Label values are joined with a byte that never occurs in UTF-8 text, so distinct tuples get
// distinct keys.
constexpr char kKeySeparator = '\xff';

void append_key(std::string& key, std::span<const std::string_view> values) {
  key.clear();
  for (std::string_view v : values) {
    key.append(v);
    key.push_back(kKeySeparator);
  }
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string_view type_name(MetricType t) {
  switch (t) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// `{a="1",b="2"` without the closing brace, so histograms can append `,le="..."`. Empty when there
// are no labels.
std::string label_block(const std::vector<std::string>& names, const std::vector<size_t>& order,
                        const std::vector<std::string>& values) {
  std::string out;
  for (size_t i : order) {
    out += out.empty() ? "{" : ",";
    out += names[i];
    out += "=\"";
    out += escape_label_value(values[i]);
    out += '"';
  }
  return out;
}

}  // namespace

std::span<const double> kubernetes_latency_buckets() { return kLatencyBuckets; }

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string format_metric_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::trunc(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
    return buf;
  }
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds.begin(), bounds.end()),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {
  BOSUN_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()), "histogram buckets must ascend");
}

void Histogram::observe(double v) {
  // "le" buckets: the first bound that is >= v counts it.
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.cumulative.resize(bounds_.size() + 1);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = running;
  }
  // The count is derived from the buckets so that the +Inf bucket and _count always agree, even
  // while other threads observe.
  s.count = running;
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

template <typename M>
MetricVec<M>::MetricVec(std::string name, std::string help, std::vector<std::string> label_names,
                        MetricType type, std::vector<double> buckets)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      type_(type),
      buckets_(std::move(buckets)) {
  print_order_.resize(label_names_.size());
  for (size_t i = 0; i < print_order_.size(); ++i) print_order_[i] = i;
  std::sort(print_order_.begin(), print_order_.end(),
            [&](size_t a, size_t b) { return label_names_[a] < label_names_[b]; });
}

template <typename M>
std::unique_ptr<M> MetricVec<M>::make() const {
  if constexpr (std::is_same_v<M, Histogram>) {
    return std::make_unique<Histogram>(buckets_);
  } else {
    return std::make_unique<M>();
  }
}

template <typename M>
M& MetricVec<M>::with(std::span<const std::string_view> values) {
  BOSUN_CHECK(values.size() == label_names_.size(), "wrong number of label values for a metric");
  thread_local std::string key;
  append_key(key, values);
  {
    std::shared_lock lock(mu_);
    auto it = children_.find(std::string_view(key));
    if (it != children_.end()) return *it->second.metric;
  }
  std::unique_lock lock(mu_);
  auto [it, inserted] = children_.try_emplace(key);
  if (inserted) {
    it->second.values.assign(values.begin(), values.end());
    it->second.metric = make();
  }
  return *it->second.metric;
}

template <typename M>
void MetricVec<M>::expose(std::string& out) const {
  std::vector<const Child*> children;
  {
    std::shared_lock lock(mu_);
    children.reserve(children_.size());
    for (const auto& [key, child] : children_) children.push_back(&child);
  }
  // Children are never removed, so the pointers stay valid after the lock is released.
  std::sort(children.begin(), children.end(),
            [](const Child* a, const Child* b) { return a->values < b->values; });
  out += "# HELP " + name_ + " " + escape_help(help_) + "\n";
  out += "# TYPE " + name_ + " " + std::string(type_name(type_)) + "\n";
  for (const Child* c : children) {
    std::string labels = label_block(label_names_, print_order_, c->values);
    if constexpr (std::is_same_v<M, Histogram>) {
      Histogram::Snapshot s = c->metric->snapshot();
      const std::string sep = labels.empty() ? "{" : labels + ",";
      for (size_t i = 0; i < buckets_.size(); ++i) {
        out += name_ + "_bucket" + sep + "le=\"" + format_metric_value(buckets_[i]) + "\"} " +
               format_metric_value(static_cast<double>(s.cumulative[i])) + "\n";
      }
      out += name_ + "_bucket" + sep + "le=\"+Inf\"} " +
             format_metric_value(static_cast<double>(s.count)) + "\n";
      const std::string closed = labels.empty() ? "" : labels + "}";
      out += name_ + "_sum" + closed + " " + format_metric_value(s.sum) + "\n";
      out += name_ + "_count" + closed + " " + format_metric_value(static_cast<double>(s.count)) +
             "\n";
    } else {
      out += name_ + (labels.empty() ? "" : labels + "}") + " " +
             format_metric_value(c->metric->value()) + "\n";
    }
  }
}

template class MetricVec<Counter>;
template class MetricVec<Gauge>;
template class MetricVec<Histogram>;

template <typename M>
MetricVec<M>& MetricsRegistry::get_or_add(std::string name, std::string help,
                                          std::vector<std::string> label_names, MetricType type,
                                          std::vector<double> buckets) {
  std::lock_guard lock(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    BOSUN_CHECK(it->second.type == type, "metric registered twice with different types");
    auto* vec = static_cast<MetricVec<M>*>(it->second.vec.get());
    BOSUN_CHECK(vec->label_names() == label_names, "metric registered twice with different labels");
    return *vec;
  }
  std::shared_ptr<MetricVec<M>> vec(
      new MetricVec<M>(name, std::move(help), std::move(label_names), type, std::move(buckets)));
  MetricVec<M>& ref = *vec;
  families_.emplace(std::move(name),
                    Family{type, std::move(vec), [](const void* v, std::string& out) {
                             static_cast<const MetricVec<M>*>(v)->expose(out);
                           }});
  return ref;
}

CounterVec& MetricsRegistry::counter_vec(std::string name, std::string help,
                                         std::vector<std::string> label_names) {
  return get_or_add<Counter>(std::move(name), std::move(help), std::move(label_names),
                             MetricType::kCounter, {});
}

GaugeVec& MetricsRegistry::gauge_vec(std::string name, std::string help,
                                     std::vector<std::string> label_names) {
  return get_or_add<Gauge>(std::move(name), std::move(help), std::move(label_names),
                           MetricType::kGauge, {});
}

HistogramVec& MetricsRegistry::histogram_vec(std::string name, std::string help,
                                             std::vector<std::string> label_names,
                                             std::span<const double> buckets) {
  return get_or_add<Histogram>(std::move(name), std::move(help), std::move(label_names),
                               MetricType::kHistogram,
                               std::vector<double>(buckets.begin(), buckets.end()));
}

std::string MetricsRegistry::expose() const {
  std::string out;
  std::lock_guard lock(mu_);
  for (const auto& [name, family] : families_) family.expose(family.vec.get(), out);
  return out;
}

MetricsRegistry& MetricsRegistry::global() {
  static MetricsRegistry* registry =
      new MetricsRegistry();  // never destroyed: metrics may be touched at exit
  return *registry;
}

}  // namespace bosun
