#include "api/structured_merge.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/decode.h"

namespace bosun::api {
namespace {

using ::testing::ElementsAre;

const SchemaType* deployment() { return SchemaSet::global().find("apps", "v1", "Deployment"); }
const SchemaType* pod() { return SchemaSet::global().find("", "v1", "Pod"); }

Json yaml(const char* text) {
  auto docs = decode_manifests(text);
  EXPECT_TRUE(docs.ok()) << docs.error().message;
  return docs.ok() && !docs->empty() ? (*docs)[0] : Json();
}

// The kubectl apply --server-side body of a small Deployment.
const char* kConfig = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  labels: {app: nginx}
spec:
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        args: ["-g", "daemon off;"]
        ports:
        - containerPort: 80
        env:
        - {name: A, value: "1"}
)";

TEST(ToFieldSetTest, AppliedDeploymentOwnsWhatItSets) {
  std::vector<std::string> errors;
  FieldSet set = to_field_set(deployment(), yaml(kConfig), &errors);
  EXPECT_TRUE(errors.empty());
  // As kube-apiserver records an apply: list-map items by key (the port's protocol from its
  // default), the items themselves as members, atomic args and selector as leaves, label entries
  // but not the maps holding them.
  EXPECT_EQ(
      set.to_fields_v1_string(),
      R"({"f:apiVersion":{},"f:kind":{},"f:metadata":{"f:labels":{"f:app":{}},"f:name":{}},)"
      R"("f:spec":{"f:replicas":{},"f:selector":{},"f:template":{"f:metadata":{"f:labels":{"f:app":{}}},)"
      R"("f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:args":{},)"
      R"("f:env":{"k:{\"name\":\"A\"}":{".":{},"f:name":{},"f:value":{}}},"f:image":{},"f:name":{},)"
      R"("f:ports":{"k:{\"containerPort\":80,\"protocol\":\"TCP\"}":{".":{},"f:containerPort":{}}}}}}}}})");
}

TEST(ToFieldSetTest, ListItemsWithoutKeysAreReportedInKubernetesWords) {
  std::vector<std::string> errors;
  to_field_set(deployment(), yaml(R"(
apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      containers:
      - name: c
        ports:
        - {name: http}
        env:
        - {name: FOO, value: a}
        - {name: FOO, value: b}
)"),
               &errors);
  EXPECT_THAT(
      errors,
      ElementsAre(
          R"(.spec.template.spec.containers[name="c"].env: duplicate entries for key [name="FOO"])",
          R"(.spec.template.spec.containers[name="c"].ports: element 0: associative list with keys has an element that omits key field "containerPort" (and doesn't have default value))"));

  errors.clear();
  to_field_set(pod(), yaml(R"(
apiVersion: v1
kind: Pod
metadata:
  finalizers: [a, null]
spec:
  containers: [x]
)"),
               &errors);
  EXPECT_THAT(errors,
              ElementsAre(".metadata.finalizers: element 1: associative list without keys has an "
                          "element that's an explicit null",
                          ".spec.containers: element 0: associative list with keys may not have "
                          "non-map elements"));
}

TEST(ToFieldSetTest, UnknownAndUntypedValues) {
  // Fields the schema does not know are deduced (objects granular, arrays atomic); `any` values
  // (ControllerRevision.data) are atomic leaves.
  const SchemaType* rev = SchemaSet::global().find("apps", "v1", "ControllerRevision");
  FieldSet set = to_field_set(rev, yaml(R"(
data: {a: {b: 1}}
extra: {x: [1, 2], w: {z: true}}
)"));
  EXPECT_EQ(set.to_string(), ".data\n.extra\n.extra.w\n.extra.x\n.extra.w.z\n");
  // No schema at all: the same deduction.
  EXPECT_EQ(to_field_set(nullptr, Json::parse(R"({"a":{"b":[1]}})")).to_string(), ".a\n.a.b\n");
}

TEST(ToFieldSetTest, ManagedFieldsAndNullsAreLeftOut) {
  FieldSet set = to_field_set(deployment(), yaml(R"(
metadata:
  managedFields: [{manager: x}]
spec:
  strategy: null
  paused: null
)"));
  // Null and empty structs are owned as such, like a null scalar.
  EXPECT_EQ(set.to_string(), ".spec.paused\n.spec.strategy\n");
  EXPECT_EQ(to_field_set(deployment(), yaml("spec: {template: {spec: {securityContext: {}}}}"))
                .to_string(),
            ".spec.template.spec.securityContext\n");
}

TEST(CompareTest, ChangesAreSortedIntoAddedModifiedRemoved) {
  Json live = yaml(kConfig);
  Json next = live;
  next["spec"]["replicas"] = 5;
  next["metadata"]["labels"]["tier"] = "web";
  next["spec"]["template"]["spec"]["containers"][0].erase("env");
  next["spec"]["template"]["spec"]["volumes"] = Json::parse(R"([{"name":"data","emptyDir":{}}])");
  Comparison c = compare(deployment(), live, next);
  EXPECT_EQ(c.modified.to_string(), ".spec.replicas\n");
  // A list, map or struct that appears is added itself (the `.` entries of fieldsV1) besides
  // what it holds; an empty struct is a leaf.
  EXPECT_EQ(c.added.to_string(),
            ".metadata.labels.tier\n.spec.template.spec.volumes\n"
            ".spec.template.spec.volumes[name=\"data\"]\n"
            ".spec.template.spec.volumes[name=\"data\"].emptyDir\n"
            ".spec.template.spec.volumes[name=\"data\"].name\n");
  EXPECT_EQ(c.removed.to_string(),
            ".spec.template.spec.containers[name=\"nginx\"].env\n"
            ".spec.template.spec.containers[name=\"nginx\"].env[name=\"A\"]\n"
            ".spec.template.spec.containers[name=\"nginx\"].env[name=\"A\"].name\n"
            ".spec.template.spec.containers[name=\"nginx\"].env[name=\"A\"].value\n");
  EXPECT_TRUE(compare(deployment(), live, live).same());

  c.exclude(FieldSet{{PathElement::field("spec")}});
  EXPECT_EQ(c.added.to_string(), ".metadata.labels.tier\n");
  EXPECT_TRUE(c.modified.empty());
  EXPECT_TRUE(c.removed.empty());
}

TEST(CompareTest, EmptyAndNullStayApartAsLeaves) {
  Json a = yaml("spec: {template: {spec: {containers: [{name: c, args: []}]}}}");
  Json b = yaml("spec: {template: {spec: {containers: [{name: c, args: null}]}}}");
  Comparison c = compare(deployment(), a, b);
  EXPECT_EQ(c.modified.to_string(), ".spec.template.spec.containers[name=\"c\"].args\n");
}

TEST(CompareTest, CreateComparesFromTheTypesZeroValue) {
  // metadata, spec, the pod template, its spec and the strategy exist in a Deployment's zero value,
  // so creating them adds only what they hold; rollingUpdate and labels are new themselves.
  Json created = yaml(R"(
metadata: {name: x, labels: {app: x}}
spec:
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}
  template:
    metadata: {creationTimestamp: null, labels: {app: x}}
    spec: {containers: [{name: x}]}
)");
  Comparison c = compare(deployment(), Json(), created);
  EXPECT_EQ(c.added.to_string(),
            ".metadata.labels\n.metadata.name\n.metadata.labels.app\n.spec.strategy.rollingUpdate\n"
            ".spec.strategy.type\n.spec.strategy.rollingUpdate.maxSurge\n"
            ".spec.template.metadata.labels\n.spec.template.metadata.labels.app\n"
            ".spec.template.spec.containers[name=\"x\"]\n"
            ".spec.template.spec.containers[name=\"x\"].name\n");
  EXPECT_TRUE(c.modified.empty());
}

TEST(MergeTest, ContainersMergeByNameAndPortsByPortAndProtocol) {
  Json live = yaml(R"(
spec:
  template:
    spec:
      containers:
      - name: a
        image: a:1
        imagePullPolicy: Always
      - name: b
        image: b:1
        ports:
        - {containerPort: 80, protocol: TCP, name: http}
        - {containerPort: 53, protocol: UDP}
)");
  Json config = yaml(R"(
spec:
  template:
    spec:
      containers:
      - name: b
        image: b:2
        ports:
        - {containerPort: 80, name: web}
        - {containerPort: 53, protocol: TCP}
      - name: c
        image: c:1
)");
  Json merged = merge(deployment(), live, config);
  EXPECT_EQ(merged["spec"]["template"]["spec"]["containers"], Json::parse(R"([
    {"name": "a", "image": "a:1", "imagePullPolicy": "Always"},
    {"name": "b", "image": "b:2", "ports": [
      {"containerPort": 80, "protocol": "TCP", "name": "web"},
      {"containerPort": 53, "protocol": "UDP"},
      {"containerPort": 53, "protocol": "TCP"}]},
    {"name": "c", "image": "c:1"}])"));
}

TEST(MergeTest, NewItemsGoWhereTheAppliedListPutsThem) {
  Json live = yaml("metadata: {finalizers: [a, b]}");
  Json merged = merge(deployment(), live, yaml("metadata: {finalizers: [c, a]}"));
  EXPECT_EQ(merged["metadata"]["finalizers"], Json::parse(R"(["c","a","b"])"));
  merged = merge(deployment(), yaml("metadata: {finalizers: [a, b]}"),
                 yaml("metadata: {finalizers: [b, a]}"));
  EXPECT_EQ(merged["metadata"]["finalizers"], Json::parse(R"(["b","a"])"));
  merged = merge(deployment(), yaml("metadata: {finalizers: [a, b, c]}"),
                 yaml("metadata: {finalizers: [b, d]}"));
  EXPECT_EQ(merged["metadata"]["finalizers"], Json::parse(R"(["a","b","c","d"])"));
}

TEST(MergeTest, AtomicValuesAreReplacedGranularMapsMerged) {
  Json live = yaml(R"(
metadata: {labels: {a: "1"}}
spec:
  selector: {matchLabels: {a: "1"}, matchExpressions: [{key: k, operator: Exists}]}
  template: {spec: {containers: [{name: c, args: [x, y], command: [sh]}]}}
)");
  Json config = yaml(R"(
metadata: {labels: {b: "2"}}
spec:
  selector: {matchLabels: {b: "2"}}
  template: {spec: {containers: [{name: c, args: [z]}]}}
)");
  Json merged = merge(deployment(), live, config);
  EXPECT_EQ(merged["metadata"]["labels"], Json::parse(R"({"a":"1","b":"2"})"));
  EXPECT_EQ(merged["spec"]["selector"], Json::parse(R"({"matchLabels":{"b":"2"}})"));
  EXPECT_EQ(merged["spec"]["template"]["spec"]["containers"][0],
            Json::parse(R"({"name":"c","args":["z"],"command":["sh"]})"));
}

TEST(MergeTest, NullsUnsetScalarsAndLeaveStructsAlone) {
  Json live = yaml("spec: {replicas: 2, paused: true, strategy: {type: Recreate}}");
  Json merged = merge(deployment(), live, yaml("spec: {replicas: null, strategy: null}"));
  EXPECT_EQ(merged["spec"], Json::parse(R"({"paused":true,"strategy":{"type":"Recreate"}})"));
  // Into nothing, nulls leave no trace.
  EXPECT_EQ(merge(deployment(), Json(), yaml("spec: {replicas: null, paused: false}")),
            Json::parse(R"({"spec":{"paused":false}})"));
}

TEST(MergeTest, LiveDuplicatesNamedByTheConfigBecomeOneItem) {
  Json live = yaml(R"(
spec:
  template:
    spec:
      containers:
      - name: c
        env: [{name: A, value: "1"}, {name: B}, {name: A, value: "2"}]
)");
  Json merged = merge(deployment(), live, yaml(R"(
spec: {template: {spec: {containers: [{name: c, env: [{name: A, value: "3"}]}]}}}
)"));
  EXPECT_EQ(merged["spec"]["template"]["spec"]["containers"][0]["env"],
            Json::parse(R"([{"name":"A","value":"3"},{"name":"B"}])"));
}

TEST(MergeTest, UntypedDataIsReplacedWhole) {
  const SchemaType* rev = SchemaSet::global().find("apps", "v1", "ControllerRevision");
  Json merged = merge(rev, Json::parse(R"({"data":{"a":1,"b":2},"revision":1})"),
                      Json::parse(R"({"data":{"c":3}})"));
  EXPECT_EQ(merged, Json::parse(R"({"data":{"c":3},"revision":1})"));
}

TEST(RemoveItemsTest, RemovesPathsAndWhatEmptiesWithThem) {
  Json obj = yaml(kConfig);
  FieldSet set = {
      {PathElement::field("metadata"), PathElement::field("labels"), PathElement::field("app")},
      {PathElement::field("spec"), PathElement::field("template"), PathElement::field("spec"),
       PathElement::field("containers"), PathElement::key({{"name", "nginx"}}),
       PathElement::field("env"), PathElement::key({{"name", "A"}})},
      {PathElement::field("spec"), PathElement::field("replicas")}};
  Json out = remove_items(deployment(), obj, set);
  EXPECT_FALSE(out["metadata"].contains("labels"));
  EXPECT_EQ(out["metadata"]["name"], "nginx");
  EXPECT_FALSE(out["spec"].contains("replicas"));
  EXPECT_FALSE(out["spec"]["template"]["spec"]["containers"][0].contains("env"));
  EXPECT_EQ(out["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.25");
  // A member removes its whole subtree.
  out = remove_items(deployment(), obj, FieldSet{{PathElement::field("spec")}});
  EXPECT_FALSE(out.contains("spec"));
}

TEST(EnsureNamedFieldsTest, StructFieldsAboveMembersBecomeMembers) {
  FieldSet set = {
      {PathElement::field("spec"), PathElement::field("template"), PathElement::field("spec"),
       PathElement::field("containers"), PathElement::key({{"name", "c"}}),
       PathElement::field("image")},
      {PathElement::field("metadata"), PathElement::field("labels"), PathElement::field("app")}};
  FieldSet named = ensure_named_fields_are_members(deployment(), set);
  // Struct fields are added, map keys and list items are not.
  EXPECT_EQ(named.to_string(),
            ".metadata\n.spec\n.metadata.labels\n.metadata.labels.app\n.spec.template\n"
            ".spec.template.spec\n.spec.template.spec.containers\n"
            ".spec.template.spec.containers[name=\"c\"].image\n");
}

}  // namespace
}  // namespace bosun::api
