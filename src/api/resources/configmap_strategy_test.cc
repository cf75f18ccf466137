#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class ConfigMapStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("", "configmaps", install_config_map); }
};

Json cm(Json data) {
  Json c = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap",
                           "metadata":{"name":"app","namespace":"default"}})");
  c["data"] = std::move(data);
  return c;
}

TEST_F(ConfigMapStrategyTest, KeysAndSize) {
  EXPECT_EQ(create_errors(cm({{"app.conf", "x"}, {"KEY_1", "y"}})), "");
  EXPECT_EQ(create_errors(cm({{"a/b", "x"}})),
            "data[a/b]: Invalid value: \"a/b\": a valid config key must consist of alphanumeric "
            "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
            "used for validation is '[-._a-zA-Z0-9]+')");
  EXPECT_EQ(create_errors(cm({{"..", "x"}})), "data[..]: Invalid value: \"..\": must not be '..'");
  Json dup = cm({{"k", "x"}});
  dup["binaryData"] = {{"k", "eA=="}};
  EXPECT_EQ(create_errors(dup),
            "data[k]: Invalid value: \"k\": duplicate of key present in binaryData");
  EXPECT_EQ(create_errors(cm({{"big", std::string(1024 * 1024 + 1, 'x')}})),
            "Too long: may not be more than 1048576 bytes");
}

TEST_F(ConfigMapStrategyTest, ImmutableConfigMaps) {
  Json old = create(cm({{"k", "v"}}));
  old["immutable"] = true;
  Json c = old;
  c["data"]["k"] = "w";
  EXPECT_EQ(update_errors(c, old), "data: Forbidden: field is immutable when `immutable` is set");
  c = old;
  c["immutable"] = false;
  EXPECT_EQ(update_errors(c, old),
            "immutable: Forbidden: field is immutable when `immutable` is set");
  c = old;
  c["metadata"]["labels"] = {{"a", "b"}};
  EXPECT_EQ(update_errors(c, old), "");
}

TEST_F(ConfigMapStrategyTest, Table) {
  ASSERT_EQ(s().table_columns.size(), 3u);
  EXPECT_EQ(s().table_columns[1].name, "Data");
  Json c = cm({{"a", "1"}, {"b", "2"}});
  c["binaryData"] = {{"c", "AA=="}};
  c["metadata"]["creationTimestamp"] = "2024-05-03T14:00:00Z";
  EXPECT_EQ(s().table_cells(create(c)), Json::parse(R"(["app",3,"60m"])"));
}

}  // namespace
}  // namespace bosun::api::resources
