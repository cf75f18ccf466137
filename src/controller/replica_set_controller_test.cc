// The ReplicaSet / ReplicationController controller against the in-process API server: an RC
// scaled 3 -> 5 -> 2 through the scale subresource, a ReplicaSet with a set-based selector adopting
// orphans and releasing a relabelled pod, Kubernetes' deletion ranking on scale-down, expectations
// that keep a sync from over-creating, availability after minReadySeconds on an injected clock, and
// the ReplicaFailure condition.
#include "controller/replica_set.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "client/test_config.h"
#include "common/time_format.h"

namespace bosun::controller {
namespace {

using apiserver::testing::RestTestServer;
using client::GroupVersionResource;

const GroupVersionResource kRCs{"", "v1", "replicationcontrollers"};
const GroupVersionResource kRSs{"apps", "v1", "replicasets"};

Json container() { return Json::array({{{"name", "c"}, {"image", "busybox"}}}); }

Json rc(std::string_view name, int replicas) {
  return {
      {"apiVersion", "v1"},
      {"kind", "ReplicationController"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"replicas", replicas},
        {"selector", {{"app", name}}},
        {"template",
         {{"metadata", {{"labels", {{"app", name}}}}}, {"spec", {{"containers", container()}}}}}}}};
}

Json set_based_rs(std::string_view name, int replicas) {
  return {{"apiVersion", "apps/v1"},
          {"kind", "ReplicaSet"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"replicas", replicas},
            {"selector",
             {{"matchExpressions",
               Json::array({{{"key", "tier"}, {"operator", "In"}, {"values", {"web", "www"}}},
                            {{"key", "env"}, {"operator", "NotIn"}, {"values", {"dev"}}}})}}},
            {"template",
             {{"metadata", {{"labels", {{"tier", "web"}, {"env", "prod"}}}}},
              {"spec", {{"containers", container()}}}}}}}};
}

Json bare_pod(std::string_view name, Json labels) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
          {"spec", {{"containers", container()}}}};
}

class ReplicaSetControllerTest : public ::testing::Test {
 protected:
  // The informers' handlers call into the controller: stop them before it is destroyed.
  void TearDown() override {
    if (informers_) informers_->stop();
  }

  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
    informers_ = std::make_unique<SharedInformers>(*client_);
  }

  // Builds the controller, starts and syncs the informers; `workers` 0 leaves reconcile to the
  // test.
  void start(const ReplicaSetKind& kind, Clock& clock, int workers = 2) {
    controller_ = std::make_unique<ReplicaSetController>(
        ControllerContext{*client_, *informers_, clock}, kind);
    informers_->start();
    ASSERT_TRUE(informers_->wait_for_sync(std::chrono::seconds(10)));
    if (workers > 0) controller_->run(workers);
  }

  Json create(const GroupVersionResource& gvr, const Json& obj) {
    auto r = client_->create(gvr, "default", obj);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Json();
  }

  std::vector<Json> pods(std::string_view selector = "") {
    client::ListOptions o;
    o.label_selector = selector;
    auto r = client_->list(client::kPods, "default", o);
    EXPECT_TRUE(r.ok()) << r.error().message;
    std::vector<Json> out;
    if (r.ok()) {
      for (const Json& p : (*r)["items"]) out.push_back(p);
    }
    return out;
  }

  std::vector<Json> active_pods(std::string_view selector = "") {
    std::vector<Json> out;
    for (Json& p : pods(selector)) {
      if (!p["metadata"].contains("deletionTimestamp")) out.push_back(std::move(p));
    }
    return out;
  }

  Json get(const GroupVersionResource& gvr, std::string_view name) {
    auto r = client_->get(gvr, "default", name);
    return r.ok() ? *r : Json();
  }

  std::vector<Json> events_about(std::string_view kind, std::string_view name) {
    auto r = client_->list(GroupVersionResource{"", "v1", "events"}, "default");
    std::vector<Json> out;
    if (!r.ok()) return out;
    for (const Json& e : (*r)["items"]) {
      if (e["involvedObject"].value("kind", "") == kind &&
          e["involvedObject"].value("name", "") == name) {
        out.push_back(e);
      }
    }
    return out;
  }

  // Polls `pred` for up to 20 s.
  bool eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  void scale(const GroupVersionResource& gvr, std::string_view name, int replicas) {
    client::PatchOptions o;
    o.subresource = "scale";
    auto r = client_->patch(gvr, "default", name, client::PatchType::kMerge,
                            Json{{"spec", {{"replicas", replicas}}}}.dump(), o);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  void bind(std::string_view pod, std::string_view node) {
    Json binding = {{"apiVersion", "v1"},
                    {"kind", "Binding"},
                    {"metadata", {{"name", pod}}},
                    {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
    auto r = client_->create_subresource(client::kPods, "default", pod, "binding", binding);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  void set_pod_status(std::string_view pod, std::string_view phase, bool ready,
                      Clock::WallTime since) {
    client::PatchOptions o;
    o.subresource = "status";
    Json status = {
        {"status",
         {{"phase", phase},
          {"conditions", Json::array({{{"type", "Ready"},
                                       {"status", ready ? "True" : "False"},
                                       {"lastTransitionTime", format_rfc3339(since)}}})}}}};
    auto r =
        client_->patch(client::kPods, "default", pod, client::PatchType::kMerge, status.dump(), o);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  // A fake clock outlives the controller that reads it (members are destroyed in reverse order).
  FakeClock& fake_clock() {
    fake_clock_ = std::make_unique<FakeClock>(std::chrono::system_clock::now());
    return *fake_clock_;
  }
  std::unique_ptr<FakeClock> fake_clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<SharedInformers> informers_;
  std::unique_ptr<ReplicaSetController> controller_;
};

TEST_F(ReplicaSetControllerTest, ReplicationControllerScales3To5To2) {
  start(replication_controller_kind(), Clock::real());
  Json owner = create(kRCs, rc("web", 3));
  std::string uid = owner["metadata"]["uid"];
  ASSERT_TRUE(eventually([&] { return active_pods("app=web").size() == 3; }));
  for (const Json& p : pods("app=web")) {
    EXPECT_EQ(p["metadata"]["generateName"], "web-");
    ASSERT_EQ(p["metadata"]["ownerReferences"].size(), 1u);
    const Json& ref = p["metadata"]["ownerReferences"][0];
    EXPECT_EQ(ref["apiVersion"], "v1");
    EXPECT_EQ(ref["kind"], "ReplicationController");
    EXPECT_EQ(ref["name"], "web");
    EXPECT_EQ(ref["uid"], uid);
    EXPECT_EQ(ref["controller"], true);
    EXPECT_EQ(ref["blockOwnerDeletion"], true);
  }
  ASSERT_TRUE(eventually([&] { return get(kRCs, "web")["status"].value("replicas", 0) == 3; }));

  scale(kRCs, "web", 5);
  ASSERT_TRUE(eventually([&] { return active_pods("app=web").size() == 5; }));
  scale(kRCs, "web", 2);
  ASSERT_TRUE(eventually([&] { return active_pods("app=web").size() == 2; }));
  ASSERT_TRUE(eventually([&] {
    Json s = get(kRCs, "web");
    return s["status"].value("replicas", 0) == 2 &&
           s["status"].value("fullyLabeledReplicas", 0) == 2 &&
           s["status"].value("observedGeneration", 0) == s["metadata"].value("generation", -1);
  }));
  // Settled: no more pods appear.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(pods("app=web").size(), 2u);
  Json status = get(kRCs, "web")["status"];
  EXPECT_FALSE(status.contains("readyReplicas"));  // omitempty, as the Go client writes it
  EXPECT_FALSE(status.contains("conditions"));
}

TEST_F(ReplicaSetControllerTest, SetBasedSelectorAdoptsOrphansAndReleasesRelabelledPods) {
  create(client::kPods, bare_pod("orphan-1", {{"tier", "web"}, {"env", "prod"}}));
  create(client::kPods, bare_pod("orphan-2", {{"tier", "www"}, {"env", "staging"}}));
  create(client::kPods, bare_pod("dev", {{"tier", "web"}, {"env", "dev"}}));
  start(replica_set_kind(), Clock::real());
  Json owner = create(kRSs, set_based_rs("frontend", 2));
  std::string uid = owner["metadata"]["uid"];
  auto owned_by_rs = [&](const Json& p) {
    const Json& refs = p["metadata"].value("ownerReferences", Json::array());
    return refs.size() == 1 && refs[0]["uid"] == uid && refs[0]["controller"] == true;
  };
  ASSERT_TRUE(eventually([&] {
    return owned_by_rs(get(client::kPods, "orphan-1")) &&
           owned_by_rs(get(client::kPods, "orphan-2"));
  }));
  ASSERT_TRUE(
      eventually([&] { return get(kRSs, "frontend")["status"].value("replicas", 0) == 2; }));
  // Adopted, not created: the pod the selector excludes stays an orphan, nothing new appeared.
  EXPECT_FALSE(get(client::kPods, "dev")["metadata"].contains("ownerReferences"));
  EXPECT_EQ(pods().size(), 3u);
  // orphan-2 does not carry the template's labels.
  EXPECT_EQ(get(kRSs, "frontend")["status"].value("fullyLabeledReplicas", 0), 1);

  // Relabelled out of the selector: released (reference removed) and replaced.
  auto r = client_->patch(client::kPods, "default", "orphan-1", client::PatchType::kMerge,
                          R"({"metadata":{"labels":{"env":"dev"}}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(eventually([&] {
    Json p = get(client::kPods, "orphan-1");
    return p["metadata"].value("ownerReferences", Json::array()).empty();
  }));
  ASSERT_TRUE(eventually([&] {
    int owned = 0;
    for (const Json& p : pods()) owned += owned_by_rs(p) ? 1 : 0;
    return owned == 2 && pods().size() == 4;
  }));
}

TEST_F(ReplicaSetControllerTest, ScaleDownDeletesUnscheduledThenNotReadyPodsFirst) {
  start(replication_controller_kind(), Clock::real());
  create(kRCs, rc("db", 3));
  ASSERT_TRUE(eventually([&] { return active_pods("app=db").size() == 3; }));
  std::vector<Json> three = pods("app=db");
  std::string ready = three[0]["metadata"]["name"];
  std::string not_ready = three[1]["metadata"]["name"];
  std::string unscheduled = three[2]["metadata"]["name"];
  bind(ready, "node-1");
  bind(not_ready, "node-2");
  auto now = std::chrono::system_clock::now();
  set_pod_status(ready, "Running", true, now);
  set_pod_status(not_ready, "Running", false, now);
  ASSERT_TRUE(eventually([&] { return get(kRCs, "db")["status"].value("readyReplicas", 0) == 1; }));

  scale(kRCs, "db", 2);
  ASSERT_TRUE(eventually([&] { return active_pods("app=db").size() == 2; }));
  EXPECT_TRUE(get(client::kPods, unscheduled).is_null());  // no node: deleted at once
  scale(kRCs, "db", 1);
  ASSERT_TRUE(eventually([&] { return active_pods("app=db").size() == 1; }));
  EXPECT_EQ(active_pods("app=db")[0]["metadata"]["name"], ready);
  // The bound pod is deleted gracefully: it waits for its node, no longer counted.
  EXPECT_FALSE(get(client::kPods, not_ready)["metadata"].value("deletionTimestamp", "").empty());
  ASSERT_TRUE(eventually([&] { return get(kRCs, "db")["status"].value("replicas", 0) == 1; }));
}

TEST_F(ReplicaSetControllerTest, ExpectationsPreventOverCreation) {
  FakeClock& clock = fake_clock();
  start(replica_set_kind(), clock, /*workers=*/0);
  create(kRSs, set_based_rs("api", 3));
  ASSERT_TRUE(eventually([&] { return controller_->expectations().satisfied("default/api"); }));
  // The informer must have the ReplicaSet before a sync can act on it.
  ASSERT_TRUE(eventually([&] { return informers_->informer(kRSs).get("default/api") != nullptr; }));

  // Creates in flight that the cache has not seen: a sync must not add more.
  controller_->expectations().expect_creations("default/api", 3);
  ASSERT_TRUE(controller_->reconcile("default/api").ok());
  EXPECT_EQ(pods().size(), 0u);

  // Five minutes later the expectations have expired: the sync acts.
  clock.advance(kExpectationsTimeout + std::chrono::seconds(1));
  ASSERT_TRUE(controller_->reconcile("default/api").ok());
  EXPECT_EQ(pods().size(), 3u);
  // Back to back, before or after the informer reports the new pods: never more than 3.
  ASSERT_TRUE(controller_->reconcile("default/api").ok());
  ASSERT_TRUE(eventually([&] { return controller_->expectations().satisfied("default/api"); }));
  ASSERT_TRUE(eventually([&] { return informers_->informer(client::kPods).size() == 3; }));
  ASSERT_TRUE(controller_->reconcile("default/api").ok());
  EXPECT_EQ(pods().size(), 3u);
}

TEST_F(ReplicaSetControllerTest, AvailableAfterMinReadySecondsOnTheInjectedClock) {
  FakeClock& clock = fake_clock();
  start(replica_set_kind(), clock);
  Json rs = set_based_rs("slow", 1);
  rs["spec"]["minReadySeconds"] = 30;
  create(kRSs, rs);
  ASSERT_TRUE(eventually([&] { return active_pods().size() == 1; }));
  std::string pod = active_pods()[0]["metadata"]["name"];
  bind(pod, "node-1");
  set_pod_status(pod, "Running", true, clock.now());
  ASSERT_TRUE(
      eventually([&] { return get(kRSs, "slow")["status"].value("readyReplicas", 0) == 1; }));
  EXPECT_EQ(get(kRSs, "slow")["status"].value("availableReplicas", 0), 0);
  // The controller re-queued itself for minReadySeconds later; nothing else changes meanwhile.
  clock.advance(std::chrono::seconds(32));
  ASSERT_TRUE(
      eventually([&] { return get(kRSs, "slow")["status"].value("availableReplicas", 0) == 1; }));
}

TEST_F(ReplicaSetControllerTest, FailedCreatesSetReplicaFailure) {
  start(replication_controller_kind(), Clock::real(), /*workers=*/0);
  // A template whose pods the API server rejects (template validation does not check finalizer
  // names; pod validation does): every create fails, and the first batch of one stops the sync.
  Json bad = rc("broken", 4);
  bad["spec"]["template"]["metadata"]["finalizers"] = Json::array({"not a finalizer!"});
  create(kRCs, bad);
  ASSERT_TRUE(
      eventually([&] { return informers_->informer(kRCs).get("default/broken") != nullptr; }));
  auto r = controller_->reconcile("default/broken");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(pods().size(), 0u);
  // The one attempted create failed, the rest were never tried: nothing is expected any more.
  EXPECT_TRUE(controller_->expectations().satisfied("default/broken"));
  Json status = get(kRCs, "broken")["status"];
  ASSERT_EQ(status["conditions"].size(), 1u);
  EXPECT_EQ(status["conditions"][0]["type"], "ReplicaFailure");
  EXPECT_EQ(status["conditions"][0]["status"], "True");
  EXPECT_EQ(status["conditions"][0]["reason"], "FailedCreate");
  EXPECT_EQ(status["conditions"][0]["message"], r.error().message);
  // One FailedCreate event: the batch stopped after its first failure.
  controller_->events().flush();
  auto events = events_about("ReplicationController", "broken");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0]["type"], "Warning");
  EXPECT_EQ(events[0]["reason"], "FailedCreate");
  EXPECT_EQ(events[0]["message"], "Error creating: " + r.error().message);
  EXPECT_EQ(events[0]["source"]["component"], "replication-controller");
}

TEST_F(ReplicaSetControllerTest, EventsNameEveryPodCreatedAndDeleted) {
  start(replica_set_kind(), Clock::real());
  Json rs = create(kRSs, set_based_rs("web", 3));
  ASSERT_TRUE(eventually([&] { return active_pods().size() == 3; }));
  ASSERT_TRUE(eventually([&] { return events_about("ReplicaSet", "web").size() == 3; }));
  std::set<std::string> created;
  for (const Json& p : active_pods())
    created.insert("Created pod: " + p["metadata"]["name"].get<std::string>());
  std::set<std::string> messages;
  for (const Json& e : events_about("ReplicaSet", "web")) {
    EXPECT_EQ(e["type"], "Normal");
    EXPECT_EQ(e["reason"], "SuccessfulCreate");
    EXPECT_EQ(e["source"]["component"], "replicaset-controller");
    EXPECT_EQ(e["involvedObject"]["apiVersion"], "apps/v1");
    EXPECT_EQ(e["involvedObject"]["namespace"], "default");
    EXPECT_EQ(e["involvedObject"]["uid"], rs["metadata"]["uid"]);
    messages.insert(e["message"].get<std::string>());
  }
  EXPECT_EQ(messages, created);

  // A patch, not a read-modify-write: the controller's own status writes would make an update
  // conflict.
  ASSERT_TRUE(
      client_
          ->patch(kRSs, "default", "web", client::PatchType::kMerge, R"({"spec":{"replicas":1}})")
          .ok());
  ASSERT_TRUE(eventually([&] { return active_pods().size() == 1; }));
  std::set<std::string> deleted;
  for (const std::string& m : created) {
    std::string name = m.substr(std::string("Created pod: ").size());
    if (active_pods()[0]["metadata"]["name"] != name) deleted.insert("Deleted pod: " + name);
  }
  ASSERT_TRUE(eventually([&] { return events_about("ReplicaSet", "web").size() == 5; }));
  std::set<std::string> delete_messages;
  for (const Json& e : events_about("ReplicaSet", "web")) {
    if (e["reason"] == "SuccessfulDelete") delete_messages.insert(e["message"].get<std::string>());
  }
  EXPECT_EQ(delete_messages, deleted);
}

}  // namespace
}  // namespace bosun::controller
