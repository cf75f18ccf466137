#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;
using Strings = std::vector<std::string>;

// What `kubectl expose deployment web --port=80` sends.
Json minimal() {
  return Json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}
  })");
}

class ServiceTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("", "services", std::move(obj)); }
  Json update(Json obj, const Json& old) { return s_.update("", "services", std::move(obj), old); }
  Strings errors(const Json& obj) { return messages(s_.of("", "services").validate_create(obj)); }
  Strings update_errors(const Json& obj, const Json& old) {
    return messages(s_.of("", "services").validate_update(obj, old));
  }
  // A service as the API server stores it after allocating its cluster IP.
  Json allocated(Json obj, const char* ip) {
    obj = create(std::move(obj));
    obj["spec"]["clusterIP"] = ip;
    obj["spec"]["clusterIPs"] = Json::array({ip});
    return obj;
  }
  Strategies s_;
};

// `kubectl get service web -o yaml` before allocation: everything here but clusterIP(s).
TEST_F(ServiceTest, DefaultsOfAClusterIPService) {
  Json svc = create(minimal());
  EXPECT_EQ(svc["spec"], Json::parse(R"({
    "internalTrafficPolicy": "Cluster",
    "ipFamilies": ["IPv4"],
    "ipFamilyPolicy": "SingleStack",
    "ports": [{"port": 80, "protocol": "TCP", "targetPort": 80}],
    "selector": {"app": "web"},
    "sessionAffinity": "None",
    "type": "ClusterIP"
  })"));
  EXPECT_EQ(svc["status"], Json::parse(R"({"loadBalancer": {}})"));
  EXPECT_EQ(errors(svc), Strings{});
  // Services have no generation.
  EXPECT_FALSE(svc["metadata"].contains("generation"));
}

TEST_F(ServiceTest, DefaultsByType) {
  Json node_port = minimal();
  node_port["spec"]["type"] = "NodePort";
  node_port["spec"]["ports"][0]["targetPort"] = "http";
  node_port = create(node_port);
  EXPECT_EQ(node_port["spec"]["externalTrafficPolicy"], "Cluster");
  EXPECT_EQ(node_port["spec"]["internalTrafficPolicy"], "Cluster");
  EXPECT_EQ(node_port["spec"]["ports"][0]["targetPort"], "http");
  EXPECT_FALSE(node_port["spec"].contains("allocateLoadBalancerNodePorts"));

  Json lb = minimal();
  lb["spec"]["type"] = "LoadBalancer";
  lb["status"] = Json::parse(R"({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})");
  Json defaulted = lb;
  s_.of("", "services").default_fields(defaulted);
  EXPECT_EQ(defaulted["spec"]["allocateLoadBalancerNodePorts"], true);
  EXPECT_EQ(defaulted["spec"]["externalTrafficPolicy"], "Cluster");
  EXPECT_EQ(defaulted["status"]["loadBalancer"]["ingress"][0]["ipMode"], "VIP");

  Json sticky = minimal();
  sticky["spec"]["sessionAffinity"] = "ClientIP";
  sticky = create(sticky);
  EXPECT_EQ(sticky["spec"]["sessionAffinityConfig"],
            Json::parse(R"({"clientIP": {"timeoutSeconds": 10800}})"));

  Json external_name = Json::parse(R"({"metadata": {"name": "db"},
      "spec": {"type": "ExternalName", "externalName": "db.example.com"}})");
  external_name = create(external_name);
  EXPECT_EQ(external_name["spec"], Json::parse(R"({"type": "ExternalName",
      "externalName": "db.example.com", "sessionAffinity": "None"})"));
  EXPECT_EQ(errors(external_name), Strings{});

  // ClusterIP services with external IPs are externally accessible too.
  Json external_ips = minimal();
  external_ips["spec"]["externalIPs"] = {"192.0.2.10"};
  EXPECT_EQ(create(external_ips)["spec"]["externalTrafficPolicy"], "Cluster");
}

TEST_F(ServiceTest, IPFamilyDefaults) {
  Json headless = minimal();
  headless["spec"]["clusterIP"] = "None";
  headless = create(headless);
  EXPECT_EQ(headless["spec"]["clusterIPs"], Json::parse(R"(["None"])"));
  EXPECT_EQ(headless["spec"]["ipFamilyPolicy"], "SingleStack");
  EXPECT_EQ(headless["spec"]["ipFamilies"], Json::parse(R"(["IPv4"])"));
  EXPECT_EQ(errors(headless), Strings{});

  // Headless and selectorless: both families, as Kubernetes does even on single-stack clusters.
  Json selectorless = Json::parse(R"({"metadata": {"name": "peers"},
      "spec": {"clusterIP": "None", "ports": [{"port": 7000}]}})");
  selectorless = create(selectorless);
  EXPECT_EQ(selectorless["spec"]["ipFamilyPolicy"], "RequireDualStack");
  EXPECT_EQ(selectorless["spec"]["ipFamilies"], Json::parse(R"(["IPv4", "IPv6"])"));
  EXPECT_EQ(errors(selectorless), Strings{});

  Json fixed = minimal();
  fixed["spec"]["clusterIP"] = "10.96.0.10";
  fixed = create(fixed);
  EXPECT_EQ(fixed["spec"]["clusterIPs"], Json::parse(R"(["10.96.0.10"])"));
  EXPECT_EQ(fixed["spec"]["ipFamilies"], Json::parse(R"(["IPv4"])"));
}

TEST_F(ServiceTest, FamiliesTheClusterDoesNotServe) {
  Json v6 = minimal();
  v6["spec"]["clusterIP"] = "fd00::10";
  EXPECT_EQ(errors(create(v6)),
            Strings{"spec.clusterIPs[0]: Invalid value: []string{\"fd00::10\"}: IPv6 is not "
                    "configured on this cluster"});
  Json dual = minimal();
  dual["spec"]["ipFamilyPolicy"] = "RequireDualStack";
  EXPECT_EQ(errors(create(dual)),
            Strings{"spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not "
                    "configured for dual-stack services"});
  Json families = minimal();
  families["spec"]["ipFamilies"] = {"IPv6"};
  EXPECT_EQ(errors(create(families)),
            Strings{"spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster"});
}

TEST_F(ServiceTest, PortValidation) {
  Json svc = minimal();
  svc["spec"]["ports"] = Json::parse(R"([{"port": 0, "protocol": "HTTP"}, {"port": 443,
      "targetPort": "https_port", "name": "Web"}])");
  EXPECT_EQ(
      errors(create(svc)),
      (Strings{"spec.ports[0].name: Required value",
               "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
               "spec.ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", "
               "\"TCP\", \"UDP\"",
               "spec.ports[0].targetPort: Invalid value: 0: must be between 1 and 65535, "
               "inclusive",
               "spec.ports[1].name: Invalid value: \"Web\": a lowercase RFC 1123 label must "
               "consist of lower case alphanumeric characters or '-', and must start and end with "
               "an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for "
               "validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
               "spec.ports[1].targetPort: Invalid value: \"https_port\": must contain only "
               "alpha-numeric characters (a-z, 0-9), and hyphens (-)"}));

  Json none = minimal();
  none["spec"].erase("ports");
  EXPECT_EQ(errors(create(none)), Strings{"spec.ports: Required value"});

  Json dup = minimal();
  dup["spec"]["ports"] = Json::parse(R"([{"name": "a", "port": 80}, {"name": "b", "port": 80,
      "targetPort": 8080}])");
  EXPECT_EQ(errors(create(dup)),
            Strings{"spec.ports[1]: Duplicate value: core.ServicePort{Name:\"\", Protocol:\"TCP\", "
                    "AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, "
                    "IntVal:0, StrVal:\"\"}, NodePort:0}"});

  Json node_port = minimal();
  node_port["spec"]["ports"][0]["nodePort"] = 30080;
  EXPECT_EQ(errors(create(node_port)),
            Strings{"spec.ports[0].nodePort: Forbidden: may not be used when `type` is "
                    "'ClusterIP'"});

  Json dup_node_port = minimal();
  dup_node_port["spec"]["type"] = "NodePort";
  dup_node_port["spec"]["ports"] = Json::parse(R"([{"name": "a", "port": 80, "nodePort": 30080},
      {"name": "b", "port": 81, "nodePort": 30080}])");
  EXPECT_EQ(errors(create(dup_node_port)),
            Strings{"spec.ports[1].nodePort: Duplicate value: 30080"});
}

TEST_F(ServiceTest, SpecValidation) {
  Json svc = minimal();
  svc["spec"]["type"] = "Internal";
  EXPECT_EQ(errors(create(svc)),
            Strings{"spec.type: Unsupported value: \"Internal\": supported values: \"ClusterIP\", "
                    "\"ExternalName\", \"LoadBalancer\", \"NodePort\""});

  Json bad_ip = minimal();
  bad_ip["spec"]["clusterIP"] = "10.0.0.300";
  EXPECT_EQ(errors(create(bad_ip)),
            Strings{"spec.clusterIPs[0]: Invalid value: \"10.0.0.300\": must be a valid IP "
                    "address, (e.g. 10.9.8.7 or 2001:db8::ffff)"});

  Json external = minimal();
  external["spec"]["externalIPs"] = {"127.0.0.1", "169.254.1.1", "0.0.0.0", "nope"};
  EXPECT_EQ(errors(create(external)),
            (Strings{"spec.externalIPs[0]: Invalid value: \"127.0.0.1\": may not be in the "
                     "loopback range (127.0.0.0/8, ::1/128)",
                     "spec.externalIPs[1]: Invalid value: \"169.254.1.1\": may not be in the "
                     "link-local range (169.254.0.0/16, fe80::/10)",
                     "spec.externalIPs[2]: Invalid value: \"0.0.0.0\": may not be unspecified "
                     "(0.0.0.0)",
                     "spec.externalIPs[3]: Invalid value: \"nope\": must be a valid IP address, "
                     "(e.g. 10.9.8.7 or 2001:db8::ffff)"}));

  Json affinity = minimal();
  affinity["spec"]["sessionAffinity"] = "ClientIP";
  affinity["spec"]["sessionAffinityConfig"] = {{"clientIP", {{"timeoutSeconds", 0}}}};
  EXPECT_EQ(errors(create(affinity)),
            Strings{"spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be "
                    "greater than 0 and less than 86400"});

  Json cname = Json::parse(R"({"spec": {"type": "ExternalName", "externalName": "db_1.example"}})");
  EXPECT_EQ(errors(create(cname)),
            Strings{"spec.externalName: Invalid value: \"db_1.example\": a lowercase RFC 1123 "
                    "subdomain must consist of lower case alphanumeric characters, '-' or '.', and "
                    "must start and end with an alphanumeric character (e.g. 'example.com', regex "
                    "used for validation is "
                    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"});
  Json no_cname = Json::parse(R"({"spec": {"type": "ExternalName", "clusterIP": "10.0.0.1"}})");
  EXPECT_EQ(errors(create(no_cname)),
            (Strings{"spec.clusterIPs: Forbidden: may not be set for ExternalName services",
                     "spec.externalName: Required value"}));

  Json ranges = minimal();
  ranges["spec"]["loadBalancerSourceRanges"] = {"10.0.0.0/33"};
  EXPECT_EQ(errors(create(ranges)),
            (Strings{"spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is "
                     "'LoadBalancer'",
                     "spec.LoadBalancerSourceRanges[0]: Invalid value: \"10.0.0.0/33\": must be a "
                     "valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"}));

  Json policy = minimal();
  policy["spec"]["externalTrafficPolicy"] = "Local";
  policy["spec"]["internalTrafficPolicy"] = "Nearby";
  EXPECT_EQ(errors(create(policy)),
            (Strings{"spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for "
                     "externally-accessible services",
                     "spec.internalTrafficPolicy: Unsupported value: \"Nearby\": supported values: "
                     "\"Cluster\", \"Local\""}));

  Json selector = minimal();
  selector["spec"]["selector"] = {{"app", "web server"}};
  EXPECT_EQ(errors(create(selector)),
            Strings{"spec.selector: Invalid value: \"web server\": a valid label must be an empty "
                    "string or consist of alphanumeric characters, '-', '_' or '.', and must start "
                    "and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or "
                    "'12345', regex used for validation is "
                    "'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"});
}

// The API server allocates the health check node port after validation: validation accepts it
// unset, checks it when set, and refuses it where it means nothing.
TEST_F(ServiceTest, LoadBalancerHealthCheckNodePortIsTheServersToAllocate) {
  Json lb = minimal();
  lb["spec"]["type"] = "LoadBalancer";
  lb["spec"]["externalTrafficPolicy"] = "Local";
  lb = create(lb);
  EXPECT_EQ(errors(lb), Strings{});
  lb["spec"]["healthCheckNodePort"] = 70000;
  EXPECT_EQ(errors(lb), Strings{"spec.healthCheckNodePort: Invalid value: 70000: must be between "
                                "1 and 65535, inclusive"});
  lb["spec"]["externalTrafficPolicy"] = "Cluster";
  lb["spec"]["healthCheckNodePort"] = 31000;
  EXPECT_EQ(errors(lb), Strings{"spec.healthCheckNodePort: Invalid value: 31000: may only be set "
                                "when `type` is 'LoadBalancer' and `externalTrafficPolicy` is "
                                "'Local'"});
}

TEST_F(ServiceTest, UpdateKeepsAllocatedValues) {
  Json old = minimal();
  old["spec"]["type"] = "NodePort";
  old["spec"]["ports"] = Json::parse(R"([{"name": "http", "port": 80}, {"name": "https",
      "port": 443}])");
  old = allocated(old, "10.96.0.20");
  old["spec"]["ports"][0]["nodePort"] = 30080;
  old["spec"]["ports"][1]["nodePort"] = 30443;
  old["status"] = Json::parse(R"({"loadBalancer": {}})");

  // Re-applying the original manifest (no clusterIP, no node ports) changes nothing.
  Json again = minimal();
  again["spec"]["type"] = "NodePort";
  again["spec"]["ports"] = old["spec"]["ports"];
  again["spec"]["ports"][0].erase("nodePort");
  again["spec"]["ports"][1].erase("nodePort");
  again = update(again, old);
  EXPECT_EQ(again["spec"], old["spec"]);
  EXPECT_EQ(update_errors(again, old), Strings{});

  // Changing the cluster IP is refused with Kubernetes' words.
  Json moved = old;
  moved["spec"]["clusterIP"] = "10.96.0.21";
  moved = update(moved, old);
  EXPECT_EQ(moved["spec"]["clusterIPs"], Json::parse(R"(["10.96.0.21"])"));
  EXPECT_EQ(update_errors(moved, old),
            Strings{"spec.clusterIPs[0]: Invalid value: []string{\"10.96.0.21\"}: may not change "
                    "once set"});

  // Switching to ClusterIP drops the node ports the old type had allocated.
  Json internal = old;
  internal["spec"]["type"] = "ClusterIP";
  internal = update(internal, old);
  EXPECT_FALSE(internal["spec"]["ports"][0].contains("nodePort"));
  EXPECT_FALSE(internal["spec"].contains("externalTrafficPolicy"));
  EXPECT_EQ(update_errors(internal, old), Strings{});

  // Switching to ExternalName drops the cluster IPs and families.
  Json cname = old;
  cname["spec"]["type"] = "ExternalName";
  cname["spec"]["externalName"] = "example.com";
  cname = update(cname, old);
  EXPECT_FALSE(cname["spec"].contains("clusterIP"));
  EXPECT_FALSE(cname["spec"].contains("ipFamilies"));
  EXPECT_FALSE(cname["spec"].contains("ipFamilyPolicy"));
  EXPECT_EQ(update_errors(cname, old), Strings{});

  // The main endpoint does not write status.
  Json status = old;
  status["status"] = Json::parse(R"({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})");
  EXPECT_EQ(update(status, old)["status"], old["status"]);
}

TEST_F(ServiceTest, TableCells) {
  const ResourceStrategy& s = s_.of("", "services");
  std::vector<std::pair<std::string, int>> cols;
  for (const TableColumn& c : s.table_columns) cols.emplace_back(c.name, c.priority);
  EXPECT_EQ(cols, (std::vector<std::pair<std::string, int>>{{"Name", 0},
                                                            {"Type", 0},
                                                            {"Cluster-IP", 0},
                                                            {"External-IP", 0},
                                                            {"Port(s)", 0},
                                                            {"Age", 0},
                                                            {"Selector", 1}}));

  Json svc = allocated(minimal(), "10.96.0.1");
  svc["metadata"]["creationTimestamp"] = "2024-04-29T09:00:00Z";
  EXPECT_EQ(s.table_cells(svc),
            Json::parse(R"(["web", "ClusterIP", "10.96.0.1", "<none>", "80/TCP", "2d3h",
                "app=web"])"));

  Json np = minimal();
  np["spec"]["type"] = "NodePort";
  np = allocated(np, "10.96.0.2");
  np["spec"]["ports"][0]["nodePort"] = 30080;
  np["spec"]["ports"].push_back({{"port", 53}, {"protocol", "UDP"}, {"nodePort", 30053}});
  np["spec"].erase("selector");
  EXPECT_EQ(s.table_cells(np), Json::parse(R"(["web", "NodePort", "10.96.0.2", "<none>",
      "80:30080/TCP,53:30053/UDP", "<unknown>", "<none>"])"));

  Json lb = minimal();
  lb["spec"]["type"] = "LoadBalancer";
  lb = allocated(lb, "10.96.0.3");
  EXPECT_EQ(s.table_cells(lb)[3], "<pending>");
  lb["status"]["loadBalancer"]["ingress"] =
      Json::parse(R"([{"ip": "203.0.113.9"}, {"hostname": "lb.example.com"}])");
  lb["spec"]["externalIPs"] = {"198.51.100.1"};
  EXPECT_EQ(s.table_cells(lb)[3], "203.0.113.9,lb.example.com,198.51.100.1");

  Json cname = create(Json::parse(
      R"({"metadata": {"name": "db"}, "spec": {"type": "ExternalName", "externalName": "db.example.com"}})"));
  EXPECT_EQ(s.table_cells(cname),
            Json::parse(R"(["db", "ExternalName", "<none>", "db.example.com", "<none>",
                "<unknown>", "<none>"])"));
}

TEST_F(ServiceTest, MalformedObjectsDoNotThrow) {
  const ResourceStrategy& s = s_.of("", "services");
  for (const char* text :
       {R"({})", R"({"spec": []})", R"([1])",
        R"({"spec": {"ports": [1, {"port": "x", "targetPort": {}}], "clusterIPs": "x",
            "type": 5, "selector": [], "externalIPs": [1]}})",
        R"({"spec": {"clusterIP": "None", "clusterIPs": ["None", "1.2.3.4", "::1"],
            "ipFamilies": ["IPv9", "IPv9"], "ipFamilyPolicy": 3}})"}) {
    Json obj = Json::parse(text);
    Json copy = obj;
    s.default_fields(copy);
    s.prepare_for_create(copy);
    (void)s.validate_create(copy);
    s.prepare_for_update(copy, obj);
    (void)s.validate_update(copy, obj);
    (void)s.table_cells(copy);
  }
}

TEST_F(ServiceTest, StatusSubresource) {
  SubresourceStrategy st = service_status_strategy();
  Json old = minimal();
  old["spec"]["type"] = "LoadBalancer";
  old = allocated(old, "10.96.0.5");
  Json obj = old;
  obj["spec"]["type"] = "ClusterIP";
  obj["status"] = Json::parse(R"({"loadBalancer": {"ingress": [
      {"ip": "203.0.113.7", "ipMode": "VIP"}, {"ip": "203.0.113.8"},
      {"hostname": "10.0.0.1"}, {"ip": "1.2.3.4", "ipMode": "Direct"}]}})");
  st.prepare_for_update(obj, old);
  EXPECT_EQ(obj["spec"]["type"], "LoadBalancer");
  EXPECT_EQ(
      messages(st.validate_update(obj, old)),
      (Strings{"status.loadBalancer.ingress[1].ipMode: Required value: must be specified "
               "when `ip` is set",
               "status.loadBalancer.ingress[2].hostname: Invalid value: \"10.0.0.1\": must be "
               "a DNS name, not an IP address",
               "status.loadBalancer.ingress[3].ipMode: Unsupported value: \"Direct\": "
               "supported values: \"Proxy\", \"VIP\""}));
  // Through the status endpoint the ipMode default applies first, as in Kubernetes.
  Json defaulted = obj;
  s_.of("", "services").default_fields(defaulted);
  EXPECT_EQ(defaulted["status"]["loadBalancer"]["ingress"][1]["ipMode"], "VIP");

  Json cluster_ip = create(minimal());
  Json with_ingress = cluster_ip;
  with_ingress["status"] = Json::parse(R"({"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})");
  EXPECT_EQ(messages(st.validate_update(with_ingress, cluster_ip)),
            Strings{"status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is "
                    "'LoadBalancer'"});
}

}  // namespace
}  // namespace bosun::api::resources
