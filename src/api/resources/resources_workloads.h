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
//   ports on update). Cluster IP and node port allocation are left to the API server.
// - validate_create / validate_update: the type's fields with Kubernetes' paths and messages.
//   metadata is not checked here: the API server runs validate_object_meta /
//   validate_object_meta_update first, as every Kubernetes Validate* function starts with them.
// - table_columns / table_cells: `kubectl get` columns; the cells include the -o wide ones, as the
//   API server always renders wide rows and kubectl hides priority-1 columns itself.
#pragma once

#include "api/registry.h"
#include "common/clock.h"

namespace bosun::api::resources {

void install_service(ResourceType& t, const Clock& clock = Clock::real());
void install_replication_controller(ResourceType& t, const Clock& clock = Clock::real());
void install_replica_set(ResourceType& t, const Clock& clock = Clock::real());
void install_deployment(ResourceType& t, const Clock& clock = Clock::real());
void install_resource_quota(ResourceType& t, const Clock& clock = Clock::real());
void install_limit_range(ResourceType& t, const Clock& clock = Clock::real());
void install_persistent_volume(ResourceType& t, const Clock& clock = Clock::real());
void install_persistent_volume_claim(ResourceType& t, const Clock& clock = Clock::real());

// All of the above on their entries of `registry` (core/v1 services, replicationcontrollers,
// resourcequotas, limitranges, persistentvolumes, persistentvolumeclaims; apps/v1 deployments,
// replicasets). Entries the registry does not have are skipped.
void install_workloads(ResourceRegistry& registry, const Clock& clock = Clock::real());

}  // namespace bosun::api::resources
