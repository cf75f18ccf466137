// OCI bundle generation: turns a container description (what the agent derived from a Pod's
// container, its image config and its sandbox) into the OCI runtime-spec 1.0.2 `config.json` that
// runc 1.1 runs, with the defaults containerd's CRI plugin and the kubelet apply. Pure functions
// and plain values; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun::runtime {

// Kubernetes' VolumeMount.mountPropagation.
enum class MountPropagation { kNone, kHostToContainer, kBidirectional };

// A host path bound into the container (volumes, and the sandbox's /etc/hosts, /etc/resolv.conf).
struct BindMount {
  std::string host_path;
  std::string container_path;
  bool read_only = false;
  MountPropagation propagation = MountPropagation::kNone;
};

// POSIX rlimit, named as the OCI spec does ("RLIMIT_NOFILE").
struct Rlimit {
  std::string type;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

// The part of a container's `resources` that becomes cgroup settings. Zero means "not set".
struct ContainerResources {
  int64_t cpu_request_milli = 0;
  int64_t cpu_limit_milli = 0;
  int64_t memory_limit_bytes = 0;
  int64_t pids_limit = 0;
};

// Namespaces a container joins instead of creating: the pod sandbox's. Empty path = a new namespace
// of its own, unless the matching host_* flag asks for the node's (hostNetwork, hostIPC, hostPID).
struct NamespaceJoin {
  std::string network_path;
  std::string ipc_path;
  std::string uts_path;
  bool host_network = false;
  bool host_ipc = false;
  bool host_pid = false;
};

// securityContext.capabilities: Kubernetes names without the CAP_ prefix, or "ALL".
struct CapabilityChanges {
  std::vector<std::string> add;
  std::vector<std::string> drop;
};

struct ContainerSpec {
  // process
  std::vector<std::string> args;  // already merged with the image (see merge_command)
  std::vector<std::string> env;   // "NAME=value", already merged with the image (see merge_env)
  std::string cwd = "/";
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;
  std::vector<Rlimit> rlimits;
  std::optional<int> oom_score_adj;
  // process.terminal (Container.tty): runc makes a terminal and passes its master to the
  // monitor's console socket (Runc::create with CreateOptions::tty).
  bool terminal = false;

  // root filesystem and mounts
  std::string rootfs;  // absolute host path
  bool readonly_rootfs = false;
  std::string hostname;
  std::string shm_path;  // the sandbox's /dev/shm, shared with the pod's IPC namespace; empty = own
  std::vector<BindMount> mounts;

  NamespaceJoin namespaces;

  // security
  CapabilityChanges capabilities;
  bool privileged = false;
  bool no_new_privileges = false;  // allowPrivilegeEscalation: false
  std::map<std::string, std::string> sysctls;

  // cgroups
  std::string cgroups_path;  // "/bosun/pod<uid>/<container id>"
  ContainerResources resources;

  std::map<std::string, std::string> annotations;
};

// containerd's default capability set (oci.defaultUnixCaps), with CAP_ prefixes, in its order.
const std::vector<std::string>& default_capabilities();
// Every capability the kernels we run on know, for privileged containers and add: ["ALL"].
const std::vector<std::string>& all_capabilities();
// The kubelet's default /proc masks (securitycontext.defaultMaskedPaths, procMount: Default).
const std::vector<std::string>& default_masked_paths();
const std::vector<std::string>& default_readonly_paths();

// The default set with the securityContext's add/drop applied the way containerd's CRI plugin does:
// "ALL" in add starts from every capability, "ALL" in drop from none, then single names are added
// and then dropped (so dropping wins). Unknown names are an Invalid error.
Result<std::vector<std::string>> effective_capabilities(const CapabilityChanges& changes);

// Kubernetes' cgroup v1 conversions (pkg/kubelet/cm: MilliCPUToShares, MilliCPUToQuota).
inline constexpr uint64_t kCpuPeriodUs = 100000;
uint64_t milli_cpu_to_shares(int64_t milli_cpu);
int64_t milli_cpu_to_quota(int64_t milli_cpu, int64_t period_us = kCpuPeriodUs);

// The kubelet's oom_score_adj policy (pkg/kubelet/qos/policy.go): Guaranteed pods -997, BestEffort
// 1000, Burstable 1000 - 1000 * memory request / node memory capacity, kept within [3, 999].
enum class QosClass { kGuaranteed, kBurstable, kBestEffort };
int container_oom_score_adj(QosClass qos, int64_t memory_request_bytes,
                            int64_t memory_capacity_bytes);

// The cgroup parent of a pod's containers and a container's own path under it.
std::string pod_cgroup_parent(std::string_view pod_uid);
std::string container_cgroup_path(std::string_view pod_uid, std::string_view container_id);

// The OCI runtime spec (config.json) for the container. Invalid input (no args, relative paths,
// unknown capabilities) is an Invalid error.
Result<Json> build_runtime_spec(const ContainerSpec& spec);

// Writes `<bundle_dir>/config.json` (creating bundle_dir); the rootfs stays where spec.rootfs says.
Result<void> write_bundle(const std::string& bundle_dir, const ContainerSpec& spec);

}  // namespace bosun::runtime
