// The node agent. An Agent is one node: it registers the Node, renews its Lease every 10 s,
// updates the node status on change and at least every minute, and keeps the pods bound to it
// running through PodSyncer, writing their status back only when it changed; a pod being deleted
// is stopped with its grace period and then deleted with gracePeriodSeconds=0 and a uid
// precondition, as the kubelet's status manager does. An AgentPool is what the agents of one
// process share (one for `bosun agent`, thousands for hollow nodes): a bounded pool of pod
// workers over one work queue (a pod is never synced twice at once; different pods in
// parallel — the kubelet's pod workers without a goroutine per pod), one ticker thread for
// leases, heartbeats and the PLEG-like relist, and one event sender. Thread-safe; agents are
// added before the pool starts and outlive it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/container_log_manager.h"
#include "agent/container_runtime.h"
#include "agent/event_recorder.h"
#include "agent/node_status.h"
#include "agent/pod_sync.h"
#include "agent/probe_manager.h"
#include "agent/probe_results.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "client/work_queue.h"
#include "common/clock.h"

namespace bosun::agent {

class Agent;

struct AgentPoolOptions {
  client::RestClient* client = nullptr;
  Clock* clock = nullptr;  // the real clock when null
  int workers = 4;         // pod workers shared by every agent
  // Workers for the agents' own periodic work (lease, node status, relist), apart from the pod
  // workers so that pods that take long to sync never hold up a node's lease.
  int node_workers = 1;
  // Kubernetes' intervals: node lease renewal, node status check and forced heartbeat, relist.
  Clock::Duration lease_period = std::chrono::seconds(10);
  Clock::Duration status_check_period = std::chrono::seconds(10);
  Clock::Duration status_heartbeat_period = std::chrono::seconds(60);
  // The PLEG relist; zero turns it off (hollow nodes: the fake runtime tells them of changes).
  Clock::Duration relist_period = std::chrono::seconds(1);
  bool post_events = true;
};

class AgentPool {
 public:
  explicit AgentPool(AgentPoolOptions options);
  ~AgentPool();  // stop()s

  // Before start(). The pool does not own agents.
  void add(Agent* agent);
  void start();
  void stop();

  // Routes a pod from a shared informer to the agent of its spec.nodeName (hollow nodes).
  void route_pod(const client::ObjectPtr& pod);
  void route_pod_deleted(const client::ObjectPtr& pod);
  // Tells every agent the shared informer has synced (orphan clean-up may begin).
  void set_pods_synced();

  // Work for the pool's workers: a pod of an agent, or the agent's own periodic work.
  void enqueue_pod(const Agent& agent, const std::string& pod_uid);
  void enqueue_pod_after(const Agent& agent, const std::string& pod_uid, Clock::Duration delay);
  void enqueue_node(const Agent& agent);

  client::RestClient& client() { return *options_.client; }
  Clock& clock() { return clock_; }
  const AgentPoolOptions& options() const { return options_; }
  ApiEventRecorder* events() { return events_.get(); }
  size_t agent_count() const { return agents_.size(); }

 private:
  void run_worker();
  void run_node_worker();
  void run_ticker();
  Agent* agent_for(std::string_view node_name) const;

  const AgentPoolOptions options_;
  Clock& clock_;
  std::unique_ptr<ApiEventRecorder> events_;
  std::unique_ptr<client::WorkQueue> queue_;           // pods: "<node>/<uid>"
  std::unique_ptr<client::WorkQueue> node_queue_;      // the agents' periodic work: "<node>/"
  std::map<std::string, Agent*, std::less<>> agents_;  // by node name; fixed after start()
  std::vector<std::thread> workers_;
  std::vector<std::thread> node_workers_;
  std::thread ticker_;
  std::mutex stop_mu_;  // guards stopping_ with stop_cv_
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool started_ = false;
};

// What the agent keeps of a pod from its informer: everything it reads (metadata, spec) and of the
// status only what the next status builds on (phase, conditions, startTime); managedFields and the
// rest are dropped to keep thousands of hollow nodes' pods small.
Json trim_pod_for_agent(Json pod);
// The trimmed pod serialized into one JSON string: what hollow nodes' shared informer caches, a
// third of the parsed form's memory; agents parse it when they sync the pod.
Json pack_pod_for_agent(Json pod);
// The pod itself whether `pod` is packed or not.
client::ObjectPtr unpack_pod(const client::ObjectPtr& pod);

struct AgentConfig {
  NodeConfig node;
  MachineInfo machine;
  std::string data_dir;
  // Hollow nodes write no container logs.
  bool create_log_directories = true;
  std::vector<std::string> cluster_dns;
  // The agent's own informer on pods with spec.nodeName=<node>; false when a shared informer
  // feeds it through AgentPool::route_pod (hollow nodes).
  bool own_informer = true;
  VolumeManager* volumes = nullptr;  // null: pods' volumes are not set up (hollow nodes)
  // containerLogMaxSize / containerLogMaxFiles, applied every log_monitor_period
  // (containerLogMonitorInterval) when the agent writes logs.
  LogRotationPolicy log_rotation;
  Clock::Duration log_monitor_period = std::chrono::seconds(10);
  // Containers' startup, readiness and liveness probes run (a thread per probe). Hollow nodes, with
  // thousands of pods on a fake runtime, turn this off: every probe then passes once the container
  // runs, without a worker.
  bool run_probes = true;
  // Image pulls run on threads of their own, at most this many at once, so that a slow pull holds
  // up only its container (PodSyncer::enable_async_pulls); 0: on the pod workers (hollow nodes,
  // whose fake pulls take no time).
  int max_parallel_image_pulls = 4;
};

class Agent {
 public:
  Agent(AgentPool& pool, AgentConfig config, ContainerRuntime& runtime);
  ~Agent();  // stop()s

  // Registers the node and its lease, subscribes to the runtime's container events and starts
  // the own informer (if any). Fails if the node cannot be registered.
  Result<void> start();
  void stop();

  const std::string& node_name() const { return config_.node.node_name; }
  ProbeResults& probe_results() { return probes_; }
  // The registered Node (as last written).
  Json node() const;
  size_t pod_count() const;
  bool pods_synced() const { return pods_synced_.load(); }

  // --- for the pool ---
  // `stored` is what the informer caches (maybe packed); `parsed` the pod itself when the caller
  // already unpacked it.
  void on_pod(const client::ObjectPtr& stored, client::ObjectPtr parsed = nullptr);
  void on_pod_deleted(const client::ObjectPtr& stored, client::ObjectPtr parsed = nullptr);
  void set_pods_synced();
  // One pod's sync, on a pool worker (never twice at once for the same pod).
  void sync_pod(const std::string& pod_uid);
  // Lease, node status and relist when due, on a node worker (never on a pod worker).
  void node_work();
  // When node_work() next wants to run (the ticker's schedule).
  Clock::MonoTime next_node_work() const {
    return Clock::MonoTime(Clock::MonoTime::duration(next_work_.load()));
  }

 private:
  struct PodEntry {
    client::ObjectPtr pod;  // the newest from the informer; null once deleted from the API
    PodSyncState state;
    size_t written_hash = 0;  // of the status last written: the same status is not written twice
    // The status last written, kept only until the informer shows it (resourceVersion >=
    // written_rv), so a sync in between builds on it rather than on the older cached status.
    // Guarded by mu_, as the informer thread reads them too.
    std::optional<Json> written_status;
    uint64_t written_rv = 0;
    uint64_t seen_rv = 0;  // the newest resourceVersion the informer delivered
    bool killed = false;   // stopped and asked the API to delete it
  };

  void renew_lease();
  void update_node_status(bool force);
  void relist();
  // Returns the written pod's metadata.resourceVersion (as {"metadata": {...}}).
  Result<Json> write_status(const Json& pod, const Json& status);
  Result<void> finish_deleted_pod(const client::ObjectPtr& pod, PodEntry& entry);
  // A deleted pod's stop waits out its grace period (30 s by default) for the containers to obey
  // SIGTERM. The kubelet's pod workers are a goroutine per pod; here the stop gets a thread of its
  // own, so that it holds no pod worker: with 4 workers, 50 pods deleted at once otherwise took
  // 50 / 4 x 30 s, every other pod of the node waiting. Starts the stop unless one runs; its result
  // once it is over (forgetting it), nullopt while it runs (its thread enqueues the pod when done).
  std::optional<Result<void>> kill_pod_async(const std::string& uid, client::ObjectPtr pod,
                                             std::chrono::milliseconds grace);
  // Whether a stop of kill_pod_async() runs for the pod; one that is over is joined and forgotten
  // (kDone), its result in `result` if given.
  enum class KillState { kNone, kRunning, kDone };
  KillState reap_kill(const std::string& uid, Result<void>* result = nullptr);

  AgentPool& pool_;
  const AgentConfig config_;
  ContainerRuntime& runtime_;
  Clock& clock_;
  ProbeResults probes_;
  std::unique_ptr<EventRecorder> events_;
  std::unique_ptr<PodSyncer> syncer_;
  // Declared after probes_ and events_, which its workers use, so it is destroyed first.
  std::unique_ptr<ProbeManager> prober_;
  std::unique_ptr<client::Informer> informer_;
  // Every Service (trimmed), for the containers' service environment variables.
  std::unique_ptr<client::Informer> services_;
  std::unique_ptr<ContainerLogManager> logs_;  // null: no rotation (hollow nodes, size < 0)

  mutable std::mutex mu_;  // guards pods_ (the map and each entry's pod pointer)
  std::map<std::string, std::unique_ptr<PodEntry>, std::less<>> pods_;  // by uid
  std::map<std::string, client::ObjectPtr> deleted_pods_;  // last state of pods gone from the API
  struct KillOutcome {
    std::atomic<bool> done{false};
    Result<void> result;  // written before done
  };
  struct Killer {
    std::thread thread;
    std::shared_ptr<KillOutcome> outcome;
  };
  std::map<std::string, Killer> killers_;  // by pod uid: the stops of kill_pod_async()
  std::atomic<bool> pods_synced_{false};
  std::atomic<bool> started_{false};
  std::atomic<int64_t> next_work_{0};  // MonoTime ticks

  // Touched only by node_work(), which the queue never runs twice at once for one agent.
  Json node_;
  Json lease_;
  Clock::MonoTime last_lease_{};
  Clock::MonoTime last_status_check_{};
  Clock::MonoTime last_heartbeat_{};
  Clock::MonoTime last_relist_{};
  Clock::MonoTime last_log_rotation_{};
  bool orphan_scan_done_ = false;
  size_t last_node_status_hash_ = 0;                // of the node's status without heartbeat times
  std::map<std::string, std::string> relist_seen_;  // pod uid -> its containers' states
};

}  // namespace bosun::agent
