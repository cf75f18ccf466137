// OpenAPI documents against what kubectl reads from them: the kind of a resource's paths and the
// schema that carries it (explain), the PATCH operation's GVK, patch media types and
// fieldValidation parameter (apply, create), strategic-merge metadata in the schemas (client-side
// apply), the v3 index and its hashes, and the gnostic protobuf of /openapi/v2 (kubectl 1.27/1.28),
// decoded here by a reader written independently of the encoder.
#include "apiserver/openapi.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>

namespace bosun::apiserver {
namespace {

using api::ResourceRegistry;
using api::ResourceType;
using api::SchemaSet;

const ResourceRegistry& reg() { return ResourceRegistry::builtin(); }
const SchemaSet& schemas() { return SchemaSet::global(); }

const std::shared_ptr<const OpenApiDocuments>& docs() {
  static const auto* d = new std::shared_ptr<const OpenApiDocuments>(
      OpenApiDocuments::build(reg(), schemas()).value());
  return *d;
}

Json v3_doc(std::string_view key) {
  const RenderedOpenApi* r = docs()->v3(key);
  EXPECT_NE(r, nullptr) << key;
  return r ? Json::parse(r->body) : Json();
}

// ---- What kubectl does with a v3 document -------------------------------------------------------

// strategicpatch's resolve(): the first allOf member, then a $ref into components.schemas.
const Json* resolve(const Json& doc, const Json* s) {
  if (s->contains("allOf")) s = &(*s)["allOf"][0];
  if (s->contains("$ref")) {
    std::string ref = (*s)["$ref"];
    const std::string prefix = "#/components/schemas/";
    if (!ref.starts_with(prefix)) return nullptr;
    const Json& all = doc["components"]["schemas"];
    auto it = all.find(ref.substr(prefix.size()));
    return it == all.end() ? nullptr : &*it;
  }
  return s;
}

// The component whose x-kubernetes-group-version-kind lists gvk (kubectl explain's "schema"
// template and the apply patcher's LookupResource).
const Json* schema_for_gvk(const Json& doc, const Json& gvk) {
  for (const Json& s : doc["components"]["schemas"]) {
    if (!s.contains("x-kubernetes-group-version-kind")) continue;
    for (const Json& g : s["x-kubernetes-group-version-kind"]) {
      if (g == gvk) return &s;
    }
  }
  return nullptr;
}

// kubectl explain (plaintext template): the GVK of a resource's list or object path.
Json explain_gvk(const Json& doc, const std::string& prefix, const std::string& plural) {
  for (const std::string& path : {prefix + "/" + plural, prefix + "/" + plural + "/{name}",
                                  prefix + "/namespaces/{namespace}/" + plural,
                                  prefix + "/namespaces/{namespace}/" + plural + "/{name}"}) {
    if (!doc["paths"].contains(path)) continue;
    for (const char* method : {"get", "post", "put", "patch", "delete"}) {
      const Json& item = doc["paths"][path];
      if (item.contains(method) && item[method].contains("x-kubernetes-group-version-kind")) {
        return item[method]["x-kubernetes-group-version-kind"];
      }
    }
  }
  return nullptr;
}

// Follows a dotted field path as kubectl explain's "output" template does: properties, then items
// or additionalProperties, then allOf, resolving $refs on the way. Returns the last field's schema.
const Json* explain_field(const Json& doc, const Json* schema, std::vector<std::string> path) {
  while (!path.empty()) {
    const Json* resolved = resolve(doc, schema);
    if (resolved == nullptr) return nullptr;
    if (resolved->contains("properties") && (*resolved)["properties"].contains(path.front())) {
      schema = &(*resolved)["properties"][path.front()];
      path.erase(path.begin());
    } else if (resolved->contains("items")) {
      schema = &(*resolved)["items"];
    } else if (resolved->contains("additionalProperties") &&
               (*resolved)["additionalProperties"].is_object()) {
      schema = &(*resolved)["additionalProperties"];
    } else {
      return nullptr;
    }
  }
  return schema;
}

// kubectl's QueryParamVerifierV3: the first PATCH operation of the kind decides.
bool patch_supports(const Json& doc, const Json& gvk, std::string_view param) {
  for (const Json& item : doc["paths"]) {
    if (!item.contains("patch")) continue;
    const Json& op = item["patch"];
    if (op.value("x-kubernetes-group-version-kind", Json()) != gvk) continue;
    for (const Json& p : op.value("parameters", Json::array())) {
      if (p["name"] == param && p["in"] == "query") return true;
    }
    return false;
  }
  return false;
}

void collect_refs(const Json& j, std::set<std::string>* refs) {
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "$ref" && it.value().is_string()) refs->insert(it.value().get<std::string>());
      collect_refs(it.value(), refs);
    }
  } else if (j.is_array()) {
    for (const Json& e : j) collect_refs(e, refs);
  }
}

Json gvk(std::string group, std::string version, std::string kind) {
  return Json{{"group", group}, {"version", version}, {"kind", kind}};
}

// ---- v3 -----------------------------------------------------------------------------------------

TEST(OpenApiV3, OneDocumentPerServedGroupVersion) {
  std::set<std::string> keys;
  for (const auto& [key, doc] : docs()->v3_documents()) keys.insert(key);
  EXPECT_EQ(keys, (std::set<std::string>{"api/v1", "apis/apps/v1", "apis/coordination.k8s.io/v1",
                                         "apis/discovery.k8s.io/v1", "apis/events.k8s.io/v1",
                                         "apis/rbac.authorization.k8s.io/v1"}));
  EXPECT_EQ(openapi_v3_key("", "v1"), "api/v1");
  EXPECT_EQ(openapi_v3_key("apps", "v1"), "apis/apps/v1");
  auto missing = build_openapi_v3(reg(), schemas(), "batch", "v1");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(OpenApiV3, KindsWithoutSchemaPublishNoDocument) {
  ResourceRegistry r = ResourceRegistry::make_builtin();
  ResourceType t = *r.find("", "v1", "pods");
  t.group = "metrics.k8s.io";
  t.version = "v1beta1";
  t.kind = "PodMetrics";
  t.list_kind = "PodMetricsList";
  t.schema = nullptr;
  t.subresources.clear();
  r.add(std::move(t));
  auto built = OpenApiDocuments::build(r, schemas());
  ASSERT_TRUE(built.ok()) << built.error().message;
  EXPECT_EQ((*built)->v3("apis/metrics.k8s.io/v1beta1"), nullptr);
  EXPECT_NE((*built)->v3("apis/apps/v1"), nullptr);
  EXPECT_FALSE(Json::parse((*built)->v3_root())["paths"].contains("apis/metrics.k8s.io/v1beta1"));
}

TEST(OpenApiV3, RootPointsAtEachDocumentByItsHash) {
  Json root = Json::parse(docs()->v3_root());
  ASSERT_EQ(root["paths"].size(), docs()->v3_documents().size());
  for (const auto& [key, doc] : docs()->v3_documents()) {
    // kube-openapi's ETag: the upper-case hex SHA-512 of exactly the body served.
    EXPECT_EQ(doc.etag, openapi_etag(doc.body));
    EXPECT_EQ(doc.etag.size(), 128u);
    EXPECT_EQ(root["paths"][key]["serverRelativeURL"], "/openapi/v3/" + key + "?hash=" + doc.etag);
  }
}

TEST(OpenApiV3, EtagIsUpperCaseSha512) {
  EXPECT_EQ(openapi_etag("abc"),
            "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A"
            "2192992A274FC1A836BA3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F");
}

TEST(OpenApiV3, DocumentsAreDeterministic) {
  auto again = OpenApiDocuments::build(reg(), schemas()).value();
  EXPECT_EQ(again->v3_root(), docs()->v3_root());
  EXPECT_EQ(again->v2_json().body, docs()->v2_json().body);
  EXPECT_EQ(again->v2_protobuf(), docs()->v2_protobuf());
}

TEST(OpenApiV3, DeploymentSchemaCarriesItsKindAndFields) {
  Json doc = v3_doc("apis/apps/v1");
  EXPECT_EQ(doc["openapi"], "3.0.0");
  EXPECT_EQ(doc["info"]["title"], "Kubernetes");
  const Json& d = doc["components"]["schemas"]["io.k8s.api.apps.v1.Deployment"];
  EXPECT_EQ(d["type"], "object");
  EXPECT_EQ(d["x-kubernetes-group-version-kind"], Json::array({gvk("apps", "v1", "Deployment")}));
  for (const char* f : {"apiVersion", "kind", "metadata", "spec", "status"}) {
    EXPECT_TRUE(d["properties"].contains(f)) << f;
  }
  EXPECT_EQ(d["properties"]["apiVersion"]["type"], "string");
  // A reference with a description is wrapped in allOf, as kube-openapi's v3 does.
  EXPECT_EQ(
      d["properties"]["metadata"]["allOf"],
      Json::parse(
          R"([{"$ref":"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}])"));
  EXPECT_TRUE(d["properties"]["metadata"].contains("description"));
  // Types of other groups that apps/v1 reaches come along.
  for (const char* name :
       {"io.k8s.api.core.v1.PodTemplateSpec", "io.k8s.api.core.v1.Container",
        "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Time", "io.k8s.api.autoscaling.v1.Scale",
        "io.k8s.api.apps.v1.DeploymentList", "io.k8s.apimachinery.pkg.apis.meta.v1.Status",
        "io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
        "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
        "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent",
        "io.k8s.apimachinery.pkg.api.resource.Quantity",
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString"}) {
    EXPECT_TRUE(doc["components"]["schemas"].contains(name)) << name;
  }
  // Nothing of groups apps/v1 never reaches.
  EXPECT_FALSE(doc["components"]["schemas"].contains("io.k8s.api.rbac.v1.Role"));
}

TEST(OpenApiV3, ScalarsAreWrittenAsKubernetesPublishesThem) {
  const Json all = v3_doc("apis/apps/v1")["components"]["schemas"];
  EXPECT_EQ(all["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["oneOf"],
            Json::parse(R"([{"type":"integer"},{"type":"string"}])"));
  EXPECT_EQ(all["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"], "int-or-string");
  EXPECT_EQ(all["io.k8s.apimachinery.pkg.api.resource.Quantity"]["oneOf"],
            Json::parse(R"([{"type":"string"},{"type":"number"}])"));
  EXPECT_EQ(all["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["type"], "string");
  EXPECT_EQ(all["io.k8s.apimachinery.pkg.apis.meta.v1.Time"]["format"], "date-time");
  const Json& spec = all["io.k8s.api.apps.v1.DeploymentSpec"]["properties"];
  EXPECT_EQ(spec["replicas"]["type"], "integer");
  EXPECT_EQ(spec["replicas"]["format"], "int32");
  EXPECT_EQ(all["io.k8s.api.apps.v1.RollingUpdateDeployment"]["properties"]["maxSurge"]["allOf"][0]
               ["$ref"],
            "#/components/schemas/io.k8s.apimachinery.pkg.util.intstr.IntOrString");
  EXPECT_EQ(all["io.k8s.api.apps.v1.DeploymentSpec"]["required"],
            Json::parse(R"(["selector","template"])"));
}

TEST(OpenApiV3, ListAndMapExtensionsEnumsAndDefaults) {
  const Json all = v3_doc("apis/apps/v1")["components"]["schemas"];
  const Json& conditions = all["io.k8s.api.apps.v1.DeploymentStatus"]["properties"]["conditions"];
  EXPECT_EQ(conditions["type"], "array");
  EXPECT_EQ(conditions["items"]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.DeploymentCondition");
  EXPECT_EQ(conditions["x-kubernetes-list-type"], "map");
  EXPECT_EQ(conditions["x-kubernetes-list-map-keys"], Json::array({"type"}));
  EXPECT_EQ(conditions["x-kubernetes-patch-strategy"], "merge");
  EXPECT_EQ(conditions["x-kubernetes-patch-merge-key"], "type");
  EXPECT_EQ(all["io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector"]["x-kubernetes-map-type"],
            "atomic");
  EXPECT_EQ(all["io.k8s.api.apps.v1.DeploymentStrategy"]["properties"]["type"]["enum"],
            Json::parse(R"(["Recreate","RollingUpdate"])"));
  EXPECT_EQ(all["io.k8s.api.core.v1.ContainerPort"]["properties"]["protocol"]["default"], "TCP");
  EXPECT_EQ(all["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["strategy"]
               ["x-kubernetes-patch-strategy"],
            "retainKeys");
  const Json& labels =
      all["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]["labels"];
  EXPECT_EQ(labels["type"], "object");
  EXPECT_EQ(labels["additionalProperties"], Json::parse(R"({"type":"string"})"));
}

TEST(OpenApiV3, EveryReferenceResolves) {
  for (const auto& [key, rendered] : docs()->v3_documents()) {
    Json doc = Json::parse(rendered.body);
    std::set<std::string> refs;
    collect_refs(doc, &refs);
    EXPECT_FALSE(refs.empty());
    for (const std::string& ref : refs) {
      ASSERT_TRUE(ref.starts_with("#/components/schemas/")) << ref;
      EXPECT_TRUE(doc["components"]["schemas"].contains(ref.substr(21))) << key << ": " << ref;
    }
  }
}

TEST(OpenApiV3, EveryKindHasAPatchOperationKubectlTrusts) {
  for (const ResourceType& t : reg().all()) {
    Json doc = v3_doc(openapi_v3_key(t.group, t.version));
    Json kind = gvk(t.group, t.version, t.kind);
    EXPECT_NE(schema_for_gvk(doc, kind), nullptr) << t.kind;
    if (!t.has_verb("patch")) continue;
    EXPECT_TRUE(patch_supports(doc, kind, "fieldValidation")) << t.kind;
    std::string prefix = t.group.empty() ? "/api/v1" : "/apis/" + t.group + "/" + t.version;
    std::string path =
        prefix + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}";
    ASSERT_TRUE(doc["paths"].contains(path)) << path;
    const Json& patch = doc["paths"][path]["patch"];
    EXPECT_EQ(patch["x-kubernetes-group-version-kind"], kind);
    EXPECT_EQ(patch["x-kubernetes-action"], "patch");
    std::set<std::string> types;
    for (auto it = patch["requestBody"]["content"].begin();
         it != patch["requestBody"]["content"].end(); ++it) {
      types.insert(it.key());
    }
    EXPECT_EQ(types, (std::set<std::string>{
                         "application/apply-patch+yaml", "application/json-patch+json",
                         "application/merge-patch+json", "application/strategic-merge-patch+json"}))
        << t.kind;
  }
}

TEST(OpenApiV3, EveryPatchOperationTakesFieldValidation) {
  // kubectl stops at the first PATCH operation of the kind it meets, in map order: the status and
  // scale subresources must answer the same way as the object itself.
  for (const auto& [key, rendered] : docs()->v3_documents()) {
    Json doc = Json::parse(rendered.body);
    for (auto it = doc["paths"].begin(); it != doc["paths"].end(); ++it) {
      if (!it.value().contains("patch")) continue;
      // Connect operations (pods/proxy) name their options kind, never a served kind.
      if (it.value()["patch"]["x-kubernetes-action"] != "patch") continue;
      bool found = false;
      for (const Json& p : it.value()["patch"]["parameters"])
        found |= p["name"] == "fieldValidation";
      EXPECT_TRUE(found) << it.key();
    }
  }
}

TEST(OpenApiV3, OperationsAreNamedAsKubernetesNamesThem) {
  Json apps = v3_doc("apis/apps/v1");
  const Json& paths = apps["paths"];
  EXPECT_EQ(paths["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]["operationId"],
            "listAppsV1NamespacedDeployment");
  EXPECT_EQ(paths["/apis/apps/v1/namespaces/{namespace}/deployments"]["get"]["x-kubernetes-action"],
            "list");
  EXPECT_EQ(paths["/apis/apps/v1/namespaces/{namespace}/deployments"]["post"]["operationId"],
            "createAppsV1NamespacedDeployment");
  EXPECT_EQ(
      paths["/apis/apps/v1/namespaces/{namespace}/deployments"]["delete"]["x-kubernetes-action"],
      "deletecollection");
  EXPECT_EQ(paths["/apis/apps/v1/namespaces/{namespace}/deployments"]["delete"]["operationId"],
            "deleteAppsV1CollectionNamespacedDeployment");
  EXPECT_EQ(paths["/apis/apps/v1/deployments"]["get"]["operationId"],
            "listAppsV1DeploymentForAllNamespaces");
  const Json& object = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"];
  EXPECT_EQ(object["get"]["operationId"], "readAppsV1NamespacedDeployment");
  EXPECT_EQ(object["put"]["operationId"], "replaceAppsV1NamespacedDeployment");
  EXPECT_EQ(object["put"]["x-kubernetes-action"], "put");
  EXPECT_EQ(object["delete"]["operationId"], "deleteAppsV1NamespacedDeployment");
  EXPECT_EQ(object["patch"]["tags"], Json::array({"apps_v1"}));
  const Json& scale = paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"];
  EXPECT_EQ(scale["patch"]["operationId"], "patchAppsV1NamespacedDeploymentScale");
  EXPECT_EQ(scale["patch"]["x-kubernetes-group-version-kind"], gvk("autoscaling", "v1", "Scale"));
  EXPECT_EQ(paths["/apis/apps/v1/watch/namespaces/{namespace}/deployments"]["get"]["operationId"],
            "watchAppsV1NamespacedDeploymentList");
  EXPECT_EQ(
      paths["/apis/apps/v1/watch/namespaces/{namespace}/deployments"]["get"]["x-kubernetes-action"],
      "watchlist");

  Json core = v3_doc("api/v1");
  EXPECT_EQ(core["paths"]["/api/v1/nodes"]["get"]["operationId"], "listCoreV1Node");
  EXPECT_EQ(core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/log"]["get"]["operationId"],
            "readCoreV1NamespacedPodLog");
  EXPECT_EQ(core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/exec"]["post"]["operationId"],
            "connectCoreV1PostNamespacedPodExec");
  EXPECT_EQ(core["paths"]["/api/v1/namespaces/{namespace}/pods/{name}/eviction"]["post"]
                ["x-kubernetes-group-version-kind"],
            gvk("policy", "v1", "Eviction"));
  EXPECT_EQ(core["paths"]["/api/v1/namespaces/{namespace}/bindings"]["post"]["operationId"],
            "createCoreV1NamespacedBinding");
  Json rbac = v3_doc("apis/rbac.authorization.k8s.io/v1");
  EXPECT_EQ(rbac["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"]["patch"]
                ["operationId"],
            "patchRbacAuthorizationV1ClusterRole");
  EXPECT_EQ(
      rbac["paths"]["/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}"]["patch"]["tags"],
      Json::array({"rbacAuthorization_v1"}));
}

TEST(OpenApiV3, ListResponsesUseTheListKind) {
  Json core = v3_doc("api/v1");
  const Json& list = core["paths"]["/api/v1/namespaces/{namespace}/pods"]["get"];
  EXPECT_EQ(list["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.PodList");
  const Json& pod_list = core["components"]["schemas"]["io.k8s.api.core.v1.PodList"];
  EXPECT_EQ(pod_list["x-kubernetes-group-version-kind"], Json::array({gvk("", "v1", "PodList")}));
  EXPECT_EQ(pod_list["properties"]["items"]["items"]["$ref"],
            "#/components/schemas/io.k8s.api.core.v1.Pod");
  EXPECT_EQ(pod_list["required"], Json::array({"items"}));
}

TEST(OpenApiV3, KubectlExplainFindsContainersOfADeployment) {
  Json doc = v3_doc("apis/apps/v1");
  Json kind = explain_gvk(doc, "/apis/apps/v1", "deployments");
  EXPECT_EQ(kind, gvk("apps", "v1", "Deployment"));
  const Json* deployment = schema_for_gvk(doc, kind);
  ASSERT_NE(deployment, nullptr);
  const Json* containers =
      explain_field(doc, deployment, {"spec", "template", "spec", "containers"});
  ASSERT_NE(containers, nullptr);
  EXPECT_EQ((*containers)["type"], "array");
  const Json* container = resolve(doc, &(*containers)["items"]);
  ASSERT_NE(container, nullptr);
  EXPECT_TRUE((*container)["properties"].contains("image"));
  EXPECT_EQ((*container)["required"], Json::array({"name"}));
  EXPECT_NE(explain_field(doc, deployment,
                          {"spec", "template", "spec", "containers", "resources", "limits"}),
            nullptr);
  EXPECT_EQ(explain_field(doc, deployment, {"spec", "nonsense"}), nullptr);

  // Every served resource can be explained in its own document (1.27's template looks at the list
  // path; create-only bindings have only POST).
  for (const ResourceType& t : reg().all()) {
    std::string prefix = t.group.empty() ? "/api/v1" : "/apis/" + t.group + "/" + t.version;
    Json d = v3_doc(openapi_v3_key(t.group, t.version));
    EXPECT_EQ(explain_gvk(d, prefix, t.plural), gvk(t.group, t.version, t.kind)) << t.plural;
  }
}

TEST(OpenApiV3, StrategicMergeMetadataIsReachableAsKubectlLooksItUp) {
  // kubectl's PatchMetaFromOpenAPIV3: traverse properties, read the patch extensions on the field,
  // then resolve allOf[0] / $ref (and items for lists).
  Json doc = v3_doc("apis/apps/v1");
  const Json* s = schema_for_gvk(doc, gvk("apps", "v1", "Deployment"));
  for (const char* f : {"spec", "template", "spec"}) {
    s = resolve(doc, &(*s)["properties"][f]);
    ASSERT_NE(s, nullptr) << f;
  }
  const Json& containers = (*s)["properties"]["containers"];
  EXPECT_EQ(containers["x-kubernetes-patch-strategy"], "merge");
  EXPECT_EQ(containers["x-kubernetes-patch-merge-key"], "name");
  const Json* container = resolve(doc, &containers["items"]);
  const Json& ports = (*container)["properties"]["ports"];
  EXPECT_EQ(ports["x-kubernetes-patch-merge-key"], "containerPort");
  EXPECT_EQ((*container)["properties"]["volumeMounts"]["x-kubernetes-patch-merge-key"],
            "mountPath");
  EXPECT_EQ((*container)["properties"]["env"]["x-kubernetes-patch-merge-key"], "name");
  EXPECT_EQ((*s)["properties"]["volumes"]["x-kubernetes-patch-strategy"], "merge,retainKeys");
}

// ---- v2 JSON ------------------------------------------------------------------------------------

TEST(OpenApiV2, OneDocumentWithEveryKind) {
  Json v2 = Json::parse(docs()->v2_json().body);
  EXPECT_EQ(v2["swagger"], "2.0");
  EXPECT_EQ(docs()->v2_json().etag, openapi_etag(docs()->v2_json().body));
  for (const ResourceType& t : reg().all()) {
    bool found = false;
    for (const Json& d : v2["definitions"]) {
      for (const Json& g : d.value("x-kubernetes-group-version-kind", Json::array())) {
        found |= g == gvk(t.group, t.version, t.kind);
      }
    }
    EXPECT_TRUE(found) << t.kind;
  }
  std::set<std::string> refs;
  collect_refs(v2, &refs);
  for (const std::string& ref : refs) {
    ASSERT_TRUE(ref.starts_with("#/definitions/")) << ref;
    EXPECT_TRUE(v2["definitions"].contains(ref.substr(14))) << ref;
  }
}

TEST(OpenApiV2, ReferencesKeepTheirSiblingsAndScalarsAreStrings) {
  Json v2 = Json::parse(docs()->v2_json().body);
  const Json& meta = v2["definitions"]["io.k8s.api.apps.v1.Deployment"]["properties"]["metadata"];
  EXPECT_EQ(meta["$ref"], "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_FALSE(meta.contains("allOf"));
  // kube-openapi's proto model rejects a $ref with a type; none may carry one.
  std::function<void(const Json&)> check = [&](const Json& j) {
    if (j.is_object()) {
      if (j.contains("$ref")) {
        EXPECT_FALSE(j.contains("type")) << j.dump();
        EXPECT_FALSE(j.contains("properties")) << j.dump();
      }
      if (j.contains("type") && j["type"] == "array") {
        EXPECT_TRUE(j.contains("items")) << j.dump();
      }
      for (auto& [k, v] : j.items()) check(v);
    } else if (j.is_array()) {
      for (const Json& e : j) check(e);
    }
  };
  check(v2["definitions"]);
  EXPECT_EQ(v2["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["type"], "string");
  EXPECT_EQ(v2["definitions"]["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]["format"],
            "int-or-string");
  EXPECT_EQ(v2["definitions"]["io.k8s.apimachinery.pkg.api.resource.Quantity"]["type"], "string");
}

TEST(OpenApiV2, PatchOperationsCarryTheBodyAndFieldValidation) {
  Json v2 = Json::parse(docs()->v2_json().body);
  const Json& patch =
      v2["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
  EXPECT_EQ(patch["x-kubernetes-group-version-kind"], gvk("apps", "v1", "Deployment"));
  EXPECT_EQ(patch["consumes"], Json::parse(R"(["application/apply-patch+yaml",
      "application/json-patch+json","application/merge-patch+json",
      "application/strategic-merge-patch+json"])"));
  std::set<std::string> params;
  for (const Json& p : patch["parameters"])
    params.insert(p["name"].get<std::string>() + "@" + p["in"].get<std::string>());
  EXPECT_EQ(params, (std::set<std::string>{"body@body", "dryRun@query", "fieldManager@query",
                                           "fieldValidation@query", "force@query"}));
  EXPECT_EQ(patch["parameters"][0]["schema"]["$ref"],
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
}

TEST(OpenApiV2Negotiation, FollowsKubeOpenapi) {
  EXPECT_EQ(negotiate_openapi_v2("application/com.github.proto-openapi.spec.v2@v1.0+protobuf"),
            OpenApiV2Encoding::kProtobuf);
  EXPECT_EQ(negotiate_openapi_v2("application/com.github.proto-openapi.spec.v2.v1.0+protobuf"),
            OpenApiV2Encoding::kProtobuf);
  EXPECT_EQ(negotiate_openapi_v2("application/json"), OpenApiV2Encoding::kJson);
  EXPECT_EQ(negotiate_openapi_v2(""), OpenApiV2Encoding::kJson);
  EXPECT_EQ(negotiate_openapi_v2("*/*"), OpenApiV2Encoding::kJson);
  EXPECT_EQ(negotiate_openapi_v2("application/com.github.proto-openapi.spec.v2@v1.0+protobuf;q=0.5,"
                                 "application/json"),
            OpenApiV2Encoding::kJson);
  EXPECT_EQ(negotiate_openapi_v2("text/html"), std::nullopt);
  EXPECT_TRUE(openapi_v3_accepts_json("application/json"));
  EXPECT_TRUE(openapi_v3_accepts_json("application/json, */*"));
  EXPECT_FALSE(
      openapi_v3_accepts_json("application/com.github.proto-openapi.spec.v3@v1.0+protobuf"));
}

}  // namespace
}  // namespace bosun::apiserver
