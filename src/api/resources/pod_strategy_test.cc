#include <gtest/gtest.h>

#include "api/registry.h"
#include "api/resources/pod_spec.h"
#include "api/resources/resources.h"
#include "common/clock.h"
#include "common/time_format.h"

namespace bosun::api::resources {
namespace {

using namespace std::chrono_literals;

class PodStrategyTest : public ::testing::Test {
 protected:
  PodStrategyTest() : registry_(ResourceRegistry::make_builtin()) {
    pods_ = registry_.find_mutable("", "v1", "pods");
    install_pod(*pods_, clock_);
  }

  const ResourceStrategy& s() const { return pods_->strategy; }

  // What the API server stores for a create: defaults, then the strategy's preparation.
  Json create(Json pod) {
    s().default_fields(pod);
    s().prepare_for_create(pod);
    return pod;
  }

  static std::string agg(const FieldErrors& errs) {
    return errs.empty() ? "" : errs.aggregate_message();
  }
  static std::string errors(const FieldErrors& errs) {
    return errs.empty() ? "" : errs.aggregate_message();
  }
  std::string create_errors(Json pod) {
    s().default_fields(pod);
    return errors(s().validate_create(pod));
  }
  std::string update_errors(Json pod, const Json& old) {
    s().default_fields(pod);
    s().prepare_for_update(pod, old);
    return errors(s().validate_update(pod, old));
  }

  FakeClock clock_{*parse_rfc3339("2024-05-03T15:00:00Z")};
  ResourceRegistry registry_;
  ResourceType* pods_ = nullptr;
};

Json minimal_pod() {
  return Json::parse(R"({"apiVersion":"v1","kind":"Pod",
    "metadata":{"name":"nginx","namespace":"default"},
    "spec":{"containers":[{"name":"nginx","image":"nginx"}]}})");
}

// kubectl run nginx --image=nginx; kubectl get pod nginx -o yaml shows these fields that nobody
// wrote (minus what admission adds: service account and its token volume; the default
// tolerations of DefaultTolerationSeconds are added).
TEST_F(PodStrategyTest, MinimalPodGetsKubernetesDefaults) {
  Json pod = create(minimal_pod());
  Json want = Json::parse(R"({
    "containers":[{"image":"nginx","imagePullPolicy":"Always","name":"nginx","resources":{},
                   "terminationMessagePath":"/dev/termination-log",
                   "terminationMessagePolicy":"File"}],
    "dnsPolicy":"ClusterFirst","enableServiceLinks":true,
    "preemptionPolicy":"PreemptLowerPriority","priority":0,"restartPolicy":"Always",
    "schedulerName":"default-scheduler","securityContext":{},
    "terminationGracePeriodSeconds":30,
    "tolerations":[{"effect":"NoExecute","key":"node.kubernetes.io/not-ready","operator":"Exists",
                    "tolerationSeconds":300},
                   {"effect":"NoExecute","key":"node.kubernetes.io/unreachable",
                    "operator":"Exists","tolerationSeconds":300}]})");
  EXPECT_EQ(pod["spec"], want) << pod["spec"].dump(2);
  EXPECT_EQ(pod["status"], Json::parse(R"({"phase":"Pending","qosClass":"BestEffort"})"));
  EXPECT_EQ(pod["metadata"]["generation"], 1);
  EXPECT_EQ(create_errors(minimal_pod()), "");
}

TEST_F(PodStrategyTest, DefaultTolerationSecondsRespectsOwnTolerations) {
  Json pod = minimal_pod();
  pod["spec"]["tolerations"] = Json::parse(
      R"([{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute",
           "tolerationSeconds":2}])");
  Json got = create(pod)["spec"]["tolerations"];
  ASSERT_EQ(got.size(), 2u) << got.dump();
  EXPECT_EQ(got[0]["tolerationSeconds"], 2);
  EXPECT_EQ(got[1]["key"], "node.kubernetes.io/not-ready");
  EXPECT_EQ(got[1]["tolerationSeconds"], 300);
  // A toleration of everything (empty key, any effect) covers both taints.
  pod["spec"]["tolerations"] = Json::parse(R"([{"operator":"Exists"}])");
  EXPECT_EQ(create(pod)["spec"]["tolerations"].size(), 1u);
  // A NoSchedule toleration does not.
  pod["spec"]["tolerations"] = Json::parse(
      R"([{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoSchedule"}])");
  EXPECT_EQ(create(pod)["spec"]["tolerations"].size(), 3u);
}

// kube-apiserver's --default-not-ready-toleration-seconds and
// --default-unreachable-toleration-seconds set what the plugin adds, on create and on update.
TEST_F(PodStrategyTest, DefaultTolerationSecondsAreTheServersSettings) {
  PodAdmissionOptions admission;
  admission.default_not_ready_toleration_seconds = 30;
  admission.default_unreachable_toleration_seconds = 7;
  install_pod(*pods_, clock_, admission);
  Json got = create(minimal_pod());
  ASSERT_EQ(got["spec"]["tolerations"].size(), 2u) << got.dump();
  EXPECT_EQ(got["spec"]["tolerations"][0]["key"], "node.kubernetes.io/not-ready");
  EXPECT_EQ(got["spec"]["tolerations"][0]["tolerationSeconds"], 30);
  EXPECT_EQ(got["spec"]["tolerations"][1]["key"], "node.kubernetes.io/unreachable");
  EXPECT_EQ(got["spec"]["tolerations"][1]["tolerationSeconds"], 7);
  Json updated = got;
  updated["spec"].erase("tolerations");
  s().prepare_for_update(updated, got);
  EXPECT_EQ(updated["spec"]["tolerations"], got["spec"]["tolerations"]);
}

TEST_F(PodStrategyTest, ImagePullPolicyFollowsTheTag) {
  EXPECT_EQ(default_image_pull_policy("nginx"), "Always");
  EXPECT_EQ(default_image_pull_policy("nginx:latest"), "Always");
  EXPECT_EQ(default_image_pull_policy("nginx:1.27"), "IfNotPresent");
  EXPECT_EQ(default_image_pull_policy("localhost:5000/app"), "Always");
  EXPECT_EQ(default_image_pull_policy("localhost:5000/app:v2"), "IfNotPresent");
  EXPECT_EQ(default_image_pull_policy("nginx@sha256:0123456789abcdef"), "IfNotPresent");
  EXPECT_EQ(default_image_pull_policy("registry.example.com/team/app:latest"), "Always");
  // Unparsable references have no tag.
  EXPECT_EQ(default_image_pull_policy("Nginx"), "IfNotPresent");
  EXPECT_EQ(default_image_pull_policy(""), "IfNotPresent");
}

TEST_F(PodStrategyTest, NestedDefaults) {
  Json pod = minimal_pod();
  pod["spec"]["hostNetwork"] = true;
  pod["spec"]["containers"][0] = Json::parse(R"({"name":"app","image":"app:v1",
    "ports":[{"containerPort":8080}],
    "livenessProbe":{"httpGet":{"port":8080}},
    "readinessProbe":{"tcpSocket":{"port":"http"},"periodSeconds":5},
    "env":[{"name":"POD","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}},
           {"name":"CPU","valueFrom":{"resourceFieldRef":{"resource":"limits.cpu"}}}],
    "resources":{"limits":{"cpu":"500m","memory":"128Mi"}}})");
  pod["spec"]["volumes"] = Json::parse(R"([{"name":"a"},{"name":"cm","configMap":{"name":"c"}},
    {"name":"s","secret":{"secretName":"s"}},{"name":"h","hostPath":{"path":"/tmp"}},
    {"name":"p","projected":{"sources":[{"serviceAccountToken":{"path":"token"}}]}}])");
  pod = create(pod);
  const Json& c = pod["spec"]["containers"][0];
  EXPECT_EQ(c["imagePullPolicy"], "IfNotPresent");
  EXPECT_EQ(c["ports"][0],
            Json::parse(R"({"containerPort":8080,"hostPort":8080,"protocol":"TCP"})"));
  EXPECT_EQ(c["livenessProbe"], Json::parse(R"({"failureThreshold":3,
    "httpGet":{"path":"/","port":8080,"scheme":"HTTP"},"periodSeconds":10,"successThreshold":1,
    "timeoutSeconds":1})"));
  EXPECT_EQ(c["readinessProbe"]["periodSeconds"], 5);
  EXPECT_EQ(c["env"][0]["valueFrom"]["fieldRef"]["apiVersion"], "v1");
  EXPECT_EQ(c["env"][1]["valueFrom"]["resourceFieldRef"]["divisor"], "0");
  // Requests default to limits on a Pod, and equal cpu/memory requests and limits are Guaranteed.
  EXPECT_EQ(c["resources"]["requests"], Json::parse(R"({"cpu":"500m","memory":"128Mi"})"));
  EXPECT_EQ(pod["status"]["qosClass"], "Guaranteed");
  const Json& v = pod["spec"]["volumes"];
  EXPECT_EQ(v[0]["emptyDir"], Json::object());
  EXPECT_EQ(v[1]["configMap"], Json::parse(R"({"defaultMode":420,"name":"c"})"));
  EXPECT_EQ(v[2]["secret"]["defaultMode"], 420);
  EXPECT_EQ(v[3]["hostPath"], Json::parse(R"({"path":"/tmp","type":""})"));
  EXPECT_EQ(v[4]["projected"], Json::parse(R"({"defaultMode":420,
    "sources":[{"serviceAccountToken":{"expirationSeconds":3600,"path":"token"}}]})"));
}

TEST_F(PodStrategyTest, QuantitiesAreCanonicalAndRoundedToMilli) {
  Json pod = minimal_pod();
  pod["spec"]["containers"][0]["resources"] =
      Json::parse(R"({"requests":{"cpu":"0.0001","memory":"1024Mi"},"limits":{"cpu":2}})");
  pod = create(pod);
  const Json& r = pod["spec"]["containers"][0]["resources"];
  EXPECT_EQ(r["requests"]["cpu"], "1m");
  EXPECT_EQ(r["requests"]["memory"], "1Gi");
  EXPECT_EQ(r["limits"]["cpu"], "2");
  EXPECT_EQ(pod["status"]["qosClass"], "Burstable");
}

TEST_F(PodStrategyTest, ValidationMessagesAreKubernetes) {
  Json pod = minimal_pod();
  pod["spec"]["containers"] = Json::array();
  EXPECT_EQ(create_errors(pod), "spec.containers: Required value");

  pod = minimal_pod();
  pod["spec"]["containers"][0]["name"] = "Web";
  EXPECT_EQ(create_errors(pod),
            "spec.containers[0].name: Invalid value: \"Web\": a lowercase RFC 1123 label must "
            "consist of lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");

  pod = minimal_pod();
  pod["spec"]["containers"].push_back(pod["spec"]["containers"][0]);
  EXPECT_EQ(create_errors(pod), "spec.containers[1].name: Duplicate value: \"nginx\"");

  pod = minimal_pod();
  pod["spec"]["containers"][0]["resources"] =
      Json::parse(R"({"requests":{"cpu":"2"},"limits":{"cpu":"1"}})");
  EXPECT_EQ(create_errors(pod),
            "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or "
            "equal to cpu limit of 1");

  pod = minimal_pod();
  pod["spec"]["restartPolicy"] = "Sometimes";
  EXPECT_EQ(create_errors(pod),
            "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", "
            "\"OnFailure\", \"Never\"");

  pod = minimal_pod();
  pod["spec"]["containers"][0]["ports"] =
      Json::parse(R"([{"name":"HTTP","containerPort":80,"protocol":"ICMP"}])");
  EXPECT_EQ(create_errors(pod),
            "[spec.containers[0].ports[0].name: Invalid value: \"HTTP\": must contain only "
            "alpha-numeric characters (a-z, 0-9), and hyphens (-), "
            "spec.containers[0].ports[0].name: Invalid value: \"HTTP\": must contain at least one "
            "letter (a-z), spec.containers[0].ports[0].protocol: Unsupported value: \"ICMP\": "
            "supported values: \"SCTP\", \"TCP\", \"UDP\"]");

  pod = minimal_pod();
  pod["spec"]["containers"][0]["volumeMounts"] =
      Json::parse(R"([{"name":"data","mountPath":"/d"}])");
  EXPECT_EQ(create_errors(pod), "spec.containers[0].volumeMounts[0].name: Not found: \"data\"");

  pod = minimal_pod();
  pod["spec"]["containers"][0]["imagePullPolicy"] = "Sometimes";
  EXPECT_EQ(create_errors(pod),
            "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported "
            "values: \"Always\", \"IfNotPresent\", \"Never\"");

  pod = minimal_pod();
  pod["spec"]["volumes"] = Json::parse(R"([{"name":"v","emptyDir":{},"hostPath":{"path":"/x"}}])");
  EXPECT_EQ(create_errors(pod),
            "spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type");

  pod = minimal_pod();
  pod["spec"]["tolerations"] = Json::parse(R"([{"operator":"Equal","value":"x"}])");
  EXPECT_EQ(create_errors(pod),
            "spec.tolerations[0].operator: Invalid value: \"Equal\": operator must be Exists when "
            "`key` is empty, which means \"match all values and all keys\"");

  pod = minimal_pod();
  pod["spec"]["containers"][0]["env"] = Json::parse(R"([{"name":"A=B"}])");
  EXPECT_EQ(create_errors(pod),
            "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable "
            "name must consist only of printable ASCII characters other than '='");

  pod = minimal_pod();
  pod["spec"]["containers"][0]["livenessProbe"] =
      Json::parse(R"({"exec":{"command":["true"]},"successThreshold":2})");
  EXPECT_EQ(create_errors(pod),
            "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1");

  pod = minimal_pod();
  pod["spec"]["ephemeralContainers"] = Json::parse(R"([{"name":"debug","image":"busybox"}])");
  EXPECT_EQ(create_errors(pod), "spec.ephemeralContainers: Forbidden: cannot be set on create");
}

TEST_F(PodStrategyTest, UpdateKeepsStatusAndAllowsOnlyMutableFields) {
  Json old = create(minimal_pod());
  old["status"]["phase"] = "Running";
  old["metadata"]["resourceVersion"] = "5";

  // A new image is a spec change: allowed, status kept, generation bumped.
  Json pod = old;
  pod["spec"]["containers"][0]["image"] = "nginx:1.27";
  pod["status"] = Json{{"phase", "Failed"}};
  std::string errs = update_errors(pod, old);
  EXPECT_EQ(errs, "");
  s().prepare_for_update(pod, old);
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(pod["metadata"]["generation"], 2);

  // A metadata-only change keeps the generation.
  pod = old;
  pod["metadata"]["labels"] = {{"a", "b"}};
  s().prepare_for_update(pod, old);
  EXPECT_EQ(pod["metadata"]["generation"], 1);

  pod = old;
  pod["spec"]["containers"][0]["name"] = "web";
  errs = update_errors(pod, old);
  EXPECT_EQ(errs.rfind("spec: Forbidden: pod updates may not change fields other than "
                       "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                       "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to "
                       "existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be "
                       "set to 1 if it was previously negative)\n",
                       0),
            0u)
      << errs;
  EXPECT_NE(errs.find("spec.containers[0].name: \"nginx\""), std::string::npos) << errs;

  pod = old;
  pod["spec"]["containers"].push_back(Json{{"name", "b"}, {"image", "b"}});
  EXPECT_EQ(update_errors(pod, old),
            "spec.containers: Forbidden: pod updates may not add or remove containers");

  old["spec"]["tolerations"] = Json::parse(R"([{"key":"k","operator":"Exists","effect":"NoExecute",
                                              "tolerationSeconds":10}])");
  pod = old;
  pod["spec"]["tolerations"][0]["tolerationSeconds"] = 20;
  pod["spec"]["tolerations"].push_back(Json::parse(R"({"key":"new","operator":"Exists"})"));
  EXPECT_EQ(update_errors(pod, old), "");
  pod = old;
  pod["spec"]["tolerations"][0]["key"] = "other";
  EXPECT_EQ(update_errors(pod, old),
            "spec.tolerations: Forbidden: existing toleration can not be modified except its "
            "tolerationSeconds");

  old["spec"]["activeDeadlineSeconds"] = 100;
  pod = old;
  pod["spec"]["activeDeadlineSeconds"] = 200;
  EXPECT_EQ(update_errors(pod, old),
            "spec.activeDeadlineSeconds: Invalid value: 200: must be less than or equal to "
            "previous value");
  pod["spec"].erase("activeDeadlineSeconds");
  EXPECT_EQ(update_errors(pod, old),
            "spec.activeDeadlineSeconds: Invalid value: \"null\": must not update from a positive "
            "integer to nil value");
}

// The Priority admission plugin set priority at create; an update that leaves it out keeps it.
TEST_F(PodStrategyTest, UpdateKeepsAdmittedPriority) {
  Json old = create(minimal_pod());
  old["metadata"]["resourceVersion"] = "5";
  Json pod = minimal_pod();
  pod["metadata"] = old["metadata"];
  // (A tag other than latest would also change the defaulted imagePullPolicy, which Kubernetes
  // refuses in a full update too.)
  pod["spec"]["containers"][0]["image"] = "nginx:latest";
  EXPECT_EQ(update_errors(pod, old), "");
  s().default_fields(pod);
  s().prepare_for_update(pod, old);
  EXPECT_EQ(pod["spec"]["priority"], 0);
  EXPECT_EQ(pod["spec"]["preemptionPolicy"], "PreemptLowerPriority");
}

// kubectl debug adds an ephemeral container through pods/ephemeralcontainers.
TEST_F(PodStrategyTest, EphemeralContainersSubresource) {
  Json old = create(minimal_pod());
  SubresourceStrategy st = pod_ephemeral_containers_strategy();
  Json pod = old;
  pod["spec"]["containers"][0]["image"] = "ignored:2";
  pod["spec"]["ephemeralContainers"] = Json::parse(
      R"([{"name":"debugger-x1","image":"busybox","targetContainerName":"nginx","stdin":true}])");
  s().default_fields(pod);
  st.prepare_for_update(pod, old);
  EXPECT_EQ(pod["spec"]["containers"], old["spec"]["containers"]);
  EXPECT_EQ(pod["spec"]["ephemeralContainers"][0]["imagePullPolicy"], "Always");
  EXPECT_EQ(pod["metadata"]["generation"], 2);
  EXPECT_EQ(agg(st.validate_update(pod, old)), "");

  Json changed = pod;
  changed["spec"]["ephemeralContainers"][0]["image"] = "alpine";
  EXPECT_EQ(agg(st.validate_update(changed, pod))
                .rfind("spec.ephemeralContainers: Forbidden: existing ephemeral containers "
                       "\"debugger-x1\" may not be changed\n",
                       0),
            0u);
  Json removed = pod;
  removed["spec"]["ephemeralContainers"] = Json::array();
  EXPECT_EQ(agg(st.validate_update(removed, pod)),
            "spec.ephemeralContainers: Forbidden: existing ephemeral containers \"debugger-x1\" "
            "may not be removed\n");
  Json bad = pod;
  bad["spec"]["ephemeralContainers"].push_back(
      Json::parse(R"({"name":"d2","image":"busybox","imagePullPolicy":"Always",
                      "terminationMessagePolicy":"File","ports":[{"containerPort":80}]})"));
  s().default_fields(bad);
  EXPECT_EQ(agg(st.validate_update(bad, pod)),
            "spec.ephemeralContainers[1].ports: Forbidden: cannot be set for an Ephemeral "
            "Container");
}

TEST_F(PodStrategyTest, StatusSubresourceChangesOnlyStatus) {
  Json old = create(minimal_pod());
  old["metadata"]["ownerReferences"] =
      Json::parse(R"([{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs","uid":"u"}])");
  Json pod = old;
  pod["spec"]["nodeName"] = "elsewhere";
  pod["metadata"].erase("ownerReferences");
  pod["status"] = Json{{"phase", "Running"}, {"podIP", "10.0.0.5"}};
  SubresourceStrategy st = pod_status_strategy();
  st.prepare_for_update(pod, old);
  EXPECT_EQ(pod["spec"], old["spec"]);
  EXPECT_EQ(pod["metadata"]["ownerReferences"], old["metadata"]["ownerReferences"]);
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(pod["status"]["qosClass"], "BestEffort");  // back-filled from the old object
  EXPECT_TRUE(st.validate_update(pod, old).empty());

  pod["status"]["qosClass"] = "Guaranteed";
  EXPECT_EQ(st.validate_update(pod, old).aggregate_message(),
            "status.qosClass: Invalid value: \"Guaranteed\": field is immutable");
}

// A status written without the condition times (or a merge patch whose null deleted
// lastProbeTime) is stored and served as Kubernetes does: metav1.Time is a struct, so the missing
// times are null, and a time that was set is kept.
TEST_F(PodStrategyTest, ConditionTimesMissingAreNull) {
  Json pod = create(minimal_pod());
  pod["status"]["conditions"] = Json::parse(R"([
    {"type":"Ready","status":"False"},
    {"type":"PodScheduled","status":"True","lastTransitionTime":"2024-05-03T15:00:00Z"}])");
  s().default_fields(pod);
  EXPECT_EQ(pod["status"]["conditions"], Json::parse(R"([
    {"type":"Ready","status":"False","lastProbeTime":null,"lastTransitionTime":null},
    {"type":"PodScheduled","status":"True","lastProbeTime":null,
     "lastTransitionTime":"2024-05-03T15:00:00Z"}])"));
}

TEST_F(PodStrategyTest, BindingSetsTheNodeOnce) {
  Json pod = create(minimal_pod());
  Json binding = Json::parse(R"({"apiVersion":"v1","kind":"Binding",
    "metadata":{"name":"nginx","namespace":"default","annotations":{"a":"b"}},
    "target":{"apiVersion":"v1","kind":"Node","name":"node-1"}})");
  auto bound = bind_pod(pod, binding, clock_.now());
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  EXPECT_EQ((*bound)["spec"]["nodeName"], "node-1");
  EXPECT_EQ((*bound)["metadata"]["annotations"]["a"], "b");
  EXPECT_EQ((*bound)["status"]["conditions"],
            Json::parse(R"([{"type":"PodScheduled","status":"True","lastProbeTime":null,
                             "lastTransitionTime":"2024-05-03T15:00:00Z"}])"));

  auto again = bind_pod(*bound, binding, clock_.now());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
  EXPECT_EQ(again.error().message,
            "Operation cannot be fulfilled on pods/binding \"nginx\": pod nginx is already "
            "assigned to node \"node-1\"");

  binding["target"] = Json{{"kind", "Pod"}};
  auto invalid = bind_pod(pod, binding, clock_.now());
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(invalid.error().message,
            "Binding \"nginx\" is invalid: [target.kind: Unsupported value: \"Pod\": supported "
            "values: \"Node\", \"<empty>\", target.name: Required value]");
}

TEST_F(PodStrategyTest, SchedulingGatesGiveAGatedCondition) {
  Json pod = minimal_pod();
  pod["spec"]["schedulingGates"] = Json::parse(R"([{"name":"example.com/wait"}])");
  pod = create(pod);
  EXPECT_EQ(pod["status"]["conditions"][0]["reason"], "SchedulingGated");
  EXPECT_EQ(s().table_cells(pod)[2], "SchedulingGated");
}

// --- The table ---------------------------------------------------------------------------------

Json with_status(Json status) {
  Json pod = minimal_pod();
  pod["metadata"]["creationTimestamp"] = "2024-05-03T14:56:40Z";
  pod["status"] = std::move(status);
  return pod;
}

TEST_F(PodStrategyTest, TableColumnsAreKubectls) {
  const auto& cols = s().table_columns;
  ASSERT_EQ(cols.size(), 9u);
  const char* names[] = {"Name", "Ready", "Status",         "Restarts",       "Age",
                         "IP",   "Node",  "Nominated Node", "Readiness Gates"};
  for (size_t i = 0; i < cols.size(); ++i) {
    EXPECT_EQ(cols[i].name, names[i]);
    EXPECT_EQ(cols[i].type, "string");
    EXPECT_EQ(cols[i].priority, i < 5 ? 0 : 1) << names[i];
  }
  EXPECT_EQ(cols[0].format, "name");
}

TEST_F(PodStrategyTest, TableRowOfARunningPod) {
  Json pod = with_status(Json::parse(R"({"phase":"Running","podIP":"10.244.0.7",
    "podIPs":[{"ip":"10.244.0.7"}],
    "conditions":[{"type":"Ready","status":"True"}],
    "containerStatuses":[{"name":"nginx","ready":true,"restartCount":0,
                          "state":{"running":{"startedAt":"2024-05-03T14:57:00Z"}}}]})"));
  pod["spec"]["nodeName"] = "node-1";
  EXPECT_EQ(s().table_cells(pod),
            Json::parse(R"(["nginx","1/1","Running","0","3m20s","10.244.0.7","node-1","<none>",
                           "<none>"])"));
}

TEST_F(PodStrategyTest, TableStatusReasons) {
  struct Case {
    const char* name;
    const char* status;
    const char* ready;
    const char* reason;
    const char* restarts;
  };
  const Case cases[] = {
      {"pending", R"({"phase":"Pending"})", "0/1", "Pending", "0"},
      {"creating",
       R"({"phase":"Pending","containerStatuses":[{"name":"nginx","ready":false,"restartCount":0,
           "state":{"waiting":{"reason":"ContainerCreating"}}}]})",
       "0/1", "ContainerCreating", "0"},
      {"crashloop",
       R"({"phase":"Running","containerStatuses":[{"name":"nginx","ready":false,"restartCount":3,
           "state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off"}},
           "lastState":{"terminated":{"exitCode":1,"reason":"Error",
                                      "finishedAt":"2024-05-03T14:55:00Z"}}}]})",
       "0/1", "CrashLoopBackOff", "3 (5m ago)"},
      {"completed",
       R"({"phase":"Succeeded","containerStatuses":[{"name":"nginx","ready":false,"restartCount":0,
           "state":{"terminated":{"exitCode":0,"reason":"Completed"}}}]})",
       "0/1", "Completed", "0"},
      {"exit code",
       R"({"phase":"Failed","containerStatuses":[{"name":"nginx","ready":false,"restartCount":0,
           "state":{"terminated":{"exitCode":2}}}]})",
       "0/1", "ExitCode:2", "0"},
      {"init 1/2",
       R"({"phase":"Pending","initContainerStatuses":[
           {"name":"a","ready":true,"restartCount":0,"state":{"terminated":{"exitCode":0}}},
           {"name":"b","ready":false,"restartCount":0,"state":{"running":{}}}],
           "containerStatuses":[{"name":"nginx","ready":false,"restartCount":0,
           "state":{"waiting":{"reason":"PodInitializing"}}}]})",
       "0/1", "Init:1/2", "0"},
      {"init crashloop",
       R"({"phase":"Pending","initContainerStatuses":[
           {"name":"a","ready":false,"restartCount":4,
            "state":{"waiting":{"reason":"CrashLoopBackOff"}}},
           {"name":"b","ready":false,"restartCount":0,"state":{"waiting":{"reason":"PodInitializing"}}}]})",
       "0/1", "Init:CrashLoopBackOff", "4"},
      {"pod initializing",
       R"({"phase":"Pending","conditions":[{"type":"Initialized","status":"True"}],
           "initContainerStatuses":[
           {"name":"a","ready":true,"restartCount":0,"state":{"terminated":{"exitCode":0}}},
           {"name":"b","ready":true,"restartCount":0,"state":{"terminated":{"exitCode":0}}}],
           "containerStatuses":[{"name":"nginx","ready":false,"restartCount":0,
           "state":{"waiting":{"reason":"PodInitializing"}}}]})",
       "0/1", "PodInitializing", "0"},
  };
  for (const Case& c : cases) {
    Json pod = with_status(Json::parse(c.status));
    if (std::string_view(c.name).substr(0, 4) == "init" ||
        std::string_view(c.name) == "pod initializing") {
      pod["spec"]["initContainers"] =
          Json::parse(R"([{"name":"a","image":"busybox"},{"name":"b","image":"busybox"}])");
    }
    Json cells = s().table_cells(pod);
    EXPECT_EQ(cells[1], c.ready) << c.name;
    EXPECT_EQ(cells[2], c.reason) << c.name;
    EXPECT_EQ(cells[3], c.restarts) << c.name;
  }
}

TEST_F(PodStrategyTest, TableShowsTerminatingAndSidecars) {
  Json pod = with_status(Json::parse(R"({"phase":"Running","containerStatuses":[
      {"name":"nginx","ready":true,"restartCount":0,"state":{"running":{}}}]})"));
  pod["metadata"]["deletionTimestamp"] = "2024-05-03T14:59:00Z";
  EXPECT_EQ(s().table_cells(pod)[2], "Terminating");

  // A started sidecar (restartPolicy: Always init container) counts towards READY.
  pod = with_status(Json::parse(R"({"phase":"Running",
      "conditions":[{"type":"Initialized","status":"True"},{"type":"Ready","status":"True"}],
      "initContainerStatuses":[{"name":"proxy","ready":true,"started":true,"restartCount":1,
        "state":{"running":{}},
        "lastState":{"terminated":{"exitCode":1,"finishedAt":"2024-05-03T14:59:30Z"}}}],
      "containerStatuses":[{"name":"nginx","ready":true,"restartCount":0,"state":{"running":{}}}]})"));
  pod["spec"]["initContainers"] =
      Json::parse(R"([{"name":"proxy","image":"envoy","restartPolicy":"Always"}])");
  Json cells = s().table_cells(pod);
  EXPECT_EQ(cells[1], "2/2");
  EXPECT_EQ(cells[2], "Running");
  EXPECT_EQ(cells[3], "1 (30s ago)");

  pod["spec"]["readinessGates"] = Json::parse(R"([{"conditionType":"example.com/lb"}])");
  pod["status"]["conditions"].push_back(Json{{"type", "example.com/lb"}, {"status", "False"}});
  EXPECT_EQ(s().table_cells(pod)[8], "0/1");
}

}  // namespace
}  // namespace bosun::api::resources
