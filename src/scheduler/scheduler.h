// Scheduler: kube-scheduler as a service (pkg/scheduler/scheduler.go, schedule_one.go,
// eventhandlers.go). Informers on nodes and pods feed the Cache (nodes, bound pods) and the
// SchedulingQueue (pending pods this scheduler is responsible for); one scheduling thread pops a
// pod, runs schedule_one on a snapshot, assumes the pod on the chosen node and hands the binding to
// a small pool of API workers, so the next decision does not wait for the HTTP round trip. Failures
// write PodScheduled=False through pods/status and a FailedScheduling event; successes a Scheduled
// event. With leader_elect only the holder of the kube-system/kube-scheduler Lease schedules.
// Used by `bosun scheduler` and `bosun server`. start()/stop() from one thread; everything else
// is thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "client/kubeconfig.h"
#include "client/leader_election.h"
#include "client/shared_informer_factory.h"
#include "common/clock.h"
#include "common/result.h"
#include "scheduler/framework.h"
#include "scheduler/queue.h"

namespace bosun::scheduler {

struct SchedulerOptions {
  // The profile's schedulerName: pending pods naming it are scheduled; it is also the events'
  // reportingController, as kube-scheduler records events per profile.
  std::string scheduler_name = std::string(kDefaultSchedulerName);
  // percentageOfNodesToScore and score weights (KubeSchedulerConfiguration); the Scheduler supplies
  // spread_selector itself from its Service/ReplicationController/ReplicaSet informers.
  FrameworkOptions framework;
  // How many API writes (bindings, pod status) run at once: kube-scheduler's `parallelism`
  // (default 16) bounds its concurrent work; filtering here runs on one thread over a snapshot,
  // so what runs in parallel is the binding cycle.
  int parallelism = 16;
  // Compete for a Lease and schedule only while holding it (--leader-elect).
  bool leader_elect = false;
  // lease_name defaults to kube-scheduler in kube-system; identity to <hostname>_<uuid>.
  client::LeaderElectionConfig leader_election;
  QueueOptions queue;
  // The queue's and cache's time and the timestamps written; the real clock when null.
  Clock* clock = nullptr;
  // How often (real time) backoffQ is flushed and expired assumed pods are cleaned (Kubernetes: 1
  // s); unschedulable leftovers are flushed every 30 such ticks.
  std::chrono::milliseconds flush_interval{1000};
  // Informers shared with the other components of the process (`bosun server`: the controllers
  // watch pods, nodes, replication controllers and replica sets too); null: the scheduler's own.
  // Its owner starts it once every component registered (start() starts what is not started) and
  // stops it before stop().
  client::SharedInformerFactory* informers = nullptr;
};

struct SchedulerStats {
  uint64_t attempts = 0;       // scheduling cycles run
  uint64_t bound = 0;          // bindings the API server accepted
  uint64_t unschedulable = 0;  // cycles that ended in a FitError
  uint64_t errors = 0;         // cycles or bindings that failed with an error
};

class Scheduler {
 public:
  // Builds the API clients from `config` (its qps/burst are --kube-api-qps/--kube-api-burst): one
  // for informers, bindings and status, one for events, as kube-scheduler keeps a separate event
  // client.
  static Result<std::unique_ptr<Scheduler>> create(client::ClientConfig config,
                                                   SchedulerOptions options = {});
  ~Scheduler();  // stop()s

  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Starts the informers, the elector (when configured) and the scheduling thread; returns at once.
  void start();
  // Stops scheduling, releases the Lease, waits for the API workers and stops the informers.
  void stop();

  // Whether the node and pod informers have listed once.
  bool wait_for_sync(std::chrono::milliseconds timeout) const;
  // True without leader election; otherwise whether this instance holds the Lease.
  bool is_leader() const;
  SchedulerStats stats() const;
  const SchedulingQueue& queue() const;
  const Cache& cache() const;

  struct Impl;

 private:
  explicit Scheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bosun::scheduler
