#include "api/object_meta.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace bosun::api {
namespace {

Json meta(Json m) { return Json{{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", m}}; }

// The aggregate message, "" when there is no error.
std::string agg(const FieldErrors& errs) { return errs.empty() ? "" : errs.aggregate_message(); }

// The aggregate message of validating `obj` on create as a namespaced DNS-subdomain type.
std::string create_errors(const Json& obj, bool namespaced = true) {
  return agg(validate_object_meta(obj, namespaced, name_is_dns_subdomain));
}

TEST(ObjectMetaAccessors, NeverThrowOnMalformedInput) {
  for (const Json& bad : {Json(5), Json("x"), Json::array(), Json{{"metadata", 3}},
                          Json{{"metadata",
                                {{"name", 5},
                                 {"labels", Json::array({1})},
                                 {"finalizers", "x"},
                                 {"ownerReferences", {{"a", 1}}},
                                 {"generation", "7"}}}}}) {
    EXPECT_EQ(name(bad), "");
    EXPECT_EQ(namespace_of(bad), "");
    EXPECT_EQ(uid(bad), "");
    EXPECT_EQ(resource_version(bad), "");
    EXPECT_EQ(generation(bad), 0);
    EXPECT_EQ(deletion_timestamp(bad), "");
    EXPECT_FALSE(deletion_grace_period_seconds(bad).has_value());
    EXPECT_TRUE(labels(bad).empty());
    EXPECT_FALSE(label(bad, "a").has_value());
    EXPECT_TRUE(finalizers(bad).empty());
    EXPECT_TRUE(owner_references(bad).empty());
    EXPECT_FALSE(controller_of(bad).has_value());
  }
}

TEST(ObjectMetaAccessors, ReadTypedFields) {
  Json obj =
      meta({{"name", "web"},
            {"namespace", "prod"},
            {"uid", "u-1"},
            {"resourceVersion", "42"},
            {"generation", 3},
            {"deletionTimestamp", "2024-05-01T12:00:00Z"},
            {"deletionGracePeriodSeconds", 30},
            {"labels", {{"app", "web"}}},
            {"annotations", {{"note", "x"}}},
            {"finalizers", {"kubernetes", "example.com/f"}},
            {"ownerReferences",
             {{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "a"}, {"uid", "1"}},
              {{"apiVersion", "apps/v1"},
               {"kind", "Deployment"},
               {"name", "b"},
               {"uid", "2"},
               {"controller", true}}}}});
  EXPECT_EQ(name(obj), "web");
  EXPECT_EQ(namespace_of(obj), "prod");
  EXPECT_EQ(uid(obj), "u-1");
  EXPECT_EQ(resource_version(obj), "42");
  EXPECT_EQ(generation(obj), 3);
  EXPECT_EQ(deletion_timestamp(obj), "2024-05-01T12:00:00Z");
  EXPECT_EQ(deletion_grace_period_seconds(obj), 30);
  EXPECT_EQ(labels(obj), (Labels{{"app", "web"}}));
  EXPECT_EQ(label(obj, "app"), "web");
  EXPECT_EQ(annotation(obj, "note"), "x");
  EXPECT_EQ(finalizers(obj), (std::vector<std::string>{"kubernetes", "example.com/f"}));
  EXPECT_TRUE(has_finalizer(obj, "kubernetes"));
  EXPECT_FALSE(has_finalizer(obj, "orphan"));
  ASSERT_EQ(owner_references(obj).size(), 2u);
  auto c = controller_of(obj);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->kind, "Deployment");
  EXPECT_EQ(c->name, "b");
  EXPECT_EQ(owner_reference_to_json(*c)["controller"], true);
}

TEST(ObjectMetaAccessors, Setters) {
  Json obj = Json::object();
  set_name(obj, "a");
  set_namespace(obj, "ns");
  set_label(obj, "k", "v");
  set_annotation(obj, "x", "y");
  set_resource_version(obj, 17);
  set_generation(obj, 2);
  EXPECT_EQ(obj["metadata"], Json::parse(R"({"name":"a","namespace":"ns","labels":{"k":"v"},
      "annotations":{"x":"y"},"resourceVersion":"17","generation":2})"));
}

TEST(ValidateObjectMeta, NameRequiredUnlessGenerateName) {
  Json obj = meta({{"namespace", "default"}});
  FieldErrors errs = validate_object_meta(obj, true, name_is_dns_subdomain);
  EXPECT_EQ(errs.aggregate_message(),
            "metadata.name: Required value: name or generateName is required");
  EXPECT_EQ(errs.to_error("ConfigMap", "").message,
            "ConfigMap \"\" is invalid: metadata.name: Required value: name or generateName is "
            "required");
  EXPECT_EQ(create_errors(meta({{"name", "web"}, {"namespace", "default"}})), "");
}

TEST(ValidateObjectMeta, NameThroughTheTypesValidator) {
  EXPECT_EQ(create_errors(meta({{"name", "Web_1"}, {"namespace", "default"}})),
            "metadata.name: Invalid value: \"Web_1\": a lowercase RFC 1123 subdomain must consist "
            "of lower case alphanumeric characters, '-' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'example.com', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  // A Service name is a DNS-1035 label; a Namespace name a DNS-1123 label.
  FieldErrors svc = validate_object_meta(meta({{"name", "1web"}, {"namespace", "d"}}), true,
                                         name_is_dns1035_label);
  ASSERT_EQ(svc.size(), 1u);
  EXPECT_EQ(svc.errors()[0].field, "metadata.name");
  FieldErrors role =
      validate_object_meta(meta({{"name", "system:a/b"}}), false, validate_path_segment_name);
  EXPECT_EQ(role.aggregate_message(),
            "metadata.name: Invalid value: \"system:a/b\": may not "
            "contain '/'");
}

TEST(ValidateObjectMeta, GenerateName) {
  EXPECT_EQ(create_errors(
                meta({{"generateName", "web-"}, {"name", "web-x2b4c"}, {"namespace", "default"}})),
            "");
  FieldErrors errs = validate_object_meta(
      meta({{"generateName", "Web-"}, {"name", "web-x2b4c"}, {"namespace", "default"}}), true,
      name_is_dns_subdomain);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs.errors()[0].field, "metadata.generateName");
  EXPECT_EQ(errs.errors()[0].value, "Web-");
}

TEST(ValidateObjectMeta, Namespace) {
  EXPECT_EQ(create_errors(meta({{"name", "a"}})), "metadata.namespace: Required value");
  EXPECT_EQ(create_errors(meta({{"name", "a"}, {"namespace", "default"}}), false),
            "metadata.namespace: Forbidden: not allowed on this type");
  EXPECT_EQ(create_errors(meta({{"name", "a"}, {"namespace", "Prod"}})),
            "metadata.namespace: Invalid value: \"Prod\": a lowercase RFC 1123 label must consist "
            "of lower case alphanumeric characters or '-', and must start and end with an "
            "alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')");
}

TEST(ValidateObjectMeta, Generation) {
  EXPECT_EQ(create_errors(meta({{"name", "a"}, {"namespace", "d"}, {"generation", -1}})),
            "metadata.generation: Invalid value: -1: must be greater than or equal to 0");
}

TEST(ValidateObjectMeta, LabelsAndAnnotations) {
  EXPECT_EQ(create_errors(meta({{"name", "a"}, {"namespace", "d"}, {"labels", {{"app", "a b"}}}})),
            "metadata.labels: Invalid value: \"a b\": a valid label must be an empty string or "
            "consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for "
            "validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  // Annotation keys are checked lower-cased, so upper case is fine.
  EXPECT_EQ(create_errors(meta(
                {{"name", "a"}, {"namespace", "d"}, {"annotations", {{"Example.COM/Note", "x"}}}})),
            "");
  FieldErrors bad_key = validate_object_meta(
      meta({{"name", "a"}, {"namespace", "d"}, {"annotations", {{"a b", "x"}}}}), true,
      name_is_dns_subdomain);
  ASSERT_EQ(bad_key.size(), 1u);
  EXPECT_EQ(bad_key.errors()[0].field, "metadata.annotations");
  EXPECT_EQ(bad_key.errors()[0].value, "a b");
  Json big = meta({{"name", "a"},
                   {"namespace", "d"},
                   {"annotations", {{"k", std::string(kTotalAnnotationSizeLimit, 'x')}}}});
  EXPECT_EQ(create_errors(big),
            "metadata.annotations: Too long: may not be more than 262144 bytes");
  big["metadata"]["annotations"]["k"] = std::string(kTotalAnnotationSizeLimit - 1, 'x');
  EXPECT_EQ(create_errors(big), "");
}

TEST(ValidateObjectMeta, OwnerReferences) {
  Json obj = meta({{"name", "a"},
                   {"namespace", "d"},
                   {"ownerReferences", {{{"apiVersion", "apps/"}, {"controller", false}}}}});
  EXPECT_EQ(create_errors(obj),
            "[metadata.ownerReferences.apiVersion: Invalid value: \"apps/\": version must not be "
            "empty, metadata.ownerReferences.kind: Invalid value: \"\": must not be empty, "
            "metadata.ownerReferences.name: Invalid value: \"\": must not be empty, "
            "metadata.ownerReferences.uid: Invalid value: \"\": must not be empty]");
  Json two = meta({{"name", "a"},
                   {"namespace", "d"},
                   {"ownerReferences",
                    {{{"apiVersion", "apps/v1"},
                      {"kind", "ReplicaSet"},
                      {"name", "r1"},
                      {"uid", "1"},
                      {"controller", true}},
                     {{"apiVersion", "apps/v1"},
                      {"kind", "ReplicaSet"},
                      {"name", "r2"},
                      {"uid", "2"},
                      {"controller", true}}}}});
  FieldErrors errs = validate_object_meta(two, true, name_is_dns_subdomain);
  ASSERT_EQ(errs.size(), 1u);
  EXPECT_EQ(errs.errors()[0].field, "metadata.ownerReferences");
  EXPECT_EQ(errs.errors()[0].detail,
            "Only one reference can have Controller set to true. Found \"true\" in references for "
            "ReplicaSet/r1 and ReplicaSet/r2");
  Json event = meta({{"name", "a"},
                     {"namespace", "d"},
                     {"ownerReferences",
                      {{{"apiVersion", "v1"}, {"kind", "Event"}, {"name", "e"}, {"uid", "1"}}}}});
  FieldErrors ev = validate_object_meta(event, true, name_is_dns_subdomain);
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(ev.errors()[0].detail, "/v1, Kind=Event is disallowed from being an owner");
}

TEST(ValidateObjectMeta, Finalizers) {
  EXPECT_EQ(create_errors(meta({{"name", "a"},
                                {"namespace", "d"},
                                {"finalizers", {"kubernetes", "orphan", "example.com/cleanup"}}})),
            "");
  EXPECT_EQ(create_errors(
                meta({{"name", "a"}, {"namespace", "d"}, {"finalizers", {"foregroundDeletion"}}})),
            "");
  FieldErrors both = validate_object_meta(
      meta({{"name", "a"}, {"namespace", "d"}, {"finalizers", {"orphan", "foregroundDeletion"}}}),
      true, name_is_dns_subdomain);
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both.errors()[0].field, "metadata.finalizers");
  EXPECT_EQ(both.errors()[0].detail, "finalizer orphan and foregroundDeletion cannot be both set");
  FieldErrors bad =
      validate_object_meta(meta({{"name", "a"}, {"namespace", "d"}, {"finalizers", {"a/b/c"}}}),
                           true, name_is_dns_subdomain);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_EQ(bad.errors()[0].field, "metadata.finalizers");
  EXPECT_EQ(bad.errors()[0].value, "a/b/c");
}

TEST(ValidateObjectMeta, ManagedFields) {
  Json obj = meta({{"name", "a"},
                   {"namespace", "d"},
                   {"managedFields",
                    {{{"manager", "kubectl"}, {"operation", "Apply"}, {"fieldsType", "FieldsV1"}},
                     {{"manager", "bad\x07"},
                      {"operation", "Patch"},
                      {"fieldsType", "FieldsV2"},
                      {"subresource", std::string(257, 's')}}}}});
  EXPECT_EQ(
      create_errors(obj),
      "[metadata.managedFields[1].operation: Invalid value: \"Patch\": must be `Apply` or "
      "`Update`, metadata.managedFields[1].fieldsType: Invalid value: \"FieldsV2\": must be "
      "`FieldsV1`, metadata.managedFields[1].manager: Invalid value: \"bad\\x07\": invalid "
      "character U+0007 (at position 3), metadata.managedFields[1].subresource: Too long: may "
      "not be more than 256 bytes]");
}

TEST(ValidateObjectMetaUpdate, ImmutableFieldsAndResourceVersion) {
  Json old_obj = meta({{"name", "a"},
                       {"namespace", "d"},
                       {"uid", "u1"},
                       {"resourceVersion", "5"},
                       {"generation", 2},
                       {"creationTimestamp", "2024-05-01T12:00:00Z"}});
  Json same = old_obj;
  EXPECT_EQ(agg(validate_object_meta_update(same, old_obj)), "");
  Json changed = old_obj;
  changed["metadata"]["name"] = "b";
  changed["metadata"]["namespace"] = "e";
  changed["metadata"]["uid"] = "u2";
  changed["metadata"]["resourceVersion"] = "";
  changed["metadata"]["generation"] = 1;
  changed["metadata"]["creationTimestamp"] = "2024-05-02T12:00:00Z";
  changed["metadata"]["deletionGracePeriodSeconds"] = 30;
  EXPECT_EQ(agg(validate_object_meta_update(changed, old_obj)),
            "[metadata.resourceVersion: Invalid value: \"\": must be specified for an update, "
            "metadata.generation: Invalid value: 1: must not be decremented, metadata.name: "
            "Invalid value: \"b\": field is immutable, metadata.namespace: Invalid value: \"e\": "
            "field is immutable, metadata.uid: Invalid value: \"u2\": field is immutable, "
            "metadata.creationTimestamp: Invalid value: \"2024-05-02T12:00:00Z\": field is "
            "immutable, metadata.deletionGracePeriodSeconds: Invalid value: 30: field is "
            "immutable]");
}

TEST(ValidateObjectMetaUpdate, NoNewFinalizersWhileDeleting) {
  Json old_obj = meta({{"name", "a"},
                       {"resourceVersion", "5"},
                       {"deletionTimestamp", "2024-05-01T12:00:00Z"},
                       {"finalizers", {"a.io/x"}}});
  Json new_obj = old_obj;
  new_obj["metadata"]["finalizers"] = {"a.io/x", "b.io/z", "b.io/y"};
  EXPECT_EQ(agg(validate_object_meta_update(new_obj, old_obj)),
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
            "deleted, found new finalizers []string{\"b.io/y\", \"b.io/z\"}");
  new_obj["metadata"]["finalizers"] = Json::array();  // removing is fine
  EXPECT_EQ(agg(validate_object_meta_update(new_obj, old_obj)), "");
}

TEST(GenerateName, SimpleNameGenerator) {
  std::mt19937_64 rng(1);
  std::string n = generate_name("web-", rng);
  ASSERT_EQ(n.size(), 9u);
  EXPECT_EQ(n.substr(0, 4), "web-");
  for (char c : n.substr(4)) EXPECT_NE(kGeneratedNameAlphabet.find(c), std::string::npos) << n;
  std::string long_name = generate_name(std::string(100, 'a'));
  EXPECT_EQ(long_name.size(), 63u);
  EXPECT_EQ(long_name.substr(0, 58), std::string(58, 'a'));
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(generate_name("x-"));
  EXPECT_GT(seen.size(), 90u);
}

TEST(PrepareObjectMeta, ForCreate) {
  FakeClock clock;  // 1700000000 = 2023-11-14T22:13:20Z
  Json obj = meta({{"generateName", "web-"},
                   {"namespace", "d"},
                   {"deletionTimestamp", "2024-01-01T00:00:00Z"},
                   {"deletionGracePeriodSeconds", 5},
                   {"uid", "client-chosen"}});
  prepare_object_meta_for_create(obj, clock);
  EXPECT_EQ(creation_timestamp(obj), "2023-11-14T22:13:20Z");
  EXPECT_EQ(uid(obj).size(), 36u);
  EXPECT_NE(uid(obj), "client-chosen");
  EXPECT_EQ(generation(obj), 1);
  EXPECT_EQ(name(obj).substr(0, 4), "web-");
  EXPECT_EQ(name(obj).size(), 9u);
  EXPECT_EQ(deletion_timestamp(obj), "");
  EXPECT_FALSE(obj["metadata"].contains("deletionGracePeriodSeconds"));
  EXPECT_EQ(create_errors(obj), "");
  Json named = meta({{"name", "keep"}, {"generateName", "web-"}});
  prepare_object_meta_for_create(named, clock, false);
  EXPECT_EQ(name(named), "keep");
  EXPECT_FALSE(named["metadata"].contains("generation"));
}

TEST(PrepareObjectMeta, ForUpdate) {
  Json old_obj = meta({{"name", "a"},
                       {"uid", "u1"},
                       {"generation", 4},
                       {"creationTimestamp", "2024-05-01T12:00:00Z"},
                       {"deletionTimestamp", "2024-06-01T12:00:00Z"},
                       {"deletionGracePeriodSeconds", 30}});
  Json new_obj =
      meta({{"name", "a"}, {"generation", 99}, {"creationTimestamp", "1999-01-01T00:00:00Z"}});
  prepare_object_meta_for_update(new_obj, old_obj);
  EXPECT_EQ(generation(new_obj), 4);
  EXPECT_EQ(uid(new_obj), "u1");
  EXPECT_EQ(creation_timestamp(new_obj), "2024-05-01T12:00:00Z");
  EXPECT_EQ(deletion_timestamp(new_obj), "2024-06-01T12:00:00Z");
  EXPECT_EQ(deletion_grace_period_seconds(new_obj), 30);
  new_obj["metadata"]["resourceVersion"] = "1";
  old_obj["metadata"]["resourceVersion"] = "1";
  EXPECT_EQ(agg(validate_object_meta_update(new_obj, old_obj)), "");
}

// omitempty: an emptied list or map is not stored (orphaning leaves no `ownerReferences: []`).
TEST(PrepareObjectMeta, EmptyCollectionsAreDropped) {
  Json old_obj = meta({{"name", "a"}, {"finalizers", {"f"}}});
  Json new_obj = meta({{"name", "a"},
                       {"ownerReferences", Json::array()},
                       {"finalizers", Json::array()},
                       {"labels", Json::object()},
                       {"annotations", nullptr}});
  prepare_object_meta_for_update(new_obj, old_obj);
  EXPECT_EQ(new_obj["metadata"], Json({{"name", "a"}}));
  Json created = meta({{"name", "b"}, {"labels", Json::object()}, {"finalizers", {"keep"}}});
  FakeClock clock;
  prepare_object_meta_for_create(created, clock);
  EXPECT_FALSE(created["metadata"].contains("labels"));
  EXPECT_EQ(created["metadata"]["finalizers"], Json({"keep"}));
}

TEST(PrepareObjectMeta, GenerationBumpOnSpecChange) {
  Json old_obj = meta({{"generation", 3}});
  old_obj["spec"] = {{"replicas", 1}};
  Json new_obj = old_obj;
  new_obj["metadata"]["labels"] = {{"a", "b"}};
  EXPECT_FALSE(bump_generation_if_changed(new_obj, old_obj));
  EXPECT_EQ(generation(new_obj), 3);
  new_obj["spec"]["replicas"] = 2;
  EXPECT_TRUE(bump_generation_if_changed(new_obj, old_obj));
  EXPECT_EQ(generation(new_obj), 4);
}

TEST(ResourceVersion, Preconditions) {
  Json obj = meta({{"name", "web"}, {"resourceVersion", "7"}});
  EXPECT_TRUE(check_resource_version_precondition(obj, 7, "deployments.apps", "web").ok());
  auto conflict = check_resource_version_precondition(obj, 8, "deployments.apps", "web");
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_EQ(conflict.error().message,
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been "
            "modified; please apply your changes to the latest version and try again");
  EXPECT_TRUE(check_resource_version_precondition(meta({{"name", "web"}}), 8, "pods", "web").ok());
  auto bad = check_resource_version_precondition(meta({{"resourceVersion", "x1"}}), 8, "pods", "w");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
  EXPECT_TRUE(check_create_resource_version(meta({{"name", "a"}})).ok());
  EXPECT_TRUE(check_create_resource_version(meta({{"resourceVersion", "0"}})).ok());
  auto set = check_create_resource_version(meta({{"resourceVersion", "3"}}));
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(set.error().message, "resourceVersion should not be set on objects to be created");
}

TEST(ObjectMetaTypes, WrongJsonTypesWordedAsEncodingJson) {
  struct Case {
    Json obj;
    const char* want;
  } cases[] = {
      {meta({{"name", 5}}),
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type "
       "string"},
      {meta({{"generation", 1.5}}),
       "json: cannot unmarshal number 1.5 into Go struct field ObjectMeta.metadata.generation of "
       "type int64"},
      {meta({{"generation", "1"}}),
       "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.generation of type "
       "int64"},
      {meta({{"labels", {{"a", 1}}}}),
       "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type "
       "string"},
      {meta({{"annotations", Json::array()}}),
       "json: cannot unmarshal array into Go struct field ObjectMeta.metadata.annotations of type "
       "map[string]string"},
      {meta({{"finalizers", "x"}}),
       "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.finalizers of type "
       "[]string"},
      {meta({{"ownerReferences", {{{"name", "a"}, {"controller", "yes"}}}}}),
       "json: cannot unmarshal string into Go struct field "
       "OwnerReference.metadata.ownerReferences.controller of type bool"},
      {meta({{"uid", true}}),
       "json: cannot unmarshal bool into Go struct field ObjectMeta.metadata.uid of type string"},
      {Json{{"kind", "Pod"}, {"metadata", "x"}},
       "json: cannot unmarshal string into Go struct field Pod.metadata of type v1.ObjectMeta"},
  };
  for (const auto& c : cases) {
    auto r = check_object_meta_types(c.obj);
    ASSERT_FALSE(r.ok()) << c.obj.dump();
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
    EXPECT_EQ(r.error().message, c.want);
  }
  EXPECT_TRUE(check_object_meta_types(meta({{"name", "a"},
                                            {"labels", nullptr},
                                            {"creationTimestamp", nullptr},
                                            {"generation", 2}}))
                  .ok());
  EXPECT_FALSE(check_object_meta_types(meta({{"creationTimestamp", "yesterday"}})).ok());
}

}  // namespace
}  // namespace bosun::api
