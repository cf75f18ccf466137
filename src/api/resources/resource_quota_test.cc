#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;
using Strings = std::vector<std::string>;

Json quota(Json hard) {
  Json q = Json::parse(R"({"apiVersion": "v1", "kind": "ResourceQuota",
      "metadata": {"name": "compute", "namespace": "team-a"}, "spec": {}})");
  q["spec"]["hard"] = std::move(hard);
  return q;
}

class ResourceQuotaTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("", "resourcequotas", std::move(obj)); }
  Strings errors(const Json& obj) {
    return messages(s_.of("", "resourcequotas").validate_create(obj));
  }
  Strategies s_;
};

TEST_F(ResourceQuotaTest, QuantitiesAreStoredCanonically) {
  Json q = create(quota(Json::parse(
      R"({"cpu": 1, "requests.memory": "1024Mi", "pods": "10", "limits.cpu": "0.5",
          "requests.storage": "0.0001"})")));
  // SetDefaults_ResourceList rounds up to milli precision; printing is canonical.
  EXPECT_EQ(q["spec"]["hard"], Json::parse(R"({"cpu": "1", "requests.memory": "1Gi",
      "pods": "10", "limits.cpu": "500m", "requests.storage": "1m"})"));
  EXPECT_EQ(q["status"], Json::object());
  EXPECT_EQ(errors(q), Strings{});
}

TEST_F(ResourceQuotaTest, ResourceNamesAndValues) {
  Json q = create(quota(Json::parse(
      R"({"foo": "1", "cpu": "-1", "pods": "1.5", "count/deployments.apps": "2",
          "requests.nvidia.com/gpu": "4"})")));
  EXPECT_EQ(
      errors(q),
      (Strings{"spec.hard[cpu]: Invalid value: \"-1\": must be greater than or equal to 0",
               "spec.hard[foo]: Invalid value: \"foo\": must be a standard resource type or "
               "fully qualified",
               "spec.hard[foo]: Invalid value: \"foo\": must be a standard resource for quota",
               "spec.hard[pods]: Invalid value: \"1500m\": must be an integer"}));
}

TEST_F(ResourceQuotaTest, Scopes) {
  Json conflicting = quota({{"pods", "10"}});
  conflicting["spec"]["scopes"] = {"BestEffort", "NotBestEffort"};
  EXPECT_EQ(errors(create(conflicting)),
            Strings{"spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\", "
                    "\"NotBestEffort\"}: conflicting scopes"});

  Json misapplied = quota({{"requests.cpu", "1"}});
  misapplied["spec"]["scopes"] = {"BestEffort"};
  EXPECT_EQ(errors(create(misapplied)),
            Strings{"spec.scopes: Invalid value: []core.ResourceQuotaScope{\"BestEffort\"}: "
                    "unsupported scope applied to resource"});

  Json unknown = quota({{"pods", "1"}});
  unknown["spec"]["scopes"] = {"Sometimes"};
  EXPECT_EQ(errors(create(unknown)),
            Strings{"spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Sometimes\"}: "
                    "unsupported scope"});

  Json selector = quota({{"pods", "1"}});
  selector["spec"]["scopeSelector"] = Json::parse(R"({"matchExpressions": [
      {"scopeName": "PriorityClass", "operator": "In"},
      {"scopeName": "Terminating", "operator": "In", "values": ["x"]}]})");
  EXPECT_EQ(errors(create(selector)),
            (Strings{"spec.scopeSelector.matchExpressions.values: Required value: must be at least "
                     "one value when `operator` is 'In' or 'NotIn' for scope selector",
                     "spec.scopeSelector.matchExpressions.operator: Invalid value: \"In\": must be "
                     "'Exists' when scope is any of ResourceQuotaScopeTerminating, "
                     "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
                     "ResourceQuotaScopeNotBestEffort or "
                     "ResourceQuotaScopeCrossNamespacePodAffinity"}));
}

TEST_F(ResourceQuotaTest, ScopesAreImmutable) {
  const ResourceStrategy& st = s_.of("", "resourcequotas");
  Json old = quota({{"pods", "10"}});
  old["spec"]["scopes"] = {"NotTerminating"};
  old = create(old);
  old["status"] = {{"hard", {{"pods", "10"}}}, {"used", {{"pods", "3"}}}};
  Json raised = old;
  raised["spec"]["hard"]["pods"] = "20";
  raised["status"] = Json::object();
  raised = s_.update("", "resourcequotas", raised, old);
  EXPECT_EQ(raised["status"], old["status"]);
  EXPECT_EQ(messages(st.validate_update(raised, old)), Strings{});
  Json rescoped = old;
  rescoped["spec"]["scopes"] = {"Terminating"};
  EXPECT_EQ(messages(st.validate_update(rescoped, old)),
            Strings{"spec.scopes: Invalid value: []core.ResourceQuotaScope{\"Terminating\"}: "
                    "field is immutable"});
}

TEST_F(ResourceQuotaTest, Table) {
  const ResourceStrategy& st = s_.of("", "resourcequotas");
  std::vector<std::string> names;
  for (const TableColumn& c : st.table_columns) names.push_back(c.name);
  EXPECT_EQ(names, (Strings{"Name", "Request", "Limit", "Age"}));
  Json q = create(quota(Json::object()));
  q["metadata"]["creationTimestamp"] = "2024-04-01T12:00:00Z";
  q["status"] = Json::parse(R"({
    "hard": {"pods": "10", "requests.cpu": "1", "limits.memory": "2Gi", "limits.cpu": "2"},
    "used": {"pods": "3", "requests.cpu": "500m", "limits.cpu": "1"}})");
  EXPECT_EQ(st.table_cells(q), Json::parse(R"(["compute", "pods: 3/10, requests.cpu: 500m/1",
                "limits.cpu: 1/2, limits.memory: 0/2Gi", "30d"])"));
  // Before the quota controller reports, both columns are empty.
  EXPECT_EQ(st.table_cells(create(quota({{"pods", "1"}})))[1], "");
}

TEST_F(ResourceQuotaTest, StatusSubresource) {
  SubresourceStrategy st = resource_quota_status_strategy();
  Json old = create(quota({{"pods", "10"}}));
  Json obj = old;
  obj["spec"]["hard"]["pods"] = "99";
  obj["status"] = Json::parse(R"({"hard": {"pods": "10"}, "used": {"pods": "-1"}})");
  st.prepare_for_update(obj, old);
  EXPECT_EQ(obj["spec"], old["spec"]);
  EXPECT_EQ(
      messages(st.validate_update(obj, old)),
      Strings{"status.used[pods]: Invalid value: \"-1\": must be greater than or equal to 0"});
}

}  // namespace
}  // namespace bosun::api::resources
