#include "api/schema_validation.h"

#include <gtest/gtest.h>

#include <string>

namespace bosun::api {
namespace {

const SchemaType& kind(const char* group, const char* k) {
  const SchemaType* t = SchemaSet::global().find(group, "v1", k);
  EXPECT_NE(t, nullptr) << k;
  return *t;
}

FieldValidationResult check(const char* group, const char* k, const char* json) {
  return validate_fields(Json::parse(json), kind(group, k));
}

std::string describe(const FieldValidationResult& r) {
  std::string s;
  for (const auto& u : r.unknown_fields) s += "unknown: " + u + "\n";
  for (const auto& e : r.type_errors) s += "type: " + e.path + ": " + e.message + "\n";
  return s;
}

// The manifests below are the examples of the kubernetes.io documentation pages (Deployments,
// Service, ReplicaSet, Using RBAC Authorization), in JSON; they must pass strict validation
// untouched.
TEST(ValidateFields, DocumentationDeploymentPasses) {
  auto r = check("apps", "Deployment", R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "nginx-deployment", "labels": {"app": "nginx"}},
    "spec": {
      "replicas": 3,
      "selector": {"matchLabels": {"app": "nginx"}},
      "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": 0}},
      "template": {
        "metadata": {"labels": {"app": "nginx"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2",
                                  "ports": [{"containerPort": 80}]}]}}}})");
  EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(ValidateFields, DocumentationServiceAndReplicaSetPass) {
  auto svc = check("", "Service", R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "my-service"},
    "spec": {"selector": {"app.kubernetes.io/name": "MyApp"},
             "ports": [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 9376},
                       {"name": "https", "protocol": "TCP", "port": 443, "targetPort": "https"}],
             "type": "ClusterIP"}})");
  EXPECT_TRUE(svc.ok()) << describe(svc);
  auto rs = check("apps", "ReplicaSet", R"({
    "apiVersion": "apps/v1", "kind": "ReplicaSet",
    "metadata": {"name": "frontend", "labels": {"app": "guestbook", "tier": "frontend"}},
    "spec": {"replicas": 3,
             "selector": {"matchLabels": {"tier": "frontend"},
                          "matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend"]}]},
             "template": {"metadata": {"labels": {"tier": "frontend"}},
                          "spec": {"containers": [{"name": "php-redis",
                                                   "image": "us-docker.pkg.dev/google-samples/containers/gke/gb-frontend:v5"}]}}}})");
  EXPECT_TRUE(rs.ok()) << describe(rs);
}

TEST(ValidateFields, DocumentationRbacObjectsPass) {
  auto role = check("rbac.authorization.k8s.io", "Role", R"({
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
    "metadata": {"namespace": "default", "name": "pod-reader"},
    "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]}]})");
  EXPECT_TRUE(role.ok()) << describe(role);
  auto binding = check("rbac.authorization.k8s.io", "RoleBinding", R"({
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
    "metadata": {"name": "read-pods", "namespace": "default"},
    "subjects": [{"kind": "User", "name": "jane", "apiGroup": "rbac.authorization.k8s.io"}],
    "roleRef": {"kind": "Role", "name": "pod-reader", "apiGroup": "rbac.authorization.k8s.io"}})");
  EXPECT_TRUE(binding.ok()) << describe(binding);
  auto cr = check("rbac.authorization.k8s.io", "ClusterRole", R"({
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
    "metadata": {"name": "monitoring"},
    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}}]},
    "rules": []})");
  EXPECT_TRUE(cr.ok()) << describe(cr);
}

TEST(ValidateFields, PodWithProbesVolumesSecurityContextAndAffinityPasses) {
  auto r = check("", "Pod", R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                 "annotations": {"note": "x"},
                 "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-1",
                                      "uid": "d9607e19-f88f-11e6-a518-42010a800195", "controller": true,
                                      "blockOwnerDeletion": true}]},
    "spec": {
      "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "fsGroup": 2000, "runAsNonRoot": true,
                          "seccompProfile": {"type": "RuntimeDefault"}, "supplementalGroups": [4000],
                          "sysctls": [{"name": "net.core.somaxconn", "value": "1024"}]},
      "affinity": {
        "nodeAffinity": {
          "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In",
                                   "values": ["antarctica-east1", "antarctica-west1"]}]}]},
          "preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [{"key": "disk", "operator": "In",
                                                                "values": ["ssd"]}]}}]},
        "podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
          {"weight": 100, "podAffinityTerm": {"labelSelector": {"matchExpressions": [
             {"key": "app", "operator": "In", "values": ["web"]}]},
             "topologyKey": "kubernetes.io/hostname"}}]}},
      "tolerations": [{"key": "example-key", "operator": "Exists", "effect": "NoSchedule"},
                      {"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute",
                       "tolerationSeconds": 3600}],
      "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": "zone",
                                     "whenUnsatisfiable": "DoNotSchedule",
                                     "labelSelector": {"matchLabels": {"app": "web"}}}],
      "nodeSelector": {"disktype": "ssd"},
      "restartPolicy": "Always",
      "terminationGracePeriodSeconds": 30,
      "dnsPolicy": "ClusterFirst",
      "serviceAccountName": "web",
      "initContainers": [{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
      "containers": [{
        "name": "app", "image": "registry.example.com/web:1.2", "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080"], "workingDir": "/srv",
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [{"name": "MODE", "value": "prod"},
                {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
                {"name": "PASS", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "MEM", "valueFrom": {"resourceFieldRef": {"resource": "limits.memory",
                                                                   "divisor": "1Mi"}}}],
        "envFrom": [{"configMapRef": {"name": "web-config"}}, {"prefix": "S_", "secretRef": {"name": "s"}}],
        "resources": {"requests": {"cpu": "250m", "memory": "64Mi"}, "limits": {"cpu": 1, "memory": "128Mi"}},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080,
                                      "httpHeaders": [{"name": "X-Custom", "value": "Awesome"}]},
                          "initialDelaySeconds": 3, "periodSeconds": 3, "failureThreshold": 3},
        "readinessProbe": {"tcpSocket": {"port": "http"}, "timeoutSeconds": 1, "successThreshold": 1},
        "startupProbe": {"exec": {"command": ["cat", "/tmp/healthy"]}, "failureThreshold": 30},
        "lifecycle": {"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 5"]}}},
        "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}},
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"},
                         {"name": "config", "mountPath": "/etc/web", "readOnly": true},
                         {"name": "data", "mountPath": "/data", "subPath": "web"}],
        "stdin": false, "tty": false, "terminationMessagePolicy": "FallbackToLogsOnError"}],
      "volumes": [
        {"name": "cache", "emptyDir": {"medium": "Memory", "sizeLimit": "500Mi"}},
        {"name": "config", "configMap": {"name": "web-config", "items": [{"key": "a", "path": "a.conf"}],
                                         "defaultMode": 420}},
        {"name": "creds", "secret": {"secretName": "db", "optional": true}},
        {"name": "logs", "hostPath": {"path": "/var/log/web", "type": "DirectoryOrCreate"}},
        {"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}},
        {"name": "all", "projected": {"sources": [
          {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600, "audience": "api"}},
          {"downwardAPI": {"items": [{"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}]}}]
    },
    "status": {"phase": "Running", "podIP": "10.1.2.3", "podIPs": [{"ip": "10.1.2.3"}],
               "conditions": [{"type": "Ready", "status": "True",
                               "lastTransitionTime": "2024-05-01T12:00:00Z"}],
               "startTime": "2024-05-01T12:00:00Z"}})");
  EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(ValidateFields, OtherGroupsPass) {
  auto lease = check("coordination.k8s.io", "Lease", R"({
    "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
    "metadata": {"name": "node-1", "namespace": "kube-node-lease"},
    "spec": {"holderIdentity": "node-1", "leaseDurationSeconds": 40,
             "renewTime": "2024-05-01T12:00:00.123456Z"}})");
  EXPECT_TRUE(lease.ok()) << describe(lease);
  auto slice = check("discovery.k8s.io", "EndpointSlice", R"({
    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "metadata": {"name": "example-abc", "labels": {"kubernetes.io/service-name": "example"}},
    "addressType": "IPv4",
    "ports": [{"name": "http", "protocol": "TCP", "port": 80}],
    "endpoints": [{"addresses": ["10.1.2.3"], "conditions": {"ready": true}, "hostname": "pod-1",
                   "nodeName": "node-1", "zone": "us-west2-a",
                   "targetRef": {"kind": "Pod", "name": "pod-1", "namespace": "default"},
                   "hints": {"forZones": [{"name": "us-west2-a"}], "forNodes": [{"name": "node-1"}]}}]})");
  EXPECT_TRUE(slice.ok()) << describe(slice);
  auto ev = check("events.k8s.io", "Event", R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event",
    "metadata": {"name": "web.17", "namespace": "default"},
    "eventTime": "2024-05-01T12:00:00.000001Z", "reason": "Scheduled", "type": "Normal",
    "regarding": {"kind": "Pod", "name": "web", "namespace": "default"},
    "reportingController": "default-scheduler", "reportingInstance": "s-1", "action": "Binding",
    "note": "Successfully assigned", "series": {"count": 2, "lastObservedTime": "2024-05-01T12:00:01.000000Z"}})");
  EXPECT_TRUE(ev.ok()) << describe(ev);
  auto scale = check("autoscaling", "Scale", R"({
    "apiVersion": "autoscaling/v1", "kind": "Scale", "metadata": {"name": "web", "namespace": "default"},
    "spec": {"replicas": 4}, "status": {"replicas": 3, "selector": "app=web"}})");
  EXPECT_TRUE(scale.ok()) << describe(scale);
  auto eviction = check("policy", "Eviction", R"({
    "apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "web", "namespace": "default"},
    "deleteOptions": {"gracePeriodSeconds": 0, "preconditions": {"uid": "u"}}})");
  EXPECT_TRUE(eviction.ok()) << describe(eviction);
}

TEST(ValidateFields, TypoIsReportedWithItsPathAsKubernetesWordsIt) {
  auto r = check("apps", "Deployment", R"({
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
    "spec": {"selector": {"matchLabels": {"app": "web"}},
             "template": {"metadata": {"labels": {"app": "web"}},
                          "spec": {"containers": [{"name": "web", "imagee": "nginx"}]}}}})");
  ASSERT_EQ(r.unknown_fields, std::vector<std::string>{"spec.template.spec.containers[0].imagee"});
  EXPECT_TRUE(r.type_errors.empty());
  EXPECT_EQ(r.strict_error(),
            "strict decoding error: unknown field \"spec.template.spec.containers[0].imagee\"");
  EXPECT_EQ(r.unknown_field_warnings(),
            std::vector<std::string>{"unknown field \"spec.template.spec.containers[0].imagee\""});
  EXPECT_EQ(
      cannot_handle_message("Deployment", "v1", r.decode_error()),
      "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: "
      "unknown field \"spec.template.spec.containers[0].imagee\"");
}

TEST(ValidateFields, SeveralUnknownFieldsAreAllListed) {
  auto r = check("apps", "Deployment", R"({
    "metadata": {"name": "web", "lables": {"a": "b"}},
    "spec": {"foo": 1, "bar": {"nested": true},
             "template": {"spec": {"containers": [{"name": "a"}, {"name": "b", "imagePullPolicyy": "x"}],
                                   "volumes": [{"name": "v", "emptyDir": {"medium": "", "size": "1"}}]}}},
    "extra": "x"})");
  // Unknown subtrees are not descended into (spec.bar.nested is not reported), as the strict
  // decoder skips them.
  EXPECT_EQ(r.unknown_fields, (std::vector<std::string>{
                                  "extra",
                                  "metadata.lables",
                                  "spec.bar",
                                  "spec.foo",
                                  "spec.template.spec.containers[1].imagePullPolicyy",
                                  "spec.template.spec.volumes[0].emptyDir.size",
                              }));
  EXPECT_EQ(r.strict_error(),
            "strict decoding error: unknown field \"extra\", unknown field \"metadata.lables\", "
            "unknown field "
            "\"spec.bar\", unknown field \"spec.foo\", unknown field "
            "\"spec.template.spec.containers[1].imagePullPolicyy\", unknown field "
            "\"spec.template.spec.volumes[0].emptyDir.size\"");
}

struct TypeCase {
  const char* group;
  const char* kind;
  const char* json;
  const char* path;
  const char* message;
};

// Values of the wrong JSON type fail decoding with encoding/json's message: the innermost struct's
// Go name, the field names from the root (no list indices), and the Go type.
TEST(ValidateFields, TypeMismatchesUseEncodingJsonWords) {
  const TypeCase cases[] = {
      {"apps", "Deployment", R"({"spec": {"replicas": "3"}})", "spec.replicas",
       "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type "
       "int32"},
      {"apps", "Deployment", R"({"spec": {"replicas": 1.5}})", "spec.replicas",
       "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of "
       "type int32"},
      {"apps", "Deployment", R"({"spec": {"replicas": 3000000000}})", "spec.replicas",
       "json: cannot unmarshal number 3000000000 into Go struct field DeploymentSpec.spec.replicas "
       "of type "
       "int32"},
      {"apps", "Deployment", R"({"spec": {"paused": "yes"}})", "spec.paused",
       "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type "
       "bool"},
      {"apps", "Deployment", R"({"spec": "web"})", "spec",
       "json: cannot unmarshal string into Go struct field Deployment.spec of type "
       "v1.DeploymentSpec"},
      {"apps", "Deployment",
       R"({"spec": {"template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": "80"}]}]}}}})",
       "spec.template.spec.containers[0].ports[0].containerPort",
       "json: cannot unmarshal string into Go struct field "
       "ContainerPort.spec.template.spec.containers.ports.containerPort of type int32"},
      {"apps", "Deployment", R"({"spec": {"template": {"spec": {"containers": {"name": "a"}}}}})",
       "spec.template.spec.containers",
       "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers "
       "of type "
       "[]v1.Container"},
      {"apps", "Deployment", R"({"spec": {"template": {"spec": {"containers": [{"args": [1]}]}}}})",
       "spec.template.spec.containers[0].args[0]",
       "json: cannot unmarshal number into Go struct field "
       "Container.spec.template.spec.containers.args of "
       "type string"},
      {"apps", "Deployment", R"({"metadata": {"labels": {"app": 1}}})", "metadata.labels.app",
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type "
       "string"},
      {"apps", "Deployment", R"({"metadata": {"labels": ["a"]}})", "metadata.labels",
       "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.labels of type "
       "map[string]string"},
      {"apps", "Deployment", R"({"metadata": {"creationTimestamp": 5}})",
       "metadata.creationTimestamp",
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.creationTimestamp "
       "of type "
       "string"},
      {"apps", "Deployment", R"({"spec": {"strategy": {"rollingUpdate": {"maxSurge": true}}}})",
       "spec.strategy.rollingUpdate.maxSurge",
       "json: cannot unmarshal bool into Go struct field "
       "RollingUpdateDeployment.spec.strategy.rollingUpdate."
       "maxSurge of type int32"},
      {"apps", "Deployment", R"({"spec": {"strategy": {"rollingUpdate": {"maxSurge": 2.5}}}})",
       "spec.strategy.rollingUpdate.maxSurge",
       "json: cannot unmarshal number 2.5 into Go struct field "
       "RollingUpdateDeployment.spec.strategy."
       "rollingUpdate.maxSurge of type int32"},
      {"", "Secret", R"({"data": {"password": "admin"}})", "data.password",
       "illegal base64 data at input byte 4"},
      {"", "Pod",
       R"({"spec": {"containers": [{"name": "a", "resources": {"limits": {"cpu": true}}}]}})",
       "spec.containers[0].resources.limits.cpu",
       "quantities must match the regular expression "
       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"},
      {"", "Pod",
       R"({"spec": {"containers": [{"name": "a", "resources": {"limits": {"memory": "lots"}}}]}})",
       "spec.containers[0].resources.limits.memory",
       "quantities must match the regular expression "
       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"},
  };
  for (const TypeCase& c : cases) {
    auto r = check(c.group, c.kind, c.json);
    ASSERT_EQ(r.type_errors.size(), 1u) << c.json << "\n" << describe(r);
    EXPECT_EQ(r.type_errors[0].path, c.path) << c.json;
    EXPECT_EQ(r.type_errors[0].message, c.message) << c.json;
    EXPECT_EQ(r.decode_error(), c.message);
  }
}

struct TimeCase {
  const char* value;
  bool micro;
  const char* message;  // empty: valid
};

// metav1.Time parses with time.RFC3339 and MicroTime with RFC3339Micro; a bad timestamp fails
// decoding with Go's time.ParseError text.
TEST(ValidateFields, TimestampsParseAsGoParsesThem) {
  const TimeCase cases[] = {
      {"2024-05-01T12:00:00Z", false, ""},
      {"2024-05-01T12:00:00.5+02:00", false, ""},
      {"2024-05-01T1:00:00-07:30", false, ""},
      {"2024-02-29T00:00:00Z", false, ""},
      {"2024-05-01T12:00:00.123456Z", true, ""},
      {"2024-05-01T12:00:00.123456-07:00", true, ""},
      {"abc", false,
       "parsing time \"abc\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"abc\" as \"2006\""},
      {"", false,
       "parsing time \"\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" as \"2006\""},
      {"2024-05-01 12:00:00Z", false,
       "parsing time \"2024-05-01 12:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \" "
       "12:00:00Z\" as "
       "\"T\""},
      {"2024-5-01T12:00:00Z", false,
       "parsing time \"2024-5-01T12:00:00Z\" as \"2006-01-02T15:04:05Z07:00\": cannot parse "
       "\"5-01T12:00:00Z\" "
       "as \"01\""},
      {"2024-05-01T12:00:00", false,
       "parsing time \"2024-05-01T12:00:00\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"\" "
       "as "
       "\"Z07:00\""},
      {"2024-13-01T00:00:00Z", false, "parsing time \"2024-13-01T00:00:00Z\": month out of range"},
      {"2023-02-29T00:00:00Z", false, "parsing time \"2023-02-29T00:00:00Z\": day out of range"},
      {"2024-05-01T24:00:00Z", false, "parsing time \"2024-05-01T24:00:00Z\": hour out of range"},
      {"2024-05-01T12:00:00Zjunk", false,
       "parsing time \"2024-05-01T12:00:00Zjunk\": extra text: \"junk\""},
      {"2024-05-01T12:00:00Z", true,
       "parsing time \"2024-05-01T12:00:00Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot "
       "parse \"Z\" as "
       "\".000000\""},
      {"2024-05-01T12:00:00.123Z", true,
       "parsing time \"2024-05-01T12:00:00.123Z\" as \"2006-01-02T15:04:05.000000Z07:00\": cannot "
       "parse "
       "\".123Z\" as \".000000\""},
  };
  for (const TimeCase& c : cases) {
    EXPECT_EQ(go_time_parse_error(c.value, c.micro), c.message) << c.value;
  }
  auto r = check("apps", "Deployment", R"({"metadata": {"creationTimestamp": "yesterday"}})");
  ASSERT_EQ(r.type_errors.size(), 1u);
  EXPECT_EQ(r.type_errors[0].path, "metadata.creationTimestamp");
  EXPECT_EQ(cannot_handle_message("Deployment", "v1", r.decode_error()),
            "Deployment in version \"v1\" cannot be handled as a Deployment: parsing time "
            "\"yesterday\" as "
            "\"2006-01-02T15:04:05Z07:00\": cannot parse \"yesterday\" as \"2006\"");
  auto lease =
      check("coordination.k8s.io", "Lease", R"({"spec": {"renewTime": "2024-05-01T12:00:00Z"}})");
  ASSERT_EQ(lease.type_errors.size(), 1u);
  EXPECT_EQ(lease.type_errors[0].path, "spec.renewTime");
}

TEST(ValidateFields, TypeErrorTakesPrecedenceOverUnknownFields) {
  auto r = check("apps", "Deployment", R"({"spec": {"foo": 1, "replicas": "x"}})");
  EXPECT_EQ(r.unknown_fields, std::vector<std::string>{"spec.foo"});
  EXPECT_EQ(r.decode_error(),
            "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of "
            "type int32");
}

TEST(ValidateFields, QuantityAndIntOrStringAcceptNumbersAndStrings) {
  auto r = check("", "Pod", R"({"spec": {"containers": [{"name": "a",
      "resources": {"limits": {"cpu": 2, "memory": 1.5e9}, "requests": {"cpu": "100m", "memory": "1Gi"}},
      "ports": [{"containerPort": 80}],
      "livenessProbe": {"httpGet": {"port": "http"}}, "readinessProbe": {"httpGet": {"port": 8080}}}]}})");
  EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(ValidateFields, NullIsAcceptedAnywhere) {
  auto r = check("apps", "Deployment", R"({"metadata": {"creationTimestamp": null, "labels": null},
      "spec": {"replicas": null, "template": {"spec": {"containers": [{"name": "a", "args": null}]}}},
      "status": null})");
  EXPECT_TRUE(r.ok()) << describe(r);
}

TEST(ValidateFields, AnyAndPreserveUnknownSubtreesAreNotChecked) {
  auto rev = check("apps", "ControllerRevision",
                   R"({"data": {"anything": {"goes": [1, "x"]}}, "revision": 2})");
  EXPECT_TRUE(rev.ok()) << describe(rev);
  auto managed =
      check("apps", "Deployment", R"({"metadata": {"managedFields": [{"manager": "kubectl",
      "operation": "Apply", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]}})");
  EXPECT_TRUE(managed.ok()) << describe(managed);

  const SchemaSource src{"t", R"(
package t
type Open preserve-unknown
  known int32
type Root
  open Open
  raw any
  loose Closed preserve-unknown
type Closed
  a string
)"};
  auto set = SchemaSet::parse({&src, 1});
  ASSERT_TRUE(set.ok()) << set.error().message;
  const SchemaType& root = *(*set)->find("t.Root");
  auto r = validate_fields(Json::parse(R"({"open": {"known": 1, "x": 2}, "raw": [1, {"y": 2}],
                                           "loose": {"a": "s", "z": 1}, "nope": 1})"),
                           root);
  EXPECT_EQ(r.unknown_fields, std::vector<std::string>{"nope"});
  // Known fields of a preserve-unknown type are still type-checked.
  auto bad = validate_fields(Json::parse(R"({"open": {"known": "one"}})"), root);
  ASSERT_EQ(bad.type_errors.size(), 1u);
  EXPECT_EQ(bad.type_errors[0].message,
            "json: cannot unmarshal string into Go struct field Open.open.known of type int32");
}

TEST(ValidateFields, IgnoreModeSkipsUnknownFieldsButNotTypeErrors) {
  FieldValidationOptions ignore;
  ignore.report_unknown = false;
  auto r = validate_fields(Json::parse(R"({"spec": {"foo": 1, "replicas": true}})"),
                           kind("apps", "Deployment"), ignore);
  EXPECT_TRUE(r.unknown_fields.empty());
  EXPECT_EQ(r.type_errors.size(), 1u);
}

TEST(ValidateFields, ABodyThatIsNotAnObjectFails) {
  auto r = validate_fields(Json::parse("[1]"), kind("apps", "Deployment"));
  ASSERT_EQ(r.type_errors.size(), 1u);
  EXPECT_EQ(r.type_errors[0].message,
            "json: cannot unmarshal array into Go value of type v1.Deployment");
}

TEST(ValidateFields, ResultsAppendForReuse) {
  FieldValidationResult out;
  validate_fields(Json::parse(R"({"a": 1})"), kind("apps", "Deployment"), {}, &out);
  validate_fields(Json::parse(R"({"b": 1})"), kind("apps", "Deployment"), {}, &out);
  EXPECT_EQ(out.unknown_fields, (std::vector<std::string>{"a", "b"}));
}

TEST(StrictMessages, DuplicateAndCombined) {
  EXPECT_EQ(duplicate_field_message("spec.replicas"), "duplicate field \"spec.replicas\"");
  std::vector<std::string> errs = {unknown_field_message("spec.foo"),
                                   duplicate_field_message("spec.replicas")};
  EXPECT_EQ(strict_decoding_message(errs),
            "strict decoding error: unknown field \"spec.foo\", duplicate field \"spec.replicas\"");
  EXPECT_EQ(cannot_handle_message("Secret", "v1", "illegal base64 data at input byte 4"),
            "Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input "
            "byte 4");
}

// Offsets as Go's base64.StdEncoding.Decode reports them.
TEST(Base64, ErrorOffsetsMatchGo) {
  EXPECT_EQ(base64_error_offset(""), -1);
  EXPECT_EQ(base64_error_offset("YWRtaW4="), -1);
  EXPECT_EQ(base64_error_offset("cGFzc3dvcmQ="), -1);
  EXPECT_EQ(base64_error_offset("YWRt\naW4="), -1);  // newlines are skipped
  EXPECT_EQ(base64_error_offset("YQ=="), -1);
  EXPECT_EQ(base64_error_offset("admin"), 4);        // one character left over
  EXPECT_EQ(base64_error_offset("YWRtaW4"), 4);      // missing padding
  EXPECT_EQ(base64_error_offset("hello world"), 5);  // the space
  EXPECT_EQ(base64_error_offset("YQ="), 3);          // half the padding
  EXPECT_EQ(base64_error_offset("YQ==YQ=="), 4);     // data after padding
  EXPECT_EQ(base64_error_offset("=abc"), 0);
  EXPECT_EQ(base64_error_offset("ab=c"), 2);
}

}  // namespace
}  // namespace bosun::api
