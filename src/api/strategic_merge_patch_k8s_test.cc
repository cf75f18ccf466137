// Strategic merge patch on the built-in schemas with the patches kubectl sends: `kubectl apply` on
// a live Deployment (kubectl 1.27-1.33 compute the same three-way patches), `kubectl rollout
// restart` and `pause`, and the kubelet's status patches; merge keys and patch strategies as
// Kubernetes declares them (containers by name, ports by containerPort, env by name, volumes by
// name with retainKeys, volumeMounts by mountPath, tolerations atomic, finalizers a set).
#include <gtest/gtest.h>

#include <string>

#include "api/decode.h"
#include "api/patch.h"
#include "api/schema.h"

namespace bosun::api {
namespace {

// YAML, flow style included ("---" keeps decode_document from reading `{a: 1}` as JSON).
Json yaml(std::string_view text) {
  Result<Decoded> d = decode_document("---\n" + std::string(text), DecodeOptions{});
  if (!d.ok()) {
    ADD_FAILURE() << d.error().message << "\n" << text;
    return Json();
  }
  return d->value;
}

const SchemaType& deployment() { return *SchemaSet::global().find("apps", "v1", "Deployment"); }
const SchemaType& pod() { return *SchemaSet::global().find("", "v1", "Pod"); }

// A Deployment as the server stores it after `kubectl apply` of a one-container manifest:
// defaults filled in and the last-applied annotation set.
constexpr std::string_view kLiveDeployment = R"(
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: default
  uid: 6a1b8c1e-0f3c-4d57-9b0a-2f9c7e0d1a11
  resourceVersion: "1842"
  generation: 1
  labels: {app: nginx}
  annotations:
    deployment.kubernetes.io/revision: "1"
    kubectl.kubernetes.io/last-applied-configuration: '{"old":"config"}'
spec:
  replicas: 1
  revisionHistoryLimit: 10
  progressDeadlineSeconds: 600
  selector: {matchLabels: {app: nginx}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        imagePullPolicy: IfNotPresent
        ports:
        - {containerPort: 80, protocol: TCP}
        env:
        - {name: MODE, value: prod}
        - {name: LEVEL, value: info}
        resources: {limits: {memory: 128Mi}}
        volumeMounts:
        - {name: data, mountPath: /data}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      volumes:
      - name: data
        emptyDir: {}
      tolerations:
      - {key: a, operator: Exists}
      - {key: b, operator: Exists}
      restartPolicy: Always
      dnsPolicy: ClusterFirst
      schedulerName: default-scheduler
      terminationGracePeriodSeconds: 30
status:
  observedGeneration: 1
  replicas: 1
)";

Json apply_to_live(std::string_view patch_yaml) {
  Result<Json> got = strategic_merge_patch(yaml(kLiveDeployment), yaml(patch_yaml), deployment());
  if (!got.ok()) {
    ADD_FAILURE() << got.error().message;
    return Json();
  }
  return *got;
}

// Re-applying the manifest with a new image and 3 replicas: the exact body kubectl sends (see
// /work/shared/kubectl-compat, "apply (client-side)").
TEST(StrategicMergePatchKubectl, ReapplyChangesImageAndReplicasAndKeepsServerFields) {
  const std::string body =
      R"({"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"new\":\"config\"}\n"}},)"
      R"("spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],)"
      R"("containers":[{"image":"nginx:1.26","name":"nginx"}]}}}})";
  Result<Decoded> patch = decode_json_document(body, DecodeOptions{});
  ASSERT_TRUE(patch.ok()) << patch.error().message;
  Result<Json> got = strategic_merge_patch(yaml(kLiveDeployment), patch->value, deployment());
  ASSERT_TRUE(got.ok()) << got.error().message;

  Json expected = yaml(kLiveDeployment);
  expected["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
      "{\"new\":\"config\"}\n";
  expected["spec"]["replicas"] = 3;
  expected["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.26";
  EXPECT_EQ(*got, expected) << to_yaml(*got);
}

TEST(StrategicMergePatchKubectl, ApplyAddsAContainerWhereTheElementOrderPutsIt) {
  Json after = apply_to_live(R"(
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: nginx}, {name: sidecar}]
      containers: [{name: sidecar, image: busybox:1.36, args: [sleep, infinity]}]
)");
  const Json& containers = after["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["name"], "nginx");
  EXPECT_EQ(containers[0]["image"], "nginx:1.25");
  EXPECT_EQ(containers[1], yaml("{name: sidecar, image: busybox:1.36, args: [sleep, infinity]}"));

  Json first = apply_to_live(R"(
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: sidecar}, {name: nginx}]
      containers: [{name: sidecar, image: busybox:1.36}]
)");
  EXPECT_EQ(first["spec"]["template"]["spec"]["containers"][0]["name"], "sidecar");
  EXPECT_EQ(first["spec"]["template"]["spec"]["containers"][1]["name"], "nginx");
}

// Without $setElementOrder (kubectl patch by hand) a new element goes before the live ones, as in
// Kubernetes.
TEST(StrategicMergePatchKubectl, HandWrittenPatchPutsNewContainersFirst) {
  Json after = apply_to_live("spec: {template: {spec: {containers: [{name: debug, image: x}]}}}");
  const Json& containers = after["spec"]["template"]["spec"]["containers"];
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0]["name"], "debug");
  EXPECT_EQ(containers[1]["name"], "nginx");
}

TEST(StrategicMergePatchKubectl, ApplyRemovesAContainerWithADeleteDirective) {
  Result<Json> two = strategic_merge_patch(
      yaml(kLiveDeployment),
      yaml("spec: {template: {spec: {containers: [{name: sidecar, image: busybox}]}}}"),
      deployment());
  ASSERT_TRUE(two.ok());
  Result<Json> got = strategic_merge_patch(*two, yaml(R"(
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: nginx}]
      containers: [{$patch: delete, name: sidecar}]
)"),
                                           deployment());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, yaml(kLiveDeployment));
}

TEST(StrategicMergePatchKubectl, PortsMergeByContainerPortAndEnvByName) {
  Json after = apply_to_live(R"(
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: nginx}]
      containers:
      - name: nginx
        $setElementOrder/ports: [{containerPort: 80}, {containerPort: 443}]
        ports: [{containerPort: 443, name: https}]
        $setElementOrder/env: [{name: MODE}, {name: EXTRA}]
        env:
        - {name: MODE, value: debug}
        - {name: EXTRA, value: "1"}
        - {$patch: delete, name: LEVEL}
)");
  const Json& c = after["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["ports"],
            yaml("[{containerPort: 80, protocol: TCP}, {containerPort: 443, name: https}]"));
  EXPECT_EQ(c["env"], yaml("[{name: MODE, value: debug}, {name: EXTRA, value: '1'}]"));
  EXPECT_EQ(c["image"], "nginx:1.25");
  EXPECT_EQ(c["resources"], yaml("{limits: {memory: 128Mi}}"));
}

TEST(StrategicMergePatchKubectl, VolumeMountsMergeByMountPath) {
  Json after = apply_to_live(R"(
spec:
  template:
    spec:
      $setElementOrder/containers: [{name: nginx}]
      containers:
      - name: nginx
        $setElementOrder/volumeMounts: [{mountPath: /data}, {mountPath: /cache}]
        volumeMounts: [{name: data, mountPath: /data, readOnly: true}, {name: cache, mountPath: /cache}]
)");
  EXPECT_EQ(
      after["spec"]["template"]["spec"]["containers"][0]["volumeMounts"],
      yaml("[{name: data, mountPath: /data, readOnly: true}, {name: cache, mountPath: /cache}]"));
}

// Switching a volume from emptyDir to a ConfigMap: volumes have patch strategy merge,retainKeys,
// so kubectl names the fields the volume keeps and the live emptyDir goes.
TEST(StrategicMergePatchKubectl, VolumeSourceSwitchUsesRetainKeys) {
  Json after = apply_to_live(R"(
spec:
  template:
    spec:
      $setElementOrder/volumes: [{name: data}]
      volumes:
      - $retainKeys: [configMap, name]
        configMap: {name: web-config}
        emptyDir: null
        name: data
)");
  EXPECT_EQ(after["spec"]["template"]["spec"]["volumes"],
            yaml("[{name: data, configMap: {name: web-config}}]"));
}

// The Deployment strategy is a retainKeys map: changing its type drops the live rollingUpdate
// even though the patch never mentions it.
TEST(StrategicMergePatchKubectl, StrategySwitchToRecreateDropsRollingUpdate) {
  Json after = apply_to_live("spec: {strategy: {$retainKeys: [type], type: Recreate}}");
  EXPECT_EQ(after["spec"]["strategy"], yaml("{type: Recreate}"));
  // Without the directive the map merges, as Kubernetes does for an old client.
  Json merged = apply_to_live("spec: {strategy: {type: Recreate}}");
  EXPECT_EQ(merged["spec"]["strategy"],
            yaml("{type: Recreate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}"));
}

TEST(StrategicMergePatchKubectl, TolerationsAreReplacedWhole) {
  Json after =
      apply_to_live("spec: {template: {spec: {tolerations: [{key: c, operator: Exists}]}}}");
  EXPECT_EQ(after["spec"]["template"]["spec"]["tolerations"], yaml("[{key: c, operator: Exists}]"));
}

// `kubectl rollout restart` (an annotation on the pod template) and `kubectl rollout pause`.
TEST(StrategicMergePatchKubectl, RolloutRestartAndPause) {
  Json after = apply_to_live(
      R"({"spec":{"template":{"metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2025-03-01T10:00:00Z"}}}}})");
  Json expected = yaml(kLiveDeployment);
  expected["spec"]["template"]["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/restartedAt", "2025-03-01T10:00:00Z"}};
  EXPECT_EQ(after, expected);

  Json paused = apply_to_live(R"({"spec":{"paused":true}})");
  EXPECT_EQ(paused["spec"]["paused"], true);
}

TEST(StrategicMergePatchKubectl, NullRemovesLabelsAndReplaceDirectiveReplacesAMap) {
  Json after = apply_to_live("metadata: {labels: {app: null, tier: web}}");
  EXPECT_EQ(after["metadata"]["labels"], yaml("{tier: web}"));
  Json replaced = apply_to_live("spec: {selector: {matchLabels: {$patch: replace, run: nginx}}}");
  EXPECT_EQ(replaced["spec"]["selector"]["matchLabels"], yaml("{run: nginx}"));
}

// Finalizers are a merge list of strings: a set. New ones go first, as in Kubernetes;
// $deleteFromPrimitiveList removes them.
TEST(StrategicMergePatchKubectl, FinalizersMergeAsASet) {
  Json live = yaml("metadata: {name: web, finalizers: [example.com/a, example.com/b]}");
  Result<Json> added = strategic_merge_patch(
      live, yaml("metadata: {finalizers: [example.com/c, example.com/a]}"), pod());
  ASSERT_TRUE(added.ok()) << added.error().message;
  EXPECT_EQ((*added)["metadata"]["finalizers"],
            yaml("[example.com/c, example.com/a, example.com/b]"));
  Result<Json> removed = strategic_merge_patch(
      live, yaml("metadata: {$deleteFromPrimitiveList/finalizers: [example.com/a]}"), pod());
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ((*removed)["metadata"]["finalizers"], yaml("[example.com/b]"));
}

TEST(StrategicMergePatchKubectl, OwnerReferencesMergeByUid) {
  Json live = yaml(R"(
metadata:
  ownerReferences:
  - {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: u1, controller: true}
)");
  Result<Json> got = strategic_merge_patch(live, yaml(R"(
metadata:
  ownerReferences:
  - {uid: u1, blockOwnerDeletion: true}
  - {apiVersion: v1, kind: ConfigMap, name: c, uid: u2}
)"),
                                           pod());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["metadata"]["ownerReferences"], yaml(R"(
- {apiVersion: apps/v1, kind: ReplicaSet, name: a, uid: u1, controller: true, blockOwnerDeletion: true}
- {apiVersion: v1, kind: ConfigMap, name: c, uid: u2}
)"));
}

// The kubelet patches pod status with $setElementOrder/conditions; conditions merge by type.
TEST(StrategicMergePatchKubectl, KubeletStatusPatchMergesConditionsByType) {
  Json live = yaml(R"(
status:
  phase: Pending
  conditions:
  - {type: PodScheduled, status: "True"}
  - {type: Ready, status: "False", reason: ContainersNotReady}
)");
  Result<Json> got = strategic_merge_patch(live, yaml(R"(
status:
  $setElementOrder/conditions: [{type: PodScheduled}, {type: Initialized}, {type: Ready}]
  conditions:
  - {type: Initialized, status: "True"}
  - {type: Ready, status: "True", reason: null}
  phase: Running
)"),
                                           pod());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["status"], yaml(R"(
phase: Running
conditions:
- {type: PodScheduled, status: "True"}
- {type: Initialized, status: "True"}
- {type: Ready, status: "True"}
)"));
}

TEST(StrategicMergePatchKubectl, ImagePullSecretsMergeByName) {
  Json live = yaml("spec: {imagePullSecrets: [{name: a}]}");
  Result<Json> got =
      strategic_merge_patch(live, yaml("spec: {imagePullSecrets: [{name: b}]}"), pod());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["spec"]["imagePullSecrets"], yaml("[{name: b}, {name: a}]"));
}

TEST(StrategicMergePatchKubectl, ContainerWithoutNameIsKubernetesError) {
  Result<Json> got = strategic_merge_patch(
      yaml(kLiveDeployment), yaml("spec: {template: {spec: {containers: [{image: nginx}]}}}"),
      deployment());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kInternal);
  EXPECT_EQ(got.error().message, "map: map[image:nginx] does not contain declared merge key: name");
}

// Fields the schema does not declare (a newer Kubernetes field, a typo strict validation will
// report later) merge as maps do, so the patch engine never fails on them.
TEST(StrategicMergePatchKubectl, UndeclaredFieldsMergeAsMaps) {
  Json live = yaml(kLiveDeployment);
  live["spec"]["template"]["spec"]["futureField"] = yaml("{a: 1, b: [1]}");
  Result<Json> got = strategic_merge_patch(
      live, yaml("spec: {template: {spec: {futureField: {a: null, c: 2, b: [2]}}}}"), deployment());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["spec"]["template"]["spec"]["futureField"], yaml("{b: [2], c: 2}"));
}

// Directives in a subtree the live object does not have yet are dropped with it, never stored.
TEST(StrategicMergePatchKubectl, DirectivesInNewSubtreesAreNotStored) {
  Json live = yaml("metadata: {name: web}");
  Result<Json> got = strategic_merge_patch(live, yaml(R"(
spec:
  $setElementOrder/containers: [{name: a}]
  containers:
  - {name: a, image: x, env: [{$patch: delete, name: OLD}, {name: NEW, value: "1"}]}
  - {$patch: delete, name: b}
  volumes: [{$retainKeys: [name], name: v, emptyDir: {}}]
  securityContext: {runAsUser: 1000, runAsGroup: null}
)"),
                                           pod());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["spec"], yaml(R"(
containers:
- {name: a, image: x, env: [{name: NEW, value: "1"}]}
volumes: [{name: v, emptyDir: {}}]
securityContext: {runAsUser: 1000}
)"));
}

}  // namespace
}  // namespace bosun::api
