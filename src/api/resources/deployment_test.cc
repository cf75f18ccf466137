#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;

// What `kubectl create deployment web --image=nginx` sends.
Json minimal() {
  return Json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}},
    "spec": {
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}
      }
    }
  })");
}

class DeploymentTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("apps", "deployments", std::move(obj)); }
  FieldErrors validate(const Json& obj) {
    return s_.of("apps", "deployments").validate_create(obj);
  }
  FieldErrors validate_update(const Json& obj, const Json& old) {
    return s_.of("apps", "deployments").validate_update(obj, old);
  }
  Strategies s_;
};

// The fields `kubectl get deployment -o yaml` shows that nobody wrote, as apps/v1 defaults them.
TEST_F(DeploymentTest, DefaultsOfAMinimalDeployment) {
  Json d = create(minimal());
  const Json& spec = d["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["revisionHistoryLimit"], 10);
  EXPECT_EQ(spec["progressDeadlineSeconds"], 600);
  EXPECT_EQ(spec["strategy"], Json::parse(R"({"type": "RollingUpdate",
      "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})"));
  // The pod template gets the core/v1 PodSpec defaults (not the Pod-only ones such as
  // enableServiceLinks) and the null creationTimestamp of its zero ObjectMeta.
  EXPECT_EQ(spec["template"], Json::parse(R"({
    "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
    "spec": {
      "containers": [{"image": "nginx", "imagePullPolicy": "Always", "name": "nginx",
                      "resources": {}, "terminationMessagePath": "/dev/termination-log",
                      "terminationMessagePolicy": "File"}],
      "dnsPolicy": "ClusterFirst", "restartPolicy": "Always",
      "schedulerName": "default-scheduler", "securityContext": {},
      "terminationGracePeriodSeconds": 30
    }
  })"));
  EXPECT_EQ(d["status"], Json::object());
  EXPECT_EQ(d["metadata"]["generation"], 1);
  EXPECT_TRUE(validate(d).empty()) << validate(d).aggregate_message();
}

// Errors inside the pod template come from the pod validation, under spec.template.spec.
TEST_F(DeploymentTest, TemplateSpecIsValidatedAsAPodSpec) {
  Json d = minimal();
  d["spec"]["template"]["spec"]["containers"][0]["resources"] = {{"requests", {{"cpu", "2"}}},
                                                                 {"limits", {{"cpu", "1"}}}};
  EXPECT_EQ(messages(validate(create(d))),
            std::vector<std::string>{
                "spec.template.spec.containers[0].resources.requests: Invalid value: \"2\": must "
                "be less than or equal to cpu limit of 1"});
  Json no_containers = minimal();
  no_containers["spec"]["template"]["spec"]["containers"] = Json::array();
  EXPECT_EQ(messages(validate(create(no_containers))),
            std::vector<std::string>{"spec.template.spec.containers: Required value"});
}

TEST_F(DeploymentTest, DefaultsKeepWhatTheUserWrote) {
  Json d = minimal();
  d["spec"]["replicas"] = 0;
  d["spec"]["revisionHistoryLimit"] = 0;
  d["spec"]["strategy"] = {{"type", "Recreate"}};
  d["spec"]["progressDeadlineSeconds"] = 30;
  d = create(d);
  EXPECT_EQ(d["spec"]["replicas"], 0);
  EXPECT_EQ(d["spec"]["revisionHistoryLimit"], 0);
  EXPECT_EQ(d["spec"]["progressDeadlineSeconds"], 30);
  // Recreate gets no rollingUpdate block.
  EXPECT_EQ(d["spec"]["strategy"], Json::parse(R"({"type": "Recreate"})"));

  Json partial = minimal();
  partial["spec"]["strategy"] = {{"rollingUpdate", {{"maxSurge", 1}}}};
  partial = create(partial);
  EXPECT_EQ(partial["spec"]["strategy"], Json::parse(R"({"type": "RollingUpdate",
      "rollingUpdate": {"maxSurge": 1, "maxUnavailable": "25%"}})"));
}

TEST_F(DeploymentTest, CreateResetsStatus) {
  Json d = minimal();
  d["status"] = {{"replicas", 5}, {"readyReplicas", 5}};
  d = create(d);
  EXPECT_EQ(d["status"], Json::object());
}

TEST_F(DeploymentTest, SelectorMustMatchTemplateLabels) {
  Json d = minimal();
  d["spec"]["template"]["metadata"]["labels"] = {{"app", "other"}};
  FieldErrors errs = validate(create(d));
  ASSERT_EQ(messages(errs),
            std::vector<std::string>{"spec.template.metadata.labels: Invalid value: "
                                     "map[string]string{\"app\":\"other\"}: `selector` does not "
                                     "match template `labels`"});
  EXPECT_EQ(errs.to_error("Deployment.apps", "web").message,
            "Deployment.apps \"web\" is invalid: spec.template.metadata.labels: Invalid value: "
            "map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`");
  EXPECT_EQ(errs.errors()[0].cause_reason(), "FieldValueInvalid");
}

TEST_F(DeploymentTest, SelectorRequired) {
  Json d = minimal();
  d["spec"].erase("selector");
  EXPECT_EQ(messages(validate(create(d))),
            (std::vector<std::string>{
                "spec.selector: Required value",
                "spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"web\"}: "
                "`selector` does not match template `labels`"}));
}

TEST_F(DeploymentTest, EmptySelectorIsInvalid) {
  Json d = minimal();
  d["spec"]["selector"] = Json::object();
  EXPECT_EQ(
      messages(validate(create(d))),
      std::vector<std::string>{
          "spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), "
          "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for "
          "deployment"});
}

TEST_F(DeploymentTest, SelectorExpressionsAreValidated) {
  Json d = minimal();
  d["spec"]["selector"] = Json::parse(
      R"({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "In"}]})");
  // Kubernetes reports the requirement, then that the selector as a whole does not parse.
  EXPECT_EQ(messages(validate(create(d))),
            (std::vector<std::string>{
                "spec.selector.matchExpressions[0].values: Required value: must be specified when "
                "`operator` is 'In' or 'NotIn'",
                "spec.selector: Invalid value: "
                "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\"}, "
                "MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"
                "\"tier\", Operator:\"In\", Values:[]string(nil)}}}: invalid label selector"}));
}

TEST_F(DeploymentTest, NumericFieldsMustNotBeNegative) {
  Json d = minimal();
  d["spec"]["replicas"] = -1;
  d["spec"]["minReadySeconds"] = -5;
  d["spec"]["revisionHistoryLimit"] = -2;
  EXPECT_EQ(
      messages(validate(create(d))),
      (std::vector<std::string>{
          "spec.replicas: Invalid value: -1: must be greater than or equal to 0",
          "spec.minReadySeconds: Invalid value: -5: must be greater than or equal to 0",
          "spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0"}));
}

TEST_F(DeploymentTest, ProgressDeadlineMustExceedMinReadySeconds) {
  Json d = minimal();
  d["spec"]["minReadySeconds"] = 10;
  d["spec"]["progressDeadlineSeconds"] = 10;
  EXPECT_EQ(messages(validate(create(d))),
            std::vector<std::string>{
                "spec.progressDeadlineSeconds: Invalid value: 10: must be greater than "
                "minReadySeconds"});
}

TEST_F(DeploymentTest, RollingUpdateLimits) {
  auto errors_for = [&](Json max_unavailable, Json max_surge) {
    Json d = minimal();
    d["spec"]["strategy"] = {
        {"type", "RollingUpdate"},
        {"rollingUpdate", {{"maxUnavailable", max_unavailable}, {"maxSurge", max_surge}}}};
    return messages(validate(create(d)));
  };
  EXPECT_EQ(errors_for(0, 0),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
                "intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` "
                "is 0"});
  EXPECT_EQ(errors_for("0%", "0%"),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
                "intstr.IntOrString{Type:1, IntVal:0, StrVal:\"0%\"}: may not be 0 when `maxSurge` "
                "is 0"});
  EXPECT_EQ(errors_for("150%", 1),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
                "intstr.IntOrString{Type:1, IntVal:0, StrVal:\"150%\"}: must not be greater than "
                "100%"});
  EXPECT_EQ(errors_for("25", 1),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "
                "intstr.IntOrString{Type:1, IntVal:0, StrVal:\"25\"}: a valid percent string must "
                "be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used "
                "for validation is '[0-9]+%')"});
  EXPECT_EQ(errors_for(-1, 1),
            std::vector<std::string>{
                "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: -1: must be greater "
                "than or equal to 0"});
  EXPECT_TRUE(errors_for(0, "100%").empty());
}

TEST_F(DeploymentTest, StrategyType) {
  Json d = minimal();
  d["spec"]["strategy"] = {{"type", "Recreate"}, {"rollingUpdate", {{"maxSurge", 1}}}};
  EXPECT_EQ(messages(validate(create(d))),
            std::vector<std::string>{"spec.strategy.rollingUpdate: Forbidden: may not be specified "
                                     "when strategy `type` is 'Recreate'"});
  d["spec"]["strategy"] = {{"type", "Blue"}};
  EXPECT_EQ(messages(validate(create(d))),
            std::vector<std::string>{
                "spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:\"Blue\", "
                "RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "
                "\"Recreate\", \"RollingUpdate\""});
}

TEST_F(DeploymentTest, TemplateRestartPolicyAndDeadline) {
  Json d = minimal();
  d["spec"]["template"]["spec"]["restartPolicy"] = "Never";
  d["spec"]["template"]["spec"]["activeDeadlineSeconds"] = 5;
  EXPECT_EQ(messages(validate(create(d))),
            (std::vector<std::string>{
                "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: "
                "\"Always\"",
                "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in "
                "ReplicaSet is not Supported"}));
}

TEST_F(DeploymentTest, SelectorIsImmutable) {
  Json old = create(minimal());
  Json d = minimal();
  d["spec"]["selector"]["matchLabels"] = {{"app", "web2"}};
  d["spec"]["template"]["metadata"]["labels"] = {{"app", "web2"}};
  d = s_.update("apps", "deployments", d, old);
  EXPECT_EQ(messages(validate_update(d, old)),
            std::vector<std::string>{
                "spec.selector: Invalid value: "
                "v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web2\"}, "
                "MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"});
  // The same selector written differently (matchExpressions: []) is no change.
  Json same = minimal();
  same["spec"]["selector"]["matchExpressions"] = Json::array();
  same = s_.update("apps", "deployments", same, old);
  EXPECT_TRUE(validate_update(same, old).empty());
}

TEST_F(DeploymentTest, GenerationFollowsSpecAndAnnotations) {
  Json old = create(minimal());
  old["status"] = {{"observedGeneration", 1}, {"replicas", 1}};

  Json scaled = minimal();
  scaled["spec"]["replicas"] = 3;
  scaled = s_.update("apps", "deployments", scaled, old);
  EXPECT_EQ(scaled["metadata"]["generation"], 2);
  // The main endpoint cannot write status: the old one stays.
  EXPECT_EQ(scaled["status"], old["status"]);

  Json annotated = minimal();
  annotated["metadata"]["annotations"] = {{"kubernetes.io/change-cause", "x"}};
  annotated = s_.update("apps", "deployments", annotated, old);
  EXPECT_EQ(annotated["metadata"]["generation"], 2);

  Json relabeled = minimal();
  relabeled["metadata"]["labels"]["tier"] = "front";
  relabeled["status"] = {{"replicas", 9}};
  relabeled = s_.update("apps", "deployments", relabeled, old);
  EXPECT_EQ(relabeled["metadata"]["generation"], 1);
  EXPECT_EQ(relabeled["status"], old["status"]);
}

TEST_F(DeploymentTest, TableColumnsAsKubectlShowsThem) {
  const ResourceStrategy& s = s_.of("apps", "deployments");
  std::vector<std::pair<std::string, int>> cols;
  for (const TableColumn& c : s.table_columns) cols.emplace_back(c.name, c.priority);
  EXPECT_EQ(cols, (std::vector<std::pair<std::string, int>>{{"Name", 0},
                                                            {"Ready", 0},
                                                            {"Up-to-date", 0},
                                                            {"Available", 0},
                                                            {"Age", 0},
                                                            {"Containers", 1},
                                                            {"Images", 1},
                                                            {"Selector", 1}}));
  EXPECT_EQ(s.table_columns[0].format, "name");

  Json d = create(minimal());
  d["metadata"]["creationTimestamp"] = "2024-05-01T11:56:40Z";  // 200 s before test_now()
  d["spec"]["replicas"] = 3;
  d["spec"]["template"]["spec"]["containers"].push_back(
      {{"name", "log"}, {"image", "busybox:1.36"}});
  d["spec"]["selector"]["matchExpressions"] =
      Json::parse(R"([{"key": "tier", "operator": "In", "values": ["b", "a"]}])");
  d["status"] = {{"readyReplicas", 2}, {"updatedReplicas", 3}, {"availableReplicas", 2}};
  EXPECT_EQ(s.table_cells(d), Json::parse(R"J(["web", "2/3", 3, 2, "3m20s", "nginx,log",
      "nginx,busybox:1.36", "app=web,tier in (a,b)"])J"));

  // A fresh deployment the controller has not reported on yet.
  Json fresh = create(minimal());
  fresh["metadata"]["creationTimestamp"] = "2024-05-01T12:00:00Z";
  EXPECT_EQ(s.table_cells(fresh),
            Json::parse(R"(["web", "0/1", 0, 0, "0s", "nginx", "nginx", "app=web"])"));
}

TEST_F(DeploymentTest, MalformedObjectsDoNotThrow) {
  const ResourceStrategy& s = s_.of("apps", "deployments");
  for (const char* text :
       {R"({})", R"({"spec": "x"})", R"({"spec": {"selector": 5,
       "template": [], "strategy": {"rollingUpdate": "x"}, "replicas": "3"}})",
        R"([])", R"({"metadata": 5, "spec": {"template": {"metadata": {"labels": 1}}}})"}) {
    Json obj = Json::parse(text);
    Json copy = obj;
    s.default_fields(copy);
    s.prepare_for_create(copy);
    (void)s.validate_create(copy);
    (void)s.validate_update(copy, obj);
    s.prepare_for_update(copy, obj);
    (void)s.table_cells(copy);
  }
}

TEST_F(DeploymentTest, StatusSubresourceWritesOnlyStatus) {
  SubresourceStrategy st = deployment_status_strategy();
  Json old = create(minimal());
  old["status"] = {{"collisionCount", 2}};
  Json obj = old;
  obj["spec"]["replicas"] = 9;
  obj["metadata"]["labels"]["tier"] = "front";
  obj["status"] = Json::parse(R"({"replicas": 3, "updatedReplicas": 4, "readyReplicas": 2,
      "availableReplicas": 3, "collisionCount": 1, "observedGeneration": -1})");
  st.prepare_for_update(obj, old);
  EXPECT_EQ(obj["spec"], old["spec"]);
  EXPECT_EQ(obj["metadata"]["labels"], old["metadata"]["labels"]);
  EXPECT_EQ(messages(st.validate_update(obj, old)),
            (std::vector<std::string>{
                "status.observedGeneration: Invalid value: -1: must be greater than or equal to 0",
                "status.updatedReplicas: Invalid value: 4: cannot be greater than status.replicas",
                "status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas",
                "status.collisionCount: Invalid value: 1: cannot be decremented"}));
}

// What `kubectl scale deployment web --replicas=4` reads and writes (samples/scale.json).
TEST_F(DeploymentTest, ScaleSubresource) {
  Json d = create(minimal());
  d["metadata"]["uid"] = "4162fe68-de8a-4186-bd1a-65d84bc8ee99";
  d["metadata"]["resourceVersion"] = "1010";
  d["metadata"]["creationTimestamp"] = "2024-05-01T11:00:00Z";
  d["status"] = {{"replicas", 1}};
  EXPECT_EQ(scale_of(d), Json::parse(R"({"kind": "Scale", "apiVersion": "autoscaling/v1",
      "metadata": {"name": "web", "namespace": "default",
                   "uid": "4162fe68-de8a-4186-bd1a-65d84bc8ee99", "resourceVersion": "1010",
                   "creationTimestamp": "2024-05-01T11:00:00Z"},
      "spec": {"replicas": 1}, "status": {"replicas": 1, "selector": "app=web"}})"));
  Json scale = scale_of(d);
  scale["spec"]["replicas"] = 4;
  EXPECT_TRUE(apply_scale(d, scale).empty());
  EXPECT_EQ(d["spec"]["replicas"], 4);
  scale["spec"]["replicas"] = -1;
  EXPECT_EQ(messages(apply_scale(d, scale)),
            std::vector<std::string>{
                "spec.replicas: Invalid value: -1: must be greater than or equal to 0"});
  EXPECT_EQ(d["spec"]["replicas"], 4);
  // Scaling to zero: autoscaling/v1 leaves replicas out of the spec.
  scale["spec"] = Json::object();
  EXPECT_TRUE(apply_scale(d, scale).empty());
  EXPECT_EQ(d["spec"]["replicas"], 0);
  EXPECT_EQ(scale_of(d)["spec"], Json::object());
}

}  // namespace
}  // namespace bosun::api::resources
