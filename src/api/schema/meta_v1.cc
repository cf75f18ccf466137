// Schema text of meta/v1 (k8s.io/apimachinery/pkg/apis/meta/v1): object and list metadata, owner
// references, managed fields, label selectors, Status, DeleteOptions, Condition. Field facts follow
// Kubernetes 1.33's Go types; the descriptions are ours. Immutable data.
namespace bosun::api::schema {

extern const char kMetaV1[] = R"schema(
package io.k8s.apimachinery.pkg.apis.meta.v1

type Time scalar=Time : A point in time, RFC 3339 in whole seconds, always UTC on output.
type MicroTime scalar=MicroTime : A point in time with microseconds, RFC 3339.
type FieldsV1 scalar=any : A set of field paths in the trie encoding server-side apply uses.

type ObjectMeta : Metadata every persisted object carries.
  name string : Unique name within the namespace; fixed after creation.
  generateName string : Prefix from which the server makes a unique name when name is empty.
  namespace string : The namespace the object lives in; empty for cluster-scoped kinds.
  selfLink string : Deprecated; never set by the server.
  uid string : Unique identity for the lifetime of the object, set by the server.
  resourceVersion string : Opaque version of the object, used for optimistic concurrency and watches.
  generation int64 : Sequence number of changes to the desired state.
  creationTimestamp Time : When the server created the object.
  deletionTimestamp Time : When the object is to be removed; set when graceful deletion starts.
  deletionGracePeriodSeconds int64 : Seconds allowed for graceful termination before removal.
  labels map[string]string : Key/value pairs used to organise and select objects.
  annotations map[string]string : Arbitrary non-identifying metadata for tools.
  ownerReferences []OwnerReference patch=merge merge-key=uid list=map list-keys=uid : Objects this one depends on; the garbage collector removes it once they are all gone.
  finalizers []string patch=merge list=set : Tokens that must be cleared before the object is removed.
  managedFields []ManagedFieldsEntry list=atomic : Which manager owns which fields, maintained by server-side apply.

type ListMeta : Metadata of a list response.
  selfLink string : Deprecated; never set by the server.
  resourceVersion string : The version of the collection this list was read at.
  continue string : Token to request the next page when the list was limited.
  remainingItemCount int64 : How many items are left after this page, when the server knows.

type OwnerReference struct=atomic : Names an object that owns this one.
  apiVersion string required : API version of the owner.
  kind string required : Kind of the owner.
  name string required : Name of the owner.
  uid string required : UID of the owner.
  controller boolean : True if the owner is the managing controller.
  blockOwnerDeletion boolean : If true, foreground deletion of the owner waits for this object to go.

type ManagedFieldsEntry : The fields one manager set through one operation.
  manager string : Identifies the workflow that manages these fields.
  operation string enum=Apply|Update : The kind of request that set them.
  apiVersion string : Version of the resource the fields are expressed in.
  time Time : When the entry last changed.
  fieldsType string : Format of fieldsV1; only FieldsV1.
  fieldsV1 FieldsV1 : The field set.
  subresource string : The subresource the request went to, empty for the main resource.

type LabelSelector struct=atomic : A label query; the requirements are ANDed, an empty selector matches everything.
  matchLabels map[string]string : Each pair is an equality requirement.
  matchExpressions []LabelSelectorRequirement list=atomic : Set-based requirements.

type LabelSelectorRequirement : One set-based label requirement.
  key string required patch=merge merge-key=key : The label key the requirement applies to.
  operator string required enum=In|NotIn|Exists|DoesNotExist : How the key relates to the values.
  values []string list=atomic : Values for In and NotIn; empty for Exists and DoesNotExist.

type Status gvk=/v1/Status : The result of a call that returns no object, usually an error.
  kind string : The type of this object.
  apiVersion string : The versioned schema of this object.
  metadata ListMeta : List metadata; mostly empty.
  status string enum=Success|Failure : Outcome of the operation.
  message string : Human-readable description.
  reason string : Machine-readable reason, such as NotFound or AlreadyExists.
  details StatusDetails : Extra data that depends on the reason.
  code int32 : The HTTP status code.

type StatusDetails : Detail of a Status about one object.
  name string : Name of the object concerned.
  group string : Group of the object concerned.
  kind string : Kind of the object concerned.
  uid string : UID of the object concerned.
  causes []StatusCause list=atomic : Individual causes, such as invalid fields.
  retryAfterSeconds int32 : Seconds to wait before retrying.

type StatusCause : One cause of an error.
  reason string : Machine-readable cause, such as FieldValueInvalid.
  message string : Human-readable description.
  field string : Path of the field concerned, such as spec.containers[0].name.

type DeleteOptions gvk=/v1/DeleteOptions gvk=apps/v1/DeleteOptions gvk=autoscaling/v1/DeleteOptions gvk=coordination.k8s.io/v1/DeleteOptions gvk=discovery.k8s.io/v1/DeleteOptions gvk=events.k8s.io/v1/DeleteOptions gvk=policy/v1/DeleteOptions gvk=rbac.authorization.k8s.io/v1/DeleteOptions : Options of a delete request.
  kind string : The type of this object.
  apiVersion string : The versioned schema of this object.
  gracePeriodSeconds int64 : Seconds before the object is removed; zero deletes at once.
  preconditions Preconditions : Must hold for the delete to go ahead.
  orphanDependents boolean : Deprecated; use propagationPolicy.
  propagationPolicy string enum=Orphan|Background|Foreground : Whether and how dependents are garbage collected.
  dryRun []string list=atomic : When present, the request is not persisted; only All is valid.
  ignoreStoreReadErrorWithClusterBreakingPotential boolean : Removes a corrupt object that cannot be read; dangerous.

type Preconditions : Conditions a delete checks first.
  uid string : The target's UID must match.
  resourceVersion string : The target's resourceVersion must match.

type Condition : One aspect of an object's current state.
  type string required : Type of condition, in CamelCase.
  status string required enum=True|False|Unknown : Status of the condition.
  observedGeneration int64 : The metadata.generation the condition was set against.
  lastTransitionTime Time required : When the status last changed.
  reason string required : Machine-readable reason for the last transition, in CamelCase.
  message string required : Human-readable message about the transition.

type WatchEvent gvk=/v1/WatchEvent gvk=apps/v1/WatchEvent gvk=autoscaling/v1/WatchEvent gvk=coordination.k8s.io/v1/WatchEvent gvk=discovery.k8s.io/v1/WatchEvent gvk=events.k8s.io/v1/WatchEvent gvk=policy/v1/WatchEvent gvk=rbac.authorization.k8s.io/v1/WatchEvent : One event of a watch stream.
  type string required : ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
  object any required : The object, or a Status for ERROR.

type APIVersions gvk=/v1/APIVersions : The versions of the core group, served at /api.
  kind string : The type of this object.
  apiVersion string : The versioned schema of this object.
  versions []string required list=atomic : The versions served.
  serverAddressByClientCIDRs []ServerAddressByClientCIDR required list=atomic : Server addresses by client network.

type APIGroupList gvk=/v1/APIGroupList : The named groups served, at /apis.
  kind string : The type of this object.
  apiVersion string : The versioned schema of this object.
  groups []APIGroup required list=atomic : The groups.

type APIGroup gvk=/v1/APIGroup : One API group and its versions.
  kind string : The type of this object.
  apiVersion string : The versioned schema of this object.
  name string required : The group name.
  versions []GroupVersionForDiscovery required list=atomic : The versions served.
  preferredVersion GroupVersionForDiscovery : The version clients should use.
  serverAddressByClientCIDRs []ServerAddressByClientCIDR list=atomic : Server addresses by client network.

type GroupVersionForDiscovery : One version of a group.
  groupVersion string required : "group/version".
  version string required : The version alone.

type ServerAddressByClientCIDR : The address clients in a network should use.
  clientCIDR string required : The client network.
  serverAddress string required : host or host:port.

type APIResourceList gvk=/v1/APIResourceList : The resources of one group/version.
  kind string : The type of this object.
  apiVersion string : The versioned schema of this object.
  groupVersion string required : "group/version" the resources belong to.
  resources []APIResource required list=atomic : The resources.

type APIResource : One resource as discovery describes it.
  name string required : The plural name, or plural/subresource.
  singularName string required : The singular name.
  namespaced boolean required : Whether objects live in namespaces.
  group string : The group, when it differs from the list's.
  version string : The version, when it differs from the list's.
  kind string required : The kind of the objects.
  verbs []string required : The verbs supported.
  shortNames []string list=atomic : Abbreviations kubectl accepts.
  categories []string list=atomic : Groups of resources, such as all.
  storageVersionHash string : Hash of the storage version, for change detection.
)schema";

}  // namespace bosun::api::schema
