// WatchHub: in-process fan-out of committed changes to watchers, for a backend whose single writer
// sees every change (the SQLite store; like kine's broadcaster, but fed directly by the writer
// instead of by polling). It keeps a ring of the newest events so a watch from a recent revision
// needs no database read, and hands each new watch over from its replay to live events with no gap
// and no duplicate. Thread-safe; every callback runs on the hub's one delivery thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace bosun::store {

class WatchHub {
 public:
  // Reads the committed changes under `prefix` with after < revision <= upto from the backend's
  // log, in revision order. Gone if the log no longer holds them. Called on the thread that starts
  // a watch, never under a lock.
  using Replay =
      std::function<Result<EventList>(std::string_view prefix, uint64_t after, uint64_t upto)>;

  // `published_revision`: the newest revision already in the log when the hub starts (nothing older
  // is in the ring). `ring_capacity`: how many of the newest events are kept in memory.
  WatchHub(uint64_t published_revision, size_t ring_capacity, Replay replay);
  // Delivers everything published so far, then ends each remaining watch with ServiceUnavailable.
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Called by the single writer after each commit with that commit's events, in revision order;
  // never blocks on watchers.
  void publish(EventList events);

  // Starts delivering events under `prefix` (a directory prefix, ending in '/') with revision >
  // from; 0 means from the newest published revision. The caller has checked `from` against the
  // compacted revision.
  Result<std::unique_ptr<Watch>> watch(std::string prefix, uint64_t from, WatchCallback callback);

  uint64_t published_revision() const;

  // Store::after_delivered for a watch this hub made.
  void after_delivered(Watch& watch, uint64_t revision, std::function<void()> fn);

 private:
  struct Watcher;
  class Handle;
  struct Barrier {
    std::shared_ptr<Watcher> watcher;
    uint64_t revision = 0;
    std::function<void()> fn;
  };
  struct Item {
    EventList batch;               // a published commit, or
    std::shared_ptr<Watcher> add;  // a new watcher, with the events it must see before live ones
    EventList backlog;
    std::unique_ptr<Barrier> barrier;  // or a barrier
  };

  void run();
  void deliver(Watcher& watcher, EventList events);
  // Runs the waiting barriers whose watcher has been offered their revision; drops those of
  // cancelled watches.
  void run_due_barriers();
  // Ring events under `prefix` with revision > after. Requires mu_.
  void copy_from_ring(std::string_view prefix, uint64_t after, EventList& out) const;

  const size_t ring_capacity_;
  const Replay replay_;

  mutable std::mutex mu_;  // guards everything down to the thread
  std::condition_variable cv_;
  std::deque<Item> queue_;
  std::deque<std::shared_ptr<const Event>>
      ring_;  // every event with ring_base_ < revision <= published_
  uint64_t ring_base_;
  uint64_t published_;
  bool stopping_ = false;

  std::vector<std::shared_ptr<Watcher>> watchers_;  // delivery thread only
  std::vector<Barrier> waiting_barriers_;           // delivery thread only
  std::thread thread_;
};

// True if `key` lies under the directory prefix `prefix`.
inline bool key_in_prefix(std::string_view key, std::string_view prefix) {
  return key.size() >= prefix.size() && key.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace bosun::store
