// The Scheduler against the in-process API server: Nodes created directly through the API (no
// agent), pods created as a user would, and what kubectl shows afterwards: spec.nodeName, the
// PodScheduled condition, the Scheduled and FailedScheduling events.
#include "scheduler/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/rest_client.h"
#include "client/test_config.h"
#include "scheduler/scheduler_api.h"

namespace bosun::scheduler {
namespace {

using apiserver::testing::RestTestServer;
using namespace std::chrono_literals;

const client::GroupVersionResource kCoreEvents{"", "v1", "events"};

Json node_object(const std::string& name, const std::string& cpu, const std::string& memory = "8Gi",
                 const Json& labels = Json::object()) {
  Json l = labels;
  l["kubernetes.io/hostname"] = name;
  Json resources = {{"cpu", cpu}, {"memory", memory}, {"pods", "110"}};
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", l}}},
          {"spec", Json::object()},
          {"status",
           {{"capacity", resources},
            {"allocatable", resources},
            {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
}

Json pod_object(const std::string& name, const std::string& cpu = "") {
  Json container = {{"name", "c"}, {"image", "busybox"}};
  if (!cpu.empty()) container["resources"] = {{"requests", {{"cpu", cpu}}}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec", {{"containers", Json::array({container})}}}};
}

Json condition_of(const Json& pod, std::string_view type) {
  for (const Json& c : pod["status"].value("conditions", Json::array())) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  void TearDown() override {
    for (auto& s : schedulers_) s->stop();
  }

  Scheduler& start_scheduler(SchedulerOptions options = {}) {
    options.clock = &clock_;
    options.flush_interval = 10ms;
    options.framework.seed = 7;
    auto s = Scheduler::create(client::testing::admin_config(*server_, "bosun/scheduler-test"),
                               std::move(options));
    EXPECT_TRUE(s.ok()) << s.error().message;
    schedulers_.push_back(std::move(s).value());
    schedulers_.back()->start();
    EXPECT_TRUE(schedulers_.back()->wait_for_sync(10s));
    return *schedulers_.back();
  }

  void create_node(const Json& node) {
    auto r = client_->create(client::kNodes, "", node);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  void create_pod(const Json& pod) {
    auto r = client_->create(client::kPods, "default", pod);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  Json get_pod(const std::string& name) {
    auto r = client_->get(client::kPods, "default", name);
    return r.ok() ? *r : Json();
  }

  // Waits (real time, moving the fake clock past any back-off) until `done` holds.
  template <typename Pred>
  bool eventually(Pred done, std::chrono::milliseconds timeout = 10s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (done()) return true;
      clock_.advance(1s);
      std::this_thread::sleep_for(20ms);
    }
    return done();
  }
  std::string node_of(const std::string& pod) {
    std::string node;
    eventually([&] {
      node = get_pod(pod)["spec"].value("nodeName", "");
      return !node.empty();
    });
    return node;
  }
  // The message of the pod's PodScheduled=False condition once it has one.
  std::string unschedulable_message(const std::string& pod) {
    Json cond;
    eventually([&] {
      cond = condition_of(get_pod(pod), "PodScheduled");
      return cond.is_object() && cond["status"] == "False";
    });
    if (!cond.is_object()) return "<no PodScheduled condition>";
    EXPECT_EQ(cond["reason"], "Unschedulable");
    return cond.value("message", "");
  }
  // Events about the pod as `kubectl describe pod` lists them (core/v1, by involvedObject).
  std::vector<Json> events_of(const std::string& pod) {
    client::ListOptions o;
    o.field_selector = "involvedObject.name=" + pod;
    auto r = client_->list(kCoreEvents, "default", o);
    std::vector<Json> out;
    if (r.ok()) {
      for (const Json& e : (*r)["items"]) out.push_back(e);
    }
    return out;
  }
  Json event_with_reason(const std::string& pod, const std::string& reason) {
    Json found;
    eventually([&] {
      for (const Json& e : events_of(pod)) {
        if (e.value("reason", "") == reason) found = e;
      }
      return found.is_object();
    });
    return found;
  }

  FakeClock clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::vector<std::unique_ptr<Scheduler>> schedulers_;
};

TEST_F(SchedulerTest, PodsLandWhereTheyFitAndTheRestWaitWithKubernetesMessage) {
  create_node(node_object("small", "1"));
  create_node(node_object("big", "4"));
  Scheduler& s = start_scheduler();
  create_pod(pod_object("two-cpu", "2"));
  EXPECT_EQ(node_of("two-cpu"), "big");
  create_pod(pod_object("one-and-a-half", "1500m"));
  EXPECT_EQ(node_of("one-and-a-half"), "big");

  Json scheduled = event_with_reason("two-cpu", "Scheduled");
  ASSERT_TRUE(scheduled.is_object());
  EXPECT_EQ(scheduled["message"], "Successfully assigned default/two-cpu to big");
  EXPECT_EQ(scheduled["type"], "Normal");
  EXPECT_EQ(scheduled["reportingComponent"], "default-scheduler");
  EXPECT_EQ(scheduled["involvedObject"]["kind"], "Pod");
  EXPECT_EQ(condition_of(get_pod("two-cpu"), "PodScheduled")["status"], "True");

  // 1 cpu is left on neither node: small has 1 but the pod asks for 1200m.
  create_pod(pod_object("too-big", "1200m"));
  EXPECT_EQ(unschedulable_message("too-big"), "0/2 nodes are available: 2 Insufficient cpu.");
  Json failed = event_with_reason("too-big", "FailedScheduling");
  ASSERT_TRUE(failed.is_object());
  EXPECT_EQ(failed["type"], "Warning");
  EXPECT_EQ(failed["message"], "0/2 nodes are available: 2 Insufficient cpu.");
  EXPECT_EQ(failed["reportingComponent"], "default-scheduler");
  EXPECT_TRUE(get_pod("too-big")["spec"].value("nodeName", "").empty());
  EXPECT_GE(s.stats().unschedulable, 1u);

  // Freeing room on big lets the pending pod schedule (AssignedPodDelete moves it back). With no
  // kubelet to finish a graceful deletion, the pod is removed at once (grace period 0), as the
  // kubelet would once its containers stopped; until then it keeps its resources.
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(client_->remove(client::kPods, "default", "two-cpu", now).ok());
  EXPECT_EQ(node_of("too-big"), "big");
  EXPECT_EQ(condition_of(get_pod("too-big"), "PodScheduled")["status"], "True");
}

TEST_F(SchedulerTest, ARepeatedFailureIsOneEventWithASeries) {
  create_node(node_object("n1", "1"));
  start_scheduler();
  create_pod(pod_object("greedy", "2"));
  EXPECT_EQ(unschedulable_message("greedy"), "0/1 nodes are available: 1 Insufficient cpu.");
  ASSERT_TRUE(event_with_reason("greedy", "FailedScheduling").is_object());
  // A label change is a NodeUpdate: the pod is tried again and fails the same way.
  ASSERT_TRUE(client_
                  ->patch(client::kNodes, "", "n1", client::PatchType::kMerge,
                          R"({"metadata":{"labels":{"tier":"gold"}}})")
                  .ok());
  Json counted;
  EXPECT_TRUE(eventually([&] {
    auto events = events_of("greedy");
    if (events.size() != 1) return false;
    counted = events[0];
    // kubectl describe prints "(x2 over ...)" from series.count.
    return counted["series"].is_object() && counted["series"].value("count", 0) == 2;
  })) << counted.dump();
  EXPECT_EQ(counted["reason"], "FailedScheduling");
  EXPECT_EQ(counted["message"], "0/1 nodes are available: 1 Insufficient cpu.");
}

TEST_F(SchedulerTest, AFinishedPodFreesItsNode) {
  create_node(node_object("n1", "1"));
  start_scheduler();
  create_pod(pod_object("job", "1"));
  EXPECT_EQ(node_of("job"), "n1");
  create_pod(pod_object("next", "1"));
  EXPECT_EQ(unschedulable_message("next"), "0/1 nodes are available: 1 Insufficient cpu.");
  // Succeeded pods hold no resources: the scheduler's handlers leave them out (kube-scheduler's
  // status.phase!=Succeeded,status.phase!=Failed), so the pod leaving that subset is a delete.
  Json job = get_pod("job");
  job["status"]["phase"] = "Succeeded";
  auto r = client_->update_status(client::kPods, "default", job);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(node_of("next"), "n1");
}

TEST_F(SchedulerTest, OnInformersSharedWithTheControllersAFinishedPodFreesItsNode) {
  // `bosun server`: the controllers' informers are the scheduler's, and they see every pod.
  client::SharedInformerFactory informers(*client_);
  std::atomic<int> controller_adds{0};
  client::EventHandler controller;
  controller.on_add = [&](const client::ObjectPtr&) { ++controller_adds; };
  informers.informer(client::kPods).add_event_handler(std::move(controller));
  create_node(node_object("n1", "1"));
  SchedulerOptions options;
  options.informers = &informers;
  Scheduler& s = start_scheduler(options);
  create_pod(pod_object("job", "1"));
  EXPECT_EQ(node_of("job"), "n1");
  create_pod(pod_object("next", "1"));
  EXPECT_EQ(unschedulable_message("next"), "0/1 nodes are available: 1 Insufficient cpu.");
  Json job = get_pod("job");
  job["status"]["phase"] = "Failed";
  auto r = client_->update_status(client::kPods, "default", job);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(node_of("next"), "n1");
  EXPECT_EQ(controller_adds.load(), 2);
  EXPECT_EQ(informers.informer(client::kPods).list_count(), 1);
  // The owner stops the shared informers before the components whose handlers they call.
  informers.stop();
  s.stop();
}

TEST_F(SchedulerTest, AnEmptyClusterSaysSo) {
  start_scheduler();
  create_pod(pod_object("lonely"));
  EXPECT_EQ(unschedulable_message("lonely"), "no nodes available to schedule pods");
  // A node joining (NodeAdd) lets it schedule.
  create_node(node_object("late", "2"));
  EXPECT_EQ(node_of("lonely"), "late");
}

TEST_F(SchedulerTest, NodeSelectorTaintsAndCordonAreHonoured) {
  create_node(node_object("ssd", "2", "8Gi", {{"disk", "ssd"}}));
  Json tainted = node_object("gpu", "2", "8Gi", {{"accel", "gpu"}});
  tainted["spec"]["taints"] =
      Json::parse(R"([{"key":"dedicated","value":"ml","effect":"NoSchedule"}])");
  create_node(tainted);
  Json cordoned = node_object("cordoned", "2");
  cordoned["spec"]["unschedulable"] = true;
  create_node(cordoned);
  start_scheduler();

  Json on_ssd = pod_object("wants-ssd");
  on_ssd["spec"]["nodeSelector"] = {{"disk", "ssd"}};
  create_pod(on_ssd);
  EXPECT_EQ(node_of("wants-ssd"), "ssd");

  Json untolerating = pod_object("wants-gpu");
  untolerating["spec"]["nodeSelector"] = {{"accel", "gpu"}};
  create_pod(untolerating);
  EXPECT_EQ(unschedulable_message("wants-gpu"),
            "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 "
            "node(s) had untolerated taint {dedicated: ml}, 1 node(s) were unschedulable.");

  Json tolerating = pod_object("tolerates-gpu");
  tolerating["spec"]["nodeSelector"] = {{"accel", "gpu"}};
  tolerating["spec"]["tolerations"] =
      Json::parse(R"([{"key":"dedicated","operator":"Equal","value":"ml","effect":"NoSchedule"}])");
  create_pod(tolerating);
  EXPECT_EQ(node_of("tolerates-gpu"), "gpu");

  // Pinned to the cordoned node: pending until `kubectl uncordon` (a NodeUpdate).
  Json pinned = pod_object("pinned");
  pinned["spec"]["nodeSelector"] = {{"kubernetes.io/hostname", "cordoned"}};
  create_pod(pinned);
  EXPECT_EQ(unschedulable_message("pinned"),
            "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 "
            "node(s) had untolerated taint {dedicated: ml}, 1 node(s) were unschedulable.");
  ASSERT_TRUE(client_
                  ->patch(client::kNodes, "", "cordoned", client::PatchType::kStrategicMerge,
                          R"({"spec":{"unschedulable":null}})")
                  .ok());
  EXPECT_EQ(node_of("pinned"), "cordoned");
}

TEST_F(SchedulerTest, RequiredAntiAffinitySpreadsReplicasOverNodes) {
  for (const char* n : {"n1", "n2", "n3"}) create_node(node_object(n, "4"));
  start_scheduler();
  auto replica = [](const std::string& name) {
    Json p = pod_object(name, "100m");
    p["metadata"]["labels"] = {{"app", "web"}};
    p["spec"]["affinity"] = Json::parse(R"({"podAntiAffinity":{
        "requiredDuringSchedulingIgnoredDuringExecution":[{
          "labelSelector":{"matchLabels":{"app":"web"}},
          "topologyKey":"kubernetes.io/hostname"}]}})");
    return p;
  };
  std::set<std::string> used;
  for (const char* name : {"web-1", "web-2", "web-3"}) {
    create_pod(replica(name));
    used.insert(node_of(name));
  }
  EXPECT_EQ(used, (std::set<std::string>{"n1", "n2", "n3"}));
  create_pod(replica("web-4"));
  EXPECT_EQ(unschedulable_message("web-4"),
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules.");
}

TEST_F(SchedulerTest, PodsOfOtherSchedulersAreLeftAlone) {
  create_node(node_object("n1", "4"));
  start_scheduler();
  SchedulerOptions custom;
  custom.scheduler_name = "my-scheduler";
  Scheduler& mine = start_scheduler(custom);
  Json other = pod_object("for-mine");
  other["spec"]["schedulerName"] = "my-scheduler";
  create_pod(other);
  EXPECT_EQ(node_of("for-mine"), "n1");
  EXPECT_TRUE(eventually([&] { return mine.stats().bound == 1; }));
  Json scheduled = event_with_reason("for-mine", "Scheduled");
  EXPECT_EQ(scheduled["reportingComponent"], "my-scheduler");

  Json nobody = pod_object("for-nobody");
  nobody["spec"]["schedulerName"] = "absent-scheduler";
  create_pod(nobody);
  create_pod(pod_object("for-default"));
  EXPECT_EQ(node_of("for-default"), "n1");
  EXPECT_TRUE(get_pod("for-nobody")["spec"].value("nodeName", "").empty());
  EXPECT_TRUE(condition_of(get_pod("for-nobody"), "PodScheduled").is_null());
}

TEST_F(SchedulerTest, WithLeaderElectionOneSchedulerBindsAndTheOtherTakesOver) {
  create_node(node_object("n1", "8"));
  SchedulerOptions o;
  o.leader_elect = true;
  o.leader_election.lease_duration = 3s;
  o.leader_election.renew_deadline = 2s;
  o.leader_election.retry_period = 100ms;
  Scheduler& a = start_scheduler(o);
  Scheduler& b = start_scheduler(o);
  ASSERT_TRUE(eventually([&] { return a.is_leader() || b.is_leader(); }));
  Scheduler& leader = a.is_leader() ? a : b;
  Scheduler& follower = a.is_leader() ? b : a;
  EXPECT_FALSE(follower.is_leader());
  auto lease = client_->get(client::kLeases, "kube-system", "kube-scheduler");
  ASSERT_TRUE(lease.ok()) << lease.error().message;

  for (int i = 0; i < 5; ++i) create_pod(pod_object("p" + std::to_string(i), "100m"));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(node_of("p" + std::to_string(i)), "n1");
  EXPECT_TRUE(eventually([&] { return leader.stats().bound == 5; }));
  EXPECT_EQ(follower.stats().bound, 0u);
  EXPECT_EQ(follower.stats().attempts, 0u);

  // The leader stops and releases the Lease: the other takes over and schedules.
  leader.stop();
  ASSERT_TRUE(eventually([&] { return follower.is_leader(); }));
  create_pod(pod_object("after", "100m"));
  EXPECT_EQ(node_of("after"), "n1");
  // The counter moves after the binding's response, which may come after the pod shows bound.
  EXPECT_TRUE(eventually([&] { return follower.stats().bound == 1; }));
}

TEST(SchedulerApi, ConditionPatchKeepsTransitionTimeAndSkipsNoChange) {
  Json pod = {{"status",
               {{"conditions", Json::array({{{"type", "PodScheduled"},
                                             {"status", "False"},
                                             {"reason", "Unschedulable"},
                                             {"message", "old"},
                                             {"lastTransitionTime", "2024-01-01T00:00:00Z"}}})}}}};
  Json cond = {{"type", "PodScheduled"},    {"status", "False"},
               {"reason", "Unschedulable"}, {"message", "new"},
               {"lastProbeTime", nullptr},  {"lastTransitionTime", "2024-02-02T00:00:00Z"}};
  auto patch = pod_condition_patch(pod, cond);
  ASSERT_TRUE(patch);
  Json p = Json::parse(*patch);
  EXPECT_EQ(p["status"]["conditions"][0]["lastTransitionTime"], "2024-01-01T00:00:00Z");
  EXPECT_EQ(p["status"]["conditions"][0]["message"], "new");
  cond["message"] = "old";
  EXPECT_FALSE(pod_condition_patch(pod, cond));
}

TEST(SchedulerApi, LongMessagesAreTruncatedAsKubernetesDoes) {
  std::string m(2000, 'x');
  std::string t = truncate_message(m);
  EXPECT_EQ(t.size(), 1024u);
  EXPECT_TRUE(t.ends_with("x ..."));
  EXPECT_EQ(truncate_message("short"), "short");
}

}  // namespace
}  // namespace bosun::scheduler
