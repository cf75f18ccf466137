#include "agent/hollow_nodes.h"

#include <gtest/gtest.h>

#include <thread>

#include "client/test_config.h"

namespace bosun::agent {
namespace {

using apiserver::testing::RestTestServer;

template <typename F>
bool eventually(F pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

std::string phase_of(const Result<Json>& pod) {
  if (!pod.ok() || !pod->contains("status")) return "";
  return (*pod)["status"].value("phase", "");
}

TEST(HollowNodes, ThreeNodesRegisterReadyAndRunTheirPods) {
  auto s = RestTestServer::start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto server = std::move(s).value();
  auto c = client::RestClient::create(client::testing::admin_config(*server));
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto client = std::move(c).value();

  HollowNodesOptions o;
  o.client = client.get();
  o.count = 3;
  o.cpu_milli = 2000;
  o.memory_bytes = int64_t{4} << 30;
  o.max_pods = 20;
  o.startup_latency = std::chrono::milliseconds(50);
  o.workers = 2;
  o.registration_threads = 2;
  auto h = HollowNodes::start(o);
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ((*h)->size(), 3u);

  for (int i = 0; i < 3; ++i) {
    auto node = client->get(client::kNodes, "", "hollow-" + std::to_string(i));
    ASSERT_TRUE(node.ok()) << node.error().message;
    EXPECT_EQ((*node)["status"]["capacity"]["cpu"], "2");
    EXPECT_EQ((*node)["status"]["capacity"]["pods"], "20");
    EXPECT_EQ((*node)["status"]["addresses"][0]["address"], "10.64.0." + std::to_string(i));
    bool ready = false;
    for (const Json& cond : (*node)["status"]["conditions"]) {
      if (cond["type"] == "Ready") ready = cond["status"] == "True";
    }
    EXPECT_TRUE(ready);
    auto lease = client->get(client::kLeases, "kube-node-lease", "hollow-" + std::to_string(i));
    EXPECT_TRUE(lease.ok());
  }

  std::vector<std::string> uids;
  for (int i = 0; i < 3; ++i) {
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "p" + std::to_string(i)}, {"namespace", "default"}}},
                {"spec",
                 {{"nodeName", "hollow-" + std::to_string(i)},
                  {"containers", Json::array({{{"name", "app"}, {"image", "pause:3.9"}}})}}}};
    auto created = client->create(client::kPods, "default", pod);
    ASSERT_TRUE(created.ok()) << created.error().message;
    uids.push_back((*created)["metadata"]["uid"]);
  }
  for (int i = 0; i < 3; ++i) {
    const std::string name = "p" + std::to_string(i);
    ASSERT_TRUE(eventually([&] {
      return phase_of(client->get(client::kPods, "default", name)) == "Running";
    })) << client->get(client::kPods, "default", name)->dump(2);
    auto pod = client->get(client::kPods, "default", name);
    EXPECT_EQ((*pod)["status"]["hostIP"], "10.64.0." + std::to_string(i));
    EXPECT_EQ((*pod)["status"]["containerStatuses"][0]["ready"], true);
    // Each pod runs on its own node's runtime only.
    EXPECT_EQ((*h)->runtime(i).sandbox_count(), 1u);
  }

  ASSERT_TRUE(client->remove(client::kPods, "default", "p1").ok());
  ASSERT_TRUE(eventually([&] {
    auto r = client->get(client::kPods, "default", "p1");
    return !r.ok() && r.error().code == ErrorCode::kNotFound;
  }));
  EXPECT_EQ((*h)->runtime(1).sandbox_count(), 0u);
  (*h)->stop();
}

}  // namespace
}  // namespace bosun::agent
