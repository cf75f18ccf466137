// How a Pod's container becomes the runtime's ContainerConfig, as the kubelet's
// generateContainerConfig does: the pod's QoS class (pkg/apis/core/helper/qos), pod- and
// container-level securityContext merged (container wins; fsGroup joins the supplemental groups),
// resources as cgroup values and oom_score_adj, and the CRI log path layout. Used by the pod
// workers. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "agent/container_runtime.h"
#include "common/json.h"
#include "common/result.h"
#include "runtime/bundle_spec.h"

namespace bosun::agent {

// Guaranteed when every container (init included) has cpu and memory limits equal to its requests
// (requests default to limits), BestEffort when none sets any cpu/memory request or limit, else
// Burstable.
runtime::QosClass pod_qos_class(const Json& pod);
std::string_view qos_class_name(runtime::QosClass qos);

// <data_dir>/pods/<namespace>_<name>_<uid>: the pod's log directory (the kubelet's
// /var/log/pods layout).
std::string pod_log_directory(std::string_view data_dir, std::string_view ns, std::string_view name,
                              std::string_view uid);
// <pod log dir>/<container>/<attempt>.log
std::string container_log_path(std::string_view data_dir, std::string_view ns,
                               std::string_view name, std::string_view uid,
                               std::string_view container, int attempt);

// Sets run_as_user/group, supplemental_groups (pod supplementalGroups then fsGroup),
// capabilities, privileged, read_only_root_filesystem and no_new_privileges from the merged
// securityContext. no_new_privileges is on unless allowPrivilegeEscalation is true, the container
// is privileged or it is granted CAP_SYS_ADMIN: secure by default, where the kubelet's
// AddNoNewPrivileges sets it only for an explicit false.
void apply_security_context(const Json& pod, const Json& container, ContainerConfig* config);

// Sets resources (cpu request/limit in millicores, memory limit) and oom_score_adj (by QoS and the
// node's memory capacity). Unparseable quantities are BadRequest (the API server validated them,
// so this only guards against a broken object).
Result<void> apply_resources(const Json& pod, const Json& container, int64_t node_memory_bytes,
                             ContainerConfig* config);

// spec.terminationGracePeriodSeconds, or metadata.deletionGracePeriodSeconds once the pod is being
// deleted (it is the shorter, chosen by the deleter); 30 when neither is set.
int64_t pod_termination_grace_seconds(const Json& pod);

}  // namespace bosun::agent
