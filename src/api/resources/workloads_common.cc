#include "api/resources/workloads_common.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "api/label_selector.h"
#include "api/labels.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "api/resources/pod_spec.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/strategy_util.h"
#include "api/validation.h"

namespace bosun::api::resources::workloads {

// ---- Tolerant reads -----------------------------------------------------------------------------

const Json* member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

const Json* member(const Json* obj, std::string_view key) {
  return obj ? member(*obj, key) : nullptr;
}

std::string_view str(const Json* v) {
  return v && v->is_string() ? std::string_view(v->get_ref<const std::string&>())
                             : std::string_view();
}

std::optional<int64_t> integer(const Json* v) {
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) {
    double d = v->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
      return static_cast<int64_t>(d);
    }
  }
  return std::nullopt;
}

bool is_set(const Json* v) { return v && !v->is_null(); }

bool blank(const Json* v) { return !is_set(v) || (v->is_string() && v->empty()); }

bool non_empty(const Json* v) { return v && (v->is_object() || v->is_array()) && !v->empty(); }

Json& object_member(Json& obj, std::string_view key) {
  Json& v = obj[std::string(key)];
  if (!v.is_object()) v = Json::object();
  return v;
}

std::string at_index(std::string_view path, size_t i) { return fmt::format("{}[{}]", path, i); }

std::string at_key(std::string_view path, std::string_view key) {
  return fmt::format("{}[{}]", path, key);
}

namespace {

bool empty_value(const Json* v) {
  return !v || v->is_null() || ((v->is_object() || v->is_array()) && v->empty());
}

}  // namespace

bool semantically_equal(const Json* a, const Json* b) {
  if (empty_value(a) || empty_value(b)) return empty_value(a) && empty_value(b);
  if (a->is_number() && b->is_number()) {
    if (a->is_number_float() || b->is_number_float()) return a->get<double>() == b->get<double>();
    if (a->is_number_unsigned() || b->is_number_unsigned()) {
      return a->get<uint64_t>() == b->get<uint64_t>() &&
             (a->get<int64_t>() >= 0) == (b->get<int64_t>() >= 0);
    }
    return a->get<int64_t>() == b->get<int64_t>();
  }
  if (a->type() != b->type()) return false;
  if (a->is_object()) {
    for (const auto& [k, v] : a->items()) {
      if (!semantically_equal(&v, member(*b, k))) return false;
    }
    for (const auto& [k, v] : b->items()) {
      if (!a->contains(k) && !empty_value(&v)) return false;
    }
    return true;
  }
  if (a->is_array()) {
    if (a->size() != b->size()) return false;
    for (size_t i = 0; i < a->size(); ++i) {
      if (!semantically_equal(&(*a)[i], &(*b)[i])) return false;
    }
    return true;
  }
  return *a == *b;
}

// ---- Go's %#v -----------------------------------------------------------------------------------

std::string go_string_map(const Json* labels) {
  if (!labels || !labels->is_object()) return "map[string]string(nil)";
  std::string out = "map[string]string{";
  bool first = true;
  for (const auto& [k, v] : labels->items()) {
    if (!first) out += ", ";
    first = false;
    out += go_quote(k);
    out += ':';
    out += go_quote(v.is_string() ? v.get_ref<const std::string&>() : v.dump());
  }
  return out + "}";
}

std::string go_string_slice(const Json* list) {
  if (!list || !list->is_array()) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < list->size(); ++i) {
    if (i) out += ", ";
    const Json& v = (*list)[i];
    out += go_quote(v.is_string() ? v.get_ref<const std::string&>() : v.dump());
  }
  return out + "}";
}

std::string go_label_selector(const Json& selector) {
  std::string out = "v1.LabelSelector{MatchLabels:";
  out += go_string_map(member(selector, "matchLabels"));
  out += ", MatchExpressions:";
  const Json* exprs = member(selector, "matchExpressions");
  if (!exprs || !exprs->is_array()) {
    out += "[]v1.LabelSelectorRequirement(nil)";
  } else {
    out += "[]v1.LabelSelectorRequirement{";
    for (size_t i = 0; i < exprs->size(); ++i) {
      const Json& e = (*exprs)[i];
      if (i) out += ", ";
      out += fmt::format("v1.LabelSelectorRequirement{{Key:{}, Operator:{}, Values:{}}}",
                         go_quote(str(member(e, "key"))), go_quote(str(member(e, "operator"))),
                         go_string_slice(member(e, "values")));
    }
    out += "}";
  }
  return out + "}";
}

void invalid_go(FieldErrors& errs, std::string field, const std::string& go_value,
                std::string_view detail) {
  // FieldError prints JSON values; a Go struct or map is not one, so the rendered value travels in
  // the detail with the value itself omitted. The text comes out as field.Invalid words it.
  FieldError e;
  e.type = FieldErrorType::kInvalid;
  e.field = std::move(field);
  e.omit_value = true;
  e.detail = detail.empty() ? go_value : go_value + ": " + std::string(detail);
  errs.add(std::move(e));
}

void duplicate_go(FieldErrors& errs, std::string field, const std::string& go_value) {
  FieldError e;
  e.type = FieldErrorType::kDuplicate;
  e.field = std::move(field);
  e.omit_value = true;
  e.detail = go_value;
  errs.add(std::move(e));
}

void keep_from_old(Json& obj, const Json& old, std::string_view key) {
  if (!obj.is_object()) return;
  if (const Json* v = member(old, key)) {
    obj[std::string(key)] = *v;
  } else {
    obj.erase(std::string(key));
  }
}

void keep_metadata_from_old(Json& obj, const Json& old, std::string_view key) {
  if (!obj.is_object()) return;
  keep_from_old(object_member(obj, "metadata"), member(old, "metadata") ? old["metadata"] : Json(),
                key);
}

void validate_replica_status(FieldErrors& errs, const Json* status,
                             std::initializer_list<std::string_view> nonnegative,
                             std::initializer_list<std::string_view> counts) {
  for (std::string_view f : nonnegative) {
    check_nonnegative(errs, member(status, f), "status." + std::string(f));
  }
  int64_t replicas = int_or_zero(member(status, "replicas"));
  for (std::string_view f : counts) {
    if (int64_t n = int_or_zero(member(status, f)); n > replicas) {
      errs.invalid("status." + std::string(f), n, "cannot be greater than status.replicas");
    }
  }
  int64_t available = int_or_zero(member(status, "availableReplicas"));
  if (available > int_or_zero(member(status, "readyReplicas"))) {
    errs.invalid("status.availableReplicas", available, "cannot be greater than readyReplicas");
  }
}

void check_nonnegative(FieldErrors& errs, const Json* value, const std::string& field) {
  std::optional<int64_t> v = integer(value);
  if (v && *v < 0) errs.invalid(field, *v, std::string(kNegative));
}

// ---- Resource lists -----------------------------------------------------------------------------

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

bool one_of(std::string_view s, std::initializer_list<std::string_view> set) {
  for (std::string_view x : set) {
    if (s == x) return true;
  }
  return false;
}

// hugepages-<size> and requests.hugepages-<size>, as quota names them.
bool is_quota_huge_page_resource(std::string_view name) {
  return starts_with(name, "hugepages-") || starts_with(name, "requests.hugepages-");
}

}  // namespace

bool is_native_resource(std::string_view name) {
  return name.find('/') == std::string_view::npos ||
         name.find("kubernetes.io/") != std::string_view::npos;
}

bool is_huge_page_resource(std::string_view name) { return starts_with(name, "hugepages-"); }

bool is_extended_resource(std::string_view name) {
  if (is_native_resource(name) || starts_with(name, "requests.")) return false;
  // The quota form "requests.<name>" must itself be a qualified name.
  return qualified_name_ok("requests." + std::string(name));
}

bool is_overcommit_allowed(std::string_view name) {
  return is_native_resource(name) && !is_huge_page_resource(name);
}

bool is_standard_resource(std::string_view name) {
  return one_of(name, {"cpu",
                       "memory",
                       "ephemeral-storage",
                       "requests.cpu",
                       "requests.memory",
                       "requests.ephemeral-storage",
                       "limits.cpu",
                       "limits.memory",
                       "limits.ephemeral-storage",
                       "pods",
                       "resourcequotas",
                       "services",
                       "replicationcontrollers",
                       "secrets",
                       "configmaps",
                       "persistentvolumeclaims",
                       "storage",
                       "requests.storage",
                       "services.nodeports",
                       "services.loadbalancers"}) ||
         is_quota_huge_page_resource(name);
}

bool is_standard_container_resource(std::string_view name) {
  return one_of(name, {"cpu", "memory", "ephemeral-storage"}) || is_huge_page_resource(name);
}

bool is_standard_quota_resource(std::string_view name) {
  return one_of(name, {"cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
                       "requests.storage", "requests.ephemeral-storage", "limits.cpu",
                       "limits.memory", "limits.ephemeral-storage", "pods", "resourcequotas",
                       "services", "replicationcontrollers", "secrets", "persistentvolumeclaims",
                       "configmaps", "services.nodeports", "services.loadbalancers"}) ||
         is_quota_huge_page_resource(name);
}

bool is_integer_resource(std::string_view name) {
  return one_of(name, {"pods", "resourcequotas", "services", "replicationcontrollers", "secrets",
                       "configmaps", "persistentvolumeclaims", "services.nodeports",
                       "services.loadbalancers"}) ||
         is_extended_resource(name);
}

void validate_resource_name(FieldErrors& errs, std::string_view name, const std::string& field) {
  std::vector<std::string> msgs = is_qualified_name(name);
  if (!msgs.empty()) {
    for (auto& m : msgs) errs.invalid(field, name, std::move(m));
    return;
  }
  if (name.find('/') == std::string_view::npos && !is_standard_resource(name)) {
    errs.invalid(field, name, "must be a standard resource type or fully qualified");
  }
}

void validate_container_resource_name(FieldErrors& errs, std::string_view name,
                                      const std::string& field) {
  validate_resource_name(errs, name, field);
  if (name.find('/') == std::string_view::npos) {
    if (!is_standard_container_resource(name)) {
      errs.invalid(field, name, "must be a standard resource for containers");
    }
  } else if (!is_native_resource(name) && !is_extended_resource(name)) {
    errs.invalid(field, name, "doesn't follow extended resource name standard");
  }
}

void validate_resource_quantity(FieldErrors& errs, std::string_view resource, const Json& q,
                                const std::string& field) {
  Result<Quantity> parsed = Quantity::from_json(q);
  if (!parsed.ok()) {
    errs.invalid(field, q, parsed.error().message);
    return;
  }
  if (parsed->sign() < 0) {
    errs.invalid(field, parsed->to_string(), std::string(kNegative));
  }
  if (is_integer_resource(resource) && parsed->milli_value() % 1000 != 0) {
    errs.invalid(field, parsed->to_string(), "must be an integer");
  }
}

void schema_defaults(Json& obj, std::string_view group, std::string_view kind) {
  apply_schema_defaults(obj, group, "v1", kind);
}

// ---- Persistent volumes and claims --------------------------------------------------------------

void validate_access_modes(FieldErrors& errs, const Json* modes, const std::string& path) {
  if (!modes || !modes->is_array()) return;
  bool once_pod = false;
  bool other = false;
  for (const Json& m : *modes) {
    std::string_view mode = str(&m);
    bool supported = mode == "ReadWriteOnce" || mode == "ReadOnlyMany" || mode == "ReadWriteMany" ||
                     mode == "ReadWriteOncePod";
    if (!supported) {
      errs.not_supported(path, m,
                         {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"});
    }
    if (mode == "ReadWriteOncePod") {
      once_pod = true;
    } else if (supported) {
      other = true;
    }
  }
  if (once_pod && other) {
    errs.forbidden(path, "may not use ReadWriteOncePod with other access modes");
  }
}

std::string access_modes_string(const Json* modes) {
  auto has = [&](std::string_view mode) {
    if (!modes || !modes->is_array()) return false;
    for (const Json& m : *modes) {
      if (str(&m) == mode) return true;
    }
    return false;
  };
  static constexpr std::pair<std::string_view, std::string_view> kModes[] = {
      {"ReadWriteOnce", "RWO"},
      {"ReadOnlyMany", "ROX"},
      {"ReadWriteMany", "RWX"},
      {"ReadWriteOncePod", "RWOP"}};
  std::string out;
  for (auto [mode, abbrev] : kModes) {
    if (!has(mode)) continue;
    if (!out.empty()) out += ',';
    out += abbrev;
  }
  return out;
}

std::string storage_class_of(const Json& obj) {
  if (const Json* beta = member(member(member(obj, "metadata"), "annotations"),
                                "volume.beta.kubernetes.io/storage-class")) {
    return std::string(str(beta));
  }
  return std::string(str(member(member(obj, "spec"), "storageClassName")));
}

// ---- Pod templates ------------------------------------------------------------------------------

void default_pod_template(Json& spec_template) {
  if (!spec_template.is_object()) return;
  Json& meta = object_member(spec_template, "metadata");
  if (!meta.contains("creationTimestamp")) meta["creationTimestamp"] = nullptr;
  default_pod_template_spec(spec_template);
}

void validate_controller_template(FieldErrors& errs, const Json* spec_template,
                                  std::optional<bool> selector_matches, std::string_view kind,
                                  const std::string& path) {
  if (!is_set(spec_template)) {
    errs.required(path);
    return;
  }
  const Json* labels = member(member(spec_template, "metadata"), "labels");
  if (selector_matches && !*selector_matches) {
    invalid_go(errs, path + ".metadata.labels", go_string_map(labels),
               "`selector` does not match template `labels`");
  }
  validate_pod_template_spec(*spec_template, path, errs);
  const Json* spec = member(spec_template, "spec");
  std::string_view restart = str(member(spec, "restartPolicy"));
  if (restart != "Always") {
    errs.not_supported(path + ".spec.restartPolicy", restart, {"Always"});
  }
  if (is_set(member(spec, "activeDeadlineSeconds"))) {
    errs.forbidden(path + ".spec.activeDeadlineSeconds",
                   fmt::format("activeDeadlineSeconds in {} is not Supported", kind));
  }
}

void validate_selector_and_template(FieldErrors& errs, const Json* spec, std::string_view kind) {
  const Json* selector = member(spec, "selector");
  if (!is_set(selector)) {
    errs.required("spec.selector");
  } else {
    errs.append(validate_label_selector(*selector, "spec.selector"));
    size_t n = 0;
    if (const Json* ml = member(selector, "matchLabels"); ml && ml->is_object()) n += ml->size();
    if (const Json* me = member(selector, "matchExpressions"); me && me->is_array())
      n += me->size();
    if (n == 0) {
      // Kubernetes says "deployment" here for ReplicaSets too.
      invalid_go(errs, "spec.selector", go_label_selector(*selector),
                 "empty selector is invalid for deployment");
    }
  }
  const Json* tmpl = member(spec, "template");
  Result<LabelSelector> parsed = LabelSelector::from_json(selector ? *selector : Json());
  if (!parsed.ok()) {
    invalid_go(errs, "spec.selector", selector ? go_label_selector(*selector) : "null",
               "invalid label selector");
    return;
  }
  std::optional<bool> matches;
  if (!parsed->empty()) {
    const Json* labels = member(member(tmpl, "metadata"), "labels");
    matches = parsed->matches(labels ? *labels : Json());
  }
  validate_controller_template(errs, tmpl, matches, kind == "Deployment" ? "ReplicaSet" : kind,
                               "spec.template");
}

std::string go_int_or_string(const Json* v) {
  if (v && v->is_string()) {
    return fmt::format("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{}}}",
                       go_quote(v->get_ref<const std::string&>()));
  }
  return fmt::format("intstr.IntOrString{{Type:0, IntVal:{}, StrVal:\"\"}}", int_or_zero(v));
}

// ---- Tables -------------------------------------------------------------------------------------

std::pair<std::string, std::string> container_cells(const Json* pod_spec) {
  std::string names;
  std::string images;
  const Json* containers = member(pod_spec, "containers");
  if (!containers || !containers->is_array()) return {names, images};
  for (size_t i = 0; i < containers->size(); ++i) {
    if (i) {
      names += ',';
      images += ',';
    }
    names += str(member((*containers)[i], "name"));
    images += str(member((*containers)[i], "image"));
  }
  return {names, images};
}

std::string format_labels(const Json* labels) {
  std::string out;
  if (labels && labels->is_object()) {
    for (const auto& [k, v] : labels->items()) {
      if (!out.empty()) out += ',';
      out += k;
      out += '=';
      out += v.is_string() ? v.get_ref<const std::string&>() : v.dump();
    }
  }
  return out.empty() ? "<none>" : out;
}

int64_t int_or_zero(const Json* v) { return integer(v).value_or(0); }

FieldErrors internal_error(const std::exception& e) {
  FieldErrors errs;
  errs.add({FieldErrorType::kInternal, "", nullptr, e.what(), true});
  return errs;
}

}  // namespace bosun::api::resources::workloads

namespace bosun::api::resources {

using namespace workloads;

Json scale_of(const Json& obj) {
  const Json* meta = member(obj, "metadata");
  Json scale_meta = Json::object();
  for (const char* key : {"name", "namespace", "uid", "resourceVersion", "creationTimestamp"}) {
    if (const Json* v = member(meta, key); is_set(v)) scale_meta[key] = *v;
  }
  const Json* spec = member(obj, "spec");
  const Json* selector = member(spec, "selector");
  std::string selector_text;
  if (str(member(obj, "kind")) == "ReplicationController" ||
      (selector && selector->is_object() && !selector->contains("matchLabels") &&
       !selector->contains("matchExpressions") && !selector->empty())) {
    // A ReplicationController's selector is a plain label map.
    Labels set;
    if (selector && selector->is_object()) {
      for (const auto& [k, v] : selector->items()) set.emplace(k, std::string(str(&v)));
    }
    selector_text = LabelSelector::from_set(set).to_string();
  } else {
    Result<LabelSelector> parsed = LabelSelector::from_json(selector ? *selector : Json());
    if (parsed.ok()) selector_text = parsed->to_string();
  }
  Json scale = {{"kind", "Scale"},
                {"apiVersion", "autoscaling/v1"},
                {"metadata", scale_meta},
                {"spec", Json::object()},
                {"status", {{"replicas", int_or_zero(member(member(obj, "status"), "replicas"))}}}};
  // autoscaling/v1 omits zero replicas from the spec and an empty selector from the status.
  if (int64_t replicas = int_or_zero(member(spec, "replicas")); replicas != 0) {
    scale["spec"]["replicas"] = replicas;
  }
  if (!selector_text.empty()) scale["status"]["selector"] = selector_text;
  return scale;
}

FieldErrors apply_scale(Json& obj, const Json& scale) {
  FieldErrors errs;
  int64_t replicas = int_or_zero(member(member(scale, "spec"), "replicas"));
  if (replicas < 0) {
    errs.invalid("spec.replicas", replicas, std::string(kNegative));
    return errs;
  }
  if (obj.is_object()) object_member(obj, "spec")["replicas"] = replicas;
  return errs;
}

void install_workloads(ResourceRegistry& registry, const Clock& clock) {
  struct Entry {
    const char* group;
    const char* plural;
    void (*install)(ResourceType&, const Clock&);
  };
  static constexpr Entry kEntries[] = {
      {"", "services", install_service},
      {"", "replicationcontrollers", install_replication_controller},
      {"", "resourcequotas", install_resource_quota},
      {"", "limitranges", install_limit_range},
      {"", "persistentvolumes", install_persistent_volume},
      {"", "persistentvolumeclaims", install_persistent_volume_claim},
      {"apps", "replicasets", install_replica_set},
      {"apps", "deployments", install_deployment},
  };
  for (const Entry& e : kEntries) {
    if (ResourceType* t = registry.find_mutable(e.group, "v1", e.plural)) e.install(*t, clock);
  }
}

}  // namespace bosun::api::resources
