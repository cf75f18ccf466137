#include "api/apply.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "api/decode.h"

namespace bosun::api {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const SchemaType* deployment() { return SchemaSet::global().find("apps", "v1", "Deployment"); }
const GroupVersionKind kDeploymentKind{"apps", "v1", "Deployment"};

Json yaml(const char* text) {
  auto docs = decode_manifests(text);
  EXPECT_TRUE(docs.ok()) << docs.error().message;
  return docs.ok() && !docs->empty() ? (*docs)[0] : Json();
}

const Json* entry(const Json& obj, const std::string& manager, const std::string& op = "") {
  const Json* list = obj.contains("metadata") ? &obj["metadata"] : nullptr;
  if (!list || !list->contains("managedFields")) return nullptr;
  for (const Json& e : (*list)["managedFields"]) {
    if (e.value("manager", "") == manager && (op.empty() || e.value("operation", "") == op)) {
      return &e;
    }
  }
  return nullptr;
}

// The entry's fields as the bytes Kubernetes writes.
std::string fields(const Json& obj, const std::string& manager, const std::string& op = "") {
  const Json* e = entry(obj, manager, op);
  if (!e) return "<no entry for " + manager + ">";
  auto set = FieldSet::from_fields_v1((*e)["fieldsV1"]);
  return set.ok() ? set->to_fields_v1_string() : set.error().message;
}

std::vector<std::string> managers(const Json& obj) {
  std::vector<std::string> out;
  if (!obj.contains("metadata") || !obj["metadata"].contains("managedFields")) return out;
  for (const Json& e : obj["metadata"]["managedFields"]) {
    out.push_back(e.value("manager", "") + "/" + e.value("operation", "") +
                  (e.contains("subresource") ? "/" + e["subresource"].get<std::string>() : ""));
  }
  return out;
}

bool same_except_managed_fields(Json a, Json b) {
  a["metadata"].erase("managedFields");
  b["metadata"].erase("managedFields");
  return a == b;
}

// `kubectl create deployment nginx --image=nginx` as it reaches the field manager: kubectl's body
// with the server's defaults.
const char* kCreated = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: default
  creationTimestamp: null
  labels: {app: nginx}
spec:
  replicas: 1
  selector: {matchLabels: {app: nginx}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  template:
    metadata:
      creationTimestamp: null
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx
        resources: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
        imagePullPolicy: Always
      restartPolicy: Always
      terminationGracePeriodSeconds: 30
      dnsPolicy: ClusterFirst
      securityContext: {}
      schedulerName: default-scheduler
status: {}
)";

class FieldManagerTest : public ::testing::Test {
 protected:
  // Creates the object through a non-apply request of `manager`, as the store would keep it.
  Json create(const char* text, const std::string& manager) {
    Json obj = yaml(text);
    fm_.update(Json(), obj, manager, clock_);
    obj["metadata"]["uid"] = "6a3c7c1e-0000-4000-8000-000000000001";
    obj["metadata"]["resourceVersion"] = "1";
    return obj;
  }
  Json updated(const Json& live, Json next, const std::string& manager) {
    fm_.update(live, next, manager, clock_);
    return next;
  }
  Result<ApplyResult> apply(const Json& live, const char* config, const std::string& manager,
                            bool force = false) {
    return fm_.apply(live, yaml(config), manager, force, clock_);
  }

  FakeClock clock_;
  FieldManager fm_{deployment(), kDeploymentKind};
};

TEST_F(FieldManagerTest, CreateRecordsFieldsAsKubeApiserverDoes) {
  Json obj = create(kCreated, "kubectl-create");
  ASSERT_EQ(obj["metadata"]["managedFields"].size(), 1u);
  const Json& e = obj["metadata"]["managedFields"][0];
  EXPECT_EQ(e["manager"], "kubectl-create");
  EXPECT_EQ(e["operation"], "Update");
  EXPECT_EQ(e["apiVersion"], "apps/v1");
  EXPECT_EQ(e["time"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(e["fieldsType"], "FieldsV1");
  EXPECT_FALSE(e.contains("subresource"));
  // The entry of `kubectl create deployment` on a real cluster: no name, namespace or status, `.`
  // where labels, rollingUpdate and the container were added.
  EXPECT_EQ(
      fields(obj, "kubectl-create"),
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:progressDeadlineSeconds":{},)"
      R"("f:replicas":{},"f:revisionHistoryLimit":{},"f:selector":{},"f:strategy":{"f:rollingUpdate":)"
      R"({".":{},"f:maxSurge":{},"f:maxUnavailable":{}},"f:type":{}},"f:template":{"f:metadata":)"
      R"({"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":)"
      R"({".":{},"f:image":{},"f:imagePullPolicy":{},"f:name":{},"f:resources":{},)"
      R"("f:terminationMessagePath":{},"f:terminationMessagePolicy":{}}},"f:dnsPolicy":{},)"
      R"("f:restartPolicy":{},"f:schedulerName":{},"f:securityContext":{},)"
      R"("f:terminationGracePeriodSeconds":{}}}}})");
}

TEST_F(FieldManagerTest, UpdatesMoveFieldsBetweenManagers) {
  Json live = create(kCreated, "kubectl-create");
  clock_.advance(std::chrono::minutes(1));
  Json next = live;
  next["spec"]["replicas"] = 3;
  next["metadata"]["labels"]["tier"] = "web";
  Json out = updated(live, next, "kubectl-edit");
  EXPECT_THAT(managers(out), ElementsAre("kubectl-create/Update", "kubectl-edit/Update"));
  EXPECT_EQ(fields(out, "kubectl-edit"),
            R"({"f:metadata":{"f:labels":{"f:tier":{}}},"f:spec":{"f:replicas":{}}})");
  EXPECT_EQ(entry(out, "kubectl-edit")->at("time"), "2023-11-14T22:14:20Z");
  EXPECT_THAT(fields(out, "kubectl-create"), Not(HasSubstr("f:replicas")));
  EXPECT_THAT(fields(out, "kubectl-create"), HasSubstr("f:revisionHistoryLimit"));

  // The same manager again: one entry, the union, a new time.
  clock_.advance(std::chrono::minutes(1));
  Json again = out;
  again["spec"]["paused"] = true;
  Json out2 = updated(out, again, "kubectl-edit");
  EXPECT_THAT(managers(out2), ElementsAre("kubectl-create/Update", "kubectl-edit/Update"));
  EXPECT_EQ(
      fields(out2, "kubectl-edit"),
      R"({"f:metadata":{"f:labels":{"f:tier":{}}},"f:spec":{"f:paused":{},"f:replicas":{}}})");
  EXPECT_EQ(entry(out2, "kubectl-edit")->at("time"), "2023-11-14T22:15:20Z");

  // Removing a field takes it from its owner; an owner left with nothing goes.
  Json removed = out2;
  removed["metadata"]["labels"].erase("tier");
  removed["spec"].erase("paused");
  removed["spec"]["replicas"] = 1;
  Json out3 = updated(out2, removed, "kubectl-create");
  EXPECT_THAT(managers(out3), ElementsAre("kubectl-create/Update"));
  EXPECT_THAT(fields(out3, "kubectl-create"), HasSubstr("f:replicas"));
}

TEST_F(FieldManagerTest, UnchangedObjectKeepsItsEntries) {
  Json live = create(kCreated, "kubectl-create");
  clock_.advance(std::chrono::hours(1));
  Json next = live;
  next["metadata"]["resourceVersion"] = "2";  // server-maintained: owned by nobody
  Json out = updated(live, next, "someone");
  EXPECT_EQ(out["metadata"]["managedFields"], live["metadata"]["managedFields"]);
}

TEST_F(FieldManagerTest, StatusThroughTheMainResourceIsOwnedByNobody) {
  Json live = create(kCreated, "kubectl-create");
  Json next = live;
  next["status"] = Json::parse(R"({"replicas": 1})");
  Json out = updated(live, next, "kubectl-edit");
  EXPECT_THAT(managers(out), ElementsAre("kubectl-create/Update"));

  FieldManager status_fm(deployment(), kDeploymentKind, "status");
  Json status_next = live;
  status_next["status"] = Json::parse(R"({"replicas": 1, "observedGeneration": 1})");
  status_next["metadata"]["managedFields"] = Json::array();  // ignored on a subresource
  status_fm.update(live, status_next, "kube-controller-manager", clock_);
  EXPECT_THAT(managers(status_next),
              ElementsAre("kube-controller-manager/Update/status", "kubectl-create/Update"));
  EXPECT_EQ(fields(status_next, "kube-controller-manager"),
            R"({"f:status":{"f:observedGeneration":{},"f:replicas":{}}})");
}

TEST_F(FieldManagerTest, EmptyManagedFieldsResetTracking) {
  Json live = create(kCreated, "kubectl-create");
  Json next = live;
  next["metadata"]["managedFields"] = Json::array();
  next["spec"]["replicas"] = 2;
  Json out = updated(live, next, "kubectl-edit");
  EXPECT_FALSE(out["metadata"].contains("managedFields"));
  // Without entries, updates are not tracked until the next apply (skipNonApplied).
  Json later = out;
  later["spec"]["replicas"] = 4;
  EXPECT_FALSE(updated(out, later, "kubectl-edit")["metadata"].contains("managedFields"));
  // `[{}]` resets as well.
  Json one_empty = live;
  one_empty["metadata"]["managedFields"] = Json::parse("[{}]");
  EXPECT_FALSE(updated(live, one_empty, "x")["metadata"].contains("managedFields"));
}

TEST_F(FieldManagerTest, ClientsMayEditEntriesButNotBreakThem) {
  Json live = create(kCreated, "kubectl-create");
  clock_.advance(std::chrono::minutes(1));
  Json edited = updated(
      live,
      [&] {
        Json n = live;
        n["spec"]["replicas"] = 2;
        return n;
      }(),
      "kubectl-scale");
  ASSERT_EQ(edited["metadata"]["managedFields"].size(), 2u);

  // A client drops one entry: the request's entries are used.
  Json dropped = edited;
  dropped["metadata"]["managedFields"].erase(1);
  Json out = updated(edited, dropped, "kubectl-edit");
  EXPECT_THAT(managers(out), ElementsAre("kubectl-create/Update"));

  // Entries that do not decode (or none at all) fall back to the live ones.
  Json broken = edited;
  broken["metadata"]["managedFields"][0]["operation"] = "Patch";
  EXPECT_EQ(updated(edited, broken, "x")["metadata"]["managedFields"],
            edited["metadata"]["managedFields"]);
  Json missing = edited;
  missing["metadata"].erase("managedFields");
  EXPECT_EQ(updated(edited, missing, "x")["metadata"]["managedFields"],
            edited["metadata"]["managedFields"]);
}

TEST_F(FieldManagerTest, UpdateEntriesAreCappedIntoAncientChanges) {
  Json live = create(kCreated, "m0");
  for (int i = 1; i <= 11; ++i) {
    clock_.advance(std::chrono::seconds(1));
    Json next = live;
    next["metadata"]["labels"]["k" + std::to_string(i)] = "v";
    live = updated(live, next, "m" + std::to_string(i));
  }
  std::vector<std::string> names = managers(live);
  EXPECT_EQ(names.size(), 10u);
  const Json* ancient = entry(live, "ancient-changes");
  ASSERT_NE(ancient, nullptr);
  EXPECT_EQ(ancient->at("operation"), "Update");
  EXPECT_EQ(ancient->at("apiVersion"), "apps/v1");
  // Each cap merges the oldest entries (m0, the create, then m1, then m2) into the bucket, which
  // keeps the time of the entry merged last.
  EXPECT_EQ(entry(live, "m0"), nullptr);
  EXPECT_EQ(entry(live, "m1"), nullptr);
  EXPECT_EQ(entry(live, "m2"), nullptr);
  EXPECT_NE(entry(live, "m3"), nullptr);
  EXPECT_EQ(ancient->at("time"), "2023-11-14T22:13:22Z");
  EXPECT_THAT(fields(live, "ancient-changes"), HasSubstr("f:k1"));
  EXPECT_THAT(fields(live, "ancient-changes"), HasSubstr("f:k2"));
  EXPECT_THAT(fields(live, "ancient-changes"), HasSubstr("f:replicas"));
  EXPECT_NE(entry(live, "m11"), nullptr);
}

TEST_F(FieldManagerTest, UnnamedRequestsAreUnknown) {
  Json obj =
      yaml("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec: {paused: true}");
  fm_.update(Json(), obj, "", clock_);
  EXPECT_THAT(managers(obj), ElementsAre("unknown/Update"));
}

// ---- Apply.

const char* kApplied = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: default
  labels: {app: nginx}
spec:
  replicas: 1
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx
)";

TEST_F(FieldManagerTest, ApplyCreatesAndRecordsTheApplier) {
  auto r = apply(Json::object(), kApplied, "kubectl");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->changed);
  Json expected = yaml(kApplied);
  Json got = r->object;
  got["metadata"].erase("managedFields");
  EXPECT_EQ(got, expected);
  ASSERT_EQ(r->object["metadata"]["managedFields"].size(), 1u);
  const Json& e = r->object["metadata"]["managedFields"][0];
  EXPECT_EQ(e["manager"], "kubectl");
  EXPECT_EQ(e["operation"], "Apply");
  EXPECT_EQ(e["apiVersion"], "apps/v1");
  EXPECT_EQ(e["time"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(fields(r->object, "kubectl"),
            R"({"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:replicas":{},"f:selector":{},)"
            R"("f:template":{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":)"
            R"({"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}}})");
}

TEST_F(FieldManagerTest, ApplyingTheSameConfigTwiceChangesNothing) {
  auto first = apply(Json::object(), kApplied, "kubectl");
  ASSERT_TRUE(first.ok());
  Json live = first->object;
  live["metadata"]["uid"] = "u";
  live["metadata"]["resourceVersion"] = "1";
  clock_.advance(std::chrono::hours(1));
  auto second = apply(live, kApplied, "kubectl");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(second->changed);
  EXPECT_EQ(second->object, live);
}

TEST_F(FieldManagerTest, ConflictWithAnUpdaterIsReportedAsKubernetesDoes) {
  Json live = create(kCreated, "kubectl-client-side-apply");
  auto r = apply(live, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec: {replicas: 3}
)",
                 "my-applier");
  ASSERT_FALSE(r.ok());
  const Error& err = r.error();
  EXPECT_EQ(err.code, ErrorCode::kConflict);
  EXPECT_EQ(err.http_code(), 409);
  EXPECT_EQ(err.message,
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using "
            "apps/v1: .spec.replicas");
  EXPECT_THAT(err.causes, ElementsAre(Cause{"FieldManagerConflict",
                                            "conflict with \"kubectl-client-side-apply\" using "
                                            "apps/v1",
                                            ".spec.replicas"}));

  // Same values are no conflict: ownership is shared.
  auto shared = apply(live, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec: {replicas: 1}
)",
                      "my-applier");
  ASSERT_TRUE(shared.ok()) << shared.error().message;
  EXPECT_FALSE(shared->object == live);  // a new entry, object unchanged otherwise
  EXPECT_THAT(fields(shared->object, "kubectl-client-side-apply"), HasSubstr("f:replicas"));
  EXPECT_EQ(fields(shared->object, "my-applier"), R"({"f:spec":{"f:replicas":{}}})");
  // The object itself did not change, so the new entry has no time.
  EXPECT_FALSE(entry(shared->object, "my-applier")->contains("time"));
}

TEST_F(FieldManagerTest, SeveralConflictsAreGroupedByManager) {
  Json live = create(kCreated, "kubectl-client-side-apply");
  Json scaled = live;
  scaled["spec"]["replicas"] = 2;
  live = updated(live, scaled, "kubectl-scale");
  auto r = apply(live, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec:
  replicas: 5
  revisionHistoryLimit: 3
  template: {spec: {containers: [{name: nginx, image: nginx:2}]}}
)",
                 "my-applier");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "Apply failed with 3 conflicts: conflicts with \"kubectl-client-side-apply\" using "
            "apps/v1:\n"
            "- .spec.revisionHistoryLimit\n"
            "- .spec.template.spec.containers[name=\"nginx\"].image\n"
            "conflicts with \"kubectl-scale\" using apps/v1:\n"
            "- .spec.replicas");
  ASSERT_EQ(r.error().causes.size(), 3u);
  EXPECT_EQ(r.error().causes[1].field, ".spec.template.spec.containers[name=\"nginx\"].image");
}

TEST_F(FieldManagerTest, ForceTakesTheFieldsOver) {
  Json live = create(kCreated, "kubectl-client-side-apply");
  auto r = apply(live, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec: {replicas: 3}
)",
                 "my-applier", /*force=*/true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(r->object["spec"]["replicas"], 3);
  EXPECT_EQ(fields(r->object, "my-applier"), R"({"f:spec":{"f:replicas":{}}})");
  EXPECT_THAT(fields(r->object, "kubectl-client-side-apply"), Not(HasSubstr("f:replicas")));
  EXPECT_THAT(managers(r->object),
              ElementsAre("my-applier/Apply", "kubectl-client-side-apply/Update"));
}

TEST_F(FieldManagerTest, FieldsDroppedFromTheConfigAreRemovedUnlessOthersOwnThem) {
  auto first = apply(Json::object(), R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default, labels: {app: nginx, tier: web}}
spec:
  paused: true
  template:
    spec:
      containers:
      - name: nginx
        image: nginx
        env: [{name: A, value: "1"}, {name: B, value: "2"}]
      - name: sidecar
        image: busybox
)",
                     "kubectl");
  ASSERT_TRUE(first.ok()) << first.error().message;
  Json live = first->object;
  // Another applier also sets env B.
  auto other = apply(live, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec:
  template:
    spec:
      containers:
      - name: nginx
        env: [{name: B, value: "2"}]
)",
                     "other");
  ASSERT_TRUE(other.ok()) << other.error().message;
  live = other->object;

  auto second = apply(live, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default, labels: {app: nginx}}
spec:
  template:
    spec:
      containers:
      - name: nginx
        image: nginx
)",
                      "kubectl");
  ASSERT_TRUE(second.ok()) << second.error().message;
  const Json& obj = second->object;
  EXPECT_EQ(obj["metadata"]["labels"], Json::parse(R"({"app":"nginx"})"));
  EXPECT_FALSE(obj["spec"].contains("paused"));
  EXPECT_EQ(obj["spec"]["template"]["spec"]["containers"],
            Json::parse(R"([{"name":"nginx","image":"nginx","env":[{"name":"B","value":"2"}]}])"));
  EXPECT_THAT(fields(obj, "kubectl"), Not(HasSubstr("sidecar")));
}

TEST_F(FieldManagerTest, ApplyMergesListsByTheirSchemaTypes) {
  auto first = apply(Json::object(), R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default, finalizers: [a.io/x]}
spec:
  template:
    spec:
      containers:
      - name: nginx
        image: nginx
        args: [a, b]
        ports: [{containerPort: 80}, {containerPort: 53, protocol: UDP}]
)",
                     "one");
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = apply(first->object, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default, finalizers: [b.io/y]}
spec:
  template:
    spec:
      containers:
      - name: sidecar
        image: busybox
      - name: nginx
        ports: [{containerPort: 53, protocol: TCP}]
)",
                      "two");
  ASSERT_TRUE(second.ok()) << second.error().message;
  const Json& obj = second->object;
  // Sets merge by value, list-maps by key (ports by containerPort and protocol).
  EXPECT_EQ(obj["metadata"]["finalizers"], Json::parse(R"(["a.io/x","b.io/y"])"));
  EXPECT_EQ(obj["spec"]["template"]["spec"]["containers"], Json::parse(R"([
    {"name":"sidecar","image":"busybox"},
    {"name":"nginx","image":"nginx","args":["a","b"],"ports":[
      {"containerPort":80},{"containerPort":53,"protocol":"UDP"},
      {"containerPort":53,"protocol":"TCP"}]}])"));

  // An atomic list is replaced whole, and changing it is a conflict with its owner.
  auto args = apply(obj, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec: {template: {spec: {containers: [{name: nginx, args: [c]}]}}}
)",
                    "two");
  ASSERT_FALSE(args.ok());
  EXPECT_EQ(args.error().message,
            "Apply failed with 1 conflict: conflict with \"one\": "
            ".spec.template.spec.containers[name=\"nginx\"].args");
  auto forced = apply(obj, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec: {template: {spec: {containers: [{name: nginx, args: [c]}]}}}
)",
                      "two", /*force=*/true);
  ASSERT_TRUE(forced.ok());
  // "two" no longer applies the sidecar, the TCP port 53 nor its finalizer: they go, as nobody
  // else owns them.
  EXPECT_EQ(forced->object["spec"]["template"]["spec"]["containers"], Json::parse(R"([
    {"name":"nginx","image":"nginx","args":["c"],"ports":[
      {"containerPort":80},{"containerPort":53,"protocol":"UDP"}]}])"));
  EXPECT_EQ(forced->object["metadata"]["finalizers"], Json::parse(R"(["a.io/x"])"));
  EXPECT_EQ(fields(forced->object, "two"),
            R"({"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":)"
            R"({".":{},"f:args":{},"f:name":{}}}}}}})");
}

TEST_F(FieldManagerTest, KubectlTakesOverFromItsClientSideApply) {
  // kubectl apply (client-side) created the object: its Update entry owns everything, and the
  // annotation holds what it applied.
  Json created = yaml(kCreated);
  Json last = yaml(kApplied);
  std::string annotation = last.dump() + "\n";
  created["metadata"]["annotations"][std::string(kLastAppliedConfigAnnotation)] = annotation;
  Json live;
  fm_.update(Json(), created, "kubectl-client-side-apply", clock_);
  live = created;
  live["metadata"]["uid"] = "u";

  // kubectl first claims the annotation itself for its last-applied manager (same value: shared,
  // no conflict, nothing in the object changes)...
  std::string just_annotation =
      R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"nginx",)"
      R"("namespace":"default","annotations":{)" +
      Json(std::string(kLastAppliedConfigAnnotation)).dump() + ":" + Json(annotation).dump() +
      "}}}";
  auto claim = fm_.apply(live, Json::parse(just_annotation), "kubectl-last-applied", false, clock_);
  ASSERT_TRUE(claim.ok()) << claim.error().message;
  EXPECT_TRUE(same_except_managed_fields(claim->object, live));
  EXPECT_EQ(
      fields(claim->object, "kubectl-last-applied"),
      R"({"f:metadata":{"f:annotations":{"f:kubectl.kubernetes.io/last-applied-configuration":{}}}})");
  live = claim->object;

  // ...then kubectl apply --server-side with a new replica count: no conflict on the fields whose
  // live values are still what kubectl last applied.
  auto r = apply(live, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default, labels: {app: nginx}}
spec:
  replicas: 4
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - name: nginx
        image: nginx
)",
                 "kubectl");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->object["spec"]["replicas"], 4);
  EXPECT_THAT(fields(r->object, "kubectl"), HasSubstr("f:replicas"));
  // The annotation now holds the server-side applied configuration.
  std::string updated_annotation =
      r->object["metadata"]["annotations"][std::string(kLastAppliedConfigAnnotation)];
  EXPECT_THAT(updated_annotation, HasSubstr("\"replicas\":4"));
  EXPECT_EQ(updated_annotation.back(), '\n');

  // A field changed since the client-side apply still conflicts.
  Json edited = live;
  edited["spec"]["replicas"] = 7;
  edited = updated(live, edited, "kubectl-edit");
  auto conflict = apply(edited, R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec: {replicas: 4}
)",
                        "kubectl");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().message,
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: "
            ".spec.replicas");
}

TEST_F(FieldManagerTest, ApplyToTheStatusSubresourceOwnsOnlyStatus) {
  Json live = create(kCreated, "kubectl-create");
  FieldManager status_fm(deployment(), kDeploymentKind, "status");
  auto r = status_fm.apply(live, yaml(R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: nginx, namespace: default}
spec: {replicas: 9}
status: {readyReplicas: 1}
)"),
                           "my-controller", false, clock_);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(fields(r->object, "my-controller"), R"({"f:status":{"f:readyReplicas":{}}})");
  EXPECT_EQ(entry(r->object, "my-controller")->at("subresource"), "status");
  // spec is reset on this subresource: a value there conflicts with nobody.
  EXPECT_THAT(fields(r->object, "kubectl-create"), HasSubstr("f:replicas"));
}

TEST_F(FieldManagerTest, ApplyRejectsWrongKindsManagedFieldsAndUnkeyedItems) {
  auto wrong = apply(Json::object(), "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: x}",
                     "kubectl");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(wrong.error().message, "invalid object type: apps/v1, Kind=ReplicaSet");
  auto core = apply(Json::object(), "apiVersion: v1\nkind: Deployment", "kubectl");
  ASSERT_FALSE(core.ok());
  EXPECT_EQ(core.error().message, "invalid object type: /v1, Kind=Deployment");

  auto managed = apply(Json::object(), R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: x, managedFields: []}
)",
                       "kubectl");
  ASSERT_FALSE(managed.ok());
  EXPECT_EQ(managed.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(managed.error().message, "metadata.managedFields must be nil");

  auto unkeyed = apply(Json::object(), R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  template:
    spec:
      containers:
      - name: c
        ports: [{name: http}]
)",
                       "kubectl");
  ASSERT_FALSE(unkeyed.ok());
  EXPECT_EQ(unkeyed.error().code, ErrorCode::kInternal);
  EXPECT_EQ(unkeyed.error().message,
            "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): "
            ".spec.template.spec.containers[name=\"c\"].ports: element 0: associative list with "
            "keys has an element that omits key field \"containerPort\" (and doesn't have "
            "default value)");

  auto list = fm_.apply(Json::object(), Json::array(), "kubectl", false, clock_);
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.error().message, HasSubstr("cannot unmarshal array into Go value"));
}

TEST_F(FieldManagerTest, MisshapenObjectsAreHandledNotCrashedOn) {
  // Values of the wrong JSON type where the schema expects objects or lists are leaves.
  const char* odd = R"(
apiVersion: apps/v1
kind: Deployment
metadata: {name: odd, namespace: default, labels: [a, b], finalizers: {x: 1}}
spec:
  replicas: "three"
  selector: 7
  template:
    metadata: []
    spec: {containers: {name: c}, volumes: [1, {name: v}, null]}
)";
  auto created = apply(Json::object(), odd, "kubectl");
  ASSERT_FALSE(created.ok());  // the volume items without names
  EXPECT_THAT(created.error().message, HasSubstr("associative list with keys"));
  Json obj = yaml(odd);
  obj["spec"]["template"]["spec"].erase("volumes");
  auto ok = fm_.apply(Json::object(), obj, "kubectl", false, clock_);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  Json live = ok->object;
  live["metadata"]["uid"] = "u";
  Json next = live;
  next["spec"] = "gone";
  fm_.update(live, next, "x", clock_);
  EXPECT_TRUE(next["metadata"].contains("managedFields"));
  auto again = fm_.apply(live, yaml(kApplied), "kubectl", true, clock_);
  EXPECT_TRUE(again.ok()) << again.error().message;
  auto not_object = fm_.apply(Json("text"), yaml(kApplied), "kubectl", false, clock_);
  EXPECT_FALSE(not_object.ok());
}

TEST_F(FieldManagerTest, ApplyToAnObjectWithUnreadableEntriesFails) {
  Json live = create(kCreated, "kubectl-create");
  live["metadata"]["managedFields"][0]["fieldsType"] = "FieldsV2";
  auto r = apply(live, kApplied, "kubectl");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "failed to decode managed fields: invalid fieldsType \"FieldsV2\" in managed fields "
            "entry 0");
}

TEST(ManagedFieldsTest, EntriesSortAsKubernetesSortsThem) {
  Json list = Json::parse(R"([
    {"manager":"b","operation":"Update","apiVersion":"v1","time":"2024-01-01T00:00:02Z","fieldsType":"FieldsV1","fieldsV1":{"f:a":{}}},
    {"manager":"a","operation":"Update","apiVersion":"v1","time":"2024-01-01T00:00:02Z","fieldsType":"FieldsV1","fieldsV1":{"f:b":{}}},
    {"manager":"z","operation":"Update","apiVersion":"v1","time":"2024-01-01T00:00:01Z","fieldsType":"FieldsV1","fieldsV1":{"f:c":{}}},
    {"manager":"k","operation":"Apply","apiVersion":"v1","time":"2024-01-01T00:00:09Z","fieldsType":"FieldsV1","fieldsV1":{"f:d":{}}},
    {"manager":"s","operation":"Update","apiVersion":"v1","fieldsType":"FieldsV1","fieldsV1":{"f:e":{}},"subresource":"status"}
  ])");
  auto decoded = decode_managed_fields(list);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  Json encoded = encode_managed_fields(*decoded);
  std::vector<std::string> order;
  for (const Json& e : encoded) order.push_back(e["manager"]);
  EXPECT_THAT(order, ElementsAre("k", "s", "z", "a", "b"));
  EXPECT_EQ(encoded[1], list[4]);
  EXPECT_EQ(decoded->begin()->first, R"({"manager":"a","operation":"Update","apiVersion":"v1"})");
}

TEST(ManagedFieldsTest, DecodeRejectsWhatKubernetesRejects) {
  auto op = decode_managed_fields(Json::parse(R"([{"manager":"a","operation":"Patch"}])"));
  ASSERT_FALSE(op.ok());
  EXPECT_EQ(op.error().message, "operation must be `Apply` or `Update`");
  auto av = decode_managed_fields(Json::parse(R"([{"manager":"a","operation":"Apply"}])"));
  ASSERT_FALSE(av.ok());
  EXPECT_EQ(av.error().message, "apiVersion must not be empty");
  auto ft = decode_managed_fields(
      Json::parse(R"([{"manager":"a","operation":"Apply","apiVersion":"v1"}])"));
  ASSERT_FALSE(ft.ok());
  EXPECT_EQ(ft.error().message, "missing fieldsType in managed fields entry 0");
  EXPECT_TRUE(decode_managed_fields(Json())->empty());
  EXPECT_TRUE(is_reset_managed_fields(Json::array()));
  EXPECT_TRUE(is_reset_managed_fields(Json::parse(R"([{"manager":""}])")));
  EXPECT_FALSE(is_reset_managed_fields(Json::parse(R"([{"manager":"a"}])")));
  EXPECT_FALSE(is_reset_managed_fields(Json()));
}

TEST(ManagedFieldsTest, ManagerNamesFromRequests) {
  EXPECT_EQ(manager_from_user_agent("kubectl/v1.33.0 (linux/amd64) kubernetes/abcdef"), "kubectl");
  EXPECT_EQ(manager_from_user_agent("kube-controller-manager/v1.33.0 (linux/amd64)"),
            "kube-controller-manager");
  EXPECT_EQ(manager_from_user_agent("curl"), "curl");
  EXPECT_EQ(manager_from_user_agent("a\tb\x01"
                                    "c/1"),
            "abc");
  EXPECT_EQ(manager_from_user_agent(std::string(200, 'x')), std::string(128, 'x'));
  EXPECT_EQ(manager_from_user_agent(""), "");
  EXPECT_EQ(manager_or_user_agent("kubectl-edit", "kubectl/v1.33.0"), "kubectl-edit");
  EXPECT_EQ(manager_or_user_agent("", "kubectl/v1.33.0"), "kubectl");
}

TEST(ManagedFieldsTest, PatchOptionsAreValidatedWithKubernetesWording) {
  auto missing = validate_patch_options("", /*apply_patch=*/true, false);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(missing.error().http_code(), 422);
  EXPECT_EQ(missing.error().message,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required "
            "for apply patch");
  auto force = validate_patch_options("x", /*apply_patch=*/false, /*force_given=*/true);
  ASSERT_FALSE(force.ok());
  EXPECT_EQ(force.error().message,
            "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be specified for "
            "non-apply patch");
  EXPECT_TRUE(validate_patch_options("kubectl", true, true).ok());
  EXPECT_TRUE(validate_patch_options("", false, false).ok());
  auto tab = validate_field_manager_option("CreateOptions", "a\tb");
  ASSERT_FALSE(tab.ok());
  EXPECT_EQ(tab.error().message,
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldManager: Invalid value: \"a\\tb\": "
            "invalid character U+0009 (at position 1)");
  auto too_long = validate_field_manager_option("UpdateOptions", std::string(129, 'm'));
  ASSERT_FALSE(too_long.ok());
  EXPECT_THAT(too_long.error().message,
              HasSubstr("fieldManager: Too long: may not be more than 128 bytes"));
}

}  // namespace
}  // namespace bosun::api
