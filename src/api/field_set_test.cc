#include "api/field_set.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace bosun::api {
namespace {

using ::testing::HasSubstr;

PathElement F(const char* name) { return PathElement::field(name); }
PathElement K(const char* name, Json value) { return PathElement::key({{name, std::move(value)}}); }
PathElement V(Json v) { return PathElement::value(std::move(v)); }
PathElement I(int64_t i) { return PathElement::index(i); }

FieldSet parse(std::string_view text) {
  auto set = FieldSet::from_fields_v1_string(text);
  EXPECT_TRUE(set.ok()) << text << ": " << set.error().message;
  return set.ok() ? *set : FieldSet();
}

// structured-merge-diff's TestSerializeV1GoldenData: decoding and encoding again gives the same
// bytes, which exercises SMD's order of path elements (fields, keys, values with numbers before
// strings before booleans, indices).
TEST(FieldSetTest, UpstreamGoldenDataRoundTripsByteForByte) {
  const std::string examples[] = {
      R"({"f:aaa":{},"f:aab":{},"f:aac":{},"f:aad":{},"f:aae":{},"f:aaf":{},"k:{\"name\":\"first\"}":{},"k:{\"name\":\"second\"}":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":{},"v:2":{},"v:3":{},"v:\"aa\"":{},"v:\"ab\"":{},"v:true":{},"i:1":{},"i:2":{},"i:3":{},"i:4":{}})",
      R"({"f:aaa":{"k:{\"name\":\"second\"}":{"v:3":{"f:aab":{}}},"v:3":{},"v:true":{}},"f:aab":{"f:aaa":{},"f:aaf":{"k:{\"port\":443,\"protocol\":\"udp\"}":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"k:{\"name\":\"first\"}":{}},"f:aac":{"f:aaa":{"v:1":{}},"f:aac":{},"v:3":{"k:{\"name\":\"second\"}":{}}},"f:aad":{"f:aac":{"v:1":{}},"f:aaf":{"k:{\"name\":\"first\"}":{"k:{\"name\":\"first\"}":{}}},"i:1":{"i:1":{},"i:3":{"v:true":{}}}},"f:aae":{"f:aae":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:4":{"f:aaf":{}}},"f:aaf":{"i:1":{"f:aac":{}},"i:2":{},"i:3":{}},"k:{\"name\":\"first\"}":{"f:aad":{"f:aaf":{}}},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"f:aaa":{"f:aad":{}}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"f:aac":{},"k:{\"name\":\"first\"}":{"i:3":{}},"k:{\"port\":443,\"protocol\":\"udp\"}":{"i:4":{}}},"v:1":{"f:aac":{"i:4":{}},"f:aaf":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{}},"v:2":{"f:aad":{"f:aaf":{}},"i:1":{}},"v:3":{"f:aaa":{},"k:{\"name\":\"first\"}":{},"i:2":{}},"v:\"aa\"":{"f:aab":{"f:aaf":{}},"f:aae":{},"k:{\"name\":\"first\"}":{"f:aad":{}},"i:2":{}},"v:\"ab\"":{"f:aaf":{"i:4":{}},"k:{\"port\":443,\"protocol\":\"tcp\"}":{},"k:{\"port\":443,\"protocol\":\"udp\"}":{},"v:1":{"k:{\"port\":443,\"protocol\":\"udp\"}":{}},"i:1":{"f:aae":{"i:4":{}}}},"v:true":{"k:{\"name\":\"second\"}":{"f:aaa":{}},"i:2":{"k:{\"port\":443,\"protocol\":\"tcp\"}":{}}},"i:1":{"i:3":{"f:aaf":{}}},"i:2":{"f:aae":{},"k:{\"port\":443,\"protocol\":\"tcp\"}":{"v:1":{}}},"i:3":{"f:aab":{"v:true":{"v:\"aa\"":{}}},"f:aaf":{},"i:1":{}},"i:4":{"v:\"aa\"":{"f:aab":{"k:{\"name\":\"second\"}":{}}}}})",
  };
  for (const auto& text : examples) {
    FieldSet set = parse(text);
    EXPECT_EQ(set.to_fields_v1_string(), text);
    // The Json form decodes to the same set.
    auto again = FieldSet::from_fields_v1(set.to_fields_v1());
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, set);
  }
}

TEST(FieldSetTest, DeploymentEntryAsKubernetesWritesIt) {
  // What kube-apiserver stores for a manager that set a label and a container's image.
  const std::string text =
      R"({"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"nginx\"}":{".":{},"f:image":{},"f:name":{}}}}}}})";
  FieldSet set = parse(text);
  EXPECT_TRUE(set.has({F("metadata"), F("labels")}));
  EXPECT_TRUE(set.has({F("metadata"), F("labels"), F("app")}));
  EXPECT_FALSE(set.has({F("metadata")}));
  const FieldPath item = {F("spec"), F("template"), F("spec"), F("containers"), K("name", "nginx")};
  EXPECT_TRUE(set.has(item));
  FieldPath image = item;
  image.push_back(F("image"));
  EXPECT_TRUE(set.has(image));
  EXPECT_EQ(set.size(), 5u);
  EXPECT_EQ(set.to_fields_v1_string(), text);

  FieldSet built;
  built.insert(FieldPath{F("spec"), F("template"), F("spec"), F("containers"), K("name", "nginx"),
                         F("name")});
  built.insert(image);
  built.insert(item);
  built.insert(FieldPath{F("metadata"), F("labels"), F("app")});
  built.insert(FieldPath{F("metadata"), F("labels")});
  EXPECT_EQ(built, set);
}

TEST(FieldSetTest, DocsConfigMapExample) {
  // The managedFields example of the Kubernetes docs' Server-Side Apply page.
  Json v1 = Json::parse(R"({"f:metadata":{"f:labels":{"f:test-label":{}}},"f:data":{"f:key":{}}})");
  auto set = FieldSet::from_fields_v1(v1);
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->to_string(), ".data.key\n.metadata.labels.test-label\n");
  EXPECT_EQ(set->to_fields_v1(), v1);
  EXPECT_EQ(set->to_fields_v1_string(),
            R"({"f:data":{"f:key":{}},"f:metadata":{"f:labels":{"f:test-label":{}}}})");
}

TEST(FieldSetTest, UnknownElementTypesAreDropped) {
  // structured-merge-diff's TestDropUnknown.
  EXPECT_EQ(parse(R"({"f:aaa":{},"r:aab":{}})").to_fields_v1_string(), R"({"f:aaa":{}})");
  // A node whose only content is unknown is the member itself.
  EXPECT_EQ(parse(R"({"f:a":{"r:x":{}}})").to_fields_v1_string(), R"({"f:a":{}})");
}

TEST(FieldSetTest, NullAndEmptyObjectsAreMembers) {
  EXPECT_EQ(parse(R"({"f:a":null,"f:b":{}})").to_fields_v1_string(), R"({"f:a":{},"f:b":{}})");
  EXPECT_TRUE(parse("null").empty());
  EXPECT_TRUE(parse("{}").empty());
}

TEST(FieldSetTest, MalformedFieldsV1IsAnError) {
  for (const char* text : {R"({"f":{}})", R"({"fx":{}})", R"({"k:[1]":{}})", R"({"i:1x":{}})",
                           R"({"i:99999999999999999999":{}})", R"({"v:{":{}})", R"({"f:a":1})",
                           R"([])", R"("f:a")", "{"}) {
    auto set = FieldSet::from_fields_v1_string(text);
    EXPECT_FALSE(set.ok()) << text;
  }
  auto short_key = FieldSet::from_fields_v1_string(R"({"f":{}})");
  ASSERT_FALSE(short_key.ok());
  EXPECT_EQ(short_key.error().message, "key must be 2 characters long:");
  auto no_colon = FieldSet::from_fields_v1_string(R"({"fx":{}})");
  ASSERT_FALSE(no_colon.ok());
  EXPECT_EQ(no_colon.error().message, "missing colon: fx");
}

TEST(FieldSetTest, DeepNestingIsRejectedNotOverflowed) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += R"({"f:a":)";
  text += "{}";
  for (int i = 0; i < 5000; ++i) text += "}";
  auto set = FieldSet::from_fields_v1_string(text);
  EXPECT_FALSE(set.ok());
}

TEST(FieldSetTest, ElementStringsAsKubernetesPrintsThem) {
  FieldPath path = {F("spec"),
                    F("template"),
                    F("spec"),
                    F("containers"),
                    K("name", "nginx"),
                    F("ports"),
                    PathElement::key({{"protocol", "TCP"}, {"containerPort", 80}})};
  EXPECT_EQ(
      field_path_string(path),
      R"(.spec.template.spec.containers[name="nginx"].ports[containerPort=80,protocol="TCP"])");
  EXPECT_EQ(V("a").to_string(), R"([="a"])");
  EXPECT_EQ(V(1.5).to_string(), "[=1.5]");
  EXPECT_EQ(I(3).to_string(), "[3]");
  EXPECT_EQ(PathElement::key({{"protocol", "TCP"}, {"containerPort", 80}}).serialize(),
            R"(k:{"containerPort":80,"protocol":"TCP"})");
  EXPECT_EQ(V(Json::parse(R"({"b":1,"a":[true,null]})")).serialize(),
            R"(v:{"a":[true,null],"b":1})");
  EXPECT_EQ(I(-2).serialize(), "i:-2");
}

TEST(FieldSetTest, KeysAreEncodedAsGoEncodesThem) {
  // Key values use encoding/json's HTML escaping; the fieldsV1 object key around them does not.
  FieldSet set;
  set.insert(FieldPath{F("env"), K("name", "a<b&c>")});
  EXPECT_EQ(set.to_fields_v1_string(),
            R"({"f:env":{"k:{\"name\":\"a\\u003cb\\u0026c\\u003e\"}":{}}})");
  FieldSet back = parse(set.to_fields_v1_string());
  EXPECT_EQ(back, set);
  EXPECT_EQ(PathElement::value(1e21).serialize(), "v:1e+21");
  EXPECT_EQ(PathElement::value(0.0000001).serialize(), "v:1e-7");
  EXPECT_EQ(PathElement::value(2.0).serialize(), "v:2");
}

TEST(FieldSetTest, ValuesOrderNumericallyAcrossIntsAndFloats) {
  FieldSet set;
  for (Json v : {Json(10), Json(9), Json(9.5), Json("x"), Json(true), Json(-1)}) {
    set.insert(FieldPath{F("s"), V(v)});
  }
  EXPECT_EQ(set.to_fields_v1_string(),
            R"({"f:s":{"v:-1":{},"v:9":{},"v:9.5":{},"v:10":{},"v:\"x\"":{},"v:true":{}}})");
  EXPECT_EQ(compare_json_values(Json(1), Json(1.0)), 0);
  EXPECT_LT(compare_json_values(Json(1), Json("1")), 0);
  EXPECT_LT(compare_json_values(Json::array(), Json::object()), 0);
  EXPECT_LT(compare_json_values(Json::object(), Json()), 0);
  EXPECT_LT(compare_json_values(Json::parse("[1]"), Json::parse("[1,0]")), 0);
  EXPECT_LT(compare_json_values(Json::parse(R"({"a":1})"), Json::parse(R"({"a":1,"b":1})")), 0);
  EXPECT_GT(compare_json_values(Json::parse(R"({"b":1})"), Json::parse(R"({"a":1})")), 0);
}

TEST(FieldSetTest, MemberAndPrefixAtOnceWritesDotFirst) {
  FieldSet set;
  set.insert(FieldPath{F("a"), F("c")});
  set.insert(FieldPath{F("a")});
  set.insert(FieldPath{F("a"), F("b")});
  EXPECT_EQ(set.to_fields_v1_string(), R"({"f:a":{".":{},"f:b":{},"f:c":{}}})");
  EXPECT_EQ(set.to_fields_v1(), Json::parse(R"({"f:a":{".":{},"f:b":{},"f:c":{}}})"));
  EXPECT_EQ(set.paths().size(), 3u);
  EXPECT_EQ(set.to_string(), ".a\n.a.b\n.a.c\n");
}

TEST(FieldSetTest, SetAlgebra) {
  FieldSet a = {{F("a"), F("b")}, {F("a"), F("c")}, {F("d")}, {F("l"), K("name", "x")}};
  FieldSet b = {{F("a"), F("c")}, {F("d")}, {F("e")}, {F("l"), K("name", "x"), F("image")}};
  EXPECT_EQ(a.unite(b).to_string(), ".d\n.e\n.a.b\n.a.c\n.l[name=\"x\"]\n.l[name=\"x\"].image\n");
  EXPECT_EQ(a.intersect(b).to_string(), ".d\n.a.c\n");
  EXPECT_EQ(a.difference(b).to_string(), ".a.b\n.l[name=\"x\"]\n");
  EXPECT_EQ(b.difference(a).to_string(), ".e\n.l[name=\"x\"].image\n");
  EXPECT_TRUE(a.difference(a).empty());

  // A member removes everything below it only in the recursive difference.
  FieldSet abc = {{F("a"), F("b"), F("c")}, {F("a"), F("x")}};
  FieldSet ab = {{F("a"), F("b")}};
  EXPECT_EQ(abc.difference(ab), abc);
  EXPECT_EQ(abc.recursive_difference(ab).to_string(), ".a.x\n");
  EXPECT_TRUE(abc.recursive_difference(FieldSet{{F("a")}}).empty());

  EXPECT_TRUE(a.intersects(b));
  EXPECT_FALSE(a.intersects(FieldSet{{F("e")}}));
  EXPECT_TRUE(abc.intersects(FieldSet{{F("a"), F("b"), F("c")}}));
  EXPECT_FALSE(abc.intersects(ab));
  FieldSet in_place = a;
  in_place.subtract(b);
  EXPECT_EQ(in_place, a.difference(b));
  in_place = abc;
  in_place.subtract_recursive(ab);
  EXPECT_EQ(in_place, abc.recursive_difference(ab));
  in_place = abc;
  in_place.subtract(abc);
  EXPECT_TRUE(in_place.empty());
  EXPECT_TRUE(in_place.children().empty());

  FieldSet merged = a;
  merged.merge_from(b);
  EXPECT_EQ(merged, a.unite(b));
  EXPECT_EQ(FieldSet().unite(a), a);
  EXPECT_TRUE(FieldSet().empty());
  EXPECT_FALSE(a.empty());
}

TEST(FieldSetTest, EmptyPathIsNotTracked) {
  FieldSet set;
  set.insert(FieldPath{});
  EXPECT_TRUE(set.empty());
  EXPECT_FALSE(set.has(FieldPath{}));
}

TEST(FieldSetTest, BorrowedStepsInsertLikeElements) {
  std::string spec = "spec", replicas = "replicas";
  PathElement key = K("name", "c");
  std::vector<PathStep> steps = {{&spec, nullptr}, {nullptr, &key}, {&replicas, nullptr}};
  FieldSet set;
  set.insert(steps);
  EXPECT_TRUE(set.has({F("spec"), K("name", "c"), F("replicas")}));
  EXPECT_EQ(field_path_string(std::span<const PathStep>(steps)), R"(.spec[name="c"].replicas)");
  EXPECT_TRUE(set.child(PathStep{&spec, nullptr}) != nullptr);
  EXPECT_FALSE(set.has_member(PathStep{&spec, nullptr}));
}

TEST(FieldSetTest, DuplicateKeysDecodeToOneElement) {
  // Differently written equal keys (number forms) are one element.
  FieldSet set = parse(R"({"f:l":{"k:{\"port\":1}":{},"k:{\"port\":1.0}":{"f:x":{}}}})");
  EXPECT_EQ(set.to_fields_v1_string(), R"({"f:l":{"k:{\"port\":1}":{".":{},"f:x":{}}}})");
  auto bad = FieldSet::from_fields_v1_string(R"({"f:l":{"k:{\"a\":1}":[]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("expected an object"));
}

}  // namespace
}  // namespace bosun::api
