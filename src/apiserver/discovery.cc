#include "apiserver/discovery.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include "apiserver/accept_header.h"
#include "common/openssl_init.h"

namespace bosun::apiserver {

namespace {

constexpr std::string_view kDiscoveryGroup = "apidiscovery.k8s.io";
constexpr std::string_view kDiscoveryKind = "APIGroupDiscoveryList";

// kube-aggregator's group priorities for the built-in groups (apiVersionPriorities and
// DefaultGenericAPIServicePriorities): /apis lists groups by descending priority. metrics.k8s.io is
// served by metrics-server's APIService, registered with groupPriorityMinimum 100.
int group_priority(std::string_view group) {
  static const std::pair<std::string_view, int> kPriorities[] = {
      {"apiregistration.k8s.io", 18000},
      {"apps", 17800},
      {"events.k8s.io", 17750},
      {"authentication.k8s.io", 17700},
      {"authorization.k8s.io", 17600},
      {"autoscaling", 17500},
      {"batch", 17400},
      {"certificates.k8s.io", 17300},
      {"networking.k8s.io", 17200},
      {"policy", 17100},
      {"rbac.authorization.k8s.io", 17000},
      {"storage.k8s.io", 16800},
      {"admissionregistration.k8s.io", 16700},
      {"scheduling.k8s.io", 16600},
      {"coordination.k8s.io", 16500},
      {"apiextensions.k8s.io", 16400},
      {"node.k8s.io", 16300},
      {"discovery.k8s.io", 16200},
      {"flowcontrol.apiserver.k8s.io", 16100},
      {"internal.apiserver.k8s.io", 16000},
      {"resource.k8s.io", 15900},
      {"metrics.k8s.io", 100},
  };
  for (const auto& [name, priority] : kPriorities) {
    if (name == group) return priority;
  }
  // CustomResourceDefinitions' groups get 1000 in Kubernetes.
  return 1000;
}

// Kubernetes' parseKubeVersion: "v<major>[(alpha|beta)<minor>]" with numbers that have no leading
// zero.
struct KubeVersion {
  int stage;  // 2 GA, 1 beta, 0 alpha
  long major;
  long minor;
};

std::optional<long> parse_number(std::string_view s) {
  if (s.empty() || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  long v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<KubeVersion> parse_kube_version(std::string_view v) {
  if (v.size() < 2 || v.front() != 'v') return std::nullopt;
  v.remove_prefix(1);
  size_t digits = 0;
  while (digits < v.size() && v[digits] >= '0' && v[digits] <= '9') ++digits;
  auto major = parse_number(v.substr(0, digits));
  if (!major || *major == 0) return std::nullopt;
  std::string_view rest = v.substr(digits);
  if (rest.empty()) return KubeVersion{2, *major, 0};
  int stage;
  if (rest.starts_with("alpha")) {
    stage = 0;
    rest.remove_prefix(5);
  } else if (rest.starts_with("beta")) {
    stage = 1;
    rest.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  auto minor = parse_number(rest);
  if (!minor) return std::nullopt;
  return KubeVersion{stage, *major, *minor};
}

std::vector<std::string> sorted_verbs(const std::vector<std::string>& verbs) {
  std::vector<std::string> out = verbs;
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<const api::ResourceType*> resources_of(const api::ResourceRegistry& registry,
                                                   std::string_view group,
                                                   std::string_view version) {
  std::vector<const api::ResourceType*> out;
  for (const api::ResourceType& t : registry.all()) {
    if (t.group == group && t.version == version) out.push_back(&t);
  }
  // kube-apiserver installs a group/version's storage in path order, so discovery lists
  // resources by name.
  std::sort(out.begin(), out.end(), [](const api::ResourceType* a, const api::ResourceType* b) {
    return a->plural < b->plural;
  });
  return out;
}

std::vector<const api::Subresource*> subresources_by_name(const api::ResourceType& t) {
  std::vector<const api::Subresource*> out;
  for (const api::Subresource& s : t.subresources) out.push_back(&s);
  std::sort(out.begin(), out.end(),
            [](const api::Subresource* a, const api::Subresource* b) { return a->name < b->name; });
  return out;
}

Json gvk_json(const api::GroupVersionKind& gvk) {
  return Json{{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}};
}

Json aggregated_resource(const api::ResourceType& t) {
  Json r = Json::object();
  r["resource"] = t.plural;
  r["responseKind"] = gvk_json(t.gvk());
  r["scope"] = t.namespaced ? "Namespaced" : "Cluster";
  r["singularResource"] = t.singular;
  r["verbs"] = sorted_verbs(t.verbs);
  if (!t.short_names.empty()) r["shortNames"] = t.short_names;
  if (!t.categories.empty()) r["categories"] = t.categories;
  Json subs = Json::array();
  for (const api::Subresource* s : subresources_by_name(t)) {
    subs.push_back(Json{{"subresource", s->name},
                        {"responseKind", gvk_json(s->kind)},
                        {"verbs", sorted_verbs(s->verbs)}});
  }
  if (!subs.empty()) r["subresources"] = std::move(subs);
  return r;
}

Json group_version_json(std::string_view group, std::string_view version) {
  std::string gv =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  return Json{{"groupVersion", gv}, {"version", version}};
}

Json api_group_json(const ServedGroup& g) {
  Json versions = Json::array();
  for (const std::string& v : g.versions) versions.push_back(group_version_json(g.name, v));
  return Json{{"name", g.name},
              {"versions", versions},
              {"preferredVersion", group_version_json(g.name, g.versions.front())}};
}

Error not_found(std::string_view path) {
  // What kube-apiserver's NotFound handler says for a path nothing serves.
  return make_error(ErrorCode::kNotFound, "the server could not find the requested resource (get " +
                                              std::string(path) + ")");
}

// Host headers reach the legacy /api body: never let invalid UTF-8 throw.
std::string to_string(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Json api_versions_json(const std::vector<std::string>& versions, std::string_view server_address) {
  // kube-apiserver leaves apiVersion out of APIVersions.
  return Json{
      {"kind", "APIVersions"},
      {"versions", versions},
      {"serverAddressByClientCIDRs",
       Json::array({Json{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

}  // namespace

Result<DiscoveryFormat> negotiate_discovery(std::string_view accept) {
  for (const MediaRange& range : parse_accept(accept)) {
    if (!range.matches("application", "json")) continue;
    auto g = range.param("g");
    auto v = range.param("v");
    auto as = range.param("as");
    if (!g && !v && !as) return DiscoveryFormat::kLegacy;
    // A range that asks for a conversion is served only if it is the aggregated list.
    if (g != kDiscoveryGroup || as != kDiscoveryKind) continue;
    if (v == "v2") return DiscoveryFormat::kAggregatedV2;
    if (v == "v2beta1") return DiscoveryFormat::kAggregatedV2Beta1;
  }
  return make_error(ErrorCode::kNotAcceptable,
                    "only the following media types are accepted: application/json, " +
                        std::string(kAggregatedDiscoveryV2ContentType) + ", " +
                        std::string(kAggregatedDiscoveryV2Beta1ContentType));
}

std::string_view discovery_content_type(DiscoveryFormat format) {
  switch (format) {
    case DiscoveryFormat::kAggregatedV2:
      return kAggregatedDiscoveryV2ContentType;
    case DiscoveryFormat::kAggregatedV2Beta1:
      return kAggregatedDiscoveryV2Beta1ContentType;
    case DiscoveryFormat::kLegacy:
      break;
  }
  return "application/json";
}

int compare_kube_versions(std::string_view a, std::string_view b) {
  if (a == b) return 0;
  auto va = parse_kube_version(a);
  auto vb = parse_kube_version(b);
  if (!va && !vb) return a < b ? -1 : 1;
  if (!va) return 1;
  if (!vb) return -1;
  if (va->stage != vb->stage) return va->stage > vb->stage ? -1 : 1;
  if (va->major != vb->major) return va->major > vb->major ? -1 : 1;
  if (va->minor != vb->minor) return va->minor > vb->minor ? -1 : 1;
  return 0;
}

std::vector<ServedGroup> served_groups(const api::ResourceRegistry& registry) {
  std::vector<ServedGroup> groups;
  for (const api::ResourceType& t : registry.all()) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const ServedGroup& g) { return g.name == t.group; });
    if (it == groups.end()) {
      groups.push_back(ServedGroup{t.group, {}});
      it = std::prev(groups.end());
    }
    if (std::find(it->versions.begin(), it->versions.end(), t.version) == it->versions.end()) {
      it->versions.push_back(t.version);
    }
  }
  for (ServedGroup& g : groups) {
    std::sort(g.versions.begin(), g.versions.end(), [](const std::string& a, const std::string& b) {
      return compare_kube_versions(a, b) < 0;
    });
  }
  std::sort(groups.begin(), groups.end(), [](const ServedGroup& a, const ServedGroup& b) {
    if (a.name.empty() != b.name.empty()) return a.name.empty();
    int pa = group_priority(a.name);
    int pb = group_priority(b.name);
    if (pa != pb) return pa > pb;
    return a.name < b.name;
  });
  return groups;
}

Json aggregated_discovery(const api::ResourceRegistry& registry, DiscoveryRoot root,
                          std::string_view discovery_version) {
  Json items = Json::array();
  for (const ServedGroup& g : served_groups(registry)) {
    if (g.name.empty() != (root == DiscoveryRoot::kCore)) continue;
    Json versions = Json::array();
    for (const std::string& v : g.versions) {
      Json resources = Json::array();
      for (const api::ResourceType* t : resources_of(registry, g.name, v)) {
        resources.push_back(aggregated_resource(*t));
      }
      versions.push_back(
          Json{{"version", v}, {"resources", std::move(resources)}, {"freshness", "Current"}});
    }
    // The core group's name is "" and is written out, as kubectl's recorded replies show.
    items.push_back(Json{{"metadata", Json{{"name", g.name}, {"creationTimestamp", nullptr}}},
                         {"versions", std::move(versions)}});
  }
  return Json{{"kind", kDiscoveryKind},
              {"apiVersion", std::string(kDiscoveryGroup) + "/" + std::string(discovery_version)},
              {"metadata", Json::object()},
              {"items", std::move(items)}};
}

Json legacy_api_versions(const api::ResourceRegistry& registry, std::string_view server_address) {
  std::vector<std::string> versions;
  for (const ServedGroup& g : served_groups(registry)) {
    if (g.name.empty()) versions = g.versions;
  }
  return api_versions_json(versions, server_address);
}

Json legacy_api_group_list(const api::ResourceRegistry& registry) {
  Json groups = Json::array();
  for (const ServedGroup& g : served_groups(registry)) {
    if (!g.name.empty()) groups.push_back(api_group_json(g));
  }
  return Json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}};
}

Result<Json> legacy_api_group(const api::ResourceRegistry& registry, std::string_view group) {
  for (const ServedGroup& g : served_groups(registry)) {
    if (g.name.empty() || g.name != group) continue;
    Json body = api_group_json(g);
    body["kind"] = "APIGroup";
    body["apiVersion"] = "v1";
    return body;
  }
  return not_found("/apis/" + std::string(group));
}

Result<Json> legacy_api_resource_list(const api::ResourceRegistry& registry, std::string_view group,
                                      std::string_view version) {
  std::vector<const api::ResourceType*> types = resources_of(registry, group, version);
  if (types.empty()) {
    return not_found(group.empty() ? "/api/" + std::string(version)
                                   : "/apis/" + std::string(group) + "/" + std::string(version));
  }
  Json resources = Json::array();
  for (const api::ResourceType* t : types) {
    Json r = Json::object();
    r["name"] = t->plural;
    r["singularName"] = t->singular;
    r["namespaced"] = t->namespaced;
    r["kind"] = t->kind;
    r["verbs"] = sorted_verbs(t->verbs);
    if (!t->short_names.empty()) r["shortNames"] = t->short_names;
    if (!t->categories.empty()) r["categories"] = t->categories;
    r["storageVersionHash"] = storage_version_hash(t->group, t->version, t->kind);
    resources.push_back(std::move(r));
    for (const api::Subresource* s : subresources_by_name(*t)) {
      Json sub = Json::object();
      sub["name"] = t->plural + "/" + s->name;
      sub["singularName"] = "";
      sub["namespaced"] = t->namespaced;
      // group and version are set only when the subresource's kind lives in another group/version
      // (deployments/scale is autoscaling/v1 Scale).
      if (s->kind.group != t->group || s->kind.version != t->version) {
        sub["group"] = s->kind.group;
        sub["version"] = s->kind.version;
      }
      sub["kind"] = s->kind.kind;
      sub["verbs"] = sorted_verbs(s->verbs);
      resources.push_back(std::move(sub));
    }
  }
  std::string group_version =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  Json body = Json::object();
  body["kind"] = "APIResourceList";
  // kube-apiserver's /api/v1 carries no apiVersion; the named groups' lists say "v1".
  if (!group.empty()) body["apiVersion"] = "v1";
  body["groupVersion"] = group_version;
  body["resources"] = std::move(resources);
  return body;
}

std::string storage_version_hash(std::string_view group, std::string_view version,
                                 std::string_view kind) {
  std::string gvk;
  gvk.append(group).append("/").append(version).append("/").append(kind);
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(gvk.data()), gvk.size(), digest);
  unsigned char out[16] = {};
  int n = EVP_EncodeBlock(out, digest, 8);
  return std::string(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
}

DiscoveryDocuments::DiscoveryDocuments(const api::ResourceRegistry& registry)
    : groups_(served_groups(registry)) {
  api_v2_ = to_string(aggregated_discovery(registry, DiscoveryRoot::kCore, "v2"));
  api_v2beta1_ = to_string(aggregated_discovery(registry, DiscoveryRoot::kCore, "v2beta1"));
  apis_v2_ = to_string(aggregated_discovery(registry, DiscoveryRoot::kGroups, "v2"));
  apis_v2beta1_ = to_string(aggregated_discovery(registry, DiscoveryRoot::kGroups, "v2beta1"));
  apis_legacy_ = to_string(legacy_api_group_list(registry));
  for (const ServedGroup& g : groups_) {
    if (g.name.empty()) {
      core_versions_ = g.versions;
    } else {
      group_bodies_[g.name] = to_string(legacy_api_group(registry, g.name).value());
    }
    for (const std::string& v : g.versions) {
      std::string key = g.name.empty() ? v : g.name + "/" + v;
      resource_lists_[key] = to_string(legacy_api_resource_list(registry, g.name, v).value());
    }
  }
}

Result<DiscoveryBody> DiscoveryDocuments::api(std::string_view accept,
                                              std::string_view server_address) const {
  BOSUN_ASSIGN_OR_RETURN(DiscoveryFormat format, negotiate_discovery(accept));
  DiscoveryBody out{std::string(discovery_content_type(format)), {}};
  switch (format) {
    case DiscoveryFormat::kAggregatedV2:
      out.body = api_v2_;
      break;
    case DiscoveryFormat::kAggregatedV2Beta1:
      out.body = api_v2beta1_;
      break;
    case DiscoveryFormat::kLegacy:
      out.body = to_string(api_versions_json(core_versions_, server_address));
      break;
  }
  return out;
}

Result<DiscoveryBody> DiscoveryDocuments::apis(std::string_view accept) const {
  BOSUN_ASSIGN_OR_RETURN(DiscoveryFormat format, negotiate_discovery(accept));
  DiscoveryBody out{std::string(discovery_content_type(format)), {}};
  switch (format) {
    case DiscoveryFormat::kAggregatedV2:
      out.body = apis_v2_;
      break;
    case DiscoveryFormat::kAggregatedV2Beta1:
      out.body = apis_v2beta1_;
      break;
    case DiscoveryFormat::kLegacy:
      out.body = apis_legacy_;
      break;
  }
  return out;
}

Result<DiscoveryBody> DiscoveryDocuments::group(std::string_view group) const {
  auto it = group_bodies_.find(group);
  if (it == group_bodies_.end()) return not_found("/apis/" + std::string(group));
  return DiscoveryBody{"application/json", it->second};
}

Result<DiscoveryBody> DiscoveryDocuments::resource_list(std::string_view group,
                                                        std::string_view version) const {
  std::string key =
      group.empty() ? std::string(version) : std::string(group) + "/" + std::string(version);
  auto it = resource_lists_.find(key);
  if (it == resource_lists_.end()) {
    return not_found(group.empty() ? "/api/" + key : "/apis/" + key);
  }
  return DiscoveryBody{"application/json", it->second};
}

std::vector<std::string> DiscoveryDocuments::paths() const {
  std::vector<std::string> out;
  for (const ServedGroup& g : groups_) {
    if (!g.name.empty()) out.push_back("/apis/" + g.name);
    for (const std::string& v : g.versions) {
      out.push_back(g.name.empty() ? "/api/" + v : "/apis/" + g.name + "/" + v);
    }
  }
  return out;
}

}  // namespace bosun::apiserver
