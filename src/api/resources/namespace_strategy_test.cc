#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class NamespaceStrategyTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("", "namespaces", install_namespace); }
};

Json ns(std::string_view name = "team-a") {
  Json n = Json::parse(R"({"apiVersion":"v1","kind":"Namespace","metadata":{}})");
  n["metadata"]["name"] = name;
  return n;
}

// kubectl create namespace team-a; kubectl get ns team-a -o yaml.
TEST_F(NamespaceStrategyTest, CreateAddsLabelFinalizerAndPhase) {
  Json n = ns();
  n["status"] = {{"phase", "Terminating"}};
  n = create(n);
  EXPECT_EQ(n["metadata"]["labels"], Json::parse(R"({"kubernetes.io/metadata.name":"team-a"})"));
  EXPECT_EQ(n["spec"], Json::parse(R"({"finalizers":["kubernetes"]})"));
  EXPECT_EQ(n["status"], Json::parse(R"({"phase":"Active"})"));
  EXPECT_EQ(create_errors(ns()), "");
}

TEST_F(NamespaceStrategyTest, TheNameLabelCannotBeChanged) {
  Json n = ns();
  n["metadata"]["labels"] = {{"kubernetes.io/metadata.name", "other"}, {"team", "a"}};
  s().default_fields(n);
  EXPECT_EQ(n["metadata"]["labels"]["kubernetes.io/metadata.name"], "team-a");
  EXPECT_EQ(n["metadata"]["labels"]["team"], "a");
}

TEST_F(NamespaceStrategyTest, UpdateKeepsFinalizersAndStatus) {
  Json old = create(ns());
  Json n = old;
  n["spec"]["finalizers"] = Json::array();
  n["status"]["phase"] = "Terminating";
  s().prepare_for_update(n, old);
  EXPECT_EQ(n["spec"]["finalizers"], Json::array({"kubernetes"}));
  EXPECT_EQ(n["status"]["phase"], "Active");

  // Only namespaces/finalize changes the finalizers.
  n = old;
  n["spec"]["finalizers"] = Json::array();
  SubresourceStrategy fin = namespace_finalize_strategy();
  fin.prepare_for_update(n, old);
  EXPECT_EQ(n["spec"]["finalizers"], Json::array());
  n["spec"]["finalizers"] = Json::array({"example"});
  EXPECT_EQ(agg(fin.validate_update(n, old)),
            "spec.finalizers[0]: Invalid value: \"example\": name is neither a standard "
            "finalizer name nor is it fully qualified");
}

TEST_F(NamespaceStrategyTest, StatusPhaseFollowsDeletion) {
  Json old = create(ns());
  SubresourceStrategy st = namespace_status_strategy();
  Json n = old;
  n["status"]["phase"] = "Terminating";
  EXPECT_EQ(agg(st.validate_update(n, old)),
            "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if "
            "`deletionTimestamp` is empty");
  n["metadata"]["deletionTimestamp"] = "2024-05-03T15:00:00Z";
  EXPECT_EQ(agg(st.validate_update(n, old)), "");
}

TEST_F(NamespaceStrategyTest, SpecFinalizerNames) {
  Json n = ns();
  n["spec"]["finalizers"] = Json::array({"foo", "example.com/cleanup"});
  s().default_fields(n);
  EXPECT_EQ(agg(s().validate_create(n)),
            "spec.finalizers: Invalid value: \"foo\": name is neither a standard finalizer name "
            "nor is it fully qualified");
}

TEST_F(NamespaceStrategyTest, Table) {
  ASSERT_EQ(s().table_columns.size(), 3u);
  EXPECT_EQ(s().table_columns[1].name, "Status");
  Json n = create(ns());
  n["metadata"]["creationTimestamp"] = "2024-05-03T14:59:55Z";
  EXPECT_EQ(s().table_cells(n), Json::parse(R"(["team-a","Active","5s"])"));
}

}  // namespace
}  // namespace bosun::api::resources
