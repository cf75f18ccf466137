#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;
using Strings = std::vector<std::string>;

Json minimal() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": "web-6b79b55d8", "namespace": "default"},
    "spec": {
      "selector": {"matchLabels": {"app": "web", "pod-template-hash": "6b79b55d8"}},
      "template": {
        "metadata": {"labels": {"app": "web", "pod-template-hash": "6b79b55d8"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}
      }
    }
  })");
}

class ReplicaSetTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("apps", "replicasets", std::move(obj)); }
  Strings errors(const Json& obj) {
    return messages(s_.of("apps", "replicasets").validate_create(obj));
  }
  Strategies s_;
};

TEST_F(ReplicaSetTest, Defaults) {
  Json rs = create(minimal());
  EXPECT_EQ(rs["spec"]["replicas"], 1);
  EXPECT_EQ(rs["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(rs["spec"]["template"]["spec"]["restartPolicy"], "Always");
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["creationTimestamp"], nullptr);
  // ReplicaSetStatus.replicas is not omitempty: a fresh status still shows it.
  EXPECT_EQ(rs["status"], Json::parse(R"({"replicas": 0})"));
  EXPECT_EQ(rs["metadata"]["generation"], 1);
  EXPECT_FALSE(rs["spec"].contains("strategy"));
  EXPECT_EQ(errors(rs), Strings{});
}

TEST_F(ReplicaSetTest, Validation) {
  Json rs = minimal();
  rs["spec"]["replicas"] = -3;
  rs["spec"]["template"]["metadata"]["labels"].erase("pod-template-hash");
  rs["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 60;
  EXPECT_EQ(errors(create(rs)),
            (Strings{"spec.replicas: Invalid value: -3: must be greater than or equal to 0",
                     "spec.template.metadata.labels: Invalid value: "
                     "map[string]string{\"app\":\"web\"}: `selector` does not match template "
                     "`labels`",
                     "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds "
                     "in ReplicaSet is not Supported"}));

  // Kubernetes words the empty-selector error for ReplicaSets as for Deployments.
  Json empty = minimal();
  empty["spec"]["selector"] = {{"matchLabels", Json::object()}};
  EXPECT_EQ(
      errors(create(empty)),
      Strings{"spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, "
              "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is "
              "invalid for deployment"});
}

TEST_F(ReplicaSetTest, UpdateRules) {
  const ResourceStrategy& st = s_.of("apps", "replicasets");
  Json old = create(minimal());
  old["status"] = {{"replicas", 1}, {"readyReplicas", 1}};

  // Only spec changes bump the generation; annotations do not (unlike Deployments).
  Json annotated = minimal();
  annotated["metadata"]["annotations"] = {{"deployment.kubernetes.io/revision", "2"}};
  annotated = s_.update("apps", "replicasets", annotated, old);
  EXPECT_EQ(annotated["metadata"]["generation"], 1);
  EXPECT_EQ(annotated["status"], old["status"]);

  Json scaled = minimal();
  scaled["spec"]["replicas"] = 0;
  scaled = s_.update("apps", "replicasets", scaled, old);
  EXPECT_EQ(scaled["metadata"]["generation"], 2);
  EXPECT_EQ(messages(st.validate_update(scaled, old)), Strings{});

  Json reselected = minimal();
  reselected["spec"]["selector"]["matchLabels"].erase("pod-template-hash");
  reselected = s_.update("apps", "replicasets", reselected, old);
  EXPECT_EQ(messages(st.validate_update(reselected, old)),
            Strings{"spec.selector: Invalid value: "
                    "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, "
                    "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"});
}

TEST_F(ReplicaSetTest, Table) {
  const ResourceStrategy& st = s_.of("apps", "replicasets");
  std::vector<std::string> names;
  for (const TableColumn& c : st.table_columns) names.push_back(c.name + ":" + c.type);
  EXPECT_EQ(names,
            (Strings{"Name:string", "Desired:integer", "Current:integer", "Ready:integer",
                     "Age:string", "Containers:string", "Images:string", "Selector:string"}));
  Json rs = create(minimal());
  rs["spec"]["replicas"] = 3;
  rs["status"] = {{"replicas", 3}, {"readyReplicas", 1}};
  rs["metadata"]["creationTimestamp"] = "2024-05-01T11:50:00Z";
  EXPECT_EQ(st.table_cells(rs), Json::parse(R"(["web-6b79b55d8", 3, 3, 1, "10m", "nginx",
      "nginx:1.27", "app=web,pod-template-hash=6b79b55d8"])"));
  rs["spec"].erase("selector");
  // FormatLabelSelector prints an absent selector (which selects nothing) as <none>.
  EXPECT_EQ(st.table_cells(rs)[7], "<none>");
}

TEST_F(ReplicaSetTest, StatusSubresource) {
  SubresourceStrategy st = replica_set_status_strategy();
  Json old = create(minimal());
  Json obj = old;
  obj["spec"]["replicas"] = 5;
  obj["status"] = Json::parse(R"({"replicas": 1, "fullyLabeledReplicas": 2, "readyReplicas": 1,
      "availableReplicas": 1, "observedGeneration": 1})");
  st.prepare_for_update(obj, old);
  EXPECT_EQ(obj["spec"]["replicas"], 1);
  EXPECT_EQ(messages(st.validate_update(obj, old)),
            Strings{"status.fullyLabeledReplicas: Invalid value: 2: cannot be greater than "
                    "status.replicas"});
}

}  // namespace
}  // namespace bosun::api::resources
