// The shared controller helpers without a server: expectations (met, timed out, tracked
// deletions), readiness and availability, Kubernetes' deletion ranking, slow-start batches and pods
// from a template.
#include "controller/controller_utils.h"

#include <gtest/gtest.h>

#include <atomic>

#include "common/time_format.h"

namespace bosun::controller {
namespace {

using client::ObjectPtr;

TEST(ExpectationsTest, SatisfiedWhenMetOrAbsentOrExpired) {
  FakeClock clock;
  ControllerExpectations e(clock);
  EXPECT_TRUE(e.satisfied("ns/rs"));  // no record: a new controller
  e.expect_creations("ns/rs", 2);
  EXPECT_FALSE(e.satisfied("ns/rs"));
  e.creation_observed("ns/rs");
  EXPECT_FALSE(e.satisfied("ns/rs"));
  e.creation_observed("ns/rs");
  EXPECT_TRUE(e.satisfied("ns/rs"));

  e.expect_creations("ns/rs", 3);
  clock.advance(std::chrono::minutes(5));
  EXPECT_FALSE(e.satisfied("ns/rs"));  // exactly the TTL: not yet expired
  clock.advance(std::chrono::seconds(1));
  EXPECT_TRUE(e.satisfied("ns/rs"));  // a lost watch event cannot wedge the controller

  e.remove("ns/rs");
  EXPECT_FALSE(e.get("ns/rs").has_value());
}

TEST(ExpectationsTest, TrackedDeletionsLowerOnlyForExpectedPods) {
  FakeClock clock;
  ControllerExpectations e(clock);
  e.expect_deletions("ns/rs", std::vector<std::string>{"ns/a", "ns/b"});
  e.deletion_observed("ns/rs", "ns/other");  // someone else's delete
  EXPECT_EQ(e.get("ns/rs")->dels, 2);
  e.deletion_observed("ns/rs", "ns/a");
  e.deletion_observed("ns/rs", "ns/a");  // a repeated event counts once
  EXPECT_EQ(e.get("ns/rs")->dels, 1);
  EXPECT_FALSE(e.satisfied("ns/rs"));
  e.deletion_observed("ns/rs", "ns/b");
  EXPECT_TRUE(e.satisfied("ns/rs"));
}

Json pod(std::string name, std::string node, std::string phase, bool ready,
         std::string ready_since = "", int restarts = 0,
         std::string created = "2023-11-14T00:00:00Z") {
  Json p = {{"metadata",
             {{"name", name},
              {"namespace", "ns"},
              {"uid", "uid-" + name},
              {"creationTimestamp", created}}},
            {"spec", Json::object()},
            {"status", {{"phase", phase}}}};
  if (!node.empty()) p["spec"]["nodeName"] = node;
  Json cond = {{"type", "Ready"}, {"status", ready ? "True" : "False"}};
  if (!ready_since.empty()) cond["lastTransitionTime"] = ready_since;
  p["status"]["conditions"] = Json::array({cond});
  p["status"]["containerStatuses"] = Json::array({{{"name", "c"}, {"restartCount", restarts}}});
  return p;
}

std::vector<std::string> names(const std::vector<ObjectPtr>& pods) {
  std::vector<std::string> out;
  for (const auto& p : pods) out.push_back((*p)["metadata"]["name"]);
  return out;
}

TEST(PodTest, ReadyAndAvailableFollowTheReadyCondition) {
  auto now = *parse_rfc3339("2023-11-14T00:01:00Z");
  Json p = pod("a", "n1", "Running", true, "2023-11-14T00:00:30Z");
  EXPECT_TRUE(is_pod_ready(p));
  EXPECT_TRUE(is_pod_available(p, 0, now));
  EXPECT_TRUE(is_pod_available(p, 29, now));
  EXPECT_FALSE(is_pod_available(p, 30, now));  // ready exactly minReadySeconds: not yet
  EXPECT_FALSE(is_pod_available(pod("b", "n1", "Running", false), 0, now));
  EXPECT_TRUE(is_pod_active(p));
  Json done = pod("c", "n1", "Succeeded", false);
  EXPECT_FALSE(is_pod_active(done));
  Json deleting = p;
  deleting["metadata"]["deletionTimestamp"] = "2023-11-14T00:00:59Z";
  EXPECT_FALSE(is_pod_active(deleting));
}

TEST(RankingTest, ActivePodsOrder) {
  // Each pair: the first is deleted before the second.
  EXPECT_TRUE(active_pods_less(pod("a", "", "Pending", false), pod("b", "n1", "Pending", false)));
  EXPECT_TRUE(active_pods_less(pod("a", "n1", "Pending", false), pod("b", "n1", "Unknown", false)));
  EXPECT_TRUE(active_pods_less(pod("a", "n1", "Unknown", false), pod("b", "n1", "Running", false)));
  EXPECT_TRUE(active_pods_less(pod("a", "n1", "Running", false),
                               pod("b", "n1", "Running", true, "2023-11-14T00:00:00Z")));
  EXPECT_TRUE(active_pods_less(pod("a", "n1", "Running", true, "2023-11-14T00:05:00Z"),
                               pod("b", "n1", "Running", true, "2023-11-14T00:00:00Z")));
  EXPECT_TRUE(active_pods_less(pod("a", "n1", "Running", false, "", 5),
                               pod("b", "n1", "Running", false, "", 1)));
  EXPECT_TRUE(active_pods_less(pod("a", "n1", "Running", false, "", 0, "2023-11-14T01:00:00Z"),
                               pod("b", "n1", "Running", false, "", 0, "2023-11-14T00:00:00Z")));
  EXPECT_FALSE(active_pods_less(pod("b", "n1", "Running", false), pod("a", "", "Pending", false)));
}

TEST(RankingTest, PodsToDeleteRanksAsTheReplicaSetControllerDoes) {
  auto now = *parse_rfc3339("2023-11-15T00:00:00Z");
  std::vector<ObjectPtr> pods;
  auto add = [&](Json p) { pods.push_back(std::make_shared<const Json>(std::move(p))); };
  add(pod("old-ready", "n1", "Running", true, "2023-11-01T00:00:00Z", 0, "2023-11-01T00:00:00Z"));
  add(pod("unscheduled", "", "Pending", false));
  add(pod("new-ready", "n2", "Running", true, "2023-11-14T23:59:00Z", 0, "2023-11-14T23:58:00Z"));
  add(pod("pending", "n2", "Pending", false));
  add(pod("not-ready", "n3", "Running", false, "", 0));
  add(pod("crashy", "n3", "Running", false, "", 7));
  auto chosen = pods_to_delete(pods, pods, 5, now);
  EXPECT_EQ(names(chosen), (std::vector<std::string>{"unscheduled", "pending", "crashy",
                                                     "not-ready", "new-ready"}));
  // All of them: no ranking needed, every pod goes.
  EXPECT_EQ(pods_to_delete(pods, pods, 10, now).size(), 6u);
  EXPECT_TRUE(pods_to_delete(pods, pods, 0, now).empty());
}

TEST(RankingTest, DeletionCostAndDoubledUpNodes) {
  auto now = *parse_rfc3339("2023-11-15T00:00:00Z");
  const std::string t = "2023-11-14T00:00:00Z";
  Json cheap = pod("cheap", "n1", "Running", true, t, 0, t);
  cheap["metadata"]["annotations"][std::string(kPodDeletionCostAnnotation)] = "-10";
  Json lonely = pod("lonely", "n1", "Running", true, t, 0, t);
  Json crowded = pod("crowded", "n2", "Running", true, t, 0, t);
  Json buddy = pod("buddy", "n2", "Running", true, t, 0, t);
  std::vector<ObjectPtr> pods = {std::make_shared<const Json>(lonely),
                                 std::make_shared<const Json>(crowded),
                                 std::make_shared<const Json>(cheap)};
  std::vector<ObjectPtr> related = pods;
  related.push_back(std::make_shared<const Json>(buddy));
  // Both nodes hold two related pods; `cheap` costs less to delete.
  EXPECT_EQ(names(pods_to_delete(pods, related, 1, now)), std::vector<std::string>{"cheap"});
  // Without the cheap one: the node with more related pods (n2) loses one first.
  std::vector<ObjectPtr> two = {pods[0], pods[1]};
  std::vector<ObjectPtr> related2 = {pods[0], pods[1], related[3]};
  EXPECT_EQ(names(pods_to_delete(two, related2, 1, now)), std::vector<std::string>{"crowded"});
}

TEST(SlowStartTest, DoublesBatchesAndStopsAtTheFirstFailingBatch) {
  std::atomic<int> calls{0};
  auto ok = slow_start_batch(10, kSlowStartInitialBatchSize, [&]() -> Result<void> {
    calls++;
    return ok_result();
  });
  EXPECT_EQ(ok.successes, 10);
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(calls.load(), 10);

  // Batches 1, 2, 4: the 5th call fails, so the batch of 4 finishes and nothing more is tried.
  calls = 0;
  auto failed = slow_start_batch(100, 1, [&]() -> Result<void> {
    if (calls.fetch_add(1) == 4) return make_error(ErrorCode::kForbidden, "exceeded quota");
    return ok_result();
  });
  EXPECT_EQ(calls.load(), 7);
  EXPECT_EQ(failed.successes, 6);
  ASSERT_TRUE(failed.error);
  EXPECT_EQ(failed.error->message, "exceeded quota");
}

TEST(TemplateTest, PodFromTemplateCarriesLabelsAndControllerRef) {
  Json owner = {{"metadata", {{"name", "web"}, {"namespace", "ns"}, {"uid", "rs-uid"}}}};
  Json tmpl = {{"metadata", {{"labels", {{"app", "web"}}}, {"annotations", {{"a", "b"}}}}},
               {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
  auto ref = new_controller_ref(owner, "apps/v1", "ReplicaSet");
  Json p = pod_from_template(tmpl, owner, &ref);
  EXPECT_EQ(p["metadata"]["generateName"], "web-");
  EXPECT_EQ(p["metadata"]["labels"], tmpl["metadata"]["labels"]);
  EXPECT_EQ(p["metadata"]["annotations"], tmpl["metadata"]["annotations"]);
  EXPECT_EQ(p["spec"], tmpl["spec"]);
  Json expected_ref = {{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"},
                       {"name", "web"},           {"uid", "rs-uid"},
                       {"controller", true},      {"blockOwnerDeletion", true}};
  EXPECT_EQ(p["metadata"]["ownerReferences"], Json::array({expected_ref}));
  EXPECT_TRUE(is_controlled_by(p, "rs-uid"));
}

TEST(OwnerRefTest, PatchesCarryTheUidPrecondition) {
  api::OwnerReference ref{"apps/v1", "ReplicaSet", "web", "rs-uid", true, true};
  EXPECT_EQ(Json::parse(adopt_patch(ref, "pod-uid")),
            Json::parse(R"({"metadata":{"ownerReferences":[{"apiVersion":"apps/v1",
              "kind":"ReplicaSet","name":"web","uid":"rs-uid","controller":true,
              "blockOwnerDeletion":true}],"uid":"pod-uid"}})"));
  EXPECT_EQ(Json::parse(release_patch("pod-uid", {"rs-uid"})),
            Json::parse(R"({"metadata":{"ownerReferences":[{"$patch":"delete","uid":"rs-uid"}],
              "uid":"pod-uid"}})"));
}

}  // namespace
}  // namespace bosun::controller
