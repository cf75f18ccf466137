#include "scheduler/pod_info.h"

#include <gtest/gtest.h>

#include "scheduler/node_info.h"
#include "scheduler/test_util.h"

namespace bosun::scheduler {
namespace {

using testing::pod;
using testing::pod_json;

Json container(const std::string& name, const std::string& cpu, const std::string& memory,
               const std::string& restart_policy = "") {
  Json c = {{"name", name}, {"image", "busybox"}};
  Json requests = Json::object();
  if (!cpu.empty()) requests["cpu"] = cpu;
  if (!memory.empty()) requests["memory"] = memory;
  c["resources"] = {{"requests", requests}};
  if (!restart_policy.empty()) c["restartPolicy"] = restart_policy;
  return c;
}

TEST(PodInfoTest, ContainersAreSummed) {
  Json p = pod_json("p");
  p["spec"]["containers"] =
      Json::array({container("a", "100m", "1Gi"), container("b", "200m", "2Gi")});
  auto info = pod(p);
  EXPECT_EQ(info->requests.milli_cpu, 300);
  EXPECT_EQ(info->requests.memory, int64_t{3} << 30);
  EXPECT_EQ(info->non_zero_milli_cpu, 300);
}

TEST(PodInfoTest, InitContainerMaxRule) {
  Json p = pod_json("p");
  p["spec"]["containers"] =
      Json::array({container("a", "100m", "1Gi"), container("b", "200m", "1Gi")});
  p["spec"]["initContainers"] =
      Json::array({container("i1", "2", "500Mi"), container("i2", "1", "3Gi")});
  auto info = pod(p);
  EXPECT_EQ(info->requests.milli_cpu, 2000);
  EXPECT_EQ(info->requests.memory, int64_t{3} << 30);
}

TEST(PodInfoTest, SidecarsAddToEverythingAfterThem) {
  Json p = pod_json("p");
  p["spec"]["containers"] = Json::array({container("app", "200m", "")});
  p["spec"]["initContainers"] =
      Json::array({container("sidecar", "100m", "", "Always"), container("init", "500m", "")});
  auto info = pod(p);
  // app 200m + sidecar 100m = 300m; the init container runs beside the sidecar: 600m.
  EXPECT_EQ(info->requests.milli_cpu, 600);

  p["spec"]["initContainers"] =
      Json::array({container("init", "250m", ""), container("sidecar", "100m", "", "Always")});
  EXPECT_EQ(pod(p)->requests.milli_cpu, 300);
}

TEST(PodInfoTest, OverheadIsAdded) {
  Json p = pod_json("p", "300m", "1Gi");
  p["spec"]["overhead"] = {{"cpu", "250m"}, {"memory", "120Mi"}};
  auto info = pod(p);
  EXPECT_EQ(info->requests.milli_cpu, 550);
  EXPECT_EQ(info->requests.memory, (int64_t{1} << 30) + 120 * (int64_t{1} << 20));
  EXPECT_EQ(info->non_zero_milli_cpu, 550);
}

TEST(PodInfoTest, NonZeroDefaultsOnlyForMissingRequests) {
  auto none = pod(pod_json("p"));
  EXPECT_EQ(none->requests.milli_cpu, 0);
  EXPECT_EQ(none->non_zero_milli_cpu, 100);
  EXPECT_EQ(none->non_zero_memory, 200 * 1024 * 1024);

  Json p = pod_json("p");
  p["spec"]["containers"] = Json::array({container("a", "0", "")});
  auto explicit_zero = pod(p);
  EXPECT_EQ(explicit_zero->non_zero_milli_cpu, 0);
  EXPECT_EQ(explicit_zero->non_zero_memory, 200 * 1024 * 1024);
}

TEST(PodInfoTest, ExtendedResourcesAndEphemeralStorage) {
  Json p = pod_json("p");
  p["spec"]["containers"][0]["resources"]["requests"] = {
      {"example.com/gpu", "2"}, {"ephemeral-storage", "1Gi"}, {"kubernetes.io/unknown", "1"}};
  auto info = pod(p);
  EXPECT_EQ(info->requests.scalar_value("example.com/gpu"), 2);
  EXPECT_EQ(info->requests.ephemeral_storage, int64_t{1} << 30);
  EXPECT_EQ(info->requests.scalar.size(), 1u);
}

TEST(PodInfoTest, HostPortsDefaultToTcpOnAllAddresses) {
  Json p = pod_json("p");
  p["spec"]["containers"][0]["ports"] = Json::parse(
      R"([{"containerPort": 80, "hostPort": 8080}, {"containerPort": 81},
          {"containerPort": 53, "hostPort": 53, "protocol": "UDP", "hostIP": "10.0.0.1"}])");
  auto info = pod(p);
  ASSERT_EQ(info->host_ports.size(), 2u);
  EXPECT_EQ(info->host_ports[0], (HostPort{"0.0.0.0", "TCP", 8080}));
  EXPECT_EQ(info->host_ports[1], (HostPort{"10.0.0.1", "UDP", 53}));
  EXPECT_TRUE(info->host_ports[0].conflicts_with(HostPort{"127.0.0.1", "TCP", 8080}));
  EXPECT_FALSE(info->host_ports[0].conflicts_with(HostPort{"127.0.0.1", "UDP", 8080}));
  EXPECT_FALSE(info->host_ports[1].conflicts_with(HostPort{"10.0.0.2", "UDP", 53}));
}

TEST(PodInfoTest, SchedulerFieldsDecoded) {
  Json p = pod_json("p");
  p["metadata"]["labels"] = {{"app", "web"}};
  p["metadata"]["ownerReferences"] = Json::parse(
      R"([{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1", "uid": "u1", "controller": true}])");
  p["spec"]["priority"] = 1000;
  p["spec"]["nodeSelector"] = {{"disk", "ssd"}};
  p["spec"]["tolerations"] =
      Json::parse(R"([{"key": "k", "operator": "Exists", "effect": "NoSchedule"}])");
  p["spec"]["affinity"] = Json::parse(R"({
    "podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
      {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}})");
  p["spec"]["topologySpreadConstraints"] = Json::parse(R"([
    {"maxSkew": 2, "topologyKey": "zone", "whenUnsatisfiable": "ScheduleAnyway",
     "labelSelector": {"matchLabels": {"app": "web"}}, "nodeTaintsPolicy": "Honor"}])");
  auto info = pod(p);
  EXPECT_EQ(info->scheduler_name, "default-scheduler");
  EXPECT_EQ(info->priority, 1000);
  ASSERT_TRUE(info->controller);
  EXPECT_EQ(info->controller->kind, "ReplicaSet");
  EXPECT_EQ(info->node_selector.at("disk"), "ssd");
  ASSERT_EQ(info->tolerations.size(), 1u);
  EXPECT_TRUE(info->tolerations[0].exists);
  ASSERT_EQ(info->required_anti_affinity.size(), 1u);
  // No namespaces and no namespaceSelector: the pod's own namespace.
  EXPECT_EQ(info->required_anti_affinity[0].namespaces, std::vector<std::string>{"default"});
  ASSERT_EQ(info->topology_spread.size(), 1u);
  EXPECT_FALSE(info->topology_spread[0].do_not_schedule);
  EXPECT_EQ(info->topology_spread[0].max_skew, 2);
  EXPECT_EQ(info->topology_spread[0].node_taints_policy, NodeInclusionPolicy::kHonor);
  EXPECT_EQ(info->topology_spread[0].node_affinity_policy, NodeInclusionPolicy::kHonor);
}

TEST(PodInfoTest, MatchLabelKeysMergeTheIncomingPodsValue) {
  Json p = pod_json("p");
  p["metadata"]["labels"] = {{"app", "web"}, {"pod-template-hash", "abc"}};
  p["spec"]["topologySpreadConstraints"] = Json::parse(R"([
    {"maxSkew": 1, "topologyKey": "zone", "whenUnsatisfiable": "DoNotSchedule",
     "labelSelector": {"matchLabels": {"app": "web"}}, "matchLabelKeys": ["pod-template-hash"]}])");
  auto info = pod(p);
  api::Labels same{{"app", "web"}, {"pod-template-hash", "abc"}};
  api::Labels other{{"app", "web"}, {"pod-template-hash", "def"}};
  EXPECT_TRUE(info->topology_spread[0].selector.matches(same));
  EXPECT_FALSE(info->topology_spread[0].selector.matches(other));
}

TEST(PodInfoTest, BadInputIsAnErrorNotACrash) {
  for (
      const char* text : {
          R"(5)",
          R"({"metadata": 5})",
          R"({"metadata": {"name": "p", "labels": {"a": 1}}})",
          R"({"metadata": {"name": "p"}, "spec": {"containers": {}}})",
          R"({"metadata": {"name": "p"}, "spec": {"containers": [{"resources": {"requests": {"cpu": "abc"}}}]}})",
          R"({"metadata": {"name": "p"}, "spec": {"priority": "high"}})",
          R"({"metadata": {"name": "p"}, "spec": {"tolerations": [{"key": 3}]}})",
          R"({"metadata": {"name": "p"}, "spec": {"affinity": {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [{"labelSelector": {"matchExpressions": [{"key": "a", "operator": "Foo"}]}}]}}}})",
      }) {
    auto r = decode_pod(Json::parse(text));
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << text;
  }
}

TEST(NodeInfoTest, NodeDecoded) {
  auto r = decode_node(Json::parse(R"({
    "metadata": {"name": "n1", "labels": {"zone": "a"}},
    "spec": {"unschedulable": true, "taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"}]},
    "status": {"allocatable": {"cpu": "3500m", "memory": "8Gi", "pods": "110", "example.com/gpu": "4"},
               "conditions": [{"type": "Ready", "status": "False"}]}})"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Node& n = **r;
  EXPECT_EQ(n.name, "n1");
  EXPECT_EQ(n.allocatable.milli_cpu, 3500);
  EXPECT_EQ(n.allocatable.memory, int64_t{8} << 30);
  EXPECT_EQ(n.allocatable.pods, 110);
  EXPECT_EQ(n.allocatable.scalar_value("example.com/gpu"), 4);
  EXPECT_TRUE(n.unschedulable);
  EXPECT_FALSE(n.ready);
  ASSERT_EQ(n.taints.size(), 1u);
  EXPECT_EQ(n.taints[0].effect, TaintEffect::kNoExecute);

  EXPECT_FALSE(decode_node(Json::parse(R"({"metadata": {}})")).ok());
  EXPECT_FALSE(
      decode_node(Json::parse(R"({"metadata": {"name": "n"}, "spec": {"taints": 1}})")).ok());
  EXPECT_FALSE(
      decode_node(
          Json::parse(R"({"metadata": {"name": "n"}, "status": {"allocatable": {"cpu": "x"}}})"))
          .ok());
}

TEST(NodeInfoTest, OnlySchedulingRelevantChangesCount) {
  Json n = testing::node_json("n1");
  auto before = testing::node(n);
  n["status"]["conditions"][0]["lastHeartbeatTime"] = "2026-01-01T00:00:00Z";
  EXPECT_FALSE(node_scheduling_changed(*before, *testing::node(n)));
  Json labelled = n;
  labelled["metadata"]["labels"]["disk"] = "ssd";
  EXPECT_TRUE(node_scheduling_changed(*before, *testing::node(labelled)));
  Json cordoned = n;
  cordoned["spec"]["unschedulable"] = true;
  EXPECT_TRUE(node_scheduling_changed(*before, *testing::node(cordoned)));
  Json bigger = n;
  bigger["status"]["allocatable"]["cpu"] = "8";
  EXPECT_TRUE(node_scheduling_changed(*before, *testing::node(bigger)));
  Json tainted = n;
  tainted["spec"]["taints"] = Json::parse(R"([{"key": "k", "effect": "NoSchedule"}])");
  EXPECT_TRUE(node_scheduling_changed(*before, *testing::node(tainted)));
}

TEST(NodeInfoTest, AggregatesFollowPods) {
  NodeInfo info(testing::node(testing::node_json("n1")));
  Json a = pod_json("a", "500m", "1Gi");
  a["spec"]["containers"][0]["ports"] = Json::parse(R"([{"containerPort": 80, "hostPort": 80}])");
  info.add_pod(pod(a));
  info.add_pod(pod(pod_json("b")));
  EXPECT_EQ(info.requested().milli_cpu, 500);
  EXPECT_EQ(info.non_zero_milli_cpu(), 600);
  EXPECT_EQ(info.non_zero_memory(), (int64_t{1} << 30) + 200 * 1024 * 1024);
  EXPECT_EQ(info.used_ports().size(), 1u);
  EXPECT_TRUE(info.remove_pod("a"));
  EXPECT_FALSE(info.remove_pod("a"));
  EXPECT_EQ(info.requested().milli_cpu, 0);
  EXPECT_EQ(info.non_zero_milli_cpu(), 100);
  EXPECT_TRUE(info.used_ports().empty());
  EXPECT_EQ(info.pods().size(), 1u);
}

}  // namespace
}  // namespace bosun::scheduler
