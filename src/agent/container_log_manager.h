// ContainerLogManager: the kubelet's container log rotation (pkg/kubelet/logs/
// container_log_manager.go) over a ContainerRuntime: every monitoring period (containerLogMonitor-
// Interval, 10 s) each running container's CRI log at or over containerLogMaxSize is rotated (see
// rotate_container_log) and the runtime reopens it. The Agent calls rotate_logs() from its node
// work; one pass at a time (calls are serialised by a mutex), any thread.
#pragma once

#include <mutex>
#include <string_view>

#include "agent/container_logs.h"
#include "agent/container_runtime.h"
#include "common/clock.h"
#include "common/result.h"

namespace bosun::agent {

// --container-log-max-size and --container-log-max-files as the kubelet's NewContainerLogManager
// checks them: a quantity that is a whole number of bytes ("10Mi"; negative turns rotation off),
// and more than one file.
Result<LogRotationPolicy> make_log_rotation_policy(std::string_view max_size, int max_files);

class ContainerLogManager {
 public:
  ContainerLogManager(ContainerRuntime& runtime, LogRotationPolicy policy, Clock& clock)
      : runtime_(runtime), policy_(policy), clock_(clock) {}

  // One pass over the running containers (exited ones write nothing more, and the kubelet keeps no
  // empty live file for them). Failures are logged and the next container is tried. Returns how
  // many logs were rotated.
  size_t rotate_logs();

  const LogRotationPolicy& policy() const { return policy_; }

 private:
  ContainerRuntime& runtime_;
  const LogRotationPolicy policy_;
  Clock& clock_;
  std::mutex mu_;  // one pass at a time, as the kubelet's mutex
};

}  // namespace bosun::agent
