#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class NodeStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("", "nodes", install_node); }
};

Json node(Json extra = Json::object()) {
  Json n = Json::parse(R"({"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1"}})");
  n.merge_patch(extra);
  return n;
}

// `kubectl create -f` of a bare Node shows the NodeStatus structs Kubernetes always serialises.
TEST_F(NodeStrategyTest, BareNodeGetsKubernetesDefaults) {
  Json n = create(node());
  EXPECT_EQ(n["spec"], Json::object());
  EXPECT_EQ(n["status"], Json::parse(R"({"daemonEndpoints":{"kubeletEndpoint":{"Port":0}},
    "nodeInfo":{"architecture":"","bootID":"","containerRuntimeVersion":"","kernelVersion":"",
    "kubeProxyVersion":"","kubeletVersion":"","machineID":"","operatingSystem":"","osImage":"",
    "systemUUID":""}})"));
  EXPECT_EQ(create_errors(node()), "");
}

TEST_F(NodeStrategyTest, AllocatableDefaultsToCapacityInCanonicalForm) {
  Json n = create(
      node(Json::parse(R"({"status":{"capacity":{"cpu":"4","memory":"8192Mi","pods":110}}})")));
  EXPECT_EQ(n["status"]["capacity"], Json::parse(R"({"cpu":"4","memory":"8Gi","pods":"110"})"));
  EXPECT_EQ(n["status"]["allocatable"], n["status"]["capacity"]);
}

TEST_F(NodeStrategyTest, StatusIsSetOnCreateAndKeptByTheMainEndpoint) {
  Json old =
      create(node(Json::parse(R"({"status":{"conditions":[{"type":"Ready","status":"True"}]}})")));
  EXPECT_EQ(old["status"]["conditions"][0]["type"], "Ready");
  Json n = old;
  n["spec"]["unschedulable"] = true;
  n["status"]["conditions"][0]["status"] = "False";
  s().prepare_for_update(n, old);
  EXPECT_EQ(n["status"], old["status"]);
  EXPECT_EQ(n["spec"]["unschedulable"], true);

  // nodes/status is the other way round.
  n = old;
  n["spec"]["unschedulable"] = true;
  n["status"]["conditions"][0]["status"] = "False";
  SubresourceStrategy st = node_status_strategy();
  st.prepare_for_update(n, old);
  EXPECT_EQ(n["spec"], old["spec"]);
  EXPECT_EQ(n["status"]["conditions"][0]["status"], "False");
}

TEST_F(NodeStrategyTest, TaintValidation) {
  EXPECT_EQ(create_errors(node(Json::parse(
                R"({"spec":{"taints":[{"key":"dedicated","value":"gpu","effect":"Never"}]}})"))),
            "metadata.taints[0].effect: Unsupported value: \"Never\": supported values: "
            "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
  EXPECT_EQ(create_errors(node(Json::parse(R"({"spec":{"taints":[{"key":"dedicated"}]}})"))),
            "metadata.taints[0].effect: Required value");
  EXPECT_EQ(create_errors(node(Json::parse(R"({"spec":{"taints":[
          {"key":"a","value":"1","effect":"NoSchedule"},{"key":"a","value":"2","effect":"NoSchedule"}]}})"))),
            "metadata.taints[1]: Duplicate value: core.Taint{Key:\"a\", Value:\"2\", "
            "Effect:\"NoSchedule\", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and "
            "effect pair");
  EXPECT_EQ(create_errors(node(Json::parse(
                R"({"spec":{"taints":[{"key":"a","value":"x y","effect":"NoSchedule"}]}})"))),
            "metadata.taints[0].value: Invalid value: \"x y\": a valid label must be an empty "
            "string or consist of alphanumeric characters, '-', '_' or '.', and must start and "
            "end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
            "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
}

TEST_F(NodeStrategyTest, PodCidrAndProviderIdAreSetOnce) {
  Json old = create(node());
  Json n = old;
  n["spec"]["podCIDRs"] = Json::array({"10.244.1.0/24"});
  n["spec"]["providerID"] = "bosun://node-1";
  EXPECT_EQ(update_errors(n, old), "");
  old = n;
  n["spec"]["podCIDRs"] = Json::array({"10.244.2.0/24"});
  n["spec"]["providerID"] = "bosun://other";
  EXPECT_EQ(update_errors(n, old),
            "[spec.podCIDRs: Forbidden: node updates may not change podCIDR except from \"\" to "
            "valid, spec.providerID: Forbidden: node updates may not change providerID except "
            "from \"\" to valid]");
  n = old;
  n["spec"]["podCIDRs"] = Json::array({"10.244.1.0"});
  EXPECT_NE(update_errors(n, old).find("spec.podCIDRs[0]: Invalid value: \"10.244.1.0\": must be "
                                       "a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"),
            std::string::npos);
}

TEST_F(NodeStrategyTest, Table) {
  const auto& cols = s().table_columns;
  ASSERT_EQ(cols.size(), 10u);
  EXPECT_EQ(cols[1].name, "Status");
  EXPECT_EQ(cols[2].name, "Roles");
  EXPECT_EQ(cols[4].name, "Version");
  EXPECT_EQ(cols[5].name, "Internal-IP");
  EXPECT_EQ(cols[5].priority, 1);
  EXPECT_EQ(cols[9].name, "Container-Runtime");

  Json n = create(node(Json::parse(R"js({
    "metadata":{"creationTimestamp":"2024-05-01T12:00:00Z",
                "labels":{"node-role.kubernetes.io/control-plane":"","kubernetes.io/role":"worker"}},
    "status":{"conditions":[{"type":"MemoryPressure","status":"False"},{"type":"Ready","status":"True"}],
              "addresses":[{"type":"InternalIP","address":"10.0.0.4"},{"type":"Hostname","address":"node-1"}],
              "nodeInfo":{"kubeletVersion":"v1.33.0","osImage":"Debian GNU/Linux 12 (bookworm)",
                          "kernelVersion":"6.1.0-18-amd64","containerRuntimeVersion":"runc://1.1.12"
}
}
})js")));
  EXPECT_EQ(s().table_cells(n), Json::parse(R"js(["node-1","Ready","control-plane,worker","2d3h",
    "v1.33.0","10.0.0.4","<none>","Debian GNU/Linux 12 (bookworm)","6.1.0-18-amd64",
    "runc://1.1.12"])js"));

  n["status"]["conditions"][1]["status"] = "Unknown";
  n["spec"]["unschedulable"] = true;
  EXPECT_EQ(s().table_cells(n)[1], "NotReady,SchedulingDisabled");
  Json bare = create(node());
  Json cells = s().table_cells(bare);
  EXPECT_EQ(cells[1], "Unknown");
  EXPECT_EQ(cells[2], "<none>");
  EXPECT_EQ(cells[3], "<unknown>");
  EXPECT_EQ(cells[7], "<unknown>");
}

}  // namespace
}  // namespace bosun::api::resources
