#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::StrategyTest;

class RoleTest : public StrategyTest {
 protected:
  void SetUp() override { use("rbac.authorization.k8s.io", "roles", install_role); }
};
class ClusterRoleTest : public StrategyTest {
 protected:
  void SetUp() override { use("rbac.authorization.k8s.io", "clusterroles", install_cluster_role); }
};
class RoleBindingTest : public StrategyTest {
 protected:
  void SetUp() override { use("rbac.authorization.k8s.io", "rolebindings", install_role_binding); }
};
class ClusterRoleBindingTest : public StrategyTest {
 protected:
  void SetUp() override {
    use("rbac.authorization.k8s.io", "clusterrolebindings", install_cluster_role_binding);
  }
};

Json role(Json rules) {
  Json r = Json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role",
                           "metadata":{"name":"reader","namespace":"default"}})");
  if (!rules.is_null()) r["rules"] = std::move(rules);
  return r;
}

TEST_F(RoleTest, RulesNeedVerbsGroupsAndResources) {
  EXPECT_TRUE(create(role(nullptr))["rules"].is_null());
  EXPECT_EQ(create_errors(role(Json::parse(
                R"([{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}])"))),
            "");
  EXPECT_EQ(create_errors(role(Json::parse(R"([{"resources":["pods"]}])"))),
            "[rules[0].verbs: Required value: verbs must contain at least one value, "
            "rules[0].apiGroups: Required value: resource rules must supply at least one api "
            "group]");
  EXPECT_EQ(
      create_errors(role(Json::parse(R"([{"nonResourceURLs":["/healthz"],"verbs":["get"]}])"))),
      "rules[0].nonResourceURLs: Invalid value: [\"/healthz\"]: namespaced rules cannot "
      "apply to non-resource URLs");
  // Roles print Kubernetes' default Name / Created At columns.
  ASSERT_EQ(s().table_columns.size(), 2u);
  EXPECT_EQ(s().table_columns[1].name, "Created At");
}

TEST_F(ClusterRoleTest, NonResourceUrlsAndAggregation) {
  Json r = role(Json::parse(R"([{"nonResourceURLs":["/healthz"],"verbs":["get"]}])"));
  r["kind"] = "ClusterRole";
  r["metadata"].erase("namespace");
  EXPECT_EQ(create_errors(r), "");
  r["aggregationRule"] = {{"clusterRoleSelectors", Json::array()}};
  EXPECT_EQ(create_errors(r),
            "aggregationRule.clusterRoleSelectors: Required value: at least one "
            "clusterRoleSelector required if aggregationRule is non-nil");
}

Json binding(Json ref, Json subjects) {
  Json b = Json::parse(R"({"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding",
                           "metadata":{"name":"read-pods","namespace":"default"}})");
  b["roleRef"] = std::move(ref);
  b["subjects"] = std::move(subjects);
  return b;
}

TEST_F(RoleBindingTest, DefaultsValidationAndImmutableRoleRef) {
  Json b = create(binding(Json::parse(R"({"kind":"Role","name":"reader"})"),
                          Json::parse(R"([{"kind":"User","name":"jane"},
                                          {"kind":"ServiceAccount","name":"ci","namespace":"build"}])")));
  EXPECT_EQ(b["roleRef"]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_EQ(b["subjects"][0]["apiGroup"], "rbac.authorization.k8s.io");
  EXPECT_FALSE(b["subjects"][1].contains("apiGroup"));
  EXPECT_EQ(create_errors(b), "");

  EXPECT_EQ(create_errors(binding(Json::parse(R"({"kind":"Deployment","name":"x"})"),
                                  Json::parse(R"([{"kind":"Robot","name":"r"}])"))),
            "[roleRef.kind: Unsupported value: \"Deployment\": supported values: \"Role\", "
            "\"ClusterRole\", subjects[0].kind: Unsupported value: \"Robot\": supported values: "
            "\"ServiceAccount\", \"User\", \"Group\"]");

  Json changed = b;
  changed["roleRef"]["name"] = "admin";
  changed["roleRef"]["kind"] = "ClusterRole";
  EXPECT_EQ(update_errors(changed, b),
            "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", "
            "Kind:\"ClusterRole\", Name:\"admin\"}: cannot change roleRef");
}

TEST_F(RoleBindingTest, Table) {
  const auto& cols = s().table_columns;
  ASSERT_EQ(cols.size(), 6u);
  EXPECT_EQ(cols[1].name, "Role");
  EXPECT_EQ(cols[3].name, "Users");
  EXPECT_EQ(cols[3].priority, 1);
  Json b =
      create(binding(Json::parse(R"({"kind":"ClusterRole","name":"view"})"),
                     Json::parse(R"([{"kind":"User","name":"jane"},{"kind":"User","name":"joe"},
                                          {"kind":"Group","name":"devs"},
                                          {"kind":"ServiceAccount","name":"ci","namespace":"build"}])")));
  b["metadata"]["creationTimestamp"] = "2024-05-03T14:59:00Z";
  EXPECT_EQ(s().table_cells(b),
            Json::parse(R"(["read-pods","ClusterRole/view","60s","jane, joe","devs","build/ci"])"));
}

TEST_F(ClusterRoleBindingTest, OnlyClusterRolesAndNamespacedServiceAccounts) {
  Json b = binding(Json::parse(R"({"kind":"Role","name":"reader"})"),
                   Json::parse(R"([{"kind":"ServiceAccount","name":"ci"}])"));
  b["kind"] = "ClusterRoleBinding";
  b["metadata"].erase("namespace");
  EXPECT_EQ(create_errors(b),
            "[roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\", "
            "subjects[0].namespace: Required value]");
}

}  // namespace
}  // namespace bosun::api::resources
