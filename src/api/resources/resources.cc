// install_core_resources: the strategies of resources.h on their registry entries.
#include "api/resources/resources.h"

namespace bosun::api::resources {

void install_core_resources(ResourceRegistry& registry, const Clock& clock,
                            PodAdmissionOptions pod_admission) {
  struct Entry {
    const char* group;
    const char* plural;
    void (*install)(ResourceType&, const Clock&);
  };
  static constexpr Entry kEntries[] = {
      {"", "nodes", install_node},
      {"", "namespaces", install_namespace},
      {"", "events", install_event},
      {"events.k8s.io", "events", install_events_v1_event},
      {"", "configmaps", install_config_map},
      {"", "secrets", install_secret},
      {"", "serviceaccounts", install_service_account},
      {"", "endpoints", install_endpoints},
      {"discovery.k8s.io", "endpointslices", install_endpoint_slice},
      {"coordination.k8s.io", "leases", install_lease},
      {"rbac.authorization.k8s.io", "roles", install_role},
      {"rbac.authorization.k8s.io", "clusterroles", install_cluster_role},
      {"rbac.authorization.k8s.io", "rolebindings", install_role_binding},
      {"rbac.authorization.k8s.io", "clusterrolebindings", install_cluster_role_binding},
  };
  if (ResourceType* t = registry.find_mutable("", "v1", "pods")) {
    install_pod(*t, clock, pod_admission);
  }
  for (const Entry& e : kEntries) {
    if (ResourceType* t = registry.find_mutable(e.group, "v1", e.plural)) e.install(*t, clock);
  }
}

}  // namespace bosun::api::resources
