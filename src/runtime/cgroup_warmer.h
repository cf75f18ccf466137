// Keeps cgroup migrations cheap while the agent starts containers. The kernel guards every cgroup
// migration (runc writing a container's init into cgroup.procs) with one machine-wide per-CPU
// rwsem whose writers first wait for an RCU grace period, unless another writer used it within
// the last grace period (rcu_sync); on this node that wait is 5-15 ms of every `runc run`, spent
// idle. The warmer writes no-op migrations of its own thread (into the cgroup it already is in)
// every few milliseconds for a while after warm_for(), so the grace period is waited for on its
// thread, overlapped with the sandbox and the container's preparation, and runc's own migration
// finds the lock ready. Nodes that mount their cgroup hierarchies with `favordynmods` get the same
// permanently. Safe for concurrent use from many threads; one background thread, started on first
// use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "runtime/cgroup.h"

namespace bosun::runtime {

// The file a no-op migration of the thread `tid` of process `pid` is written to, from the text of
// that thread's /proc/<pid>/task/<tid>/cgroup: a cgroup v1 hierarchy's `tasks` file (one thread
// moves; pids, memory or any single-controller hierarchy), else on cgroup v2 the unified
// `cgroup.procs` (the whole process moves). Empty when neither is known.
struct MigrationTarget {
  std::string file;
  int id = 0;  // what is written: the thread id (v1 tasks) or the process id (v2 cgroup.procs)
};
MigrationTarget migration_target(std::string_view proc_cgroup, int pid, int tid,
                                 const CgroupRoot& root = {});

class CgroupMigrationWarmer {
 public:
  // The agent's one warmer: the lock it warms is the kernel's, one per machine.
  static CgroupMigrationWarmer& shared();

  explicit CgroupMigrationWarmer(std::chrono::milliseconds interval = std::chrono::milliseconds(2),
                                 CgroupRoot root = {});
  ~CgroupMigrationWarmer();
  CgroupMigrationWarmer(const CgroupMigrationWarmer&) = delete;
  CgroupMigrationWarmer& operator=(const CgroupMigrationWarmer&) = delete;

  // Keeps migrations cheap for at least `span` from now (a later deadline already set stays).
  void warm_for(std::chrono::milliseconds span);

  // No-op migrations written so far, and whether the warmer gave up (no cgroup file it may write:
  // not root, no cgroup filesystem). For tests and diagnostics.
  uint64_t primes() const { return primes_.load(); }
  bool disabled() const { return disabled_.load(); }

 private:
  void run();
  bool prime(int* fd, int* id);

  const std::chrono::milliseconds interval_;
  const CgroupRoot root_;
  std::mutex mu_;  // guards deadline_, stop_, thread_
  std::condition_variable cv_;
  std::chrono::steady_clock::time_point deadline_{};
  bool stop_ = false;
  std::thread thread_;
  std::atomic<uint64_t> primes_{0};
  std::atomic<bool> disabled_{false};
};

}  // namespace bosun::runtime
