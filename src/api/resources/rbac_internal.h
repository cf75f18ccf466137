// Internal pieces shared by the four RBAC strategies (role.cc, clusterrole.cc, rolebinding.cc,
// clusterrolebinding.cc): pkg/apis/rbac/validation, the rbac/v1 defaulters and the binding
// printers. The public surface is resources.h. Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <vector>

#include "api/registry.h"
#include "common/field_errors.h"
#include "common/json.h"

namespace bosun::api::resources::rbac {

inline constexpr std::string_view kGroupName = "rbac.authorization.k8s.io";

// Role and ClusterRole: `rules` has no omitempty, so an empty one is printed as null.
void default_rules(Json& role);
// validatePolicyRule for rules[i] (namespaced: a Role, which may not name non-resource URLs).
void validate_rules(const Json& role, bool namespaced, FieldErrors& errs);

// SetDefaults_RoleBinding / SetDefaults_ClusterRoleBinding / SetDefaults_Subject: roleRef's and
// User/Group subjects' apiGroup default to rbac.authorization.k8s.io.
void default_binding(Json& binding);
// ValidateRoleBinding / ValidateClusterRoleBinding without ObjectMeta.
FieldErrors validate_binding(const Json& binding, bool namespaced);
// ...Update: the same, and roleRef may not change (`cannot change roleRef`).
FieldErrors validate_binding_update(const Json& binding, const Json& old, bool namespaced);

// printRoleBinding / printClusterRoleBinding.
std::vector<TableColumn> binding_columns(bool cluster);
Json binding_cells(const Json& binding, std::chrono::system_clock::time_point now);

}  // namespace bosun::api::resources::rbac
