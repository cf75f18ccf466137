#include "common/metrics.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace bosun {
namespace {

TEST(MetricsTest, CounterWithLabelsExposesSortedLabelsAndChildren) {
  MetricsRegistry r;
  auto& total = r.counter_vec("apiserver_request_total", "Counter of apiserver requests.",
                              {"verb", "resource", "code"});
  total.with({"LIST", "pods", "200"}).inc();
  total.with({"GET", "pods", "404"}).inc(2);
  total.with({"LIST", "pods", "200"}).inc();
  // Prometheus' Go client prints label pairs sorted by name and series sorted by label values.
  EXPECT_EQ(r.expose(),
            "# HELP apiserver_request_total Counter of apiserver requests.\n"
            "# TYPE apiserver_request_total counter\n"
            "apiserver_request_total{code=\"404\",resource=\"pods\",verb=\"GET\"} 2\n"
            "apiserver_request_total{code=\"200\",resource=\"pods\",verb=\"LIST\"} 2\n");
}

TEST(MetricsTest, SameChildIsReturnedForSameLabels) {
  MetricsRegistry r;
  auto& v = r.gauge_vec("g", "h", {"a"});
  EXPECT_EQ(&v.with({"x"}), &v.with({"x"}));
  EXPECT_NE(&v.with({"x"}), &v.with({"y"}));
  // Joining must not confuse ("ab","") with ("a","b").
  auto& two = r.gauge_vec("g2", "h", {"a", "b"});
  EXPECT_NE(&two.with({"ab", ""}), &two.with({"a", "b"}));
}

TEST(MetricsTest, RegisteringAgainReturnsTheSameFamily) {
  MetricsRegistry r;
  auto& a = r.counter_vec("c_total", "h", {"x"});
  auto& b = r.counter_vec("c_total", "h", {"x"});
  EXPECT_EQ(&a, &b);
}

TEST(MetricsTest, RegisteringWithDifferentLabelsAborts) {
  MetricsRegistry r;
  r.counter_vec("c_total", "h", {"x"});
  EXPECT_DEATH(r.counter_vec("c_total", "h", {"y"}), "different labels");
  EXPECT_DEATH(r.gauge_vec("c_total", "h", {"x"}), "different types");
}

TEST(MetricsTest, GaugeUpAndDown) {
  MetricsRegistry r;
  Gauge& g = r.gauge("apiserver_longrunning_requests", "Gauge of long-running requests.");
  g.inc();
  g.inc();
  g.dec();
  EXPECT_EQ(g.value(), 1);
  g.set(7.5);
  EXPECT_EQ(r.expose(),
            "# HELP apiserver_longrunning_requests Gauge of long-running requests.\n"
            "# TYPE apiserver_longrunning_requests gauge\n"
            "apiserver_longrunning_requests 7.5\n");
}

TEST(MetricsTest, CounterIgnoresNegativeIncrements) {
  MetricsRegistry r;
  Counter& c = r.counter("c_total", "h");
  c.inc(3);
  c.inc(-1);
  EXPECT_EQ(c.value(), 3);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithLessOrEqualBounds) {
  MetricsRegistry r;
  const double bounds[] = {0.1, 1, 10};
  auto& h = r.histogram_vec("d_seconds", "Latency.", {"verb"}, bounds);
  Histogram& get = h.with({"GET"});
  get.observe(0.1);  // exactly on a bound: counts in that bucket ("le")
  get.observe(0.5);
  get.observe(20);
  EXPECT_EQ(r.expose(),
            "# HELP d_seconds Latency.\n"
            "# TYPE d_seconds histogram\n"
            "d_seconds_bucket{verb=\"GET\",le=\"0.1\"} 1\n"
            "d_seconds_bucket{verb=\"GET\",le=\"1\"} 2\n"
            "d_seconds_bucket{verb=\"GET\",le=\"10\"} 2\n"
            "d_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 3\n"
            "d_seconds_sum{verb=\"GET\"} 20.6\n"
            "d_seconds_count{verb=\"GET\"} 3\n");
}

TEST(MetricsTest, HistogramWithoutLabels) {
  MetricsRegistry r;
  const double bounds[] = {1};
  auto& h = r.histogram_vec("h", "x", {}, bounds);
  h.with({}).observe(2);
  EXPECT_EQ(
      r.expose(),
      "# HELP h x\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\nh_bucket{le=\"+Inf\"} 1\nh_sum 2\n"
      "h_count 1\n");
}

TEST(MetricsTest, KubernetesLatencyBuckets) {
  auto b = kubernetes_latency_buckets();
  ASSERT_EQ(b.size(), 23u);
  EXPECT_EQ(b.front(), 0.005);
  EXPECT_EQ(b.back(), 60);
}

TEST(MetricsTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry r;
  r.counter_vec("c_total", "line1\nback\\slash", {"path"}).with({"a\"b\\c\nd"}).inc();
  EXPECT_EQ(r.expose(),
            "# HELP c_total line1\\nback\\\\slash\n"
            "# TYPE c_total counter\n"
            "c_total{path=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsTest, FormatsValuesLikePrometheus) {
  EXPECT_EQ(format_metric_value(3), "3");
  EXPECT_EQ(format_metric_value(-2), "-2");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(1.0 / 0.0), "+Inf");
  EXPECT_EQ(format_metric_value(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(format_metric_value(0.0 / 0.0), "NaN");
}

TEST(MetricsTest, FamiliesAreSortedByName) {
  MetricsRegistry r;
  r.counter("b_total", "b").inc();
  r.counter("a_total", "a").inc();
  std::string out = r.expose();
  EXPECT_LT(out.find("a_total"), out.find("b_total"));
}

TEST(MetricsTest, ConcurrentUpdatesAreNotLost) {
  MetricsRegistry r;
  auto& v = r.counter_vec("c_total", "h", {"t"});
  const double bounds[] = {1};
  auto& h = r.histogram_vec("h", "h", {}, bounds);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        v.with({i % 2 ? "odd" : "even"}).inc();
        h.with({}).observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(v.with({"odd"}).value() + v.with({"even"}).value(), 40000);
  EXPECT_EQ(h.with({}).snapshot().count, 40000u);
}

}  // namespace
}  // namespace bosun
