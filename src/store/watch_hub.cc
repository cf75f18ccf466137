#include "store/watch_hub.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <exception>

#include "common/log.h"

namespace bosun::store {
namespace {

// Large replays reach the callback in slices, so one watcher's catch-up does not hold the delivery
// thread in a single enormous call.
constexpr size_t kMaxEventsPerCallback = 1024;

}  // namespace

struct WatchHub::Watcher {
  std::string prefix;
  WatchCallback callback;  // guarded by delivery_mu
  uint64_t after = 0;  // delivery thread only: the newest revision this watcher has been offered
  std::atomic<bool> cancelled{false};
  std::mutex
      delivery_mu;  // held while the callback runs, so that ~Watch can wait a running call out
  std::thread::id delivery_thread;
};

// The handle a caller holds; it shares the watcher with the delivery thread and may outlive the
// hub.
class WatchHub::Handle final : public Watch {
 public:
  explicit Handle(std::shared_ptr<Watcher> watcher) : watcher_(std::move(watcher)) {}
  const std::shared_ptr<Watcher>& watcher() const { return watcher_; }

  ~Handle() override {
    if (std::this_thread::get_id() == watcher_->delivery_thread) {
      // Called from inside a callback (perhaps this watch's own): delivery is single-threaded, so
      // nothing else can be running one; the hub drops the watcher once the current call returns.
      watcher_->cancelled.store(true);
      return;
    }
    std::lock_guard lock(watcher_->delivery_mu);
    watcher_->cancelled.store(true);
    watcher_->callback =
        nullptr;  // release what the callback holds now, not at the next published commit
  }

 private:
  std::shared_ptr<Watcher> watcher_;
};

WatchHub::WatchHub(uint64_t published_revision, size_t ring_capacity, Replay replay)
    : ring_capacity_(std::max<size_t>(ring_capacity, 1)),
      replay_(std::move(replay)),
      ring_base_(published_revision),
      published_(published_revision) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "store-watch");
    run();
  });
}

WatchHub::~WatchHub() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

uint64_t WatchHub::published_revision() const {
  std::lock_guard lock(mu_);
  return published_;
}

void WatchHub::publish(EventList events) {
  if (events.empty()) return;
  {
    std::lock_guard lock(mu_);
    for (const auto& event : events) {
      ring_.push_back(event);
      published_ = event->revision;
    }
    while (ring_.size() > ring_capacity_) {
      ring_base_ = ring_.front()->revision;
      ring_.pop_front();
    }
    queue_.push_back(Item{std::move(events), nullptr, {}, nullptr});
  }
  cv_.notify_one();
}

void WatchHub::copy_from_ring(std::string_view prefix, uint64_t after, EventList& out) const {
  auto first = std::upper_bound(
      ring_.begin(), ring_.end(), after,
      [](uint64_t rev, const std::shared_ptr<const Event>& e) { return rev < e->revision; });
  for (auto it = first; it != ring_.end(); ++it) {
    if (key_in_prefix((*it)->key, prefix)) out.push_back(*it);
  }
}

Result<std::unique_ptr<Watch>> WatchHub::watch(std::string prefix, uint64_t from,
                                               WatchCallback callback) {
  auto watcher = std::make_shared<Watcher>();
  watcher->prefix = std::move(prefix);
  watcher->callback = std::move(callback);
  watcher->delivery_thread = thread_.get_id();

  EventList backlog;
  std::unique_lock lock(mu_);
  if (from == 0) from = published_;
  // Catch up from the log until the ring covers the rest. Each round reads only what was published
  // while the previous one ran, so this ends; the last step and the enqueue happen under one lock,
  // which is the hand-over: every commit published before it is in the backlog, every commit after
  // it reaches the watcher live.
  while (from < ring_base_) {
    uint64_t upto = published_;
    lock.unlock();
    BOSUN_ASSIGN_OR_RETURN(EventList replayed, replay_(watcher->prefix, from, upto));
    backlog.insert(backlog.end(), std::make_move_iterator(replayed.begin()),
                   std::make_move_iterator(replayed.end()));
    from = upto;
    lock.lock();
  }
  copy_from_ring(watcher->prefix, from, backlog);
  watcher->after = std::max(from, published_);
  if (stopping_) return make_error(ErrorCode::kServiceUnavailable, "the store is closing");
  queue_.push_back(Item{{}, watcher, std::move(backlog), nullptr});
  lock.unlock();
  cv_.notify_one();
  return std::unique_ptr<Watch>(std::make_unique<Handle>(std::move(watcher)));
}

void WatchHub::after_delivered(Watch& watch, uint64_t revision, std::function<void()> fn) {
  auto* handle = dynamic_cast<Handle*>(&watch);
  if (handle == nullptr || !fn) return;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    // Queued behind every batch published so far and behind the watch's own start, so that when
    // the delivery thread reaches it the watcher's `after` is what it has been handed.
    queue_.push_back(
        Item{{},
             nullptr,
             {},
             std::make_unique<Barrier>(Barrier{handle->watcher(), revision, std::move(fn)})});
  }
  cv_.notify_one();
}

void WatchHub::run_due_barriers() {
  std::erase_if(waiting_barriers_, [](Barrier& b) {
    if (b.watcher->cancelled.load()) return true;
    if (b.watcher->after < b.revision) return false;
    std::lock_guard lock(b.watcher->delivery_mu);
    if (!b.watcher->cancelled.load()) {
      try {
        b.fn();
      } catch (...) {
        SPDLOG_ERROR("watch on {}: a delivery barrier threw", b.watcher->prefix);
      }
    }
    return true;
  });
}

void WatchHub::deliver(Watcher& watcher, EventList events) {
  if (events.empty()) return;
  std::lock_guard lock(watcher.delivery_mu);
  if (watcher.cancelled.load() || !watcher.callback) return;
  try {
    watcher.callback(std::move(events));
  } catch (const std::exception& e) {
    // Callbacks must not throw; one that does loses its watch rather than the whole delivery
    // thread.
    SPDLOG_ERROR("watch on {}: callback threw: {}; stopping the watch", watcher.prefix, e.what());
    watcher.cancelled.store(true);
  } catch (...) {
    SPDLOG_ERROR("watch on {}: callback threw; stopping the watch", watcher.prefix);
    watcher.cancelled.store(true);
  }
}

void WatchHub::run() {
  std::deque<Item> items;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping, and everything published has been delivered
      items.swap(queue_);
    }
    for (Item& item : items) {
      if (item.barrier) {
        waiting_barriers_.push_back(std::move(*item.barrier));
        run_due_barriers();
        continue;
      }
      if (item.add) {
        Watcher& watcher = *item.add;
        for (size_t i = 0; i < item.backlog.size(); i += kMaxEventsPerCallback) {
          size_t end = std::min(item.backlog.size(), i + kMaxEventsPerCallback);
          deliver(watcher, EventList(item.backlog.begin() + i, item.backlog.begin() + end));
        }
        if (!watcher.cancelled.load()) watchers_.push_back(std::move(item.add));
        continue;
      }
      const EventList& batch = item.batch;
      uint64_t last = batch.back()->revision;
      for (const auto& watcher : watchers_) {
        if (watcher->cancelled.load()) continue;
        EventList matching;
        for (const auto& event : batch) {
          if (event->revision > watcher->after && key_in_prefix(event->key, watcher->prefix)) {
            matching.push_back(event);
          }
        }
        watcher->after = std::max(watcher->after, last);
        deliver(*watcher, std::move(matching));
      }
      std::erase_if(watchers_, [](const auto& w) { return w->cancelled.load(); });
      if (!waiting_barriers_.empty()) run_due_barriers();
    }
    items.clear();
  }
  for (const auto& watcher : watchers_) {
    std::lock_guard lock(watcher->delivery_mu);
    if (watcher->cancelled.load() || !watcher->callback) continue;
    try {
      watcher->callback(make_error(ErrorCode::kServiceUnavailable, "the store is closing"));
    } catch (...) {
      SPDLOG_ERROR("watch on {}: callback threw on close", watcher->prefix);
    }
  }
  watchers_.clear();
  waiting_barriers_.clear();  // their watches end with the store: nothing more is delivered
}

}  // namespace bosun::store
