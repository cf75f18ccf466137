// The REST layer's pure pieces: request paths read as Kubernetes' RequestInfoFactory reads them,
// Accept and Content-Type negotiation, the stored-object codec's resourceVersion splice, Status
// details, and the ClusterIP and NodePort allocators.
#include <gtest/gtest.h>

#include <set>

#include "apiserver/api_errors.h"
#include "apiserver/http_message.h"
#include "apiserver/ip_allocator.h"
#include "apiserver/negotiation.h"
#include "apiserver/object_codec.h"
#include "apiserver/protobuf_body.h"
#include "apiserver/request_info.h"
#include "apiserver/service_allocator.h"

namespace bosun::apiserver {
namespace {

RequestInfo info(std::string_view method, std::string_view target) {
  auto t = parse_target(target);
  EXPECT_TRUE(t.ok());
  return parse_request_info(method, t->segments, t->query);
}

TEST(RequestInfoTest, ResourcePaths) {
  RequestInfo i = info("GET", "/api/v1/namespaces/default/pods/web");
  EXPECT_TRUE(i.is_resource_request);
  EXPECT_EQ(i.api_group, "");
  EXPECT_EQ(i.api_version, "v1");
  EXPECT_EQ(i.namespace_, "default");
  EXPECT_EQ(i.resource, "pods");
  EXPECT_EQ(i.name, "web");
  EXPECT_EQ(i.verb, "get");

  i = info("GET", "/apis/apps/v1/namespaces/default/deployments/nginx/scale");
  EXPECT_EQ(i.api_group, "apps");
  EXPECT_EQ(i.resource, "deployments");
  EXPECT_EQ(i.subresource, "scale");
  EXPECT_EQ(i.verb, "get");

  EXPECT_EQ(info("GET", "/api/v1/pods").verb, "list");
  EXPECT_EQ(info("GET", "/api/v1/pods?watch=true").verb, "watch");
  EXPECT_EQ(info("GET", "/api/v1/pods?watch=1").verb, "watch");
  EXPECT_EQ(info("GET", "/api/v1/pods?watch=false").verb, "list");
  EXPECT_EQ(info("POST", "/api/v1/namespaces/x/pods").verb, "create");
  EXPECT_EQ(info("PUT", "/api/v1/namespaces/x/pods/a").verb, "update");
  EXPECT_EQ(info("PATCH", "/api/v1/namespaces/x/pods/a").verb, "patch");
  EXPECT_EQ(info("DELETE", "/api/v1/namespaces/x/pods/a").verb, "delete");
  EXPECT_EQ(info("DELETE", "/api/v1/namespaces/x/pods").verb, "deletecollection");

  // The deprecated watch prefix.
  i = info("GET", "/api/v1/watch/namespaces/x/pods/a");
  EXPECT_EQ(i.verb, "watch");
  EXPECT_EQ(i.name, "a");

  // A namespace is itself named by namespaces/<name>; status and finalize are its subresources.
  i = info("GET", "/api/v1/namespaces/team");
  EXPECT_EQ(i.resource, "namespaces");
  EXPECT_EQ(i.name, "team");
  i = info("PUT", "/api/v1/namespaces/team/finalize");
  EXPECT_EQ(i.resource, "namespaces");
  EXPECT_EQ(i.name, "team");
  EXPECT_EQ(i.subresource, "finalize");
  EXPECT_EQ(info("GET", "/api/v1/namespaces").verb, "list");

  // Discovery paths are not resource requests.
  EXPECT_FALSE(info("GET", "/api/v1").is_resource_request);
  EXPECT_FALSE(info("GET", "/apis/apps/v1").is_resource_request);
  EXPECT_FALSE(info("GET", "/version").is_resource_request);
  EXPECT_TRUE(info("GET", "/apis/apps/v1/deployments").is_resource_request);

  EXPECT_EQ(
      metrics_verb(info("PATCH", "/api/v1/namespaces/x/pods/a"), "application/apply-patch+yaml"),
      "APPLY");
  EXPECT_EQ(metrics_verb(info("GET", "/api/v1/pods?watch=true"), ""), "WATCH");
}

TEST(NegotiationTest, AcceptHeaders) {
  auto f = negotiate_output("", true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, OutputKind::kObject);
  f = negotiate_output(
      "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta."
      "k8s.io,application/json",
      true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, OutputKind::kTable);
  EXPECT_EQ(f->meta_version, "v1");
  // Where Tables cannot be served (writes), the JSON alternative is taken.
  f = negotiate_output("application/json;as=Table;v=v1;g=meta.k8s.io,application/json", false);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, OutputKind::kObject);
  f = negotiate_output("application/vnd.kubernetes.protobuf,application/json", true);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->kind, OutputKind::kObject);
  f = negotiate_output("application/json;q=0.5,application/yaml", true);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(f->yaml);
  EXPECT_EQ(negotiate_output("*/*", true)->kind, OutputKind::kObject);
  auto none = negotiate_output("application/vnd.kubernetes.protobuf", true);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotAcceptable);
  EXPECT_EQ(none.error().message,
            "only the following media types are accepted: application/json, application/yaml");
  EXPECT_FALSE(negotiate_output("application/json;as=Table;v=v2;g=meta.k8s.io", true).ok());

  EXPECT_EQ(*negotiate_body("application/json; charset=utf-8"), BodyFormat::kJson);
  EXPECT_EQ(*negotiate_body(""), BodyFormat::kJson);
  EXPECT_EQ(*negotiate_body("application/yaml"), BodyFormat::kYaml);
  EXPECT_EQ(*negotiate_body("application/vnd.kubernetes.protobuf"), BodyFormat::kProtobuf);
  auto cbor = negotiate_body("application/cbor");
  ASSERT_FALSE(cbor.ok());
  EXPECT_EQ(cbor.error().code, ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(*negotiate_patch("application/strategic-merge-patch+json"),
            PatchType::kStrategicMergePatch);
  EXPECT_EQ(*negotiate_patch("application/apply-patch+yaml"), PatchType::kApply);
  EXPECT_FALSE(negotiate_patch("application/json").ok());
}

TEST(ObjectCodecTest, ResourceVersionIsSplicedIntoTheStoredText) {
  Json obj = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "a"}, {"resourceVersion", "7"}}},
              {"data", {{"metadata", "not this one"}}}};
  std::string stored = encode_for_storage(obj);
  EXPECT_EQ(stored.find("resourceVersion"), std::string::npos);
  Json back = Json::parse(with_resource_version(stored, 42));
  EXPECT_EQ(back["metadata"]["resourceVersion"], "42");
  EXPECT_EQ(back["metadata"]["name"], "a");
  EXPECT_EQ(back["data"]["metadata"], "not this one");
  // Empty metadata, whitespace, and text with no metadata at all.
  EXPECT_EQ(
      Json::parse(with_resource_version(R"({"metadata":{}})", 3))["metadata"]["resourceVersion"],
      "3");
  EXPECT_EQ(Json::parse(with_resource_version(R"( { "a" : [1,{"metadata":2}], "metadata" : { } })",
                                              5))["metadata"]["resourceVersion"],
            "5");
  EXPECT_EQ(Json::parse(with_resource_version(R"({"kind":"X"})", 9))["metadata"]["resourceVersion"],
            "9");
  auto span = find_top_level_member(R"({"a":"x\"y","b":{"c":[1,2]},"d":true})", "b");
  ASSERT_TRUE(span.has_value());
  EXPECT_EQ(std::string_view(R"({"a":"x\"y","b":{"c":[1,2]},"d":true})")
                .substr(span->begin, span->end - span->begin),
            R"({"c":[1,2]})");
  EXPECT_FALSE(find_top_level_member("[1,2]", "a").has_value());
  EXPECT_FALSE(find_top_level_member(R"({"a":)", "a").has_value());

  api::ResourceRegistry registry = api::ResourceRegistry::make_builtin();
  EXPECT_EQ(resource_prefix(*registry.find("", "v1", "pods"), registry), "/registry/pods/");
  EXPECT_EQ(resource_prefix(*registry.find("apps", "v1", "deployments"), registry),
            "/registry/deployments/");
  EXPECT_EQ(resource_prefix(*registry.find("events.k8s.io", "v1", "events"), registry),
            "/registry/events/");
  EXPECT_EQ(object_key("/registry/pods/", "default", "web"), "/registry/pods/default/web");
  EXPECT_EQ(object_key("/registry/nodes/", "", "n1"), "/registry/nodes/n1");
  EXPECT_EQ(collection_prefix("/registry/pods/", "default"), "/registry/pods/default/");
}

// A protobuf message of length-delimited fields (what kubectl's objects are made of).
std::string pb(std::initializer_list<std::pair<int, std::string>> fields) {
  std::string out;
  for (const auto& [number, value] : fields) {
    out += static_cast<char>(number << 3 | 2);
    out += static_cast<char>(value.size());
    out += value;
  }
  return out;
}
std::string pb_varint(int number, uint8_t value) {
  return std::string{static_cast<char>(number << 3), static_cast<char>(value)};
}

TEST(ProtobufBodyTest, DecodesWhatKubectlCreateSends) {
  std::string meta = pb({{1, "web"}, {11, pb({{1, "app"}, {2, "web"}})}, {2, ""}});
  // A Deployment with replicas 0 (a pointer: kept), a container port and a rolling update whose
  // maxSurge is the string "25%" and maxUnavailable the int 1.
  std::string container = pb({{1, "nginx"}, {2, "nginx:1.25"}, {6, pb_varint(3, 80)}});
  std::string ios_int = pb_varint(1, 0) + pb_varint(2, 1);
  std::string ios_str = pb_varint(1, 1) + pb({{3, "25%"}});
  std::string spec = pb_varint(1, 0) + pb({{3, pb({{2, pb({{2, container}})}})},
                                           {4, pb({{2, pb({{1, ios_int}, {2, ios_str}})}})}});
  std::string body = std::string("k8s\0", 4) + pb({{1, pb({{1, "apps/v1"}, {2, "Deployment"}})},
                                                   {2, pb({{1, meta}, {2, spec}})}});
  auto d = decode_kubernetes_protobuf(body);
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ((*d)["apiVersion"], "apps/v1");
  EXPECT_EQ((*d)["kind"], "Deployment");
  EXPECT_EQ((*d)["metadata"], (Json{{"name", "web"}, {"labels", {{"app", "web"}}}}));
  EXPECT_EQ((*d)["spec"]["replicas"], 0);
  const Json& c = (*d)["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "nginx:1.25");
  EXPECT_EQ(c["ports"][0]["containerPort"], 80);
  EXPECT_EQ((*d)["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"], 1);
  EXPECT_EQ((*d)["spec"]["strategy"]["rollingUpdate"]["maxSurge"], "25%");

  // Secret data is bytes: base64 in JSON.
  std::string secret = std::string("k8s\0", 4) +
                       pb({{1, pb({{1, "v1"}, {2, "Secret"}})},
                           {2, pb({{1, pb({{1, "s"}})}, {2, pb({{1, "user"}, {2, "admin"}})}})}});
  auto s = decode_kubernetes_protobuf(secret);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["data"]["user"], "YWRtaW4=");

  auto pod =
      decode_kubernetes_protobuf(std::string("k8s\0", 4) + pb({{1, pb({{1, "v1"}, {2, "Pod"}})}}));
  ASSERT_FALSE(pod.ok());
  EXPECT_EQ(pod.error().code, ErrorCode::kUnsupportedMediaType);
  EXPECT_EQ(decode_kubernetes_protobuf("{}").error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(decode_kubernetes_protobuf(std::string("k8s\0\x0a\x7f", 6)).error().code,
            ErrorCode::kBadRequest);
}

TEST(ApiErrorsTest, StatusDetailsFollowTheMessage) {
  Json s = status_json_with_details(not_found_error("deployments.apps", "web"));
  EXPECT_EQ(s["details"], (Json{{"name", "web"}, {"group", "apps"}, {"kind", "deployments"}}));
  EXPECT_EQ(s["code"], 404);
  s = status_json_with_details(conflict_error("pods", "a\"b", "the object has been modified"));
  EXPECT_EQ(s["details"]["name"], "a\"b");
  EXPECT_EQ(s["reason"], "Conflict");
  s = status_json_with_details(forbidden_error("pods", "", "no"));
  EXPECT_EQ(s["message"], "pods is forbidden: no");
  EXPECT_EQ(s["details"], (Json{{"kind", "pods"}}));
  s = status_json_with_details(bad_request_error("nope"));
  EXPECT_FALSE(s.contains("details"));
  s = status_json_with_details(too_large_resource_version_error(10, 5));
  EXPECT_EQ(s["code"], 504);
  EXPECT_EQ(s["details"]["retryAfterSeconds"], 1);
  EXPECT_EQ(success_status("c", "", "configmaps", "u")["details"],
            (Json{{"name", "c"}, {"kind", "configmaps"}, {"uid", "u"}}));
}

TEST(IpAllocatorTest, ClusterIpsStayInRangeAndUnique) {
  auto a = ClusterIpAllocator::create("10.43.0.0/24", 1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)->first_address(), "10.43.0.1");
  ASSERT_TRUE((*a)->allocate("10.43.0.1").ok());
  auto again = (*a)->allocate("10.43.0.1");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().message, "provided IP is already allocated");
  auto outside = (*a)->allocate("10.43.1.1");
  ASSERT_FALSE(outside.ok());
  EXPECT_EQ(outside.error().message,
            "the provided IP (10.43.1.1) is not in the valid range. The range of valid IPs is "
            "10.43.0.0/24");
  EXPECT_FALSE((*a)->allocate("10.43.0.0").ok());    // the network address
  EXPECT_FALSE((*a)->allocate("10.43.0.255").ok());  // the broadcast address
  std::set<std::string> seen = {"10.43.0.1"};
  for (int i = 0; i < 253; ++i) {
    auto ip = (*a)->allocate_next();
    ASSERT_TRUE(ip.ok()) << i;
    EXPECT_TRUE(seen.insert(*ip).second) << *ip;
  }
  auto full = (*a)->allocate_next();
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().message, "range is full");
  (*a)->release("10.43.0.77");
  EXPECT_EQ(*(*a)->allocate_next(), "10.43.0.77");
  EXPECT_FALSE(ClusterIpAllocator::create("10.43.0.0", 1).ok());
  EXPECT_FALSE(ClusterIpAllocator::create("10.43.0.256/16", 1).ok());
}

TEST(IpAllocatorTest, DynamicAddressesAvoidTheStaticBandWhileTheyCan) {
  auto a = ClusterIpAllocator::create("10.43.0.0/16", 7);
  ASSERT_TRUE(a.ok());
  for (int i = 0; i < 200; ++i) {
    auto ip = parse_ipv4(*(*a)->allocate_next());
    ASSERT_TRUE(ip.has_value());
    // The first 256 addresses are left to requests such as kube-dns' 10.43.0.10.
    EXPECT_GE(*ip - *parse_ipv4("10.43.0.1"), 256u);
  }
}

TEST(IpAllocatorTest, NodePorts) {
  NodePortAllocator p(30000, 30009, 3);
  ASSERT_TRUE(p.allocate(30005).ok());
  EXPECT_EQ(p.allocate(30005).error().message, "provided port is already allocated");
  EXPECT_EQ(p.allocate(80).error().message,
            "provided port is not in the valid range. The range of valid ports is 30000-30009");
  std::set<int> seen = {30005};
  for (int i = 0; i < 9; ++i) EXPECT_TRUE(seen.insert(*p.allocate_next()).second);
  EXPECT_FALSE(p.allocate_next().ok());
  p.release(30003);
  EXPECT_EQ(*p.allocate_next(), 30003);
}

TEST(ServiceAllocatorTest, CreateUpdateAndDelete) {
  ServiceAllocator a(std::move(ClusterIpAllocator::create("10.43.0.0/16", 1).value()),
                     std::make_unique<NodePortAllocator>(30000, 32767, 2));
  Json svc = {{"metadata", {{"name", "web"}}},
              {"spec", {{"type", "NodePort"}, {"ports", Json::array({{{"port", 80}}})}}}};
  auto alloc = a.allocate_for_create(svc);
  ASSERT_TRUE(alloc.ok());
  a.commit(*alloc);
  std::string ip = svc["spec"]["clusterIP"];
  int port = svc["spec"]["ports"][0]["nodePort"];
  EXPECT_EQ(svc["spec"]["clusterIPs"], Json::array({ip}));
  EXPECT_EQ(svc["spec"]["ipFamilies"], Json::array({"IPv4"}));
  EXPECT_EQ(svc["spec"]["ipFamilyPolicy"], "SingleStack");
  EXPECT_TRUE(a.ips().has(ip));

  // An update that leaves the node port out keeps it; one that changes the IP is refused.
  Json update = svc;
  update["spec"]["ports"][0].erase("nodePort");
  auto kept = a.allocate_for_update(update, svc);
  ASSERT_TRUE(kept.ok());
  EXPECT_EQ(update["spec"]["ports"][0]["nodePort"], port);
  EXPECT_TRUE(kept->allocated_ports.empty());
  Json moved = svc;
  moved["spec"]["clusterIP"] = "10.43.9.9";
  moved["spec"]["clusterIPs"] = Json::array({"10.43.9.9"});
  auto refused = a.allocate_for_update(moved, svc);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: \"10.43.9.9\": may not "
            "change once set");

  // ExternalName gives the IP and ports back on commit.
  Json external = svc;
  external["spec"] = {{"type", "ExternalName"}, {"externalName", "example.com"}};
  auto released = a.allocate_for_update(external, svc);
  ASSERT_TRUE(released.ok());
  EXPECT_EQ(released->released_ips, std::vector<std::string>{ip});
  EXPECT_EQ(released->released_ports, std::vector<int>{port});
  EXPECT_FALSE(external["spec"].contains("clusterIP"));
  a.commit(*released);
  EXPECT_FALSE(a.ips().has(ip));

  // Restoring from stored Services marks their addresses taken.
  ServiceAllocator b(std::move(ClusterIpAllocator::create("10.43.0.0/16", 1).value()),
                     std::make_unique<NodePortAllocator>(30000, 32767, 2));
  b.restore(svc);
  Json clash = {{"metadata", {{"name", "clash"}}},
                {"spec", {{"clusterIP", ip}, {"ports", Json::array({{{"port", 80}}})}}}};
  EXPECT_FALSE(b.allocate_for_create(clash).ok());
}

}  // namespace
}  // namespace bosun::apiserver
