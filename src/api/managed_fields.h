// metadata.managedFields as kube-apiserver keeps it (apimachinery's util/managedfields): entries
// decoded into one field set per manager identity and encoded back in Kubernetes' order, the cap
// on update entries, apply-conflict errors, and the field manager name of a request; used by the
// field manager (apply.h) and the API server's handlers. Values and pure functions; safe from any
// thread.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/field_set.h"
#include "common/clock.h"
#include "common/field_errors.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// validation.FieldManagerMaxLength.
inline constexpr size_t kFieldManagerMaxLength = 128;
// DefaultMaxUpdateManagers: beyond this many Update entries the oldest are merged into one.
inline constexpr size_t kMaxUpdateManagers = 10;
// The manager name of the merged old update entries (capmanagers.go).
inline constexpr std::string_view kAncientChangesManager = "ancient-changes";
// The manager name of updates whose request names none and sends no User-Agent.
inline constexpr std::string_view kUnknownManager = "unknown";

enum class ManagedFieldsOperation : uint8_t { kApply, kUpdate };
std::string_view operation_name(ManagedFieldsOperation op);  // "Apply", "Update"

// One metav1.ManagedFieldsEntry, with its fieldsV1 decoded.
struct ManagedFieldsEntry {
  std::string manager;
  ManagedFieldsOperation operation = ManagedFieldsOperation::kUpdate;
  std::string api_version;
  std::optional<Clock::WallTime> time;  // whole seconds, as metav1.Time keeps it
  std::string subresource;
  FieldSet fields;
  // The fieldsV1 this entry was decoded from (decode_managed_fields(Json&&)), written back as it
  // was while `fields` is unchanged, so that untouched entries are not encoded again on every
  // write. Whoever changes `fields` resets it.
  std::optional<Json> decoded_fields_v1;

  // BuildManagerIdentifier: the JSON of manager, operation, subresource and, for Update only,
  // apiVersion, e.g. `{"manager":"kubectl","operation":"Apply"}`. Entries with equal identifiers
  // are one entry.
  std::string identifier() const;
  // printManager: `"kubectl-client-side-apply" using apps/v1`, `"kubectl"`,
  // `"kubelet" with subresource "status" using v1`.
  std::string describe() const;
  // The managedFields list item, with fieldsType FieldsV1.
  Json to_json() const;
};

// The decoded managedFields of one object, by identifier.
using ManagedFieldsMap = std::map<std::string, ManagedFieldsEntry>;

// DecodeManagedFields: absent or null is empty; an entry with an operation other than Apply or
// Update, no apiVersion, no or another fieldsType, an unreadable time or unreadable fieldsV1 is an
// Error (BadRequest) such as `operation must be `Apply` or `Update``. A later entry with the same
// identifier replaces an earlier one.
Result<ManagedFieldsMap> decode_managed_fields(const Json& entries);
// The same, keeping each entry's fieldsV1 (moved out of `entries`) to write it back unchanged
// while the entry's fields do not change.
Result<ManagedFieldsMap> decode_managed_fields(Json&& entries);

// encodeManagedFields: the entries sorted by operation, time (seconds; none first), manager,
// apiVersion and subresource; null when there are none (the field is then left out).
Json encode_managed_fields(const ManagedFieldsMap& managed);
// The same, moving the kept fieldsV1 of unchanged entries into the result.
Json encode_managed_fields(ManagedFieldsMap&& managed);

// isResetManagedFields: `managedFields: []`, or a list of one empty entry, asks the server to drop
// all entries.
bool is_reset_managed_fields(const Json& entries);

// capManagersManager: when more than `max` Update entries exist, the oldest are merged, per
// apiVersion, into one `ancient-changes` entry until `max` remain.
void cap_update_managers(ManagedFieldsMap& managed, size_t max = kMaxUpdateManagers);

// ---- Conflicts.

struct FieldConflict {
  std::string manager_identifier;   // ManagedFieldsEntry::identifier()
  std::string manager_description;  // ManagedFieldsEntry::describe()
  FieldPath path;
};

// The 409 Conflict of an apply (internal.NewConflictError): `Apply failed with 1 conflict: conflict
// with "kubectl-client-side-apply" using apps/v1: .spec.replicas`, or for several, grouped by
// manager, `Apply failed with 2 conflicts: conflicts with "a" using v1:\n- .spec.x\n...`; one
// cause per field (reason FieldManagerConflict, message `conflict with ...`, field the path).
Error apply_conflict_error(const std::vector<FieldConflict>& conflicts);

// ---- The manager of a request.

// prefixFromUserAgent: the User-Agent up to its first '/', without unprintable characters, cut to
// kFieldManagerMaxLength bytes: "kubectl" for `kubectl/v1.33.0 (linux/amd64) kubernetes/abc`.
std::string manager_from_user_agent(std::string_view user_agent);
// managerOrUserAgent: the fieldManager parameter when given, else the User-Agent's prefix.
std::string manager_or_user_agent(std::string_view field_manager, std::string_view user_agent);

// ValidateFieldManager: at most 128 bytes (`Too long: may not be more than 128 bytes`), printable
// characters only (`Invalid value: "a\tb": invalid character U+0009 (at position 1)`).
void validate_field_manager(std::string_view manager, std::string_view field, FieldErrors& errs);

// ValidatePatchOptions, as the patch handler checks it: apply needs a field manager, and only
// apply may set force. Invalid (422) worded as Kubernetes: `PatchOptions.meta.k8s.io "" is
// invalid: fieldManager: Required value: is required for apply patch`.
Result<void> validate_patch_options(std::string_view field_manager, bool apply_patch,
                                    bool force_given);
// The fieldManager check of CreateOptions and UpdateOptions (`CreateOptions.meta.k8s.io "" is
// invalid: fieldManager: ...`). `options_kind` is "CreateOptions" or "UpdateOptions".
Result<void> validate_field_manager_option(std::string_view options_kind,
                                           std::string_view field_manager);

}  // namespace bosun::api
