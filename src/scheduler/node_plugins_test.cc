// NodeName, NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit and
// BalancedAllocation, table-driven after Kubernetes' own plugin tests.
#include <gtest/gtest.h>

#include "scheduler/plugin_test_util.h"
#include "scheduler/plugins.h"
#include "scheduler/test_util.h"

namespace bosun::scheduler {
namespace {

using testing::node_info;
using testing::node_json;
using testing::pod;
using testing::pod_json;
using testing::run_filter;
using testing::run_score;

struct Expect {
  Code code;
  std::vector<std::string> reasons;
};

void expect_status(const Status& s, const Expect& e, const std::string& name) {
  EXPECT_EQ(s.code(), e.code) << name;
  EXPECT_EQ(s.reasons(), e.reasons) << name;
}

const Expect kOk{Code::kSuccess, {}};

TEST(NodeNameTest, MatchesOnlyTheRequestedNode) {
  NodeNamePlugin plugin;
  auto n1 = node_info(node_json("n1"));
  auto snap = testing::snapshot({n1});
  Json p = pod_json("p");
  expect_status(run_filter(plugin, *pod(p), snap, *n1), kOk, "no nodeName");
  p["spec"]["nodeName"] = "n1";
  expect_status(run_filter(plugin, *pod(p), snap, *n1), kOk, "same node");
  p["spec"]["nodeName"] = "n2";
  expect_status(
      run_filter(plugin, *pod(p), snap, *n1),
      {Code::kUnschedulableAndUnresolvable, {"node(s) didn't match the requested node name"}},
      "other node");
}

TEST(NodeUnschedulableTest, CordonedNodesNeedTheToleration) {
  NodeUnschedulablePlugin plugin;
  Json n = node_json("n1");
  auto schedulable = node_info(n);
  n["spec"]["unschedulable"] = true;
  auto cordoned = node_info(n);
  auto snap = testing::snapshot({schedulable, cordoned});
  Json p = pod_json("p");
  expect_status(run_filter(plugin, *pod(p), snap, *schedulable), kOk, "schedulable");
  expect_status(run_filter(plugin, *pod(p), snap, *cordoned),
                {Code::kUnschedulableAndUnresolvable, {"node(s) were unschedulable"}}, "cordoned");
  p["spec"]["tolerations"] = Json::parse(
      R"([{"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}])");
  expect_status(run_filter(plugin, *pod(p), snap, *cordoned), kOk, "tolerated");
}

TEST(TaintTolerationTest, Filter) {
  struct Case {
    std::string name;
    std::string taints;
    std::string tolerations;
    Expect want;
  };
  const std::vector<Case> cases = {
      {"no taints", "[]", "[]", kOk},
      {"untolerated NoSchedule",
       R"([{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}])",
       "[]",
       {Code::kUnschedulableAndUnresolvable, {"node(s) had untolerated taint {dedicated: user1}"}}},
      {"tolerated by Equal", R"([{"key": "dedicated", "value": "user1", "effect": "NoSchedule"}])",
       R"([{"key": "dedicated", "operator": "Equal", "value": "user1", "effect": "NoSchedule"}])",
       kOk},
      {"value differs",
       R"([{"key": "dedicated", "value": "user2", "effect": "NoSchedule"}])",
       R"([{"key": "dedicated", "operator": "Equal", "value": "user1", "effect": "NoSchedule"}])",
       {Code::kUnschedulableAndUnresolvable, {"node(s) had untolerated taint {dedicated: user2}"}}},
      {"empty operator is Equal", R"([{"key": "foo", "value": "bar", "effect": "NoSchedule"}])",
       R"([{"key": "foo", "value": "bar", "effect": "NoSchedule"}])", kOk},
      {"empty effect tolerates all effects",
       R"([{"key": "foo", "value": "bar", "effect": "NoExecute"}])",
       R"([{"key": "foo", "operator": "Equal", "value": "bar"}])", kOk},
      {"effect differs",
       R"([{"key": "foo", "value": "bar", "effect": "NoExecute"}])",
       R"([{"key": "foo", "operator": "Equal", "value": "bar", "effect": "NoSchedule"}])",
       {Code::kUnschedulableAndUnresolvable, {"node(s) had untolerated taint {foo: bar}"}}},
      {"Exists without key tolerates everything",
       R"([{"key": "a", "value": "b", "effect": "NoSchedule"}, {"key": "c", "effect": "NoExecute"}])",
       R"([{"operator": "Exists"}])", kOk},
      {"PreferNoSchedule does not filter",
       R"([{"key": "foo", "value": "bar", "effect": "PreferNoSchedule"}])", "[]", kOk},
      {"not-ready",
       R"([{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}])",
       "[]",
       {Code::kUnschedulableAndUnresolvable,
        {"node(s) had untolerated taint {node.kubernetes.io/not-ready: }"}}},
      {"unreachable tolerated by Exists",
       R"([{"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"}])",
       R"([{"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}])",
       kOk},
      {"first untolerated taint in node order",
       R"([{"key": "a", "value": "1", "effect": "NoSchedule"}, {"key": "b", "value": "2", "effect": "NoSchedule"}])",
       R"([{"key": "a", "operator": "Exists"}])",
       {Code::kUnschedulableAndUnresolvable, {"node(s) had untolerated taint {b: 2}"}}},
  };
  TaintTolerationPlugin plugin;
  for (const Case& c : cases) {
    Json n = node_json("n1");
    n["spec"]["taints"] = Json::parse(c.taints);
    auto info = node_info(n);
    Json p = pod_json("p");
    p["spec"]["tolerations"] = Json::parse(c.tolerations);
    expect_status(run_filter(plugin, *pod(p), testing::snapshot({info}), *info), c.want, c.name);
  }
}

TEST(TaintTolerationTest, ScorePrefersFewerIntolerablePreferNoScheduleTaints) {
  auto tainted = [](const std::string& name, int count) {
    Json n = node_json(name);
    n["spec"]["taints"] = Json::array();
    for (int i = 0; i < count; ++i) {
      n["spec"]["taints"].push_back(
          {{"key", "k" + std::to_string(i)}, {"value", "v"}, {"effect", "PreferNoSchedule"}});
    }
    return node_info(n);
  };
  auto snap = testing::snapshot({tainted("n0", 0), tainted("n1", 1), tainted("n2", 2)});
  TaintTolerationPlugin plugin;
  EXPECT_EQ(run_score(plugin, *pod(pod_json("p")), snap), (std::vector<int64_t>{100, 50, 0}));
  Json p = pod_json("p");
  p["spec"]["tolerations"] =
      Json::parse(R"([{"key": "k1", "operator": "Exists", "effect": "PreferNoSchedule"}])");
  // n2 keeps one intolerable taint (k0), like n1.
  EXPECT_EQ(run_score(plugin, *pod(p), snap), (std::vector<int64_t>{100, 0, 0}));
}

TEST(NodeAffinityTest, Filter) {
  struct Case {
    std::string name;
    std::string node_selector;  // JSON object or ""
    std::string affinity;       // required nodeSelectorTerms JSON array or ""
    bool fits;
  };
  const std::vector<Case> cases = {
      {"nothing required", "", "", true},
      {"nodeSelector matches", R"({"foo": "bar"})", "", true},
      {"nodeSelector value differs", R"({"foo": "baz"})", "", false},
      {"nodeSelector key missing", R"({"missing": "x"})", "", false},
      {"In", "",
       R"([{"matchExpressions": [{"key": "foo", "operator": "In", "values": ["x", "bar"]}]}])",
       true},
      {"In no value", "",
       R"([{"matchExpressions": [{"key": "foo", "operator": "In", "values": ["x"]}]}])", false},
      {"NotIn", "",
       R"([{"matchExpressions": [{"key": "foo", "operator": "NotIn", "values": ["bar"]}]}])",
       false},
      {"NotIn missing key", "",
       R"([{"matchExpressions": [{"key": "nope", "operator": "NotIn", "values": ["a"]}]}])", true},
      {"Exists", "", R"([{"matchExpressions": [{"key": "foo", "operator": "Exists"}]}])", true},
      {"DoesNotExist", "",
       R"([{"matchExpressions": [{"key": "foo", "operator": "DoesNotExist"}]}])", false},
      {"Gt", "", R"([{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["7"]}]}])",
       true},
      {"Gt equal", "",
       R"([{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["8"]}]}])", false},
      {"Lt", "", R"([{"matchExpressions": [{"key": "cores", "operator": "Lt", "values": ["9"]}]}])",
       true},
      {"Gt on a non-number label", "",
       R"([{"matchExpressions": [{"key": "foo", "operator": "Gt", "values": ["1"]}]}])", false},
      {"matchFields metadata.name", "",
       R"([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n1"]}]}])",
       true},
      {"matchFields other name", "",
       R"([{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}])",
       false},
      {"terms are ORed", "",
       R"([{"matchExpressions": [{"key": "foo", "operator": "In", "values": ["x"]}]},
           {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]}]}])",
       true},
      {"expressions are ANDed", "",
       R"([{"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]},
                                 {"key": "cores", "operator": "Lt", "values": ["2"]}]}])",
       false},
      {"empty term matches nothing", "", R"([{}])", false},
      {"no terms match nothing", "", R"([])", false},
      {"an invalid term is ignored, not fatal", "",
       R"([{"matchExpressions": [{"key": "cores", "operator": "Gt", "values": ["x"]}]},
           {"matchExpressions": [{"key": "foo", "operator": "Exists"}]}])",
       true},
      {"both nodeSelector and affinity must match", R"({"foo": "bar"})",
       R"([{"matchExpressions": [{"key": "cores", "operator": "Lt", "values": ["2"]}]}])", false},
  };
  NodeAffinityPlugin plugin;
  Json n = node_json("n1");
  n["metadata"]["labels"]["foo"] = "bar";
  n["metadata"]["labels"]["cores"] = "8";
  auto info = node_info(n);
  auto snap = testing::snapshot({info});
  for (const Case& c : cases) {
    Json p = pod_json("p");
    if (!c.node_selector.empty()) p["spec"]["nodeSelector"] = Json::parse(c.node_selector);
    if (!c.affinity.empty()) {
      p["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
       ["nodeSelectorTerms"] = Json::parse(c.affinity);
    }
    expect_status(run_filter(plugin, *pod(p), snap, *info),
                  c.fits ? kOk
                         : Expect{Code::kUnschedulableAndUnresolvable,
                                  {"node(s) didn't match Pod's node affinity/selector"}},
                  c.name);
  }
}

TEST(NodeAffinityTest, ScoreSumsPreferredWeights) {
  Json a = node_json("a");
  a["metadata"]["labels"]["foo"] = "bar";
  Json b = node_json("b");
  b["metadata"]["labels"]["foo"] = "bar";
  b["metadata"]["labels"]["key"] = "value";
  Json c = node_json("c");
  auto snap = testing::snapshot({node_info(a), node_info(b), node_info(c)});
  Json p = pod_json("p");
  p["spec"]["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] =
      Json::parse(R"([
        {"weight": 2, "preference": {"matchExpressions": [{"key": "foo", "operator": "In", "values": ["bar"]}]}},
        {"weight": 4, "preference": {"matchExpressions": [{"key": "key", "operator": "Exists"}]}}])");
  NodeAffinityPlugin plugin;
  // Raw 2, 6, 0 scaled by the highest.
  EXPECT_EQ(run_score(plugin, *pod(p), snap), (std::vector<int64_t>{33, 100, 0}));
}

TEST(NodePortsTest, HostPortConflicts) {
  auto with_port = [](const std::string& name, const std::string& ip, const std::string& proto,
                      int port) {
    Json p = pod_json(name);
    Json hp = {{"containerPort", port}, {"hostPort", port}, {"protocol", proto}};
    if (!ip.empty()) hp["hostIP"] = ip;
    p["spec"]["containers"][0]["ports"] = Json::array({hp});
    return p;
  };
  struct Case {
    std::string name;
    Json existing;
    Json incoming;
    bool fits;
  };
  const std::vector<Case> cases = {
      {"different ports", with_port("e", "", "TCP", 8080), with_port("p", "", "TCP", 8081), true},
      {"same port", with_port("e", "", "TCP", 8080), with_port("p", "", "TCP", 8080), false},
      {"same port other protocol", with_port("e", "", "UDP", 8080), with_port("p", "", "TCP", 8080),
       true},
      {"different IPs", with_port("e", "127.0.0.1", "TCP", 8080),
       with_port("p", "127.0.0.2", "TCP", 8080), true},
      {"wildcard conflicts with an IP", with_port("e", "0.0.0.0", "TCP", 8080),
       with_port("p", "127.0.0.1", "TCP", 8080), false},
  };
  NodePortsPlugin plugin;
  for (const Case& c : cases) {
    auto info = node_info(node_json("n1"), {c.existing});
    expect_status(run_filter(plugin, *pod(c.incoming), testing::snapshot({info}), *info),
                  c.fits ? kOk
                         : Expect{Code::kUnschedulable,
                                  {"node(s) didn't have free ports for the requested pod ports"}},
                  c.name);
  }
}

TEST(NodeResourcesFitTest, Filter) {
  struct Case {
    std::string name;
    Json pod;
    Expect want;
  };
  Json gpu = pod_json("gpu", "100m");
  gpu["spec"]["containers"][0]["resources"]["requests"]["example.com/gpu"] = "2";
  Json storage = pod_json("storage");
  storage["spec"]["containers"][0]["resources"] = {{"requests", {{"ephemeral-storage", "6Gi"}}}};
  const std::vector<Case> cases = {
      {"fits", pod_json("p", "1", "1Gi"), kOk},
      {"no requests fit", pod_json("p"), kOk},
      {"insufficient cpu", pod_json("p", "2500m"), {Code::kUnschedulable, {"Insufficient cpu"}}},
      {"insufficient cpu and memory",
       pod_json("p", "2500m", "7Gi"),
       {Code::kUnschedulable, {"Insufficient cpu", "Insufficient memory"}}},
      {"more than the node has at all",
       pod_json("p", "5"),
       {Code::kUnschedulableAndUnresolvable, {"Insufficient cpu"}}},
      {"extended resource", gpu, {Code::kUnschedulable, {"Insufficient example.com/gpu"}}},
      {"ephemeral storage",
       storage,
       {Code::kUnschedulableAndUnresolvable, {"Insufficient ephemeral-storage"}}},
  };
  Json n = node_json("n1", "4", "8Gi", 3);
  n["status"]["allocatable"]["example.com/gpu"] = "3";
  n["status"]["allocatable"]["ephemeral-storage"] = "5Gi";
  Json used = pod_json("used", "2", "2Gi");
  used["spec"]["containers"][0]["resources"]["requests"]["example.com/gpu"] = "2";
  auto info = node_info(n, {used});
  NodeResourcesFitPlugin plugin;
  for (const Case& c : cases) {
    expect_status(run_filter(plugin, *pod(c.pod), testing::snapshot({info}), *info), c.want,
                  c.name);
  }
  auto full = node_info(n, {pod_json("a"), pod_json("b"), pod_json("c")});
  expect_status(run_filter(plugin, *pod(pod_json("p")), testing::snapshot({full}), *full),
                {Code::kUnschedulable, {"Too many pods"}}, "too many pods");
}

TEST(NodeResourcesFitTest, LeastAllocatedScore) {
  // Kubernetes' "nothing scheduled, resources requested, differently sized nodes" case.
  auto snap = testing::snapshot(
      {node_info(node_json("n1", "4", "10000")), node_info(node_json("n2", "6", "10000"))});
  NodeResourcesFitPlugin plugin;
  EXPECT_EQ(run_score(plugin, *pod(pod_json("p", "3", "5000")), snap),
            (std::vector<int64_t>{37, 50}));
  // Existing pods count with their non-zero requests: a best-effort pod is 100m / 200Mi.
  auto busy = testing::snapshot({node_info(node_json("n1", "1", "2Gi"), {pod_json("e")}),
                                 node_info(node_json("n2", "1", "2Gi"))});
  EXPECT_EQ(run_score(plugin, *pod(pod_json("p")), busy), (std::vector<int64_t>{80, 90}));
}

TEST(BalancedAllocationTest, Score) {
  auto snap = testing::snapshot(
      {node_info(node_json("n1", "4", "10000")), node_info(node_json("n2", "6", "10000"))});
  BalancedAllocationPlugin plugin;
  // Fractions 0.75/0.5 (std 0.125) and 0.5/0.5.
  EXPECT_EQ(run_score(plugin, *pod(pod_json("p", "3", "5000")), snap),
            (std::vector<int64_t>{87, 100}));
  // Best-effort pods are not scored.
  EXPECT_EQ(run_score(plugin, *pod(pod_json("p")), snap), (std::vector<int64_t>{0, 0}));
}

}  // namespace
}  // namespace bosun::scheduler
