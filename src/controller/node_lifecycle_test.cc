// The node lifecycle controller against the in-process API server on a FakeClock: a renewed Lease
// keeps a node Ready; a Lease left alone for the grace period turns its conditions Unknown, taints
// it unreachable (NoSchedule and NoExecute) and marks its pods not ready; the taints go when the
// kubelet is back; a kubelet reporting Ready=False gets the not-ready taints; pods are evicted at
// once, after their tolerationSeconds, after the default 300 s, or never, as they tolerate.
#include "controller/node_lifecycle.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/test_config.h"
#include "common/time_format.h"

namespace bosun::controller {
namespace {

using apiserver::testing::RestTestServer;
using std::chrono::milliseconds;
using std::chrono::seconds;

const client::GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases"};

const Json* condition(const Json& obj, std::string_view type) {
  if (!obj.contains("status") || !obj["status"].contains("conditions")) return nullptr;
  for (const Json& c : obj["status"]["conditions"]) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}

class NodeLifecycleTest : public ::testing::Test {
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
    pump_stop_ = true;
    if (pump_.joinable()) pump_.join();
    controller_.reset();
    informers_.reset();
  }
  void start(NodeLifecycleOptions options = {}) {
    informers_ = std::make_unique<SharedInformers>(*client_);
    controller_ = std::make_unique<NodeLifecycleController>(
        ControllerContext{*client_, *informers_, clock_}, options);
    informers_->start();
    ASSERT_TRUE(informers_->wait_for_sync(seconds(10)));
    controller_->run(2);
    // Retries back off on the fake clock: a millisecond of it per 10 ms of real time.
    pump_ = std::thread([this] {
      while (!pump_stop_) {
        clock_.advance(milliseconds(1));
        std::this_thread::sleep_for(milliseconds(10));
      }
    });
  }
  // A node whose kubelet posted Ready=`ready` just now (and MemoryPressure=False), and its Lease.
  void create_node(std::string_view name, std::string_view ready = "True") {
    auto n = client_->create(
        client::kNodes, "",
        Json{{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", name}}}});
    ASSERT_TRUE(n.ok()) << n.error().message;
    post_status(name, ready);
    auto l = client_->create(kLeases, "kube-node-lease",
                             Json{{"apiVersion", "coordination.k8s.io/v1"},
                                  {"kind", "Lease"},
                                  {"metadata", {{"name", name}}},
                                  {"spec",
                                   {{"holderIdentity", name},
                                    {"leaseDurationSeconds", 40},
                                    {"renewTime", format_rfc3339_micro(clock_.now())}}}});
    ASSERT_TRUE(l.ok()) << l.error().message;
    // Until the controller has seen both signs of life: one seen only after the test moves the
    // clock on would count as fresh then, and the node would not go stale when the test expects.
    auto written = client_->get(client::kNodes, "", name);
    ASSERT_TRUE(written.ok()) << written.error().message;
    const Json* condition = nullptr;
    for (const Json& c : (*written)["status"]["conditions"]) {
      if (c["type"] == "Ready") condition = &c;
    }
    ASSERT_NE(condition, nullptr);
    const std::string heartbeat = (*condition)["lastHeartbeatTime"].get<std::string>();
    const std::string renewed = (*l)["spec"]["renewTime"].get<std::string>();
    ASSERT_TRUE(eventually([&] {
      auto seen = controller_->seen(name);
      return seen && seen->lease_renew_time == renewed && seen->ready_heartbeat == heartbeat;
    }));
  }
  // What the kubelet's status loop writes.
  void post_status(std::string_view name, std::string_view ready) {
    auto n = client_->get(client::kNodes, "", name);
    ASSERT_TRUE(n.ok());
    Json node = *n;
    std::string now = format_rfc3339(clock_.now());
    node["status"]["conditions"] =
        Json::array({{{"type", "MemoryPressure"},
                      {"status", "False"},
                      {"reason", "KubeletHasSufficientMemory"},
                      {"lastHeartbeatTime", now},
                      {"lastTransitionTime", now}},
                     {{"type", "Ready"},
                      {"status", ready},
                      {"reason", ready == "True" ? "KubeletReady" : "KubeletNotReady"},
                      {"lastHeartbeatTime", now},
                      {"lastTransitionTime", now}}});
    auto u = client_->update_status(client::kNodes, "", node);
    ASSERT_TRUE(u.ok()) << u.error().message;
  }
  // Renews the Lease and waits until the controller has seen it.
  void renew_lease(std::string_view name) {
    auto l = client_->get(kLeases, "kube-node-lease", name);
    ASSERT_TRUE(l.ok());
    Json lease = *l;
    Clock::WallTime at = clock_.now();
    lease["spec"]["renewTime"] = format_rfc3339_micro(at);
    ASSERT_TRUE(client_->update(kLeases, "kube-node-lease", lease).ok());
    ASSERT_TRUE(eventually([&] {
      auto probe = controller_->probe_time(name);
      return probe && *probe >= at;
    }));
  }
  void create_pod(std::string_view name, std::string_view node, Json tolerations = nullptr) {
    Json pod{{"apiVersion", "v1"},
             {"kind", "Pod"},
             {"metadata", {{"name", name}}},
             {"spec",
              {{"nodeName", node},
               {"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
    if (!tolerations.is_null()) pod["spec"]["tolerations"] = tolerations;
    auto p = client_->create(client::kPods, "default", pod);
    ASSERT_TRUE(p.ok()) << p.error().message;
    Json created = *p;
    created["status"] = {{"phase", "Running"},
                         {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}};
    ASSERT_TRUE(client_->update_status(client::kPods, "default", created).ok());
  }
  Json node(std::string_view name) {
    auto n = client_->get(client::kNodes, "", name);
    return n.ok() ? *n : Json::object();
  }
  // Whether the pod is gone or being deleted.
  bool evicted(std::string_view name) {
    auto p = client_->get(client::kPods, "default", name);
    if (!p.ok()) return p.error().code == ErrorCode::kNotFound;
    return (*p)["metadata"].contains("deletionTimestamp");
  }
  std::vector<std::string> taints(std::string_view name) {
    std::vector<std::string> out;
    Json n = node(name);
    if (n.contains("spec") && n["spec"].contains("taints")) {
      for (const Json& t : n["spec"]["taints"]) {
        out.push_back(t.value("key", "") + ":" + t.value("effect", ""));
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  template <typename F>
  bool eventually(F condition) {
    for (int i = 0; i < 2000; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return condition();
  }
  void advance(Clock::Duration d) { clock_.advance(d); }
  // Moves the clock on by `d` in steps of 15 s, renewing the Lease of node `alive` after each, so
  // that it stays Ready: a cluster whose every node is lost gets no NoExecute taints at all.
  // (41 s is 15 + 15 + 11: the other nodes, created milliseconds apart, expire in the same step.)
  void advance_keeping(Clock::Duration d, std::string_view alive = "n0") {
    while (d > Clock::Duration::zero()) {
      Clock::Duration step = std::min<Clock::Duration>(d, seconds(15));
      clock_.advance(step);
      d -= step;
      renew_lease(alive);
    }
  }
  // The events about one object as `kubectl describe` lists them: "component type reason:
  // message", in the order written.
  std::vector<std::string> events_about(std::string_view ns, std::string_view kind,
                                        std::string_view name) {
    auto list = client_->list(client::GroupVersionResource{"", "v1", "events"}, ns);
    std::vector<std::pair<std::string, std::string>> found;
    if (!list.ok()) return {};
    for (const Json& e : (*list)["items"]) {
      if (e["involvedObject"].value("kind", "") != kind ||
          e["involvedObject"].value("name", "") != name) {
        continue;
      }
      found.emplace_back(e["metadata"]["name"].get<std::string>(),
                         e["source"].value("component", "") + " " + e.value("type", "") + " " +
                             e.value("reason", "") + ": " + e.value("message", ""));
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (auto& [n, line] : found) out.push_back(std::move(line));
    return out;
  }
  bool has_event(std::string_view ns, std::string_view kind, std::string_view name,
                 const std::string& line) {
    return eventually([&] {
      auto events = events_about(ns, kind, name);
      return std::find(events.begin(), events.end(), line) != events.end();
    });
  }

  FakeClock clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<SharedInformers> informers_;
  std::unique_ptr<NodeLifecycleController> controller_;
  std::atomic<bool> pump_stop_{false};
  std::thread pump_;
};

const std::vector<std::string> kUnreachable = {"node.kubernetes.io/unreachable:NoExecute",
                                               "node.kubernetes.io/unreachable:NoSchedule"};

TEST_F(NodeLifecycleTest, RenewedLeaseKeepsTheNodeReady) {
  start();
  create_node("n1");
  advance(seconds(30));
  renew_lease("n1");
  advance(seconds(30));  // 60 s since the node posted status, 30 since the Lease was renewed
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ((*condition(node("n1"), "Ready"))["status"], "True");
  EXPECT_TRUE(taints("n1").empty());
}

TEST_F(NodeLifecycleTest, SilentNodeBecomesUnknownTaintedAndItsPodsNotReady) {
  start();
  create_node("n0");  // stays Ready: the cluster is not wholly down
  create_node("n1");
  create_pod("p1", "n1");
  advance_keeping(seconds(41));
  ASSERT_TRUE(eventually([&] { return taints("n1") == kUnreachable; })) << node("n1").dump();
  Json n = node("n1");
  const Json* ready = condition(n, "Ready");
  EXPECT_EQ((*ready)["status"], "Unknown");
  EXPECT_EQ((*ready)["reason"], "NodeStatusUnknown");
  EXPECT_EQ((*ready)["message"], "Kubelet stopped posting node status.");
  EXPECT_EQ((*condition(n, "MemoryPressure"))["status"], "Unknown");
  const Json* disk = condition(n, "DiskPressure");  // never posted
  ASSERT_NE(disk, nullptr);
  EXPECT_EQ((*disk)["reason"], "NodeStatusNeverUpdated");
  EXPECT_EQ((*disk)["message"], "Kubelet never posted node status.");
  // Only NoExecute taints carry timeAdded.
  for (const Json& t : n["spec"]["taints"]) {
    EXPECT_EQ(t.contains("timeAdded"), t["effect"] == "NoExecute") << t.dump();
  }

  ASSERT_TRUE(eventually([&] {
    auto p = client_->get(client::kPods, "default", "p1");
    return p.ok() && (*condition(*p, "Ready"))["status"] == "False";
  }));
  EXPECT_FALSE(evicted("p1"));  // the default 300 s toleration still holds

  // The events kubectl describe shows: on the node (in "default"), and on its pod.
  EXPECT_TRUE(has_event("default", "Node", "n1",
                        "node-controller Normal RegisteredNode: Node n1 event: Registered Node n1 "
                        "in Controller"))
      << ::testing::PrintToString(events_about("default", "Node", "n1"));
  EXPECT_TRUE(has_event("default", "Node", "n1",
                        "node-controller Normal NodeNotReady: Node n1 status is now: NodeNotReady"))
      << ::testing::PrintToString(events_about("default", "Node", "n1"));
  EXPECT_TRUE(
      has_event("default", "Pod", "p1", "node-controller Warning NodeNotReady: Node is not ready"))
      << ::testing::PrintToString(events_about("default", "Pod", "p1"));

  // The kubelet comes back: the taints go.
  renew_lease("n1");
  post_status("n1", "True");
  ASSERT_TRUE(eventually([&] { return taints("n1").empty(); })) << node("n1").dump();
  EXPECT_EQ((*condition(node("n1"), "Ready"))["status"], "True");
}

TEST_F(NodeLifecycleTest, NotReadyNodeGetsNotReadyTaints) {
  start();
  create_node("n0");  // stays Ready: the cluster is not wholly down
  create_node("n1", "False");
  std::vector<std::string> want = {"node.kubernetes.io/not-ready:NoExecute",
                                   "node.kubernetes.io/not-ready:NoSchedule"};
  ASSERT_TRUE(eventually([&] { return taints("n1") == want; })) << node("n1").dump();
  post_status("n1", "True");
  ASSERT_TRUE(eventually([&] { return taints("n1").empty(); })) << node("n1").dump();
  // A kubelet reporting Ready=False records its own event; the controller records none.
  for (const std::string& e : events_about("default", "Node", "n1")) {
    EXPECT_EQ(e.find("NodeNotReady"), std::string::npos) << e;
  }
}

TEST_F(NodeLifecycleTest, DeletedNodeIsRemovedFromTheController) {
  start();
  create_node("n1");
  ASSERT_TRUE(has_event("default", "Node", "n1",
                        "node-controller Normal RegisteredNode: Node n1 event: Registered Node n1 "
                        "in Controller"));
  ASSERT_TRUE(client_->remove(client::kNodes, "", "n1").ok());
  EXPECT_TRUE(has_event("default", "Node", "n1",
                        "node-controller Normal RemovingNode: Node n1 event: Removing Node n1 "
                        "from Controller"))
      << ::testing::PrintToString(events_about("default", "Node", "n1"));
}

TEST_F(NodeLifecycleTest, CordonedNodeGetsTheUnschedulableTaint) {
  start();
  create_node("n1");
  Json n = node("n1");
  n["spec"]["unschedulable"] = true;
  ASSERT_TRUE(client_->update(client::kNodes, "", n).ok());
  std::vector<std::string> want = {"node.kubernetes.io/unschedulable:NoSchedule"};
  ASSERT_TRUE(eventually([&] { return taints("n1") == want; })) << node("n1").dump();
}

TEST_F(NodeLifecycleTest, NoExecuteEvictionFollowsTolerations) {
  NodeLifecycleOptions options;
  options.default_toleration = std::nullopt;
  start(options);
  create_node("n0");  // stays Ready: the cluster is not wholly down
  create_node("n1");
  // The API server gives every pod without its own the 300 s DefaultTolerationSeconds
  // tolerations: tolerationSeconds 0 is "evict at once".
  create_pod("plain", "n1",
             Json::array({{{"key", "node.kubernetes.io/unreachable"},
                           {"operator", "Exists"},
                           {"effect", "NoExecute"},
                           {"tolerationSeconds", 0}}}));
  create_pod("sixty", "n1",
             Json::array({{{"key", "node.kubernetes.io/unreachable"},
                           {"operator", "Exists"},
                           {"effect", "NoExecute"},
                           {"tolerationSeconds", 60}}}));
  create_pod("forever", "n1", Json::array({{{"operator", "Exists"}}}));
  advance_keeping(seconds(41));
  ASSERT_TRUE(eventually([&] { return evicted("plain"); }));
  auto plain = client_->get(client::kPods, "default", "plain");
  if (plain.ok()) {
    const Json* target = condition(*plain, "DisruptionTarget");
    ASSERT_NE(target, nullptr);
    EXPECT_EQ((*target)["reason"], "DeletionByTaintManager");
    EXPECT_EQ((*target)["message"], "Taint manager: deleting due to NoExecute taint");
  }
  EXPECT_TRUE(has_event("default", "Pod", "plain",
                        "taint-eviction-controller Normal TaintManagerEviction: Marking for "
                        "deletion Pod default/plain"))
      << ::testing::PrintToString(events_about("default", "Pod", "plain"));
  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_FALSE(evicted("sixty"));
  advance_keeping(seconds(61));
  ASSERT_TRUE(eventually([&] { return evicted("sixty"); }));
  advance_keeping(seconds(600));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(evicted("forever"));
}

TEST_F(NodeLifecycleTest, PodsWithoutTolerationsGetTheDefault300Seconds) {
  start();
  create_node("n0");  // stays Ready: the cluster is not wholly down
  create_node("n1");
  create_pod("plain", "n1");
  advance_keeping(seconds(41));
  ASSERT_TRUE(eventually([&] { return taints("n1") == kUnreachable; }));
  advance_keeping(seconds(250));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(evicted("plain"));
  advance_keeping(seconds(60));
  ASSERT_TRUE(eventually([&] { return evicted("plain"); }));
}

// Every node lost at once is taken for the controller's own connectivity failing (master
// disruption mode): the nodes get their NoSchedule taints and their pods are marked not ready,
// but no NoExecute taint is added and nothing is evicted, even with tolerationSeconds 0.
TEST_F(NodeLifecycleTest, AClusterWhollyDownGetsNoNoExecuteTaints) {
  start();
  create_node("n1");
  create_pod("p1", "n1",
             Json::array({{{"key", "node.kubernetes.io/unreachable"},
                           {"operator", "Exists"},
                           {"effect", "NoExecute"},
                           {"tolerationSeconds", 0}}}));
  advance(seconds(41));
  const std::vector<std::string> no_schedule = {"node.kubernetes.io/unreachable:NoSchedule"};
  ASSERT_TRUE(eventually([&] { return taints("n1") == no_schedule; })) << node("n1").dump();
  EXPECT_TRUE(controller_->master_disruption());
  ASSERT_TRUE(eventually([&] {
    auto p = client_->get(client::kPods, "default", "p1");
    return p.ok() && (*condition(*p, "Ready"))["status"] == "False";
  }));
  advance(seconds(600));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_FALSE(evicted("p1"));
  EXPECT_EQ(taints("n1"), no_schedule);

  // The kubelet comes back: out of the mode, no taints.
  renew_lease("n1");
  post_status("n1", "True");
  ASSERT_TRUE(eventually([&] { return taints("n1").empty(); })) << node("n1").dump();
  ASSERT_TRUE(eventually([&] { return !controller_->master_disruption(); }));
}

// A zone's nodes get their NoExecute taints at --node-eviction-rate (0.1 per second: one, then
// another 10 s later); in a small zone mostly down (3 of 4 here) none at all.
TEST_F(NodeLifecycleTest, NoExecuteTaintsFollowTheZoneRate) {
  start();
  create_node("n0");
  create_node("n1");
  create_node("n2");
  advance_keeping(seconds(41));
  auto no_execute = [&](std::string_view n) {
    auto t = taints(n);
    return std::find(t.begin(), t.end(), "node.kubernetes.io/unreachable:NoExecute") != t.end();
  };
  ASSERT_TRUE(eventually([&] {
    return (no_execute("n1") || no_execute("n2")) && taints("n1").size() + taints("n2").size() >= 3;
  }));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_NE(no_execute("n1"), no_execute("n2")) << "one node per 10 s";
  advance_keeping(seconds(10));
  ASSERT_TRUE(eventually([&] { return no_execute("n1") && no_execute("n2"); }));
}

TEST_F(NodeLifecycleTest, ASmallZoneMostlyDownGetsNoNoExecuteTaints) {
  start();
  for (const char* n : {"n0", "n1", "n2", "n3"}) create_node(n);
  advance_keeping(seconds(41));
  const std::vector<std::string> no_schedule = {"node.kubernetes.io/unreachable:NoSchedule"};
  ASSERT_TRUE(eventually([&] {
    return taints("n1") == no_schedule && taints("n2") == no_schedule &&
           taints("n3") == no_schedule;
  })) << ::testing::PrintToString(taints("n1"))
      << ::testing::PrintToString(taints("n2")) << ::testing::PrintToString(taints("n3"));
  advance_keeping(seconds(60));
  std::this_thread::sleep_for(milliseconds(300));
  for (const char* n : {"n1", "n2", "n3"}) EXPECT_EQ(taints(n), no_schedule) << n;
  EXPECT_FALSE(controller_->master_disruption());
}

}  // namespace
}  // namespace bosun::controller
