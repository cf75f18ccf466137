// ProbeResults: the latest readiness, liveness and startup result of each container, as the
// kubelet's prober result managers keep them. The prober writes; the pod workers read (readiness
// gates Ready, a failed liveness or startup probe restarts the container) and are told which pod
// to sync when a result changes. Thread-safe: one mutex.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

namespace bosun::agent {

enum class ProbeKind { kReadiness, kLiveness, kStartup };

class ProbeResults {
 public:
  // Records a result; tells the listener (if set) with the pod's uid when it changed.
  void set(ProbeKind kind, const std::string& pod_uid, const std::string& container_id,
           bool success);
  // nullopt: no result yet (the container has no such probe, or it has not run).
  std::optional<bool> get(ProbeKind kind, const std::string& container_id) const;
  // Forgets a container's results (it was removed).
  void remove(const std::string& container_id);
  // Set once, before results arrive.
  void set_listener(std::function<void(const std::string& pod_uid)> listener);

 private:
  std::function<void(const std::string&)> listener_;
  mutable std::mutex mu_;  // guards results_
  std::map<std::pair<std::string, ProbeKind>, bool> results_;
};

}  // namespace bosun::agent
