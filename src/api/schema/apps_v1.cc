// Schema text of apps/v1 (k8s.io/api/apps/v1): Deployment, ReplicaSet and ControllerRevision with
// their specs, statuses and conditions. Field facts follow Kubernetes 1.33's Go types; the
// descriptions are ours. Immutable.
namespace bosun::api::schema {

extern const char kAppsV1[] = R"schema(
package io.k8s.api.apps.v1

type Deployment gvk=apps/v1/Deployment : Declarative updates for a set of identical pods, through ReplicaSets.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  spec DeploymentSpec : The desired state of the Deployment.
  status DeploymentStatus : The most recently observed state of the Deployment.

type DeploymentList gvk=apps/v1/DeploymentList : A list of Deployments.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []Deployment required : The Deployments.

type DeploymentSpec : What a Deployment should run and how it replaces pods.
  replicas int32 : Number of pods wanted; 1 when unset.
  selector io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector required : Selects the pods this Deployment owns; must match the template's labels.
  template io.k8s.api.core.v1.PodTemplateSpec required : The pods to create.
  strategy DeploymentStrategy patch=retainKeys : How old pods are replaced by new ones.
  minReadySeconds int32 : Seconds a new pod must be ready, with no container crashing, to count as available.
  revisionHistoryLimit int32 : How many old ReplicaSets to keep for rollback; 10 when unset.
  paused boolean : Stops rollouts while true.
  progressDeadlineSeconds int32 : Seconds a rollout may go without progress before it is reported as failed; 600 when unset.
  podReplacementPolicy string enum=TerminationStarted|TerminationComplete : When replacement pods are created (alpha).

type DeploymentStrategy : The way a Deployment replaces its pods.
  type string enum=Recreate|RollingUpdate : Recreate or RollingUpdate (the default).
  rollingUpdate RollingUpdateDeployment : Parameters of a rolling update.

type RollingUpdateDeployment : Limits of a rolling update.
  maxUnavailable IntOrString : Pods that may be unavailable during the update, a number or a percentage; 25% when unset.
  maxSurge IntOrString : Pods that may be created above the desired count, a number or a percentage; 25% when unset.

type DeploymentStatus : The observed state of a Deployment.
  observedGeneration int64 : The generation the controller last acted on.
  replicas int32 : Non-terminating pods targeted by this Deployment.
  updatedReplicas int32 : Non-terminating pods with the current template.
  readyReplicas int32 : Non-terminating pods with a Ready condition.
  availableReplicas int32 : Non-terminating pods ready for at least minReadySeconds.
  unavailableReplicas int32 : Pods still needed for full availability.
  terminatingReplicas int32 : Pods being deleted (alpha).
  conditions []DeploymentCondition patch=merge merge-key=type list=map list-keys=type : Latest observations of the Deployment's state.
  collisionCount int32 : Hash collisions seen when naming new ReplicaSets.

type DeploymentCondition : One aspect of a Deployment's state.
  type string required : Available, Progressing or ReplicaFailure.
  status string required : True, False or Unknown.
  lastUpdateTime io.k8s.apimachinery.pkg.apis.meta.v1.Time : When the condition was last updated.
  lastTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time : When the status last changed.
  reason string : Machine-readable reason for the last transition.
  message string : Human-readable detail of the last transition.

type ReplicaSet gvk=apps/v1/ReplicaSet : Keeps a given number of identical pods running.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  spec ReplicaSetSpec : The desired state of the ReplicaSet.
  status ReplicaSetStatus : The most recently observed state of the ReplicaSet.

type ReplicaSetList gvk=apps/v1/ReplicaSetList : A list of ReplicaSets.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []ReplicaSet required : The ReplicaSets.

type ReplicaSetSpec : What a ReplicaSet keeps running.
  replicas int32 : Number of pods wanted; 1 when unset.
  minReadySeconds int32 : Seconds a new pod must be ready to count as available.
  selector io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector required : Selects the pods counted against replicas; must match the template's labels.
  template io.k8s.api.core.v1.PodTemplateSpec : The pods created when there are too few.

type ReplicaSetStatus : The observed state of a ReplicaSet.
  replicas int32 required : Non-terminating pods last observed.
  fullyLabeledReplicas int32 : Non-terminating pods whose labels match the template's.
  readyReplicas int32 : Non-terminating pods with a Ready condition.
  availableReplicas int32 : Non-terminating pods ready for at least minReadySeconds.
  terminatingReplicas int32 : Pods being deleted (alpha).
  observedGeneration int64 : The generation the controller last acted on.
  conditions []ReplicaSetCondition patch=merge merge-key=type list=map list-keys=type : Latest observations of the ReplicaSet's state.

type ReplicaSetCondition : One aspect of a ReplicaSet's state.
  type string required : The condition type, such as ReplicaFailure.
  status string required : True, False or Unknown.
  lastTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time : When the status last changed.
  reason string : Machine-readable reason for the last transition.
  message string : Human-readable detail of the last transition.

type ControllerRevision gvk=apps/v1/ControllerRevision : An immutable snapshot of state a controller can roll back to.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Standard object metadata.
  data any : The serialized state.
  revision int64 required : The revision this snapshot represents.

type ControllerRevisionList gvk=apps/v1/ControllerRevisionList : A list of ControllerRevisions.
  apiVersion string : The versioned schema of this object.
  kind string : The type of this object.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta : Standard list metadata.
  items []ControllerRevision required : The ControllerRevisions.
)schema";

}  // namespace bosun::api::schema
