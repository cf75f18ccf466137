// What a cluster has from its first start, as kube-apiserver's bootstrap controllers create it:
// the system namespaces and the `kubernetes` Service in default with the API server's endpoints.
#include <fmt/format.h>

#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_api.h"
#include "apiserver/rest_core.h"
#include "apiserver/service_allocator.h"

namespace bosun::apiserver {

namespace {

constexpr const char* kSystemNamespaces[] = {"default", "kube-system", "kube-public",
                                             "kube-node-lease"};
constexpr const char* kManager = "kube-apiserver";

Result<void> ensure_created(RestCore& core, std::string_view group, std::string_view resource,
                            std::string_view ns, Json obj) {
  const ResourceScope* scope = core.scope(group, "v1", resource);
  if (scope == nullptr) return ok_result();
  auto existing = core.store().get(object_key(scope->prefix, ns, api::name(obj)));
  if (existing.ok()) return ok_result();
  WriteOptions options;
  options.manager = kManager;
  auto created = create_object(core, *scope, ns, std::move(obj), options);
  if (created.ok() || created.error().code == ErrorCode::kAlreadyExists) return ok_result();
  return std::move(created).error();
}

// Creates or refreshes `obj` straight in storage, as kube-apiserver's endpoint reconciler does:
// the API server's own address may be loopback, which Endpoints validation refuses from clients.
// The endpoints follow the server's address and port, which may change between starts.
Result<void> ensure_current(RestCore& core, std::string_view group, std::string_view resource,
                            std::string_view ns, Json obj) {
  const ResourceScope* scope = core.scope(group, "v1", resource);
  if (scope == nullptr) return ok_result();
  std::string key = object_key(scope->prefix, ns, api::name(obj));
  auto updated = core.store().guaranteed_update(
      key, [&](const store::KeyValue& current) -> Result<std::optional<std::string>> {
        Json next = Json::parse(current.value, nullptr, false);
        if (!next.is_object()) return internal_error("stored object is corrupt");
        for (const char* field : {"subsets", "endpoints", "ports", "addressType"}) {
          if (obj.contains(field)) next[field] = obj[field];
        }
        api::mutable_metadata(next)["labels"] = obj["metadata"]["labels"];
        return std::optional<std::string>(encode_for_storage(next));
      });
  if (updated.ok()) return ok_result();
  if (updated.error().code != ErrorCode::kNotFound) return std::move(updated).error();
  api::set_namespace(obj, ns);
  api::prepare_object_meta_for_create(obj, core.clock());
  auto created = core.store().create(key, encode_for_storage(obj));
  if (created.ok() || created.error().code == ErrorCode::kAlreadyExists) return ok_result();
  return std::move(created).error();
}

}  // namespace

Result<void> RestApi::bootstrap(const BootstrapOptions& options) {
  RestCore& core = *core_;
  for (const char* ns : kSystemNamespaces) {
    BOSUN_RETURN_IF_ERROR(ensure_created(
        core, "", "namespaces", "",
        Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns}}}}));
  }
  Json labels = {{"component", "apiserver"}, {"provider", "kubernetes"}};
  std::string cluster_ip =
      core.service_allocator() ? core.service_allocator()->ips().first_address() : "";
  Json service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "kubernetes"}, {"namespace", "default"}, {"labels", labels}}},
      {"spec",
       {{"type", "ClusterIP"},
        {"clusterIP", cluster_ip},
        {"sessionAffinity", "None"},
        {"internalTrafficPolicy", "Cluster"},
        {"ports", Json::array({{{"name", "https"},
                                {"port", 443},
                                {"protocol", "TCP"},
                                {"targetPort", options.port}}})}}}};
  BOSUN_RETURN_IF_ERROR(ensure_created(core, "", "services", "default", std::move(service)));

  Json endpoints = {
      {"apiVersion", "v1"},
      {"kind", "Endpoints"},
      {"metadata",
       {{"name", "kubernetes"},
        {"namespace", "default"},
        {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
      {"subsets",
       Json::array(
           {{{"addresses", Json::array({{{"ip", options.advertise_address}}})},
             {"ports",
              Json::array({{{"name", "https"}, {"port", options.port}, {"protocol", "TCP"}}})}}})}};
  BOSUN_RETURN_IF_ERROR(ensure_current(core, "", "endpoints", "default", std::move(endpoints)));

  Json slice = {
      {"apiVersion", "discovery.k8s.io/v1"},
      {"kind", "EndpointSlice"},
      {"metadata",
       {{"name", "kubernetes"},
        {"namespace", "default"},
        {"labels", {{"kubernetes.io/service-name", "kubernetes"}}}}},
      {"addressType", "IPv4"},
      {"endpoints", Json::array({{{"addresses", Json::array({options.advertise_address})},
                                  {"conditions", {{"ready", true}}}}})},
      {"ports", Json::array({{{"name", "https"}, {"port", options.port}, {"protocol", "TCP"}}})}};
  return ensure_current(core, "discovery.k8s.io", "endpointslices", "default", std::move(slice));
}

}  // namespace bosun::apiserver
