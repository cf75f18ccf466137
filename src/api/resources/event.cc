// Events: the core/v1 and events.k8s.io/v1 strategies (pkg/registry/core/event,
// pkg/apis/core/validation/events.go), the conversion between the two shapes (they share storage
// in Kubernetes) and printEvent.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "api/object_meta.h"
#include "api/resources/human_duration.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

// Field names of events.k8s.io/v1 and the core/v1 fields they convert to.
constexpr std::pair<std::string_view, std::string_view> kRenamed[] = {
    {"regarding", "involvedObject"},
    {"note", "message"},
    {"deprecatedSource", "source"},
    {"deprecatedFirstTimestamp", "firstTimestamp"},
    {"deprecatedLastTimestamp", "lastTimestamp"},
    {"deprecatedCount", "count"},
    {"reportingController", "reportingComponent"},
};

// pkg/apis/core/validation/events.go limits.
constexpr size_t kReportingInstanceLengthLimit = 128;
constexpr size_t kActionLengthLimit = 128;
constexpr size_t kReasonLengthLimit = 128;
constexpr size_t kNoteLengthLimit = 1024;

Json rename(const Json& event, bool to_core) {
  if (!event.is_object()) return event;
  Json out = Json::object();
  for (auto it = event.begin(); it != event.end(); ++it) {
    std::string key = it.key();
    for (auto [v1, core] : kRenamed) {
      if (to_core && key == v1) key = core;
      if (!to_core && key == core) key = v1;
    }
    out[key] = *it;
  }
  if (to_core) {
    out["apiVersion"] = "v1";
  } else {
    out["apiVersion"] = "events.k8s.io/v1";
  }
  return out;
}

// A metav1.Time / MicroTime counts as set when it is a non-empty string.
bool time_set(const Json& obj, std::string_view key) { return !get_string(obj, key).empty(); }

// Core Event structs Kubernetes always serialises (involvedObject, source) and zero times it
// prints as null.
void default_core_event(Json& ev) {
  if (!ev.is_object()) return;
  set_default(ev, "involvedObject", Json::object());
  set_default(ev, "source", Json::object());
  for (const char* t : {"firstTimestamp", "lastTimestamp", "eventTime"}) {
    if (!ev.contains(t)) ev[t] = nullptr;
  }
  set_default(ev, "reportingComponent", "");
  set_default(ev, "reportingInstance", "");
}

void default_v1_event(Json& ev) {
  if (!ev.is_object()) return;
  set_default(ev, "regarding", Json::object());
  set_default(ev, "deprecatedSource", Json::object());
  for (const char* t : {"deprecatedFirstTimestamp", "deprecatedLastTimestamp", "eventTime"}) {
    if (!ev.contains(t)) ev[t] = nullptr;
  }
}

void length_limit(const Json& ev, std::string_view key, size_t limit, FieldErrors& errs) {
  if (get_string(ev, key).size() > limit) {
    errs.invalid(std::string(key), "", fmt::format("can have at most {} characters", limit));
  }
}

// legacyValidateEvent over the core shape; paths are the core (internal) field names, also for
// events.k8s.io requests, as Kubernetes validates its internal type.
FieldErrors legacy_validate(const Json& ev) {
  FieldErrors errs;
  std::string_view ns = namespace_of(ev);
  const Json& involved = get_object(ev, "involvedObject");
  std::string_view involved_ns = get_string(involved, "namespace");
  if (!time_set(ev, "eventTime")) {
    // Old clients: the event lives in its object's namespace ("default" for cluster objects).
    bool ok = involved_ns.empty() ? (ns.empty() || ns == "default") : ns == involved_ns;
    if (!ok) {
      errs.invalid("involvedObject.namespace", std::string(involved_ns),
                   "does not match event.namespace");
    }
  } else {
    if (involved_ns.empty() && ns != "default" && ns != "kube-system") {
      errs.invalid("involvedObject.namespace", std::string(involved_ns),
                   "does not match event.namespace");
    }
    std::string_view controller = get_string(ev, "reportingComponent");
    if (controller.empty()) errs.required("reportingController");
    for (auto& m : is_qualified_name(controller)) {
      errs.invalid("reportingController", std::string(controller), std::move(m));
    }
    if (get_string(ev, "reportingInstance").empty()) errs.required("reportingInstance");
    length_limit(ev, "reportingInstance", kReportingInstanceLengthLimit, errs);
    if (get_string(ev, "action").empty()) errs.required("action");
    length_limit(ev, "action", kActionLengthLimit, errs);
    if (get_string(ev, "reason").empty()) errs.required("reason");
    length_limit(ev, "reason", kReasonLengthLimit, errs);
    length_limit(ev, "message", kNoteLengthLimit, errs);
  }
  for (auto& m : is_dns1123_subdomain(ns)) errs.invalid("namespace", std::string(ns), std::move(m));
  return errs;
}

void validate_series(const Json& ev, FieldErrors& errs) {
  const Json* series = get(ev, "series");
  if (series == nullptr) return;
  if (get_int(*series, "count").value_or(0) < 2) {
    errs.invalid("series.count", "", "should be at least 2");
  }
  if (!time_set(*series, "lastObservedTime")) errs.required("series.lastObservedTime");
}

// ValidateEventCreate for events.k8s.io/v1 (ObjectMeta is the API server's).
FieldErrors strict_validate_create(const Json& v1_event) {
  Json ev = event_v1_to_core(v1_event);
  FieldErrors errs = legacy_validate(ev);
  validate_kube_finalizer_names(ev, errs);
  validate_series(ev, errs);
  if (!time_set(ev, "eventTime")) errs.required("eventTime");
  std::string_view type = get_string(ev, "type");
  if (type != "Normal" && type != "Warning") {
    errs.invalid("type", "", fmt::format("has invalid value: {}", type));
  }
  for (const char* t : {"firstTimestamp", "lastTimestamp"}) {
    if (time_set(ev, t)) errs.invalid(t, "", "needs to be unset");
  }
  if (get_int(ev, "count").value_or(0) != 0) errs.invalid("count", "", "needs to be unset");
  const Json& source = get_object(ev, "source");
  if (!get_string(source, "component").empty() || !get_string(source, "host").empty()) {
    errs.invalid("source", "", "needs to be unset");
  }
  return errs;
}

FieldErrors strict_validate_update(const Json& v1_event, const Json& v1_old) {
  Json ev = event_v1_to_core(v1_event);
  Json old = event_v1_to_core(v1_old);
  FieldErrors errs = legacy_validate(ev);
  if (!semantic_equal(get_object(ev, "series"), get_object(old, "series")))
    validate_series(ev, errs);
  for (const char* key :
       {"involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count",
        "type", "eventTime", "action", "related", "reportingComponent", "reportingInstance"}) {
    std::string path = key;
    if (path == "reportingComponent") path = "reportingController";
    validate_immutable(get(ev, key), get(old, key), path, errs);
  }
  return errs;
}

std::vector<TableColumn> event_columns() {
  return {
      string_column("Last Seen",
                    "The time at which the most recent occurrence of this event was recorded."),
      string_column("Type",
                    "Type of this event (Normal, Warning), new types could be added in the future"),
      string_column("Reason",
                    "This should be a short, machine understandable string that gives the reason "
                    "for the transition into the object's current status."),
      string_column("Object", "The object that this event is about."),
      string_column("Subobject",
                    "If referring to a piece of an object instead of an entire object, this string "
                    "should contain a valid JSON/Go field access statement, such as "
                    "desiredState.manifest.containers[2]. For example, if the object reference is "
                    "to a container within a pod, this would take on a value like: "
                    "\"spec.containers{name}\" (where \"name\" refers to the name of the container "
                    "that triggered the event) or if no container name is specified "
                    "\"spec.containers[2]\" (container with index 2 in this pod). This syntax is "
                    "chosen only to have some well-defined way of referencing a part of an object.",
                    1),
      string_column("Source",
                    "The component reporting this event. Should be a short machine understandable "
                    "string.",
                    1),
      string_column("Message", "A human-readable description of the status of this operation."),
      string_column("First Seen",
                    "The time at which the event was first recorded. (Time of server receipt is in "
                    "TypeMeta.)",
                    1),
      string_column("Count", "The number of times this event has occurred.", 1),
      TableColumn{"Name", "string", "name", std::string(kNameColumnDescription), 1},
  };
}

std::string since(const Json& obj, std::string_view key,
                  std::chrono::system_clock::time_point now) {
  const Json* v = get(obj, key);
  return translate_timestamp_since(v != nullptr ? *v : Json(nullptr), now);
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

Json core_event_cells(const Json& ev, std::chrono::system_clock::time_point now) {
  std::string first = time_set(ev, "firstTimestamp") ? since(ev, "firstTimestamp", now)
                                                     : since(ev, "eventTime", now);
  std::string last = time_set(ev, "lastTimestamp") ? since(ev, "lastTimestamp", now) : first;
  int64_t count = get_int(ev, "count").value_or(0);
  if (const Json* series = get(ev, "series")) {
    last = since(*series, "lastObservedTime", now);
    count = get_int(*series, "count").value_or(0);
  } else if (count == 0) {
    // Singleton events of the new API carry no count.
    count = 1;
  }
  const Json& involved = get_object(ev, "involvedObject");
  std::string kind(get_string(involved, "kind"));
  std::transform(kind.begin(), kind.end(), kind.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  std::string_view obj_name = get_string(involved, "name");
  std::string target = obj_name.empty() ? kind : fmt::format("{}/{}", kind, obj_name);
  const Json& source = get_object(ev, "source");
  std::string_view component = get_string(source, "component");
  if (component.empty()) component = get_string(ev, "reportingComponent");
  std::string_view host = get_string(source, "host");
  if (host.empty()) host = get_string(ev, "reportingInstance");
  std::string src = host.empty() ? std::string(component) : fmt::format("{}, {}", component, host);
  return Json::array({last, std::string(get_string(ev, "type")),
                      std::string(get_string(ev, "reason")), target,
                      std::string(get_string(involved, "fieldPath")), src,
                      trim(get_string(ev, "message")), first, count, name_cell(ev)});
}

}  // namespace

Json event_v1_to_core(const Json& event) { return rename(event, true); }
Json event_core_to_v1(const Json& event) { return rename(event, false); }

void install_event(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_core_event;
  t.strategy.prepare_for_create = [](Json&) {};
  t.strategy.prepare_for_update = [](Json&, const Json&) {};
  // core/v1 keeps the legacy checks only, for backwards compatibility.
  t.strategy.validate_create = [](const Json& ev) {
    FieldErrors errs = legacy_validate(ev);
    validate_kube_finalizer_names(ev, errs);
    return errs;
  };
  t.strategy.validate_update = [](const Json& ev, const Json&) { return legacy_validate(ev); };
  t.strategy.table_columns = event_columns();
  t.strategy.table_cells = [c](const Json& ev) { return core_event_cells(ev, c->now()); };
}

void install_events_v1_event(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_v1_event;
  t.strategy.prepare_for_create = [](Json&) {};
  t.strategy.prepare_for_update = [](Json&, const Json&) {};
  t.strategy.validate_create = strict_validate_create;
  t.strategy.validate_update = strict_validate_update;
  t.strategy.table_columns = event_columns();
  t.strategy.table_cells = [c](const Json& ev) {
    return core_event_cells(event_v1_to_core(ev), c->now());
  };
}

}  // namespace bosun::api::resources
