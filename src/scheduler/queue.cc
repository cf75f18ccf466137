#include "scheduler/queue.h"

#include <vector>

namespace bosun::scheduler {

SchedulingQueue::SchedulingQueue(Clock& clock, QueueOptions options, EventsForPlugins events_for)
    : clock_(clock), options_(options), events_for_(std::move(events_for)) {}

Clock::Duration SchedulingQueue::backoff_duration(int attempts) const {
  if (attempts <= 0) return Clock::Duration(0);
  Clock::Duration d = options_.initial_backoff;
  for (int i = 1; i < attempts; ++i) {
    if (d > options_.max_backoff - d) return options_.max_backoff;
    d += d;
  }
  return d;
}

bool SchedulingQueue::is_backing_off(const QueuedPodInfo& info) const {
  return info.timestamp + backoff_duration(info.attempts) > clock_.monotonic();
}

SchedulingQueue::ActiveKey SchedulingQueue::active_key(const QueuedPodInfo& info,
                                                       uint64_t seq) const {
  // PrioritySort: higher priority first, then the earlier queue time.
  return {-int64_t{info.pod->priority}, info.timestamp, seq, info.pod->uid};
}

SchedulingQueue::BackoffKey SchedulingQueue::backoff_key(const QueuedPodInfo& info,
                                                         uint64_t seq) const {
  return {info.timestamp + backoff_duration(info.attempts), seq, info.pod->uid};
}

void SchedulingQueue::push_active(QueuedPodInfo info) {
  uint64_t seq = ++seq_;
  active_order_.insert(active_key(info, seq));
  std::string uid = info.pod->uid;
  active_[uid] = Entry{std::move(info), seq};
  cv_.notify_one();
}

void SchedulingQueue::push_backoff(QueuedPodInfo info) {
  uint64_t seq = ++seq_;
  backoff_order_.insert(backoff_key(info, seq));
  std::string uid = info.pod->uid;
  backoff_[uid] = Entry{std::move(info), seq};
}

void SchedulingQueue::push_backoff_or_active(QueuedPodInfo info) {
  if (is_backing_off(info)) {
    push_backoff(std::move(info));
  } else {
    push_active(std::move(info));
  }
}

std::optional<QueuedPodInfo> SchedulingQueue::take(std::string_view id) {
  std::string uid(id);
  if (auto it = active_.find(uid); it != active_.end()) {
    active_order_.erase(active_key(it->second.info, it->second.seq));
    QueuedPodInfo info = std::move(it->second.info);
    active_.erase(it);
    return info;
  }
  if (auto it = backoff_.find(uid); it != backoff_.end()) {
    backoff_order_.erase(backoff_key(it->second.info, it->second.seq));
    QueuedPodInfo info = std::move(it->second.info);
    backoff_.erase(it);
    return info;
  }
  if (auto it = unschedulable_.find(uid); it != unschedulable_.end()) {
    QueuedPodInfo info = std::move(it->second);
    unschedulable_.erase(it);
    return info;
  }
  return std::nullopt;
}

void SchedulingQueue::add(std::shared_ptr<const PodInfo> pod) {
  std::lock_guard lock(mu_);
  auto existing = take(pod->uid);
  QueuedPodInfo info;
  if (existing) {
    info = std::move(*existing);
  } else {
    info.timestamp = clock_.monotonic();
  }
  info.pod = std::move(pod);
  push_active(std::move(info));
}

void SchedulingQueue::update(std::shared_ptr<const PodInfo> pod) {
  std::lock_guard lock(mu_);
  const std::string uid = pod->uid;
  if (auto it = active_.find(uid); it != active_.end()) {
    QueuedPodInfo info = *take(uid);
    info.pod = std::move(pod);
    push_active(std::move(info));
    return;
  }
  if (auto it = backoff_.find(uid); it != backoff_.end()) {
    QueuedPodInfo info = *take(uid);
    info.pod = std::move(pod);
    push_backoff(std::move(info));
    return;
  }
  if (auto it = unschedulable_.find(uid); it != unschedulable_.end()) {
    // The pod itself changed (tolerations, affinity, requests...): it may fit now.
    QueuedPodInfo info = *take(uid);
    info.pod = std::move(pod);
    push_backoff_or_active(std::move(info));
    return;
  }
  if (in_flight_.count(uid) != 0) {
    // Being scheduled right now: if that attempt fails, retry after back-off rather than park the
    // pod as unschedulable on stale information.
    move_request_cycle_ = scheduling_cycle_;
    return;
  }
  QueuedPodInfo info;
  info.timestamp = clock_.monotonic();
  info.pod = std::move(pod);
  push_active(std::move(info));
}

void SchedulingQueue::remove(std::string_view uid) {
  std::lock_guard lock(mu_);
  take(uid);
}

std::optional<QueuedPodInfo> SchedulingQueue::pop_locked() {
  if (active_order_.empty()) return std::nullopt;
  const std::string uid = std::get<3>(*active_order_.begin());
  QueuedPodInfo info = *take(uid);
  ++info.attempts;
  if (info.attempts == 1) info.initial_attempt_timestamp = clock_.monotonic();
  info.scheduling_cycle = ++scheduling_cycle_;
  in_flight_.insert(uid);
  return info;
}

std::optional<QueuedPodInfo> SchedulingQueue::pop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !active_order_.empty(); });
  if (closed_) return std::nullopt;
  return pop_locked();
}

std::optional<QueuedPodInfo> SchedulingQueue::try_pop() {
  std::lock_guard lock(mu_);
  if (closed_) return std::nullopt;
  return pop_locked();
}

void SchedulingQueue::done(std::string_view uid) {
  std::lock_guard lock(mu_);
  in_flight_.erase(std::string(uid));
}

Result<void> SchedulingQueue::add_unschedulable_if_not_present(QueuedPodInfo info) {
  std::lock_guard lock(mu_);
  const std::string& uid = info.pod->uid;
  if (active_.count(uid) != 0 || backoff_.count(uid) != 0 || unschedulable_.count(uid) != 0) {
    return make_error(ErrorCode::kAlreadyExists,
                      "Pod " + info.pod->key() + " is already present in the scheduling queue");
  }
  info.timestamp = clock_.monotonic();
  // An error (no rejecting plugin) is retried after back-off; so is a pod that a cluster event
  // arrived for while it was being scheduled, since that event may have made it schedulable.
  if (info.unschedulable_plugins.empty() || move_request_cycle_ >= info.scheduling_cycle) {
    push_backoff(std::move(info));
  } else {
    std::string key = uid;
    unschedulable_[key] = std::move(info);
  }
  return {};
}

void SchedulingQueue::move_all_to_active_or_backoff(uint32_t event) {
  std::lock_guard lock(mu_);
  std::vector<std::string> moving;
  for (const auto& [uid, info] : unschedulable_) {
    uint32_t interested = events_for_ ? events_for_(info.unschedulable_plugins) : ~uint32_t{0};
    if ((interested & event) != 0) moving.push_back(uid);
  }
  for (const std::string& uid : moving) {
    QueuedPodInfo info = *take(uid);
    push_backoff_or_active(std::move(info));
  }
  move_request_cycle_ = scheduling_cycle_;
}

void SchedulingQueue::flush_backoff_completed() {
  std::lock_guard lock(mu_);
  const auto now = clock_.monotonic();
  while (!backoff_order_.empty() && std::get<0>(*backoff_order_.begin()) <= now) {
    const std::string uid = std::get<2>(*backoff_order_.begin());
    QueuedPodInfo info = *take(uid);
    push_active(std::move(info));
  }
}

void SchedulingQueue::flush_unschedulable_leftover() {
  std::lock_guard lock(mu_);
  const auto now = clock_.monotonic();
  std::vector<std::string> moving;
  for (const auto& [uid, info] : unschedulable_) {
    if (now - info.timestamp > options_.max_in_unschedulable) moving.push_back(uid);
  }
  for (const std::string& uid : moving) {
    QueuedPodInfo info = *take(uid);
    push_backoff_or_active(std::move(info));
  }
}

void SchedulingQueue::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

size_t SchedulingQueue::active_size() const {
  std::lock_guard lock(mu_);
  return active_.size();
}

size_t SchedulingQueue::backoff_size() const {
  std::lock_guard lock(mu_);
  return backoff_.size();
}

size_t SchedulingQueue::unschedulable_size() const {
  std::lock_guard lock(mu_);
  return unschedulable_.size();
}

int64_t SchedulingQueue::scheduling_cycle() const {
  std::lock_guard lock(mu_);
  return scheduling_cycle_;
}

}  // namespace bosun::scheduler
