#include "api/registry.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include <fmt/format.h>

#include "api/validation.h"
#include "common/check.h"

namespace bosun::api {

// ---- Name validators
// ---------------------------------------------------------------------------------------

namespace {

// apimachinery's maskTrailingDash: generateName may end in '-', so the last two characters are
// replaced by one letter before the DNS check (upstream's exact, slightly odd, rule).
std::string mask_trailing_dash(std::string_view name) {
  if (name.size() > 1 && name.back() == '-')
    return std::string(name.substr(0, name.size() - 2)) + "a";
  return std::string(name);
}

}  // namespace

std::vector<std::string> name_is_dns_subdomain(std::string_view name, bool prefix) {
  return prefix ? is_dns1123_subdomain(mask_trailing_dash(name)) : is_dns1123_subdomain(name);
}

std::vector<std::string> name_is_dns_label(std::string_view name, bool prefix) {
  return prefix ? is_dns1123_label(mask_trailing_dash(name)) : is_dns1123_label(name);
}

std::vector<std::string> name_is_dns1035_label(std::string_view name, bool prefix) {
  return prefix ? is_dns1035_label(mask_trailing_dash(name)) : is_dns1035_label(name);
}

std::vector<std::string> validate_path_segment_name(std::string_view name, bool prefix) {
  // path.ValidatePathSegmentName: a prefix is only checked for forbidden characters.
  std::vector<std::string> errors;
  if (!prefix) {
    for (std::string_view bad : {".", ".."}) {
      if (name == bad) return {fmt::format("may not be '{}'", bad)};
    }
  }
  for (std::string_view bad : {"/", "%"}) {
    if (name.find(bad) != std::string_view::npos)
      errors.push_back(fmt::format("may not contain '{}'", bad));
  }
  return errors;
}

// ---- ResourceType
// ------------------------------------------------------------------------------------------

bool ResourceType::has_verb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

const Subresource* ResourceType::subresource(std::string_view name) const {
  for (const Subresource& s : subresources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

Result<std::string> ResourceType::convert_field_label(std::string_view label) const {
  if (field_labels.empty()) {
    // runtime.DefaultMetaV1FieldSelectorConversion.
    if (label == "metadata.name" || label == "metadata.namespace") return std::string(label);
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("{} is not a known field selector: only {}, {}", go_quote(label),
                                  go_quote("metadata.name"), go_quote("metadata.namespace")));
  }
  for (const FieldLabel& f : field_labels) {
    if (f.label == label) return f.canonical;
  }
  return make_error(ErrorCode::kBadRequest, fmt::format("field label not supported: {}", label));
}

std::string ResourceType::field_value(const Json& obj, std::string_view canonical_label) const {
  const SelectableField* field = nullptr;
  for (const SelectableField& f : selectable_fields) {
    if (f.label == canonical_label) {
      field = &f;
      break;
    }
  }
  if (field == nullptr) return "";
  const Json* v = &obj;
  std::string_view path = field->path;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view seg = path.substr(0, dot);
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
    if (!v->is_object()) return field->default_value;
    auto it = v->find(seg);
    if (it == v->end()) return field->default_value;
    v = &*it;
  }
  if (v->is_null()) return field->default_value;
  if (v->is_string()) return v->get<std::string>();
  if (v->is_boolean()) return v->get<bool>() ? "true" : "false";
  return v->dump();
}

// ---- ResourceRegistry
// --------------------------------------------------------------------------------------

void ResourceRegistry::add(ResourceType type) {
  BOSUN_CHECK(find(type.group, type.version, type.plural) == nullptr, "resource declared twice");
  BOSUN_CHECK(find_kind(type.group, type.kind) == nullptr, "kind declared twice in one group");
  types_.push_back(std::move(type));
}

const ResourceType* ResourceRegistry::find(std::string_view group, std::string_view version,
                                           std::string_view plural) const {
  for (const ResourceType& t : types_) {
    if (t.plural == plural && t.group == group && t.version == version) return &t;
  }
  return nullptr;
}

ResourceType* ResourceRegistry::find_mutable(std::string_view group, std::string_view version,
                                             std::string_view plural) {
  return const_cast<ResourceType*>(std::as_const(*this).find(group, version, plural));
}

const ResourceType* ResourceRegistry::find_kind(std::string_view group,
                                                std::string_view kind) const {
  for (const ResourceType& t : types_) {
    if (t.kind == kind && t.group == group) return &t;
  }
  return nullptr;
}

namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const ResourceType* ResourceRegistry::find_by_name(std::string_view name) const {
  std::string_view resource = name;
  std::optional<std::string_view> group;
  if (size_t dot = name.find('.'); dot != std::string_view::npos) {
    resource = name.substr(0, dot);
    group = name.substr(dot + 1);
  }
  // kubectl's RESTMapper tries the plural first, then the singular, short names and the kind;
  // within one kind of match the core group wins.
  using Match = bool (*)(const ResourceType&, std::string_view);
  const Match matchers[] = {
      [](const ResourceType& t, std::string_view n) { return iequals(t.plural, n); },
      [](const ResourceType& t, std::string_view n) { return iequals(t.singular, n); },
      [](const ResourceType& t, std::string_view n) {
        return std::any_of(t.short_names.begin(), t.short_names.end(),
                           [&](const std::string& s) { return iequals(s, n); });
      },
      [](const ResourceType& t, std::string_view n) { return iequals(t.kind, n); },
  };
  for (Match match : matchers) {
    const ResourceType* found = nullptr;
    for (const ResourceType& t : types_) {
      if (group && t.group != *group) continue;
      if (!match(t, resource)) continue;
      if (t.group.empty()) return &t;
      if (found == nullptr) found = &t;
    }
    if (found != nullptr) return found;
  }
  return nullptr;
}

// ---- The builtin declarations
// ------------------------------------------------------------------------------

namespace {

const std::vector<std::string> kStandardVerbs = {"create", "delete", "deletecollection", "get",
                                                 "list",   "patch",  "update",           "watch"};

ResourceStrategy default_strategy(NameValidator validate_name) {
  ResourceStrategy s;
  s.default_fields = [](Json&) {};
  s.prepare_for_create = [](Json&) {};
  s.prepare_for_update = [](Json&, const Json&) {};
  s.validate_create = [](const Json&) { return FieldErrors(); };
  s.validate_update = [](const Json&, const Json&) { return FieldErrors(); };
  s.validate_name = std::move(validate_name);
  // Kubernetes' DefaultTableConvertor: the name and the creation time.
  s.table_columns = {
      {"Name", "string", "name", "Name must be unique within a namespace.", 0},
      {"Created At", "date", "", "CreationTimestamp is a timestamp of when the object was created.",
       0},
  };
  s.table_cells = [](const Json& obj) {
    Json cells = Json::array();
    const Json* meta = obj.is_object() && obj.contains("metadata") ? &obj["metadata"] : nullptr;
    auto get = [&](const char* key) {
      return meta && meta->is_object() && meta->contains(key) ? (*meta)[key] : Json(nullptr);
    };
    cells.push_back(get("name"));
    cells.push_back(get("creationTimestamp"));
    return cells;
  };
  return s;
}

const SchemaType* schema_of(std::string_view group, std::string_view version,
                            std::string_view kind) {
  const SchemaType* t = SchemaSet::global().find(group, version, kind);
  BOSUN_CHECK(t != nullptr, "a registry entry names a kind the schema texts do not declare");
  return t;
}

ResourceType resource(std::string group, std::string kind, std::string plural, std::string singular,
                      bool namespaced, NameValidator validate_name = name_is_dns_subdomain) {
  ResourceType t;
  t.group = std::move(group);
  t.version = "v1";
  t.kind = std::move(kind);
  t.list_kind = t.kind + "List";
  t.plural = std::move(plural);
  t.singular = std::move(singular);
  t.namespaced = namespaced;
  t.verbs = kStandardVerbs;
  t.schema = schema_of(t.group, t.version, t.kind);
  t.strategy = default_strategy(std::move(validate_name));
  // AddObjectMetaFieldsSet: every kind selects on its name, and namespaced kinds on their
  // namespace.
  t.selectable_fields.push_back({"metadata.name", "metadata.name", ""});
  if (namespaced) t.selectable_fields.push_back({"metadata.namespace", "metadata.namespace", ""});
  return t;
}

Subresource status_of(const ResourceType& t) {
  return {"status", t.gvk(), {"get", "patch", "update"}, t.schema};
}

Subresource scale() {
  return {"scale",
          {"autoscaling", "v1", "Scale"},
          {"get", "patch", "update"},
          schema_of("autoscaling", "v1", "Scale")};
}

Subresource connect(std::string name, std::string kind, std::vector<std::string> verbs) {
  return {std::move(name), {"", "v1", std::move(kind)}, std::move(verbs), nullptr};
}

const std::vector<std::string> kProxyVerbs = {"create", "delete", "get", "patch", "update"};

// The labels a kind's conversion function accepts, each mapped to itself.
std::vector<FieldLabel> identity_labels(std::initializer_list<const char*> labels) {
  std::vector<FieldLabel> out;
  for (const char* l : labels) out.push_back({l, l});
  return out;
}

void add_core(ResourceRegistry& r) {
  {
    ResourceType t = resource("", "Namespace", "namespaces", "namespace", false, name_is_dns_label);
    t.short_names = {"ns"};
    // Namespaces are deleted one by one, through the namespace controller; there is no
    // deletecollection.
    t.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    t.subresources = {status_of(t), {"finalize", t.gvk(), {"update"}, t.schema}};
    t.field_labels = identity_labels({"status.phase", "metadata.name"});
    t.selectable_fields.push_back({"status.phase", "status.phase", ""});
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "Pod", "pods", "pod", true);
    t.short_names = {"po"};
    t.categories = {"all"};
    t.subresources = {
        status_of(t),
        {"binding", {"", "v1", "Binding"}, {"create"}, schema_of("", "v1", "Binding")},
        {"eviction",
         {"policy", "v1", "Eviction"},
         {"create"},
         schema_of("policy", "v1", "Eviction")},
        {"ephemeralcontainers", t.gvk(), {"get", "patch", "update"}, t.schema},
        connect("log", "Pod", {"get"}),
        connect("exec", "PodExecOptions", {"create", "get"}),
        connect("attach", "PodAttachOptions", {"create", "get"}),
        connect("portforward", "PodPortForwardOptions", {"create", "get"}),
        connect("proxy", "PodProxyOptions", kProxyVerbs),
    };
    t.field_labels = identity_labels({"metadata.name", "metadata.namespace", "spec.nodeName",
                                      "spec.restartPolicy", "spec.schedulerName",
                                      "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                                      "status.podIP", "status.podIPs", "status.nominatedNodeName"});
    // Old v1 clients sent spec.host; Kubernetes still maps it.
    t.field_labels.push_back({"spec.host", "spec.nodeName"});
    for (const char* f :
         {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
          "status.phase", "status.podIP", "status.nominatedNodeName"}) {
      t.selectable_fields.push_back({f, f, ""});
    }
    t.selectable_fields.push_back({"spec.hostNetwork", "spec.hostNetwork", "false"});
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "Binding", "bindings", "binding", true);
    t.list_kind.clear();
    t.verbs = {"create"};
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "Service", "services", "service", true, name_is_dns1035_label);
    t.short_names = {"svc"};
    t.categories = {"all"};
    t.subresources = {status_of(t), connect("proxy", "ServiceProxyOptions", kProxyVerbs)};
    t.field_labels =
        identity_labels({"metadata.namespace", "metadata.name", "spec.clusterIP", "spec.type"});
    t.selectable_fields.push_back({"spec.clusterIP", "spec.clusterIP", ""});
    t.selectable_fields.push_back({"spec.type", "spec.type", ""});
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "Endpoints", "endpoints", "endpoints", true);
    t.short_names = {"ep"};
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "Node", "nodes", "node", false);
    t.short_names = {"no"};
    t.subresources = {status_of(t), connect("proxy", "NodeProxyOptions", kProxyVerbs)};
    t.field_labels = identity_labels({"metadata.name", "spec.unschedulable"});
    t.selectable_fields.push_back({"spec.unschedulable", "spec.unschedulable", "false"});
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "Event", "events", "event", true);
    t.short_names = {"ev"};
    t.field_labels = identity_labels({"involvedObject.kind", "involvedObject.namespace",
                                      "involvedObject.name", "involvedObject.uid",
                                      "involvedObject.apiVersion", "involvedObject.resourceVersion",
                                      "involvedObject.fieldPath", "reason", "reportingComponent",
                                      "source", "type", "metadata.namespace", "metadata.name"});
    for (const char* f :
         {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
          "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
          "involvedObject.fieldPath", "reason", "reportingComponent", "type"}) {
      t.selectable_fields.push_back({f, f, ""});
    }
    t.selectable_fields.push_back({"source", "source.component", ""});
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "ConfigMap", "configmaps", "configmap", true);
    t.short_names = {"cm"};
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "Secret", "secrets", "secret", true);
    t.field_labels = identity_labels({"type", "metadata.namespace", "metadata.name"});
    t.selectable_fields.push_back({"type", "type", ""});
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "ServiceAccount", "serviceaccounts", "serviceaccount", true);
    t.short_names = {"sa"};
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "ReplicationController", "replicationcontrollers",
                              "replicationcontroller", true);
    t.short_names = {"rc"};
    t.categories = {"all"};
    t.subresources = {status_of(t), scale()};
    t.field_labels = identity_labels({"metadata.name", "metadata.namespace", "status.replicas"});
    t.selectable_fields.push_back({"status.replicas", "status.replicas", "0"});
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "ResourceQuota", "resourcequotas", "resourcequota", true);
    t.short_names = {"quota"};
    t.subresources = {status_of(t)};
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "LimitRange", "limitranges", "limitrange", true);
    t.short_names = {"limits"};
    r.add(std::move(t));
  }
  {
    ResourceType t =
        resource("", "PersistentVolume", "persistentvolumes", "persistentvolume", false);
    t.short_names = {"pv"};
    t.subresources = {status_of(t)};
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("", "PersistentVolumeClaim", "persistentvolumeclaims",
                              "persistentvolumeclaim", true);
    t.short_names = {"pvc"};
    t.subresources = {status_of(t)};
    r.add(std::move(t));
  }
}

void add_groups(ResourceRegistry& r) {
  {
    ResourceType t = resource("apps", "Deployment", "deployments", "deployment", true);
    t.short_names = {"deploy"};
    t.categories = {"all"};
    t.subresources = {status_of(t), scale()};
    r.add(std::move(t));
  }
  {
    ResourceType t = resource("apps", "ReplicaSet", "replicasets", "replicaset", true);
    t.short_names = {"rs"};
    t.categories = {"all"};
    t.subresources = {status_of(t), scale()};
    t.field_labels = identity_labels({"metadata.name", "metadata.namespace", "status.replicas"});
    t.selectable_fields.push_back({"status.replicas", "status.replicas", "0"});
    r.add(std::move(t));
  }
  r.add(resource("coordination.k8s.io", "Lease", "leases", "lease", true));
  r.add(resource("discovery.k8s.io", "EndpointSlice", "endpointslices", "endpointslice", true));
  r.add(resource("rbac.authorization.k8s.io", "Role", "roles", "role", true,
                 validate_path_segment_name));
  r.add(resource("rbac.authorization.k8s.io", "RoleBinding", "rolebindings", "rolebinding", true,
                 validate_path_segment_name));
  r.add(resource("rbac.authorization.k8s.io", "ClusterRole", "clusterroles", "clusterrole", false,
                 validate_path_segment_name));
  r.add(resource("rbac.authorization.k8s.io", "ClusterRoleBinding", "clusterrolebindings",
                 "clusterrolebinding", false, validate_path_segment_name));
  {
    // events.k8s.io/v1 serves the same objects as core/v1 events in the newer shape. Its selector
    // labels are its own field names, converted to the core ones its storage selects on.
    ResourceType t = resource("events.k8s.io", "Event", "events", "event", true);
    t.short_names = {"ev"};
    const std::pair<const char*, const char*> renamed[] = {
        {"regarding.kind", "involvedObject.kind"},
        {"regarding.namespace", "involvedObject.namespace"},
        {"regarding.name", "involvedObject.name"},
        {"regarding.uid", "involvedObject.uid"},
        {"regarding.apiVersion", "involvedObject.apiVersion"},
        {"regarding.resourceVersion", "involvedObject.resourceVersion"},
        {"regarding.fieldPath", "involvedObject.fieldPath"},
        {"reportingController", "reportingComponent"},
    };
    t.field_labels =
        identity_labels({"reason", "source", "type", "metadata.namespace", "metadata.name"});
    for (const auto& [label, canonical] : renamed) {
      t.field_labels.push_back({label, canonical});
      t.selectable_fields.push_back({canonical, label, ""});
    }
    t.selectable_fields.push_back({"reason", "reason", ""});
    t.selectable_fields.push_back({"type", "type", ""});
    t.selectable_fields.push_back({"source", "deprecatedSource.component", ""});
    r.add(std::move(t));
  }
}

}  // namespace

ResourceRegistry ResourceRegistry::make_builtin() {
  ResourceRegistry r;
  add_core(r);
  add_groups(r);
  return r;
}

const ResourceRegistry& ResourceRegistry::builtin() {
  static const ResourceRegistry* const kRegistry = new ResourceRegistry(make_builtin());
  return *kRegistry;
}

}  // namespace bosun::api
