// The API as OpenAPI describes it, before it is written in one dialect or the other: the schema
// definitions reachable from the served kinds (DefinitionSet) and the REST paths with their
// operations (ApiPaths). openapi.cc renders them as OpenAPI v3 (per group-version) and Swagger 2.0
// (the whole API, which also becomes gnostic protobuf). Internal to the OpenAPI code; values built
// on one thread and then only read.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/registry.h"
#include "api/schema.h"
#include "common/json.h"

namespace bosun::apiserver::openapi {

// Swagger 2.0 (kubectl 1.27/1.28 validation, `explain --output plaintext-openapiv2`) or OpenAPI
// 3.0 (kubectl 1.27+ apply and explain). They differ in where definitions live
// (#/definitions/ vs #/components/schemas/), in how a $ref carries siblings (v3 wraps it in allOf,
// since OpenAPI 3.0 ignores a $ref's siblings), and in the types of Quantity and IntOrString.
enum class Dialect { kV2, kV3 };

std::string ref_prefix(Dialect d);

// Names of the definitions Kubernetes gives types that our schema texts describe as leaves.
inline constexpr std::string_view kQuantityName = "io.k8s.apimachinery.pkg.api.resource.Quantity";
inline constexpr std::string_view kIntOrStringName =
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
inline constexpr std::string_view kRawExtensionName =
    "io.k8s.apimachinery.pkg.runtime.RawExtension";
inline constexpr std::string_view kTimeName = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
inline constexpr std::string_view kMicroTimeName = "io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime";
inline constexpr std::string_view kPatchName = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
inline constexpr std::string_view kStatusName = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
inline constexpr std::string_view kDeleteOptionsName =
    "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
inline constexpr std::string_view kWatchEventName =
    "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
inline constexpr std::string_view kListMetaName = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
inline constexpr std::string_view kApiResourceListName =
    "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";

// The definitions a document needs: the types it names and everything they reference. Types the
// schema set does not hold (Quantity, IntOrString, RawExtension, Patch, the core kinds' List
// types, WatchEvent) are described here as Kubernetes publishes them.
class DefinitionSet {
 public:
  explicit DefinitionSet(const api::SchemaSet& schemas) : schemas_(schemas) {}

  // Adds a type and its closure; returns its definition name.
  std::string add(const api::SchemaType& type);
  // The List kind of a resource (DeploymentList); synthesized when the schema texts lack it.
  std::string add_list(const api::ResourceType& resource);
  // One of the k*Name definitions above, from the schema set or synthesized.
  std::string add_named(std::string_view name);

  // name -> schema, sorted by name.
  Json render(Dialect d) const;
  size_t size() const { return defs_.size(); }

 private:
  enum class Synthetic {
    kNone,
    kQuantity,
    kIntOrString,
    kRawExtension,
    kPatch,
    kTime,
    kMicroTime,
    kList,
    kWatchEvent
  };
  struct Def {
    const api::SchemaType* type = nullptr;  // from the schema set, when kNone
    Synthetic synthetic = Synthetic::kNone;
    std::string item_ref;       // kList: the item definition
    api::GroupVersionKind gvk;  // kList: its kind
  };

  void add_ref(const api::TypeRef& ref);
  Json render_def(const Def& def, Dialect d) const;
  Json render_object(const api::SchemaType& type, Dialect d) const;
  Json render_field(const api::SchemaField& field, Dialect d) const;
  Json render_type(const api::TypeRef& ref, Dialect d) const;

  const api::SchemaSet& schemas_;
  std::map<std::string, Def, std::less<>> defs_;
};

// A query or path parameter of an operation.
struct Parameter {
  std::string_view name;
  std::string_view in;    // "path" or "query"
  std::string_view type;  // "string", "boolean", "integer"
  std::string_view description;
  bool required = false;
};

struct Response {
  std::string_view code;         // "200"
  std::string_view description;  // "OK"
  std::string ref;               // definition name; empty with text
  bool text = false;             // a plain string body (logs, streaming connects)
};

struct Operation {
  std::string_view method;  // "get", "put", "post", "delete", "patch"
  std::string id;           // "patchAppsV1NamespacedDeployment"
  std::string description;
  std::string_view action;  // x-kubernetes-action: get, list, watch, watchlist, post, put, ...
  std::optional<api::GroupVersionKind> gvk;
  std::string tag;  // "apps_v1"
  std::vector<const Parameter*> parameters;
  std::string request_ref;                 // the body's definition; empty for none
  std::vector<std::string_view> consumes;  // request media types
  bool request_required = false;
  std::vector<Response> responses;
  std::vector<std::string_view> produces;  // response media types
  bool deprecated = false;
};

struct PathItem {
  std::vector<const Parameter*> parameters;  // shared by every operation of the path
  std::vector<Operation> operations;
};

// URL path -> item, sorted.
using ApiPaths = std::map<std::string, PathItem, std::less<>>;

// Every path and operation of the resources of one group/version (or, with group == nullopt, of
// the whole registry), as kube-apiserver's installer registers them; the definitions they name are
// added to `defs`.
ApiPaths build_paths(const api::ResourceRegistry& registry, DefinitionSet& defs,
                     std::optional<std::string_view> group,
                     std::optional<std::string_view> version);

// kube-openapi's ToValidOperationID and the tags Kubernetes derives from a path ("apps_v1",
// "rbacAuthorization_v1", "core_v1").
std::string operation_id_part(std::string_view s, bool capitalize_first);
std::string group_tag(std::string_view group, std::string_view version);
// The group/version part of operation IDs: "AppsV1", "CoreV1", "RbacAuthorizationV1".
std::string group_version_id(std::string_view group, std::string_view version);

}  // namespace bosun::apiserver::openapi
