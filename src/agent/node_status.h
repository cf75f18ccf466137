// What the agent tells the cluster about its node, as the kubelet does: the machine's capacity and
// allocatable resources, addresses, nodeInfo, labels and the four conditions of a Node, and the
// node's Lease in kube-node-lease. read_machine_info() reads this machine; the rest are pure
// functions over it, plus register_node() and renew_node_lease() which write through the client.
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "client/rest_client.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::agent {

// Kubernetes' defaults the agent follows.
inline constexpr int64_t kDefaultMaxPods = 110;
inline constexpr int kNodeLeaseDurationSeconds = 40;
inline constexpr int64_t kEvictionHardMemoryBytes = 100 * 1024 * 1024;  // memory.available<100Mi
inline constexpr int kEvictionHardNodefsPercent = 10;                   // nodefs.available<10%
inline constexpr const char* kNodeLeaseNamespace = "kube-node-lease";
inline constexpr const char* kKubeletVersion = "v1.33.0";

struct MachineInfo {
  int64_t cpu_milli = 0;
  int64_t memory_bytes = 0;
  int64_t ephemeral_storage_bytes = 0;  // the filesystem holding the data dir
  std::string hostname;
  std::string internal_ip;  // first non-loopback IPv4 address; 127.0.0.1 when there is none
  std::string kernel_version;
  std::string os_image;  // PRETTY_NAME of /etc/os-release
  std::string architecture = "amd64";
  std::string machine_id;
  std::string system_uuid;
  std::string boot_id;
  std::string runtime_version;  // "runc://1.1.5"; empty when runc is missing
};

// Reads this machine: CPUs online, MemTotal, the data dir's filesystem size, uname, os-release,
// machine and boot IDs, and `runc --version`.
Result<MachineInfo> read_machine_info(const std::string& data_dir,
                                      const std::string& runc = "runc");

// "runc version 1.1.5+ds1\n..." -> "runc://1.1.5"; empty when unrecognised.
std::string runtime_version_from_runc_output(std::string_view output);

struct NodeConfig {
  std::string node_name;
  std::map<std::string, std::string> labels;  // besides the well-known ones
  int64_t max_pods = kDefaultMaxPods;
  // --reserved: subtracted from capacity to give allocatable (with the hard eviction thresholds).
  int64_t reserved_cpu_milli = 0;
  int64_t reserved_memory_bytes = 0;
  int64_t reserved_ephemeral_storage_bytes = 0;
  std::string internal_ip;  // overrides the machine's
  int agent_port = 10250;
};

// The Node as the agent registers it: metadata (well-known labels kubernetes.io/hostname, os,
// arch), spec {}, status (capacity, allocatable, conditions, addresses, daemonEndpoints, nodeInfo).
Json build_node(const NodeConfig& config, const MachineInfo& machine, Clock::WallTime now);
// The four kubelet conditions, all healthy, with Kubernetes' reasons and messages.
Json healthy_node_conditions(Clock::WallTime now);

// Creates the Node, or (when it exists) refreshes its labels and status, keeping its spec (taints,
// unschedulable and podCIDR belong to others). Returns the Node as stored.
Result<Json> register_node(client::RestClient& client, const NodeConfig& config,
                           const MachineInfo& machine, Clock::WallTime now);

// Renews the node's Lease (creating it, owned by the Node, the first time): holderIdentity the
// node name, leaseDurationSeconds 40, renewTime now. Returns the Lease as stored.
Result<Json> renew_node_lease(client::RestClient& client, const Json& node, Clock::WallTime now);

}  // namespace bosun::agent
