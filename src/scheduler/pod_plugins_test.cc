// InterPodAffinity and PodTopologySpread, after Kubernetes' plugin tests.
#include <gtest/gtest.h>

#include "scheduler/plugin_test_util.h"
#include "scheduler/plugins.h"
#include "scheduler/test_util.h"

namespace bosun::scheduler {
namespace {

using testing::node_info;
using testing::node_json;
using testing::pod;
using testing::pod_json;
using testing::run_filter;
using testing::run_score;

Json labelled_pod(const std::string& name, const Json& labels) {
  Json p = pod_json(name);
  p["metadata"]["labels"] = labels;
  return p;
}

Json zoned_node(const std::string& name, const std::string& zone) {
  Json n = node_json(name);
  n["metadata"]["labels"]["topology.kubernetes.io/zone"] = zone;
  return n;
}

Json with_affinity(Json p, const std::string& kind, const std::string& terms) {
  p["spec"]["affinity"][kind]["requiredDuringSchedulingIgnoredDuringExecution"] =
      Json::parse(terms);
  return p;
}

constexpr const char* kHostTermDb =
    R"([{"labelSelector": {"matchLabels": {"app": "db"}}, "topologyKey": "kubernetes.io/hostname"}])";
constexpr const char* kZoneTermWeb =
    R"([{"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "topology.kubernetes.io/zone"}])";

TEST(InterPodAffinityTest, RequiredAffinity) {
  auto with_db = node_info(zoned_node("n1", "z1"), {labelled_pod("db", {{"app", "db"}})});
  auto empty = node_info(zoned_node("n2", "z1"));
  auto snap = testing::snapshot({with_db, empty});
  InterPodAffinityPlugin plugin;
  auto p = pod(with_affinity(labelled_pod("p", {{"app", "web"}}), "podAffinity", kHostTermDb));
  EXPECT_TRUE(run_filter(plugin, *p, snap, *with_db).ok());
  Status s = run_filter(plugin, *p, snap, *empty);
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.message(), "node(s) didn't match pod affinity rules");

  // Another namespace's pod does not count.
  Json other_ns = labelled_pod("db", {{"app", "db"}});
  other_ns["metadata"]["namespace"] = "other";
  auto foreign = node_info(zoned_node("n1", "z1"), {other_ns});
  EXPECT_FALSE(run_filter(plugin, *p, testing::snapshot({foreign}), *foreign).ok());
}

TEST(InterPodAffinityTest, FirstPodOfAGroupWithAffinityToItself) {
  auto n1 = node_info(zoned_node("n1", "z1"));
  auto snap = testing::snapshot({n1});
  InterPodAffinityPlugin plugin;
  auto self = pod(with_affinity(labelled_pod("p", {{"app", "db"}}), "podAffinity", kHostTermDb));
  EXPECT_TRUE(run_filter(plugin, *self, snap, *n1).ok());
  auto not_self =
      pod(with_affinity(labelled_pod("p", {{"app", "web"}}), "podAffinity", kHostTermDb));
  EXPECT_FALSE(run_filter(plugin, *not_self, snap, *n1).ok());
  // Still needs the topology label on the node.
  Json bare = node_json("n2");
  bare["metadata"]["labels"] = Json::object();
  auto unlabelled = node_info(bare);
  EXPECT_FALSE(run_filter(plugin, *self, testing::snapshot({unlabelled}), *unlabelled).ok());
}

TEST(InterPodAffinityTest, RequiredAntiAffinityAcrossAZone) {
  auto n1 = node_info(zoned_node("n1", "z1"), {labelled_pod("web-1", {{"app", "web"}})});
  auto n2 = node_info(zoned_node("n2", "z1"));
  auto n3 = node_info(zoned_node("n3", "z2"));
  auto snap = testing::snapshot({n1, n2, n3});
  InterPodAffinityPlugin plugin;
  auto p =
      pod(with_affinity(labelled_pod("web-2", {{"app", "web"}}), "podAntiAffinity", kZoneTermWeb));
  for (const auto& n : {n1, n2}) {
    Status s = run_filter(plugin, *p, snap, *n);
    EXPECT_EQ(s.code(), Code::kUnschedulable);
    EXPECT_EQ(s.message(), "node(s) didn't match pod anti-affinity rules");
  }
  EXPECT_TRUE(run_filter(plugin, *p, snap, *n3).ok());
}

TEST(InterPodAffinityTest, ExistingPodsAntiAffinity) {
  Json guard = with_affinity(labelled_pod("guard", {{"app", "db"}}), "podAntiAffinity",
                             R"([{"labelSelector": {"matchLabels": {"app": "web"}},
                                  "topologyKey": "kubernetes.io/hostname"}])");
  auto n1 = node_info(zoned_node("n1", "z1"), {guard});
  auto n2 = node_info(zoned_node("n2", "z1"));
  auto snap = testing::snapshot({n1, n2});
  InterPodAffinityPlugin plugin;
  auto web = pod(labelled_pod("web", {{"app", "web"}}));
  Status s = run_filter(plugin, *web, snap, *n1);
  EXPECT_EQ(s.code(), Code::kUnschedulable);
  EXPECT_EQ(s.message(), "node(s) didn't satisfy existing pods anti-affinity rules");
  EXPECT_TRUE(run_filter(plugin, *web, snap, *n2).ok());
  EXPECT_TRUE(run_filter(plugin, *pod(labelled_pod("api", {{"app", "api"}})), snap, *n1).ok());
}

TEST(InterPodAffinityTest, NamespaceSelectorUsesNamespaceLabels) {
  Json db = labelled_pod("db", {{"app", "db"}});
  db["metadata"]["namespace"] = "prod";
  Cache cache(Clock::real());
  cache.add_node(testing::node(zoned_node("n1", "z1")));
  Json bound = db;
  bound["spec"]["nodeName"] = "n1";
  cache.add_pod(pod(bound));
  cache.set_namespace("prod", {{"env", "prod"}});
  Snapshot snap;
  cache.update_snapshot(snap);
  InterPodAffinityPlugin plugin;
  auto p = pod(with_affinity(labelled_pod("p", {{"app", "web"}}), "podAffinity",
                             R"([{"labelSelector": {"matchLabels": {"app": "db"}},
                                  "namespaceSelector": {"matchLabels": {"env": "prod"}},
                                  "topologyKey": "kubernetes.io/hostname"}])"));
  EXPECT_TRUE(run_filter(plugin, *p, snap, *snap.get("n1")).ok());
  auto q = pod(with_affinity(labelled_pod("p", {{"app", "web"}}), "podAffinity",
                             R"([{"labelSelector": {"matchLabels": {"app": "db"}},
                                  "namespaceSelector": {"matchLabels": {"env": "dev"}},
                                  "topologyKey": "kubernetes.io/hostname"}])"));
  EXPECT_FALSE(run_filter(plugin, *q, snap, *snap.get("n1")).ok());
}

TEST(InterPodAffinityTest, ScorePreferredAffinityAndAntiAffinity) {
  auto n1 = node_info(zoned_node("n1", "z1"), {labelled_pod("db", {{"app", "db"}})});
  auto n2 = node_info(zoned_node("n2", "z2"), {labelled_pod("web", {{"app", "web"}})});
  auto n3 = node_info(zoned_node("n3", "z3"));
  auto snap = testing::snapshot({n1, n2, n3});
  Json p = labelled_pod("p", {{"app", "api"}});
  p["spec"]["affinity"]["podAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] =
      Json::parse(
          R"([{"weight": 5, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "db"}},
                                                        "topologyKey": "topology.kubernetes.io/zone"}}])");
  p["spec"]["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] =
      Json::parse(
          R"([{"weight": 5, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "web"}},
                                                        "topologyKey": "topology.kubernetes.io/zone"}}])");
  InterPodAffinityPlugin plugin;
  // Raw +5, -5, 0 scaled between the minimum and the maximum.
  EXPECT_EQ(run_score(plugin, *pod(p), snap), (std::vector<int64_t>{100, 0, 50}));
  // An existing pod's required affinity to the incoming pod attracts it (hardPodAffinityWeight 1).
  Json fan = with_affinity(labelled_pod("fan", {{"app", "fan"}}), "podAffinity",
                           R"([{"labelSelector": {"matchLabels": {"app": "api"}},
                                "topologyKey": "kubernetes.io/hostname"}])");
  auto m1 = node_info(zoned_node("m1", "z1"), {fan});
  auto m2 = node_info(zoned_node("m2", "z1"));
  EXPECT_EQ(
      run_score(plugin, *pod(labelled_pod("p", {{"app", "api"}})), testing::snapshot({m1, m2})),
      (std::vector<int64_t>{100, 0}));
}

Json spread_pod(const std::string& name, const std::string& constraints) {
  Json p = labelled_pod(name, {{"foo", ""}});
  p["spec"]["topologySpreadConstraints"] = Json::parse(constraints);
  return p;
}

constexpr const char* kZoneSkew1 = R"([{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
    "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}}])";

TEST(PodTopologySpreadTest, FilterByZoneSkew) {
  // zone1 holds two matching pods, zone2 one: only zone2 keeps the skew within 1.
  auto a = node_info(zoned_node("node-a", "zone1"), {labelled_pod("p-a", {{"foo", ""}})});
  auto b = node_info(zoned_node("node-b", "zone1"), {labelled_pod("p-b", {{"foo", ""}})});
  auto x = node_info(zoned_node("node-x", "zone2"), {labelled_pod("p-x", {{"foo", ""}})});
  auto y = node_info(zoned_node("node-y", "zone2"), {labelled_pod("other", {{"bar", ""}})});
  auto snap = testing::snapshot({a, b, x, y});
  PodTopologySpreadPlugin plugin;
  auto p = pod(spread_pod("p", kZoneSkew1));
  for (const auto& n : {a, b}) {
    Status s = run_filter(plugin, *p, snap, *n);
    EXPECT_EQ(s.code(), Code::kUnschedulable);
    EXPECT_EQ(s.message(), "node(s) didn't match pod topology spread constraints");
  }
  EXPECT_TRUE(run_filter(plugin, *p, snap, *x).ok());
  EXPECT_TRUE(run_filter(plugin, *p, snap, *y).ok());

  // A node without the topology label cannot take the pod at all.
  auto bare = node_info(node_json("bare"));
  Status s = run_filter(plugin, *p, testing::snapshot({a, bare}), *bare);
  EXPECT_EQ(s.code(), Code::kUnschedulableAndUnresolvable);
  EXPECT_EQ(s.message(),
            "node(s) didn't match pod topology spread constraints (missing required label)");

  // A pod its own selector does not match adds nothing to the skew.
  Json unmatched = spread_pod("q", kZoneSkew1);
  unmatched["metadata"]["labels"] = {{"bar", ""}};
  EXPECT_TRUE(run_filter(plugin, *pod(unmatched), snap, *a).ok());
}

TEST(PodTopologySpreadTest, MinDomainsCountsMissingDomainsAsEmpty) {
  auto a = node_info(zoned_node("node-a", "zone1"), {labelled_pod("p-a", {{"foo", ""}})});
  auto x = node_info(zoned_node("node-x", "zone2"), {labelled_pod("p-x", {{"foo", ""}})});
  auto snap = testing::snapshot({a, x});
  PodTopologySpreadPlugin plugin;
  Json c = Json::parse(kZoneSkew1);
  // Both zones hold one pod: the global minimum is 1, so either zone takes a second.
  EXPECT_TRUE(run_filter(plugin, *pod(spread_pod("p", c.dump())), snap, *a).ok());
  // Three domains wanted but two exist: the minimum counts as 0 and a second pod would skew by 2.
  c[0]["minDomains"] = 3;
  EXPECT_FALSE(run_filter(plugin, *pod(spread_pod("p", c.dump())), snap, *a).ok());
  EXPECT_FALSE(run_filter(plugin, *pod(spread_pod("p", c.dump())), snap, *x).ok());
  c[0]["maxSkew"] = 2;
  EXPECT_TRUE(run_filter(plugin, *pod(spread_pod("p", c.dump())), snap, *a).ok());
}

TEST(PodTopologySpreadTest, NodeAffinityPolicyHonorCountsOnlySelectableNodes) {
  auto a = node_info(zoned_node("node-a", "zone1"),
                     {labelled_pod("p-a", {{"foo", ""}}), labelled_pod("p-a2", {{"foo", ""}})});
  auto x = node_info(zoned_node("node-x", "zone2"));
  auto snap = testing::snapshot({a, x});
  PodTopologySpreadPlugin plugin;
  Json p = spread_pod("p", kZoneSkew1);
  p["spec"]["nodeSelector"] = {{"topology.kubernetes.io/zone", "zone1"}};
  // Honor (the default): zone2 is not a domain for this pod, so zone1 is its own minimum.
  EXPECT_TRUE(run_filter(plugin, *pod(p), snap, *a).ok());
  p["spec"]["topologySpreadConstraints"][0]["nodeAffinityPolicy"] = "Ignore";
  EXPECT_FALSE(run_filter(plugin, *pod(p), snap, *a).ok());
}

TEST(PodTopologySpreadTest, ScheduleAnywayScoresFewerMatchingPodsHigher) {
  auto n0 = node_info(node_json("n0"));
  auto n1 = node_info(node_json("n1"), {labelled_pod("a", {{"foo", ""}})});
  auto n2 = node_info(node_json("n2"),
                      {labelled_pod("b", {{"foo", ""}}), labelled_pod("c", {{"foo", ""}})});
  auto snap = testing::snapshot({n0, n1, n2});
  PodTopologySpreadPlugin plugin;
  auto p = pod(spread_pod("p", R"([{"maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
      "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}}])"));
  // Raw round(count * ln(5)): 0, 2, 3; normalized 100 * (max + min - s) / max.
  EXPECT_EQ(run_score(plugin, *p, snap), (std::vector<int64_t>{100, 33, 0}));
}

TEST(PodTopologySpreadTest, SystemDefaultsSpreadAServicesPods) {
  auto n0 = node_info(zoned_node("n0", "z1"),
                      {labelled_pod("a", {{"app", "web"}}), labelled_pod("b", {{"app", "web"}})});
  auto n1 = node_info(zoned_node("n1", "z2"));
  auto snap = testing::snapshot({n0, n1});
  PodTopologySpreadPlugin without;
  auto web = pod(labelled_pod("p", {{"app", "web"}}));
  EXPECT_EQ(run_score(without, *web, snap), (std::vector<int64_t>{0, 0}));
  PodTopologySpreadPlugin with([](const PodInfo& p) {
    return p.labels.count("app") ? api::LabelSelector::from_set({{"app", p.labels.at("app")}})
                                 : api::LabelSelector();
  });
  auto scores = run_score(with, *web, snap);
  EXPECT_LT(scores[0], scores[1]);
  EXPECT_EQ(scores[1], 100);
}

}  // namespace
}  // namespace bosun::scheduler

namespace bosun::scheduler {
namespace {

TEST(PodTopologySpreadTest, RememberedCountsFollowTheCache) {
  FakeClock clock;
  Cache cache(clock);
  cache.add_node(testing::node(node_json("n0")));
  cache.add_node(testing::node(node_json("n1")));
  auto web = [](const std::string& name, const std::string& node) {
    Json p = labelled_pod(name, {{"app", "web"}});
    p["spec"]["nodeName"] = node;
    return pod(p);
  };
  cache.add_pod(web("a", "n0"));
  Snapshot snap;
  cache.update_snapshot(snap);
  // One plugin for both decisions, as in the scheduler: its remembered counts must not go stale.
  PodTopologySpreadPlugin plugin([](const PodInfo&) {
    return api::LabelSelector::from_set({{"app", "web"}});
  });
  auto incoming = pod(labelled_pod("p", {{"app", "web"}}));
  auto first = run_score(plugin, *incoming, snap);
  EXPECT_LT(first[0], first[1]);
  cache.add_pod(web("b", "n1"));
  cache.add_pod(web("c", "n1"));
  cache.update_snapshot(snap);
  auto second = run_score(plugin, *incoming, snap);
  EXPECT_GT(second[0], second[1]);
  cache.remove_pod("b");
  cache.remove_pod("c");
  cache.update_snapshot(snap);
  EXPECT_EQ(run_score(plugin, *incoming, snap), first);
}

}  // namespace
}  // namespace bosun::scheduler

namespace bosun::scheduler {
namespace {

TEST(PodTopologySpreadTest, RememberedCountsSurviveNodeListChanges) {
  FakeClock clock;
  Cache cache(clock);
  auto selector = [](const PodInfo&) { return api::LabelSelector::from_set({{"app", "web"}}); };
  for (int i = 0; i < 4; ++i) {
    cache.add_node(testing::node(zoned_node("n" + std::to_string(i), "z" + std::to_string(i % 2))));
    for (int j = 0; j < i; ++j) {
      Json p = labelled_pod("p" + std::to_string(i) + std::to_string(j), {{"app", "web"}});
      p["spec"]["nodeName"] = "n" + std::to_string(i);
      cache.add_pod(pod(p));
    }
  }
  Snapshot snap;
  cache.update_snapshot(snap);
  PodTopologySpreadPlugin remembered(selector);
  auto incoming = pod(labelled_pod("p", {{"app", "web"}}));
  {
    PodTopologySpreadPlugin fresh(selector);
    EXPECT_EQ(run_score(remembered, *incoming, snap), run_score(fresh, *incoming, snap));
  }
  // Removing n0 shifts every other node to a new index in the snapshot.
  cache.remove_node("n0");
  cache.update_snapshot(snap);
  PodTopologySpreadPlugin fresh(selector);
  auto want = run_score(fresh, *incoming, snap);
  EXPECT_EQ(run_score(remembered, *incoming, snap), want);
  EXPECT_EQ(want.size(), 3u);
}

}  // namespace
}  // namespace bosun::scheduler
