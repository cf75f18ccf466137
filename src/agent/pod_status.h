// A pod's status as the kubelet writes it (pkg/kubelet/kubelet_pods.go generateAPIPodStatus and
// getPhase, pkg/kubelet/status/generate.go, status_manager.go): phase, the kubelet's four
// conditions with lastTransitionTime kept while a condition does not change, container and init
// container statuses (waiting/running/terminated with Kubernetes' reasons, lastState, ready,
// started, restartCount, image, imageID, containerID), host and pod IPs, startTime and qosClass.
// Used by the pod workers, which write it through the status subresource only when it changed.
// Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "agent/pod_sync.h"
#include "agent/probe_results.h"
#include "common/clock.h"
#include "common/json.h"

namespace bosun::agent {

struct PodStatusInput {
  const Json* pod = nullptr;  // the pod as the API has it (its status is the previous one)
  const PodRuntimeView* view = nullptr;
  const PodSyncState* state = nullptr;
  const NodeContext* node = nullptr;
  const ProbeResults* probes = nullptr;  // null: a running container without probes is ready
  std::string_view runtime_prefix;       // "runc": containerID "runc://<id>"
  Clock::WallTime now;
};

// The new status: the previous one with every field the kubelet owns recomputed; fields it does
// not own (nominatedNodeName, other components' conditions such as PodScheduled) are kept.
Json generate_pod_status(const PodStatusInput& in);

// Kubernetes' getPhase over the computed container statuses.
std::string pod_phase(const Json& spec, const Json& init_statuses, const Json& statuses);

}  // namespace bosun::agent
