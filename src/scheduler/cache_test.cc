#include "scheduler/cache.h"

#include <gtest/gtest.h>

#include "scheduler/test_util.h"

namespace bosun::scheduler {
namespace {

using testing::node;
using testing::node_json;
using testing::pod;
using testing::pod_json;

Json bound(Json p, const std::string& node_name) {
  p["spec"]["nodeName"] = node_name;
  return p;
}

class CacheTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  Cache cache_{clock_, CacheOptions{std::chrono::seconds(30)}};
  Snapshot snap_;

  const NodeInfo& fresh(const std::string& name) {
    cache_.update_snapshot(snap_);
    const NodeInfo* n = snap_.get(name);
    EXPECT_NE(n, nullptr) << name;
    return *n;
  }
};

TEST_F(CacheTest, BoundPodsCountOnTheirNode) {
  cache_.add_node(node(node_json("n1")));
  cache_.add_node(node(node_json("n2")));
  cache_.add_pod(pod(bound(pod_json("a", "1", "1Gi"), "n1")));
  cache_.add_pod(pod(pod_json("pending", "1")));  // no node: not counted
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 1000);
  EXPECT_EQ(fresh("n2").requested().milli_cpu, 0);
  EXPECT_EQ(cache_.pod_count(), 1u);

  cache_.update_pod(pod(bound(pod_json("a", "2"), "n1")));
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 2000);
  cache_.remove_pod("a");
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 0);
  EXPECT_EQ(fresh("n1").pods().size(), 0u);
}

TEST_F(CacheTest, PodsBeforeTheirNodeAndNodeRemoval) {
  cache_.add_pod(pod(bound(pod_json("a", "1"), "n1")));
  cache_.update_snapshot(snap_);
  EXPECT_EQ(snap_.size(), 0u);  // no Node object yet: not schedulable
  cache_.add_node(node(node_json("n1")));
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 1000);
  cache_.remove_node("n1");
  cache_.update_snapshot(snap_);
  EXPECT_EQ(snap_.size(), 0u);
  EXPECT_EQ(snap_.get("n1"), nullptr);
  cache_.add_node(node(node_json("n1")));
  // The pod is still bound there until it is deleted.
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 1000);
}

TEST_F(CacheTest, AssumedPodCountsBeforeBindingAndIsConfirmed) {
  cache_.add_node(node(node_json("n1")));
  auto p = pod(pod_json("p", "500m"));
  ASSERT_TRUE(cache_.assume_pod(p, "n1").ok());
  EXPECT_TRUE(cache_.is_assumed("p"));
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 500);
  EXPECT_EQ(fresh("n1").pods()[0]->node_name, "n1");
  // Assuming twice is refused.
  EXPECT_EQ(cache_.assume_pod(p, "n1").error().code, ErrorCode::kConflict);

  cache_.finish_binding("p");
  cache_.add_pod(pod(bound(pod_json("p", "500m"), "n1")));  // the informer confirms it
  EXPECT_FALSE(cache_.is_assumed("p"));
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 500);
  EXPECT_EQ(fresh("n1").pods().size(), 1u);
  clock_.advance(std::chrono::minutes(5));
  EXPECT_EQ(cache_.cleanup_expired_assumed_pods(), 0);
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 500);
}

TEST_F(CacheTest, ConfirmationOnAnotherNodeMovesThePod) {
  cache_.add_node(node(node_json("n1")));
  cache_.add_node(node(node_json("n2")));
  ASSERT_TRUE(cache_.assume_pod(pod(pod_json("p", "500m")), "n1").ok());
  cache_.add_pod(pod(bound(pod_json("p", "500m"), "n2")));
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 0);
  EXPECT_EQ(fresh("n2").requested().milli_cpu, 500);
}

TEST_F(CacheTest, ForgetUndoesAnAssumption) {
  cache_.add_node(node(node_json("n1")));
  ASSERT_TRUE(cache_.assume_pod(pod(pod_json("p", "500m")), "n1").ok());
  ASSERT_TRUE(cache_.forget_pod("p").ok());
  EXPECT_FALSE(cache_.is_assumed("p"));
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 0);
  cache_.add_pod(pod(bound(pod_json("q"), "n1")));
  EXPECT_EQ(cache_.forget_pod("q").error().code, ErrorCode::kConflict);
}

TEST_F(CacheTest, AssumedPodsExpireOnlyAfterBindingFinished) {
  cache_.add_node(node(node_json("n1")));
  ASSERT_TRUE(cache_.assume_pod(pod(pod_json("p", "500m")), "n1").ok());
  clock_.advance(std::chrono::minutes(10));
  EXPECT_EQ(cache_.cleanup_expired_assumed_pods(), 0);  // binding still in progress
  cache_.finish_binding("p");
  clock_.advance(std::chrono::seconds(29));
  EXPECT_EQ(cache_.cleanup_expired_assumed_pods(), 0);
  clock_.advance(std::chrono::seconds(2));
  EXPECT_EQ(cache_.cleanup_expired_assumed_pods(), 1);
  EXPECT_FALSE(cache_.is_assumed("p"));
  EXPECT_EQ(fresh("n1").requested().milli_cpu, 0);
}

TEST_F(CacheTest, SnapshotEntriesNeverChangeUnderAReader) {
  cache_.add_node(node(node_json("n1")));
  cache_.update_snapshot(snap_);
  std::shared_ptr<const NodeInfo> held = snap_.nodes()[0];
  ASSERT_TRUE(cache_.assume_pod(pod(pod_json("p", "1")), "n1").ok());
  EXPECT_EQ(held->requested().milli_cpu, 0);  // copy-on-write: the snapshot's copy is intact
  cache_.update_snapshot(snap_);
  EXPECT_EQ(snap_.nodes()[0]->requested().milli_cpu, 1000);
  EXPECT_NE(snap_.nodes()[0].get(), held.get());
}

TEST_F(CacheTest, SnapshotKeepsNodeOrderAndAffinityLists) {
  for (const char* n : {"a", "b", "c"}) cache_.add_node(node(node_json(n)));
  Json anti = bound(pod_json("anti"), "b");
  anti["spec"]["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] =
      Json::parse(R"([{"labelSelector": {}, "topologyKey": "kubernetes.io/hostname"}])");
  cache_.add_pod(pod(anti));
  cache_.update_snapshot(snap_);
  ASSERT_EQ(snap_.size(), 3u);
  EXPECT_EQ(snap_.nodes()[0]->name(), "a");
  EXPECT_EQ(snap_.nodes()[2]->name(), "c");
  ASSERT_EQ(snap_.have_pods_with_required_anti_affinity().size(), 1u);
  EXPECT_EQ(snap_.have_pods_with_required_anti_affinity()[0]->name(), "b");
  EXPECT_EQ(snap_.have_pods_with_affinity().size(), 1u);
  // Another pod on b: the lists must point at b's new NodeInfo, not the one the snapshot dropped.
  cache_.add_pod(pod(bound(pod_json("plain"), "b")));
  cache_.update_snapshot(snap_);
  ASSERT_EQ(snap_.have_pods_with_required_anti_affinity().size(), 1u);
  EXPECT_EQ(snap_.have_pods_with_required_anti_affinity()[0], snap_.get("b"));
  EXPECT_EQ(snap_.have_pods_with_affinity()[0], snap_.get("b"));
  EXPECT_EQ(snap_.have_pods_with_affinity()[0]->pods().size(), 2u);
  cache_.remove_pod("anti");
  cache_.update_snapshot(snap_);
  EXPECT_TRUE(snap_.have_pods_with_required_anti_affinity().empty());
}

}  // namespace
}  // namespace bosun::scheduler
