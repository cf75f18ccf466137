// The per-type behaviour of the core resources, as Kubernetes' registry strategies define it
// (pkg/registry/<group>/<type>/strategy.go, the v1 defaulters, pkg/apis/*/validation and the
// table printers of pkg/printers/internalversion): install_<type>() fills the strategy hooks of
// that type's ResourceRegistry entry. The registry set-up calls them once, before the registry is
// shared; the hooks are then pure functions of their arguments (and of the clock captured at
// install time, for AGE cells and condition times) and safe to call from any thread.
//
// How the API server is expected to run the hooks (as genericregistry.Store does):
//   create: default_fields -> prepare_object_meta_for_create -> prepare_for_create ->
//           validate_object_meta -> validate_create
//   update: default_fields -> prepare_object_meta_for_update -> prepare_for_update ->
//           validate_object_meta_update -> validate_update
// validate_create / validate_update return only the type-specific errors: the generic ObjectMeta
// checks (name via the entry's validate_name, namespace, labels, annotations, ...) are the
// server's, run before them, so that Kubernetes' order of errors is kept.
#pragma once

#include <chrono>

#include "api/registry.h"
#include "common/clock.h"
#include "common/field_errors.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api::resources {

// ---- The main endpoint of each type.

// core/v1 pods. Defaults of the v1 PodSpec and SetDefaults_Pod; on create status becomes
// {phase: Pending, qosClass} (plus a SchedulingGated condition when scheduling gates are set),
// generation 1, and priority 0 / preemptionPolicy PreemptLowerPriority as the Priority admission
// plugin sets them for pods without a priority class; on update the status is kept from the old
// object and generation bumps on spec changes. Validation is ValidatePodCreate /
// ValidatePodUpdate (only images, activeDeadlineSeconds, added tolerations, removed scheduling
// gates and a negative grace period may change: `pod updates may not change fields other than
// ...`). The table is printPod: Name, Ready, Status, Restarts, Age, and with -o wide IP, Node,
// Nominated Node, Readiness Gates.
// The DefaultTolerationSeconds admission plugin's settings (kube-apiserver's
// --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds): how long
// pods tolerate, unless they say otherwise, a node that is not ready or unreachable.
struct PodAdmissionOptions {
  int64_t default_not_ready_toleration_seconds = 300;
  int64_t default_unreachable_toleration_seconds = 300;
};
void install_pod(ResourceType& t, const Clock& clock = Clock::real(),
                 PodAdmissionOptions admission = {});
// core/v1 nodes: status may be set on create, the main endpoint keeps the old status; taints,
// podCIDRs, providerID and resource quantities validated; Status/Roles/Age/Version table.
void install_node(ResourceType& t, const Clock& clock = Clock::real());
// core/v1 namespaces: label kubernetes.io/metadata.name, spec.finalizers [kubernetes] and status
// phase Active on create; spec and status kept on update.
void install_namespace(ResourceType& t, const Clock& clock = Clock::real());
// core/v1 events (legacy validation) and events.k8s.io/v1 events (strict validation of new
// events, immutable fields on update). Both print Kubernetes' event table.
void install_event(ResourceType& t, const Clock& clock = Clock::real());
void install_events_v1_event(ResourceType& t, const Clock& clock = Clock::real());
void install_config_map(ResourceType& t, const Clock& clock = Clock::real());
// core/v1 secrets: type Opaque by default, stringData merged into data, keys and size validated,
// type immutable, `immutable` honoured.
void install_secret(ResourceType& t, const Clock& clock = Clock::real());
void install_service_account(ResourceType& t, const Clock& clock = Clock::real());
void install_endpoints(ResourceType& t, const Clock& clock = Clock::real());
// discovery.k8s.io/v1 endpointslices: port name "" and protocol TCP by default, generation 1 on
// create and bumped on any non-metadata change.
void install_endpoint_slice(ResourceType& t, const Clock& clock = Clock::real());
// coordination.k8s.io/v1 leases.
void install_lease(ResourceType& t, const Clock& clock = Clock::real());
// rbac.authorization.k8s.io/v1: roles and cluster roles (policy rules; Kubernetes prints only
// Name and Created At), role bindings and cluster role bindings (roleRef immutable, subjects,
// Role/Age and with -o wide Users/Groups/ServiceAccounts).
void install_role(ResourceType& t, const Clock& clock = Clock::real());
void install_cluster_role(ResourceType& t, const Clock& clock = Clock::real());
void install_role_binding(ResourceType& t, const Clock& clock = Clock::real());
void install_cluster_role_binding(ResourceType& t, const Clock& clock = Clock::real());

// Installs all of the above on the entries of `registry` that exist.
void install_core_resources(ResourceRegistry& registry, const Clock& clock = Clock::real(),
                            PodAdmissionOptions pod_admission = {});

// ---- Subresources that write the whole object.

// The strategy of a subresource update (pods/status, nodes/status, namespaces/status,
// namespaces/finalize): what the request may change, and its validation (type-specific part, as
// above). The API server runs default_fields of the main entry first.
struct SubresourceStrategy {
  std::function<void(Json& obj, const Json& old)> prepare_for_update;
  std::function<FieldErrors(const Json& obj, const Json& old)> validate_update;
};

// pods/status: only status changes (spec and ownerReferences kept from the old object, qosClass
// and observedGeneration back-filled); ValidatePodStatusUpdate.
SubresourceStrategy pod_status_strategy();
// pods/ephemeralcontainers (kubectl debug): only spec.ephemeralContainers changes (generation bumps
// when it does); existing ephemeral containers may not be removed or changed, static pods get
// none.
SubresourceStrategy pod_ephemeral_containers_strategy();
// nodes/status: only status changes.
SubresourceStrategy node_status_strategy();
// namespaces/status: only status changes; phase must agree with deletionTimestamp.
SubresourceStrategy namespace_status_strategy();
// namespaces/finalize: only spec.finalizers changes.
SubresourceStrategy namespace_finalize_strategy();

// ---- pods/binding.

// ValidatePodBinding (422 Invalid for kind Binding): target.kind must be Node or empty,
// target.name is required.
FieldErrors validate_pod_binding(const Json& binding);
// BindingREST: the pod with spec.nodeName set to binding.target.name, the binding's annotations
// merged in and a PodScheduled=True condition (lastTransitionTime `now`). A pod that is being
// deleted or already bound is a Conflict worded as Kubernetes words it: `Operation cannot be
// fulfilled on pods/binding "web": pod web is already assigned to node "node-1"`. A binding whose
// name differs from the pod's is a BadRequest.
Result<Json> bind_pod(const Json& pod, const Json& binding,
                      std::chrono::system_clock::time_point now);

// ---- events.k8s.io/v1 <-> core/v1 Event (they share storage, as in Kubernetes).

// Renames regarding/note/deprecatedSource/deprecatedFirstTimestamp/... to the core/v1 fields and
// back; everything else is carried over unchanged.
Json event_v1_to_core(const Json& event);
Json event_core_to_v1(const Json& event);

}  // namespace bosun::api::resources
