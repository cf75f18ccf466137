// Reading a container's cgroups: where its controllers live, its CPU and memory figures for metrics
// (`kubectl top`), whether the kernel OOM-killed inside it, and removing a pod's parent cgroups.
// Works on cgroup v1 (this node's hybrid layout) and v2. Stateless functions over /sys/fs/cgroup;
// safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::runtime {

// The cgroup of a process as /proc/<pid>/cgroup names it, per controller (v1) or unified (v2).
struct CgroupPaths {
  std::string memory_dir;   // absolute directory: "/sys/fs/cgroup/memory/bosun/pod1/c1"
  std::string cpuacct_dir;  // v1 cpuacct (or the unified directory on v2)
  std::string cpu_dir;      // v1 cpu (or the unified directory on v2)
  bool unified = false;     // cgroup v2
};

struct CgroupStats {
  uint64_t cpu_usage_ns = 0;  // cumulative CPU time of every task in the cgroup
  uint64_t memory_usage_bytes = 0;
  // What the kubelet and cAdvisor report as memory usage: usage minus inactive file cache.
  uint64_t memory_working_set_bytes = 0;
};

// The cgroup root; tests may point it elsewhere. Default "/sys/fs/cgroup".
struct CgroupRoot {
  std::string path = "/sys/fs/cgroup";
};

// Controllers of a process (from /proc/<pid>/cgroup).
Result<CgroupPaths> cgroup_paths_of_pid(int pid, const CgroupRoot& root = {});
// Controllers of a cgroup path such as a container's cgroupsPath ("/bosun/pod1/c1").
CgroupPaths cgroup_paths_of(std::string_view cgroup_path, const CgroupRoot& root = {});

Result<CgroupStats> read_cgroup_stats(const CgroupPaths& paths);

// How many processes the kernel's OOM killer killed in the cgroup: v1 memory.oom_control's
// `oom_kill`, v2 memory.events' `oom_kill`. NotFound if the cgroup is gone.
Result<uint64_t> read_oom_kill_count(const CgroupPaths& paths);

// cpu.shares (v1) of a cgroup, for tests and diagnostics.
Result<uint64_t> read_cpu_shares(const CgroupPaths& paths);

// Removes a (pod) cgroup directory and everything below it in every hierarchy, deepest first,
// each after release_memory_charges. Only empty cgroups can be removed; one with live processes is
// a Conflict error.
Result<void> remove_cgroup_tree(std::string_view cgroup_path, const CgroupRoot& root = {});

// Reclaims the page cache still charged to a cgroup whose processes are gone (v1
// memory.force_empty, v2 memory.reclaim), so that removing it frees it in the kernel at once
// instead of leaving a dying memory cgroup behind. Best effort; for a container's cgroup before
// `runc delete` removes it.
void release_memory_charges(std::string_view cgroup_path, const CgroupRoot& root = {});

// Whether a cgroup directory exists in any hierarchy (tests check nothing leaked).
bool cgroup_exists(std::string_view cgroup_path, const CgroupRoot& root = {});

}  // namespace bosun::runtime
