// ProbeManager: the kubelet's prober manager (pkg/kubelet/prober/prober_manager.go) for one
// agent. It keeps one ProbeWorker per app container and probe type (startup, readiness,
// liveness), started when the container first exists and stopped when the container leaves the
// spec or the pod goes, feeds their results into the agent's ProbeResults (whose listener
// re-queues the pod's sync) and records the kubelet's Unhealthy events. The Agent calls it from
// its pod workers; workers call back from their own threads. Thread-safe: one mutex.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>

#include "agent/container_runtime.h"
#include "agent/pod_sync.h"
#include "agent/probe_results.h"
#include "agent/prober.h"
#include "common/clock.h"
#include "common/json.h"

namespace bosun::agent {

struct ProbeManagerOptions {
  // Each worker probes on a thread of its own (prober/worker.go runs a goroutine per worker): fine
  // for a real node's ≤ 110 pods. Tests turn it off and drive the workers with step_all().
  bool worker_threads = true;
  // No workers at all: every probe of a running container passes at once (hollow nodes, whose
  // fake containers have nothing to probe, so their pods still become Ready).
  bool assume_success = false;
};

class ProbeManager {
 public:
  ProbeManager(Clock& clock, ContainerRuntime& runtime, ProbeResults& results,
               EventRecorder* events, ProbeManagerOptions options = {});
  ~ProbeManager();  // stops every worker
  ProbeManager(const ProbeManager&) = delete;
  ProbeManager& operator=(const ProbeManager&) = delete;

  // After each sync of a pod: records what the workers probe (the newest instance of each
  // container, the sandbox's network namespace), starts workers for containers that now exist and
  // stops those of containers no longer in the spec.
  void update_pod(const Json& pod, const PodRuntimeView& view);
  // The pod is deleted or being deleted: its workers stop and its containers' results go.
  void remove_pod(const std::string& pod_uid);

  // One tick of every worker, in the order they were added (tests, with worker_threads off).
  void step_all();
  size_t worker_count() const;

 private:
  struct ContainerSnapshot {
    std::string id;
    bool running = false;
    bool terminated = false;
    Clock::WallTime started_at{};
    bool has_startup_probe = false;
  };
  struct PodSnapshot {
    std::shared_ptr<const Json> pod;
    std::string netns_path;
    bool terminating = false;
    bool restart_never = false;
    std::map<std::string, ContainerSnapshot> containers;  // by name: the newest instance
  };
  // (pod uid, container name, type)
  using WorkerKey = std::tuple<std::string, std::string, ProbeType>;

  std::unique_ptr<ProbeWorker> make_worker(const std::string& uid, const Json& container,
                                           ProbeType type, const Json& probe);
  std::optional<ProbedContainer> probed(const std::string& uid, const std::string& name) const;
  ProbeOutcome run(const std::string& uid, const std::string& name, const Json& probe) const;
  void probe_failed(const std::string& uid, const std::string& name, ProbeType type,
                    const ProbeOutcome& outcome);

  Clock& clock_;
  ContainerRuntime& runtime_;
  ProbeResults& results_;
  EventRecorder* events_;
  const ProbeManagerOptions options_;

  mutable std::mutex mu_;  // guards pods_ and workers_ (never held while a worker is stopped)
  std::map<std::string, PodSnapshot> pods_;  // by uid
  std::map<WorkerKey, std::unique_ptr<ProbeWorker>> workers_;
};

}  // namespace bosun::agent
