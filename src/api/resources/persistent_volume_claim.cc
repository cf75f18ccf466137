// core/v1 PersistentVolumeClaim: SetDefaults_PersistentVolumeClaim(Spec), the claim strategy
// (status Pending on create and kept on update, dataSource/dataSourceRef kept in step),
// ValidatePersistentVolumeClaimSpec with the update rules (an immutable spec except for binding
// and resizing bound claims) and printPersistentVolumeClaim.
#include <fmt/format.h>

#include "api/label_selector.h"
#include "api/quantity.h"
#include "api/registry.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/table_util.h"
#include "api/resources/workloads_common.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

constexpr std::string_view kBetaStorageClass = "volume.beta.kubernetes.io/storage-class";

void default_claim(Json& obj) {
  schema_defaults(obj, "", "PersistentVolumeClaim");
  Json& spec = object_member(obj, "spec");
  if (!is_set(member(spec, "volumeMode"))) spec["volumeMode"] = "Filesystem";
  Json& status = object_member(obj, "status");
  if (str(member(status, "phase")).empty()) status["phase"] = "Pending";
}

// NormalizeDataSources (AnyVolumeDataSource is GA): dataSource and dataSourceRef name the same
// thing unless the reference points into another namespace.
void normalize_data_sources(Json& spec) {
  const Json* source = member(spec, "dataSource");
  const Json* ref = member(spec, "dataSourceRef");
  auto local_copy = [](const Json& from) {
    Json out = Json::object();
    for (const char* key : {"apiGroup", "kind", "name"}) {
      if (const Json* v = member(from, key); is_set(v)) out[key] = *v;
    }
    return out;
  };
  if (!is_set(source) && is_set(ref) && str(member(ref, "namespace")).empty()) {
    spec["dataSource"] = local_copy(*ref);
  } else if (is_set(source) && !is_set(ref)) {
    spec["dataSourceRef"] = local_copy(*source);
  }
}

void prepare_create(Json& obj) {
  Json& spec = object_member(obj, "spec");
  // VolumeAttributesClass is off by default in 1.33: its field is dropped, as for a disabled gate.
  spec.erase("volumeAttributesClassName");
  normalize_data_sources(spec);
  obj["status"] = Json{{"phase", "Pending"}};
}

void prepare_update(Json& obj, const Json& old) {
  if (const Json* status = member(old, "status")) {
    obj["status"] = *status;
  } else if (obj.is_object()) {
    obj.erase("status");
  }
  Json& spec = object_member(obj, "spec");
  if (!is_set(member(member(old, "spec"), "volumeAttributesClassName"))) {
    spec.erase("volumeAttributesClassName");
  }
  normalize_data_sources(spec);
}

void validate_data_source(FieldErrors& errs, const Json& source, const std::string& path,
                          bool is_ref) {
  if (str(member(source, "name")).empty()) errs.required(path + ".name");
  std::string_view kind = str(member(source, "kind"));
  if (kind.empty()) errs.required(path + ".kind");
  std::string_view group = str(member(source, "apiGroup"));
  if (group.empty() && kind != "PersistentVolumeClaim") {
    errs.invalid(path, kind,
                 "must be 'PersistentVolumeClaim' when referencing the default apiGroup");
  }
  if (!group.empty()) {
    for (auto& msg : is_dns1123_subdomain(group)) errs.invalid(path + ".apiGroup", group, msg);
  }
  if (is_ref) {
    if (std::string_view ns = str(member(source, "namespace")); !ns.empty()) {
      for (auto& msg : name_is_dns_label(ns, false)) errs.invalid(path + ".namespace", ns, msg);
    }
  }
}

FieldErrors validate_claim(const Json& obj) {
  FieldErrors errs;
  const Json* spec = member(obj, "spec");
  const Json* modes = member(spec, "accessModes");
  if (!non_empty(modes)) errs.required("spec.accessModes", "at least 1 access mode is required");
  if (const Json* selector = member(spec, "selector"); is_set(selector)) {
    errs.append(validate_label_selector(*selector, "spec.selector"));
  }
  validate_access_modes(errs, modes, "spec.accessModes");
  // Kubernetes keys this path on resources, not resources.requests.
  const std::string storage_path = "spec.resources[storage]";
  const Json* storage = member(member(member(spec, "resources"), "requests"), "storage");
  if (!storage) {
    errs.required(storage_path);
  } else if (Result<Quantity> q = Quantity::from_json(*storage); !q.ok()) {
    errs.invalid(storage_path, *storage, q.error().message);
  } else if (q->sign() <= 0) {
    errs.invalid(storage_path, q->to_string(), "must be greater than zero");
  } else {
    validate_resource_quantity(errs, "storage", *storage, storage_path);
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
  const Json* source = member(spec, "dataSource");
  const Json* ref = member(spec, "dataSourceRef");
  if (is_set(source)) validate_data_source(errs, *source, "spec.dataSource", false);
  if (is_set(ref)) validate_data_source(errs, *ref, "spec.dataSourceRef", true);
  if (is_set(ref) && !str(member(ref, "namespace")).empty()) {
    if (is_set(source)) {
      errs.invalid("spec", "spec.dataSource",
                   "may not be specified when dataSourceRef.namespace is specified");
    }
  } else if (is_set(source) && is_set(ref)) {
    bool same = semantically_equal(member(source, "apiGroup"), member(ref, "apiGroup")) &&
                str(member(source, "kind")) == str(member(ref, "kind")) &&
                str(member(source, "name")) == str(member(ref, "name"));
    if (!same) errs.invalid("spec", "spec.dataSource", "must match dataSourceRef");
  }
  return errs;
}

FieldErrors validate_claim_update(const Json& obj, const Json& old) {
  FieldErrors errs = validate_claim(obj);
  const Json* spec = member(obj, "spec");
  const Json* old_spec = member(old, "spec");
  Json new_clone = spec ? *spec : Json::object();
  Json old_clone = old_spec ? *old_spec : Json::object();
  if (!new_clone.is_object()) new_clone = Json::object();
  if (!old_clone.is_object()) old_clone = Json::object();
  // The volume controller binds a claim by setting volumeName, once.
  if (str(member(old_spec, "volumeName")).empty()) {
    if (const Json* name = member(spec, "volumeName")) {
      old_clone["volumeName"] = *name;
    } else {
      old_clone.erase("volumeName");
    }
  }
  const Json* annotations = member(member(obj, "metadata"), "annotations");
  const Json* old_annotations = member(member(old, "metadata"), "annotations");
  const Json* old_beta = member(old_annotations, kBetaStorageClass);
  const Json* new_beta = member(annotations, kBetaStorageClass);
  const Json* old_class = member(old_spec, "storageClassName");
  const Json* new_class = member(spec, "storageClassName");
  // The storage class may move from the beta annotation into spec.storageClassName, and an unset
  // class may be set once.
  bool upgrade_from_annotation = old_beta && !is_set(old_class) && is_set(new_class) &&
                                 str(new_class) == str(old_beta) &&
                                 (!new_beta || str(new_beta) == str(old_beta));
  if (upgrade_from_annotation) {
    new_clone.erase("storageClassName");
  } else {
    if (str(new_beta) != str(old_beta)) {
      errs.invalid("metadata.annotations.volume.beta.kubernetes.io/storage-class", str(new_beta),
                   std::string(kFieldImmutable));
    }
    bool upgrade_from_nil =
        is_set(new_class) && !is_set(old_class) && (!old_beta || str(new_class) == str(old_beta));
    if (upgrade_from_nil) {
      if (old_clone.contains("storageClassName")) {
        new_clone["storageClassName"] = old_clone["storageClassName"];
      } else {
        new_clone.erase("storageClassName");
      }
    }
  }
  bool bound = str(member(member(obj, "status"), "phase")) == "Bound";
  if (bound && is_set(member(member(&new_clone, "resources"), "requests"))) {
    const Json* old_storage = member(member(member(old_spec, "resources"), "requests"), "storage");
    Json& requests = new_clone["resources"]["requests"];
    if (requests.is_object()) {
      if (old_storage) {
        requests["storage"] = *old_storage;
      } else {
        requests.erase("storage");
      }
    }
  }
  if (bound && is_set(member(&new_clone, "volumeAttributesClassName"))) {
    if (const Json* v = member(&old_clone, "volumeAttributesClassName")) {
      new_clone["volumeAttributesClassName"] = *v;
    } else {
      new_clone.erase("volumeAttributesClassName");
    }
  }
  if (!semantically_equal(&new_clone, &old_clone)) {
    // Kubernetes appends a go-cmp diff of the two specs to this message.
    errs.forbidden("spec",
                   "spec is immutable after creation except resources.requests and "
                   "volumeAttributesClassName for bound claims");
  }
  auto size_of = [](const Json* v) {
    Result<Quantity> q = v ? Quantity::from_json(*v) : Result<Quantity>(Quantity());
    return q.ok() ? *q : Quantity();
  };
  Quantity new_size = size_of(member(member(member(spec, "resources"), "requests"), "storage"));
  Quantity old_size = size_of(member(member(member(old_spec, "resources"), "requests"), "storage"));
  Quantity status_size = size_of(member(member(member(old, "status"), "capacity"), "storage"));
  // RecoverVolumeExpansionFailure (beta, on in 1.33): a claim may shrink back towards what the
  // volume actually has, but not to it or below.
  if (new_size < old_size && new_size <= status_size) {
    errs.forbidden("spec.resources.requests.storage", "field can not be less than status.capacity");
  }
  const Json* mode = member(spec, "volumeMode");
  if (!semantically_equal(mode, member(old_spec, "volumeMode"))) {
    // Kubernetes leaves "spec." off this path.
    errs.invalid("volumeMode", is_set(mode) ? *mode : Json("null"), std::string(kFieldImmutable));
  }
  return errs;
}

void prepare_status_update(Json& obj, const Json& old) { keep_from_old(obj, old, "spec"); }

// ValidatePersistentVolumeClaimStatusUpdate (RecoverVolumeExpansionFailure on).
FieldErrors validate_status_update(const Json& obj, const Json&) {
  FieldErrors errs;
  if (!non_empty(member(member(obj, "spec"), "accessModes"))) {
    // Kubernetes spells this path with a capital S.
    errs.required("Spec.accessModes");
  }
  const Json* status = member(obj, "status");
  if (const Json* capacity = member(status, "capacity"); capacity && capacity->is_object()) {
    for (const auto& [k, v] : capacity->items()) {
      Result<Quantity> q = Quantity::from_json(v);
      if (q.ok() && q->value() < 0) {
        errs.invalid(at_key("status.capacity", k), q->value(), "must be a valid resource quantity");
      }
    }
  }
  auto check_key = [&](std::string_view key, const std::string& path) {
    std::vector<std::string> msgs = is_qualified_name(key);
    for (auto& m : msgs) errs.invalid(path, key, std::move(m));
    if (msgs.empty() && is_native_resource(key) && key != "storage") {
      errs.not_supported(path, key, {"storage"});
      return false;
    }
    return msgs.empty();
  };
  const std::string statuses_path = "status.allocatedResourceStatus";
  if (const Json* statuses = member(status, "allocatedResourceStatuses");
      statuses && statuses->is_object()) {
    for (const auto& [k, v] : statuses->items()) {
      check_key(k, statuses_path);
      std::string_view s = str(&v);
      if (s != "ControllerResizeInProgress" && s != "ControllerResizeInfeasible" &&
          s != "NodeResizePending" && s != "NodeResizeInProgress" && s != "NodeResizeInfeasible") {
        // Kubernetes reports the resource name here, not the unsupported status.
        errs.not_supported(statuses_path, k,
                           {"ControllerResizeInProgress", "ControllerResizeInfeasible",
                            "NodeResizeInProgress", "NodeResizeInfeasible", "NodeResizePending"});
      }
    }
  }
  const std::string allocated_path = "status.allocatedResources";
  if (const Json* allocated = member(status, "allocatedResources");
      allocated && allocated->is_object()) {
    for (const auto& [k, v] : allocated->items()) {
      if (!check_key(k, allocated_path)) continue;
      Result<Quantity> q = Quantity::from_json(v);
      if (q.ok() && q->value() < 0) {
        errs.invalid(at_key(allocated_path, k), q->value(), "must be a valid resource quantity");
      } else {
        validate_resource_quantity(errs, "storage", v, at_key(allocated_path, k));
      }
    }
  }
  return errs;
}

std::vector<TableColumn> columns() {
  return {
      name_column(),
      {"Status", "string", "", "phase represents the current phase of PersistentVolumeClaim.", 0},
      {"Volume", "string", "",
       "volumeName is the binding reference to the PersistentVolume backing this claim.", 0},
      {"Capacity", "string", "",
       "capacity represents the actual resources of the underlying volume.", 0},
      {"Access Modes", "string", "",
       "accessModes contains the actual access modes the volume backing the PVC has.", 0},
      {"StorageClass", "string", "", "StorageClass of the pvc", 0},
      {"VolumeAttributesClass", "string", "", "VolumeAttributesClass of the pvc", 0},
      age_column(),
      {"VolumeMode", "string", "",
       "volumeMode defines what type of volume is required by the claim.", 1},
  };
}

Json cells(const Json& obj, const Clock& clock) {
  const Json* spec = member(obj, "spec");
  const Json* status = member(obj, "status");
  std::string phase(str(member(status, "phase")));
  if (!str(member(member(obj, "metadata"), "deletionTimestamp")).empty()) phase = "Terminating";
  std::string_view volume = str(member(spec, "volumeName"));
  std::string capacity;
  std::string modes;
  // Capacity and access modes are the bound volume's; an unbound claim shows neither.
  if (!volume.empty()) {
    modes = access_modes_string(member(status, "accessModes"));
    capacity = "0";
    if (const Json* storage = member(member(status, "capacity"), "storage")) {
      Result<Quantity> q = Quantity::from_json(*storage);
      if (q.ok()) capacity = q->to_string();
    }
  }
  const Json* mode = member(spec, "volumeMode");
  const Json* attributes = member(spec, "volumeAttributesClassName");
  return Json::array({
      str(member(member(obj, "metadata"), "name")),
      phase,
      volume,
      capacity,
      modes,
      storage_class_of(obj),
      is_set(attributes) ? std::string(str(attributes)) : "<unset>",
      age_cell(obj, clock.now()),
      is_set(mode) ? std::string(str(mode)) : "<unset>",
  });
}

}  // namespace

SubresourceStrategy persistent_volume_claim_status_strategy() {
  return {guarded(prepare_status_update), guarded(validate_status_update)};
}

void install_persistent_volume_claim(ResourceType& t, const Clock& clock) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_claim);
  s.prepare_for_create = guarded(prepare_create);
  s.prepare_for_update = guarded(prepare_update);
  s.validate_create = guarded(validate_claim);
  s.validate_update = guarded(validate_claim_update);
  s.table_columns = columns();
  s.table_cells = guarded([&clock](const Json& obj) { return cells(obj, clock); });
}

}  // namespace bosun::api::resources
