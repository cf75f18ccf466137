// The namespace controller against the in-process API server: a deleted namespace loses its
// contents and then itself; pods go first and a pod still terminating holds the rest, reported in
// the namespace's conditions, until a re-check on the injected clock finds it gone.
#include "controller/namespace_controller.h"

#include <gtest/gtest.h>

#include <thread>

#include "client/test_config.h"

namespace bosun::controller {
namespace {

using apiserver::testing::RestTestServer;

const client::GroupVersionResource kNamespaces{"", "v1", "namespaces"};
const client::GroupVersionResource kSecrets{"", "v1", "secrets"};
const client::GroupVersionResource kDeployments{"apps", "v1", "deployments"};

class NamespaceControllerTest : public ::testing::Test {
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
    controller_ =
        std::make_unique<NamespaceController>(ControllerContext{*client_, *informers_, clock_});
    informers_->start();
    ASSERT_TRUE(informers_->wait_for_sync(std::chrono::seconds(10)));
    controller_->run(2);
  }

  void create(const client::GroupVersionResource& gvr, std::string_view ns, const Json& obj) {
    auto r = client_->create(gvr, ns, obj);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  void fill(std::string_view ns) {
    create(kNamespaces, "",
           {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}});
    create(client::kConfigMaps, ns, {{"metadata", {{"name", "settings"}}}});
    create(kSecrets, ns, {{"metadata", {{"name", "token"}}}, {"stringData", {{"k", "v"}}}});
    Json containers = Json::array({{{"name", "c"}, {"image", "busybox"}}});
    create(client::kPods, ns,
           {{"metadata", {{"name", "loose"}}}, {"spec", {{"containers", containers}}}});
    create(kDeployments, ns,
           {{"metadata", {{"name", "web"}}},
            {"spec",
             {{"selector", {{"matchLabels", {{"app", "web"}}}}},
              {"template",
               {{"metadata", {{"labels", {{"app", "web"}}}}},
                {"spec", {{"containers", containers}}}}}}}});
  }

  size_t count(const client::GroupVersionResource& gvr, std::string_view ns) {
    auto r = client_->list(gvr, ns);
    return r.ok() ? (*r)["items"].size() : 999;
  }

  bool gone(std::string_view ns) {
    auto r = client_->get(kNamespaces, "", ns);
    return !r.ok() && r.error().code == ErrorCode::kNotFound;
  }

  Json condition(std::string_view ns, std::string_view type) {
    auto r = client_->get(kNamespaces, "", ns);
    if (!r.ok()) return Json::object();
    for (const Json& c : (*r)["status"].value("conditions", Json::array())) {
      if (c["type"] == type) return c;
    }
    return Json::object();
  }

  bool eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  FakeClock clock_{std::chrono::system_clock::now()};
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<SharedInformers> informers_;
  std::unique_ptr<NamespaceController> controller_;
};

TEST_F(NamespaceControllerTest, DeletingANamespaceRemovesItsContentsThenItself) {
  fill("doomed");
  fill("kept");
  auto r = client_->remove(kNamespaces, "", "doomed");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(eventually([&] { return gone("doomed"); }));
  EXPECT_EQ(count(client::kConfigMaps, "doomed"), 0u);
  EXPECT_EQ(count(kSecrets, "doomed"), 0u);
  EXPECT_EQ(count(client::kPods, "doomed"), 0u);
  EXPECT_EQ(count(kDeployments, "doomed"), 0u);
  // Another namespace is untouched.
  EXPECT_FALSE(gone("kept"));
  EXPECT_EQ(count(client::kConfigMaps, "kept"), 1u);
  EXPECT_EQ(count(client::kPods, "kept"), 1u);
}

TEST_F(NamespaceControllerTest, APodStillTerminatingHoldsTheRestUntilItIsGone) {
  fill("slow");
  Json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", "loose"}}},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", "node-1"}}}};
  ASSERT_TRUE(client_->create_subresource(client::kPods, "slow", "loose", "binding", binding).ok());
  ASSERT_TRUE(client_->remove(kNamespaces, "", "slow").ok());

  // The bound pod waits for its node (30 s grace): reported, and nothing else goes meanwhile.
  ASSERT_TRUE(eventually([&] {
    return condition("slow", "NamespaceContentRemaining").value("status", "") == "True";
  }));
  Json c = condition("slow", "NamespaceContentRemaining");
  EXPECT_EQ(c["reason"], "SomeResourcesRemain");
  EXPECT_EQ(c["message"], "Some resources are remaining: pods. has 1 resource instances");
  EXPECT_EQ(condition("slow", "NamespaceDeletionContentFailure")["status"], "False");
  EXPECT_EQ(count(client::kConfigMaps, "slow"), 1u);
  EXPECT_FALSE(gone("slow"));

  // Its node confirms the deletion; the controller's re-check (about half the grace period
  // later) finishes the job.
  client::DeleteOptions now;
  now.grace_period_seconds = 0;
  ASSERT_TRUE(client_->remove(client::kPods, "slow", "loose", now).ok());
  clock_.advance(std::chrono::seconds(20));
  ASSERT_TRUE(eventually([&] { return gone("slow"); }));
  EXPECT_EQ(count(client::kConfigMaps, "slow"), 0u);
}

}  // namespace
}  // namespace bosun::controller
