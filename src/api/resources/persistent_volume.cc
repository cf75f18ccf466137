// core/v1 PersistentVolume: SetDefaults_PersistentVolume, the volume strategy (status Pending with
// its transition time on create, status kept on update), ValidatePersistentVolumeSpec (access
// modes, capacity, reclaim policy, exactly one volume source, node affinity) with the update
// rules, and printPersistentVolume.
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "api/labels.h"
#include "api/quantity.h"
#include "api/registry.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/table_util.h"
#include "api/resources/workloads_common.h"
#include "api/validation.h"
#include "common/time_format.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

void default_persistent_volume(Json& obj) {
  schema_defaults(obj, "", "PersistentVolume");
  Json& spec = object_member(obj, "spec");
  if (blank(member(spec, "persistentVolumeReclaimPolicy"))) {
    // Statically provisioned volumes keep their data unless told otherwise.
    spec["persistentVolumeReclaimPolicy"] = "Retain";
  }
  if (!is_set(member(spec, "volumeMode"))) spec["volumeMode"] = "Filesystem";
  if (spec.contains("hostPath") && spec["hostPath"].is_object() &&
      !is_set(member(spec["hostPath"], "type"))) {
    spec["hostPath"]["type"] = "";
  }
  Json& status = object_member(obj, "status");
  if (str(member(status, "phase")).empty()) status["phase"] = "Pending";
}

void prepare_create(Json& obj, const Clock& clock) {
  // VolumeAttributesClass is off by default in 1.33: its field is dropped, as for a disabled gate.
  if (Json* spec = obj.contains("spec") && obj["spec"].is_object() ? &obj["spec"] : nullptr) {
    spec->erase("volumeAttributesClassName");
  }
  obj["status"] =
      Json{{"phase", "Pending"}, {"lastPhaseTransitionTime", format_rfc3339(clock.now())}};
}

void prepare_update(Json& obj, const Json& old) {
  if (const Json* status = member(old, "status")) {
    obj["status"] = *status;
  } else if (obj.is_object()) {
    obj.erase("status");
  }
  const Json* old_class = member(member(old, "spec"), "volumeAttributesClassName");
  if (!is_set(old_class) && obj.contains("spec") && obj["spec"].is_object()) {
    obj["spec"].erase("volumeAttributesClassName");
  }
}

// ---- Node affinity (ValidateNodeSelector) ------------------------------------------------------

void validate_node_selector_requirement(FieldErrors& errs, const Json& req,
                                        const std::string& path) {
  std::string_view op = str(member(req, "operator"));
  const Json* values = member(req, "values");
  size_t n = values && values->is_array() ? values->size() : 0;
  if (op == "In" || op == "NotIn") {
    if (n == 0) {
      errs.required(path + ".values", "must be specified when `operator` is 'In' or 'NotIn'");
    }
  } else if (op == "Exists" || op == "DoesNotExist") {
    if (n > 0) {
      errs.forbidden(path + ".values",
                     "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  } else if (op == "Gt" || op == "Lt") {
    if (n != 1) {
      errs.required(path + ".values",
                    "must be specified single value when `operator` is 'Lt' or 'Gt'");
    }
  } else {
    errs.invalid(path + ".operator", op, "not a valid selector operator");
  }
  validate_label_name(str(member(req, "key")), path + ".key", errs);
  for (size_t i = 0; i < n; ++i) {
    std::string_view v = str(&(*values)[i]);
    for (auto& msg : is_valid_label_value(v)) {
      errs.invalid(at_index(path + ".values", i), v, std::move(msg));
    }
  }
}

void validate_node_field_requirement(FieldErrors& errs, const Json& req, const std::string& path) {
  std::string_view op = str(member(req, "operator"));
  const Json* values = member(req, "values");
  size_t n = values && values->is_array() ? values->size() : 0;
  if (op == "In" || op == "NotIn") {
    if (n != 1) {
      errs.required(path + ".values",
                    "must be only one value when `operator` is 'In' or 'NotIn' for node field "
                    "selector");
    }
  } else {
    errs.invalid(path + ".operator", op, "not a valid selector operator");
  }
  std::string_view key = str(member(req, "key"));
  if (key != "metadata.name") {
    errs.invalid(path + ".key", key, "not a valid field selector key");
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    std::string_view v = str(&(*values)[i]);
    for (auto& msg : name_is_dns_subdomain(v, false)) {
      errs.invalid(at_index(path + ".values", i), v, std::move(msg));
    }
  }
}

void validate_node_selector(FieldErrors& errs, const Json& selector, const std::string& path) {
  const std::string terms_path = path + ".nodeSelectorTerms";
  const Json* terms = member(selector, "nodeSelectorTerms");
  if (!non_empty(terms) || !terms->is_array()) {
    errs.required(terms_path, "must have at least one node selector term");
    return;
  }
  for (size_t i = 0; i < terms->size(); ++i) {
    const Json& term = (*terms)[i];
    const std::string tpath = at_index(terms_path, i);
    for (const char* list : {"matchExpressions", "matchFields"}) {
      const Json* reqs = member(term, list);
      if (!reqs || !reqs->is_array()) continue;
      for (size_t j = 0; j < reqs->size(); ++j) {
        std::string rpath = at_index(tpath + "." + list, j);
        if (std::string_view(list) == "matchExpressions") {
          validate_node_selector_requirement(errs, (*reqs)[j], rpath);
        } else {
          validate_node_field_requirement(errs, (*reqs)[j], rpath);
        }
      }
    }
  }
}

// ---- Volume sources -----------------------------------------------------------------------------

// validatePathNoBacksteps.
void validate_no_backsteps(FieldErrors& errs, std::string_view path_value,
                           const std::string& path) {
  size_t start = 0;
  while (start <= path_value.size()) {
    size_t slash = path_value.find('/', start);
    std::string_view part = path_value.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") {
      errs.invalid(path, path_value, "must not contain '..'");
      return;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
}

void validate_host_path(FieldErrors& errs, const Json& source, const std::string& path) {
  std::string_view p = str(member(source, "path"));
  if (p.empty()) {
    errs.required(path + ".path");
    return;
  }
  validate_no_backsteps(errs, p, path + ".path");
  if (const Json* type = member(source, "type"); is_set(type)) {
    std::string_view t = str(type);
    static const std::vector<std::string> kTypes = {
        "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
        "File", "FileOrCreate", "Socket"};
    if (std::find(kTypes.begin(), kTypes.end(), t) == kTypes.end()) {
      errs.not_supported(path + ".type", *type, kTypes);
    }
  }
}

void validate_nfs(FieldErrors& errs, const Json& source, const std::string& path) {
  if (str(member(source, "server")).empty()) errs.required(path + ".server");
  std::string_view p = str(member(source, "path"));
  if (p.empty()) errs.required(path + ".path");
  if (p.empty() || p.front() != '/') errs.invalid(path + ".path", p, "must be an absolute path");
}

void validate_local(FieldErrors& errs, const Json& source, const std::string& path) {
  std::string_view p = str(member(source, "path"));
  if (p.empty()) {
    errs.required(path + ".path");
    return;
  }
  validate_no_backsteps(errs, p, path + ".path");
}

void validate_csi(FieldErrors& errs, const Json& source, const std::string& path) {
  std::string_view driver = str(member(source, "driver"));
  if (driver.empty()) {
    errs.required(path + ".driver");
  } else {
    if (driver.size() > 63) errs.too_long(path + ".driver", driver, 63);
    std::string lower(driver);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (auto& msg : is_dns1123_subdomain(lower)) {
      errs.invalid(path + ".driver", driver, std::move(msg));
    }
  }
  if (str(member(source, "volumeHandle")).empty()) errs.required(path + ".volumeHandle");
}

// The volume sources of a PersistentVolumeSpec, in the order Kubernetes checks them, with the
// child name its validator uses where that differs from the JSON name.
struct Source {
  const char* name;
  const char* validator_path;
  void (*validate)(FieldErrors&, const Json&, const std::string&);
};
constexpr Source kSources[] = {
    {"hostPath", "hostPath", validate_host_path},
    {"gcePersistentDisk", "persistentDisk", nullptr},
    {"awsElasticBlockStore", "awsElasticBlockStore", nullptr},
    {"glusterfs", "glusterfs", nullptr},
    {"flocker", "flocker", nullptr},
    {"nfs", "nfs", validate_nfs},
    {"rbd", "rbd", nullptr},
    {"quobyte", "quobyte", nullptr},
    {"cephfs", "cephfs", nullptr},
    {"iscsi", "iscsi", nullptr},
    {"cinder", "cinder", nullptr},
    {"fc", "fc", nullptr},
    {"flexVolume", "flexVolume", nullptr},
    {"azureFile", "azureFile", nullptr},
    {"vsphereVolume", "vsphereVolume", nullptr},
    {"photonPersistentDisk", "photonPersistentDisk", nullptr},
    {"portworxVolume", "portworxVolume", nullptr},
    {"azureDisk", "azureDisk", nullptr},
    {"scaleIO", "scaleIO", nullptr},
    {"local", "local", validate_local},
    {"storageos", "storageos", nullptr},
    {"csi", "csi", validate_csi},
};

// ---- Validation ---------------------------------------------------------------------------------

FieldErrors validate_persistent_volume(const Json& obj) {
  FieldErrors errs;
  const Json* spec = member(obj, "spec");
  const Json* modes = member(spec, "accessModes");
  if (!non_empty(modes)) errs.required("spec.accessModes");
  validate_access_modes(errs, modes, "spec.accessModes");
  const Json* capacity = member(spec, "capacity");
  size_t n_capacity = capacity && capacity->is_object() ? capacity->size() : 0;
  if (n_capacity == 0) errs.required("spec.capacity");
  if (!member(capacity, "storage") || n_capacity > 1) {
    // Kubernetes prints the ResourceList with %#v; the quantities' internals cannot be rebuilt, so
    // their text stands in for them.
    std::string value = "core.ResourceList(nil)";
    if (n_capacity > 0) {
      value = "core.ResourceList{";
      bool first = true;
      for (const auto& [k, v] : capacity->items()) {
        if (!first) value += ", ";
        first = false;
        value += fmt::format("{}:{}", go_quote(k),
                             go_quote(v.is_string() ? v.get<std::string>() : v.dump()));
      }
      value += "}";
    }
    FieldError e;
    e.type = FieldErrorType::kNotSupported;
    e.field = "spec.capacity";
    e.omit_value = true;
    e.detail = value + ": supported values: \"storage\"";
    errs.add(std::move(e));
  }
  if (capacity && capacity->is_object()) {
    for (const auto& [k, v] : capacity->items()) {
      std::string path = at_key("spec.capacity", k);
      Result<Quantity> q = Quantity::from_json(v);
      if (!q.ok()) {
        errs.invalid(path, v, q.error().message);
        continue;
      }
      if (q->value() < 0) errs.invalid(path, q->value(), "must be a valid resource quantity");
      if (q->sign() <= 0) errs.invalid(path, q->to_string(), "must be greater than zero");
    }
  }
  const Json* policy = member(spec, "persistentVolumeReclaimPolicy");
  if (!str(policy).empty()) {
    std::string_view p = str(policy);
    if (p != "Delete" && p != "Recycle" && p != "Retain") {
      errs.not_supported("spec.persistentVolumeReclaimPolicy", *policy,
                         {"Delete", "Recycle", "Retain"});
    }
  }
  bool node_affinity_specified = false;
  if (const Json* affinity = member(spec, "nodeAffinity"); is_set(affinity)) {
    node_affinity_specified = true;
    if (const Json* required = member(affinity, "required"); is_set(required)) {
      validate_node_selector(errs, *required, "spec.nodeAffinity.required");
    } else {
      errs.required("spec.nodeAffinity.required", "must specify required node constraints");
    }
  }
  int volumes = 0;
  for (const Source& source : kSources) {
    const Json* value = member(spec, source.name);
    if (!is_set(value)) continue;
    // flexVolume is counted but never refused, as in Kubernetes.
    if (volumes > 0 && std::string_view(source.name) != "flexVolume") {
      errs.forbidden(std::string("spec.") +
                         (std::string_view(source.name) == "cephfs" ? "cephFS" : source.name),
                     "may not specify more than 1 volume type");
      continue;
    }
    ++volumes;
    if (source.validate)
      source.validate(errs, *value, std::string("spec.") + source.validator_path);
    if (std::string_view(source.name) == "local" && !node_affinity_specified) {
      errs.required("spec.nodeAffinity", "Local volume requires node affinity");
    }
  }
  if (volumes == 0) errs.required("spec", "must specify a volume type");
  if (const Json* host = member(spec, "hostPath"); is_set(host) && str(policy) == "Recycle") {
    // path.Clean(p) == "/": an absolute path made only of "", "." and ".." segments.
    std::string_view p = str(member(host, "path"));
    bool root = !p.empty() && p.front() == '/';
    for (size_t start = 1; root && start <= p.size();) {
      size_t slash = std::min(p.find('/', start), p.size());
      std::string_view part = p.substr(start, slash - start);
      root = part.empty() || part == "." || part == "..";
      start = slash + 1;
    }
    if (root) {
      errs.forbidden("spec.persistentVolumeReclaimPolicy",
                     "may not be 'recycle' for a hostPath mount of '/'");
    }
  }
  if (std::string_view cls = str(member(spec, "storageClassName")); !cls.empty()) {
    for (auto& msg : name_is_dns_subdomain(cls, false)) {
      errs.invalid("spec.storageClassName", cls, std::move(msg));
    }
  }
  if (const Json* mode = member(spec, "volumeMode"); is_set(mode)) {
    if (str(mode) != "Block" && str(mode) != "Filesystem") {
      errs.not_supported("spec.volumeMode", *mode, {"Block", "Filesystem"});
    }
  }
  return errs;
}

FieldErrors validate_persistent_volume_update(const Json& obj, const Json& old) {
  FieldErrors errs = validate_persistent_volume(obj);
  const Json* spec = member(obj, "spec");
  const Json* old_spec = member(old, "spec");
  // The volume source never changes, except that a CSI controllerExpandSecretRef may be added.
  bool source_changed = false;
  for (const Source& source : kSources) {
    const Json* now = member(spec, source.name);
    const Json* before = member(old_spec, source.name);
    if (std::string_view(source.name) == "csi" && is_set(now) && is_set(before) &&
        !is_set(member(before, "controllerExpandSecretRef"))) {
      Json copy = *now;
      copy.erase("controllerExpandSecretRef");
      source_changed = source_changed || !semantically_equal(&copy, before);
      continue;
    }
    source_changed = source_changed || !semantically_equal(now, before);
  }
  if (source_changed) {
    // Kubernetes appends a go-cmp diff of the two sources to this message.
    errs.forbidden("spec.persistentvolumesource",
                   "spec.persistentvolumesource is immutable after creation");
  }
  const Json* mode = member(spec, "volumeMode");
  if (!semantically_equal(mode, member(old_spec, "volumeMode"))) {
    // Kubernetes leaves "spec." off this path.
    errs.invalid("volumeMode", is_set(mode) ? *mode : Json("null"), std::string(kFieldImmutable));
  }
  const Json* affinity = member(spec, "nodeAffinity");
  if (is_set(member(old_spec, "nodeAffinity")) &&
      !semantically_equal(affinity, member(old_spec, "nodeAffinity"))) {
    errs.invalid("nodeAffinity", is_set(affinity) ? Json(affinity->dump()) : Json("null"),
                 std::string(kFieldImmutable) + ", except for updating from beta label to GA");
  }
  return errs;
}

// ---- Status
// ----------------------------------------------------------------------------------------

void prepare_status_update(Json& obj, const Json& old, const Clock& clock) {
  keep_from_old(obj, old, "spec");
  // A phase change without a new transition time gets one
  // (PersistentVolumeLastPhaseTransitionTime).
  const Json* status = member(obj, "status");
  const Json* old_status = member(old, "status");
  if (str(member(status, "phase")) != str(member(old_status, "phase"))) {
    const Json* t = member(status, "lastPhaseTransitionTime");
    if (!is_set(t) || semantically_equal(t, member(old_status, "lastPhaseTransitionTime"))) {
      object_member(obj, "status")["lastPhaseTransitionTime"] = format_rfc3339(clock.now());
    }
  }
}

// ---- Table --------------------------------------------------------------------------------------

std::vector<TableColumn> columns() {
  return {
      name_column(),
      {"Capacity", "string", "",
       "capacity is the description of the persistent volume's resources and capacity.", 0},
      {"Access Modes", "string", "", "accessModes contains all ways the volume can be mounted.", 0},
      {"Reclaim Policy", "string", "",
       "persistentVolumeReclaimPolicy defines what happens to a persistent volume when released "
       "from its claim.",
       0},
      {"Status", "string", "",
       "phase indicates if a volume is available, bound to a claim, or released by a claim.", 0},
      {"Claim", "string", "",
       "claimRef is part of a bi-directional binding between PersistentVolume and "
       "PersistentVolumeClaim.",
       0},
      {"StorageClass", "string", "", "StorageClass of the pv", 0},
      {"VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pv", 0},
      {"Reason", "string", "",
       "reason is a brief CamelCase string that describes any failure and is meant for machine "
       "parsing and tidy display in the CLI.",
       0},
      age_column(),
      {"VolumeMode", "string", "",
       "volumeMode defines if a volume is intended to be used with a formatted filesystem or to "
       "remain in raw block state.",
       1},
  };
}

Json cells(const Json& obj, const Clock& clock) {
  const Json* spec = member(obj, "spec");
  const Json* status = member(obj, "status");
  const Json* claim = member(spec, "claimRef");
  std::string claim_text;
  if (is_set(claim)) {
    claim_text = fmt::format("{}/{}", str(member(claim, "namespace")), str(member(claim, "name")));
  }
  std::string size = "0";
  if (const Json* storage = member(member(spec, "capacity"), "storage")) {
    Result<Quantity> q = Quantity::from_json(*storage);
    if (q.ok()) size = q->to_string();
  }
  std::string phase(str(member(status, "phase")));
  if (!str(member(member(obj, "metadata"), "deletionTimestamp")).empty()) phase = "Terminating";
  const Json* mode = member(spec, "volumeMode");
  const Json* attributes = member(spec, "volumeAttributesClassName");
  return Json::array({
      str(member(member(obj, "metadata"), "name")),
      size,
      access_modes_string(member(spec, "accessModes")),
      str(member(spec, "persistentVolumeReclaimPolicy")),
      phase,
      claim_text,
      storage_class_of(obj),
      is_set(attributes) ? std::string(str(attributes)) : "<unset>",
      str(member(status, "reason")),
      age_cell(obj, clock.now()),
      is_set(mode) ? std::string(str(mode)) : "<unset>",
  });
}

}  // namespace

SubresourceStrategy persistent_volume_status_strategy(const Clock& clock) {
  // ValidatePersistentVolumeStatusUpdate checks only metadata and the resourceVersion.
  return {guarded([&clock](Json& obj, const Json& old) { prepare_status_update(obj, old, clock); }),
          [](const Json&, const Json&) { return FieldErrors(); }};
}

void install_persistent_volume(ResourceType& t, const Clock& clock) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_persistent_volume);
  s.prepare_for_create = guarded([&clock](Json& obj) { prepare_create(obj, clock); });
  s.prepare_for_update = guarded(prepare_update);
  s.validate_create = guarded(validate_persistent_volume);
  s.validate_update = guarded(validate_persistent_volume_update);
  s.table_columns = columns();
  s.table_cells = guarded([&clock](const Json& obj) { return cells(obj, clock); });
}

}  // namespace bosun::api::resources
