// PodSpec defaulting and the QoS class: see pod_spec.h.
#include <cctype>

#include "api/quantity.h"
#include "api/resources/pod_spec.h"
#include "api/resources/strategy_util.h"
#include "api/schema.h"

namespace bosun::api::resources {
namespace {

// v1.DefaultTerminationGracePeriodSeconds, v1.DefaultSchedulerName, the volume file modes
// (0644) and the token projection's default lifetime (one hour).
constexpr int64_t kDefaultTerminationGracePeriodSeconds = 30;
constexpr std::string_view kDefaultSchedulerName = "default-scheduler";
constexpr int64_t kDefaultVolumeMode = 0644;
constexpr int64_t kDefaultTokenExpirationSeconds = 3600;

const SchemaType* pod_spec_type() {
  static const SchemaType* const kType =
      SchemaSet::global().find(std::string_view("io.k8s.api.core.v1.PodSpec"));
  return kType;
}

// SetDefaults_HTTPGetAction.
void default_http_get(Json& handler) {
  Json* http = handler.is_object() && handler.contains("httpGet") ? &handler["httpGet"] : nullptr;
  if (http == nullptr || !http->is_object()) return;
  set_default_string(*http, "path", "/");
  set_default_string(*http, "scheme", "HTTP");
}

// SetDefaults_Probe: zero timings take Kubernetes' values.
void default_probe(Json& probe) {
  if (!probe.is_object()) return;
  auto zero_to = [&](const char* key, int64_t value) {
    auto v = get_int(probe, key);
    if (!v || *v == 0) probe[key] = value;
  };
  zero_to("timeoutSeconds", 1);
  zero_to("periodSeconds", 10);
  zero_to("successThreshold", 1);
  zero_to("failureThreshold", 3);
  default_http_get(probe);
}

// SetDefaults_ObjectFieldSelector.
void default_field_ref(Json& holder) {
  if (!holder.is_object()) return;
  auto it = holder.find("fieldRef");
  if (it != holder.end() && it->is_object()) set_default_string(*it, "apiVersion", "v1");
}

// A ResourceFieldSelector's divisor is a Quantity struct, which Kubernetes always serialises.
void default_resource_field_ref(Json& holder) {
  if (!holder.is_object()) return;
  auto it = holder.find("resourceFieldRef");
  if (it != holder.end() && it->is_object()) set_default(*it, "divisor", "0");
}

void default_container(Json& c) {
  if (!c.is_object()) return;
  // SetDefaults_Container.
  if (get_string(c, "imagePullPolicy").empty()) {
    c["imagePullPolicy"] = std::string(default_image_pull_policy(get_string(c, "image")));
  }
  set_default_string(c, "terminationMessagePath", "/dev/termination-log");
  set_default_string(c, "terminationMessagePolicy", "File");
  // ResourceRequirements is a struct, not a pointer: it is always serialised, `{}` when empty.
  set_default(c, "resources", Json::object());
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (c.contains(probe)) default_probe(c[probe]);
  }
  if (Json* lc = c.contains("lifecycle") ? &c["lifecycle"] : nullptr; lc && lc->is_object()) {
    for (const char* h : {"postStart", "preStop"}) {
      if (lc->contains(h)) default_http_get((*lc)[h]);
    }
  }
  if (c.contains("env") && c["env"].is_array()) {
    for (Json& e : c["env"]) {
      if (e.is_object() && e.contains("valueFrom")) {
        default_field_ref(e["valueFrom"]);
        default_resource_field_ref(e["valueFrom"]);
      }
    }
  }
}

void default_downward_items(Json& source) {
  if (!source.is_object() || !source.contains("items") || !source["items"].is_array()) return;
  for (Json& item : source["items"]) {
    default_field_ref(item);
    default_resource_field_ref(item);
  }
}

// The fields of a Volume that are not its VolumeSource.
bool is_volume_source_key(std::string_view key) { return key != "name"; }

void default_volume(Json& v) {
  if (!v.is_object()) return;
  // SetDefaults_Volume: a volume that names no source is an emptyDir.
  bool has_source = false;
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (is_volume_source_key(it.key()) && !it->is_null()) has_source = true;
  }
  if (!has_source) v["emptyDir"] = Json::object();
  for (const char* key : {"secret", "configMap", "downwardAPI", "projected"}) {
    auto it = v.find(key);
    if (it != v.end() && it->is_object()) set_default(*it, "defaultMode", kDefaultVolumeMode);
  }
  if (auto it = v.find("hostPath"); it != v.end() && it->is_object()) {
    set_default(*it, "type", "");
  }
  if (auto it = v.find("downwardAPI"); it != v.end()) default_downward_items(*it);
  if (auto it = v.find("projected"); it != v.end() && it->is_object()) {
    if (auto st = it->find("sources"); st != it->end() && st->is_array()) {
      for (Json& src : *st) {
        if (!src.is_object()) continue;
        if (auto d = src.find("downwardAPI"); d != src.end()) default_downward_items(*d);
        if (auto t = src.find("serviceAccountToken"); t != src.end() && t->is_object()) {
          set_default(*t, "expirationSeconds", kDefaultTokenExpirationSeconds);
        }
      }
    }
  }
  if (const Json* tmpl_spec = get_path(v, {"ephemeral", "volumeClaimTemplate", "spec"})) {
    (void)tmpl_spec;
    Json& spec = v["ephemeral"]["volumeClaimTemplate"]["spec"];
    if (spec.is_object()) set_default(spec, "volumeMode", "Filesystem");  // PVC spec default
  }
}

void for_each_container(Json& spec, const char* key, void (*fn)(Json&)) {
  auto it = spec.find(key);
  if (it == spec.end() || !it->is_array()) return;
  for (Json& c : *it) fn(c);
}

bool is_lower_path(std::string_view s) {
  for (char c : s) {
    if (c >= 'A' && c <= 'Z') return false;
  }
  return true;
}

}  // namespace

std::string_view default_image_pull_policy(std::string_view image) {
  constexpr std::string_view kAlways = "Always";
  constexpr std::string_view kIfNotPresent = "IfNotPresent";
  // parsers.ParseImageName: a reference that does not parse yields no tag, hence IfNotPresent.
  if (image.empty()) return kIfNotPresent;
  for (char c : image) {
    if (std::isspace(static_cast<unsigned char>(c))) return kIfNotPresent;
  }
  std::string_view name = image;
  bool digest = false;
  if (size_t at = name.find('@'); at != std::string_view::npos) {
    digest = true;
    name = name.substr(0, at);
  }
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  std::string_view tag;
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = name.substr(colon + 1);
    name = name.substr(0, colon);
  }
  // The repository path (everything after a registry host) must be lower case.
  std::string_view path = name;
  if (size_t first = name.find('/'); first != std::string_view::npos) {
    std::string_view domain = name.substr(0, first);
    if (domain.find_first_of(".:") != std::string_view::npos || domain == "localhost") {
      path = name.substr(first + 1);
    }
  }
  if (path.empty() || !is_lower_path(path)) return kIfNotPresent;
  if (tag.empty()) return digest ? kIfNotPresent : kAlways;
  return tag == "latest" ? kAlways : kIfNotPresent;
}

void default_pod_spec(Json& spec) {
  if (!spec.is_object()) return;
  // SetDefaults_PodSpec.
  set_default_string(spec, "dnsPolicy", "ClusterFirst");
  set_default_string(spec, "restartPolicy", "Always");
  set_default(spec, "securityContext", Json::object());
  set_default(spec, "terminationGracePeriodSeconds", kDefaultTerminationGracePeriodSeconds);
  set_default_string(spec, "schedulerName", kDefaultSchedulerName);
  for_each_container(spec, "initContainers", default_container);
  for_each_container(spec, "containers", default_container);
  for_each_container(spec, "ephemeralContainers", default_container);
  for_each_container(spec, "volumes", default_volume);
  // The declarative defaults (port protocol, reference names, grpc service, ...) and canonical
  // quantities.
  if (const SchemaType* t = pod_spec_type()) apply_schema_defaults(spec, *t);
}

void default_pod_only_fields(Json& spec) {
  if (!spec.is_object()) return;
  // SetDefaults_Pod: a container that sets limits but not requests requests its limits. Only
  // Pods get this (not templates), so that a Deployment's stored template stays as written.
  for (const char* list : {"containers", "initContainers"}) {
    auto it = spec.find(list);
    if (it == spec.end() || !it->is_array()) continue;
    for (Json& c : *it) {
      if (!c.is_object()) continue;
      const Json* limits = get_path(c, {"resources", "limits"});
      if (limits == nullptr || !limits->is_object()) continue;
      Json& res = c["resources"];
      Json& requests = ensure_object(res, "requests");
      for (auto& [k, v] : limits->items()) {
        if (!requests.contains(k)) requests[k] = v;
      }
    }
  }
  set_default(spec, "enableServiceLinks", true);
  if (get_bool(spec, "hostNetwork")) {
    for (const char* list : {"containers", "initContainers"}) {
      auto it = spec.find(list);
      if (it == spec.end() || !it->is_array()) continue;
      for (Json& c : *it) {
        if (!c.is_object() || !c.contains("ports") || !c["ports"].is_array()) continue;
        for (Json& p : c["ports"]) {
          if (!p.is_object()) continue;
          auto hp = get_int(p, "hostPort");
          if (!hp || *hp == 0) {
            if (auto cp = get_int(p, "containerPort")) p["hostPort"] = *cp;
          }
        }
      }
    }
  }
}

void default_pod_template_spec(Json& pod_template) {
  if (!pod_template.is_object()) return;
  auto it = pod_template.find("spec");
  if (it != pod_template.end() && it->is_object()) default_pod_spec(*it);
}

bool is_restartable_init_container(const Json& container) {
  return get_string(container, "restartPolicy") == "Always";
}

std::string_view compute_pod_qos(const Json& spec) {
  // Sums of the positive cpu and memory requests and limits over all containers.
  Quantity req_cpu, req_mem, lim_cpu, lim_mem;
  bool has_req_cpu = false, has_req_mem = false, has_lim_cpu = false, has_lim_mem = false;
  bool guaranteed = true;
  const Quantity zero;
  for (const char* list : {"containers", "initContainers"}) {
    for (const Json& c : get_array(spec, list)) {
      const Json& res = get_object(c, "resources");
      for (auto& [name, q] : get_object(res, "requests").items()) {
        if (name != "cpu" && name != "memory") continue;
        auto v = Quantity::from_json(q);
        if (!v.ok() || v->cmp(zero) <= 0) continue;
        if (name == "cpu") {
          req_cpu += *v;
          has_req_cpu = true;
        } else {
          req_mem += *v;
          has_req_mem = true;
        }
      }
      bool found_cpu = false, found_mem = false;
      for (auto& [name, q] : get_object(res, "limits").items()) {
        if (name != "cpu" && name != "memory") continue;
        auto v = Quantity::from_json(q);
        if (!v.ok() || v->cmp(zero) <= 0) continue;
        if (name == "cpu") {
          lim_cpu += *v;
          has_lim_cpu = found_cpu = true;
        } else {
          lim_mem += *v;
          has_lim_mem = found_mem = true;
        }
      }
      if (!found_cpu || !found_mem) guaranteed = false;
    }
  }
  if (!has_req_cpu && !has_req_mem && !has_lim_cpu && !has_lim_mem) return "BestEffort";
  if (guaranteed) {
    if (has_req_cpu && (!has_lim_cpu || lim_cpu != req_cpu)) guaranteed = false;
    if (has_req_mem && (!has_lim_mem || lim_mem != req_mem)) guaranteed = false;
  }
  int n_req = int(has_req_cpu) + int(has_req_mem);
  int n_lim = int(has_lim_cpu) + int(has_lim_mem);
  if (guaranteed && n_req == n_lim) return "Guaranteed";
  return "Burstable";
}

}  // namespace bosun::api::resources
