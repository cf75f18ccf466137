#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class ServiceAccountStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("", "serviceaccounts", install_service_account); }
};

TEST_F(ServiceAccountStrategyTest, OnlyMetadataIsValidated) {
  Json sa = Json::parse(R"({"apiVersion":"v1","kind":"ServiceAccount",
    "metadata":{"name":"builder","namespace":"default","finalizers":["cleanup"]}})");
  EXPECT_EQ(create_errors(sa),
            "metadata.finalizers[0]: Invalid value: \"cleanup\": name is neither a standard "
            "finalizer name nor is it fully qualified");
  sa["metadata"]["finalizers"] = Json::array({"example.com/cleanup"});
  EXPECT_EQ(create_errors(sa), "");
}

TEST_F(ServiceAccountStrategyTest, Table) {
  ASSERT_EQ(s().table_columns.size(), 3u);
  EXPECT_EQ(s().table_columns[1].name, "Secrets");
  Json sa = create(Json::parse(R"({"metadata":{"name":"default","namespace":"default",
    "creationTimestamp":"2024-05-03T14:59:30Z"},"secrets":[{"name":"a"}]})"));
  EXPECT_EQ(s().table_cells(sa), Json::parse(R"(["default",1,"30s"])"));
}

}  // namespace
}  // namespace bosun::api::resources
