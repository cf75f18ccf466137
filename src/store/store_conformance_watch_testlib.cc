#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/json.h"
#include "store/continue_token.h"
#include "store/event_queue.h"
#include "store/store.h"
#include "store/store_conformance.h"
#include "store/store_conformance_helpers.h"

namespace bosun::store {

// Referenced from store_conformance_tests_linked(), so the linker keeps this file's tests too.
bool store_conformance_watch_tests_linked() { return true; }

namespace {

using namespace conformance;

// Watches.

TEST_P(StoreConformanceTest, WatchDeliversAddedModifiedDeletedInOrder) {
  EventQueue events;
  auto watch = must(store_->watch(kPods, 0, events.callback()));
  uint64_t r1 = must(store_->create("/registry/pods/default/a", "v1"));
  KeyValue kv2 = must(store_->update("/registry/pods/default/a", "v2", r1));
  RemoveResult removed = must(store_->remove("/registry/pods/default/a"));

  auto got = events.pop(3);
  STORE_ASSERT_OK(got);
  const auto& e = *got;
  EXPECT_EQ(e[0].type, EventType::kAdded);
  EXPECT_EQ(e[0].key, "/registry/pods/default/a");
  EXPECT_EQ(e[0].value, "v1");
  EXPECT_EQ(e[0].prev_value, "");
  EXPECT_EQ(e[0].revision, r1);
  EXPECT_EQ(e[0].create_revision, r1);
  EXPECT_EQ(e[0].prev_revision, 0u);

  EXPECT_EQ(e[1].type, EventType::kModified);
  EXPECT_EQ(e[1].value, "v2");
  EXPECT_EQ(e[1].prev_value, "v1");
  EXPECT_EQ(e[1].revision, kv2.mod_revision);
  EXPECT_EQ(e[1].create_revision, r1);
  EXPECT_EQ(e[1].prev_revision, r1);

  EXPECT_EQ(e[2].type, EventType::kDeleted);
  EXPECT_EQ(e[2].value, "");
  EXPECT_EQ(e[2].prev_value, "v2")
      << "a DELETED event carries the last value, as Kubernetes' watch does";
  EXPECT_EQ(e[2].revision, removed.revision);
  EXPECT_EQ(e[2].prev_revision, kv2.mod_revision);
  EXPECT_EQ(event_type_name(e[2].type), "DELETED");
}

TEST_P(StoreConformanceTest, WatchResumesFromEveryRetainedRevision) {
  // A history with every kind of change; each write's revision and expected event.
  std::vector<Event> history;
  uint64_t start = store_->current_revision();
  for (int i = 0; i < 12; ++i) {
    std::string key = "/registry/pods/default/p" + std::to_string(i % 4);
    auto current = store_->get(key);
    Event e;
    e.key = key;
    if (!current.ok()) {
      e.type = EventType::kAdded;
      e.value = "v" + std::to_string(i);
      e.revision = must(store_->create(key, e.value));
    } else if (i % 3 == 0) {
      e.type = EventType::kDeleted;
      e.prev_value = current->value;
      e.revision = must(store_->remove(key)).revision;
    } else {
      e.type = EventType::kModified;
      e.value = "v" + std::to_string(i);
      e.prev_value = current->value;
      e.revision = must(store_->update(key, e.value, current->mod_revision)).mod_revision;
    }
    history.push_back(e);
  }
  const uint64_t end = store_->current_revision();
  ASSERT_EQ(end, start + history.size());

  for (uint64_t from = start; from <= end; ++from) {
    uint64_t last =
        store_->current_revision();  // grows: each round adds two live events to the history
    EventQueue events;
    auto watch = must(store_->watch(kPods, from, events.callback()));
    auto got = events.pop(last - from);
    STORE_ASSERT_OK(got);
    EXPECT_EQ(revisions_of(*got), range(from + 1, last)) << "from " << from;
    for (const Event& e : *got) {
      const Event& want = history[e.revision - start - 1];
      EXPECT_EQ(e.type, want.type) << e.revision;
      EXPECT_EQ(e.key, want.key) << e.revision;
      EXPECT_EQ(e.value, want.value) << e.revision;
      EXPECT_EQ(e.prev_value, want.prev_value) << e.revision;
    }
    // Then live events, with nothing replayed twice.
    const std::string key = "/registry/pods/default/live-" + std::to_string(from);
    uint64_t live = must(store_->create(key, "x"));
    got = events.pop(1);
    STORE_ASSERT_OK(got);
    EXPECT_EQ((*got)[0].revision, live);
    EXPECT_EQ(events.size(), 0u);
    uint64_t gone = must(store_->remove(key)).revision;
    history.push_back(Event{EventType::kAdded, key, "x", "", live, live, 0});
    history.push_back(Event{EventType::kDeleted, key, "", "x", gone, live, live});
  }
}

TEST_P(StoreConformanceTest, WatchHandsOverFromReplayToLiveWithoutGapsUnderWrites) {
  const std::string key_base = "/registry/leases/default/l";
  for (int i = 0; i < 4; ++i) must(store_->create(key_base + std::to_string(i), "0"));
  uint64_t first = store_->current_revision();
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int n = 0; !stop.load(); ++n) {
      (void)store_->guaranteed_update(key_base + std::to_string(n % 4),
                                      [&](const KeyValue&) -> Result<std::optional<std::string>> {
                                        return std::optional<std::string>(std::to_string(n));
                                      });
    }
  });
  struct Started {
    uint64_t from;
    std::unique_ptr<EventQueue> events;
    std::unique_ptr<Watch> watch;
  };
  std::vector<Started> started;
  for (int i = 0; i < 20; ++i) {
    uint64_t now = store_->current_revision();
    uint64_t from =
        std::max(first, now - std::min<uint64_t>(now - first, static_cast<uint64_t>(i * 7)));
    auto events = std::make_unique<EventQueue>();
    auto watch = must(store_->watch("/registry/leases", from, events->callback()));
    started.push_back(Started{from, std::move(events), std::move(watch)});
    while (store_->current_revision() < now + 2) std::this_thread::yield();
  }
  stop.store(true);
  writer.join();
  uint64_t last = store_->current_revision();
  for (auto& s : started) {
    auto got = s.events->pop(last - s.from);
    STORE_ASSERT_OK(got);
    EXPECT_EQ(revisions_of(*got), range(s.from + 1, last))
        << "watch from " << s.from << " has a gap or a duplicate";
  }
}

TEST_P(StoreConformanceTest, WatchFromCompactedRevisionIsGone) {
  uint64_t r1 = must(store_->create("/registry/pods/default/a", "v1"));
  KeyValue kv = must(store_->update("/registry/pods/default/a", "v2", r1));
  KeyValue kv3 = must(store_->update("/registry/pods/default/a", "v3", kv.mod_revision));
  STORE_ASSERT_OK(store_->compact(kv.mod_revision));

  EventQueue events;
  auto old = store_->watch(kPods, kv.mod_revision - 1, events.callback());
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, ErrorCode::kGone);
  EXPECT_EQ(old.error().message, kWatchExpiredMessage);

  auto ok = store_->watch(kPods, kv.mod_revision, events.callback());
  STORE_ASSERT_OK(ok);
  auto got = events.pop(1);
  STORE_ASSERT_OK(got);
  EXPECT_EQ((*got)[0].revision, kv3.mod_revision);
  EXPECT_EQ((*got)[0].prev_value, "v2");
}

TEST_P(StoreConformanceTest, DestroyedWatchReceivesNothingMore) {
  EventQueue stopped;
  EventQueue running;
  auto watch = must(store_->watch(kPods, 0, stopped.callback()));
  auto other = must(store_->watch(kPods, 0, running.callback()));
  uint64_t r1 = must(store_->create("/registry/pods/default/a", "v1"));
  STORE_ASSERT_OK(stopped.pop(1));
  watch.reset();
  must(store_->update("/registry/pods/default/a", "v2", r1));
  // `running` saw both writes, so delivery of the second is over: `stopped` must not have it.
  STORE_ASSERT_OK(running.pop(2));
  EXPECT_EQ(stopped.size(), 0u);
}

TEST_P(StoreConformanceTest, WatchMayBeDestroyedFromItsOwnCallback) {
  auto slot = std::make_shared<std::unique_ptr<Watch>>();
  auto calls = std::make_shared<std::atomic<int>>(0);
  std::mutex mu;
  std::unique_lock hold(mu);  // the watch must be in the slot before the callback can clear it
  *slot = must(store_->watch(kPods, 0, [slot, calls, &mu](Result<EventList>) {
    std::lock_guard lock(mu);
    calls->fetch_add(1);
    slot->reset();
  }));
  hold.unlock();
  EventQueue barrier;
  auto other = must(store_->watch(kPods, 0, barrier.callback()));
  must(store_->create("/registry/pods/default/a", "v"));
  must(store_->create("/registry/pods/default/b", "v"));
  STORE_ASSERT_OK(barrier.pop(2));
  EXPECT_EQ(calls->load(), 1);
}

// Delivery barriers (Store::after_delivered).

// A promise-like flag a barrier sets, with what its watch had been handed when it ran.
struct BarrierProbe {
  std::mutex mu;
  std::condition_variable cv;
  bool ran = false;
  size_t seen_then = 0;
  void set(size_t seen = 0) {
    std::lock_guard lock(mu);
    ran = true;
    seen_then = seen;
    cv.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return ran; });
  }
};

TEST_P(StoreConformanceTest, BarrierRunsAfterEveryEarlierChangeReachedTheWatch) {
  // Each round writes under the watch's prefix and outside it, then asks for a barrier at once:
  // when it runs, the callback must already have had this round's event, published or not when
  // the barrier was asked for. The changes outside the prefix move the store past the event.
  std::atomic<size_t> delivered{0};
  auto watch = must(store_->watch(kPods, 0, [&delivered](Result<EventList> events) {
    if (events.ok()) delivered.fetch_add(events->size());
  }));
  for (size_t round = 1; round <= 100; ++round) {
    must(store_->create("/registry/pods/default/p" + std::to_string(round), "v"));
    must(store_->create("/registry/services/default/s" + std::to_string(round), "v"));
    auto probe = std::make_shared<BarrierProbe>();
    store_->after_delivered(*watch, store_->current_revision(),
                            [probe, &delivered] { probe->set(delivered.load()); });
    ASSERT_TRUE(probe->wait()) << "round " << round;
    ASSERT_EQ(probe->seen_then, round);
  }
}

TEST_P(StoreConformanceTest, BarrierWithNothingNewRunsAtOnce) {
  must(store_->create("/registry/services/default/s", "v"));
  EventQueue events;
  auto watch = must(store_->watch(kPods, 0, events.callback()));
  // Nothing is published after this: the barrier must not wait for a later change.
  auto probe = std::make_shared<BarrierProbe>();
  store_->after_delivered(*watch, store_->current_revision(), [probe] { probe->set(); });
  EXPECT_TRUE(probe->wait());
  EXPECT_EQ(events.size(), 0u);
}

TEST_P(StoreConformanceTest, BarrierOfADestroyedWatchNeverRuns) {
  EventQueue events;
  auto watch = must(store_->watch(kPods, 0, events.callback()));
  auto ran = std::make_shared<std::atomic<bool>>(false);
  // A revision not yet committed keeps the barrier waiting; the watch goes first.
  store_->after_delivered(*watch, store_->current_revision() + 1, [ran] { ran->store(true); });
  watch.reset();
  EventQueue other;
  auto later = must(store_->watch(kPods, 0, other.callback()));
  must(store_->create("/registry/pods/default/a", "v"));
  STORE_ASSERT_OK(other.pop(1));
  // The delivery thread has passed the revision the barrier waited for.
  auto probe = std::make_shared<BarrierProbe>();
  store_->after_delivered(*later, store_->current_revision(), [probe] { probe->set(); });
  ASSERT_TRUE(probe->wait());
  EXPECT_FALSE(ran->load());
}

// Compaction and concurrency.

TEST_P(StoreConformanceTest, CompactionKeepsTheNewestRevisionsAndEveryCurrentValue) {
  std::map<std::string, std::string> live;
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 6; ++i) {
      std::string key = "/registry/pods/default/p" + std::to_string(i);
      std::string value = "r" + std::to_string(round);
      auto current = store_->get(key);
      if (current.ok()) {
        must(store_->update(key, value, current->mod_revision));
      } else {
        must(store_->create(key, value));
      }
      live[key] = value;
    }
  }
  STORE_ASSERT_OK(store_->remove("/registry/pods/default/p5"));
  live.erase("/registry/pods/default/p5");
  constexpr uint64_t kKeep = 7;
  uint64_t current = store_->current_revision();
  STORE_ASSERT_OK(store_->compact(current - kKeep));
  EXPECT_EQ(store_->compacted_revision(), current - kKeep);

  // The newest kKeep revisions stay readable, as lists and as a watch replay.
  for (uint64_t r = current - kKeep; r <= current; ++r) {
    ListOptions options;
    options.revision = r;
    EXPECT_TRUE(store_->list(kPods, options).ok()) << r;
  }
  EventQueue events;
  auto watch = must(store_->watch(kPods, current - kKeep, events.callback()));
  auto replayed = events.pop(kKeep);
  STORE_ASSERT_OK(replayed);
  EXPECT_EQ(revisions_of(*replayed), range(current - kKeep + 1, current));

  // Every current value survives; the deleted key stays deleted and can be created again.
  for (const auto& [key, value] : live) EXPECT_EQ(must(store_->get(key)).value, value) << key;
  EXPECT_EQ(store_->get("/registry/pods/default/p5").error().code, ErrorCode::kNotFound);

  // Compacting everything keeps the current state too.
  STORE_ASSERT_OK(store_->compact(store_->current_revision()));
  auto list = must(store_->list(kPods, {}));
  std::map<std::string, std::string> listed;
  for (const auto& kv : list.items) listed[kv.key] = kv.value;
  EXPECT_EQ(listed, live);
  EXPECT_EQ(store_->get("/registry/pods/default/p5").error().code, ErrorCode::kNotFound);
  uint64_t again = must(store_->create("/registry/pods/default/p5", "back"));
  EXPECT_EQ(must(store_->get("/registry/pods/default/p5")).create_revision, again);

  // Compacting backwards is a no-op; forwards past the present is refused.
  EXPECT_TRUE(store_->compact(1).ok());
  auto future = store_->compact(store_->current_revision() + 1);
  ASSERT_FALSE(future.ok());
  EXPECT_EQ(future.error().code, ErrorCode::kBadRequest);
}

TEST_P(StoreConformanceTest, ManyConcurrentWritersAreAllAcknowledgedAndVisible) {
  constexpr int kWriters = 64;
  constexpr int kWrites = 20;
  uint64_t start = store_->current_revision();
  EventQueue events;
  auto watch = must(store_->watch(kPods, start, events.callback()));
  std::vector<std::vector<std::pair<std::string, uint64_t>>> acked(kWriters);
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriters; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        std::string key = "/registry/pods/ns" + std::to_string(t) + "/pod" + std::to_string(i);
        auto r = store_->create(key, "value of " + key);
        ASSERT_TRUE(r.ok()) << r.error().message;
        acked[t].emplace_back(key, *r);
      }
    });
  }
  for (auto& t : threads) t.join();

  std::set<uint64_t> revisions;
  for (const auto& writes : acked) {
    ASSERT_EQ(writes.size(), static_cast<size_t>(kWrites));
    for (size_t i = 1; i < writes.size(); ++i) {
      EXPECT_GT(writes[i].second, writes[i - 1].second) << "one writer's revisions went backwards";
    }
    for (const auto& [key, revision] : writes) {
      EXPECT_TRUE(revisions.insert(revision).second)
          << "revision " << revision << " was given twice";
      auto kv = store_->get(key);
      ASSERT_TRUE(kv.ok()) << key << ": " << kv.error().message;
      EXPECT_EQ(kv->mod_revision, revision);
      EXPECT_EQ(kv->value, "value of " + key);
    }
  }
  EXPECT_EQ(revisions.size(), static_cast<size_t>(kWriters * kWrites));
  EXPECT_EQ(*revisions.begin(), start + 1);
  EXPECT_EQ(*revisions.rbegin(), start + kWriters * kWrites) << "revisions are not contiguous";
  EXPECT_EQ(store_->current_revision(), *revisions.rbegin());
  EXPECT_EQ(must(store_->list(kPods, {})).items.size(), static_cast<size_t>(kWriters * kWrites));
  auto got = events.pop(kWriters * kWrites);
  STORE_ASSERT_OK(got);
  EXPECT_EQ(revisions_of(*got), std::vector<uint64_t>(revisions.begin(), revisions.end()));
}

}  // namespace
}  // namespace bosun::store
