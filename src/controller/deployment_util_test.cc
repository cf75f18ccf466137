// The Deployment controller's arithmetic, against the cases Kubernetes' deployment_util_test.go
// and its documentation work through: fencepost rounding, the new ReplicaSet's size, proportional
// shares, revision history on rollback, condition bookkeeping and the template hash.
#include "controller/deployment_util.h"

#include <gtest/gtest.h>

namespace bosun::controller::deployment_util {
namespace {

Json rolling(int replicas, Json surge, Json unavailable) {
  return Json{{"metadata", {{"name", "web"}, {"generation", 1}}},
              {"spec",
               {{"replicas", replicas},
                {"strategy",
                 {{"type", "RollingUpdate"},
                  {"rollingUpdate", {{"maxSurge", surge}, {"maxUnavailable", unavailable}}}}}}}};
}

RsPtr rs(std::string name, int replicas, std::string created, int available = 0) {
  return std::make_shared<Json>(
      Json{{"metadata", {{"name", name}, {"creationTimestamp", created}}},
           {"spec", {{"replicas", replicas}}},
           {"status", {{"replicas", replicas}, {"availableReplicas", available}}}});
}

TEST(DeploymentUtilTest, FencepostsRoundSurgeUpAndUnavailableDown) {
  Json surge = "25%";
  Json unavailable = "25%";
  auto f = resolve_fenceposts(&surge, &unavailable, 10);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->first, 3);   // ceil(2.5)
  EXPECT_EQ(f->second, 2);  // floor(2.5)
  Json zero = 0;
  Json zero_percent = "0%";
  f = resolve_fenceposts(&zero, &zero_percent, 10);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->second, 1);  // both zero: one may be unavailable so the rollout can move
  Json bad = "abc";
  EXPECT_FALSE(resolve_fenceposts(&bad, &zero, 10).ok());

  EXPECT_EQ(max_unavailable(rolling(1, "25%", "100%")), 1);  // capped at replicas
  EXPECT_EQ(max_unavailable(rolling(0, 1, 1)), 0);
  EXPECT_EQ(max_surge(rolling(3, "25%", 0)), 1);
  Json recreate = {{"spec", {{"replicas", 3}, {"strategy", {{"type", "Recreate"}}}}}};
  EXPECT_EQ(max_surge(recreate), 0);
  EXPECT_EQ(max_unavailable(recreate), 0);
}

TEST(DeploymentUtilTest, NewReplicaSetGrowsWithinSurge) {
  Json d = rolling(10, 3, 2);
  RsPtr old_rs = rs("web-old", 10, "2024-01-01T00:00:00Z", 10);
  RsPtr new_rs = rs("web-new", 0, "2024-01-02T00:00:00Z");
  auto n = new_rs_new_replicas(d, {old_rs, new_rs}, *new_rs);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3);
  (*old_rs)["spec"]["replicas"] = 8;
  (*new_rs)["spec"]["replicas"] = 3;
  EXPECT_EQ(*new_rs_new_replicas(d, {old_rs, new_rs}, *new_rs), 5);
  Json recreate = {{"spec", {{"replicas", 4}, {"strategy", {{"type", "Recreate"}}}}}};
  EXPECT_EQ(*new_rs_new_replicas(recreate, {new_rs}, *new_rs), 4);
}

TEST(DeploymentUtilTest, ProportionalSharesFollowTheDocumentedExample) {
  // 10 replicas, maxSurge 3, mid-rollout at 8 old + 5 new, scaled to 15: 5 more to share.
  Json d = rolling(15, 3, 2);
  d["status"]["replicas"] = 13;
  RsPtr old_rs = rs("web-old", 8, "2024-01-01T00:00:00Z");
  RsPtr new_rs = rs("web-new", 5, "2024-01-02T00:00:00Z");
  (*old_rs)["metadata"]["annotations"][std::string(kMaxReplicasAnnotation)] = "13";
  (*new_rs)["metadata"]["annotations"][std::string(kMaxReplicasAnnotation)] = "13";
  int32_t to_old = proportion(*old_rs, d, 5, 0);
  EXPECT_EQ(to_old, 3);
  EXPECT_EQ(proportion(*new_rs, d, 5, to_old), 2);
  // Scaling down hands out negative shares, never more than asked.
  Json down = rolling(5, 3, 2);
  EXPECT_EQ(proportion(*old_rs, down, -5, 0), -3);  // 8 * 8/13 = 4.9, rounded to 5: -3
}

TEST(DeploymentUtilTest, SortsBySizeThenAge) {
  RsList list = {rs("a", 2, "2024-01-01T00:00:00Z"), rs("b", 5, "2024-01-02T00:00:00Z"),
                 rs("c", 2, "2024-01-03T00:00:00Z")};
  sort_by_size(list, /*newer_first=*/true);
  EXPECT_EQ((*list[0])["metadata"]["name"], "b");
  EXPECT_EQ((*list[1])["metadata"]["name"], "c");
  sort_by_size(list, /*newer_first=*/false);
  EXPECT_EQ((*list[1])["metadata"]["name"], "a");
}

TEST(DeploymentUtilTest, RollbackKeepsTheOldRevisionInHistory) {
  Json d = rolling(2, 1, 0);
  d["metadata"]["annotations"] = {{"kubernetes.io/change-cause", "undo"},
                                  {std::string(kLastAppliedAnnotation), "{}"},
                                  {std::string(kRevisionAnnotation), "2"}};
  Json r = *rs("web-1", 0, "2024-01-01T00:00:00Z");
  r["metadata"]["annotations"] = {{std::string(kRevisionAnnotation), "1"}};
  EXPECT_TRUE(set_new_rs_annotations(d, r, 3, true));
  const Json& a = r["metadata"]["annotations"];
  EXPECT_EQ(a[std::string(kRevisionAnnotation)], "3");
  EXPECT_EQ(a[std::string(kRevisionHistoryAnnotation)], "1");
  EXPECT_EQ(a["kubernetes.io/change-cause"], "undo");
  EXPECT_FALSE(a.contains(std::string(kLastAppliedAnnotation)));
  EXPECT_FALSE(a.contains(std::string(kDesiredReplicasAnnotation)));  // only on creation
  // A second rollback appends; nothing changes when the revision is already current.
  EXPECT_TRUE(set_new_rs_annotations(d, r, 5, true));
  EXPECT_EQ(r["metadata"]["annotations"][std::string(kRevisionHistoryAnnotation)], "1,3");
  EXPECT_FALSE(set_new_rs_annotations(d, r, 5, true));

  Json fresh = *rs("web-2", 0, "2024-01-01T00:00:00Z");
  EXPECT_TRUE(set_new_rs_annotations(d, fresh, 1, false));
  EXPECT_EQ(fresh["metadata"]["annotations"][std::string(kDesiredReplicasAnnotation)], "2");
  EXPECT_EQ(fresh["metadata"]["annotations"][std::string(kMaxReplicasAnnotation)], "3");
  EXPECT_FALSE(fresh["metadata"]["annotations"].contains(std::string(kRevisionHistoryAnnotation)));
}

TEST(DeploymentUtilTest, ConditionsKeepTransitionTimeWhileTheStatusHolds) {
  Json status = Json::object();
  Clock::WallTime t0{std::chrono::seconds(1700000000)};
  set_condition(status, new_condition(kProgressing, "True", kNewReplicaSetReason, "a", t0));
  set_condition(status, new_condition(kProgressing, "True", kReplicaSetUpdatedReason, "b",
                                      t0 + std::chrono::seconds(5)));
  const Json* c = get_condition(status, kProgressing);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ((*c)["reason"], kReplicaSetUpdatedReason);
  EXPECT_EQ((*c)["lastTransitionTime"], "2023-11-14T22:13:20Z");
  EXPECT_EQ((*c)["lastUpdateTime"], "2023-11-14T22:13:25Z");
  // Same status and reason: nothing changes, not even the message.
  set_condition(status, new_condition(kProgressing, "True", kReplicaSetUpdatedReason, "c",
                                      t0 + std::chrono::seconds(9)));
  EXPECT_EQ((*get_condition(status, kProgressing))["message"], "b");
  EXPECT_EQ(status["conditions"].size(), 1u);
  // The last one removed takes the field along (omitempty), as progressDeadlineSeconds unset does.
  set_condition(status, new_condition(kAvailable, "True", "MinimumReplicasAvailable", "", t0));
  remove_condition(status, kProgressing);
  EXPECT_EQ(status["conditions"].size(), 1u);
  remove_condition(status, kAvailable);
  EXPECT_FALSE(status.contains("conditions")) << status.dump();
}

TEST(DeploymentUtilTest, TimesOutOnlyAfterTheDeadline) {
  Json d = rolling(2, 1, 0);
  d["spec"]["progressDeadlineSeconds"] = 600;
  Clock::WallTime t0{std::chrono::seconds(1700000000)};
  Json status = Json::object();
  set_condition(status, new_condition(kProgressing, "True", kReplicaSetUpdatedReason, "", t0));
  EXPECT_FALSE(deployment_timed_out(d, status, t0 + std::chrono::seconds(600)));
  EXPECT_TRUE(deployment_timed_out(d, status, t0 + std::chrono::seconds(601)));
  d["status"] = status;
  EXPECT_EQ(time_to_deadline(d, t0 + std::chrono::seconds(100)), std::chrono::seconds(500));
}

TEST(DeploymentUtilTest, HashIsStableAndChangesWithTemplateOrCollisions) {
  Json t = {{"metadata", {{"labels", {{"app", "web"}}}}},
            {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "nginx:1"}}})}}}};
  std::string h = compute_hash(t, std::nullopt);
  EXPECT_EQ(h, compute_hash(Json::parse(t.dump()), std::nullopt));
  EXPECT_NE(h, compute_hash(t, 1));
  Json t2 = t;
  t2["spec"]["containers"][0]["image"] = "nginx:2";
  EXPECT_NE(h, compute_hash(t2, std::nullopt));
  for (char c : h)
    EXPECT_NE(std::string_view("bcdfghjklmnpqrstvwxz2456789").find(c), std::string::npos);
  // SafeEncodeString maps '0'..'9' (48..57) to the alphabet's entries 21..26 and 0..3.
  EXPECT_EQ(safe_encode_string("0123456789"), "456789bcdf");
}

TEST(DeploymentUtilTest, TemplatesCompareIgnoringHashAndZeroValues) {
  Json a = {{"metadata", {{"labels", {{"app", "web"}, {"pod-template-hash", "abc"}}}}},
            {"spec", {{"hostNetwork", false}, {"containers", Json::array({{{"name", "c"}}})}}}};
  Json b = {{"metadata", {{"labels", {{"app", "web"}}}, {"creationTimestamp", nullptr}}},
            {"spec", {{"containers", Json::array({{{"name", "c"}, {"args", Json::array()}}})}}}};
  EXPECT_TRUE(equal_ignore_hash(a, b));
  EXPECT_TRUE(equal_ignore_hash(b, a));
  Json only_hash = {{"metadata", {{"labels", {{"pod-template-hash", "x"}}}}}};
  EXPECT_TRUE(equal_ignore_hash(only_hash, Json::object()));
  EXPECT_TRUE(equal_ignore_hash(Json::object(), only_hash));
  Json other_label = b;
  other_label["metadata"]["labels"]["tier"] = "front";
  EXPECT_FALSE(equal_ignore_hash(a, other_label));
  EXPECT_FALSE(equal_ignore_hash(other_label, a));
  b["spec"]["containers"][0]["name"] = "d";
  EXPECT_FALSE(equal_ignore_hash(a, b));
}

}  // namespace
}  // namespace bosun::controller::deployment_util
