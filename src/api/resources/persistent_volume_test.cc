#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;
using Strings = std::vector<std::string>;

Json minimal() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "PersistentVolume", "metadata": {"name": "pv1"},
    "spec": {"capacity": {"storage": "10240Mi"}, "accessModes": ["ReadWriteOnce"],
             "hostPath": {"path": "/data/pv1"}}
  })");
}

class PersistentVolumeTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("", "persistentvolumes", std::move(obj)); }
  Strings errors(const Json& obj) {
    return messages(s_.of("", "persistentvolumes").validate_create(obj));
  }
  Strings update_errors(const Json& obj, const Json& old) {
    return messages(s_.of("", "persistentvolumes").validate_update(obj, old));
  }
  Strategies s_;
};

TEST_F(PersistentVolumeTest, Defaults) {
  Json pv = create(minimal());
  EXPECT_EQ(pv["spec"], Json::parse(R"({
    "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"},
    "hostPath": {"path": "/data/pv1", "type": ""},
    "persistentVolumeReclaimPolicy": "Retain", "volumeMode": "Filesystem"})"));
  // The phase starts Pending with its transition time (PersistentVolumeLastPhaseTransitionTime).
  EXPECT_EQ(
      pv["status"],
      Json::parse(R"({"phase": "Pending", "lastPhaseTransitionTime": "2024-05-01T12:00:00Z"})"));
  EXPECT_EQ(errors(pv), Strings{});

  // Declarative defaults of the volume sources come from the schema.
  Json rbd = minimal();
  rbd["spec"].erase("hostPath");
  rbd["spec"]["rbd"] = {{"monitors", {"10.0.0.1:6789"}}, {"image", "disk"}};
  rbd = create(rbd);
  EXPECT_EQ(rbd["spec"]["rbd"]["pool"], "rbd");
  EXPECT_EQ(rbd["spec"]["rbd"]["user"], "admin");
}

TEST_F(PersistentVolumeTest, Validation) {
  Json empty = Json::parse(R"({"metadata": {"name": "pv"}, "spec": {}})");
  EXPECT_EQ(errors(create(empty)),
            (Strings{"spec.accessModes: Required value", "spec.capacity: Required value",
                     "spec.capacity: Unsupported value: core.ResourceList(nil): supported values: "
                     "\"storage\"",
                     "spec: Required value: must specify a volume type"}));

  Json pv = minimal();
  pv["spec"]["accessModes"] = {"ReadWriteOncePod", "ReadWriteOnce", "ReadWriteSometimes"};
  pv["spec"]["capacity"]["storage"] = "0";
  pv["spec"]["persistentVolumeReclaimPolicy"] = "Keep";
  pv["spec"]["nfs"] = {{"server", "nfs.example.com"}, {"path", "exports"}};
  pv["spec"]["volumeMode"] = "Raw";
  pv["spec"]["storageClassName"] = "Fast";
  EXPECT_EQ(
      errors(create(pv)),
      (Strings{"spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported "
               "values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", "
               "\"ReadWriteOncePod\"",
               "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access "
               "modes",
               "spec.capacity[storage]: Invalid value: \"0\": must be greater than zero",
               "spec.persistentVolumeReclaimPolicy: Unsupported value: \"Keep\": supported "
               "values: \"Delete\", \"Recycle\", \"Retain\"",
               "spec.nfs: Forbidden: may not specify more than 1 volume type",
               "spec.storageClassName: Invalid value: \"Fast\": a lowercase RFC 1123 "
               "subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
               "must start and end with an alphanumeric character (e.g. 'example.com', regex "
               "used for validation is "
               "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
               "spec.volumeMode: Unsupported value: \"Raw\": supported values: \"Block\", "
               "\"Filesystem\""}));

  Json nfs = minimal();
  nfs["spec"].erase("hostPath");
  nfs["spec"]["nfs"] = {{"path", "exports"}};
  EXPECT_EQ(errors(create(nfs)),
            (Strings{"spec.nfs.server: Required value",
                     "spec.nfs.path: Invalid value: \"exports\": must be an absolute path"}));

  Json local = minimal();
  local["spec"].erase("hostPath");
  local["spec"]["local"] = {{"path", "/mnt/disks/../ssd1"}};
  EXPECT_EQ(errors(create(local)),
            (Strings{"spec.local.path: Invalid value: \"/mnt/disks/../ssd1\": must not contain "
                     "'..'",
                     "spec.nodeAffinity: Required value: Local volume requires node affinity"}));
  local["spec"]["local"]["path"] = "/mnt/disks/ssd1";
  local["spec"]["nodeAffinity"] = Json::parse(R"({"required": {"nodeSelectorTerms": [
      {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In"}]}]}})");
  EXPECT_EQ(errors(create(local)),
            Strings{"spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values: "
                    "Required value: must be specified when `operator` is 'In' or 'NotIn'"});

  Json root = minimal();
  root["spec"]["hostPath"]["path"] = "/";
  root["spec"]["persistentVolumeReclaimPolicy"] = "Recycle";
  EXPECT_EQ(errors(create(root)),
            Strings{"spec.persistentVolumeReclaimPolicy: Forbidden: may not be 'recycle' for a "
                    "hostPath mount of '/'"});
}

TEST_F(PersistentVolumeTest, UpdateRules) {
  Json old = create(minimal());
  old["status"] = {{"phase", "Available"}};
  Json grown = old;
  grown["spec"]["capacity"]["storage"] = "20Gi";
  grown["spec"]["claimRef"] = {{"namespace", "default"}, {"name", "data"}};
  grown["status"] = {{"phase", "Bound"}};
  grown = s_.update("", "persistentvolumes", grown, old);
  EXPECT_EQ(grown["status"], old["status"]);
  EXPECT_EQ(update_errors(grown, old), Strings{});

  Json moved = old;
  moved["spec"]["hostPath"]["path"] = "/data/other";
  moved["spec"]["volumeMode"] = "Block";
  EXPECT_EQ(update_errors(moved, old),
            (Strings{"spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is "
                     "immutable after creation",
                     "volumeMode: Invalid value: \"Block\": field is immutable"}));
}

TEST_F(PersistentVolumeTest, Table) {
  const ResourceStrategy& st = s_.of("", "persistentvolumes");
  std::vector<std::pair<std::string, int>> cols;
  for (const TableColumn& c : st.table_columns) cols.emplace_back(c.name, c.priority);
  EXPECT_EQ(cols, (std::vector<std::pair<std::string, int>>{{"Name", 0},
                                                            {"Capacity", 0},
                                                            {"Access Modes", 0},
                                                            {"Reclaim Policy", 0},
                                                            {"Status", 0},
                                                            {"Claim", 0},
                                                            {"StorageClass", 0},
                                                            {"VolumeAttributesClass", 0},
                                                            {"Reason", 0},
                                                            {"Age", 0},
                                                            {"VolumeMode", 1}}));
  Json pv = create(minimal());
  pv["metadata"]["creationTimestamp"] = "2024-05-01T09:00:00Z";
  pv["spec"]["accessModes"] = {"ReadWriteMany", "ReadWriteOnce", "ReadWriteMany"};
  pv["spec"]["claimRef"] = {{"namespace", "default"}, {"name", "data"}};
  pv["spec"]["storageClassName"] = "manual";
  pv["status"] = {{"phase", "Bound"}};
  EXPECT_EQ(st.table_cells(pv), Json::parse(R"(["pv1", "10Gi", "RWO,RWX", "Retain", "Bound",
      "default/data", "manual", "<unset>", "", "3h", "Filesystem"])"));
  pv["metadata"]["deletionTimestamp"] = "2024-05-01T11:00:00Z";
  pv["metadata"]["annotations"] = {{"volume.beta.kubernetes.io/storage-class", "legacy"}};
  Json cells = st.table_cells(pv);
  EXPECT_EQ(cells[4], "Terminating");
  EXPECT_EQ(cells[6], "legacy");
}

TEST_F(PersistentVolumeTest, StatusPhaseTransitionTime) {
  SubresourceStrategy st = persistent_volume_status_strategy(s_.clock());
  Json old = create(minimal());
  s_.clock().advance(std::chrono::minutes(5));
  Json obj = old;
  obj["spec"]["capacity"]["storage"] = "1Ti";
  obj["status"]["phase"] = "Available";
  st.prepare_for_update(obj, old);
  EXPECT_EQ(obj["spec"], old["spec"]);
  EXPECT_EQ(obj["status"], Json::parse(R"({"phase": "Available",
      "lastPhaseTransitionTime": "2024-05-01T12:05:00Z"})"));
  EXPECT_TRUE(st.validate_update(obj, old).empty());
  // The same phase keeps its time; a writer's own time is kept.
  Json same = obj;
  st.prepare_for_update(same, obj);
  EXPECT_EQ(same["status"]["lastPhaseTransitionTime"], "2024-05-01T12:05:00Z");
  Json own = obj;
  own["status"] = {{"phase", "Bound"}, {"lastPhaseTransitionTime", "2024-05-01T12:04:00Z"}};
  st.prepare_for_update(own, obj);
  EXPECT_EQ(own["status"]["lastPhaseTransitionTime"], "2024-05-01T12:04:00Z");
}

}  // namespace
}  // namespace bosun::api::resources
