#include "apiserver/rest_core.h"

#include <fmt/format.h>

#include "api/decode.h"
#include "api/object_meta.h"
#include "api/resources/resources_workloads.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/service_allocator.h"
#include "apiserver/table.h"

namespace bosun::apiserver {

namespace {

// The resources whose REST storage sets ReturnDeletedObject: their deletes answer with the object.
bool returns_deleted_object(const api::ResourceType& t) {
  if (!t.group.empty()) return false;
  return t.plural == "pods" || t.plural == "namespaces" || t.plural == "serviceaccounts" ||
         t.plural == "services";
}

// The registry strategies of status-like subresources (pkg/registry/*/strategy.go's
// StatusStrategy and FinalizeStrategy).
void add_subresource_strategies(ResourceScope& s, const Clock& clock) {
  namespace res = api::resources;
  const api::ResourceType& t = *s.type;
  auto is = [&](std::string_view group, std::string_view plural) {
    return t.group == group && t.plural == plural;
  };
  if (is("", "pods")) s.subresource_strategies["status"] = res::pod_status_strategy();
  if (is("", "nodes")) s.subresource_strategies["status"] = res::node_status_strategy();
  if (is("", "namespaces")) {
    s.subresource_strategies["status"] = res::namespace_status_strategy();
    s.subresource_strategies["finalize"] = res::namespace_finalize_strategy();
  }
  if (is("", "services")) s.subresource_strategies["status"] = res::service_status_strategy();
  if (is("", "replicationcontrollers")) {
    s.subresource_strategies["status"] = res::replication_controller_status_strategy();
  }
  if (is("", "resourcequotas")) {
    s.subresource_strategies["status"] = res::resource_quota_status_strategy();
  }
  if (is("", "persistentvolumes")) {
    s.subresource_strategies["status"] = res::persistent_volume_status_strategy(clock);
  }
  if (is("", "persistentvolumeclaims")) {
    s.subresource_strategies["status"] = res::persistent_volume_claim_status_strategy();
  }
  if (is("apps", "deployments"))
    s.subresource_strategies["status"] = res::deployment_status_strategy();
  if (is("apps", "replicasets"))
    s.subresource_strategies["status"] = res::replica_set_status_strategy();
}

std::string internal_package(std::string_view group) {
  if (group.empty() || group == "events.k8s.io") return "core";
  return std::string(group.substr(0, group.find('.')));
}

}  // namespace

RestCore::RestCore(store::Store& store, std::shared_ptr<const api::ResourceRegistry> registry,
                   Clock& clock, MetricsRegistry& metrics)
    : store_(store), registry_(std::move(registry)), clock_(clock), metrics_(metrics) {
  for (const api::ResourceType& t : registry_->all()) {
    auto s = std::make_unique<ResourceScope>();
    s->type = &t;
    s->prefix = resource_prefix(t, *registry_);
    s->qualified_resource = qualified_resource(t.group, t.plural);
    s->qualified_kind = qualified_kind(t.group, t.kind);
    s->internal_package = internal_package(t.group);
    s->has_status = t.subresource("status") != nullptr;
    s->return_deleted_object = returns_deleted_object(t);
    s->field_manager = std::make_unique<api::FieldManager>(t.schema, t.gvk(), "");
    if (s->has_status) {
      s->status_field_manager = std::make_unique<api::FieldManager>(t.schema, t.gvk(), "status");
    }
    if (t.subresource("scale") != nullptr) {
      s->scale_field_manager = std::make_unique<api::FieldManager>(t.schema, t.gvk(), "scale");
    }
    add_subresource_strategies(*s, clock_);
    if (t.group == "events.k8s.io" && t.plural == "events") {
      // Kubernetes stores events.k8s.io/v1 Events as core/v1 ones: both APIs see every event.
      s->from_storage = [](const Json& o) { return api::resources::event_core_to_v1(o); };
      s->to_storage = [](const Json& o) { return api::resources::event_v1_to_core(o); };
    }
    by_gvr_.emplace(fmt::format("{}/{}/{}", t.group, t.version, t.plural), s.get());
    scopes_.push_back(std::move(s));
  }
}

RestCore::~RestCore() { stop_watch_caches(); }

const ResourceScope* RestCore::scope(std::string_view group, std::string_view version,
                                     std::string_view resource) const {
  auto it = by_gvr_.find(fmt::format("{}/{}/{}", group, version, resource));
  return it == by_gvr_.end() ? nullptr : it->second;
}

const ResourceScope* RestCore::scope_of_kind(std::string_view group, std::string_view kind) const {
  for (const auto& s : scopes_) {
    if (s->type->group == group && s->type->kind == kind) return s.get();
  }
  return nullptr;
}

bool RestCore::serves_group_version(std::string_view group, std::string_view version) const {
  for (const auto& s : scopes_) {
    if (s->type->group == group && s->type->version == version) return true;
  }
  return false;
}

Result<void> RestCore::start_watch_caches(const WatchCacheOptions& options) {
  for (const auto& s : scopes_) {
    // Create-only resources (bindings) have nothing to list or watch.
    if (!s->type->has_verb("watch")) continue;
    BOSUN_ASSIGN_OR_RETURN(auto cache, WatchCache::start(store_, *s->type, s->prefix, clock_,
                                                         metrics_, options, s->from_storage));
    s->cache = cache.get();
    caches_.push_back(std::move(cache));
  }
  for (const auto& s : scopes_) {
    for (const auto& other : scopes_) {
      if (other->cache && other->prefix == s->prefix) s->storage_caches.push_back(other->cache);
    }
  }
  return ok_result();
}

void RestCore::stop_watch_caches() {
  for (const auto& s : scopes_) {
    s->cache = nullptr;
    s->storage_caches.clear();
  }
  caches_.clear();
}

void RestCore::set_service_allocator(std::unique_ptr<ServiceAllocator> allocator) {
  service_allocator_ = std::move(allocator);
}

std::string served_json(const ResourceScope& scope, std::string_view stored, uint64_t revision) {
  if (!scope.from_storage) return with_resource_version(stored, revision);
  Json obj = parse_trusted(stored);
  if (!obj.is_object()) return with_resource_version(stored, revision);
  obj = scope.from_storage(obj);
  api::set_resource_version(obj, revision);
  return to_json(obj);
}

Result<Json> served_object(const ResourceScope& scope, std::string_view stored, uint64_t revision) {
  BOSUN_ASSIGN_OR_RETURN(Json obj, decode_stored(stored, revision));
  if (!scope.from_storage) return obj;
  Json out = scope.from_storage(obj);
  api::set_resource_version(out, revision);
  return out;
}

std::string stored_value(const ResourceScope& scope, const Json& obj) {
  if (!scope.to_storage) return encode_for_storage(obj);
  return encode_for_storage(scope.to_storage(obj));
}

void announce_write(const ResourceScope& scope, const std::string& key, const std::string& value,
                    const Json& stored) {
  for (WatchCache* cache : scope.storage_caches) cache->expect_write(key, value, stored);
}

void add_warnings(const RestRequest& r, Response& response) {
  for (const std::string& w : r.warnings) response.headers.add("Warning", warning_header_value(w));
}

Result<Response> object_response(RestRequest& r, int status, std::string json) {
  Response resp;
  resp.status = status;
  resp.content_type = r.output.content_type();
  switch (r.output.kind) {
    case OutputKind::kObject:
      if (r.output.yaml) {
        resp.body = api::to_yaml(Json::parse(json, nullptr, false));
      } else if (r.req().query.get("pretty") == std::optional<std::string_view>("true")) {
        resp.body =
            Json::parse(json, nullptr, false).dump(4, ' ', false, Json::error_handler_t::replace);
      } else {
        resp.body = std::move(json);
      }
      break;
    case OutputKind::kTable: {
      BOSUN_ASSIGN_OR_RETURN(TableOptions topts,
                             parse_table_options(r.req().query, r.output.meta_version));
      Json obj = Json::parse(json, nullptr, false);
      Json meta = Json::object();
      if (auto rv = api::resource_version(obj); !rv.empty()) meta["resourceVersion"] = rv;
      std::vector<const Json*> objs = {&obj};
      resp.body = render_table(r.type(), objs, meta, topts);
      break;
    }
    case OutputKind::kPartialObjectMetadata:
      resp.body = to_json(
          partial_object_metadata(Json::parse(json, nullptr, false), r.output.meta_version));
      break;
  }
  add_warnings(r, resp);
  return resp;
}

}  // namespace bosun::apiserver
