// The garbage collector against the in-process API server: Background deletion of dependents,
// Foreground deletion (dependents first, the owner held by blockOwnerDeletion ones), Orphan
// (references removed, dependents kept), dangling references, and a ReplicaSet with its pods.
#include "controller/garbage_collector.h"

#include <gtest/gtest.h>

#include <thread>

#include "client/test_config.h"

namespace bosun::controller {
namespace {

using apiserver::testing::RestTestServer;
using client::kConfigMaps;
using client::kPods;

class GarbageCollectorTest : public ::testing::Test {
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
    auto gc = GarbageCollector::create(ControllerContext{*client_, *informers_, Clock::real()});
    ASSERT_TRUE(gc.ok()) << gc.error().message;
    gc_ = std::move(gc).value();
    informers_->start();
    ASSERT_TRUE(informers_->wait_for_sync(std::chrono::seconds(10)));
    gc_->run(2);
  }

  Json config_map(std::string_view name, Json owner_refs = Json::array(),
                  Json finalizers = Json::array()) {
    Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
    if (!owner_refs.empty()) cm["metadata"]["ownerReferences"] = std::move(owner_refs);
    if (!finalizers.empty()) cm["metadata"]["finalizers"] = std::move(finalizers);
    auto r = client_->create(kConfigMaps, "default", cm);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Json();
  }

  static Json ref_to(const Json& owner, bool block = false) {
    return {{"apiVersion", owner.value("apiVersion", "v1")},
            {"kind", owner.value("kind", "ConfigMap")},
            {"name", owner["metadata"]["name"]},
            {"uid", owner["metadata"]["uid"]},
            {"blockOwnerDeletion", block}};
  }

  bool exists(const client::GroupVersionResource& gvr, std::string_view name) {
    return client_->get(gvr, "default", name).ok();
  }
  Json get(const client::GroupVersionResource& gvr, std::string_view name) {
    auto r = client_->get(gvr, "default", name);
    return r.ok() ? *r : Json();
  }

  void remove(const client::GroupVersionResource& gvr, std::string_view name,
              std::string policy = "") {
    client::DeleteOptions o;
    o.propagation_policy = std::move(policy);
    auto r = client_->remove(gvr, "default", name, o);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  bool eventually(const std::function<bool()>& pred) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pred();
  }

  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<SharedInformers> informers_;
  std::unique_ptr<GarbageCollector> gc_;
};

TEST_F(GarbageCollectorTest, WatchesTheDeletableResources) {
  std::set<std::string> names;
  for (const auto& r : gc_->resources()) names.insert(r.gvr.resource);
  for (const char* want : {"pods", "replicasets", "replicationcontrollers", "deployments",
                           "services", "endpoints", "configmaps", "secrets"}) {
    EXPECT_TRUE(names.count(want)) << want;
  }
  EXPECT_FALSE(names.count("events"));
}

TEST_F(GarbageCollectorTest, BackgroundDeletesDependentsAfterTheOwner) {
  Json owner = config_map("owner");
  config_map("dep-1", Json::array({ref_to(owner)}));
  config_map("dep-2", Json::array({ref_to(owner)}));
  config_map("bystander");
  remove(kConfigMaps, "owner");  // the default for ConfigMaps: Background
  EXPECT_FALSE(exists(kConfigMaps, "owner"));
  ASSERT_TRUE(
      eventually([&] { return !exists(kConfigMaps, "dep-1") && !exists(kConfigMaps, "dep-2"); }));
  EXPECT_TRUE(exists(kConfigMaps, "bystander"));
}

TEST_F(GarbageCollectorTest, ForegroundWaitsForBlockingDependents) {
  Json owner = config_map("owner");
  // The blocking dependent holds its own finalizer, so its deletion can be watched in progress.
  config_map("blocking", Json::array({ref_to(owner, true)}), Json::array({"example.com/hold"}));
  config_map("plain", Json::array({ref_to(owner, false)}));
  remove(kConfigMaps, "owner", "Foreground");
  Json o = get(kConfigMaps, "owner");
  EXPECT_FALSE(o["metadata"].value("deletionTimestamp", "").empty());
  EXPECT_EQ(o["metadata"]["finalizers"], Json::array({"foregroundDeletion"}));

  // Every dependent is deleted; the blocking one is held by its own finalizer.
  ASSERT_TRUE(eventually([&] { return !exists(kConfigMaps, "plain"); }));
  ASSERT_TRUE(eventually([&] {
    return !get(kConfigMaps, "blocking")["metadata"].value("deletionTimestamp", "").empty();
  }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(exists(kConfigMaps, "owner"));  // still waiting for the blocking dependent

  auto r = client_->patch(kConfigMaps, "default", "blocking", client::PatchType::kMerge,
                          R"({"metadata":{"finalizers":null}})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(eventually([&] { return !exists(kConfigMaps, "owner"); }));
}

TEST_F(GarbageCollectorTest, OrphanKeepsDependentsWithoutTheReference) {
  Json owner = config_map("owner");
  Json other = config_map("other");
  config_map("dep", Json::array({ref_to(owner), ref_to(other)}));
  remove(kConfigMaps, "owner", "Orphan");
  ASSERT_TRUE(eventually([&] { return !exists(kConfigMaps, "owner"); }));
  Json dep = get(kConfigMaps, "dep");
  ASSERT_FALSE(dep.is_null());
  ASSERT_EQ(dep["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(dep["metadata"]["ownerReferences"][0]["name"], "other");
}

TEST_F(GarbageCollectorTest, DanglingReferences) {
  Json ghost = {{"apiVersion", "v1"},
                {"kind", "ConfigMap"},
                {"metadata", {{"name", "ghost"}, {"uid", "00000000-0000-0000-0000-000000000001"}}}};
  Json alive = config_map("alive");
  // Its only owner never existed: collected.
  config_map("lonely", Json::array({ref_to(ghost)}));
  // An owner of that name exists but with another uid: still dangling.
  config_map("ghost");
  config_map("impostor", Json::array({ref_to(ghost)}));
  // Another owner remains: only the dangling reference goes.
  config_map("shared", Json::array({ref_to(ghost), ref_to(alive)}));
  ASSERT_TRUE(eventually(
      [&] { return !exists(kConfigMaps, "lonely") && !exists(kConfigMaps, "impostor"); }));
  ASSERT_TRUE(eventually(
      [&] { return get(kConfigMaps, "shared")["metadata"]["ownerReferences"].size() == 1; }));
  EXPECT_EQ(get(kConfigMaps, "shared")["metadata"]["ownerReferences"][0]["name"], "alive");
  EXPECT_TRUE(exists(kConfigMaps, "ghost"));
  EXPECT_TRUE(exists(kConfigMaps, "alive"));
}

TEST_F(GarbageCollectorTest, ForegroundReplicaSetDeletesItsPodsFirst) {
  const client::GroupVersionResource rss{"apps", "v1", "replicasets"};
  Json rs = {
      {"apiVersion", "apps/v1"},
      {"kind", "ReplicaSet"},
      {"metadata", {{"name", "web"}}},
      {"spec",
       {{"replicas", 2},
        {"selector", {{"matchLabels", {{"app", "web"}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", "web"}}}}},
          {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}}}}}};
  auto created = client_->create(rss, "default", rs);
  ASSERT_TRUE(created.ok()) << created.error().message;
  for (const char* name : {"web-a", "web-b"}) {
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata",
                 {{"name", name},
                  {"labels", {{"app", "web"}}},
                  {"ownerReferences", Json::array({{{"apiVersion", "apps/v1"},
                                                    {"kind", "ReplicaSet"},
                                                    {"name", "web"},
                                                    {"uid", (*created)["metadata"]["uid"]},
                                                    {"controller", true},
                                                    {"blockOwnerDeletion", true}}})}}},
                {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
    ASSERT_TRUE(client_->create(kPods, "default", pod).ok());
  }
  // The collector knows dependents from its informers (its graph, as Kubernetes' GC): delete the
  // owner once they have the pods, or a foreground deletion right after the creates may find no
  // dependent yet and end at once, in Kubernetes too.
  client::Informer& pods = informers_->informer(kPods);
  ASSERT_TRUE(eventually([&] { return pods.get("default/web-a") && pods.get("default/web-b"); }));
  remove(rss, "web", "Foreground");
  ASSERT_TRUE(eventually([&] { return !exists(rss, "web"); }));
  // The owner went only after its blocking dependents.
  EXPECT_FALSE(exists(kPods, "web-a"));
  EXPECT_FALSE(exists(kPods, "web-b"));
}

}  // namespace
}  // namespace bosun::controller
