#include "api/schema.h"

#include <gtest/gtest.h>

#include "api/registry.h"

#include <string>

namespace bosun::api {
namespace {

// Every builtin text parses and every type reference resolves: the texts are hand-written data, and
// this is the test that catches a typo in them before the server aborts on start-up.
TEST(SchemaSet, BuiltinTextsParseAndResolve) {
  Result<std::unique_ptr<SchemaSet>> set = SchemaSet::parse(builtin_schema_sources());
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_TRUE((*set)->unresolved().empty());
  EXPECT_GT((*set)->types().size(), 100u);
}

TEST(SchemaSet, GlobalIsBuiltOnceAndShared) {
  const SchemaSet& a = SchemaSet::global();
  const SchemaSet& b = SchemaSet::global();
  EXPECT_EQ(&a, &b);
  EXPECT_NE(a.find("io.k8s.api.apps.v1.Deployment"), nullptr);
}

TEST(SchemaSet, FindsTypesByNameAndByKind) {
  const SchemaSet& s = SchemaSet::global();
  const SchemaType* d = s.find("apps", "v1", "Deployment");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->full_name(), "io.k8s.api.apps.v1.Deployment");
  EXPECT_EQ(d->name(), "Deployment");
  EXPECT_EQ(d->package(), "io.k8s.api.apps.v1");
  EXPECT_EQ(s.find(GroupVersionKind{"", "v1", "Pod"}), s.find("io.k8s.api.core.v1.Pod"));
  EXPECT_EQ(s.find("", "v1", "Deployment"), nullptr);
  EXPECT_EQ(s.find("io.k8s.api.apps.v1.Nope"), nullptr);
  // DeleteOptions is the body of DELETE in every group, as the upstream OpenAPI lists it.
  const SchemaType* del = s.find("io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions");
  ASSERT_NE(del, nullptr);
  EXPECT_EQ(s.find("", "v1", "DeleteOptions"), del);
  EXPECT_EQ(s.find("apps", "v1", "DeleteOptions"), del);
  EXPECT_EQ(s.find("policy", "v1", "DeleteOptions"), del);
  // The two Event kinds are distinct types in distinct packages.
  ASSERT_NE(s.find("events.k8s.io", "v1", "Event"), nullptr);
  EXPECT_NE(s.find("events.k8s.io", "v1", "Event"), s.find("", "v1", "Event"));
}

TEST(SchemaSet, EveryKindTheServerServesHasABodyType) {
  const SchemaSet& s = SchemaSet::global();
  const GroupVersionKind kinds[] = {
      {"", "v1", "Namespace"},
      {"", "v1", "Pod"},
      {"", "v1", "Service"},
      {"", "v1", "Endpoints"},
      {"", "v1", "Node"},
      {"", "v1", "Event"},
      {"", "v1", "ConfigMap"},
      {"", "v1", "Secret"},
      {"", "v1", "ServiceAccount"},
      {"", "v1", "ReplicationController"},
      {"", "v1", "ResourceQuota"},
      {"", "v1", "LimitRange"},
      {"", "v1", "PersistentVolume"},
      {"", "v1", "PersistentVolumeClaim"},
      {"", "v1", "Binding"},
      {"", "v1", "Status"},
      {"apps", "v1", "Deployment"},
      {"apps", "v1", "ReplicaSet"},
      {"autoscaling", "v1", "Scale"},
      {"coordination.k8s.io", "v1", "Lease"},
      {"discovery.k8s.io", "v1", "EndpointSlice"},
      {"rbac.authorization.k8s.io", "v1", "Role"},
      {"rbac.authorization.k8s.io", "v1", "ClusterRole"},
      {"rbac.authorization.k8s.io", "v1", "RoleBinding"},
      {"rbac.authorization.k8s.io", "v1", "ClusterRoleBinding"},
      {"events.k8s.io", "v1", "Event"},
      {"policy", "v1", "Eviction"},
  };
  for (const GroupVersionKind& gvk : kinds) {
    const SchemaType* t = s.find(gvk);
    ASSERT_NE(t, nullptr) << gvk.api_version() << " " << gvk.kind;
    EXPECT_NE(t->field("apiVersion"), nullptr) << gvk.kind;
    EXPECT_NE(t->field("kind"), nullptr) << gvk.kind;
  }
}

// The registry's entries and their subresources name their body types by kind; each must be a
// schema root.
TEST(SchemaSet, EveryRegistryEntryHasItsRootType) {
  const SchemaSet& s = SchemaSet::global();
  for (const ResourceType& t : ResourceRegistry::builtin().all()) {
    const SchemaType* root = s.find(t.gvk());
    ASSERT_NE(root, nullptr) << t.api_version() << " " << t.kind;
    EXPECT_EQ(root, t.schema);
    EXPECT_NE(root->field("metadata"), nullptr) << t.kind;
  }
  // Watch streams and discovery documents have schemas too, for the OpenAPI documents.
  EXPECT_NE(s.find("", "v1", "WatchEvent"), nullptr);
  EXPECT_NE(s.find("apps", "v1", "WatchEvent"), nullptr);
  EXPECT_NE(s.find("", "v1", "APIResourceList"), nullptr);
  EXPECT_NE(s.find("", "v1", "APIGroupList"), nullptr);
}

struct MergeKeyCase {
  const char* kind_group;
  const char* kind;
  const char* path;
  const char* merge_key;
  PatchStrategy strategy;
};

// The merge keys strategic merge patch uses on the lists kubectl apply touches most.
TEST(SchemaSet, WellKnownListsCarryTheirMergeKeys) {
  const SchemaSet& s = SchemaSet::global();
  const MergeKeyCase cases[] = {
      {"", "Pod", "spec.containers", "name", PatchStrategy::kMerge},
      {"", "Pod", "spec.initContainers", "name", PatchStrategy::kMerge},
      {"", "Pod", "spec.containers.ports", "containerPort", PatchStrategy::kMerge},
      {"", "Pod", "spec.containers.env", "name", PatchStrategy::kMerge},
      {"", "Pod", "spec.containers.volumeMounts", "mountPath", PatchStrategy::kMerge},
      {"", "Pod", "spec.volumes", "name", PatchStrategy::kMergeRetainKeys},
      {"", "Pod", "metadata.ownerReferences", "uid", PatchStrategy::kMerge},
      {"", "Pod", "status.conditions", "type", PatchStrategy::kMerge},
      {"", "Service", "spec.ports", "port", PatchStrategy::kMerge},
      {"", "Node", "status.addresses", "type", PatchStrategy::kMerge},
      {"apps", "Deployment", "spec.template.spec.containers", "name", PatchStrategy::kMerge},
      {"apps", "Deployment", "status.conditions", "type", PatchStrategy::kMerge},
      {"apps", "ReplicaSet", "status.conditions", "type", PatchStrategy::kMerge},
      {"apps", "Deployment", "spec.selector.matchExpressions", "", PatchStrategy::kNone},
  };
  for (const MergeKeyCase& c : cases) {
    const SchemaType* root = s.find(c.kind_group, "v1", c.kind);
    ASSERT_NE(root, nullptr) << c.kind;
    const SchemaField* f = SchemaSet::field_at(*root, c.path);
    ASSERT_NE(f, nullptr) << c.kind << " " << c.path;
    EXPECT_EQ(f->merge_key, c.merge_key) << c.kind << " " << c.path;
    EXPECT_EQ(f->patch_strategy, c.strategy) << c.kind << " " << c.path;
    EXPECT_EQ(f->type->kind, ValueKind::kArray) << c.path;
  }
  const SchemaType* dep = s.find("apps", "v1", "Deployment");
  EXPECT_EQ(SchemaSet::field_at(*dep, "spec.strategy")->patch_strategy, PatchStrategy::kRetainKeys);
  EXPECT_EQ(SchemaSet::field_at(*dep, "metadata.finalizers")->list_type, ListType::kSet);
  EXPECT_EQ(SchemaSet::field_at(*dep, "metadata.finalizers")->patch_strategy,
            PatchStrategy::kMerge);
  const SchemaField* owners = SchemaSet::field_at(*dep, "metadata.ownerReferences");
  EXPECT_EQ(owners->list_type, ListType::kMap);
  EXPECT_EQ(owners->list_map_keys, std::vector<std::string>{"uid"});
  EXPECT_EQ(SchemaSet::field_at(*dep, "spec.nope"), nullptr);
  EXPECT_EQ(SchemaSet::field_at(*dep, "spec.replicas.x"), nullptr);
}

TEST(SchemaSet, FieldNodesExposeTypesAndAttributes) {
  const SchemaSet& s = SchemaSet::global();
  const SchemaType* dep = s.find("apps", "v1", "Deployment");
  const SchemaField* replicas = SchemaSet::field_at(*dep, "spec.replicas");
  ASSERT_NE(replicas, nullptr);
  EXPECT_EQ(replicas->type->kind, ValueKind::kInt32);
  EXPECT_EQ(replicas->type->openapi_type(), "integer");
  EXPECT_EQ(replicas->type->openapi_format(), "int32");
  EXPECT_FALSE(replicas->required);
  EXPECT_FALSE(replicas->description.empty());

  const SchemaField* selector = SchemaSet::field_at(*dep, "spec.selector");
  EXPECT_TRUE(selector->required);
  ASSERT_TRUE(selector->type->is_object());
  EXPECT_EQ(selector->type->named->full_name(),
            "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector");
  EXPECT_TRUE(selector->type->named->atomic());

  const SchemaField* strategy_type = SchemaSet::field_at(*dep, "spec.strategy.type");
  EXPECT_EQ(strategy_type->enum_values, (std::vector<std::string>{"Recreate", "RollingUpdate"}));

  const SchemaField* surge = SchemaSet::field_at(*dep, "spec.strategy.rollingUpdate.maxSurge");
  EXPECT_EQ(surge->type->kind, ValueKind::kIntOrString);
  EXPECT_EQ(surge->type->go_type_name(), "intstr.IntOrString");

  const SchemaField* labels = SchemaSet::field_at(*dep, "metadata.labels");
  EXPECT_EQ(labels->type->kind, ValueKind::kMap);
  EXPECT_EQ(labels->type->element->kind, ValueKind::kString);
  EXPECT_EQ(labels->type->go_type_name(), "map[string]string");

  // Time is declared by name in meta/v1; fields that name it resolve to the leaf with the named
  // type kept.
  const SchemaField* created = SchemaSet::field_at(*dep, "metadata.creationTimestamp");
  EXPECT_EQ(created->type->kind, ValueKind::kTime);
  EXPECT_EQ(created->type->openapi_format(), "date-time");
  EXPECT_EQ(created->type->go_type_name(), "v1.Time");

  const SchemaField* containers = SchemaSet::field_at(*dep, "spec.template.spec.containers");
  EXPECT_EQ(containers->type->go_type_name(), "[]v1.Container");
  EXPECT_EQ(containers->type->child("0")->named->name(), "Container");
  EXPECT_EQ(dep->ref().child("spec")->named->name(), "DeploymentSpec");
  EXPECT_EQ(dep->ref().field("nope"), nullptr);
  EXPECT_EQ(dep->go_package(), "v1");
}

TEST(SchemaParse, ReadsEveryAttribute) {
  const SchemaSource src{"test", R"(
package io.example.v1
# a comment
type Thing gvk=example.io/v1/Thing : A thing.
  apiVersion string
  items []Item patch=merge,retainKeys merge-key=id list=map list-keys=id,zone : The items.
  mode string enum=A|B|C default=B : How.
  count int64 default=3
  note string default="two words"
  tags map[string]string map=atomic
  blob any preserve-unknown
  port string int-or-string
  limits map[string]Quantity
  data map[string]byte

type Item struct=atomic
  id string required
  zone string

type Opaque scalar=string
)"};
  Result<std::unique_ptr<SchemaSet>> r = SchemaSet::parse({&src, 1});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const SchemaType* t = (*r)->find("example.io", "v1", "Thing");
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->description(), "A thing.");
  ASSERT_EQ(t->fields().size(), 10u);
  EXPECT_EQ(t->fields()[0].name, "apiVersion");  // declaration order is kept
  const SchemaField* items = t->field("items");
  EXPECT_EQ(items->patch_strategy, PatchStrategy::kMergeRetainKeys);
  EXPECT_EQ(items->merge_key, "id");
  EXPECT_EQ(items->list_type, ListType::kMap);
  EXPECT_EQ(items->list_map_keys, (std::vector<std::string>{"id", "zone"}));
  EXPECT_EQ(items->description, "The items.");
  EXPECT_TRUE(items->type->element->named->atomic());
  EXPECT_TRUE(items->type->element->field("id")->required);
  EXPECT_EQ(t->field("mode")->enum_values, (std::vector<std::string>{"A", "B", "C"}));
  EXPECT_EQ(t->field("mode")->default_value, Json("B"));
  EXPECT_EQ(t->field("count")->default_value, Json(3));
  EXPECT_EQ(t->field("note")->default_value, Json("two words"));
  EXPECT_EQ(t->field("tags")->map_type, MapType::kAtomic);
  EXPECT_TRUE(t->field("blob")->preserve_unknown);
  EXPECT_EQ(t->field("port")->type->kind, ValueKind::kIntOrString);
  EXPECT_EQ(t->field("limits")->type->element->kind, ValueKind::kQuantity);
  EXPECT_EQ(t->field("data")->type->element->kind, ValueKind::kByte);
  EXPECT_EQ(t->field("nope"), nullptr);
  const SchemaType* opaque = (*r)->find("io.example.v1.Opaque");
  ASSERT_NE(opaque, nullptr);
  EXPECT_TRUE(opaque->is_scalar());
  EXPECT_EQ(opaque->ref().kind, ValueKind::kString);
}

// Malformed texts are errors that name the text and line, so a mistake in the data is easy to find.
TEST(SchemaParse, RejectsMalformedTextWithItsLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"package p\ntype T\n  a strng\n", "test:3: unknown type `strng`"},
      {"package p\ntype T\n  a string colour=red\n",
       "test:3: unknown field attribute `colour=red`"},
      {"package p\ntype T\n  a Missing\n", "test:3: unresolved type p.Missing"},
      {"package p\ntype T\n  a string\n  a int32\n", "test:4: field a declared twice in T"},
      {"package p\ntype T\ntype T\n", "test:3: type p.T declared twice"},
      {"type T\n", "test:1: `type` before any `package` line"},
      {"package p\n  a string\n", "test:2: a field line outside of a type"},
      {"package p\ntype T\n  a []U patch=merge merge-key=nope\ntype U\n  id string\n",
       "test:3: T.a: merge-key nope is not a field of U"},
      {"package p\ntype T\n  a []U list=map\ntype U\n  id string\n",
       "test:3: T.a: list=map needs list-keys"},
      {"package p\ntype T\n  a []U patch=merge\ntype U\n  id string\n",
       "test:3: T.a: patch=merge on a list of objects needs merge-key"},
      {"package p\ntype T\n  a int32 default=x\n", "test:3: T.a: default `x` is not JSON"},
      {"package p\ntype T gvk=a/v1/T\ntype U gvk=a/v1/T\n", "test:3: kind a/v1/T declared twice"},
      {"package p\ntype T\n  a int32 enum=A|B\n", "test:3: T.a: enum= on a non-string field"},
  };
  for (const Case& c : cases) {
    const SchemaSource src{"test", c.text};
    Result<std::unique_ptr<SchemaSet>> r = SchemaSet::parse({&src, 1});
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalid);
    EXPECT_NE(r.error().message.find(c.expected), std::string::npos)
        << "want: " << c.expected << "\ngot: " << r.error().message;
  }
}

TEST(SchemaParse, UnresolvedReferencesCanBeToleratedAndListed) {
  const SchemaSource src{"test", "package p\ntype T\n  a q.Missing\n"};
  Result<std::unique_ptr<SchemaSet>> r = SchemaSet::parse({&src, 1}, /*allow_unresolved=*/true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)->unresolved(), std::vector<std::string>{"q.Missing (test:3)"});
  EXPECT_EQ((*r)->find("p.T")->field("a")->type->kind, ValueKind::kAny);
}

}  // namespace
}  // namespace bosun::api
