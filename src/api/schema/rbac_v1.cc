// Schema text of rbac.authorization.k8s.io/v1 (k8s.io/api/rbac/v1): roles, cluster roles, their
// bindings and rules. Field facts follow Kubernetes 1.33's Go types; the descriptions are ours.
// Immutable data.
namespace bosun::api::schema {

extern const char kRbacV1[] = R"schema(
package io.k8s.api.rbac.v1

type Role gvk=rbac.authorization.k8s.io/v1/Role : A set of permissions within one namespace.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  rules []PolicyRule list=atomic : The permissions granted.

type RoleList gvk=rbac.authorization.k8s.io/v1/RoleList : A list of Roles.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []Role required : The Roles.

type ClusterRole gvk=rbac.authorization.k8s.io/v1/ClusterRole : A set of permissions across the cluster, or a template for namespaced grants.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  rules []PolicyRule list=atomic : The permissions granted.
  aggregationRule AggregationRule : When set, the controller fills rules from the selected ClusterRoles.

type ClusterRoleList gvk=rbac.authorization.k8s.io/v1/ClusterRoleList : A list of ClusterRoles.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []ClusterRole required : The ClusterRoles.

type AggregationRule : Selects the ClusterRoles whose rules are combined into one.
  clusterRoleSelectors []io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector list=atomic : A ClusterRole matching any selector contributes its rules.

type PolicyRule : Verbs allowed on resources or non-resource URLs.
  verbs []string required list=atomic : The verbs allowed; * allows all.
  apiGroups []string list=atomic : API groups of the resources; "" is the core group, * all groups.
  resources []string list=atomic : Resources the rule covers; * covers all.
  resourceNames []string list=atomic : Names the rule is restricted to; empty allows every name.
  nonResourceURLs []string list=atomic : URL paths such as /healthz; only in ClusterRoles bound cluster-wide.

type RoleBinding gvk=rbac.authorization.k8s.io/v1/RoleBinding : Grants a Role or ClusterRole to subjects within one namespace.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  subjects []Subject list=atomic : Who receives the permissions.
  roleRef RoleRef required : The role granted; fixed after creation.

type RoleBindingList gvk=rbac.authorization.k8s.io/v1/RoleBindingList : A list of RoleBindings.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []RoleBinding required : The RoleBindings.

type ClusterRoleBinding gvk=rbac.authorization.k8s.io/v1/ClusterRoleBinding : Grants a ClusterRole to subjects across the cluster.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  subjects []Subject list=atomic : Who receives the permissions.
  roleRef RoleRef required : The ClusterRole granted; fixed after creation.

type ClusterRoleBindingList gvk=rbac.authorization.k8s.io/v1/ClusterRoleBindingList : A list of ClusterRoleBindings.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []ClusterRoleBinding required : The ClusterRoleBindings.

type Subject struct=atomic : A user, group or service account a binding applies to.
  kind string required : User, Group or ServiceAccount.
  apiGroup string : "" for ServiceAccount, rbac.authorization.k8s.io for User and Group.
  name string required : The subject's name.
  namespace string : The service account's namespace.

type RoleRef struct=atomic : The role a binding grants.
  apiGroup string required : The role's API group.
  kind string required : Role or ClusterRole.
  name string required : The role's name.
)schema";

}  // namespace bosun::api::schema
