#include "agent/service_env.h"

#include <gtest/gtest.h>

#include "agent/container_env.h"

namespace bosun::agent {
namespace {

using Vars = std::vector<std::pair<std::string, std::string>>;

Json service(const std::string& ns, const std::string& name, const std::string& ip, Json ports) {
  return Json{{"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", {{"clusterIP", ip}, {"ports", std::move(ports)}}}};
}

// Kubernetes' TestFromServices (pkg/kubelet/envvars), service by service.
TEST(ServiceEnv, FromServicesAsKubernetes) {
  EXPECT_EQ(service_env_vars(service("d", "foo-bar", "1.2.3.4",
                                     Json::parse(R"([{"port": 8080, "protocol": "TCP"}])"))),
            (Vars{{"FOO_BAR_SERVICE_HOST", "1.2.3.4"},
                  {"FOO_BAR_SERVICE_PORT", "8080"},
                  {"FOO_BAR_PORT", "tcp://1.2.3.4:8080"},
                  {"FOO_BAR_PORT_8080_TCP", "tcp://1.2.3.4:8080"},
                  {"FOO_BAR_PORT_8080_TCP_PROTO", "tcp"},
                  {"FOO_BAR_PORT_8080_TCP_PORT", "8080"},
                  {"FOO_BAR_PORT_8080_TCP_ADDR", "1.2.3.4"}}));
  EXPECT_EQ(service_env_vars(service("d", "abc-123", "5.6.7.8", Json::parse(R"([
              {"name": "u-d-p", "port": 8081, "protocol": "UDP"},
              {"name": "t-c-p", "port": 8081, "protocol": "TCP"}])"))),
            (Vars{{"ABC_123_SERVICE_HOST", "5.6.7.8"},
                  {"ABC_123_SERVICE_PORT", "8081"},
                  {"ABC_123_SERVICE_PORT_U_D_P", "8081"},
                  {"ABC_123_SERVICE_PORT_T_C_P", "8081"},
                  {"ABC_123_PORT", "udp://5.6.7.8:8081"},
                  {"ABC_123_PORT_8081_UDP", "udp://5.6.7.8:8081"},
                  {"ABC_123_PORT_8081_UDP_PROTO", "udp"},
                  {"ABC_123_PORT_8081_UDP_PORT", "8081"},
                  {"ABC_123_PORT_8081_UDP_ADDR", "5.6.7.8"},
                  {"ABC_123_PORT_8081_TCP", "tcp://5.6.7.8:8081"},
                  {"ABC_123_PORT_8081_TCP_PROTO", "tcp"},
                  {"ABC_123_PORT_8081_TCP_PORT", "8081"},
                  {"ABC_123_PORT_8081_TCP_ADDR", "5.6.7.8"}}));
  EXPECT_EQ(service_env_vars(service("d", "q-u-u-x", "9.8.7.6", Json::parse(R"([
              {"port": 8082, "protocol": "TCP"}, {"name": "8083", "port": 8083, "protocol": "TCP"}])"))),
            (Vars{{"Q_U_U_X_SERVICE_HOST", "9.8.7.6"},
                  {"Q_U_U_X_SERVICE_PORT", "8082"},
                  {"Q_U_U_X_SERVICE_PORT_8083", "8083"},
                  {"Q_U_U_X_PORT", "tcp://9.8.7.6:8082"},
                  {"Q_U_U_X_PORT_8082_TCP", "tcp://9.8.7.6:8082"},
                  {"Q_U_U_X_PORT_8082_TCP_PROTO", "tcp"},
                  {"Q_U_U_X_PORT_8082_TCP_PORT", "8082"},
                  {"Q_U_U_X_PORT_8082_TCP_ADDR", "9.8.7.6"},
                  {"Q_U_U_X_PORT_8083_TCP", "tcp://9.8.7.6:8083"},
                  {"Q_U_U_X_PORT_8083_TCP_PROTO", "tcp"},
                  {"Q_U_U_X_PORT_8083_TCP_PORT", "8083"},
                  {"Q_U_U_X_PORT_8083_TCP_ADDR", "9.8.7.6"}}));
  const Json one_port = Json::parse(R"([{"port": 8082, "protocol": "TCP"}])");
  EXPECT_TRUE(service_env_vars(service("d", "svrc-clusterip-none", "None", one_port)).empty());
  EXPECT_TRUE(service_env_vars(service("d", "svrc-clusterip-empty", "", one_port)).empty());
}

TEST(ServiceEnv, NamesProtocolDefaultAndIPv6) {
  EXPECT_EQ(service_env_name("my-svc-1"), "MY_SVC_1");
  EXPECT_EQ(service_env_name("8083"), "8083");
  // No protocol is TCP; an IPv6 cluster IP is bracketed in the URLs (net.JoinHostPort).
  Vars v = service_env_vars(service("d", "v6", "fd00::10", Json::parse(R"([{"port": 53}])")));
  ASSERT_EQ(v.size(), 7u);
  EXPECT_EQ(v[2], (std::pair<std::string, std::string>{"V6_PORT", "tcp://[fd00::10]:53"}));
  EXPECT_EQ(v[6], (std::pair<std::string, std::string>{"V6_PORT_53_TCP_ADDR", "fd00::10"}));
}

class ServiceEnvMapTest : public ::testing::Test {
 protected:
  ServiceEnvMapTest() {
    add("default", "kubernetes", "10.96.0.1", R"([{"name": "https", "port": 443}])");
    add("default", "other", "10.96.0.9", R"([{"port": 80}])");
    add("prod", "web", "10.96.0.20", R"([{"name": "http", "port": 80}])");
    add("prod", "headless", "None", R"([{"port": 80}])");
    add("prod", "external", "", R"([{"port": 80}])");
    source_.list = [this](std::string_view ns) {
      std::vector<std::shared_ptr<const Json>> out;
      for (const auto& s : services_) {
        if (s->at("metadata").at("namespace") == ns) out.push_back(s);
      }
      return out;
    };
    source_.synced = [this] { return synced_; };
  }
  void add(const std::string& ns, const std::string& name, const std::string& ip,
           const char* ports) {
    services_.push_back(std::make_shared<const Json>(service(ns, name, ip, Json::parse(ports))));
  }
  std::vector<std::shared_ptr<const Json>> services_;
  ServiceEnvSource source_;
  bool synced_ = true;
};

TEST_F(ServiceEnvMapTest, NamespaceServicesWithLinksAndKubernetesAlways) {
  auto m = service_env_map(source_, "prod", true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->at("KUBERNETES_SERVICE_HOST"), "10.96.0.1");
  EXPECT_EQ(m->at("KUBERNETES_SERVICE_PORT"), "443");
  EXPECT_EQ(m->at("KUBERNETES_SERVICE_PORT_HTTPS"), "443");
  EXPECT_EQ(m->at("KUBERNETES_PORT"), "tcp://10.96.0.1:443");
  EXPECT_EQ(m->at("WEB_SERVICE_HOST"), "10.96.0.20");
  EXPECT_EQ(m->at("WEB_SERVICE_PORT_HTTP"), "80");
  EXPECT_EQ(m->count("OTHER_SERVICE_HOST"), 0u);  // another namespace's
  EXPECT_EQ(m->count("HEADLESS_SERVICE_HOST"), 0u);
  EXPECT_EQ(m->count("EXTERNAL_SERVICE_HOST"), 0u);
  EXPECT_EQ(m->size(), 8u + 8u);

  // enableServiceLinks: false keeps only the master service.
  m = service_env_map(source_, "prod", false);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->size(), 8u);
  EXPECT_EQ(m->at("KUBERNETES_SERVICE_HOST"), "10.96.0.1");

  m = service_env_map(source_, "default", true);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->at("OTHER_SERVICE_HOST"), "10.96.0.9");
  EXPECT_EQ(m->at("KUBERNETES_SERVICE_HOST"), "10.96.0.1");
}

TEST_F(ServiceEnvMapTest, NotYetSyncedIsTheKubeletsError) {
  synced_ = false;
  auto m = service_env_map(source_, "prod", true);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message,
            "services have not yet been read at least once, cannot construct envvars");
  // No source at all (no API server): no variables, no error.
  m = service_env_map(ServiceEnvSource{}, "prod", true);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(m->empty());
}

TEST_F(ServiceEnvMapTest, ExplicitEnvWinsAndServiceVarsExpand) {
  auto m = service_env_map(source_, "prod", true);
  ASSERT_TRUE(m.ok());
  Json pod = {{"metadata", {{"name", "p"}, {"namespace", "prod"}}}};
  Json container = Json::parse(R"js({"name": "c",
    "env": [{"name": "WEB_SERVICE_HOST", "value": "mine"},
            {"name": "URL", "value": "https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"}],
    "args": ["$(WEB_SERVICE_PORT)"]})js");
  EnvContext ctx;
  ctx.pod = &pod;
  ctx.service_env = &*m;
  auto env = resolve_container_env(container, ctx);
  ASSERT_TRUE(env.ok()) << env.error().message;
  // The container's own variables first, in order; then the service ones it did not define.
  ASSERT_GE(env->env.size(), 2u);
  EXPECT_EQ(env->env[0], "WEB_SERVICE_HOST=mine");
  EXPECT_EQ(env->env[1], "URL=https://10.96.0.1:443");
  EXPECT_EQ(env->env.size(), 2u + m->size() - 1);
  EXPECT_EQ(std::count(env->env.begin(), env->env.end(), "WEB_SERVICE_HOST=10.96.0.20"), 0);
  EXPECT_EQ(std::count(env->env.begin(), env->env.end(), "KUBERNETES_SERVICE_HOST=10.96.0.1"), 1);
  EXPECT_EQ(env->args, std::vector<std::string>{"80"});
}

TEST(ServiceEnv, TrimKeepsWhatTheVariablesNeed) {
  Json full = Json::parse(R"({"metadata": {"name": "s", "namespace": "n", "uid": "u",
    "managedFields": [{}], "labels": {"a": "b"}},
    "spec": {"clusterIP": "10.0.0.1", "clusterIPs": ["10.0.0.1"], "selector": {"a": "b"},
             "ports": [{"name": "h", "port": 80, "protocol": "TCP", "targetPort": 8080}]},
    "status": {}})");
  Json t = trim_service_for_env(full);
  EXPECT_EQ(t, Json::parse(R"({"metadata": {"name": "s", "namespace": "n"},
    "spec": {"clusterIP": "10.0.0.1", "ports": [{"name": "h", "port": 80, "protocol": "TCP"}]}})"));
  EXPECT_EQ(service_env_vars(t), service_env_vars(full));
}

}  // namespace
}  // namespace bosun::agent
