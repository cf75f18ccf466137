// PodSyncer: one pass of the kubelet's SyncPod for one pod (kuberuntime_manager.go
// computePodActions + SyncPod): compares the pod's spec with what the runtime has and does what is
// missing — creates the sandbox, pulls images per imagePullPolicy with back-off, runs init
// containers one at a time in order, starts app containers, restarts exited ones per restartPolicy
// with the CrashLoopBackOff back-off (10 s doubling to 5 min, forgotten after 10 min), keeps the
// last exited instance of each container for lastState and removes older ones; and kills a pod
// gracefully. The agent's pod workers call it, one pod at a time per pod (a PodSyncState is owned
// by that pod's worker); a PodSyncer holds only references, and the pulls it runs on threads of
// their own (enable_async_pulls), and may serve many pods at once.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/container_env.h"
#include "agent/container_runtime.h"
#include "agent/probe_results.h"
#include "agent/service_env.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::agent {

class VolumeManager;

// The kubelet's back-off constants (pkg/kubelet: MaxContainerBackOff, backOffPeriod).
inline constexpr std::chrono::seconds kInitialBackOff{10};
inline constexpr std::chrono::seconds kMaxBackOff{300};

// What the pod workers know of their node.
struct NodeContext {
  std::string node_name;
  std::vector<std::string> host_ips;
  int64_t allocatable_cpu_milli = 0;
  int64_t allocatable_memory_bytes = 0;
  int64_t allocatable_ephemeral_storage_bytes = 0;
  int64_t memory_capacity_bytes = 0;
  std::string data_dir;  // container logs under <data_dir>/pods/
  // The kubelet creates each container's log directory; hollow nodes write no logs.
  bool create_log_directories = true;
  std::string cluster_domain = "cluster.local";
  std::vector<std::string> cluster_dns;  // empty: dnsPolicy ClusterFirst uses the node's
};

// Where the pod workers' events go. `field_path` is "spec.containers{name}" (or initContainers)
// for container events, empty for the pod's. Implementations must be thread-safe.
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  virtual void record(const Json& pod, std::string_view field_path, std::string_view type,
                      std::string_view reason, std::string message) = 0;
  // A pod's events recorded between hold_pod and release_pod keep their time and order but are
  // posted only at the release: a pod worker holds them while it starts the pod's containers and
  // writes its status, so that posting Pulled, Created and Started does not compete with runc and
  // the status write (the status is what `kubectl get` and controllers wait for; client-go's
  // broadcaster posts events asynchronously anyway). Released before anything that may take long
  // (a pull, a hook, a graceful stop); releasing a pod that is not held does nothing. Recorders
  // without a queue ignore both.
  virtual void hold_pod(std::string_view /*pod_uid*/) {}
  virtual void release_pod(std::string_view /*pod_uid*/) {}
};

// flowcontrol.Backoff's entry: the current delay and when it last grew.
struct BackOffEntry {
  Clock::Duration delay{0};
  Clock::WallTime last_update{};
};

// What a pod's worker remembers between syncs.
struct PodSyncState {
  struct Waiting {
    std::string reason;
    std::string message;
  };
  // Why a container is not running, from the last attempt to start it (the kubelet's reason
  // cache): ErrImagePull, ImagePullBackOff, ErrImageNeverPull, CrashLoopBackOff,
  // CreateContainerConfigError, CreateContainerError, RunContainerError.
  std::map<std::string, Waiting> waiting;
  std::map<std::string, BackOffEntry> container_backoff;  // by container name
  std::map<std::string, BackOffEntry> image_backoff;      // by image
  std::optional<Clock::WallTime> start_time;              // status.startTime
  bool volumes_ready = false;
  std::map<std::string, std::string> volume_paths;  // volume name -> host path
  // Every container ran to completion under the restart policy (phase Succeeded or Failed): the
  // sandbox is stopped and nothing is restarted again.
  bool terminal = false;
};

// What the runtime has for one pod.
struct PodRuntimeView {
  std::optional<SandboxStatus> sandbox;
  std::vector<ContainerStatus> containers;  // every instance, exited ones included
  // The newest instance of a container by name (highest attempt, then newest), or null.
  const ContainerStatus* newest(std::string_view name) const;
  // The instance before the newest (lastState), or null.
  const ContainerStatus* previous(std::string_view name) const;
};

// The runtime's sandbox and containers of one pod.
Result<PodRuntimeView> observe_pod(ContainerRuntime& runtime, std::string_view pod_uid);

// Kubernetes' restart decision for an exited container (kubecontainer.ShouldContainerBeRestarted).
bool should_restart(std::string_view restart_policy, int exit_code);

// imagePullPolicy, defaulted as the API server does when absent: Always for `:latest` or an
// untagged reference, else IfNotPresent.
std::string image_pull_policy(const Json& container);

// An init container with restartPolicy Always: a sidecar (Kubernetes 1.29+, SidecarContainers). It
// starts in order with the other init containers but the next one does not wait for it to exit,
// only for it to have started; it runs beside the app containers, is restarted whenever it exits,
// and is stopped after them.
bool is_sidecar(const Json& init_container);

// "name_namespace(uid)", the kubelet's format.Pod.
std::string format_pod(const Json& pod);

struct SyncResult {
  // Sync again after this long (a back-off ends); nullopt: only when something changes.
  std::optional<Clock::Duration> resync_after;
};

class PodSyncer {
 public:
  PodSyncer(ContainerRuntime& runtime, Clock& clock, NodeContext node,
            EventRecorder* events = nullptr, ObjectLookup lookup = {},
            const ProbeResults* probes = nullptr, VolumeManager* volumes = nullptr);
  ~PodSyncer();  // stop_pulls()

  // One pass for a pod that is not being deleted.
  SyncResult sync_pod(const Json& pod, PodSyncState& state);

  // Stops the pod's running containers (SIGTERM, then SIGKILL after `grace`, all at once as the
  // kubelet's killContainersWithSyncResult does), then stops and removes the sandbox and the
  // pod's volumes. `pod` may be null (an orphan found at start-up): no events then.
  Result<void> kill_pod(std::string_view pod_uid, const Json* pod, std::chrono::milliseconds grace);

  // Where the service environment variables come from (the agent's Service informer); unset: none.
  void set_service_env_source(ServiceEnvSource source) { services_ = std::move(source); }

  // Image pulls on threads of their own rather than on the pod worker that needs them (the
  // kubelet's pod workers are a goroutine per pod, so its pulls hold up only their pod): a sync
  // that must pull starts the pull and goes on with the pod's other containers; the container
  // waits (ContainerCreating, or its last reason) and `on_pulled(pod_uid)` is called, on the pull's
  // thread, once the pull is over, so that the pod is synced again and takes the result. At most
  // `max_parallel` pulls run at once (the kubelet's maxParallelImagePulls); the rest wait their
  // turn, which the Pulled event reports as "including waiting". Before the first sync. Without
  // it a pull runs on the caller's thread.
  void enable_async_pulls(std::function<void(const std::string& pod_uid)> on_pulled,
                          int max_parallel);
  // Joins every pull thread (those waiting their turn end at once); no pull starts afterwards (a
  // container that needs one waits).
  void stop_pulls();
  // The pod is gone: the results of its pulls are dropped (a pull that runs is when it ends).
  void forget_pulls(std::string_view pod_uid);

  const NodeContext& node() const { return node_; }
  ContainerRuntime& runtime() { return runtime_; }
  Clock& clock() { return clock_; }

 private:
  // Starts (pulls, configures, creates, starts) one container. Returns false when it could not,
  // with state.waiting set and *resync the time to try again.
  bool start_container(const Json& pod, const Json& container, bool init, int attempt,
                       PodSyncState& state, std::optional<Clock::Duration>* resync);
  // The image is present per imagePullPolicy; false with state.waiting set otherwise, or while
  // its pull runs on a thread (enable_async_pulls).
  bool ensure_image(const Json& pod, const Json& container, const std::string& field_path,
                    PodSyncState& state, std::optional<Clock::Duration>* resync);
  struct PullOutcome {
    std::string image;
    Result<ImageInfo> result{make_error(ErrorCode::kInternal, "not pulled")};
    Clock::Duration pulling{0};     // the pull itself
    Clock::Duration including{0};   // with the wait for a turn
    std::atomic<bool> done{false};  // the fields above are written before
  };
  // A pull of enable_async_pulls() for the container (pod uid + name): kRunning while it runs;
  // kDone with its outcome once it is over (forgetting it); kNone if there is none, or it was of
  // another image than `image` (the pod's image changed meanwhile).
  enum class PullState { kNone, kRunning, kDone };
  PullState take_pull(const std::string& key, std::string_view image,
                      std::shared_ptr<PullOutcome>* outcome);
  // Starts `request` on a thread for the container; false if it cannot (no thread to be had): then
  // the caller pulls. After stop_pulls() nothing starts, and it returns true.
  bool start_pull(const std::string& key, const Json& pod, const std::string& field_path,
                  PullRequest request);
  // The Pulled or Failed events, back-off and waiting reason of a pull that is over.
  bool finish_pull(const Json& pod, const std::string& name, const std::string& field_path,
                   const PullOutcome& outcome, PodSyncState& state,
                   std::optional<Clock::Duration>* resync);
  Result<ContainerConfig> container_config(const Json& pod, const Json& container, int attempt,
                                           const PodSyncState& state);
  // A restart of an exited container, unless its back-off has not run out (CrashLoopBackOff).
  bool restart_with_backoff(const Json& pod, const Json& container, bool init,
                            const ContainerStatus& exited, PodSyncState& state,
                            std::optional<Clock::Duration>* resync);
  void remove_old_instances(const PodRuntimeView& view);
  // A running container whose liveness or startup probe failed is stopped and, per
  // `restart_policy`, restarted with back-off. Returns whether it was.
  bool restart_on_failed_probe(const Json& pod, const Json& container, bool init,
                               const ContainerStatus& running, std::string_view restart_policy,
                               PodSyncState& state, std::optional<Clock::Duration>* resync);
  // The pod is done (every app container exited for good, or an init container failed under
  // Never): its sidecars are stopped, last one first, then its sandbox; nothing restarts again.
  void finish_pod(const Json& pod, PodSyncState& state);
  // Stops a container as the kubelet's killContainer does: its preStop hook first (when `grace`
  // is not zero), within the grace period, whose rest (at least 2 s) is the stop's. `container`
  // (the spec) may be null: no hook then.
  Result<void> stop_container_gracefully(const Json* pod, const Json* container, bool init,
                                         const std::string& id, std::chrono::milliseconds grace);
  void event(const Json& pod, std::string_view field_path, std::string_view type,
             std::string_view reason, std::string message);
  // Posts the pod's held events (EventRecorder::hold_pod) before something that may take long.
  void release_events(const Json& pod);

  ContainerRuntime& runtime_;
  Clock& clock_;
  const NodeContext node_;
  EventRecorder* events_;
  ObjectLookup lookup_;
  const ProbeResults* probes_;
  VolumeManager* volumes_;
  ServiceEnvSource services_;

  struct PullThread {
    std::thread thread;
    std::shared_ptr<PullOutcome> outcome;
    bool forgotten = false;  // its pod is gone: joined and dropped once it ends
  };
  std::function<void(const std::string&)> on_pulled_;  // set: pulls run on threads
  int max_parallel_pulls_ = 1;
  std::mutex pulls_mu_;                // guards the members below
  std::condition_variable pull_turn_;  // with pulls_mu_: a pull ended, or stopping
  std::map<std::string, PullThread, std::less<>> pulls_;  // by "<pod uid>/<container name>"
  int running_pulls_ = 0;
  bool pulls_stopped_ = false;
};

}  // namespace bosun::agent
