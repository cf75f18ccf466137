// The OpenAPI documents kube-apiserver publishes, generated from the resource registry and the
// schema texts: OpenAPI v3 per group-version (/openapi/v3/apis/apps/v1, /openapi/v3/api/v1) with
// its index /openapi/v3, and Swagger 2.0 for the whole API (/openapi/v2, as JSON or as the gnostic
// protobuf kubectl 1.27/1.28 download). kubectl reads them for apply (strategic merge patch
// metadata, whether fieldValidation is supported), create/replace validation and explain. The
// builders are pure; OpenApiDocuments renders everything once and is immutable afterwards, so one
// instance is shared by all request threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "api/registry.h"
#include "api/schema.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

// The API level the documents' info.version names (design.md §6).
inline constexpr std::string_view kOpenApiInfoVersion = "v1.33.0";

// What kube-openapi answers for protobuf; requests may also name the older "...v2@v1.0+protobuf",
// which gets this same Content-Type.
inline constexpr std::string_view kOpenApiV2ProtobufContentType =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// "api/v1" or "apis/apps/v1": a group-version's key in /openapi/v3 and its URL below /openapi/v3/.
std::string openapi_v3_key(std::string_view group, std::string_view version);

// kube-openapi's ETag and ?hash= value: the upper-case hex SHA-512 of the JSON body.
std::string openapi_etag(std::string_view body);

// The OpenAPI 3.0 document of one served group/version: components.schemas holds every type its
// operations reach, named as Kubernetes names them; paths every resource, subresource and verb.
// NotFound when the registry serves nothing in that group/version.
Result<Json> build_openapi_v3(const api::ResourceRegistry& registry, const api::SchemaSet& schemas,
                              std::string_view group, std::string_view version);
// The /openapi/v3 index: {"paths":{"<key>":{"serverRelativeURL":"/openapi/v3/<key>?hash=<etag>"}}}.
Json build_openapi_v3_root(const std::map<std::string, std::string>& etag_by_key);
// The Swagger 2.0 document of the whole API.
Json build_openapi_v2(const api::ResourceRegistry& registry, const api::SchemaSet& schemas);

// Content negotiation of GET /openapi/v2 as kube-openapi's handler does it: the most preferred
// range that matches application/json or either protobuf name. nullopt: answer 406.
enum class OpenApiV2Encoding { kJson, kProtobuf };
std::optional<OpenApiV2Encoding> negotiate_openapi_v2(std::string_view accept);
// GET /openapi/v3/<key> serves JSON only: whether the Accept header takes it.
bool openapi_v3_accepts_json(std::string_view accept);

struct RenderedOpenApi {
  std::string body;  // JSON text, exactly what the etag hashes
  std::string etag;
};

// Every OpenAPI body, rendered when first asked for and kept (they change only when the registry
// does). At build everything is rendered once to check it and to compute the v3 root's hashes,
// then dropped: an idle server holds only the root, ~2 MB less than the documents (kubectl asks for
// one v3 group at a time, and for v2 rarely). Safe to share between request threads. The registry
// (unless build() is given its owner) and the schema set must outlive it.
class OpenApiDocuments {
 public:
  // keep_alive: what owns the registry, held as long as the documents are.
  static Result<std::shared_ptr<const OpenApiDocuments>> build(
      const api::ResourceRegistry& registry, const api::SchemaSet& schemas,
      std::shared_ptr<const void> keep_alive = nullptr);

  // GET /openapi/v3.
  const std::string& v3_root() const { return v3_root_; }
  // GET /openapi/v3/<key>; nullptr for a key nothing serves.
  const RenderedOpenApi* v3(std::string_view key) const;
  const std::map<std::string, RenderedOpenApi, std::less<>>& v3_documents() const;
  // GET /openapi/v2 as JSON; the protobuf answer carries the same etag, as in kube-openapi.
  const RenderedOpenApi& v2_json() const;
  const std::string& v2_protobuf() const;

 private:
  OpenApiDocuments() = default;
  void render_v3() const;
  void render_v2() const;

  const api::ResourceRegistry* registry_ = nullptr;
  const api::SchemaSet* schemas_ = nullptr;
  std::shared_ptr<const void> keep_alive_;
  std::string v3_root_;
  mutable std::once_flag v3_once_;
  mutable std::map<std::string, RenderedOpenApi, std::less<>> v3_;
  mutable std::once_flag v2_once_;
  mutable RenderedOpenApi v2_;
  mutable std::string v2_protobuf_;
};

}  // namespace bosun::apiserver
