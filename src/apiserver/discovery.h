// API discovery as kube-apiserver serves it, generated from the resource registry: aggregated
// discovery (apidiscovery.k8s.io v2 and v2beta1 APIGroupDiscoveryList) at /api and /apis, and the
// legacy documents (APIVersions, APIGroupList, APIGroup, APIResourceList) that older clients and
// `kubectl auth can-i` read. kubectl builds its REST mapping, short names, `get all` and
// `api-resources` from these. The builders are pure functions; DiscoveryDocuments renders every
// body once and is immutable afterwards, so one instance is shared by all request threads.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/registry.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

// What a discovery request gets, chosen from its Accept header.
enum class DiscoveryFormat {
  kLegacy,             // plain application/json: APIVersions / APIGroupList
  kAggregatedV2,       // apidiscovery.k8s.io/v2 APIGroupDiscoveryList (kubectl 1.30+)
  kAggregatedV2Beta1,  // apidiscovery.k8s.io/v2beta1 (kubectl 1.27-1.29)
};

inline constexpr std::string_view kAggregatedDiscoveryV2ContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
inline constexpr std::string_view kAggregatedDiscoveryV2Beta1ContentType =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

// Content negotiation of /api and /apis as kube-apiserver's aggregated-discovery wrapper does it:
// the most preferred media range that discovery can serve wins. A range asking for
// APIGroupDiscoveryList in apidiscovery.k8s.io v2 or v2beta1 gets the aggregated document; a
// JSON range without a conversion (`application/json`, `*/*`) gets the legacy one; anything else
// (YAML, protobuf, Table) is skipped. When nothing fits, a NotAcceptable error worded as
// Kubernetes words it.
Result<DiscoveryFormat> negotiate_discovery(std::string_view accept);
// The Content-Type of a response in that format. kubectl only treats a reply as aggregated when
// this matches exactly.
std::string_view discovery_content_type(DiscoveryFormat format);

// The groups the registry serves with their versions, most preferred version first (Kubernetes'
// version priority: GA, then beta, then alpha, higher numbers first). The core group ("") comes
// first, then the named groups in kube-apiserver's group priority order (apps, events.k8s.io, ...,
// then groups it does not know, by name).
struct ServedGroup {
  std::string name;
  std::vector<std::string> versions;
};
std::vector<ServedGroup> served_groups(const api::ResourceRegistry& registry);

// Kubernetes' ordering of version strings (CompareKubeAwareVersionStrings): negative when `a` is
// preferred over `b`.
int compare_kube_versions(std::string_view a, std::string_view b);

// Which aggregated list: /api holds the core group only, /apis every named group.
enum class DiscoveryRoot { kCore, kGroups };

// An APIGroupDiscoveryList of apiVersion `apidiscovery.k8s.io/<discovery_version>`: per group, its
// versions (preferred first) and per version its resources in name order, each with responseKind,
// scope, singularResource, sorted verbs, shortNames, categories and subresources.
Json aggregated_discovery(const api::ResourceRegistry& registry, DiscoveryRoot root,
                          std::string_view discovery_version);

// GET /api without aggregation: {"kind":"APIVersions","versions":["v1"],
// "serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":<server_address>}]}.
Json legacy_api_versions(const api::ResourceRegistry& registry, std::string_view server_address);
// GET /apis without aggregation: APIGroupList.
Json legacy_api_group_list(const api::ResourceRegistry& registry);
// GET /apis/<group>: APIGroup; NotFound for a group that is not served.
Result<Json> legacy_api_group(const api::ResourceRegistry& registry, std::string_view group);
// GET /api/v1 and /apis/<group>/<version>: APIResourceList, subresources as "deployments/scale"
// (with group and version when their kind lives elsewhere), storageVersionHash on resources;
// NotFound when the group/version is not served.
Result<Json> legacy_api_resource_list(const api::ResourceRegistry& registry, std::string_view group,
                                      std::string_view version);

// Kubernetes' storageVersionHash: base64 of the first 8 bytes of SHA-256("group/version/kind").
std::string storage_version_hash(std::string_view group, std::string_view version,
                                 std::string_view kind);

// A response body and the Content-Type to send it with.
struct DiscoveryBody {
  std::string content_type;
  std::string body;
};

// Every discovery body rendered once from a registry (they change only when the registry does).
// Immutable; share it between threads.
class DiscoveryDocuments {
 public:
  explicit DiscoveryDocuments(const api::ResourceRegistry& registry);

  // GET /api: aggregated or APIVersions as the Accept header asks. The legacy body names the
  // address clients should use (`server_address`, "host:port"), so it is rendered per request.
  Result<DiscoveryBody> api(std::string_view accept, std::string_view server_address) const;
  // GET /apis: aggregated or APIGroupList.
  Result<DiscoveryBody> apis(std::string_view accept) const;
  // GET /apis/<group>: APIGroup. NotFound when not served.
  Result<DiscoveryBody> group(std::string_view group) const;
  // GET /api/v1, /apis/<group>/<version>: APIResourceList. NotFound when not served.
  Result<DiscoveryBody> resource_list(std::string_view group, std::string_view version) const;

  // The URL paths served above besides /api and /apis: "/api/v1", "/apis/apps", "/apis/apps/v1".
  std::vector<std::string> paths() const;

 private:
  std::vector<ServedGroup> groups_;
  std::vector<std::string> core_versions_;
  std::string api_v2_, api_v2beta1_;
  std::string apis_v2_, apis_v2beta1_, apis_legacy_;
  std::map<std::string, std::string, std::less<>> group_bodies_;  // "apps" -> APIGroup
  // "v1", "apps/v1" -> APIResourceList
  std::map<std::string, std::string, std::less<>> resource_lists_;
};

}  // namespace bosun::apiserver
