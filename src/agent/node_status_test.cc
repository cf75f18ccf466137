#include "agent/node_status.h"

#include <gtest/gtest.h>

#include "client/test_config.h"
#include "common/time_format.h"

namespace bosun::agent {
namespace {

using apiserver::testing::RestTestServer;

MachineInfo small_machine() {
  MachineInfo m;
  m.cpu_milli = 2000;
  m.memory_bytes = int64_t{4} << 30;               // 4 GiB
  m.ephemeral_storage_bytes = int64_t{100} << 30;  // 100 GiB
  m.hostname = "host-a";
  m.internal_ip = "10.0.0.7";
  m.kernel_version = "6.1.0-test";
  m.os_image = "Debian GNU/Linux 12 (bookworm)";
  m.machine_id = "m1";
  m.boot_id = "b1";
  m.runtime_version = "runc://1.1.5";
  return m;
}

TEST(RuntimeVersion, ReadsRuncsOutput) {
  EXPECT_EQ(runtime_version_from_runc_output("runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1\n"),
            "runc://1.1.5");
  EXPECT_EQ(runtime_version_from_runc_output("runc version 1.2.0\n"), "runc://1.2.0");
  EXPECT_EQ(runtime_version_from_runc_output("bash: runc: command not found"), "");
}

TEST(BuildNode, CapacityAllocatableAndInfoAsTheKubeletReportsThem) {
  NodeConfig config;
  config.node_name = "node-a";
  config.labels["zone"] = "z1";
  config.reserved_cpu_milli = 500;
  config.reserved_memory_bytes = int64_t{512} << 20;
  Json node = build_node(config, small_machine(), FakeClock().now());
  EXPECT_EQ(node["metadata"]["labels"]["kubernetes.io/hostname"], "node-a");
  EXPECT_EQ(node["metadata"]["labels"]["kubernetes.io/os"], "linux");
  EXPECT_EQ(node["metadata"]["labels"]["zone"], "z1");
  const Json& st = node["status"];
  EXPECT_EQ(st["capacity"], (Json{{"cpu", "2"},
                                  {"memory", "4194304Ki"},
                                  {"ephemeral-storage", "104857600Ki"},
                                  {"pods", "110"}}));
  // Allocatable: capacity minus --reserved minus the hard eviction thresholds (100Mi, 10 %).
  EXPECT_EQ(st["allocatable"]["cpu"], "1500m");
  EXPECT_EQ(st["allocatable"]["memory"], std::to_string((4194304 - 524288 - 102400)) + "Ki");
  EXPECT_EQ(st["allocatable"]["ephemeral-storage"],
            std::to_string((int64_t{100} << 30) - (int64_t{100} << 30) / 10));
  EXPECT_EQ(st["nodeInfo"]["containerRuntimeVersion"], "runc://1.1.5");
  EXPECT_EQ(st["nodeInfo"]["kubeletVersion"], "v1.33.0");
  EXPECT_EQ(st["addresses"][0], (Json{{"type", "InternalIP"}, {"address", "10.0.0.7"}}));
  ASSERT_EQ(st["conditions"].size(), 4u);
  EXPECT_EQ(st["conditions"][3]["type"], "Ready");
  EXPECT_EQ(st["conditions"][3]["reason"], "KubeletReady");
  EXPECT_EQ(st["conditions"][0]["reason"], "KubeletHasSufficientMemory");
}

TEST(MachineInfoTest, ReadsThisMachine) {
  auto m = read_machine_info("/tmp");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_GE(m->cpu_milli, 1000);
  EXPECT_GT(m->memory_bytes, 0);
  EXPECT_GT(m->ephemeral_storage_bytes, 0);
  EXPECT_FALSE(m->kernel_version.empty());
  if (system("runc --version >/dev/null 2>&1") == 0) {
    EXPECT_TRUE(m->runtime_version.starts_with("runc://")) << m->runtime_version;
  }
}

class NodeRegistrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
    config_.node_name = "node-a";
  }
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  NodeConfig config_;
  FakeClock clock_;
};

TEST_F(NodeRegistrationTest, RegistersTheNodeAndKeepsItsSpecOnReRegistration) {
  auto node = register_node(*client_, config_, small_machine(), clock_.now());
  ASSERT_TRUE(node.ok()) << node.error().message;
  EXPECT_FALSE((*node)["metadata"].value("uid", std::string()).empty());
  EXPECT_EQ((*node)["status"]["capacity"]["cpu"], "2");
  EXPECT_EQ((*node)["status"]["nodeInfo"]["osImage"], "Debian GNU/Linux 12 (bookworm)");

  // Someone cordons the node; the agent restarts with more memory and registers again.
  Json cordoned = *client_->get(client::kNodes, "", "node-a");
  cordoned["spec"]["unschedulable"] = true;
  ASSERT_TRUE(client_->update(client::kNodes, "", cordoned).ok());
  MachineInfo bigger = small_machine();
  bigger.memory_bytes = int64_t{8} << 30;
  config_.labels["zone"] = "z2";
  auto again = register_node(*client_, config_, bigger, clock_.now());
  ASSERT_TRUE(again.ok()) << again.error().message;
  Json stored = *client_->get(client::kNodes, "", "node-a");
  EXPECT_EQ(stored["spec"]["unschedulable"], true);
  // Stored canonically, as Kubernetes round-trips quantities: 8388608Ki is 8Gi.
  EXPECT_EQ(stored["status"]["capacity"]["memory"], "8Gi");
  EXPECT_EQ(stored["metadata"]["labels"]["zone"], "z2");
  EXPECT_EQ(stored["metadata"]["uid"], (*node)["metadata"]["uid"]);
}

TEST_F(NodeRegistrationTest, TheLeaseIsCreatedOwnedByTheNodeThenRenewed) {
  auto node = register_node(*client_, config_, small_machine(), clock_.now());
  ASSERT_TRUE(node.ok()) << node.error().message;
  auto lease = renew_node_lease(*client_, *node, clock_.now());
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  EXPECT_EQ((*lease)["metadata"]["namespace"], "kube-node-lease");
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "node-a");
  EXPECT_EQ((*lease)["spec"]["leaseDurationSeconds"], 40);
  EXPECT_EQ((*lease)["metadata"]["ownerReferences"][0]["uid"], (*node)["metadata"]["uid"]);
  EXPECT_EQ((*lease)["spec"]["renewTime"], format_rfc3339_micro(clock_.now()));

  clock_.advance(std::chrono::seconds(10));
  auto renewed = renew_node_lease(*client_, *node, clock_.now());
  ASSERT_TRUE(renewed.ok()) << renewed.error().message;
  EXPECT_EQ((*renewed)["spec"]["renewTime"], format_rfc3339_micro(clock_.now()));
  EXPECT_NE((*renewed)["metadata"]["resourceVersion"], (*lease)["metadata"]["resourceVersion"]);
}

}  // namespace
}  // namespace bosun::agent
