// schedule_one over small clusters with the default profile, and the FitError message users read
// in `kubectl describe pod`.
#include <gtest/gtest.h>

#include <set>

#include "scheduler/plugins.h"
#include "scheduler/pod_condition.h"
#include "scheduler/test_util.h"

namespace bosun::scheduler {
namespace {

using testing::node;
using testing::node_json;
using testing::pod;
using testing::pod_json;

FrameworkOptions seeded(uint64_t seed = 1) {
  FrameworkOptions o;
  o.seed = seed;
  return o;
}

class ScheduleOneTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  Cache cache_{clock_};
  Snapshot snap_;
  std::unique_ptr<Framework> fw_ = make_default_framework(seeded());

  ScheduleResult schedule(const Json& p) {
    cache_.update_snapshot(snap_);
    return fw_->schedule_one(*pod(p), snap_);
  }
  // Schedules and assumes, as the scheduling cycle does before binding.
  std::string place(const Json& p) {
    ScheduleResult r = schedule(p);
    if (!r.ok()) return r.fit_error ? r.fit_error->message() : r.error->message;
    EXPECT_TRUE(cache_.assume_pod(pod(p), r.node).ok());
    return r.node;
  }
  void add_node(const Json& n) { cache_.add_node(node(n)); }
};

TEST_F(ScheduleOneTest, FitErrorMessageAsKubernetesPrintsIt) {
  add_node(node_json("n1", "1"));
  for (const char* name : {"n2", "n3"}) {
    Json n = node_json(name, "8");
    n["spec"]["taints"] =
        Json::parse(R"([{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}])");
    add_node(n);
  }
  ScheduleResult r = schedule(pod_json("p", "2"));
  ASSERT_FALSE(r.ok());
  ASSERT_TRUE(r.fit_error);
  EXPECT_EQ(r.fit_error->message(),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint "
            "{node.kubernetes.io/unreachable: }.");
  EXPECT_EQ(r.fit_error->unschedulable_plugins,
            (std::set<std::string>{"NodeResourcesFit", "TaintToleration"}));
}

TEST_F(ScheduleOneTest, UnschedulableConditionCarriesTheMessage) {
  add_node(node_json("n1", "1"));
  ScheduleResult r = schedule(pod_json("p", "2"));
  Json c = pod_scheduled_false_condition(r, clock_.now());
  EXPECT_EQ(c["type"], "PodScheduled");
  EXPECT_EQ(c["status"], "False");
  EXPECT_EQ(c["reason"], "Unschedulable");
  EXPECT_EQ(c["message"], "0/1 nodes are available: 1 Insufficient cpu.");
  EXPECT_EQ(c["lastTransitionTime"], "2023-11-14T22:13:20Z");
  ScheduleResult failed;
  failed.error = make_error(ErrorCode::kInternal, "boom");
  EXPECT_EQ(pod_scheduled_false_condition(failed, clock_.now())["reason"], "SchedulerError");
}

TEST_F(ScheduleOneTest, FitErrorReasonsSortAsStringsAndCountEachReason) {
  for (int i = 0; i < 10; ++i) {
    Json n = node_json("cordoned-" + std::to_string(i));
    n["spec"]["unschedulable"] = true;
    add_node(n);
  }
  add_node(node_json("small-1", "1", "1Gi"));
  add_node(node_json("small-2", "1", "1Gi"));
  ScheduleResult r = schedule(pod_json("p", "2", "2Gi"));
  ASSERT_TRUE(r.fit_error);
  EXPECT_EQ(r.fit_error->message(),
            "0/12 nodes are available: 10 node(s) were unschedulable, 2 Insufficient cpu, 2 "
            "Insufficient memory.");
}

TEST_F(ScheduleOneTest, EmptyCluster) {
  ScheduleResult r = schedule(pod_json("p"));
  ASSERT_TRUE(r.fit_error);
  EXPECT_EQ(r.fit_error->message(), "no nodes available to schedule pods");
}

TEST_F(ScheduleOneTest, PodsLandWhereTheyFitAndTheAssumedPodCounts) {
  add_node(node_json("small", "1", "2Gi"));
  add_node(node_json("medium", "2", "4Gi"));
  add_node(node_json("large", "4", "8Gi"));
  EXPECT_EQ(place(pod_json("a", "3", "1Gi")), "large");
  // large has 1 cpu left now; medium is the emptiest that fits.
  EXPECT_EQ(place(pod_json("b", "1500m", "1Gi")), "medium");
  EXPECT_EQ(place(pod_json("c", "900m", "1Gi")), "small");
  EXPECT_EQ(place(pod_json("d", "2")), "0/3 nodes are available: 3 Insufficient cpu.");
  // Deleting a pod frees its node.
  ASSERT_TRUE(cache_.forget_pod("a").ok());
  EXPECT_EQ(place(pod_json("d", "2")), "large");
}

TEST_F(ScheduleOneTest, SelectorsTaintsCordonAndAntiAffinity) {
  Json ssd = node_json("ssd");
  ssd["metadata"]["labels"]["disk"] = "ssd";
  add_node(ssd);
  Json gpu = node_json("gpu");
  gpu["spec"]["taints"] =
      Json::parse(R"([{"key": "gpu", "value": "true", "effect": "NoSchedule"}])");
  add_node(gpu);
  Json cordoned = node_json("cordoned");
  cordoned["spec"]["unschedulable"] = true;
  add_node(cordoned);

  Json wants_ssd = pod_json("a");
  wants_ssd["spec"]["nodeSelector"] = {{"disk", "ssd"}};
  EXPECT_EQ(place(wants_ssd), "ssd");
  Json tolerates = pod_json("b");
  tolerates["spec"]["nodeSelector"] = {{"kubernetes.io/hostname", "gpu"}};
  tolerates["spec"]["tolerations"] = Json::parse(R"([{"key": "gpu", "operator": "Exists"}])");
  EXPECT_EQ(place(tolerates), "gpu");
  Json wants_missing = pod_json("c");
  wants_missing["spec"]["nodeSelector"] = {{"disk", "nvme"}};
  EXPECT_EQ(
      place(wants_missing),
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) "
      "had untolerated taint {gpu: true}, 1 node(s) were unschedulable.");

  // Required anti-affinity spreads replicas one per schedulable node, then refuses.
  auto replica = [](const std::string& name) {
    Json p = pod_json(name);
    p["metadata"]["labels"] = {{"app", "web"}};
    p["spec"]["tolerations"] = Json::parse(R"([{"key": "gpu", "operator": "Exists"}])");
    p["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] =
        Json::parse(R"([{"labelSelector": {"matchLabels": {"app": "web"}},
                         "topologyKey": "kubernetes.io/hostname"}])");
    return p;
  };
  std::set<std::string> used{place(replica("web-1")), place(replica("web-2"))};
  EXPECT_EQ(used, (std::set<std::string>{"ssd", "gpu"}));
  EXPECT_EQ(place(replica("web-3")),
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match pod "
            "anti-affinity rules.");
}

TEST_F(ScheduleOneTest, NumFeasibleNodesToFind) {
  EXPECT_EQ(fw_->num_feasible_nodes_to_find(50), 50);
  EXPECT_EQ(fw_->num_feasible_nodes_to_find(100), 100);
  EXPECT_EQ(fw_->num_feasible_nodes_to_find(200), 100);   // 49% = 98, at least 100
  EXPECT_EQ(fw_->num_feasible_nodes_to_find(1000), 420);  // 50 - 8 = 42%
  EXPECT_EQ(fw_->num_feasible_nodes_to_find(5000), 500);  // 10%
  EXPECT_EQ(fw_->num_feasible_nodes_to_find(6000), 300);  // floor of 5%
  FrameworkOptions o;
  o.percentage_of_nodes_to_score = 30;
  Framework configured(o);
  EXPECT_EQ(configured.num_feasible_nodes_to_find(1000), 300);
  o.percentage_of_nodes_to_score = 100;
  Framework all(o);
  EXPECT_EQ(all.num_feasible_nodes_to_find(5000), 5000);
}

TEST_F(ScheduleOneTest, FiltersInRoundRobinOrderAndStopsEarly) {
  for (int i = 0; i < 1000; ++i) add_node(node_json("n" + std::to_string(i)));
  std::set<std::string> chosen;
  for (int i = 0; i < 3; ++i) {
    ScheduleResult r = schedule(pod_json("p"));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.evaluated_nodes, 420);
    EXPECT_EQ(r.feasible_nodes, 420);
    chosen.insert(r.node);
  }
  EXPECT_EQ(chosen.size(), 3u);
}

TEST_F(ScheduleOneTest, TiesAreBrokenAtRandomFromTheSeed) {
  for (const char* n : {"a", "b", "c", "d"}) add_node(node_json(n));
  cache_.update_snapshot(snap_);
  auto run = [&](uint64_t seed) {
    auto fw = make_default_framework(seeded(seed));
    std::vector<std::string> picks;
    for (int i = 0; i < 40; ++i) picks.push_back(fw->schedule_one(*pod(pod_json("p")), snap_).node);
    return picks;
  };
  auto first = run(7);
  EXPECT_EQ(first, run(7));
  EXPECT_EQ(std::set<std::string>(first.begin(), first.end()).size(), 4u);
}

TEST_F(ScheduleOneTest, ScoreWeightsAreConfigurable) {
  FrameworkOptions o = seeded();
  o.score_weights["TaintToleration"] = 10;
  auto fw = make_default_framework(o);
  auto weights = fw->score_plugin_weights();
  std::map<std::string, int64_t> by_name(weights.begin(), weights.end());
  EXPECT_EQ(by_name.at("TaintToleration"), 10);
  EXPECT_EQ(by_name.at("NodeAffinity"), 2);
  EXPECT_EQ(by_name.at("NodeResourcesFit"), 1);
  EXPECT_EQ(by_name.at("PodTopologySpread"), 2);
  EXPECT_EQ(by_name.at("InterPodAffinity"), 2);
  EXPECT_EQ(by_name.at("NodeResourcesBalancedAllocation"), 1);
}

TEST_F(ScheduleOneTest, PreferNoScheduleTaintIsAvoidedWhenThereIsAChoice) {
  Json tainted = node_json("tainted");
  tainted["spec"]["taints"] = Json::parse(R"([{"key": "spot", "effect": "PreferNoSchedule"}])");
  add_node(tainted);
  add_node(node_json("clean"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(place(pod_json("p" + std::to_string(i))), "clean");
}

TEST_F(ScheduleOneTest, EventsForRejectingPlugins) {
  EXPECT_EQ(fw_->events_for({"NodeAffinity"}), kNodeAdd | kNodeUpdate);
  EXPECT_NE(fw_->events_for({"NodeResourcesFit"}) & kAssignedPodDelete, 0u);
  EXPECT_EQ(fw_->events_for({}), kAllEvents);
}

}  // namespace
}  // namespace bosun::scheduler
