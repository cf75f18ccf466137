// Shared pieces of the Service, ReplicationController, ReplicaSet, Deployment, ResourceQuota,
// LimitRange, PersistentVolume and PersistentVolumeClaim strategies: tolerant JSON reads, Go's %#v
// renderings that Kubernetes' messages embed, resource-list rules of pkg/apis/core/helper, the
// pod-template checks the three controllers share, and table cell formatting. Internal to
// src/api/resources; pure functions, safe from any thread.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "api/registry.h"
#include "common/clock.h"
#include "common/field_errors.h"
#include "common/json.h"

namespace bosun::api::resources::workloads {

// ---- Tolerant reads: a missing key, or a value of the wrong JSON type, reads as absent. Strict
// schema validation reports type errors before these strategies run; here they must never throw.

// The member `key` of an object, or nullptr.
const Json* member(const Json& obj, std::string_view key);
const Json* member(const Json* obj, std::string_view key);
// The string, or "" for anything else.
std::string_view str(const Json* v);
// An integral number (a float with an integral value counts, as JSON numbers do), else nullopt.
std::optional<int64_t> integer(const Json* v);
bool is_set(const Json* v);  // present and not null
// Absent, null or "" (a defaulter's `if x == ""` on a string field).
bool blank(const Json* v);
// A non-empty object or array (Go's len(x) > 0 for maps and slices).
bool non_empty(const Json* v);
// obj[key] as an object, replacing a missing, null or non-object value with {}.
Json& object_member(Json& obj, std::string_view key);

// "spec.ports" + 3 -> "spec.ports[3]"; "spec.hard" + "cpu" -> "spec.hard[cpu]".
std::string at_index(std::string_view path, size_t i);
std::string at_key(std::string_view path, std::string_view key);

// apiequality.Semantic.DeepEqual over JSON: absent, null, {} and [] are all "empty" and equal
// (Kubernetes compares nil and empty maps and slices as equal), numbers compare by value.
bool semantically_equal(const Json* a, const Json* b);

// ---- Go's %#v, for the values Kubernetes prints that way inside field errors.

// map[string]string{"app":"web"}; null -> map[string]string(nil).
std::string go_string_map(const Json* labels);
// []string{"a", "b"}; null -> []string(nil).
std::string go_string_slice(const Json* list);
// v1.LabelSelector{MatchLabels:map[string]string{...},
// MatchExpressions:[]v1.LabelSelectorRequirement(nil)}
std::string go_label_selector(const Json& selector);
// An Invalid error whose value Kubernetes formats with %#v: `field: Invalid value: <go_value>:
// detail`.
void invalid_go(FieldErrors& errs, std::string field, const std::string& go_value,
                std::string_view detail);
// The same for Duplicate (`Duplicate value: <go_value>`).
void duplicate_go(FieldErrors& errs, std::string field, const std::string& go_value);

// ---- apimachinery's common checks.

inline constexpr std::string_view kFieldImmutable = "field is immutable";
inline constexpr std::string_view kNegative = "must be greater than or equal to 0";

// ValidateNonnegativeField on an integer member (absent reads as 0, as Go's zero value).
void check_nonnegative(FieldErrors& errs, const Json* value, const std::string& field);

// obj[key] = old[key], or no obj[key] when old has none (a status strategy keeping the spec).
void keep_from_old(Json& obj, const Json& old, std::string_view key);
// The same for metadata[key].
void keep_metadata_from_old(Json& obj, const Json& old, std::string_view key);
// The replica counts of a controller's status: each non-negative, none above status.replicas and
// availableReplicas not above readyReplicas (Validate{ReplicaSet,Deployment,...}Status).
// `counts` lists the members checked against status.replicas, in Kubernetes' order.
void validate_replica_status(FieldErrors& errs, const Json* status,
                             std::initializer_list<std::string_view> nonnegative,
                             std::initializer_list<std::string_view> counts);

// ---- Resource lists (pkg/apis/core/helper).

bool is_native_resource(std::string_view name);
bool is_huge_page_resource(std::string_view name);
bool is_extended_resource(std::string_view name);
bool is_overcommit_allowed(std::string_view name);
bool is_standard_resource(std::string_view name);
bool is_standard_container_resource(std::string_view name);
bool is_standard_quota_resource(std::string_view name);
bool is_integer_resource(std::string_view name);

// validateResourceName: a qualified name, and a standard one unless it has a '/'.
void validate_resource_name(FieldErrors& errs, std::string_view name, const std::string& field);
// validateContainerResourceName.
void validate_container_resource_name(FieldErrors& errs, std::string_view name,
                                      const std::string& field);
// ValidateResourceQuantityValue: non-negative, and whole for integer resources. `q` is the raw
// member; an unparsable quantity is reported with the parser's message.
void validate_resource_quantity(FieldErrors& errs, std::string_view resource, const Json& q,
                                const std::string& field);

// The schema-driven part of the v1 defaulters for a kind of `group`/v1 (apply_schema_defaults of
// strategy_util.h): declarative `+default` markers, and every quantity in canonical form rounded
// up to milli precision as SetDefaults_ResourceList does ("1024Mi" -> "1Gi", 0.5 -> "500m").
void schema_defaults(Json& obj, std::string_view group, std::string_view kind);

// ---- Persistent volumes and claims.

// The access-mode rules ValidatePersistentVolumeSpec and ValidatePersistentVolumeClaimSpec share
// at `path` ("spec.accessModes"): each one supported, ReadWriteOncePod alone. (The "required"
// check differs between the two and stays with them.)
void validate_access_modes(FieldErrors& errs, const Json* modes, const std::string& path);
// GetAccessModesAsString: "RWO,ROX,RWX,RWOP" in that order, each once.
std::string access_modes_string(const Json* modes);
// GetPersistentVolumeClass / GetPersistentVolumeClaimClass: the beta annotation
// volume.beta.kubernetes.io/storage-class wins over spec.storageClassName.
std::string storage_class_of(const Json& obj);

// ---- Pod templates of ReplicationControllers, ReplicaSets and Deployments.

// The core/v1 defaults of spec.template (SetDefaults_PodSpec and the nested container, probe and
// volume defaults) as the generated v1 defaulters apply them to a PodTemplateSpec, and the
// `creationTimestamp: null` that Kubernetes 1.33 serializes for the template's zero ObjectMeta.
void default_pod_template(Json& spec_template);

// ValidatePodTemplateSpecForRC / ForReplicaSet at `path` ("spec.template"): the selector must
// match the template's labels (`selector_matches` says whether it does; nullopt skips the check,
// as Kubernetes does for an empty selector), the template itself is valid
// (validate_pod_template_spec of pod_spec.h), restartPolicy is Always and activeDeadlineSeconds
// is absent. `kind` words the activeDeadlineSeconds message
// ("ReplicaSet", "ReplicationController").
void validate_controller_template(FieldErrors& errs, const Json* spec_template,
                                  std::optional<bool> selector_matches, std::string_view kind,
                                  const std::string& path);

// The selector and template checks ValidateReplicaSetSpec and ValidateDeploymentSpec share, for a
// metav1.LabelSelector at spec.selector: required, valid, not empty, and matching the template's
// labels; then validate_controller_template on spec.template with `kind` ("ReplicaSet", and
// "Deployment" whose template errors Kubernetes words as a ReplicaSet's).
void validate_selector_and_template(FieldErrors& errs, const Json* spec, std::string_view kind);

// intstr.IntOrString as %#v prints it: intstr.IntOrString{Type:1, IntVal:0, StrVal:"25%"}.
std::string go_int_or_string(const Json* v);

// ---- Tables (the Name and Age columns and the AGE cell are table_util.h's).

// layoutContainerCells: the containers' names and images, comma-separated.
std::pair<std::string, std::string> container_cells(const Json* pod_spec);
// labels.FormatLabels: "a=b,c=d" sorted by key, "<none>" when empty.
std::string format_labels(const Json* labels);
// int64(x) of an integer member: 0 when absent, as Go's zero value.
int64_t int_or_zero(const Json* v);

// ---- Hook wrappers: strategies run on user input, so nlohmann::json's exceptions (a programming
// error here, but one a malformed object could expose) end at the hook boundary. A defaulting or
// preparing step that throws leaves the object as far as it got; a validator that throws reports
// an internal error instead of crashing the server; a table row that throws prints no cells.

FieldErrors internal_error(const std::exception& e);

template <typename F>
auto guarded(F f) {
  return [f = std::move(f)](auto&&... args) -> decltype(f(args...)) {
    using R = decltype(f(args...));
    try {
      return f(args...);
    } catch (const std::exception& e) {
      if constexpr (std::is_same_v<R, FieldErrors>) {
        return internal_error(e);
      } else if constexpr (!std::is_void_v<R>) {
        return R();
      }
    }
  };
}

}  // namespace bosun::api::resources::workloads
