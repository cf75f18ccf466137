// The state the REST handlers share and the per-request context they pass around: one
// ResourceScope per served resource type (its store prefix, qualified names and watch cache), the
// store, the registry, the clock, the service allocators. Internal to the REST layer (rest_*.cc);
// rest_api.h is its public face. RestCore is immutable after start except for what guards itself
// (watch caches, allocators); handlers run on worker threads and call it concurrently.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/apply.h"
#include "api/registry.h"
#include "api/resources/resources.h"
#include "apiserver/exchange.h"
#include "apiserver/negotiation.h"
#include "apiserver/request_info.h"
#include "apiserver/rest_options.h"
#include "apiserver/watch_cache.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/metrics.h"
#include "common/result.h"
#include "store/store.h"

namespace bosun::apiserver {

class ServiceAllocator;  // service_allocator.h

// Everything about one resource type that the handlers need, computed once.
struct ResourceScope {
  const api::ResourceType* type = nullptr;
  std::string prefix;              // "/registry/pods/"
  std::string qualified_resource;  // "pods", "deployments.apps"
  std::string qualified_kind;      // "Pod", "Deployment.apps"
  // The Go package of the internal type, as decode errors name it ("core", "apps", "rbac").
  std::string internal_package;
  bool has_status = false;  // a status subresource: the main resource ignores status changes
  // Kubernetes' ReturnDeletedObject: a completed delete answers with the object, else a Status.
  bool return_deleted_object = false;
  WatchCache* cache = nullptr;
  // Every watch cache fed from this resource's prefix: its own and those of the resources stored
  // in the same place (core and events.k8s.io Events). A write announces itself to them.
  std::vector<WatchCache*> storage_caches;
  // managedFields upkeep and server-side apply, for the resource and its status.
  std::unique_ptr<api::FieldManager> field_manager;
  std::unique_ptr<api::FieldManager> status_field_manager;
  std::unique_ptr<api::FieldManager> scale_field_manager;  // the parent's fields, via /scale
  // Objects stored in another version's shape (events.k8s.io/v1 Events share core/v1's storage, as
  // in Kubernetes): from_storage turns a stored object into this resource's, to_storage back.
  // Both empty for everything else.
  ObjectConverter from_storage;
  ObjectConverter to_storage;
  // The strategies of subresources that write the whole object ("status", "finalize").
  std::map<std::string, api::resources::SubresourceStrategy, std::less<>> subresource_strategies;

  // The field manager of a subresource ("" or "status"); nullptr for others.
  const api::FieldManager* manager_for(std::string_view subresource) const {
    if (subresource.empty()) return field_manager.get();
    if (subresource == "status") return status_field_manager.get();
    if (subresource == "scale") return scale_field_manager.get();
    return nullptr;
  }
};

// What a handler needs to know about the request it serves.
struct RestRequest {
  std::shared_ptr<Exchange> exchange;
  const Request* http = nullptr;
  RequestInfo info;
  const ResourceScope* scope = nullptr;
  OutputFormat output;
  // Extra response headers (Warning) gathered while handling.
  std::vector<std::string> warnings;

  const Request& req() const { return *http; }
  const api::ResourceType& type() const { return *scope->type; }
};

class RestCore {
 public:
  RestCore(store::Store& store, std::shared_ptr<const api::ResourceRegistry> registry, Clock& clock,
           MetricsRegistry& metrics);
  ~RestCore();

  store::Store& store() { return store_; }
  const api::ResourceRegistry& registry() const { return *registry_; }
  Clock& clock() { return clock_; }
  MetricsRegistry& metrics() { return metrics_; }

  const ResourceScope* scope(std::string_view group, std::string_view version,
                             std::string_view resource) const;
  const ResourceScope* scope_of_kind(std::string_view group, std::string_view kind) const;
  const std::vector<std::unique_ptr<ResourceScope>>& scopes() const { return scopes_; }
  // Whether some resource is served at group/version (else a path there is a plain 404).
  bool serves_group_version(std::string_view group, std::string_view version) const;

  Result<void> start_watch_caches(const WatchCacheOptions& options);
  void stop_watch_caches();

  void set_service_allocator(std::unique_ptr<ServiceAllocator> allocator);
  ServiceAllocator* service_allocator() { return service_allocator_.get(); }

  // NamespaceLifecycle's forceLiveLookupCache: a namespace this server marked Terminating is looked
  // up in the store, not the watch cache, for the next 30 s, since the cache may not have the
  // change yet and content created then would outlive the namespace's emptying.
  void force_live_namespace_lookup(std::string_view name);
  bool needs_live_namespace_lookup(std::string_view name);

 private:
  store::Store& store_;
  std::shared_ptr<const api::ResourceRegistry> registry_;
  Clock& clock_;
  MetricsRegistry& metrics_;
  std::vector<std::unique_ptr<ResourceScope>> scopes_;
  std::map<std::string, ResourceScope*, std::less<>> by_gvr_;  // "group/version/resource"
  std::vector<std::unique_ptr<WatchCache>> caches_;
  std::unique_ptr<ServiceAllocator> service_allocator_;
  std::mutex live_lookup_mu_;  // guards live_lookup_until_
  std::map<std::string, std::chrono::system_clock::time_point, std::less<>> live_lookup_until_;
};

// ---- Stored objects as the resource serves them --------------------------------------------

// The JSON a resource serves for a stored value at a revision (resourceVersion set).
std::string served_json(const ResourceScope& scope, std::string_view stored, uint64_t revision);
Result<Json> served_object(const ResourceScope& scope, std::string_view stored, uint64_t revision);
// What goes into the store for an object of the resource.
std::string stored_value(const ResourceScope& scope, const Json& obj);
// Tells the watch caches fed from the resource's prefix that `value`, encoded from `stored` (the
// object in its stored shape), is about to be written under `key` (WatchCache::expect_write).
void announce_write(const ResourceScope& scope, const std::string& key, const std::string& value,
                    const Json& stored);

// ---- Responses -------------------------------------------------------------------------------

// The response for one object's JSON text (resourceVersion already set) in the negotiated form:
// JSON as is, YAML, a one-row Table or PartialObjectMetadata.
Result<Response> object_response(RestRequest& r, int status, std::string json);
// Adds the request's Warning headers.
void add_warnings(const RestRequest& r, Response& response);

// ---- Reading (rest_read.cc) -------------------------------------------------------------------

Result<Response> handle_get(RestCore& core, RestRequest& r);
Result<Response> handle_list(RestCore& core, RestRequest& r);
// Reads the current object (quorum read). NotFound in Kubernetes' words.
Result<store::KeyValue> get_current(RestCore& core, const ResourceScope& scope, std::string_view ns,
                                    std::string_view name);

// ---- Watching (rest_watch.cc) -----------------------------------------------------------------

// Starts a watch stream; responds itself (errors before the stream starts are returned).
Result<void> handle_watch(RestCore& core, RestRequest& r);

// ---- Writing (rest_create.cc, rest_update.cc, rest_patch.cc, rest_delete.cc) -----------------

// A decoded request body checked against its endpoint: apiVersion and kind, strict field
// validation per the request's fieldValidation.
Result<Json> decode_body(RestRequest& r, const api::GroupVersionKind& expected,
                         const api::SchemaType* schema, FieldValidation validation);
// Removes the members validate_fields reported as unknown: Go's decoder drops them.
void drop_unknown_fields(Json& obj, const std::vector<std::string>& unknown_paths);

Result<Response> handle_create(RestCore& core, RestRequest& r);
Result<Response> handle_update(RestCore& core, RestRequest& r);
Result<Response> handle_patch(RestCore& core, RestRequest& r);
Result<Response> handle_delete(RestCore& core, RestRequest& r);
Result<Response> handle_delete_collection(RestCore& core, RestRequest& r);

// Creates `obj` as the REST create path does after decoding: namespace defaulting and checks,
// admission (namespace lifecycle), BeforeCreate, validation, allocation, the store write (with
// generateName retries). Returns the created object's JSON with its resourceVersion.
Result<std::string> create_object(RestCore& core, const ResourceScope& scope,
                                  std::string_view request_ns, Json obj,
                                  const WriteOptions& options, bool manages_fields = false);

// How an update computes the new object from the current one.
using UpdatedObjectFn = std::function<Result<Json>(const Json& current)>;

struct UpdateOutcome {
  std::string json;      // the stored object (with resourceVersion), or the deleted one
  bool deleted = false;  // emptied finalizers on a deleting object removed it
  bool created = false;  // an apply created it
};

// ValidateObjectMeta(Update) with the type's rules, then the strategy's own type-specific
// validation.
FieldErrors validate_for_create(const api::ResourceType& type, const Json& obj);
FieldErrors validate_for_update(const api::ResourceType& type, const Json& obj, const Json& old);

// Kubernetes' Store.Update over guaranteed_update: computes the new object, applies BeforeUpdate
// (metadata rules, the status/main split for `subresource` "status" or "", the strategy's
// prepare_for_update, generation), validates, re-checks the resourceVersion precondition the new
// object carries, deletes instead when the last finalizer of a deleting object went, and writes
// nothing for a no-op. Retries on conflicts with a fresh read. NotFound when the object does not
// exist. managedFields are kept up to date for options.manager unless `fn` already did (apply).
Result<UpdateOutcome> update_object(RestCore& core, const ResourceScope& scope, std::string_view ns,
                                    std::string_view name, std::string_view subresource,
                                    const UpdatedObjectFn& fn, const WriteOptions& options,
                                    bool fn_manages_fields = false);

// Deletes one object as Store.Delete does (preconditions, graceful deletion, finalizers and
// propagation policy); returns the response body (the object, or a Success Status).
Result<Json> delete_object(RestCore& core, const ResourceScope& scope, std::string_view ns,
                           std::string_view name, DeleteOptions options);

// ---- Subresources (subresources.cc) -----------------------------------------------------------

Result<Response> handle_scale(RestCore& core, RestRequest& r);
Result<Response> handle_binding(RestCore& core, RestRequest& r);
Result<Response> handle_eviction(RestCore& core, RestRequest& r);

// ---- Namespaces (namespace_lifecycle.cc) ------------------------------------------------------

// The NamespaceLifecycle admission check for creating an object in `ns`: NotFound
// (`namespaces "x" not found`) if it does not exist, Forbidden if it is terminating.
Result<void> admit_create_in_namespace(RestCore& core, const ResourceScope& scope,
                                       std::string_view ns, std::string_view name);
// Namespace deletion: marks it Terminating (deletionTimestamp, status.phase), or deletes it when
// nothing is left to finalize.
Result<Json> delete_namespace(RestCore& core, const ResourceScope& scope, std::string_view name,
                              const DeleteOptions& options);
// The namespaces Kubernetes will not delete (default, kube-system, kube-public).
bool is_immortal_namespace(std::string_view name);

}  // namespace bosun::apiserver
