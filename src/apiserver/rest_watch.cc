// GET with watch=true: a chunked stream of `{"type":...,"object":...}` lines from the resource's
// watch cache, in the negotiated form (JSON objects, one-row Tables, or PartialObjectMetadata).
#include <random>

#include <fmt/format.h>

#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"
#include "apiserver/table.h"
#include "common/thread_random.h"

namespace bosun::apiserver {

namespace {

// Kubernetes waits this long for a watch's resourceVersion to become current before answering
// "Too large resource version" (resourceVersionTooHighRetrySeconds' wait).
constexpr auto kFutureRevisionWait = std::chrono::seconds(3);

// Waits up to kFutureRevisionWait for the store to reach `revision`; "Too large resource version"
// if it does not.
Result<void> wait_until_committed(RestCore& core, uint64_t revision) {
  auto deadline = std::chrono::steady_clock::now() + kFutureRevisionWait;
  uint64_t current = core.store().current_revision();
  while (revision > current && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    current = core.store().current_revision();
  }
  if (revision > current) return too_large_resource_version_error(revision, current);
  return ok_result();
}

std::string bookmark_line(const api::ResourceType& type, uint64_t revision,
                          bool initial_events_end) {
  Json meta = {{"resourceVersion", std::to_string(revision)}, {"creationTimestamp", nullptr}};
  if (initial_events_end) meta["annotations"] = {{"k8s.io/initial-events-end", "true"}};
  Json obj = {{"kind", type.kind}, {"apiVersion", type.api_version()}, {"metadata", meta}};
  return "{\"type\":\"BOOKMARK\",\"object\":" + to_json(obj) + "}\n";
}

std::string event_line(std::string_view type, std::string_view object) {
  std::string out;
  out.reserve(object.size() + 32);
  out += "{\"type\":\"";
  out += type;
  out += "\",\"object\":";
  out += object;
  out += "}\n";
  return out;
}

// Plain JSON: the cached text as is.
class JsonEncoder final : public WatchEncoder {
 public:
  explicit JsonEncoder(const api::ResourceType& type) : type_(type) {}
  const std::string& form() const override { return form_; }
  bool needs_parsed() const override { return false; }
  std::string encode(const CachedObject& obj, const Json*) const override { return obj.json; }
  std::string frame(std::string_view type, const CachedObject&, std::string_view encoded,
                    bool) const override {
    return event_line(type, encoded);
  }
  std::string bookmark(uint64_t revision, bool end) const override {
    return bookmark_line(type_, revision, end);
  }

 private:
  const api::ResourceType& type_;
  const std::string form_ = "json";
};

// One-row Tables; the column definitions go with a watcher's first event only, as kubectl keeps
// the last ones it saw.
class TableEncoder final : public WatchEncoder {
 public:
  TableEncoder(const api::ResourceType& type, TableOptions options)
      : type_(type),
        options_(std::move(options)),
        form_(fmt::format("table/{}/{}", options_.meta_version,
                          static_cast<int>(options_.include_object))),
        frame_form_(form_ + (options_.no_headers ? "/no-headers" : "")),
        columns_(to_json(table_column_definitions(type))) {}
  const std::string& form() const override { return form_; }
  // Whether the first event carries the column definitions depends on noHeaders too.
  const std::string& frame_form() const override { return frame_form_; }
  bool needs_parsed() const override { return true; }
  std::string encode(const CachedObject& obj, const Json* parsed) const override {
    return table_row_text(type_, parsed ? *parsed : Json::object(), obj.json, options_);
  }
  std::string frame(std::string_view type, const CachedObject& obj, std::string_view encoded,
                    bool first) const override {
    Json meta = {{"resourceVersion", std::to_string(obj.revision)}};
    std::string rows = "[";
    rows += encoded;
    rows += "]";
    return event_line(type, table_json(options_.meta_version, meta,
                                       first && !options_.no_headers ? columns_ : "[]", rows));
  }
  std::string bookmark(uint64_t revision, bool end) const override {
    return bookmark_line(type_, revision, end);
  }

 private:
  const api::ResourceType& type_;
  const TableOptions options_;
  const std::string form_;
  const std::string frame_form_;
  const std::string columns_;
};

class PartialMetadataEncoder final : public WatchEncoder {
 public:
  PartialMetadataEncoder(const api::ResourceType& type, std::string version)
      : type_(type), version_(std::move(version)), form_("pom/" + version_) {}
  const std::string& form() const override { return form_; }
  bool needs_parsed() const override { return true; }
  std::string encode(const CachedObject&, const Json* parsed) const override {
    return to_json(partial_object_metadata(parsed ? *parsed : Json::object(), version_));
  }
  std::string frame(std::string_view type, const CachedObject&, std::string_view encoded,
                    bool) const override {
    return event_line(type, encoded);
  }
  std::string bookmark(uint64_t revision, bool end) const override {
    return bookmark_line(type_, revision, end);
  }

 private:
  const api::ResourceType& type_;
  const std::string version_;
  const std::string form_;
};

}  // namespace

Result<void> handle_watch(RestCore& core, RestRequest& r) {
  const ResourceScope& scope = *r.scope;
  if (scope.cache == nullptr) return method_not_allowed_error();
  BOSUN_ASSIGN_OR_RETURN(ListOptions o, parse_list_options(r.req().query, r.type()));

  WatchRequest w;
  w.filter.namespace_ = r.info.namespace_;
  w.filter.labels = o.label_selector;
  w.filter.fields = o.field_selector;
  if (!r.info.name.empty()) {
    // The deprecated /watch/namespaces/x/pods/name form watches one object.
    w.filter.fields = w.filter.fields.empty()
                          ? api::FieldSelector::one_term_equal("metadata.name", r.info.name)
                          : w.filter.fields;
  }
  w.filter.compile(r.type());
  w.allow_bookmarks = o.allow_watch_bookmarks;

  bool initial = o.resource_version.empty() || o.resource_version == "0";
  if (o.send_initial_events.has_value()) initial = *o.send_initial_events;
  w.send_initial_events_end = o.send_initial_events.value_or(false);
  if (initial) {
    w.send_initial_state = true;
    if (o.resource_version.empty()) {
      w.consistent = true;
    } else if (o.revision > 0) {
      // sendInitialEvents with NotOlderThan N: the initial state once the cache has reached N.
      BOSUN_RETURN_IF_ERROR(wait_until_committed(core, o.revision));
      w.min_revision = o.revision;
    }
  } else if (o.resource_version.empty() || o.resource_version == "0") {
    w.start_revision = scope.cache->revision();
  } else {
    // A revision from the future: wait briefly for it, then refuse as Kubernetes does.
    BOSUN_RETURN_IF_ERROR(wait_until_committed(core, o.revision));
    w.start_revision = o.revision;
  }

  std::chrono::seconds timeout;
  if (o.timeout_seconds && *o.timeout_seconds > 0) {
    timeout = std::chrono::seconds(*o.timeout_seconds);
  } else {
    // Without a timeout Kubernetes picks one between minRequestTimeout (30 min) and twice that,
    // so that watches spread over API servers.
    timeout =
        std::chrono::seconds(1800 + std::uniform_int_distribution<int>(0, 1799)(thread_random()));
  }
  w.timeout = timeout;

  switch (r.output.kind) {
    case OutputKind::kObject:
      w.encoder = std::make_shared<JsonEncoder>(r.type());
      break;
    case OutputKind::kTable: {
      BOSUN_ASSIGN_OR_RETURN(TableOptions topts,
                             parse_table_options(r.req().query, r.output.meta_version));
      w.encoder = std::make_shared<TableEncoder>(r.type(), std::move(topts));
      break;
    }
    case OutputKind::kPartialObjectMetadata:
      w.encoder = std::make_shared<PartialMetadataEncoder>(r.type(), r.output.meta_version);
      break;
  }
  StreamHead head;
  head.status = 200;
  head.content_type = "application/json";
  for (const std::string& warning : r.warnings) {
    head.headers.add("Warning", warning_header_value(warning));
  }
  w.stream = r.exchange->start_stream(std::move(head));
  scope.cache->watch(std::move(w));
  return ok_result();
}

}  // namespace bosun::apiserver
