#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class LeaseStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("coordination.k8s.io", "leases", install_lease); }
};

Json lease(Json spec) {
  Json l = Json::parse(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease",
                           "metadata":{"name":"node-1","namespace":"kube-node-lease"}})");
  if (!spec.is_null()) l["spec"] = std::move(spec);
  return l;
}

TEST_F(LeaseStrategyTest, SpecIsAlwaysPresent) {
  EXPECT_EQ(create(lease(nullptr))["spec"], Json::object());
}

TEST_F(LeaseStrategyTest, Validation) {
  EXPECT_EQ(create_errors(lease(Json::parse(R"({"holderIdentity":"node-1",
      "leaseDurationSeconds":40,"renewTime":"2024-05-03T14:59:50.000000Z"})"))),
            "");
  EXPECT_EQ(
      create_errors(lease(Json::parse(R"({"leaseDurationSeconds":0,"leaseTransitions":-1})"))),
      "[spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0, "
      "spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0]");
  EXPECT_EQ(create_errors(lease(Json::parse(R"({"preferredHolder":"b"})"))),
            "spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined");
  EXPECT_EQ(create_errors(lease(Json::parse(R"({"strategy":"Newest"})"))),
            "spec.strategy.strategy: Unsupported value: \"Newest\": supported values: "
            "\"OldestEmulationVersion\"");
}

TEST_F(LeaseStrategyTest, Table) {
  ASSERT_EQ(s().table_columns.size(), 3u);
  EXPECT_EQ(s().table_columns[1].name, "Holder");
  Json l = create(lease(Json::parse(R"({"holderIdentity":"node-1_5f2d"})")));
  l["metadata"]["creationTimestamp"] = "2024-05-03T14:59:58Z";
  EXPECT_EQ(s().table_cells(l), Json::parse(R"(["node-1","node-1_5f2d","2s"])"));
}

}  // namespace
}  // namespace bosun::api::resources
