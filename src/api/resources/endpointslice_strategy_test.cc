#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class EndpointSliceStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("discovery.k8s.io", "endpointslices", install_endpoint_slice); }
};

Json slice(Json extra = Json::object()) {
  Json s = Json::parse(R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
    "metadata":{"name":"web-abc12","namespace":"default"},"addressType":"IPv4"})");
  s.merge_patch(extra);
  return s;
}

TEST_F(EndpointSliceStrategyTest, DefaultsAndGeneration) {
  Json stored = create(slice(Json::parse(R"({"endpoints":[{"addresses":["10.244.0.5"]}],
                                        "ports":[{"port":80}]})")));
  EXPECT_EQ(stored["ports"][0], Json::parse(R"({"name":"","port":80,"protocol":"TCP"})"));
  EXPECT_EQ(stored["endpoints"][0]["conditions"], Json::object());
  EXPECT_EQ(stored["metadata"]["generation"], 1);
  Json empty = create(slice());
  EXPECT_TRUE(empty["endpoints"].is_null());
  EXPECT_TRUE(empty["ports"].is_null());

  Json n = stored;
  n["metadata"]["labels"] = {{"a", "b"}};
  s().prepare_for_update(n, stored);
  EXPECT_EQ(n["metadata"]["generation"], 1);
  n["endpoints"][0]["addresses"][0] = "10.244.0.6";
  s().prepare_for_update(n, stored);
  EXPECT_EQ(n["metadata"]["generation"], 2);
}

TEST_F(EndpointSliceStrategyTest, Validation) {
  EXPECT_EQ(create_errors(slice(Json::parse(R"({"endpoints":[{"addresses":["10.244.0.5"]}]})"))),
            "");
  Json bad = slice(Json::parse(R"({"addressType":"IPv5"})"));
  EXPECT_EQ(create_errors(bad),
            "addressType: Unsupported value: \"IPv5\": supported values: \"FQDN\", \"IPv4\", "
            "\"IPv6\"");
  EXPECT_EQ(create_errors(slice(Json::parse(R"({"endpoints":[{"addresses":[]}]})"))),
            "endpoints[0].addresses: Required value: must contain at least 1 address");
  EXPECT_EQ(create_errors(slice(Json::parse(R"({"endpoints":[{"addresses":["fd00::1"]}]})"))),
            "endpoints[0].addresses[0]: Invalid value: \"fd00::1\": must be a valid IPv4 address");
  EXPECT_EQ(create_errors(slice(Json::parse(R"({"ports":[{"name":"http","port":80},
                                                           {"name":"http","port":81}]})"))),
            "ports[1].name: Duplicate value: \"http\"");
  Json old = create(slice());
  Json changed = old;
  changed["addressType"] = "IPv6";
  EXPECT_EQ(update_errors(changed, old),
            "addressType: Invalid value: \"IPv6\": field is immutable");
}

TEST_F(EndpointSliceStrategyTest, Table) {
  ASSERT_EQ(s().table_columns.size(), 5u);
  EXPECT_EQ(s().table_columns[1].name, "AddressType");
  Json s1 = create(slice(Json::parse(R"({"metadata":{"name":"web-abc12","namespace":"default",
      "creationTimestamp":"2024-05-03T14:59:00Z"},
      "endpoints":[{"addresses":["10.0.0.1"]},{"addresses":["10.0.0.2"]},{"addresses":["10.0.0.3"]},
                   {"addresses":["10.0.0.4"]}],
      "ports":[{"name":"http","port":80},{"name":"any"}]})")));
  EXPECT_EQ(s().table_cells(s1),
            Json::parse(R"(["web-abc12","IPv4","80,any","10.0.0.1,10.0.0.2,10.0.0.3 + 1 more...",
                           "60s"])"));
  EXPECT_EQ(s().table_cells(create(slice()))[2], "<unset>");
}

}  // namespace
}  // namespace bosun::api::resources
