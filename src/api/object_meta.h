// metav1.ObjectMeta semantics over a Json object: typed accessors that never throw on malformed
// input, Kubernetes' metadata validation on create and update (apimachinery's ValidateObjectMeta
// and ValidateObjectMetaUpdate, with its field paths and messages), generateName, and the
// server-side filling the API server does before create and update
// (rest.BeforeCreate/BeforeUpdate). Used by the API server, controllers and the CLI. Pure functions
// on values; safe from any thread (generate_name's default random source is thread-local).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "api/labels.h"
#include "api/registry.h"
#include "common/clock.h"
#include "common/field_errors.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// Kubernetes' annotation budget (TotalAnnotationSizeLimitB): keys plus values, 256 KiB.
inline constexpr size_t kTotalAnnotationSizeLimit = 256 * 1024;
// names.SimpleNameGenerator: a generated name is the prefix (cut to 58 bytes) and 5 random
// characters, 63 at most.
inline constexpr size_t kMaxGeneratedNameLength = 58;
inline constexpr size_t kGeneratedNameRandomLength = 5;
// The alphabet of utilrand.String (no vowels, no confusable characters).
inline constexpr std::string_view kGeneratedNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

// The standard finalizers of metav1 and the namespace controller.
inline constexpr std::string_view kFinalizerOrphanDependents = "orphan";
inline constexpr std::string_view kFinalizerDeleteDependents = "foregroundDeletion";
inline constexpr std::string_view kFinalizerKubernetes = "kubernetes";

// ---- Accessors. A missing field, or one of the wrong JSON type, reads as empty / zero / nullopt.

std::string_view name(const Json& obj);
std::string_view generate_name_of(const Json& obj);
std::string_view namespace_of(const Json& obj);
std::string_view uid(const Json& obj);
std::string_view resource_version(const Json& obj);
int64_t generation(const Json& obj);
std::string_view creation_timestamp(const Json& obj);
// Empty when the object is not being deleted.
std::string_view deletion_timestamp(const Json& obj);
std::optional<int64_t> deletion_grace_period_seconds(const Json& obj);
Labels labels(const Json& obj);
std::optional<std::string_view> label(const Json& obj, std::string_view key);
Labels annotations(const Json& obj);
std::optional<std::string_view> annotation(const Json& obj, std::string_view key);
std::vector<std::string> finalizers(const Json& obj);
bool has_finalizer(const Json& obj, std::string_view finalizer);

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool block_owner_deletion = false;
};
std::vector<OwnerReference> owner_references(const Json& obj);
// The owner with controller=true, if any (metav1.GetControllerOf).
std::optional<OwnerReference> controller_of(const Json& obj);
Json owner_reference_to_json(const OwnerReference& ref);

// metadata, created as an object when missing or not an object.
Json& mutable_metadata(Json& obj);
void set_name(Json& obj, std::string_view name);
void set_namespace(Json& obj, std::string_view ns);
void set_label(Json& obj, std::string_view key, std::string_view value);
void set_annotation(Json& obj, std::string_view key, std::string_view value);
void set_resource_version(Json& obj, uint64_t revision);
void set_generation(Json& obj, int64_t generation);

// ---- Types. Kubernetes rejects a metadata field of the wrong JSON type while decoding, before any
// validation, with encoding/json's wording; this does the same for a decoded Json object, e.g.
// `json: cannot unmarshal number into Go struct field ObjectMeta.metadata.name of type string`.
// BadRequest.
Result<void> check_object_meta_types(const Json& obj);

// ---- Validation (field paths under "metadata").

// ValidateObjectMeta on create, after name generation: generateName and name through `name_fn`
// (`name or generateName is required`), namespace required for namespaced types (a DNS-1123
// label) and forbidden for cluster-scoped ones (`not allowed on this type`), generation >= 0,
// labels, annotations, ownerReferences, finalizers, managedFields.
FieldErrors validate_object_meta(const Json& obj, bool namespaced, const NameValidator& name_fn);

// ValidateObjectMetaUpdate: resourceVersion required, generation not decremented, name,
// namespace, uid, creationTimestamp, deletionTimestamp and deletionGracePeriodSeconds immutable
// (`field is immutable`), no new finalizers once deletion started, and the create-time checks of
// labels, annotations, ownerReferences and managedFields on the new object.
FieldErrors validate_object_meta_update(const Json& new_obj, const Json& old_obj);

// The pieces, for validators of embedded metadata (pod templates) and of other fields.
void validate_annotations(const Json& annotations, std::string_view field, FieldErrors& errs);
void validate_owner_references(const Json& refs, std::string_view field, FieldErrors& errs);
void validate_finalizers(const Json& finalizers, std::string_view field, FieldErrors& errs);
void validate_managed_fields(const Json& entries, std::string_view field, FieldErrors& errs);

// ---- Server-side filling.

// names.SimpleNameGenerator: `base` cut to kMaxGeneratedNameLength bytes plus 5 random characters
// from kGeneratedNameAlphabet.
std::string generate_name(std::string_view base);
std::string generate_name(std::string_view base, std::mt19937_64& rng);

// rest.BeforeCreate's metadata part: drops deletionTimestamp and deletionGracePeriodSeconds, sets a
// new uid and creationTimestamp (from `clock`, RFC 3339), generation 1 when `with_generation`, and
// the name from generateName when the name is empty. resourceVersion is left to the store.
void prepare_object_meta_for_create(Json& obj, const Clock& clock, bool with_generation = true);

// rest.BeforeUpdate's metadata part: the request cannot change generation, creationTimestamp or
// deletionTimestamp, nor remove deletionGracePeriodSeconds; a missing uid is kept from the old
// object.
void prepare_object_meta_for_update(Json& new_obj, const Json& old_obj);

// What a strategy's PrepareForUpdate does for types with spec/status: generation becomes the old
// generation + 1 when `field` (normally "spec") changed. Returns whether it did.
bool bump_generation_if_changed(Json& new_obj, const Json& old_obj,
                                std::string_view field = "spec");

// The store refuses a create that carries a resourceVersion (BadRequest `resourceVersion should
// not be set on objects to be created`).
Result<void> check_create_resource_version(const Json& obj);

// An update's optimistic-concurrency precondition: a non-empty metadata.resourceVersion must equal
// the current revision, else Conflict `Operation cannot be fulfilled on deployments.apps "web":
// the object has been modified; please apply your changes to the latest version and try again`.
// `resource` is the qualified resource ("pods", "deployments.apps"). An unparsable
// resourceVersion is BadRequest.
Result<void> check_resource_version_precondition(const Json& obj, uint64_t current_revision,
                                                 std::string_view resource, std::string_view name);

}  // namespace bosun::api
