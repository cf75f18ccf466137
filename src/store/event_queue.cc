#include "store/event_queue.h"

#include <condition_variable>
#include <deque>
#include <mutex>

namespace bosun::store {

struct EventQueue::State {
  std::mutex mu;  // guards everything below
  std::condition_variable cv;
  std::deque<std::shared_ptr<const Event>> events;
  std::optional<Error> error;
};

EventQueue::EventQueue() : state_(std::make_shared<State>()) {}

WatchCallback EventQueue::callback() const {
  return [state = state_](Result<EventList> batch) {
    {
      std::lock_guard lock(state->mu);
      if (batch.ok()) {
        state->events.insert(state->events.end(), batch->begin(), batch->end());
      } else {
        state->error = std::move(batch).error();
      }
    }
    state->cv.notify_all();
  };
}

Result<std::vector<Event>> EventQueue::pop(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mu);
  state_->cv.wait_for(lock, timeout,
                      [&] { return state_->events.size() >= count || state_->error; });
  if (state_->events.size() < count) {
    if (state_->error) return *state_->error;
    return make_error(ErrorCode::kTimeout, "timed out waiting for " + std::to_string(count) +
                                               " events, have " +
                                               std::to_string(state_->events.size()));
  }
  std::vector<Event> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    out.push_back(*state_->events.front());
    state_->events.pop_front();
  }
  return out;
}

std::vector<Event> EventQueue::drain() {
  std::lock_guard lock(state_->mu);
  std::vector<Event> out;
  out.reserve(state_->events.size());
  for (const auto& event : state_->events) out.push_back(*event);
  state_->events.clear();
  return out;
}

std::optional<Error> EventQueue::wait_error(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mu);
  state_->cv.wait_for(lock, timeout, [&] { return state_->error.has_value(); });
  return state_->error;
}

size_t EventQueue::size() const {
  std::lock_guard lock(state_->mu);
  return state_->events.size();
}

}  // namespace bosun::store
