#include "api/registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

namespace bosun::api {
namespace {

const ResourceRegistry& reg() { return ResourceRegistry::builtin(); }

const ResourceType& get(const char* group, const char* plural) {
  const ResourceType* t = reg().find(group, "v1", plural);
  EXPECT_NE(t, nullptr) << group << "/" << plural;
  return *t;
}

TEST(Registry, ServesTheResourcesOfThisMilestone) {
  std::set<std::string> served;
  for (const ResourceType& t : reg().all()) served.insert(t.group + "/" + t.plural);
  const std::set<std::string> expected = {
      "/namespaces",
      "/pods",
      "/bindings",
      "/services",
      "/endpoints",
      "/nodes",
      "/events",
      "/configmaps",
      "/secrets",
      "/serviceaccounts",
      "/replicationcontrollers",
      "/resourcequotas",
      "/limitranges",
      "/persistentvolumes",
      "/persistentvolumeclaims",
      "apps/deployments",
      "apps/replicasets",
      "coordination.k8s.io/leases",
      "discovery.k8s.io/endpointslices",
      "rbac.authorization.k8s.io/roles",
      "rbac.authorization.k8s.io/rolebindings",
      "rbac.authorization.k8s.io/clusterroles",
      "rbac.authorization.k8s.io/clusterrolebindings",
      "events.k8s.io/events",
  };
  EXPECT_EQ(served, expected);
}

// Every entry's schema root exists and is the body type of its kind; so are its subresources'
// bodies.
TEST(Registry, EveryEntryHasItsSchemaRoot) {
  const SchemaSet& schemas = SchemaSet::global();
  for (const ResourceType& t : reg().all()) {
    ASSERT_NE(t.schema, nullptr) << t.plural;
    EXPECT_EQ(t.schema, schemas.find(t.gvk())) << t.plural;
    EXPECT_EQ(t.schema->name(), t.kind);
    EXPECT_FALSE(t.singular.empty());
    EXPECT_FALSE(t.verbs.empty());
    EXPECT_TRUE(t.strategy.validate_name) << t.plural;
    for (const Subresource& s : t.subresources) {
      if (s.schema != nullptr) {
        EXPECT_EQ(s.schema, schemas.find(s.kind)) << t.plural << "/" << s.name;
      }
    }
    // List types of the core group live in the core/v1 text, which is another engineer's; the other
    // groups' lists are checked here.
    if (!t.group.empty() && !t.list_kind.empty()) {
      EXPECT_NE(schemas.find(t.group, t.version, t.list_kind), nullptr) << t.list_kind;
    }
  }
}

TEST(Registry, LooksUpByUrlByKindAndByName) {
  const ResourceType& deploy = get("apps", "deployments");
  EXPECT_EQ(deploy.kind, "Deployment");
  EXPECT_EQ(deploy.list_kind, "DeploymentList");
  EXPECT_EQ(deploy.api_version(), "apps/v1");
  EXPECT_EQ(deploy.gvr(), (GroupVersionResource{"apps", "v1", "deployments"}));
  EXPECT_EQ(reg().find("apps", "v2", "deployments"), nullptr);
  EXPECT_EQ(reg().find("", "v1", "deployments"), nullptr);
  EXPECT_EQ(reg().find_kind("apps", "Deployment"), &deploy);
  EXPECT_EQ(reg().find_kind("", "Deployment"), nullptr);
  EXPECT_EQ(reg().find_kind("", "Pod"), &get("", "pods"));

  EXPECT_EQ(reg().find_by_name("deploy"), &deploy);
  EXPECT_EQ(reg().find_by_name("deployment"), &deploy);
  EXPECT_EQ(reg().find_by_name("deployments"), &deploy);
  EXPECT_EQ(reg().find_by_name("Deployment"), &deploy);
  EXPECT_EQ(reg().find_by_name("deployments.apps"), &deploy);
  EXPECT_EQ(reg().find_by_name("po"), &get("", "pods"));
  EXPECT_EQ(reg().find_by_name("svc"), &get("", "services"));
  EXPECT_EQ(reg().find_by_name("quota"), &get("", "resourcequotas"));
  EXPECT_EQ(reg().find_by_name("pvc"), &get("", "persistentvolumeclaims"));
  // Two groups serve events: an unqualified name means the core one, as kubectl resolves it.
  EXPECT_EQ(reg().find_by_name("ev"), &get("", "events"));
  EXPECT_EQ(reg().find_by_name("events"), &get("", "events"));
  EXPECT_EQ(reg().find_by_name("events.events.k8s.io"), &get("events.k8s.io", "events"));
  EXPECT_EQ(reg().find_by_name("ev.events.k8s.io"), &get("events.k8s.io", "events"));
  EXPECT_EQ(reg().find_by_name("clusterrolebinding"),
            &get("rbac.authorization.k8s.io", "clusterrolebindings"));
  EXPECT_EQ(reg().find_by_name("nope"), nullptr);
  EXPECT_EQ(reg().find_by_name("pods.apps"), nullptr);
}

TEST(Registry, ScopeShortNamesAndCategoriesAreKubernetes) {
  for (const char* p : {"namespaces", "nodes", "persistentvolumes"})
    EXPECT_FALSE(get("", p).namespaced) << p;
  EXPECT_FALSE(get("rbac.authorization.k8s.io", "clusterroles").namespaced);
  EXPECT_FALSE(get("rbac.authorization.k8s.io", "clusterrolebindings").namespaced);
  EXPECT_TRUE(get("rbac.authorization.k8s.io", "roles").namespaced);
  EXPECT_TRUE(get("", "pods").namespaced);

  std::set<std::string> in_all;
  for (const ResourceType& t : reg().all()) {
    if (std::find(t.categories.begin(), t.categories.end(), "all") != t.categories.end())
      in_all.insert(t.plural);
  }
  EXPECT_EQ(in_all, (std::set<std::string>{"pods", "services", "replicationcontrollers",
                                           "deployments", "replicasets"}));
  EXPECT_EQ(get("", "configmaps").short_names, std::vector<std::string>{"cm"});
  EXPECT_EQ(get("", "replicationcontrollers").short_names, std::vector<std::string>{"rc"});
  EXPECT_TRUE(get("", "secrets").short_names.empty());
  EXPECT_EQ(get("", "endpoints").singular, "endpoints");
  EXPECT_FALSE(get("", "namespaces").has_verb("deletecollection"));
  EXPECT_TRUE(get("", "pods").has_verb("deletecollection"));
  EXPECT_EQ(get("", "bindings").verbs, std::vector<std::string>{"create"});
}

TEST(Registry, SubresourcesAsDiscoveryListsThem) {
  const ResourceType& pods = get("", "pods");
  for (const char* s :
       {"status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy"}) {
    EXPECT_NE(pods.subresource(s), nullptr) << s;
  }
  EXPECT_EQ(pods.subresource("scale"), nullptr);
  EXPECT_EQ(pods.subresource("eviction")->kind, (GroupVersionKind{"policy", "v1", "Eviction"}));
  EXPECT_EQ(pods.subresource("eviction")->verbs, std::vector<std::string>{"create"});
  EXPECT_EQ(pods.subresource("binding")->schema->name(), "Binding");
  EXPECT_EQ(pods.subresource("status")->schema, pods.schema);
  EXPECT_EQ(pods.subresource("exec")->kind.kind, "PodExecOptions");
  EXPECT_EQ(pods.subresource("exec")->schema, nullptr);
  for (const ResourceType* t : {&get("apps", "deployments"), &get("apps", "replicasets"),
                                &get("", "replicationcontrollers")}) {
    const Subresource* scale = t->subresource("scale");
    ASSERT_NE(scale, nullptr) << t->plural;
    EXPECT_EQ(scale->kind, (GroupVersionKind{"autoscaling", "v1", "Scale"}));
    EXPECT_EQ(scale->verbs, (std::vector<std::string>{"get", "patch", "update"}));
    ASSERT_NE(scale->schema, nullptr);
    EXPECT_EQ(scale->schema->full_name(), "io.k8s.api.autoscaling.v1.Scale");
    EXPECT_NE(t->subresource("status"), nullptr);
  }
  EXPECT_NE(get("", "nodes").subresource("status"), nullptr);
  EXPECT_NE(get("", "services").subresource("proxy"), nullptr);
  EXPECT_TRUE(get("", "configmaps").subresources.empty());
}

TEST(Registry, FieldLabelsConvertAsKubernetesDoes) {
  const ResourceType& pods = get("", "pods");
  for (const char* l :
       {"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
        "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
        "status.podIP", "status.nominatedNodeName"}) {
    Result<std::string> c = pods.convert_field_label(l);
    ASSERT_TRUE(c.ok()) << l;
    EXPECT_EQ(*c, l);
  }
  EXPECT_EQ(*pods.convert_field_label("spec.host"), "spec.nodeName");
  Result<std::string> bad = pods.convert_field_label("spec.containers");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(bad.error().message, "field label not supported: spec.containers");

  // Kinds without their own conversion accept only the metadata labels.
  Result<std::string> generic = get("", "configmaps").convert_field_label("data.x");
  ASSERT_FALSE(generic.ok());
  EXPECT_EQ(
      generic.error().message,
      "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
  EXPECT_EQ(*get("apps", "deployments").convert_field_label("metadata.name"), "metadata.name");

  EXPECT_EQ(*get("", "nodes").convert_field_label("spec.unschedulable"), "spec.unschedulable");
  EXPECT_FALSE(get("", "nodes").convert_field_label("metadata.namespace").ok());
  EXPECT_EQ(*get("", "namespaces").convert_field_label("status.phase"), "status.phase");
  EXPECT_EQ(*get("", "secrets").convert_field_label("type"), "type");
  EXPECT_EQ(*get("", "replicationcontrollers").convert_field_label("status.replicas"),
            "status.replicas");
  EXPECT_EQ(*get("apps", "replicasets").convert_field_label("status.replicas"), "status.replicas");
  const ResourceType& core_events = get("", "events");
  for (const char* l :
       {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
        "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
        "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"}) {
    EXPECT_TRUE(core_events.convert_field_label(l).ok()) << l;
  }
  const ResourceType& new_events = get("events.k8s.io", "events");
  EXPECT_EQ(*new_events.convert_field_label("regarding.kind"), "involvedObject.kind");
  EXPECT_EQ(*new_events.convert_field_label("reportingController"), "reportingComponent");
  EXPECT_FALSE(new_events.convert_field_label("involvedObject.kind").ok());
}

TEST(Registry, SelectableFieldValuesComeFromTheObject) {
  const ResourceType& pods = get("", "pods");
  Json pod = Json::parse(R"({"metadata": {"name": "web", "namespace": "shop"},
                             "spec": {"nodeName": "n1", "restartPolicy": "Always"},
                             "status": {"phase": "Running", "podIP": "10.0.0.5"}})");
  EXPECT_EQ(pods.field_value(pod, "metadata.name"), "web");
  EXPECT_EQ(pods.field_value(pod, "metadata.namespace"), "shop");
  EXPECT_EQ(pods.field_value(pod, "spec.nodeName"), "n1");
  EXPECT_EQ(pods.field_value(pod, "status.phase"), "Running");
  EXPECT_EQ(pods.field_value(pod, "status.podIP"), "10.0.0.5");
  EXPECT_EQ(pods.field_value(pod, "spec.schedulerName"), "");
  // ToSelectableFields formats hostNetwork with strconv.FormatBool, so an unset one reads "false".
  EXPECT_EQ(pods.field_value(pod, "spec.hostNetwork"), "false");
  pod["spec"]["hostNetwork"] = true;
  EXPECT_EQ(pods.field_value(pod, "spec.hostNetwork"), "true");
  EXPECT_EQ(pods.field_value(pod, "spec.containers"), "");

  EXPECT_EQ(get("", "nodes").field_value(Json::object(), "spec.unschedulable"), "false");
  EXPECT_EQ(get("", "replicationcontrollers").field_value(Json::object(), "status.replicas"), "0");
  EXPECT_EQ(get("apps", "replicasets")
                .field_value(Json::parse(R"({"status": {"replicas": 3}})"), "status.replicas"),
            "3");
  // A cluster-scoped kind has no namespace field to select on.
  EXPECT_EQ(
      get("", "nodes")
          .field_value(Json::parse(R"({"metadata": {"namespace": "x"}})"), "metadata.namespace"),
      "");

  Json core_event = Json::parse(R"({"involvedObject": {"kind": "Pod", "name": "web"},
                                    "source": {"component": "kubelet"}, "reportingComponent": "kubelet"})");
  EXPECT_EQ(get("", "events").field_value(core_event, "involvedObject.kind"), "Pod");
  EXPECT_EQ(get("", "events").field_value(core_event, "source"), "kubelet");
  Json new_event = Json::parse(R"({"regarding": {"kind": "Pod"}, "reportingController": "kubelet",
                                   "deprecatedSource": {"component": "kubelet"}, "type": "Normal"})");
  const ResourceType& new_events = get("events.k8s.io", "events");
  EXPECT_EQ(new_events.field_value(new_event, "involvedObject.kind"), "Pod");
  EXPECT_EQ(new_events.field_value(new_event, "reportingComponent"), "kubelet");
  EXPECT_EQ(new_events.field_value(new_event, "source"), "kubelet");
  EXPECT_EQ(new_events.field_value(new_event, "type"), "Normal");
}

TEST(Registry, NamesAreValidatedPerKind) {
  auto errors = [](const char* group, const char* plural, const char* name, bool prefix = false) {
    return get(group, plural).strategy.validate_name(name, prefix);
  };
  EXPECT_TRUE(errors("apps", "deployments", "web-1.example").empty());
  std::vector<std::string> e = errors("apps", "deployments", "Web");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0],
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and "
            "must start and end with an alphanumeric character (e.g. 'example.com', regex used for "
            "validation "
            "is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  // Namespaces are DNS labels: no dots.
  EXPECT_TRUE(errors("", "namespaces", "team-a").empty());
  EXPECT_EQ(errors("", "namespaces", "team.a"), std::vector<std::string>{"must not contain dots"});
  ASSERT_FALSE(errors("", "namespaces", "Team").empty());
  EXPECT_EQ(errors("", "namespaces", "Team")[0].rfind("a lowercase RFC 1123 label must consist", 0),
            0u);
  // Services are DNS-1035 labels: they must start with a letter (ValidateServiceName).
  EXPECT_TRUE(errors("", "services", "web").empty());
  ASSERT_FALSE(errors("", "services", "1web").empty());
  EXPECT_EQ(errors("", "services", "1web")[0].rfind("a DNS-1035 label must consist", 0), 0u);
  EXPECT_TRUE(errors("", "pods", "1web").empty());
  // RBAC names are path segments: colons and capitals are fine, slashes and percent signs are not.
  EXPECT_TRUE(errors("rbac.authorization.k8s.io", "clusterroles", "system:controller:Web").empty());
  EXPECT_EQ(errors("rbac.authorization.k8s.io", "roles", "a/b%c"),
            (std::vector<std::string>{"may not contain '/'", "may not contain '%'"}));
  EXPECT_EQ(errors("rbac.authorization.k8s.io", "rolebindings", ".."),
            std::vector<std::string>{"may not be '..'"});
  // generateName prefixes may end in '-'.
  EXPECT_TRUE(errors("", "pods", "web-", true).empty());
  EXPECT_FALSE(errors("", "pods", "web-", false).empty());
  EXPECT_TRUE(errors("", "services", "web-", true).empty());
}

TEST(Registry, StrategyHooksDefaultToCallableNoOps) {
  const ResourceType& cm = get("", "configmaps");
  Json obj =
      Json::parse(R"({"metadata": {"name": "c", "creationTimestamp": "2024-05-01T12:00:00Z"}})");
  Json before = obj;
  cm.strategy.default_fields(obj);
  cm.strategy.prepare_for_create(obj);
  cm.strategy.prepare_for_update(obj, before);
  EXPECT_EQ(obj, before);
  EXPECT_TRUE(cm.strategy.validate_create(obj).empty());
  EXPECT_TRUE(cm.strategy.validate_update(obj, before).empty());
  ASSERT_EQ(cm.strategy.table_columns.size(), 2u);
  EXPECT_EQ(cm.strategy.table_columns[0].name, "Name");
  EXPECT_EQ(cm.strategy.table_columns[0].format, "name");
  EXPECT_EQ(cm.strategy.table_columns[1].name, "Created At");
  EXPECT_EQ(cm.strategy.table_columns[1].type, "date");
  EXPECT_EQ(cm.strategy.table_cells(obj), Json::parse(R"(["c", "2024-05-01T12:00:00Z"])"));
}

TEST(Registry, APrivateCopyCanFillHooksWithoutTouchingTheShared) {
  ResourceRegistry mine = ResourceRegistry::make_builtin();
  ResourceType* pods = mine.find_mutable("", "v1", "pods");
  ASSERT_NE(pods, nullptr);
  pods->strategy.validate_create = [](const Json&) {
    FieldErrors e;
    e.required("spec.containers");
    return e;
  };
  EXPECT_EQ(pods->strategy.validate_create(Json::object()).size(), 1u);
  EXPECT_TRUE(get("", "pods").strategy.validate_create(Json::object()).empty());
}

TEST(RegistryDeathTest, DuplicateDeclarationsAbort) {
  ResourceRegistry r = ResourceRegistry::make_builtin();
  ResourceType dup = *r.find("", "v1", "pods");
  EXPECT_DEATH(r.add(dup), "resource declared twice");
}

}  // namespace
}  // namespace bosun::api
