// The controller manager: --controllers selection as kube-controller-manager reads it, the
// controllers running against the in-process API server, and leader election handing the work
// from one manager to another.
#include "controller/controller_manager.h"

#include <gtest/gtest.h>

#include <thread>

#include "client/test_config.h"

namespace bosun::controller {
namespace {

using apiserver::testing::RestTestServer;

std::vector<std::string> names(const std::vector<const ControllerDescriptor*>& ds) {
  std::vector<std::string> out;
  for (const auto* d : ds) out.push_back(d->name);
  return out;
}

TEST(SelectControllersTest, StarAddAndRemove) {
  auto all = select_controllers({"*"});
  ASSERT_TRUE(all.ok());
  auto all_names = names(*all);
  EXPECT_NE(std::find(all_names.begin(), all_names.end(), "replicaset-controller"),
            all_names.end());
  auto without = select_controllers({"*", "-replicaset"});
  ASSERT_TRUE(without.ok());
  EXPECT_EQ(without->size(), all->size() - 1);
  auto only = select_controllers({"replicationcontroller-controller"});
  ASSERT_TRUE(only.ok());
  EXPECT_EQ(names(*only), std::vector<std::string>{"replicationcontroller-controller"});
  EXPECT_TRUE(select_controllers({}).ok());
  EXPECT_TRUE(select_controllers({})->empty());
  auto bad = select_controllers({"*", "bogus"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "\"bogus\" is not in the list of known controllers");
}

class ControllerManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }

  bool eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  size_t pod_count() {
    auto r = client_->list(client::kPods, "default");
    return r.ok() ? (*r)["items"].size() : 0;
  }

  void create_rc(std::string_view name, int replicas) {
    Json rc = {
        {"apiVersion", "v1"},
        {"kind", "ReplicationController"},
        {"metadata", {{"name", name}}},
        {"spec",
         {{"replicas", replicas},
          {"selector", {{"app", name}}},
          {"template",
           {{"metadata", {{"labels", {{"app", name}}}}},
            {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}}}}}};
    auto r = client_->create(client::core_resource("replicationcontrollers"), "default", rc);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  ControllerManagerOptions elected(std::string identity) {
    ControllerManagerOptions o;
    o.leader_elect = true;
    o.identity = std::move(identity);
    o.lease_duration = std::chrono::milliseconds(1500);
    o.renew_deadline = std::chrono::milliseconds(1000);
    o.retry_period = std::chrono::milliseconds(100);
    return o;
  }

  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
};

TEST_F(ControllerManagerTest, RunsTheSelectedControllers) {
  ControllerManagerOptions o;
  o.controllers = {"*", "-replicaset-controller"};
  ControllerManager manager(*client_, o);
  ASSERT_TRUE(manager.start().ok());
  EXPECT_TRUE(manager.running());
  EXPECT_NE(manager.controller("replicationcontroller-controller"), nullptr);
  EXPECT_EQ(manager.controller("replicaset-controller"), nullptr);
  create_rc("web", 2);
  ASSERT_TRUE(eventually([&] { return pod_count() == 2; }));
  manager.stop();
  EXPECT_FALSE(manager.running());
  EXPECT_TRUE(manager.wait());  // stopped, not failed
}

TEST_F(ControllerManagerTest, SharedInformersOfTheProcessStartWithTheControllers) {
  // `bosun server`: the scheduler registered on the same factory before the manager started.
  SharedInformers informers(*client_);
  client::Informer& nodes = informers.informer(client::kNodes);
  ControllerManagerOptions o;
  o.controllers = {"replicationcontroller-controller"};
  o.informers = &informers;
  ControllerManager manager(*client_, o);
  ASSERT_TRUE(manager.start().ok());
  EXPECT_EQ(&manager.informers(), &informers);
  EXPECT_TRUE(nodes.has_synced());  // started with the controllers' own informers
  create_rc("shared", 2);
  ASSERT_TRUE(eventually([&] { return pod_count() == 2; }));
  EXPECT_EQ(informers.informer(client::kPods).list_count(), 1);
  informers.stop();
  manager.stop();
}

TEST_F(ControllerManagerTest, AFailedStartKeepsItsHandlersTargetsAliveUntilStopped) {
  // The informers belong to the process and keep running after the manager's start timed out:
  // the controllers that registered handlers with them must outlive those handlers' calls (the
  // sanitizer build reports a use after free otherwise), and none of them runs.
  SharedInformers informers(*client_);
  ControllerManagerOptions o;
  o.controllers = {"replicationcontroller-controller"};
  o.informers = &informers;
  o.sync_timeout = std::chrono::milliseconds(0);
  ControllerManager manager(*client_, o);
  auto started = manager.start();
  ASSERT_FALSE(started.ok());
  EXPECT_EQ(started.error().message, "timed out waiting for the informers to sync");
  EXPECT_FALSE(manager.running());
  ASSERT_TRUE(informers.wait_for_sync(std::chrono::seconds(20)));
  create_rc("parked", 2);
  ASSERT_TRUE(eventually([&] {
    return informers.informer(client::core_resource("replicationcontrollers")).list().size() == 1;
  }));
  EXPECT_EQ(pod_count(), 0u);
  informers.stop();
  manager.stop();
}

TEST_F(ControllerManagerTest, OnlyTheLeaderRunsAndAnotherTakesOver) {
  auto a = ControllerManager::create(client::testing::admin_config(*server_), elected("cm-a"));
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->start().ok());
  ASSERT_TRUE(eventually([&] { return (*a)->running(); }));
  auto b = ControllerManager::create(client::testing::admin_config(*server_), elected("cm-b"));
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->start().ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_FALSE((*b)->running());
  auto lease = client_->get(client::kLeases, "kube-system", "kube-controller-manager");
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "cm-a");

  // The leader stops (releasing the Lease): the other one starts its controllers and acts.
  (*a)->stop();
  ASSERT_TRUE(eventually([&] { return (*b)->running(); }));
  create_rc("api", 3);
  ASSERT_TRUE(eventually([&] { return pod_count() == 3; }));
}

}  // namespace
}  // namespace bosun::controller
