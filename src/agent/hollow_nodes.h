// HollowNodes: N simulated nodes in one process (Kubernetes' kubemark hollow nodes) running the
// real agent code (Agent, PodSyncer, pod status) over a FakeRuntime each. They register, renew
// their Leases and report node and pod status like real nodes, but share everything that costs:
// ONE pod informer for all of them (spec.nodeName!=, routed by nodeName), one AgentPool (a bounded
// worker pool, one ticker for every lease and heartbeat, one event sender) and one timer thread
// that tells a node when a fake container has finished starting. Used by `bosun hollow-nodes` and
// scale tests. Thread-safe; start() once, stop() (or destroy) once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/fake_runtime.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "common/clock.h"
#include "common/result.h"

namespace bosun::agent {

class TimerThread;

struct HollowNodesOptions {
  client::RestClient* client = nullptr;
  Clock* clock = nullptr;  // the real clock when null
  int count = 1;
  std::string name_prefix = "hollow-";  // nodes are <prefix>0 ... <prefix><count-1>
  int64_t cpu_milli = 4000;
  int64_t memory_bytes = int64_t{16} << 30;
  int64_t max_pods = kDefaultMaxPods;
  Clock::Duration startup_latency{0};  // a container reports Running this long after its start
  int workers = 8;
  int registration_threads = 8;
  bool post_events = true;
};

class HollowNodes {
 public:
  // Registers every node (in parallel), then starts the shared informer and the pool. Fails if a
  // node cannot be registered.
  static Result<std::unique_ptr<HollowNodes>> start(HollowNodesOptions options);
  ~HollowNodes();  // stop()s

  void stop();

  size_t size() const { return agents_.size(); }
  Agent& agent(size_t i) { return *agents_[i]; }
  FakeRuntime& runtime(size_t i) { return *runtimes_[i]; }
  // Whether the shared pod informer has synced.
  bool pods_synced() const;

 private:
  explicit HollowNodes(HollowNodesOptions options);

  const HollowNodesOptions options_;
  Clock& clock_;
  std::unique_ptr<TimerThread> timers_;
  std::unique_ptr<AgentPool> pool_;
  std::vector<std::unique_ptr<FakeRuntime>> runtimes_;
  std::vector<std::unique_ptr<Agent>> agents_;
  std::unique_ptr<client::Informer> informer_;
  std::thread sync_waiter_;
  std::atomic<bool> stopping_{false};
};

// A node's fake machine: the given size, a 100 GiB disk, an address 10.64.0.0/10 + index.
MachineInfo hollow_machine(const HollowNodesOptions& options, int index);

}  // namespace bosun::agent
