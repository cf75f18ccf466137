// RestClient: the typed-over-JSON Kubernetes API client (client-go's RESTClient and dynamic client
// in one): paths from group/version/resource/namespace/name/subresource, JSON bodies, Status
// responses turned into Errors, a small pool of keep-alive HTTPS connections and an optional
// client-side token-bucket rate limit. The scheduler, controllers and agents build on it.
// Thread-safe: any number of threads may issue requests at once; each request holds one
// connection from the pool while it runs.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "client/kubeconfig.h"
#include "client/rate_limiter.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::client {

namespace internal {
class Connection;
class Transport;
}  // namespace internal

// A resource type: group "" is the core group (/api/v1), others live under /apis/<group>/<version>.
struct GroupVersionResource {
  std::string group;
  std::string version;
  std::string resource;  // plural, lower case: "pods", "deployments"
};

// Shorthands for the resources the components use.
GroupVersionResource core_resource(std::string resource);  // v1 core
inline const GroupVersionResource kPods{"", "v1", "pods"};
inline const GroupVersionResource kNodes{"", "v1", "nodes"};
inline const GroupVersionResource kConfigMaps{"", "v1", "configmaps"};
inline const GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases"};

// The URL path of a resource, a collection (empty name) or a subresource, with an optional
// namespace (empty: cluster-scoped or all namespaces), e.g. /api/v1/namespaces/ns/pods/p/binding.
std::string resource_path(const GroupVersionResource& gvr, std::string_view ns,
                          std::string_view name = "", std::string_view subresource = "");

// Percent-encodes a query parameter value (RFC 3986 unreserved characters kept).
std::string query_escape(std::string_view value);

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int64_t limit = 0;  // 0: no paging
  std::string continue_token;
  std::string resource_version;        // "" most recent; "0" any (served from the watch cache)
  std::string resource_version_match;  // "", "NotOlderThan" or "Exact"
};

struct WriteOptions {
  bool dry_run = false;
  std::string field_manager;
};

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json
  kJson,            // application/json-patch+json (RFC 6902)
  kApply,           // application/apply-patch+yaml (server-side apply)
};

struct PatchOptions {
  std::string field_manager;  // required for kApply
  bool force = false;         // kApply: take conflicting fields from other managers
  bool dry_run = false;
  std::string subresource;  // e.g. "status"
};

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::string propagation_policy;  // "", "Orphan", "Background" or "Foreground"
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  bool dry_run = false;
};

struct RestClientOptions {
  Clock* clock = nullptr;  // for the rate limiter; the real clock when null
};

class RestClient {
 public:
  static Result<std::unique_ptr<RestClient>> create(ClientConfig config,
                                                    RestClientOptions options = {});
  ~RestClient();

  Result<Json> get(const GroupVersionResource& gvr, std::string_view ns, std::string_view name);
  // One page (or the whole list when options.limit is 0): a *List object with metadata
  // .resourceVersion and .continue.
  Result<Json> list(const GroupVersionResource& gvr, std::string_view ns,
                    const ListOptions& options = {});
  // The namespace comes from `ns` (the object's metadata.namespace, if set, must agree, as the
  // API server checks).
  Result<Json> create(const GroupVersionResource& gvr, std::string_view ns, const Json& object,
                      const WriteOptions& options = {});
  // PUT of the whole object; the name comes from metadata.name and the write is conditional on
  // metadata.resourceVersion when set (a stale one is a 409 Conflict).
  Result<Json> update(const GroupVersionResource& gvr, std::string_view ns, const Json& object,
                      const WriteOptions& options = {});
  // PUT to the status subresource.
  Result<Json> update_status(const GroupVersionResource& gvr, std::string_view ns,
                             const Json& object, const WriteOptions& options = {});
  Result<Json> patch(const GroupVersionResource& gvr, std::string_view ns, std::string_view name,
                     PatchType type, std::string_view body, const PatchOptions& options = {});
  // DELETE; returns what the server returns (the deleted object, or a Status).
  Result<Json> remove(const GroupVersionResource& gvr, std::string_view ns, std::string_view name,
                      const DeleteOptions& options = {});
  // POST to a subresource such as pods/binding or pods/eviction.
  Result<Json> create_subresource(const GroupVersionResource& gvr, std::string_view ns,
                                  std::string_view name, std::string_view subresource,
                                  const Json& body);

  // A raw request: `path_and_query` under the server's URL; the response body is parsed as JSON
  // (null when empty). Non-2xx responses are Errors built from the Status body.
  Result<Json> request(std::string_view method, const std::string& path_and_query,
                       std::string body = {}, std::string_view content_type = "application/json");

  const ClientConfig& config() const { return config_; }

  // For Watch: a fresh connection (not from the pool) and the headers every request carries.
  Result<std::unique_ptr<internal::Connection>> open_stream_connection();
  std::vector<std::pair<std::string, std::string>> common_headers() const;
  const std::string& path_prefix() const;
  // Waits for the rate limiter, as every request does.
  void throttle();

 private:
  RestClient(ClientConfig config, std::shared_ptr<internal::Transport> transport, Clock& clock);
  std::unique_ptr<internal::Connection> take_connection();
  void return_connection(std::unique_ptr<internal::Connection> c);
  std::string bearer_token() const;

  ClientConfig config_;
  std::shared_ptr<internal::Transport> transport_;
  TokenBucket limiter_;
  Clock& clock_;
  std::mutex mu_;  // guards idle_
  std::vector<std::unique_ptr<internal::Connection>> idle_;
  mutable std::mutex token_mu_;  // guards the token read from token_file
  mutable std::string file_token_;
  mutable Clock::MonoTime file_token_read_{};
  mutable bool file_token_valid_ = false;
};

// The Error a non-2xx response stands for: code from the Status' reason (falling back to the HTTP
// code), message and causes from the Status; as client-go's errors.FromObject.
Error error_from_status(int http_status, std::string_view body);

}  // namespace bosun::client
