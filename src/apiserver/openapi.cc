#include "apiserver/openapi.h"

#include <openssl/sha.h>

#include "apiserver/accept_header.h"
#include "apiserver/discovery.h"
#include "apiserver/openapi_spec.h"
#include "apiserver/openapi_v2_proto.h"
#include "common/log.h"
#include "common/openssl_init.h"

namespace bosun::apiserver {

namespace {

using openapi::Dialect;

Json gvk_map(const api::GroupVersionKind& gvk) {
  return Json{{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}};
}

Json ref_to(const std::string& name, Dialect d) {
  return Json{{"$ref", openapi::ref_prefix(d) + name}};
}

Json parameter_json(const openapi::Parameter& p, Dialect d) {
  Json j{{"name", p.name}, {"in", p.in}};
  if (!p.description.empty()) j["description"] = p.description;
  if (p.required) j["required"] = true;
  // kube-openapi marks every parameter uniqueItems, a leftover of go-restful it still publishes.
  if (d == Dialect::kV3) {
    j["schema"] = Json{{"type", p.type}, {"uniqueItems", true}};
  } else {
    j["type"] = p.type;
    j["uniqueItems"] = true;
  }
  return j;
}

Json parameters_json(const std::vector<const openapi::Parameter*>& params, Dialect d) {
  Json out = Json::array();
  for (const openapi::Parameter* p : params) out.push_back(parameter_json(*p, d));
  return out;
}

Json operation_v3(const openapi::Operation& op) {
  Json j = Json::object();
  j["operationId"] = op.id;
  j["description"] = op.description;
  j["tags"] = Json::array({op.tag});
  if (!op.parameters.empty()) j["parameters"] = parameters_json(op.parameters, Dialect::kV3);
  if (!op.request_ref.empty()) {
    Json content = Json::object();
    for (std::string_view type : op.consumes) {
      content[std::string(type)] = Json{{"schema", ref_to(op.request_ref, Dialect::kV3)}};
    }
    Json body{{"content", std::move(content)}};
    if (op.request_required) body["required"] = true;
    j["requestBody"] = std::move(body);
  }
  Json responses = Json::object();
  for (const openapi::Response& r : op.responses) {
    Json response{{"description", r.description}};
    if (!r.ref.empty() || r.text) {
      Json schema = r.text ? Json{{"type", "string"}} : ref_to(r.ref, Dialect::kV3);
      Json content = Json::object();
      for (std::string_view type : op.produces)
        content[std::string(type)] = Json{{"schema", schema}};
      response["content"] = std::move(content);
    }
    responses[std::string(r.code)] = std::move(response);
  }
  j["responses"] = std::move(responses);
  j["x-kubernetes-action"] = op.action;
  if (op.gvk) j["x-kubernetes-group-version-kind"] = gvk_map(*op.gvk);
  if (op.deprecated) j["deprecated"] = true;
  return j;
}

Json operation_v2(const openapi::Operation& op) {
  Json j = Json::object();
  j["operationId"] = op.id;
  j["description"] = op.description;
  j["tags"] = Json::array({op.tag});
  j["schemes"] = Json::array({"https"});
  j["consumes"] = op.consumes.empty() ? Json::array({"*/*"}) : Json(op.consumes);
  j["produces"] = op.produces;
  Json params = parameters_json(op.parameters, Dialect::kV2);
  if (!op.request_ref.empty()) {
    Json body{{"name", "body"}, {"in", "body"}, {"schema", ref_to(op.request_ref, Dialect::kV2)}};
    if (op.request_required) body["required"] = true;
    params.insert(params.begin(), std::move(body));
  }
  if (!params.empty()) j["parameters"] = std::move(params);
  Json responses = Json::object();
  for (const openapi::Response& r : op.responses) {
    Json response{{"description", r.description}};
    if (r.text) {
      response["schema"] = Json{{"type", "string"}};
    } else if (!r.ref.empty()) {
      response["schema"] = ref_to(r.ref, Dialect::kV2);
    }
    responses[std::string(r.code)] = std::move(response);
  }
  j["responses"] = std::move(responses);
  j["x-kubernetes-action"] = op.action;
  if (op.gvk) j["x-kubernetes-group-version-kind"] = gvk_map(*op.gvk);
  if (op.deprecated) j["deprecated"] = true;
  return j;
}

Json paths_json(const openapi::ApiPaths& paths, Dialect d) {
  Json out = Json::object();
  for (const auto& [path, item] : paths) {
    Json j = Json::object();
    for (const openapi::Operation& op : item.operations) {
      j[std::string(op.method)] = d == Dialect::kV3 ? operation_v3(op) : operation_v2(op);
    }
    if (!item.parameters.empty()) j["parameters"] = parameters_json(item.parameters, d);
    out[path] = std::move(j);
  }
  return out;
}

Json info_json() { return Json{{"title", "Kubernetes"}, {"version", kOpenApiInfoVersion}}; }

// GET /apis/<group>/<version>/ (the group-version's APIResourceList) is in kube-apiserver's
// documents too; it is described when the schema texts define APIResourceList.
void add_resource_list_path(const api::SchemaSet& schemas, openapi::DefinitionSet& defs,
                            std::string_view group, std::string_view version,
                            openapi::ApiPaths& paths) {
  if (schemas.find(openapi::kApiResourceListName) == nullptr) return;
  openapi::Operation op;
  op.method = "get";
  op.id = "get" + openapi::group_version_id(group, version) + "APIResources";
  op.description = "Get the resources available in this group/version.";
  op.action = "get";
  op.tag = openapi::group_tag(group, version);
  op.responses = {{"200", "OK", defs.add_named(openapi::kApiResourceListName)},
                  {"401", "Unauthorized", ""}};
  op.produces = {"application/json", "application/yaml"};
  std::string path = group.empty()
                         ? "/api/" + std::string(version) + "/"
                         : "/apis/" + std::string(group) + "/" + std::string(version) + "/";
  paths[path].operations.push_back(std::move(op));
}

std::string hex_upper(const unsigned char* data, size_t n) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out(2 * n, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0xF];
  }
  return out;
}

}  // namespace

std::string openapi_v3_key(std::string_view group, std::string_view version) {
  if (group.empty()) return "api/" + std::string(version);
  return "apis/" + std::string(group) + "/" + std::string(version);
}

std::string openapi_etag(std::string_view body) {
  unsigned char digest[SHA512_DIGEST_LENGTH];
  SHA512(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest);
  return hex_upper(digest, sizeof digest);
}

Result<Json> build_openapi_v3(const api::ResourceRegistry& registry, const api::SchemaSet& schemas,
                              std::string_view group, std::string_view version) {
  openapi::DefinitionSet defs(schemas);
  openapi::ApiPaths paths = openapi::build_paths(registry, defs, group, version);
  if (paths.empty()) {
    return make_error(ErrorCode::kNotFound,
                      "the server could not find the requested resource (get /openapi/v3/" +
                          openapi_v3_key(group, version) + ")");
  }
  add_resource_list_path(schemas, defs, group, version, paths);
  Json doc = Json::object();
  doc["openapi"] = "3.0.0";
  doc["info"] = info_json();
  doc["paths"] = paths_json(paths, Dialect::kV3);
  doc["components"] = Json{{"schemas", defs.render(Dialect::kV3)}};
  return doc;
}

Json build_openapi_v3_root(const std::map<std::string, std::string>& etag_by_key) {
  Json paths = Json::object();
  for (const auto& [key, etag] : etag_by_key) {
    paths[key] = Json{{"serverRelativeURL", "/openapi/v3/" + key + "?hash=" + etag}};
  }
  return Json{{"paths", std::move(paths)}};
}

Json build_openapi_v2(const api::ResourceRegistry& registry, const api::SchemaSet& schemas) {
  openapi::DefinitionSet defs(schemas);
  openapi::ApiPaths paths = openapi::build_paths(registry, defs, std::nullopt, std::nullopt);
  for (const ServedGroup& g : served_groups(registry)) {
    for (const std::string& v : g.versions) add_resource_list_path(schemas, defs, g.name, v, paths);
  }
  Json doc = Json::object();
  doc["swagger"] = "2.0";
  doc["info"] = info_json();
  doc["paths"] = paths_json(paths, Dialect::kV2);
  doc["definitions"] = defs.render(Dialect::kV2);
  return doc;
}

std::optional<OpenApiV2Encoding> negotiate_openapi_v2(std::string_view accept) {
  for (const MediaRange& range : parse_accept(accept)) {
    // kube-openapi tries JSON first for each range, so */* gets JSON.
    if (range.matches("application", "json")) return OpenApiV2Encoding::kJson;
    if (range.matches("application", "com.github.proto-openapi.spec.v2@v1.0+protobuf") ||
        range.matches("application", "com.github.proto-openapi.spec.v2.v1.0+protobuf")) {
      return OpenApiV2Encoding::kProtobuf;
    }
  }
  return std::nullopt;
}

bool openapi_v3_accepts_json(std::string_view accept) {
  for (const MediaRange& range : parse_accept(accept)) {
    if (range.matches("application", "json")) return true;
  }
  return false;
}

namespace {

using RenderedV3 = std::map<std::string, RenderedOpenApi, std::less<>>;

Result<RenderedV3> render_v3_documents(const api::ResourceRegistry& registry,
                                       const api::SchemaSet& schemas) {
  RenderedV3 out;
  try {
    for (const ServedGroup& g : served_groups(registry)) {
      for (const std::string& v : g.versions) {
        Result<Json> built = build_openapi_v3(registry, schemas, g.name, v);
        // A group/version whose kinds have no schema text yet publishes no document, as an
        // aggregated API server without OpenAPI does.
        if (!built.ok() && built.error().code == ErrorCode::kNotFound) continue;
        BOSUN_ASSIGN_OR_RETURN(Json doc, std::move(built));
        RenderedOpenApi r;
        r.body = doc.dump();
        r.etag = openapi_etag(r.body);
        out[openapi_v3_key(g.name, v)] = std::move(r);
      }
    }
  } catch (const Json::exception& e) {
    // Only text that is not UTF-8 in a description can make dump() throw.
    return make_error(ErrorCode::kInternal, std::string("rendering OpenAPI: ") + e.what());
  }
  return out;
}

struct RenderedV2 {
  RenderedOpenApi json;
  std::string protobuf;
};

Result<RenderedV2> render_v2_documents(const api::ResourceRegistry& registry,
                                       const api::SchemaSet& schemas) {
  RenderedV2 out;
  try {
    Json v2 = build_openapi_v2(registry, schemas);
    out.json.body = v2.dump();
    out.json.etag = openapi_etag(out.json.body);
    BOSUN_ASSIGN_OR_RETURN(out.protobuf, openapi_v2_to_protobuf(v2));
  } catch (const Json::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("rendering OpenAPI: ") + e.what());
  }
  return out;
}

}  // namespace

// The rendering is deterministic and succeeded once in build(), so a later one cannot fail; were
// it to, the documents stay empty and the failure is logged.
void OpenApiDocuments::render_v3() const {
  std::call_once(v3_once_, [this] {
    Result<RenderedV3> r = render_v3_documents(*registry_, *schemas_);
    if (r.ok()) {
      v3_ = std::move(*r);
    } else {
      SPDLOG_ERROR("OpenAPI v3: {}", r.error().message);
    }
  });
}

void OpenApiDocuments::render_v2() const {
  std::call_once(v2_once_, [this] {
    Result<RenderedV2> r = render_v2_documents(*registry_, *schemas_);
    if (r.ok()) {
      v2_ = std::move(r->json);
      v2_protobuf_ = std::move(r->protobuf);
    } else {
      SPDLOG_ERROR("OpenAPI v2: {}", r.error().message);
    }
  });
}

const RenderedOpenApi* OpenApiDocuments::v3(std::string_view key) const {
  render_v3();
  auto it = v3_.find(key);
  return it == v3_.end() ? nullptr : &it->second;
}

const RenderedV3& OpenApiDocuments::v3_documents() const {
  render_v3();
  return v3_;
}

const RenderedOpenApi& OpenApiDocuments::v2_json() const {
  render_v2();
  return v2_;
}

const std::string& OpenApiDocuments::v2_protobuf() const {
  render_v2();
  return v2_protobuf_;
}

Result<std::shared_ptr<const OpenApiDocuments>> OpenApiDocuments::build(
    const api::ResourceRegistry& registry, const api::SchemaSet& schemas,
    std::shared_ptr<const void> keep_alive) {
  std::shared_ptr<OpenApiDocuments> docs(new OpenApiDocuments());
  docs->keep_alive_ = std::move(keep_alive);
  docs->registry_ = &registry;
  docs->schemas_ = &schemas;
  // Rendered here to fail the start-up on a bad schema and for the root's hashes, then dropped.
  std::map<std::string, std::string> etags;
  {
    BOSUN_ASSIGN_OR_RETURN(RenderedV3 v3, render_v3_documents(registry, schemas));
    for (const auto& [key, doc] : v3) etags[key] = doc.etag;
  }
  BOSUN_RETURN_IF_ERROR(render_v2_documents(registry, schemas));
  docs->v3_root_ = build_openapi_v3_root(etags).dump();
  return std::shared_ptr<const OpenApiDocuments>(std::move(docs));
}

}  // namespace bosun::apiserver
