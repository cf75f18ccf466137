#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class SecretStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("", "secrets", install_secret); }
};

Json secret(Json extra = Json::object()) {
  Json s = Json::parse(R"({"apiVersion":"v1","kind":"Secret",
                           "metadata":{"name":"creds","namespace":"default"}})");
  s.merge_patch(extra);
  return s;
}

TEST_F(SecretStrategyTest, TypeDefaultsToOpaqueAndStringDataIsMergedIntoData) {
  Json s = create(secret(Json::parse(
      R"({"data":{"user":"YWRtaW4=","pass":"b2xk"},"stringData":{"pass":"s3cr3t","host":"db"}})")));
  EXPECT_EQ(s["type"], "Opaque");
  EXPECT_FALSE(s.contains("stringData"));
  EXPECT_EQ(s["data"], Json::parse(R"({"user":"YWRtaW4=","pass":"czNjcjN0","host":"ZGI="})"));
}

TEST_F(SecretStrategyTest, Validation) {
  EXPECT_EQ(create_errors(secret(Json::parse(R"({"data":{"a b":"eA=="}})"))),
            "data[a b]: Invalid value: \"a b\": a valid config key must consist of alphanumeric "
            "characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex "
            "used for validation is '[-._a-zA-Z0-9]+')");
  EXPECT_EQ(create_errors(secret(Json::parse(R"({"type":"kubernetes.io/tls","data":{}})"))),
            "[data[tls.crt]: Required value, data[tls.key]: Required value]");
  EXPECT_EQ(create_errors(secret(Json::parse(R"({"type":"kubernetes.io/service-account-token"})"))),
            "metadata.annotations[kubernetes.io/service-account.name]: Required value");
  EXPECT_EQ(
      create_errors(secret(Json::parse(
          R"({"type":"kubernetes.io/dockerconfigjson","data":{".dockerconfigjson":"e30="}})"))),
      "");
  Json big = secret();
  big["stringData"] = {{"blob", std::string(1024 * 1024 + 1, 'x')}};
  EXPECT_EQ(create_errors(big), "data: Too long: may not be more than 1048576 bytes");
}

TEST_F(SecretStrategyTest, TypeIsImmutable) {
  Json old = create(secret());
  Json s = old;
  s["type"] = "kubernetes.io/basic-auth";
  s["data"] = {{"username", "YQ=="}};
  EXPECT_EQ(update_errors(s, old),
            "type: Invalid value: \"kubernetes.io/basic-auth\": field is immutable");
}

TEST_F(SecretStrategyTest, Table) {
  ASSERT_EQ(s().table_columns.size(), 4u);
  EXPECT_EQ(s().table_columns[1].name, "Type");
  EXPECT_EQ(s().table_columns[2].name, "Data");
  Json s1 = create(secret(Json::parse(R"({"stringData":{"a":"1","b":"2"},
                                          "metadata":{"name":"creds","namespace":"default",
                                          "creationTimestamp":"2024-05-03T14:58:00Z"}})")));
  EXPECT_EQ(s().table_cells(s1), Json::parse(R"(["creds","Opaque",2,"2m"])"));
}

}  // namespace
}  // namespace bosun::api::resources
