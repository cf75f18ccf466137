// Discovery documents against what kubectl needs: the aggregated shape kubectl 1.27-1.33 accept
// (samples recorded in kubectl-compat/samples), content negotiation on the Accept headers they
// send, and the legacy documents `auth can-i` and older clients read.
#include "apiserver/discovery.h"

#include <gtest/gtest.h>

#include <set>

#include "apiserver/accept_header.h"

namespace bosun::apiserver {
namespace {

using api::ResourceRegistry;
using api::ResourceType;

const ResourceRegistry& reg() { return ResourceRegistry::builtin(); }

constexpr std::string_view kKubectl133Accept =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
constexpr std::string_view kKubectl127Accept =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

// The deployments entry of samples/apis.aggregated-v2.json, which kubectl 1.33 accepted.
constexpr const char* kSampleAggregatedDeployments = R"({
  "resource": "deployments",
  "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
  "scope": "Namespaced",
  "singularResource": "deployment",
  "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
  "shortNames": ["deploy"],
  "categories": ["all"],
  "subresources": [
    {"subresource": "scale", "responseKind": {"group": "autoscaling", "version": "v1", "kind": "Scale"},
     "verbs": ["get", "patch", "update"]},
    {"subresource": "status", "responseKind": {"group": "apps", "version": "v1", "kind": "Deployment"},
     "verbs": ["get", "patch", "update"]}
  ]
})";

// The pods entry of samples/api.aggregated-v2.json (its subresource list is the recording
// server's; only the keys are compared).
constexpr const char* kSampleAggregatedPods = R"({
  "resource": "pods",
  "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
  "scope": "Namespaced",
  "singularResource": "pod",
  "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
  "shortNames": ["po"],
  "categories": ["all"],
  "subresources": [
    {"subresource": "status", "responseKind": {"group": "", "version": "v1", "kind": "Pod"},
     "verbs": ["get", "patch", "update"]}
  ]
})";

// Asserts that `ours` has exactly the keys of `sample` at every level of nesting (arrays compared
// element-wise against the sample's first element).
void expect_same_keys(const Json& ours, const Json& sample, const std::string& where) {
  ASSERT_EQ(ours.type(), sample.type()) << where;
  if (sample.is_object()) {
    std::set<std::string> a, b;
    for (auto it = ours.begin(); it != ours.end(); ++it) a.insert(it.key());
    for (auto it = sample.begin(); it != sample.end(); ++it) b.insert(it.key());
    EXPECT_EQ(a, b) << where;
    for (auto it = sample.begin(); it != sample.end(); ++it) {
      if (ours.contains(it.key()))
        expect_same_keys(ours[it.key()], it.value(), where + "." + it.key());
    }
  } else if (sample.is_array() && !sample.empty()) {
    for (size_t i = 0; i < ours.size(); ++i) {
      expect_same_keys(ours[i], sample[0], where + "[" + std::to_string(i) + "]");
    }
  }
}

const Json* find_group(const Json& list, std::string_view name) {
  for (const Json& item : list["items"]) {
    if (item["metadata"]["name"] == name) return &item;
  }
  return nullptr;
}

const Json* find_resource(const Json& group, std::string_view version, std::string_view plural) {
  for (const Json& v : group["versions"]) {
    if (v["version"] != version) continue;
    for (const Json& r : v["resources"]) {
      if (r["resource"] == plural) return &r;
    }
  }
  return nullptr;
}

TEST(AcceptHeader, OrdersByQualityThenSpecificityThenPosition) {
  auto ranges = parse_accept("text/*;q=0.5, */*;q=0.1, application/json;as=Table;v=v1, text/html");
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges[0].subtype, "json");
  EXPECT_EQ(ranges[0].param("as"), "Table");
  EXPECT_EQ(ranges[1].subtype, "html");
  EXPECT_EQ(ranges[2].subtype, "*");
  EXPECT_EQ(ranges[2].type, "text");
  EXPECT_EQ(ranges[3].type, "*");
  EXPECT_TRUE(parse_accept("application/json;q=0").empty());
  EXPECT_EQ(parse_accept("")[0].type, "*");
  EXPECT_TRUE(parse_accept("nonsense").empty());
}

TEST(DiscoveryNegotiation, PicksWhatEachKubectlOffers) {
  EXPECT_EQ(negotiate_discovery(kKubectl133Accept).value(), DiscoveryFormat::kAggregatedV2);
  EXPECT_EQ(negotiate_discovery(kKubectl127Accept).value(), DiscoveryFormat::kAggregatedV2Beta1);
  EXPECT_EQ(negotiate_discovery("application/json").value(), DiscoveryFormat::kLegacy);
  EXPECT_EQ(negotiate_discovery("application/json, */*").value(), DiscoveryFormat::kLegacy);
  EXPECT_EQ(negotiate_discovery("").value(), DiscoveryFormat::kLegacy);
  // client-go with protobuf preferred falls back to the JSON it also offers.
  EXPECT_EQ(negotiate_discovery("application/vnd.kubernetes.protobuf, application/json").value(),
            DiscoveryFormat::kLegacy);
}

TEST(DiscoveryNegotiation, HonoursTheClientsPreferenceOrder) {
  EXPECT_EQ(negotiate_discovery("application/json;g=apidiscovery.k8s.io;v=v2beta1;as="
                                "APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v="
                                "v2;as=APIGroupDiscoveryList")
                .value(),
            DiscoveryFormat::kAggregatedV2Beta1);
  EXPECT_EQ(negotiate_discovery("application/json;g=apidiscovery.k8s.io;v=v2;as="
                                "APIGroupDiscoveryList;q=0.5,application/json")
                .value(),
            DiscoveryFormat::kLegacy);
  // An unknown discovery version is skipped, not served as something else.
  EXPECT_EQ(negotiate_discovery("application/json;g=apidiscovery.k8s.io;v=v3;as="
                                "APIGroupDiscoveryList,application/json")
                .value(),
            DiscoveryFormat::kLegacy);
}

TEST(DiscoveryNegotiation, RefusesWhatItCannotServe) {
  auto r = negotiate_discovery("application/json;as=Table;v=v1;g=meta.k8s.io");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotAcceptable);
  EXPECT_EQ(r.error().http_code(), 406);
  EXPECT_EQ(r.error().message,
            "only the following media types are accepted: application/json, "
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList, "
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
  EXPECT_FALSE(negotiate_discovery("application/yaml").ok());
}

TEST(DiscoveryNegotiation, ContentTypesAreTheOnesKubectlRecognises) {
  EXPECT_EQ(discovery_content_type(DiscoveryFormat::kAggregatedV2),
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  EXPECT_EQ(discovery_content_type(DiscoveryFormat::kAggregatedV2Beta1),
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
  EXPECT_EQ(discovery_content_type(DiscoveryFormat::kLegacy), "application/json");
}

TEST(KubeVersions, SortLikeKubernetes) {
  std::vector<std::string> v = {"v1beta1", "foo10", "v1",        "v2alpha1", "v11alpha2",
                                "v10",     "foo1",  "v12alpha1", "v3beta1",  "v10beta3"};
  std::sort(v.begin(), v.end(), [](const std::string& a, const std::string& b) {
    return compare_kube_versions(a, b) < 0;
  });
  // The example order in Kubernetes' APIServiceSpec.versionPriority documentation.
  std::vector<std::string> want = {"v10",       "v1",        "v10beta3", "v3beta1", "v1beta1",
                                   "v12alpha1", "v11alpha2", "v2alpha1", "foo1",    "foo10"};
  EXPECT_EQ(v, want);
}

TEST(ServedGroups, CoreFirstThenKubernetesGroupPriority) {
  std::vector<std::string> names;
  for (const ServedGroup& g : served_groups(reg())) {
    names.push_back(g.name);
    EXPECT_EQ(g.versions, std::vector<std::string>{"v1"}) << g.name;
  }
  EXPECT_EQ(names,
            (std::vector<std::string>{"", "apps", "events.k8s.io", "rbac.authorization.k8s.io",
                                      "coordination.k8s.io", "discovery.k8s.io"}));
}

TEST(ServedGroups, PreferredVersionFirst) {
  ResourceRegistry r;
  ResourceType t = reg().all().front();
  t.group = "example.com";
  t.version = "v1beta1";
  r.add(t);
  t.version = "v1";
  t.kind = "Other";
  t.plural = "others";
  r.add(t);
  t.version = "v2alpha1";
  t.kind = "Third";
  t.plural = "thirds";
  r.add(t);
  auto groups = served_groups(r);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].versions, (std::vector<std::string>{"v1", "v1beta1", "v2alpha1"}));
  Json list = aggregated_discovery(r, DiscoveryRoot::kGroups, "v2");
  EXPECT_EQ(list["items"][0]["versions"][0]["version"], "v1");
  Json legacy = legacy_api_group(r, "example.com").value();
  EXPECT_EQ(legacy["preferredVersion"]["groupVersion"], "example.com/v1");
  EXPECT_EQ(legacy["versions"].size(), 3u);
}

TEST(AggregatedDiscovery, DeploymentsMatchTheSampleKubectlAccepted) {
  Json apis = aggregated_discovery(reg(), DiscoveryRoot::kGroups, "v2");
  EXPECT_EQ(apis["kind"], "APIGroupDiscoveryList");
  EXPECT_EQ(apis["apiVersion"], "apidiscovery.k8s.io/v2");
  EXPECT_EQ(apis["metadata"], Json::object());
  const Json* apps = find_group(apis, "apps");
  ASSERT_NE(apps, nullptr);
  EXPECT_TRUE((*apps)["metadata"]["creationTimestamp"].is_null());
  EXPECT_EQ((*apps)["versions"][0]["freshness"], "Current");
  const Json* deployments = find_resource(*apps, "v1", "deployments");
  ASSERT_NE(deployments, nullptr);
  EXPECT_EQ(*deployments, Json::parse(kSampleAggregatedDeployments));
}

TEST(AggregatedDiscovery, CoreHasOneUnnamedGroupShapedLikeTheSample) {
  Json api = aggregated_discovery(reg(), DiscoveryRoot::kCore, "v2");
  ASSERT_EQ(api["items"].size(), 1u);
  const Json& core = api["items"][0];
  EXPECT_EQ(core["metadata"], Json::parse(R"({"name": "", "creationTimestamp": null})"));
  const Json* pods = find_resource(core, "v1", "pods");
  ASSERT_NE(pods, nullptr);
  expect_same_keys(*pods, Json::parse(kSampleAggregatedPods), "pods");
  std::vector<std::string> subs;
  for (const Json& s : (*pods)["subresources"]) subs.push_back(s["subresource"]);
  EXPECT_EQ(subs, (std::vector<std::string>{"attach", "binding", "ephemeralcontainers", "eviction",
                                            "exec", "log", "portforward", "proxy", "status"}));
  // Kinds without short names or categories leave the keys out, as kube-apiserver's omitempty does.
  const Json* secrets = find_resource(core, "v1", "secrets");
  ASSERT_NE(secrets, nullptr);
  EXPECT_FALSE(secrets->contains("shortNames"));
  EXPECT_FALSE(secrets->contains("categories"));
  EXPECT_FALSE(secrets->contains("subresources"));
  const Json* nodes = find_resource(core, "v1", "nodes");
  ASSERT_NE(nodes, nullptr);
  EXPECT_EQ((*nodes)["scope"], "Cluster");
}

TEST(AggregatedDiscovery, EveryRegistryResourceAppearsOnceWithItsKind) {
  Json api = aggregated_discovery(reg(), DiscoveryRoot::kCore, "v2");
  Json apis = aggregated_discovery(reg(), DiscoveryRoot::kGroups, "v2");
  size_t listed = 0;
  for (const Json* list : {&api, &apis}) {
    for (const Json& g : (*list)["items"]) {
      for (const Json& v : g["versions"]) {
        std::vector<std::string> names;
        for (const Json& r : v["resources"]) {
          ++listed;
          names.push_back(r["resource"]);
          const ResourceType* t =
              reg().find(g["metadata"]["name"].get<std::string>(), v["version"].get<std::string>(),
                         r["resource"].get<std::string>());
          ASSERT_NE(t, nullptr) << r.dump();
          EXPECT_EQ(r["responseKind"],
                    Json({{"group", t->group}, {"version", t->version}, {"kind", t->kind}}));
          EXPECT_EQ(r["scope"], t->namespaced ? "Namespaced" : "Cluster");
          EXPECT_EQ(r["singularResource"], t->singular);
          EXPECT_EQ(r.value("subresources", Json::array()).size(), t->subresources.size());
        }
        EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << v.dump();
      }
    }
  }
  EXPECT_EQ(listed, reg().all().size());
}

TEST(AggregatedDiscovery, ScaleSubresourcesAnswerWithAutoscalingScale) {
  for (const char* plural : {"deployments", "replicasets", "replicationcontrollers"}) {
    const ResourceType* t =
        reg().find(plural == std::string("replicationcontrollers") ? "" : "apps", "v1", plural);
    ASSERT_NE(t, nullptr) << plural;
    Json list = aggregated_discovery(
        reg(), t->group.empty() ? DiscoveryRoot::kCore : DiscoveryRoot::kGroups, "v2");
    const Json* group = find_group(list, t->group);
    ASSERT_NE(group, nullptr);
    const Json* r = find_resource(*group, "v1", plural);
    ASSERT_NE(r, nullptr);
    bool found = false;
    for (const Json& s : (*r)["subresources"]) {
      if (s["subresource"] != "scale") continue;
      found = true;
      EXPECT_EQ(s["responseKind"],
                Json::parse(R"({"group":"autoscaling","version":"v1","kind":"Scale"})"));
      EXPECT_EQ(s["verbs"], Json::parse(R"(["get","patch","update"])"));
    }
    EXPECT_TRUE(found) << plural;
    EXPECT_EQ((*r)["categories"], Json::parse(R"(["all"])")) << plural;
  }
}

TEST(AggregatedDiscovery, CategoryAllIsWhatGetAllLists) {
  std::set<std::string> all;
  for (auto root : {DiscoveryRoot::kCore, DiscoveryRoot::kGroups}) {
    Json list = aggregated_discovery(reg(), root, "v2");
    for (const Json& g : list["items"]) {
      for (const Json& r : g["versions"][0]["resources"]) {
        if (r.contains("categories") && std::find(r["categories"].begin(), r["categories"].end(),
                                                  "all") != r["categories"].end()) {
          all.insert(r["resource"].get<std::string>());
        }
      }
    }
  }
  EXPECT_EQ(all, (std::set<std::string>{"pods", "services", "replicationcontrollers", "deployments",
                                        "replicasets"}));
}

TEST(AggregatedDiscovery, V2beta1DiffersOnlyInApiVersion) {
  for (auto root : {DiscoveryRoot::kCore, DiscoveryRoot::kGroups}) {
    Json v2 = aggregated_discovery(reg(), root, "v2");
    Json v2beta1 = aggregated_discovery(reg(), root, "v2beta1");
    EXPECT_EQ(v2beta1["apiVersion"], "apidiscovery.k8s.io/v2beta1");
    v2beta1["apiVersion"] = v2["apiVersion"];
    EXPECT_EQ(v2, v2beta1);
  }
}

TEST(AggregatedDiscovery, MetricsGroupAppearsOnlyWhenRegistered) {
  Json apis = aggregated_discovery(reg(), DiscoveryRoot::kGroups, "v2");
  EXPECT_EQ(find_group(apis, "metrics.k8s.io"), nullptr);

  ResourceRegistry r = ResourceRegistry::make_builtin();
  for (auto [kind, plural, namespaced] :
       {std::tuple{"PodMetrics", "pods", true}, std::tuple{"NodeMetrics", "nodes", false}}) {
    ResourceType t = *r.find("", "v1", plural);
    t.group = "metrics.k8s.io";
    t.version = "v1beta1";
    t.kind = kind;
    t.list_kind = std::string(kind) + "List";
    t.singular = plural == std::string("pods") ? "podmetrics" : "nodemetrics";
    t.short_names.clear();
    t.categories.clear();
    t.subresources.clear();
    t.verbs = {"get", "list"};
    t.namespaced = namespaced;
    r.add(std::move(t));
  }
  apis = aggregated_discovery(r, DiscoveryRoot::kGroups, "v2");
  const Json* metrics = find_group(apis, "metrics.k8s.io");
  ASSERT_NE(metrics, nullptr);
  // The group metrics-server registers has the lowest priority: it is listed last.
  EXPECT_EQ(&apis["items"].back(), metrics);
  const Json* pods = find_resource(*metrics, "v1beta1", "pods");
  ASSERT_NE(pods, nullptr);
  EXPECT_EQ((*pods)["responseKind"],
            Json::parse(R"({"group":"metrics.k8s.io","version":"v1beta1","kind":"PodMetrics"})"));
  EXPECT_EQ((*pods)["verbs"], Json::parse(R"(["get","list"])"));
  const Json* nodes = find_resource(*metrics, "v1beta1", "nodes");
  ASSERT_NE(nodes, nullptr);
  EXPECT_EQ((*nodes)["scope"], "Cluster");
}

TEST(LegacyDiscovery, ApiVersionsNameTheServerAddress) {
  Json body = legacy_api_versions(reg(), "127.0.0.1:6443");
  EXPECT_EQ(body, Json::parse(R"({"kind":"APIVersions","versions":["v1"],
      "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"127.0.0.1:6443"}]})"));
}

TEST(LegacyDiscovery, GroupListAndGroup) {
  Json list = legacy_api_group_list(reg());
  EXPECT_EQ(list["kind"], "APIGroupList");
  EXPECT_EQ(list["apiVersion"], "v1");
  ASSERT_EQ(list["groups"].size(), 5u);
  EXPECT_EQ(list["groups"][0], Json::parse(R"({"name":"apps",
      "versions":[{"groupVersion":"apps/v1","version":"v1"}],
      "preferredVersion":{"groupVersion":"apps/v1","version":"v1"}})"));
  Json group = legacy_api_group(reg(), "rbac.authorization.k8s.io").value();
  EXPECT_EQ(group["kind"], "APIGroup");
  EXPECT_EQ(group["apiVersion"], "v1");
  EXPECT_EQ(group["preferredVersion"]["groupVersion"], "rbac.authorization.k8s.io/v1");
  auto missing = legacy_api_group(reg(), "batch");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message,
            "the server could not find the requested resource (get /apis/batch)");
  // The core group is not a named group.
  EXPECT_FALSE(legacy_api_group(reg(), "").ok());
}

TEST(LegacyDiscovery, AppsResourceListMatchesTheSample) {
  Json list = legacy_api_resource_list(reg(), "apps", "v1").value();
  EXPECT_EQ(list["kind"], "APIResourceList");
  EXPECT_EQ(list["apiVersion"], "v1");
  EXPECT_EQ(list["groupVersion"], "apps/v1");
  std::vector<std::string> names;
  for (const Json& r : list["resources"]) names.push_back(r["name"]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"deployments", "deployments/scale", "deployments/status",
                                      "replicasets", "replicasets/scale", "replicasets/status"}));
  // samples/apis-apps-v1.legacy.json, plus the storageVersionHash kube-apiserver adds.
  EXPECT_EQ(list["resources"][0], Json::parse(R"({"name":"deployments","singularName":"deployment",
      "namespaced":true,"kind":"Deployment",
      "verbs":["create","delete","deletecollection","get","list","patch","update","watch"],
      "shortNames":["deploy"],"categories":["all"],"storageVersionHash":"8aSe+NMegvE="})"));
  EXPECT_EQ(list["resources"][1], Json::parse(R"({"name":"deployments/scale","singularName":"",
      "namespaced":true,"kind":"Scale","verbs":["get","patch","update"],
      "group":"autoscaling","version":"v1"})"));
  EXPECT_EQ(list["resources"][2], Json::parse(R"({"name":"deployments/status","singularName":"",
      "namespaced":true,"kind":"Deployment","verbs":["get","patch","update"]})"));
}

TEST(LegacyDiscovery, CoreResourceListHasNoApiVersion) {
  Json list = legacy_api_resource_list(reg(), "", "v1").value();
  EXPECT_FALSE(list.contains("apiVersion"));
  EXPECT_EQ(list["groupVersion"], "v1");
  bool pods = false, eviction = false;
  for (const Json& r : list["resources"]) {
    if (r["name"] == "pods") {
      pods = true;
      EXPECT_EQ(r["storageVersionHash"], "xPOwRZ+Yhw8=");
    }
    if (r["name"] == "pods/eviction") {
      eviction = true;
      EXPECT_EQ(r["group"], "policy");
      EXPECT_EQ(r["kind"], "Eviction");
    }
  }
  EXPECT_TRUE(pods);
  EXPECT_TRUE(eviction);
  EXPECT_FALSE(legacy_api_resource_list(reg(), "", "v2").ok());
  EXPECT_FALSE(legacy_api_resource_list(reg(), "apps", "v1beta1").ok());
}

TEST(StorageVersionHash, MatchesKubernetes) {
  EXPECT_EQ(storage_version_hash("apps", "v1", "Deployment"), "8aSe+NMegvE=");
  EXPECT_EQ(storage_version_hash("", "v1", "ConfigMap"), "qFsyl6wFWjQ=");
  EXPECT_EQ(storage_version_hash("", "v1", "Namespace"), "Q3oi5N2YM8M=");
}

TEST(DiscoveryDocuments, ServesTheNegotiatedBody) {
  DiscoveryDocuments docs(reg());
  auto v2 = docs.apis(kKubectl133Accept).value();
  EXPECT_EQ(v2.content_type, kAggregatedDiscoveryV2ContentType);
  EXPECT_EQ(Json::parse(v2.body), aggregated_discovery(reg(), DiscoveryRoot::kGroups, "v2"));
  auto v2beta1 = docs.api(kKubectl127Accept, "10.0.0.1:6443").value();
  EXPECT_EQ(v2beta1.content_type, kAggregatedDiscoveryV2Beta1ContentType);
  EXPECT_EQ(Json::parse(v2beta1.body),
            aggregated_discovery(reg(), DiscoveryRoot::kCore, "v2beta1"));
  auto legacy = docs.api("application/json", "10.0.0.1:6443").value();
  EXPECT_EQ(legacy.content_type, "application/json");
  EXPECT_EQ(Json::parse(legacy.body), legacy_api_versions(reg(), "10.0.0.1:6443"));
  EXPECT_EQ(Json::parse(docs.apis("*/*").value().body), legacy_api_group_list(reg()));
  EXPECT_EQ(docs.apis("text/html").error().code, ErrorCode::kNotAcceptable);
  // A Host header with bytes that are not UTF-8 must not break the legacy body.
  EXPECT_TRUE(docs.api("application/json", "h\xff:1").ok());
}

TEST(DiscoveryDocuments, GroupAndResourceLists) {
  DiscoveryDocuments docs(reg());
  EXPECT_EQ(Json::parse(docs.group("apps").value().body), legacy_api_group(reg(), "apps").value());
  EXPECT_EQ(Json::parse(docs.resource_list("", "v1").value().body),
            legacy_api_resource_list(reg(), "", "v1").value());
  EXPECT_EQ(Json::parse(docs.resource_list("events.k8s.io", "v1").value().body),
            legacy_api_resource_list(reg(), "events.k8s.io", "v1").value());
  EXPECT_EQ(docs.group("batch").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(docs.resource_list("apps", "v2").error().message,
            "the server could not find the requested resource (get /apis/apps/v2)");
  std::vector<std::string> paths = docs.paths();
  EXPECT_EQ(paths.front(), "/api/v1");
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/apis/apps"), paths.end());
  EXPECT_NE(std::find(paths.begin(), paths.end(), "/apis/apps/v1"), paths.end());
  EXPECT_EQ(paths.size(), 1u + 2u * 5u);
}

}  // namespace
}  // namespace bosun::apiserver
