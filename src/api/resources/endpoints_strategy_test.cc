#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class EndpointsStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("", "endpoints", install_endpoints); }
};

Json endpoints(Json subsets) {
  Json e = Json::parse(R"({"apiVersion":"v1","kind":"Endpoints",
                           "metadata":{"name":"web","namespace":"default"}})");
  e["subsets"] = std::move(subsets);
  return e;
}

TEST_F(EndpointsStrategyTest, PortProtocolDefaultsToTcp) {
  Json e = create(
      endpoints(Json::parse(R"([{"addresses":[{"ip":"10.244.0.5"}],"ports":[{"port":80}]}])")));
  EXPECT_EQ(e["subsets"][0]["ports"][0], Json::parse(R"({"port":80,"protocol":"TCP"})"));
  EXPECT_EQ(create_errors(e), "");
}

TEST_F(EndpointsStrategyTest, Validation) {
  EXPECT_EQ(create_errors(endpoints(Json::parse(R"([{"ports":[{"port":80}]}])"))),
            "subsets[0]: Required value: must specify `addresses` or `notReadyAddresses`");
  EXPECT_EQ(create_errors(endpoints(Json::parse(R"([{"addresses":[{"ip":"127.0.0.1"}]}])"))),
            "subsets[0].addresses[0].ip: Invalid value: \"127.0.0.1\": may not be in the loopback "
            "range (127.0.0.0/8, ::1/128)");
  EXPECT_EQ(create_errors(endpoints(Json::parse(R"([{"addresses":[{"ip":"fe80::1"}]}])"))),
            "subsets[0].addresses[0].ip: Invalid value: \"fe80::1\": may not be in the "
            "link-local range (169.254.0.0/16, fe80::/10)");
  EXPECT_EQ(
      create_errors(endpoints(Json::parse(
          R"([{"addresses":[{"ip":"10.0.0.1"}],"ports":[{"port":80},{"name":"b","port":0}]}])"))),
      "[subsets[0].ports[0].name: Required value, subsets[0].ports[1].port: Invalid value: "
      "0: must be between 1 and 65535, inclusive]");
}

TEST_F(EndpointsStrategyTest, Table) {
  EXPECT_EQ(s().table_columns[1].name, "Endpoints");
  Json e = endpoints(Json::parse(R"([
    {"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.2"}],"ports":[{"port":80},{"port":443}]},
    {"addresses":[{"ip":"fd00::1"}],"ports":[{"port":8080}]}])"));
  e["metadata"]["creationTimestamp"] = "2024-05-03T14:00:00Z";
  EXPECT_EQ(s().table_cells(create(e)),
            Json::parse(R"(["web","10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...","60m"])"));
  EXPECT_EQ(s().table_cells(create(endpoints(Json::array())))[1], "<none>");
  // Headless: addresses without ports.
  EXPECT_EQ(
      s().table_cells(create(endpoints(Json::parse(R"([{"addresses":[{"ip":"fd00::2"}]}])"))))[1],
      "fd00::2");
  EXPECT_EQ(s().table_cells(create(endpoints(
                Json::parse(R"([{"addresses":[{"ip":"fd00::2"}],"ports":[{"port":53}]}])"))))[1],
            "[fd00::2]:53");
}

}  // namespace
}  // namespace bosun::api::resources
