// The registry strategies (Kubernetes 1.33's pkg/registry/<group>/<type>/strategy.go, the v1
// defaulters, pkg/apis/<group>/validation and the kubectl table printers) of Service,
// ReplicationController, ReplicaSet, Deployment, ResourceQuota, LimitRange, PersistentVolume and
// PersistentVolumeClaim. The registry set-up calls install_*() on the entries of
// ResourceRegistry::make_builtin() before sharing the registry; the API server then calls the
// hooks for every request. The hooks are pure functions of their arguments (and of `clock`, read
// for the AGE cells and PersistentVolume phase transition times); they are safe to call from many
// threads at once. `clock` must outlive the registry.
//
// What each hook does, as Kubernetes orders a write:
// - default_fields: the v1 SetDefaults_* functions (what `kubectl get -o yaml` shows that nobody
//   wrote), including the pod template defaults of the three controllers.
// - prepare_for_create / prepare_for_update: the strategy's PrepareFor* (status reset or kept,
//   metadata.generation 1 on create and bumped on spec changes for types that have one), plus for
//   Services the pure part of the REST storage's preparation (clusterIP/clusterIPs normalization,
//   IP family and policy defaults for a single-stack IPv4 cluster, keeping allocated IPs and node
//   ports on update). Allocating cluster IPs (for spec.ipFamilies), node ports and the
//   healthCheckNodePort of LoadBalancer services with externalTrafficPolicy Local is the API
//   server's. Kubernetes allocates before validating; Bosun's server allocates after, so
//   validation accepts a healthCheckNodePort still unset. A Service's IP family errors (`this
//   cluster is not configured for dual-stack services`, ...) are returned alone, as Kubernetes
//   returns them before validating.
// - validate_create / validate_update: the type's fields with Kubernetes' paths and messages.
//   metadata is not checked here: the API server runs validate_object_meta /
//   validate_object_meta_update first, as every Kubernetes Validate* function starts with them.
// - table_columns / table_cells: `kubectl get` columns; the cells include the -o wide ones, as the
//   API server always renders wide rows and kubectl hides priority-1 columns itself.
#pragma once

#include "api/registry.h"
#include "api/resources/resources.h"
#include "common/clock.h"
#include "common/field_errors.h"
#include "common/json.h"

namespace bosun::api::resources {

void install_service(ResourceType& t, const Clock& clock = Clock::real());
void install_replication_controller(ResourceType& t, const Clock& clock = Clock::real());
void install_replica_set(ResourceType& t, const Clock& clock = Clock::real());
void install_deployment(ResourceType& t, const Clock& clock = Clock::real());
void install_resource_quota(ResourceType& t, const Clock& clock = Clock::real());
void install_limit_range(ResourceType& t, const Clock& clock = Clock::real());
void install_persistent_volume(ResourceType& t, const Clock& clock = Clock::real());
void install_persistent_volume_claim(ResourceType& t, const Clock& clock = Clock::real());

// ---- Status subresources (<resource>/status): the main entry's default_fields runs first, then
// these. Only status may change (spec, and for Deployments the labels, are kept from the old
// object); validation is the type's Validate*StatusUpdate without the ObjectMeta part.

SubresourceStrategy deployment_status_strategy();
SubresourceStrategy replica_set_status_strategy();
SubresourceStrategy replication_controller_status_strategy();
// status.loadBalancer: ingress only for LoadBalancer services, IPs valid, ipMode VIP or Proxy.
SubresourceStrategy service_status_strategy();
SubresourceStrategy resource_quota_status_strategy();
// A phase change stamps status.lastPhaseTransitionTime with `clock` unless the writer set it.
SubresourceStrategy persistent_volume_status_strategy(const Clock& clock = Clock::real());
SubresourceStrategy persistent_volume_claim_status_strategy();

// ---- Scale subresource (deployments/scale, replicasets/scale, replicationcontrollers/scale).

// The autoscaling/v1 Scale of a Deployment, ReplicaSet or ReplicationController as Kubernetes'
// scale REST returns it: the object's name, namespace, uid, resourceVersion and
// creationTimestamp; spec.replicas (omitted when 0, as autoscaling/v1 omits it); status.replicas
// and status.selector, the pod selector in its string form ("app=web,tier in (a,b)").
Json scale_of(const Json& obj);
// A write through <resource>/scale: ValidateScale's errors (`spec.replicas: Invalid value: -1:
// must be greater than or equal to 0`) and `obj` untouched, or no errors and obj.spec.replicas
// set from the Scale. The API server checks the Scale's resourceVersion precondition first and
// runs the type's own update (prepare_for_update, validate_update) on the result.
FieldErrors apply_scale(Json& obj, const Json& scale);

// The install_*() functions above on their entries of `registry` (core/v1 services,
// replicationcontrollers, resourcequotas, limitranges, persistentvolumes, persistentvolumeclaims;
// apps/v1 deployments, replicasets). Entries the registry does not have are skipped.
void install_workloads(ResourceRegistry& registry, const Clock& clock = Clock::real());

}  // namespace bosun::api::resources
