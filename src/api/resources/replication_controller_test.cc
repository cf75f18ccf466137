#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;
using Strings = std::vector<std::string>;

// An RC written the old way: only the template has labels.
Json minimal() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "ReplicationController",
    "metadata": {"name": "nginx", "namespace": "default"},
    "spec": {
      "template": {
        "metadata": {"labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx", "ports": [{"containerPort": 80}]}]}
      }
    }
  })");
}

class ReplicationControllerTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("", "replicationcontrollers", std::move(obj)); }
  Strings errors(const Json& obj) {
    return messages(s_.of("", "replicationcontrollers").validate_create(obj));
  }
  Strategies s_;
};

TEST_F(ReplicationControllerTest, SelectorAndLabelsComeFromTheTemplate) {
  Json rc = create(minimal());
  EXPECT_EQ(rc["spec"]["selector"], Json::parse(R"({"app": "nginx"})"));
  EXPECT_EQ(rc["metadata"]["labels"], Json::parse(R"({"app": "nginx"})"));
  EXPECT_EQ(rc["spec"]["replicas"], 1);
  EXPECT_EQ(rc["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"], "TCP");
  EXPECT_EQ(rc["status"], Json::parse(R"({"replicas": 0})"));
  EXPECT_EQ(rc["metadata"]["generation"], 1);
  EXPECT_EQ(errors(rc), Strings{});

  // What the user wrote wins.
  Json own = minimal();
  own["spec"]["selector"] = {{"app", "nginx"}};
  own["metadata"]["labels"] = {{"team", "web"}};
  own = create(own);
  EXPECT_EQ(own["metadata"]["labels"], Json::parse(R"({"team": "web"})"));
}

TEST_F(ReplicationControllerTest, Validation) {
  Json no_labels = minimal();
  no_labels["spec"]["template"]["metadata"].erase("labels");
  EXPECT_EQ(errors(create(no_labels)), Strings{"spec.selector: Required value"});

  Json mismatch = minimal();
  mismatch["spec"]["selector"] = {{"app", "other"}};
  mismatch["spec"]["replicas"] = -1;
  mismatch["spec"]["template"]["spec"]["restartPolicy"] = "OnFailure";
  EXPECT_EQ(errors(create(mismatch)),
            (Strings{"spec.replicas: Invalid value: -1: must be greater than or equal to 0",
                     "spec.template.metadata.labels: Invalid value: "
                     "map[string]string{\"app\":\"nginx\"}: `selector` does not match template "
                     "`labels`",
                     "spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": "
                     "supported values: \"Always\""}));

  Json no_template = Json::parse(R"({"spec": {"selector": {"app": "x"}}})");
  EXPECT_EQ(errors(create(no_template)), Strings{"spec.template: Required value"});
}

TEST_F(ReplicationControllerTest, SelectorMayChangeInCoreV1) {
  const ResourceStrategy& st = s_.of("", "replicationcontrollers");
  Json old = create(minimal());
  Json changed = minimal();
  changed["spec"]["selector"] = {{"app", "nginx"}, {"tier", "web"}};
  changed["spec"]["template"]["metadata"]["labels"]["tier"] = "web";
  changed = s_.update("", "replicationcontrollers", changed, old);
  EXPECT_EQ(messages(st.validate_update(changed, old)), Strings{});
  EXPECT_EQ(changed["metadata"]["generation"], 2);
}

TEST_F(ReplicationControllerTest, Table) {
  const ResourceStrategy& st = s_.of("", "replicationcontrollers");
  Json rc = create(minimal());
  rc["metadata"]["creationTimestamp"] = "2024-05-01T11:59:15Z";
  rc["status"] = {{"replicas", 1}};
  EXPECT_EQ(st.table_cells(rc),
            Json::parse(R"(["nginx", 1, 1, 0, "45s", "nginx", "nginx", "app=nginx"])"));
  EXPECT_EQ(st.table_columns.back().name, "Selector");
  EXPECT_EQ(st.table_columns.back().priority, 1);
}

TEST_F(ReplicationControllerTest, ScaleAndStatus) {
  Json rc = create(minimal());
  rc["status"] = {{"replicas", 1}, {"readyReplicas", 1}, {"availableReplicas", 1}};
  Json scale = scale_of(rc);
  EXPECT_EQ(scale["status"], Json::parse(R"({"replicas": 1, "selector": "app=nginx"})"));
  EXPECT_EQ(scale["spec"], Json::parse(R"({"replicas": 1})"));

  SubresourceStrategy st = replication_controller_status_strategy();
  Json obj = rc;
  obj["status"]["availableReplicas"] = 2;
  st.prepare_for_update(obj, rc);
  EXPECT_EQ(messages(st.validate_update(obj, rc)),
            (Strings{"status.availableReplicas: Invalid value: 2: cannot be greater than "
                     "status.replicas",
                     "status.availableReplicas: Invalid value: 2: cannot be greater than "
                     "readyReplicas"}));
}

}  // namespace
}  // namespace bosun::api::resources
