// EventQueue: a watch callback that queues events for a consumer that would rather pull and block
// than be called back: tests, tools, a goroutine-style loop. Thread-safe; the callback may outlive
// the queue.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace bosun::store {

class EventQueue {
 public:
  EventQueue();

  // The callback to pass to Store::watch.
  WatchCallback callback() const;

  // Waits until `count` events are queued and removes them. Returns the watch's final Error if it
  // ended first, or Timeout once `timeout` (real time: a deadline so a broken store fails a test
  // instead of hanging it) passes.
  Result<std::vector<Event>> pop(size_t count,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Removes and returns whatever is queued now.
  std::vector<Event> drain();
  // Waits until the watch ends with an Error, or until `timeout` passes (nullopt).
  std::optional<Error> wait_error(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  size_t size() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace bosun::store
