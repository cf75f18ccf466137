#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;
using Strings = std::vector<std::string>;

Json minimal() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolumeClaim",
    "metadata": {"name": "data", "namespace": "default"},
    "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard",
             "resources": {"requests": {"storage": "1024Mi"}}}
  })");
}

class PersistentVolumeClaimTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("", "persistentvolumeclaims", std::move(obj)); }
  Strings errors(const Json& obj) {
    return messages(s_.of("", "persistentvolumeclaims").validate_create(obj));
  }
  Strings update_errors(const Json& obj, const Json& old) {
    return messages(s_.of("", "persistentvolumeclaims").validate_update(obj, old));
  }
  // A claim the volume controller has bound to pv1.
  Json bound() {
    Json pvc = create(minimal());
    pvc["spec"]["volumeName"] = "pv1";
    pvc["status"] = Json::parse(R"({"phase": "Bound", "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": "1Gi"}})");
    return pvc;
  }
  Strategies s_;
};

TEST_F(PersistentVolumeClaimTest, Defaults) {
  Json pvc = create(minimal());
  EXPECT_EQ(pvc["spec"], Json::parse(R"({"accessModes": ["ReadWriteOnce"],
      "storageClassName": "standard", "volumeMode": "Filesystem",
      "resources": {"requests": {"storage": "1Gi"}}})"));
  EXPECT_EQ(pvc["status"], Json::parse(R"({"phase": "Pending"})"));
  EXPECT_EQ(errors(pvc), Strings{});

  // dataSource and dataSourceRef are kept in step (AnyVolumeDataSource).
  Json cloned = minimal();
  cloned["spec"]["dataSource"] = {{"kind", "PersistentVolumeClaim"}, {"name", "origin"}};
  cloned = create(cloned);
  EXPECT_EQ(cloned["spec"]["dataSourceRef"],
            Json::parse(R"({"kind": "PersistentVolumeClaim", "name": "origin"})"));
  EXPECT_EQ(errors(cloned), Strings{});
}

TEST_F(PersistentVolumeClaimTest, Validation) {
  Json empty = Json::parse(R"({"metadata": {"name": "x"}, "spec": {}})");
  EXPECT_EQ(errors(create(empty)),
            (Strings{"spec.accessModes: Required value: at least 1 access mode is required",
                     "spec.resources[storage]: Required value"}));
  Json zero = minimal();
  zero["spec"]["resources"]["requests"]["storage"] = "0";
  zero["spec"]["dataSource"] = {{"kind", "Snapshot"}, {"name", "s1"}};
  zero["spec"]["dataSourceRef"] = {{"kind", "Snapshot"}, {"name", "s2"}};
  EXPECT_EQ(
      errors(create(zero)),
      (Strings{"spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
               "spec.dataSource: Invalid value: \"Snapshot\": must be 'PersistentVolumeClaim' "
               "when referencing the default apiGroup",
               "spec.dataSourceRef: Invalid value: \"Snapshot\": must be "
               "'PersistentVolumeClaim' when referencing the default apiGroup",
               "spec: Invalid value: \"spec.dataSource\": must match dataSourceRef"}));
}

TEST_F(PersistentVolumeClaimTest, SpecIsImmutableButBoundClaimsGrow) {
  Json old = bound();
  // Binding sets volumeName once.
  Json unbound = create(minimal());
  Json binding = unbound;
  binding["spec"]["volumeName"] = "pv1";
  EXPECT_EQ(update_errors(s_.update("", "persistentvolumeclaims", binding, unbound), unbound),
            Strings{});

  Json reclassed = old;
  reclassed["spec"]["storageClassName"] = "fast";
  EXPECT_EQ(update_errors(s_.update("", "persistentvolumeclaims", reclassed, old), old),
            Strings{"spec: Forbidden: spec is immutable after creation except resources.requests "
                    "and volumeAttributesClassName for bound claims"});

  Json grown = old;
  grown["spec"]["resources"]["requests"]["storage"] = "2Gi";
  grown = s_.update("", "persistentvolumeclaims", grown, old);
  EXPECT_EQ(grown["status"], old["status"]);
  EXPECT_EQ(update_errors(grown, old), Strings{});

  Json shrunk = old;
  shrunk["spec"]["resources"]["requests"]["storage"] = "512Mi";
  EXPECT_EQ(update_errors(s_.update("", "persistentvolumeclaims", shrunk, old), old),
            Strings{"spec.resources.requests.storage: Forbidden: field can not be less than "
                    "status.capacity"});

  // An unbound claim cannot be resized at all.
  Json resized = unbound;
  resized["spec"]["resources"]["requests"]["storage"] = "2Gi";
  EXPECT_EQ(update_errors(s_.update("", "persistentvolumeclaims", resized, unbound), unbound),
            Strings{"spec: Forbidden: spec is immutable after creation except resources.requests "
                    "and volumeAttributesClassName for bound claims"});
}

TEST_F(PersistentVolumeClaimTest, Table) {
  const ResourceStrategy& st = s_.of("", "persistentvolumeclaims");
  std::vector<std::string> names;
  for (const TableColumn& c : st.table_columns) names.push_back(c.name);
  EXPECT_EQ(names, (Strings{"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
                            "VolumeAttributesClass", "Age", "VolumeMode"}));
  Json pending = create(minimal());
  pending["metadata"]["creationTimestamp"] = "2024-05-01T12:00:00Z";
  EXPECT_EQ(st.table_cells(pending), Json::parse(R"(["data", "Pending", "", "", "", "standard",
      "<unset>", "0s", "Filesystem"])"));
  Json b = bound();
  b["metadata"]["creationTimestamp"] = "2024-05-01T11:58:00Z";
  EXPECT_EQ(st.table_cells(b), Json::parse(R"(["data", "Bound", "pv1", "1Gi", "RWO", "standard",
      "<unset>", "2m", "Filesystem"])"));
}

TEST_F(PersistentVolumeClaimTest, StatusSubresource) {
  SubresourceStrategy st = persistent_volume_claim_status_strategy();
  Json old = bound();
  Json obj = old;
  obj["spec"]["storageClassName"] = "other";
  obj["status"]["allocatedResources"] = {{"storage", "2Gi"}, {"cpu", "1"}};
  obj["status"]["allocatedResourceStatuses"] = {{"storage", "Resizing"}};
  st.prepare_for_update(obj, old);
  EXPECT_EQ(obj["spec"]["storageClassName"], "standard");
  EXPECT_EQ(messages(st.validate_update(obj, old)),
            (Strings{"status.allocatedResourceStatus: Unsupported value: \"storage\": supported "
                     "values: \"ControllerResizeInProgress\", \"ControllerResizeInfeasible\", "
                     "\"NodeResizeInProgress\", \"NodeResizeInfeasible\", \"NodeResizePending\"",
                     "status.allocatedResources: Unsupported value: \"cpu\": supported values: "
                     "\"storage\""}));
}

}  // namespace
}  // namespace bosun::api::resources
