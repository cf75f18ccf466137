// Expiry of Events, as kube-apiserver's --event-ttl (default 1 h) does: Kubernetes stores each
// Event under an etcd lease renewed by every write, so an Event vanishes an hour after it last
// changed. Our store has no leases, so the reaper takes the Event's own newest time (series
// lastObservedTime, lastTimestamp, eventTime, creationTimestamp — writers set one of them on every
// change, as the kubelet and controllers do) and deletes Events whose newest time is older than the
// TTL, through the store so that watchers see DELETED. Owned by ApiStack; thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "common/clock.h"
#include "common/result.h"
#include "store/store.h"

namespace bosun::apiserver {

inline constexpr std::chrono::seconds kDefaultEventTtl{3600};

// The time an Event last changed, read from its JSON (core/v1 shape, as stored); nullopt if it
// carries none that parses.
std::optional<Clock::WallTime> event_last_change(std::string_view event_json);

class EventReaper {
 public:
  // Sweeps `prefix` ("/registry/events/") every `interval` on a thread of its own.
  EventReaper(store::Store& store, std::string prefix, std::chrono::seconds ttl, Clock& clock,
              std::chrono::milliseconds interval = std::chrono::minutes(1));
  ~EventReaper();
  EventReaper(const EventReaper&) = delete;
  EventReaper& operator=(const EventReaper&) = delete;

  // One pass over every Event; returns how many were deleted. Deleting an Event that changed
  // since it was read fails its revision precondition and keeps it: it was just renewed.
  Result<size_t> sweep();

 private:
  void run();

  store::Store& store_;
  const std::string prefix_;
  const std::chrono::seconds ttl_;
  Clock& clock_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bosun::apiserver
