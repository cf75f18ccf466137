#include "agent/container_env.h"

#include <gtest/gtest.h>

namespace bosun::agent {
namespace {

Json test_pod() {
  return Json::parse(R"js({
    "metadata": {"name": "web", "namespace": "prod", "uid": "u-1",
                 "labels": {"app": "web", "tier": "front"},
                 "annotations": {"note": "say \"hi\""}},
    "spec": {"nodeName": "node-a", "serviceAccountName": "default",
             "containers": [{"name": "app", "resources": {"limits": {"memory": "64Mi"},
                                                           "requests": {"cpu": "250m"}}},
                            {"name": "side"}]}
  })js");
}

EnvContext test_context(const Json& pod) {
  EnvContext ctx;
  ctx.pod = &pod;
  ctx.host_ips = {"10.0.0.7"};
  ctx.pod_ips = {"10.42.0.5"};
  ctx.node_allocatable_cpu_milli = 2000;
  ctx.node_allocatable_memory_bytes = int64_t{4} << 30;
  ctx.lookup = [](std::string_view resource, std::string_view ns,
                  std::string_view name) -> Result<Json> {
    if (ns == "prod" && resource == "configmaps" && name == "cfg") {
      return Json{{"data", {{"MODE", "fast"}, {"bad=key", "x"}, {"LEVEL", "$(MODE)"}}}};
    }
    if (ns == "prod" && resource == "secrets" && name == "creds") {
      return Json{{"data", {{"password", "aHVudGVyMg=="}}}};  // hunter2
    }
    return make_error(ErrorCode::kNotFound, "not found");
  };
  return ctx;
}

TEST(ExpandEnvReferences, MatchesKubernetesExpansion) {
  auto lookup = [](std::string_view n) -> std::optional<std::string> {
    if (n == "A") return std::string("1");
    return std::nullopt;
  };
  EXPECT_EQ(expand_env_references("x$(A)y", lookup), "x1y");
  EXPECT_EQ(expand_env_references("$(MISSING)", lookup), "$(MISSING)");
  EXPECT_EQ(expand_env_references("$$(A)", lookup), "$(A)");
  EXPECT_EQ(expand_env_references("$A $", lookup), "$A $");
  EXPECT_EQ(expand_env_references("$(A", lookup), "$(A");
  EXPECT_EQ(expand_env_references("$()", lookup), "$()");
}

TEST(ResolveContainerEnv, EnvFromThenEnvWithExpansionAndValueFrom) {
  Json pod = test_pod();
  EnvContext ctx = test_context(pod);
  Json c = Json::parse(R"js({
    "name": "app",
    "command": ["/bin/echo", "$(GREETING)", "$$(GREETING)"],
    "args": ["$(POD_NAME)"],
    "envFrom": [{"configMapRef": {"name": "cfg"}, "prefix": "CFG_"},
                {"secretRef": {"name": "absent", "optional": true}}],
    "env": [
      {"name": "GREETING", "value": "hello $(CFG_MODE)"},
      {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
      {"name": "NS", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
      {"name": "UID", "valueFrom": {"fieldRef": {"fieldPath": "metadata.uid"}}},
      {"name": "APP", "valueFrom": {"fieldRef": {"fieldPath": "metadata.labels['app']"}}},
      {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
      {"name": "SA", "valueFrom": {"fieldRef": {"fieldPath": "spec.serviceAccountName"}}},
      {"name": "HOST_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.hostIP"}}},
      {"name": "POD_IP", "valueFrom": {"fieldRef": {"fieldPath": "status.podIP"}}},
      {"name": "PW", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "password"}}},
      {"name": "OPT", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "nope",
                                                         "optional": true}}},
      {"name": "CFG_MODE", "value": "slow"}
    ]
})js");
  auto env = resolve_container_env(c, ctx);
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_EQ(env->env, (std::vector<std::string>{
                          "CFG_LEVEL=$(MODE)", "CFG_MODE=slow", "GREETING=hello fast",
                          "POD_NAME=web", "NS=prod", "UID=u-1", "APP=web", "NODE=node-a",
                          "SA=default", "HOST_IP=10.0.0.7", "POD_IP=10.42.0.5", "PW=hunter2"}));
  EXPECT_EQ(env->command, (std::vector<std::string>{"/bin/echo", "hello fast", "$(GREETING)"}));
  EXPECT_EQ(env->args, (std::vector<std::string>{"web"}));
  ASSERT_EQ(env->warnings.size(), 1u);
  EXPECT_EQ(env->warnings[0],
            "Keys [CFG_bad=key] from the EnvFrom configMap prod/cfg were skipped since they are "
            "considered invalid environment variable names.");
}

TEST(ResolveContainerEnv, MissingObjectsAndKeysAreKubeletErrors) {
  Json pod = test_pod();
  EnvContext ctx = test_context(pod);
  auto missing_key =
      resolve_container_env(Json::parse(R"js({"name": "app", "env": [{"name": "X", "valueFrom":
          {"configMapKeyRef": {"name": "cfg", "key": "nope"}}}]})js"),
                            ctx);
  ASSERT_FALSE(missing_key.ok());
  EXPECT_EQ(missing_key.error().message, "couldn't find key nope in ConfigMap prod/cfg");
  auto missing_secret =
      resolve_container_env(Json::parse(R"js({"name": "app", "env": [{"name": "X", "valueFrom":
          {"secretKeyRef": {"name": "gone", "key": "k"}}}]})js"),
                            ctx);
  ASSERT_FALSE(missing_secret.ok());
  EXPECT_EQ(missing_secret.error().message, "secret \"gone\" not found");
  auto missing_cm = resolve_container_env(
      Json::parse(R"js({"name": "app", "envFrom": [{"configMapRef": {"name": "gone"}}]})js"), ctx);
  ASSERT_FALSE(missing_cm.ok());
  EXPECT_EQ(missing_cm.error().message, "configmap \"gone\" not found");
}

TEST(ResolveContainerEnv, ResourceFieldRefDividesAndFallsBackToAllocatable) {
  Json pod = test_pod();
  EnvContext ctx = test_context(pod);
  const Json& app = pod["spec"]["containers"][0];
  auto value = [&](const char* ref) {
    auto r = resource_field_value(pod, app, Json::parse(ref), ctx);
    return r.ok() ? *r : "error: " + r.error().message;
  };
  EXPECT_EQ(value(R"js({"resource": "limits.memory"})js"), "67108864");
  EXPECT_EQ(value(R"js({"resource": "limits.memory", "divisor": "1Mi"})js"), "64");
  EXPECT_EQ(value(R"js({"resource": "requests.cpu"})js"), "1");  // 250m rounds up to 1
  EXPECT_EQ(value(R"js({"resource": "requests.cpu", "divisor": "1m"})js"), "250");
  EXPECT_EQ(value(R"js({"resource": "limits.cpu"})js"), "2");  // node allocatable
  EXPECT_EQ(
      value(R"js({"resource": "limits.memory", "containerName": "side", "divisor": "1Gi"})js"),
      "4");
}

TEST(PodFieldValue, WholeLabelMapsAndUnsupportedPaths) {
  Json pod = test_pod();
  EnvContext ctx = test_context(pod);
  EXPECT_EQ(*pod_field_value(pod, "metadata.labels", ctx), "app=\"web\"\ntier=\"front\"");
  EXPECT_EQ(*pod_field_value(pod, "metadata.annotations['note']", ctx), "say \"hi\"");
  EXPECT_EQ(*pod_field_value(pod, "metadata.annotations", ctx), "note=\"say \\\"hi\\\"\"");
  EXPECT_FALSE(pod_field_value(pod, "spec.restartPolicy", ctx).ok());
}

}  // namespace
}  // namespace bosun::agent
