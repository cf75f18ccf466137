// The Namespace strategy (pkg/registry/core/namespace/strategy.go), SetDefaults_Namespace and
// SetDefaults_NamespaceStatus, ValidateNamespace* and printNamespace.
#include <iterator>

#include "api/object_meta.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"

namespace bosun::api::resources {
namespace {

// v1.LabelMetadataName: every namespace carries its own name as a label.
constexpr std::string_view kMetadataNameLabel = "kubernetes.io/metadata.name";

void default_namespace(Json& ns) {
  if (!ns.is_object()) return;
  // SetDefaults_Namespace (and the strategy's Canonicalize) overwrite the label; a namespace
  // with only generateName gets it once named.
  if (std::string_view n = name(ns); !n.empty()) set_label(ns, kMetadataNameLabel, n);
  // NamespaceSpec and NamespaceStatus are structs: Kubernetes always serialises them.
  set_default(ns, "spec", Json::object());
  set_default_string(ensure_object(ns, "status"), "phase", "Active");
}

void prepare_namespace_for_create(Json& ns) {
  if (!ns.is_object()) return;
  ns["status"] = Json{{"phase", "Active"}};
  // The namespace controller's finalizer is always present on a new namespace.
  Json& spec = ensure_object(ns, "spec");
  Json& fins = spec["finalizers"];
  if (!fins.is_array()) fins = Json::array();
  bool has = false;
  for (const Json& f : fins) has = has || as_string(&f) == kFinalizerKubernetes;
  if (!has) fins.push_back(std::string(kFinalizerKubernetes));
  if (std::string_view n = name(ns); !n.empty()) set_label(ns, kMetadataNameLabel, n);
}

void keep(Json& obj, const Json& old, std::initializer_list<std::string_view> path) {
  // Copies old[path] into obj[path] (or removes it), creating parents as needed.
  const Json* v = &old;
  for (std::string_view k : path) v = v != nullptr ? get(*v, k) : nullptr;
  Json* dst = &obj;
  auto it = path.begin();
  for (; std::next(it) != path.end(); ++it) dst = &ensure_object(*dst, *it);
  if (v != nullptr) {
    (*dst)[std::string(*it)] = *v;
  } else if (dst->is_object()) {
    dst->erase(std::string(*it));
  }
}

FieldErrors validate_namespace(const Json& ns) {
  FieldErrors errs;
  validate_kube_finalizer_names(ns, errs);
  // Upstream reports spec finalizers without an index.
  for (const Json& f : get_array(get_object(ns, "spec"), "finalizers")) {
    validate_finalizer_name(as_string(&f), "spec.finalizers", errs);
  }
  return errs;
}

}  // namespace

void install_namespace(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_namespace;
  t.strategy.prepare_for_create = prepare_namespace_for_create;
  t.strategy.prepare_for_update = [](Json& ns, const Json& old) {
    if (!ns.is_object()) return;
    // Finalizers change only through namespaces/finalize, the phase only through the status.
    keep(ns, old, {"spec", "finalizers"});
    keep(ns, old, {"status"});
  };
  t.strategy.validate_create = validate_namespace;
  t.strategy.validate_update = [](const Json& ns, const Json&) { return validate_namespace(ns); };
  t.strategy.table_columns = {name_column(), string_column("Status", "The status of the namespace"),
                              age_column()};
  t.strategy.table_cells = [c](const Json& ns) {
    return Json::array({name_cell(ns), std::string(get_string(get_object(ns, "status"), "phase")),
                        age_cell(ns, c->now())});
  };
}

SubresourceStrategy namespace_status_strategy() {
  return {[](Json& ns, const Json& old) {
            if (ns.is_object()) keep(ns, old, {"spec"});
          },
          [](const Json& ns, const Json&) {
            FieldErrors errs;
            std::string_view phase = get_string(get_object(ns, "status"), "phase");
            if (deletion_timestamp(ns).empty()) {
              if (phase != "Active") {
                errs.invalid("status.Phase", std::string(phase),
                             "may only be 'Active' if `deletionTimestamp` is empty");
              }
            } else if (phase != "Terminating") {
              errs.invalid("status.Phase", std::string(phase),
                           "may only be 'Terminating' if `deletionTimestamp` is not empty");
            }
            return errs;
          }};
}

SubresourceStrategy namespace_finalize_strategy() {
  return {[](Json& ns, const Json& old) {
            if (ns.is_object()) keep(ns, old, {"status"});
          },
          [](const Json& ns, const Json&) {
            FieldErrors errs;
            const Json& fins = get_array(get_object(ns, "spec"), "finalizers");
            for (size_t i = 0; i < fins.size(); ++i) {
              validate_finalizer_name(as_string(&fins[i]), index_path("spec.finalizers", i), errs);
            }
            return errs;
          }};
}

}  // namespace bosun::api::resources
