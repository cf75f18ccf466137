// A pod sandbox: what the containers of one pod share. A persistent network namespace (bind-mounted
// under the sandbox directory, `lo` up), IPC and UTS namespaces held the same way (no pause
// process: a bind-mounted namespace file keeps a namespace alive by itself), hostname = pod name, a
// /dev/shm tmpfs for the shared IPC namespace, the managed /etc/hosts, /etc/resolv.conf and
// /etc/hostname, and the pod's cgroup parent. Used by the agent's pod workers. A Sandbox is a plain
// value naming on-disk state; create/destroy of one pod must not race each other (the pod worker
// serialises).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/bundle_spec.h"
#include "runtime/sandbox_files.h"

namespace bosun::runtime {

struct SandboxConfig {
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  std::string hostname;   // spec.hostname; empty = pod name
  std::string subdomain;  // spec.subdomain, for the FQDN line of /etc/hosts
  std::string cluster_domain = "cluster.local";
  bool host_network = false;  // share the node's network and UTS namespaces
  bool host_ipc = false;      // share the node's IPC namespace
  std::vector<std::string> pod_ips;
  std::vector<HostAlias> host_aliases;
  // Empty nameservers: the node's /etc/resolv.conf is used as it is (dnsPolicy Default).
  DnsConfig dns;
  uint64_t shm_size_bytes = 64 * 1024 * 1024;  // containerd's default /dev/shm size
};

class Sandbox {
 public:
  // Creates <sandboxes_root>/<pod uid>/ with the namespaces, files and mounts. On failure
  // everything made so far is removed.
  static Result<Sandbox> create(const std::string& sandboxes_root, const SandboxConfig& config);
  // Re-opens a sandbox an earlier agent created (recovery after a restart).
  static Result<Sandbox> open(const std::string& sandbox_dir);
  // Unmounts and removes everything: namespace files, shm, the directory, the pod's cgroups. Safe
  // to call again after a partial failure. Containers must be gone first (their cgroups are
  // Conflict).
  Result<void> destroy();

  const SandboxConfig& config() const { return config_; }
  const std::string& dir() const { return dir_; }
  std::string network_ns_path() const;  // empty with hostNetwork
  std::string ipc_ns_path() const;      // empty with hostIPC
  std::string uts_ns_path() const;      // empty with hostNetwork
  std::string shm_path() const;         // empty with hostIPC
  std::string hosts_path() const { return dir_ + "/hosts"; }
  std::string resolv_conf_path() const { return dir_ + "/resolv.conf"; }
  std::string hostname_path() const { return dir_ + "/hostname"; }
  std::string hostname() const;
  std::string cgroup_parent() const { return pod_cgroup_parent(config_.pod_uid); }

  // Makes a container of this pod join the sandbox: namespaces, hostname, /dev/shm, the /etc files
  // and a cgroups path under the pod's parent.
  void apply(ContainerSpec* spec, std::string_view container_id) const;

 private:
  Sandbox(std::string dir, SandboxConfig config)
      : dir_(std::move(dir)), config_(std::move(config)) {}
  std::string dir_;
  SandboxConfig config_;
};

}  // namespace bosun::runtime
