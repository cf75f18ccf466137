// The gnostic protobuf of /openapi/v2 that kubectl 1.27/1.28 download, read back by a protobuf
// reader written independently of the encoder, following the fields kubectl's code walks:
// supportsQueryParam (paths, the PATCH operation's GVK extension and fieldValidation query
// parameter) and kube-openapi's proto models (definitions, properties, types, extensions).
#include "apiserver/openapi_v2_proto.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "apiserver/openapi.h"
#include "apiserver/protobuf_writer.h"

namespace bosun::apiserver {
namespace {

const std::shared_ptr<const OpenApiDocuments>& docs() {
  static const auto* d = new std::shared_ptr<const OpenApiDocuments>(
      OpenApiDocuments::build(api::ResourceRegistry::builtin(), api::SchemaSet::global()).value());
  return *d;
}

Json gvk(std::string group, std::string version, std::string kind) {
  return Json{{"group", group}, {"version", version}, {"kind", kind}};
}

// ---- v2 protobuf, read back by an independent decoder
// ---------------------------------------------

// One protobuf field: its number and either a varint or a byte string (fixed64 kept as bytes).
struct WireField {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;
  std::string bytes;
};

std::optional<uint64_t> read_varint(std::string_view& in) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return v;
  }
  return std::nullopt;
}

// Parses one message level; nullopt on malformed input.
std::optional<std::vector<WireField>> decode(std::string_view in) {
  std::vector<WireField> out;
  while (!in.empty()) {
    auto key = read_varint(in);
    if (!key) return std::nullopt;
    WireField f;
    f.number = static_cast<uint32_t>(*key >> 3);
    f.wire_type = static_cast<uint32_t>(*key & 7);
    if (f.wire_type == 0) {
      auto v = read_varint(in);
      if (!v) return std::nullopt;
      f.varint = *v;
    } else if (f.wire_type == 2) {
      auto len = read_varint(in);
      if (!len || *len > in.size()) return std::nullopt;
      f.bytes = std::string(in.substr(0, *len));
      in.remove_prefix(*len);
    } else if (f.wire_type == 1) {
      if (in.size() < 8) return std::nullopt;
      f.bytes = std::string(in.substr(0, 8));
      in.remove_prefix(8);
    } else {
      return std::nullopt;
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::string> all(const std::vector<WireField>& msg, uint32_t number) {
  std::vector<std::string> out;
  for (const WireField& f : msg) {
    if (f.number == number && f.wire_type == 2) out.push_back(f.bytes);
  }
  return out;
}

std::vector<WireField> sub(const std::vector<WireField>& msg, uint32_t number) {
  auto fields = all(msg, number);
  if (fields.empty()) return {};
  return decode(fields.front()).value_or(std::vector<WireField>{});
}

std::string str(const std::vector<WireField>& msg, uint32_t number) {
  auto fields = all(msg, number);
  return fields.empty() ? "" : fields.front();
}

std::optional<uint64_t> varint_of(const std::vector<WireField>& msg, uint32_t number) {
  for (const WireField& f : msg) {
    if (f.number == number && f.wire_type == 0) return f.varint;
  }
  return std::nullopt;
}

// NamedX{name = 1, value = 2} entries of a repeated field, by name.
std::map<std::string, std::vector<WireField>> named(const std::vector<WireField>& msg,
                                                    uint32_t number) {
  std::map<std::string, std::vector<WireField>> out;
  for (const std::string& bytes : all(msg, number)) {
    auto entry = decode(bytes).value();
    out[str(entry, 1)] = sub(entry, 2);
  }
  return out;
}

// gnostic NamedAny vendor extensions: name -> Any.yaml parsed (our YAML is JSON text).
std::map<std::string, Json> extensions(const std::vector<WireField>& msg, uint32_t number) {
  std::map<std::string, Json> out;
  for (const auto& [name, any] : named(msg, number)) out[name] = Json::parse(str(any, 2));
  return out;
}

TEST(OpenApiV2Protobuf, DecodesToTheGnosticDocumentKubectlReads) {
  const std::string& pb = docs()->v2_protobuf();
  auto doc = decode(pb);
  ASSERT_TRUE(doc.has_value());
  EXPECT_EQ(str(*doc, 1), "2.0");                 // swagger
  EXPECT_EQ(str(sub(*doc, 2), 1), "Kubernetes");  // info.title
  Json v2 = Json::parse(docs()->v2_json().body);

  // paths = 8: Paths{path = 2: NamedPathItem}
  auto paths = named(sub(*doc, 8), 2);
  EXPECT_EQ(paths.size(), v2["paths"].size());
  const auto& item = paths.at("/apis/apps/v1/namespaces/{namespace}/deployments/{name}");
  auto patch = sub(item, 8);  // PathItem.patch
  EXPECT_EQ(str(patch, 5), "patchAppsV1NamespacedDeployment");
  auto ext = extensions(patch, 13);
  EXPECT_EQ(ext["x-kubernetes-group-version-kind"], gvk("apps", "v1", "Deployment"));
  EXPECT_EQ(ext["x-kubernetes-action"], "patch");
  // kubectl's supportsQueryParam: parameters (8) -> ParametersItem.parameter (1) ->
  // Parameter.non_body_parameter (2) -> NonBodyParameter.query_parameter_sub_schema (3) -> name
  // (4).
  std::set<std::string> query;
  bool body = false;
  for (const std::string& p : all(patch, 8)) {
    auto parameter = sub(decode(p).value(), 1);
    auto q = sub(sub(parameter, 2), 3);
    if (!q.empty()) query.insert(str(q, 4));
    auto b = sub(parameter, 1);
    if (!b.empty()) {
      body = true;
      EXPECT_EQ(str(b, 3), "body");
      EXPECT_EQ(str(sub(b, 5), 1), "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch");
    }
  }
  EXPECT_TRUE(body);
  EXPECT_EQ(query, (std::set<std::string>{"dryRun", "fieldManager", "fieldValidation", "force"}));
  auto consumes = all(patch, 7);
  EXPECT_NE(std::find(consumes.begin(), consumes.end(), "application/strategic-merge-patch+json"),
            consumes.end());
  // Path-level parameters (9) hold the path parameters: PathParameterSubSchema (4), required (1).
  bool name_param = false;
  for (const std::string& p : all(item, 9)) {
    auto path_param = sub(sub(sub(decode(p).value(), 1), 2), 4);
    if (str(path_param, 4) == "name") {
      name_param = true;
      EXPECT_EQ(varint_of(path_param, 1), 1u);  // required
      EXPECT_EQ(str(path_param, 2), "path");
      EXPECT_EQ(str(path_param, 5), "string");
    }
  }
  EXPECT_TRUE(name_param);
  // Responses (9): response_code (1) NamedResponseValue -> ResponseValue.response (1) ->
  // Response.schema (2) -> SchemaItem.schema (1) -> Schema._ref (1).
  auto codes = named(sub(patch, 9), 1);
  EXPECT_EQ(str(sub(sub(sub(codes.at("200"), 1), 2), 1), 1),
            "#/definitions/io.k8s.api.apps.v1.Deployment");
  EXPECT_EQ(str(sub(codes.at("401"), 1), 1), "Unauthorized");
}

TEST(OpenApiV2Protobuf, DefinitionsKeepKindsPropertiesAndTypes) {
  auto doc = decode(docs()->v2_protobuf()).value();
  // definitions = 9: Definitions{additional_properties = 1: NamedSchema}
  auto defs = named(sub(doc, 9), 1);
  Json v2 = Json::parse(docs()->v2_json().body);
  EXPECT_EQ(defs.size(), v2["definitions"].size());
  const auto& deployment = defs.at("io.k8s.api.apps.v1.Deployment");
  // Schema.type = 22 (TypeItem.value = 1), vendor_extension = 31.
  EXPECT_EQ(str(sub(deployment, 22), 1), "object");
  EXPECT_EQ(extensions(deployment, 31)["x-kubernetes-group-version-kind"],
            Json::array({gvk("apps", "v1", "Deployment")}));
  // properties = 25: Properties{additional_properties = 1: NamedSchema}
  auto props = named(sub(deployment, 25), 1);
  std::set<std::string> names;
  for (const auto& [n, s] : props) names.insert(n);
  EXPECT_EQ(names, (std::set<std::string>{"apiVersion", "kind", "metadata", "spec", "status"}));
  EXPECT_EQ(str(props.at("metadata"), 1),
            "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  EXPECT_FALSE(str(props.at("metadata"), 4).empty());  // description

  const auto& spec = defs.at("io.k8s.api.apps.v1.DeploymentSpec");
  EXPECT_EQ(all(spec, 19), (std::vector<std::string>{"selector", "template"}));  // required
  auto replicas = named(sub(spec, 25), 1).at("replicas");
  EXPECT_EQ(str(sub(replicas, 22), 1), "integer");
  EXPECT_EQ(str(replicas, 2), "int32");  // format

  const auto& pod_spec = defs.at("io.k8s.api.core.v1.PodSpec");
  auto containers = named(sub(pod_spec, 25), 1).at("containers");
  EXPECT_EQ(str(sub(containers, 22), 1), "array");
  // items = 23: ItemsItem{schema = 1}
  EXPECT_EQ(str(sub(sub(containers, 23), 1), 1), "#/definitions/io.k8s.api.core.v1.Container");
  auto ext = extensions(containers, 31);
  EXPECT_EQ(ext["x-kubernetes-patch-merge-key"], "name");
  EXPECT_EQ(ext["x-kubernetes-patch-strategy"], "merge");

  // additionalProperties = 21: AdditionalPropertiesItem{schema = 1}
  auto labels =
      named(sub(defs.at("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"), 25), 1).at("labels");
  EXPECT_EQ(str(sub(sub(sub(labels, 21), 1), 22), 1), "string");

  // enum = 20 and default = 5 are gnostic Any values (yaml = 2).
  auto protocol = named(sub(defs.at("io.k8s.api.core.v1.ContainerPort"), 25), 1).at("protocol");
  EXPECT_EQ(Json::parse(str(sub(protocol, 5), 2)), "TCP");
  std::vector<Json> enums;
  for (const std::string& e : all(protocol, 20))
    enums.push_back(Json::parse(str(decode(e).value(), 2)));
  EXPECT_EQ(enums, (std::vector<Json>{"SCTP", "TCP", "UDP"}));
}

TEST(OpenApiV2Protobuf, SmallDocumentFieldByField) {
  Json swagger = Json::parse(R"({
    "swagger": "2.0",
    "info": {"title": "T", "version": "v1"},
    "paths": {"/x": {"get": {"operationId": "readX", "deprecated": true,
                             "responses": {"200": {"description": "OK"}}}}},
    "definitions": {"A": {"type": "object", "additionalProperties": false,
                          "properties": {"n": {"type": "number", "maximum": 1.5}},
                          "x-k": {"a": [1, "b"]}}}
  })");
  std::string pb = openapi_v2_to_protobuf(swagger).value();
  auto doc = decode(pb).value();
  EXPECT_EQ(str(doc, 1), "2.0");
  EXPECT_EQ(str(sub(doc, 2), 2), "v1");
  auto get = sub(named(sub(doc, 8), 2).at("/x"), 2);
  EXPECT_EQ(str(get, 5), "readX");
  EXPECT_EQ(varint_of(get, 11), 1u);  // deprecated
  auto a = named(sub(doc, 9), 1).at("A");
  // additionalProperties: false is written (AdditionalPropertiesItem.boolean = 2).
  auto additional = sub(a, 21);
  ASSERT_EQ(additional.size(), 1u);
  EXPECT_EQ(additional[0].number, 2u);
  EXPECT_EQ(additional[0].varint, 0u);
  auto n = named(sub(a, 25), 1).at("n");
  auto maximum = all(n, 7);
  ASSERT_EQ(n.size(), 2u);
  double d = 0;
  for (const WireField& f : n) {
    if (f.number == 7) {
      ASSERT_EQ(f.wire_type, 1u);
      std::memcpy(&d, f.bytes.data(), 8);
    }
  }
  EXPECT_EQ(d, 1.5);
  EXPECT_EQ(extensions(a, 31)["x-k"], Json::parse(R"({"a":[1,"b"]})"));

  auto bad = openapi_v2_to_protobuf(Json::parse(R"({"swagger":"2.0","servers":[]})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("servers"), std::string::npos);
  EXPECT_FALSE(openapi_v2_to_protobuf(Json::parse(R"({"definitions":{"A":{"oneOf":[]}}})")).ok());
  EXPECT_FALSE(openapi_v2_to_protobuf(Json::array()).ok());
}

TEST(ProtoWriter, VarintsAndNestedLengths) {
  ProtoWriter w;
  w.varint(1, 300);
  w.open(2);
  w.string(1, std::string(200, 'x'));
  w.close();
  const std::string& d = w.data();
  // 300 is 0xAC 0x02; the nested message is 203 bytes (tag, 2-byte length, 200 bytes), whose
  // length takes two bytes itself.
  EXPECT_EQ(d.substr(0, 3), std::string("\x08\xAC\x02", 3));
  EXPECT_EQ(d.substr(3, 3), std::string("\x12\xCB\x01", 3));
  EXPECT_EQ(d.size(), 3u + 3u + 203u);
  auto top = decode(d).value();
  EXPECT_EQ(top[0].varint, 300u);
  EXPECT_EQ(str(sub(top, 2), 1), std::string(200, 'x'));
}

}  // namespace
}  // namespace bosun::apiserver
