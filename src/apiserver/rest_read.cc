// GET of one object and LIST of a collection, with Kubernetes' resourceVersion semantics: unset
// reads the store (a quorum read); "0" is served from the watch cache; N with NotOlderThan from the
// cache once it has reached N; N with Exact (or legacy: with a limit) from the store at revision N.
#include <fmt/format.h>

#include "api/decode.h"
#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"
#include "apiserver/table.h"
#include "store/continue_token.h"

namespace bosun::apiserver {

namespace {

// The store errors a list or get can return, in the API's words.
Error interpret_read_error(const ResourceScope& scope, std::string_view name, Error e) {
  if (e.code == ErrorCode::kNotFound) return not_found_error(scope.qualified_resource, name);
  return e;
}

struct ListItems {
  std::vector<std::string> items;  // JSON texts with resourceVersion
  uint64_t revision = 0;
  std::string continue_token;
  std::optional<int64_t> remaining;
};

bool has_selectors(const ListOptions& o) {
  return !o.label_selector.empty() || !o.field_selector.empty();
}

Result<ListItems> list_from_cache(const ResourceScope& scope, const std::string& prefix,
                                  const ObjectFilter& filter, const ListOptions& o) {
  WatchCache::Snapshot snap = scope.cache->list(prefix, filter);
  ListItems out;
  out.revision = snap.revision;
  size_t n = snap.items.size();
  if (o.limit > 0 && static_cast<size_t>(o.limit) < n) {
    n = static_cast<size_t>(o.limit);
    // The next page continues in the store at the snapshot's revision, as a cache page does.
    BOSUN_ASSIGN_OR_RETURN(out.continue_token, store::encode_continue_token(
                                                   snap.items[n - 1]->key + std::string(1, '\0'),
                                                   prefix, static_cast<int64_t>(snap.revision)));
    if (!has_selectors(o)) out.remaining = static_cast<int64_t>(snap.items.size() - n);
  }
  out.items.reserve(n);
  for (size_t i = 0; i < n; ++i) out.items.push_back(snap.items[i]->json);
  return out;
}

Result<ListItems> list_from_store(RestCore& core, const ResourceScope& scope,
                                  const std::string& prefix, const ObjectFilter& filter,
                                  const ListOptions& o, uint64_t exact_revision) {
  ListItems out;
  bool filtering = has_selectors(o);
  store::ListOptions lo;
  lo.limit = o.limit;
  lo.continue_token = o.continue_token;
  lo.revision = exact_revision;
  while (true) {
    BOSUN_ASSIGN_OR_RETURN(store::ListResult page, core.store().list(prefix, lo));
    out.revision = page.revision;
    for (store::KeyValue& kv : page.items) {
      if (filtering) {
        auto obj = make_cached_object(*scope.type, kv.key, kv.value, kv.mod_revision, nullptr,
                                      &scope.from_storage);
        if (!obj || !filter.matches(*obj)) continue;
        out.items.push_back(obj->json);
      } else {
        out.items.push_back(served_json(scope, kv.value, kv.mod_revision));
      }
    }
    out.continue_token = page.continue_token;
    if (!filtering) out.remaining = page.remaining_count;
    // With a selector, keep reading pages until the limit is met, as the etcd3 store does.
    if (page.continue_token.empty() || o.limit <= 0 || !filtering ||
        static_cast<int64_t>(out.items.size()) >= o.limit) {
      break;
    }
    lo.continue_token = page.continue_token;
    lo.revision = 0;
    lo.limit = o.limit - static_cast<int64_t>(out.items.size());
  }
  return out;
}

std::string list_metadata_json(const ListItems& items) {
  Json meta = Json::object();
  meta["resourceVersion"] = std::to_string(items.revision);
  if (!items.continue_token.empty()) meta["continue"] = items.continue_token;
  if (items.remaining) meta["remainingItemCount"] = *items.remaining;
  return to_json(meta);
}

Result<Response> list_response(RestRequest& r, ListItems items) {
  const api::ResourceType& type = r.type();
  Response resp;
  resp.content_type = r.output.content_type();
  std::string meta = list_metadata_json(items);
  switch (r.output.kind) {
    case OutputKind::kObject: {
      std::string body;
      size_t total = 0;
      for (const auto& i : items.items) total += i.size() + 1;
      body.reserve(total + 128);
      body += "{\"kind\":";
      body += to_json(type.list_kind);
      body += ",\"apiVersion\":";
      body += to_json(type.api_version());
      body += ",\"metadata\":";
      body += meta;
      body += ",\"items\":[";
      for (size_t i = 0; i < items.items.size(); ++i) {
        if (i) body += ',';
        body += items.items[i];
      }
      body += "]}";
      if (r.output.yaml) {
        resp.body = api::to_yaml(Json::parse(body, nullptr, false));
      } else if (r.req().query.get("pretty") == std::optional<std::string_view>("true")) {
        resp.body =
            Json::parse(body, nullptr, false).dump(4, ' ', false, Json::error_handler_t::replace);
      } else {
        resp.body = std::move(body);
      }
      break;
    }
    case OutputKind::kTable: {
      BOSUN_ASSIGN_OR_RETURN(TableOptions topts,
                             parse_table_options(r.req().query, r.output.meta_version));
      resp.body = render_table_texts(type, items.items, Json::parse(meta), topts);
      break;
    }
    case OutputKind::kPartialObjectMetadata: {
      Json list = {{"kind", "PartialObjectMetadataList"},
                   {"apiVersion", fmt::format("meta.k8s.io/{}", r.output.meta_version)},
                   {"metadata", Json::parse(meta)},
                   {"items", Json::array()}};
      for (const auto& i : items.items) {
        list["items"].push_back(
            partial_object_metadata(Json::parse(i, nullptr, false), r.output.meta_version));
      }
      resp.body = to_json(list);
      break;
    }
  }
  add_warnings(r, resp);
  return resp;
}

}  // namespace

Result<store::KeyValue> get_current(RestCore& core, const ResourceScope& scope, std::string_view ns,
                                    std::string_view name) {
  auto kv = core.store().get(object_key(scope.prefix, ns, name));
  if (!kv.ok()) return interpret_read_error(scope, name, std::move(kv).error());
  return kv;
}

Result<Response> handle_get(RestCore& core, RestRequest& r) {
  const ResourceScope& scope = *r.scope;
  const std::string& name = r.info.name;
  std::string rv(r.req().query.get("resourceVersion").value_or(""));
  std::string json;
  bool from_cache = false;
  if (!rv.empty() && scope.cache) {
    // "0" is any version (the cache's); N is not older than N: the cache once it has reached N.
    uint64_t want = 0;
    if (rv != "0") want = std::strtoull(rv.c_str(), nullptr, 10);
    auto [obj, revision] = scope.cache->get(object_key(scope.prefix, r.info.namespace_, name));
    if (rv == "0" || revision >= want) {
      if (!obj) return not_found_error(scope.qualified_resource, name);
      json = obj->json;
      from_cache = true;
    }
  }
  if (!from_cache) {
    BOSUN_ASSIGN_OR_RETURN(store::KeyValue kv, get_current(core, scope, r.info.namespace_, name));
    json = served_json(scope, kv.value, kv.mod_revision);
  }
  return object_response(r, 200, std::move(json));
}

Result<Response> handle_list(RestCore& core, RestRequest& r) {
  const ResourceScope& scope = *r.scope;
  BOSUN_ASSIGN_OR_RETURN(ListOptions o, parse_list_options(r.req().query, r.type()));
  ObjectFilter filter;
  filter.namespace_ = r.info.namespace_;
  filter.labels = o.label_selector;
  filter.fields = o.field_selector;
  filter.compile(r.type());
  std::string prefix = collection_prefix(scope.prefix, r.info.namespace_);

  enum class Source { kCache, kStoreLatest, kStoreExact } source = Source::kStoreLatest;
  if (!o.continue_token.empty()) {
    source = Source::kStoreLatest;
  } else if (o.resource_version == "0") {
    source = Source::kCache;
  } else if (!o.resource_version.empty()) {
    bool exact = o.match == ResourceVersionMatch::kExact ||
                 (o.match == ResourceVersionMatch::kUnset && o.limit > 0);
    if (exact) {
      source = Source::kStoreExact;
    } else if (scope.cache && scope.cache->revision() >= o.revision) {
      source = Source::kCache;
    } else {
      uint64_t current = core.store().current_revision();
      if (o.revision > current) return too_large_resource_version_error(o.revision, current);
      source = Source::kStoreLatest;
    }
  }
  if (source == Source::kCache && !scope.cache) source = Source::kStoreLatest;

  Result<ListItems> items = source == Source::kCache
                                ? list_from_cache(scope, prefix, filter, o)
                                : list_from_store(core, scope, prefix, filter, o,
                                                  source == Source::kStoreExact ? o.revision : 0);
  if (!items.ok()) {
    Error e = std::move(items).error();
    if (e.code == ErrorCode::kGone && !o.continue_token.empty()) {
      // Kubernetes hands back a token that continues at the newest revision with the 410.
      Json status = status_json_with_details(e);
      if (auto token = store::inconsistent_continue_token(o.continue_token, prefix); token.ok()) {
        status["metadata"]["continue"] = *token;
      }
      Response resp;
      resp.status = 410;
      resp.body = to_json(status);
      return resp;
    }
    return e;
  }
  return list_response(r, std::move(items).value());
}

}  // namespace bosun::apiserver
