// The scheduling queue (Kubernetes' internal/queue PriorityQueue): activeQ ordered by priority then
// queue time, backoffQ with per-pod exponential back-off (1 s doubling to 10 s), and the
// unschedulable pods, moved back when a cluster event may help them (the plugins that rejected a
// pod say which events) and flushed after 5 minutes at the latest. Time comes from an injected
// Clock; the owner calls flush_backoff_completed() every second and flush_unschedulable_leftover()
// every 30 s as Kubernetes' goroutines do. Thread-safe (one mutex); pop() blocks until a pod is
// active or close() is called.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/clock.h"
#include "common/result.h"
#include "scheduler/pod_info.h"

namespace bosun::scheduler {

struct QueuedPodInfo {
  std::shared_ptr<const PodInfo> pod;
  int attempts = 0;             // times popped for scheduling
  Clock::MonoTime timestamp{};  // queued, or of the last failed attempt
  Clock::MonoTime initial_attempt_timestamp{};
  int64_t scheduling_cycle = 0;  // of the attempt that popped it
  // The plugins that rejected the pod in its last attempt; empty after an error (then the pod only
  // waits out its back-off).
  std::set<std::string> unschedulable_plugins;
};

struct QueueOptions {
  Clock::Duration initial_backoff = std::chrono::seconds(1);
  Clock::Duration max_backoff = std::chrono::seconds(10);
  Clock::Duration max_in_unschedulable = std::chrono::minutes(5);
};

// Which ClusterEvent bits may help a pod rejected by these plugins (Framework::events_for).
using EventsForPlugins = std::function<uint32_t(const std::set<std::string>& plugins)>;

class SchedulingQueue {
 public:
  explicit SchedulingQueue(Clock& clock, QueueOptions options = {},
                           EventsForPlugins events_for = nullptr);

  // A new pending pod (or one seen again): into activeQ.
  void add(std::shared_ptr<const PodInfo> pod);
  // The pod changed: replaced where it waits; an unschedulable pod gets another chance (to
  // backoffQ while backing off, else activeQ).
  void update(std::shared_ptr<const PodInfo> pod);
  void remove(std::string_view uid);

  // The highest-priority, longest-waiting active pod; blocks while none is active. nullopt once
  // closed.
  std::optional<QueuedPodInfo> pop();
  std::optional<QueuedPodInfo> try_pop();
  // The scheduling attempt of a popped pod is over (success or not).
  void done(std::string_view uid);

  // After a failed attempt: to unschedulable, or to backoffQ when the attempt failed with an error
  // or a cluster event arrived while it was in flight. AlreadyExists if the pod is queued.
  Result<void> add_unschedulable_if_not_present(QueuedPodInfo info);

  // A cluster event (ClusterEvent bits): moves the unschedulable pods it may help.
  void move_all_to_active_or_backoff(uint32_t event);
  void flush_backoff_completed();
  void flush_unschedulable_leftover();

  void close();

  size_t active_size() const;
  size_t backoff_size() const;
  size_t unschedulable_size() const;
  int64_t scheduling_cycle() const;
  // The back-off after `attempts` attempts: initial * 2^(attempts-1), capped.
  Clock::Duration backoff_duration(int attempts) const;

 private:
  using ActiveKey = std::tuple<int64_t, Clock::MonoTime, uint64_t, std::string>;  // -priority, ts
  using BackoffKey = std::tuple<Clock::MonoTime, uint64_t, std::string>;          // expiry

  ActiveKey active_key(const QueuedPodInfo& info, uint64_t seq) const;
  BackoffKey backoff_key(const QueuedPodInfo& info, uint64_t seq) const;
  void push_active(QueuedPodInfo info);  // mu_ held
  void push_backoff(QueuedPodInfo info);
  void push_backoff_or_active(QueuedPodInfo info);
  bool is_backing_off(const QueuedPodInfo& info) const;
  std::optional<QueuedPodInfo> take(std::string_view uid);  // from whichever queue holds it
  std::optional<QueuedPodInfo> pop_locked();

  Clock& clock_;
  QueueOptions options_;
  EventsForPlugins events_for_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  struct Entry {
    QueuedPodInfo info;
    uint64_t seq;
  };
  std::unordered_map<std::string, Entry> active_;
  std::set<ActiveKey> active_order_;
  std::unordered_map<std::string, Entry> backoff_;
  std::set<BackoffKey> backoff_order_;
  std::unordered_map<std::string, QueuedPodInfo> unschedulable_;
  std::unordered_set<std::string> in_flight_;
  uint64_t seq_ = 0;
  int64_t scheduling_cycle_ = 0;
  int64_t move_request_cycle_ = -1;
  bool closed_ = false;
};

}  // namespace bosun::scheduler
