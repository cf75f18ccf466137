// The field manager of one resource (kube-apiserver's FieldManager with its default layers):
// managedFields maintenance on create, update and non-apply patch, and server-side apply; used by
// the API server's handlers, one per resource and subresource. Immutable after construction:
// share it between threads.
//
// Apply (PATCH application/apply-patch+yaml) merges the applied configuration into the live object
// by the schema's list and map types, removes what the applier set last time and dropped unless
// another manager owns it, refuses (409) to change fields other managers own unless forced, and
// lets kubectl take over from its own client-side apply (last-applied-configuration).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/field_set.h"
#include "api/gvk.h"
#include "api/managed_fields.h"
#include "api/schema.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// kubectl's client-side apply annotation.
inline constexpr std::string_view kLastAppliedConfigAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";
// The field manager whose applies upgrade from client-side apply (kubectl apply --server-side).
inline constexpr std::string_view kKubectlApplyManager = "kubectl";

struct ApplyResult {
  // The object to store, managedFields included.
  Json object;
  // False when `object` equals the live object: nothing to write, no new resourceVersion.
  bool changed = false;
};

class FieldManager {
 public:
  // `type` is the body's schema (null: no schema, all of it deduced), `gvk` the kind served,
  // `subresource` "" for the resource itself, or "status", "scale". The reset fields are what the
  // request may not change and so nobody owns through it (strategy GetResetFields).
  FieldManager(const SchemaType* type, GroupVersionKind gvk, std::string subresource = "");
  FieldManager(const SchemaType* type, GroupVersionKind gvk, std::string subresource,
               FieldSet reset_fields);

  // The reset fields of Kubernetes' strategies: `status` for the resource itself; for the status
  // subresource everything at the top level but apiVersion, kind, metadata and status.
  static FieldSet default_reset_fields(const SchemaType* type, std::string_view subresource);

  const GroupVersionKind& gvk() const { return gvk_; }
  const std::string& subresource() const { return subresource_; }
  const FieldSet& reset_fields() const { return reset_fields_; }

  // FieldManager.UpdateNoErrors for a create (live is null or has no uid), update or non-apply
  // patch by `manager` (see manager_or_user_agent): sets new_obj's metadata.managedFields. The
  // fields this request changed move to the manager's Update entry (merged with its earlier one,
  // time from `clock`) and away from every other entry. The incoming managedFields are used when
  // they decode and are not empty (a client may edit them), else the live ones are kept;
  // `managedFields: []` resets them, and an update of an object without entries tracks nothing
  // (skipNonApplied). Subresource requests always keep the live entries.
  void update(const Json& live, Json& new_obj, std::string_view manager, const Clock& clock) const;

  // Server-side apply of `config` by `manager` to `live` (null or {} when the object does not
  // exist yet). Errors: BadRequest `invalid object type: apps/v1, Kind=Deployment` when config's
  // apiVersion/kind are not this resource's, BadRequest `metadata.managedFields must be nil`,
  // Conflict (apply_conflict_error) unless `force`, Internal `failed to create typed patch object
  // (default/web; apps/v1, Kind=Deployment): .spec.ports: element 0: ...` for list items without
  // keys or duplicate keys.
  Result<ApplyResult> apply(const Json& live, const Json& config, std::string_view manager,
                            bool force, const Clock& clock) const;

 private:
  struct Outcome;
  Result<Outcome> apply_once(const Json& live, const Json& config, ManagedFieldsMap managed,
                             std::string_view manager, bool force) const;
  Result<void> take_ownership(const Json& old_obj, const Json& new_obj, ManagedFieldsMap& managed,
                              const std::string& applier, bool force,
                              std::vector<FieldConflict>* conflicts) const;
  Json prune(Json merged, const ManagedFieldsMap& managed, const FieldSet& last,
             const FieldSet& applied) const;
  FieldSet allowed_conflicts_from_last_applied(const Json& live) const;

  const SchemaType* type_;
  GroupVersionKind gvk_;
  std::string api_version_;
  std::string subresource_;
  FieldSet reset_fields_;
  FieldSet strip_;  // what stripMeta keeps out of every entry
};

}  // namespace bosun::api
