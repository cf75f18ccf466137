// The pod garbage collector against the in-process API server on a FakeClock: terminated pods
// over the threshold go oldest first (evicted ones before all others), pods of a deleted node go
// after the quarantine and not before, pods of live nodes stay, and terminating pods on an
// out-of-service node are force-deleted.
#include "controller/pod_gc.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/test_config.h"

namespace bosun::controller {
namespace {

using apiserver::testing::RestTestServer;
using std::chrono::milliseconds;
using std::chrono::seconds;

class PodGCTest : public ::testing::Test {
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
  void start(PodGCOptions options) {
    informers_ = std::make_unique<SharedInformers>(*client_);
    controller_ = std::make_unique<PodGCController>(
        ControllerContext{*client_, *informers_, clock_}, options);
    informers_->start();
    ASSERT_TRUE(informers_->wait_for_sync(seconds(10)));
    controller_->run(1);
    pump_ = std::thread([this] {
      while (!pump_stop_) {
        clock_.advance(milliseconds(1));
        std::this_thread::sleep_for(milliseconds(10));
      }
    });
  }
  void create_node(std::string_view name, Json spec = Json::object(),
                   std::string_view ready = "True") {
    auto n = client_->create(client::kNodes, "",
                             Json{{"apiVersion", "v1"},
                                  {"kind", "Node"},
                                  {"metadata", {{"name", name}}},
                                  {"spec", spec}});
    ASSERT_TRUE(n.ok()) << n.error().message;
    Json node = *n;
    node["status"]["conditions"] = Json::array({{{"type", "Ready"}, {"status", ready}}});
    ASSERT_TRUE(client_->update_status(client::kNodes, "", node).ok());
  }
  // A pod on `node` in `phase` (with status.reason when given).
  void create_pod(std::string_view name, std::string_view node, std::string_view phase,
                  std::string_view reason = "") {
    Json pod{{"apiVersion", "v1"},
             {"kind", "Pod"},
             {"metadata", {{"name", name}}},
             {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
    if (!node.empty()) pod["spec"]["nodeName"] = node;
    auto p = client_->create(client::kPods, "default", pod);
    ASSERT_TRUE(p.ok()) << p.error().message;
    Json created = *p;
    created["status"]["phase"] = phase;
    if (!reason.empty()) created["status"]["reason"] = reason;
    auto u = client_->update_status(client::kPods, "default", created);
    ASSERT_TRUE(u.ok()) << u.error().message;
  }
  std::vector<std::string> pod_names() {
    std::vector<std::string> out;
    auto l = client_->list(client::kPods, "default");
    if (l.ok()) {
      for (const Json& p : (*l)["items"]) out.push_back(p["metadata"]["name"]);
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

  FakeClock clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<SharedInformers> informers_;
  std::unique_ptr<PodGCController> controller_;
  std::atomic<bool> pump_stop_{false};
  std::thread pump_;
};

TEST_F(PodGCTest, TerminatedPodsOverTheThresholdGoEvictedThenOldestFirst) {
  create_node("n1");
  // Created one after another: names break creationTimestamp ties in the same order.
  create_pod("a", "n1", "Succeeded");
  create_pod("b", "n1", "Failed");
  create_pod("c", "n1", "Succeeded");
  create_pod("d", "n1", "Running");
  create_pod("e", "n1", "Failed", "Evicted");
  PodGCOptions options;
  options.terminated_pod_gc_threshold = 2;  // 4 terminated: 2 go
  start(options);
  std::vector<std::string> want = {"b", "c", "d"};
  ASSERT_TRUE(eventually([&] { return pod_names() == want; }))
      << testing::PrintToString(pod_names());
  clock_.advance(seconds(21));  // another pass changes nothing
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(pod_names(), want);
}

TEST_F(PodGCTest, PodsOfADeletedNodeGoAfterTheQuarantine) {
  create_node("n1");
  create_pod("live", "n1", "Running");
  create_pod("orphan", "ghost", "Running");
  PodGCOptions options;
  start(options);
  std::this_thread::sleep_for(milliseconds(300));
  clock_.advance(seconds(30));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(pod_names(), (std::vector<std::string>{"live", "orphan"}));  // still quarantined
  clock_.advance(seconds(11));
  ASSERT_TRUE(eventually([&] { return pod_names() == std::vector<std::string>{"live"}; }))
      << testing::PrintToString(pod_names());

  // A node deleted later: its pods go 40 s after the collector noticed.
  create_pod("second", "n1", "Running");
  ASSERT_TRUE(client_->remove(client::kNodes, "", "n1").ok());
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(pod_names(), (std::vector<std::string>{"live", "second"}));
  clock_.advance(seconds(41));
  ASSERT_TRUE(eventually([&] { return pod_names().empty(); }))
      << testing::PrintToString(pod_names());
}

TEST_F(PodGCTest, TerminatingPodsOnAnOutOfServiceNodeAreForceDeleted) {
  create_node("down",
              Json{{"taints", Json::array({{{"key", "node.kubernetes.io/out-of-service"},
                                            {"value", "nodeshutdown"},
                                            {"effect", "NoExecute"}}})}},
              "False");
  create_node("up");
  create_pod("stuck", "down", "Running");
  create_pod("leaving", "up", "Running");
  ASSERT_TRUE(client_->remove(client::kPods, "default", "stuck").ok());
  ASSERT_TRUE(client_->remove(client::kPods, "default", "leaving").ok());
  EXPECT_EQ(pod_names(), (std::vector<std::string>{"leaving", "stuck"}));  // graceful: still there
  start(PodGCOptions{});
  ASSERT_TRUE(eventually([&] { return pod_names() == std::vector<std::string>{"leaving"}; }))
      << testing::PrintToString(pod_names());
}

}  // namespace
}  // namespace bosun::controller
