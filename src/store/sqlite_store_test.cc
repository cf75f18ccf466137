#include "store/sqlite_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "common/clock.h"
#include "store/event_queue.h"
#include "store/store.h"
#include "store/store_conformance.h"

namespace bosun::store {
namespace {

namespace fs = std::filesystem;

// One scratch directory per test process, removed when the tests end.
class ScratchDir : public ::testing::Environment {
 public:
  static std::string make_path(const std::string& name) {
    static std::atomic<int> counter{0};
    fs::path dir = root() / (name + "-" + std::to_string(counter.fetch_add(1)));
    fs::create_directories(dir);
    return (dir / "state.db").string();
  }
  void TearDown() override {
    std::error_code ignored;
    if (!root_path().empty()) fs::remove_all(root_path(), ignored);
  }

 private:
  static std::string& root_path() {
    static std::string path;
    return path;
  }
  static fs::path root() {
    if (root_path().empty()) {
      std::string tmpl = (fs::temp_directory_path() / "bosun-store-test-XXXXXX").string();
      if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
      root_path() = tmpl;
    }
    return root_path();
  }
};
[[maybe_unused]] ::testing::Environment* const kScratch =
    ::testing::AddGlobalTestEnvironment(new ScratchDir);

SqliteOptions test_options(const std::string& name) {
  SqliteOptions options;
  options.path = ScratchDir::make_path(name);
  options.compaction_interval = std::chrono::nanoseconds(0);
  return options;
}

BOSUN_STORE_CONFORMANCE(Sqlite,
                        StoreBackend{"Sqlite",
                                     [] { return Store::open_sqlite(test_options("c")); }},
                        // A tiny watch ring and write batch: watches must start from the database
                        // log, and group commits split, and everything must still hold.
                        StoreBackend{"SqliteSmallRing", [] {
                                       SqliteOptions options = test_options("small");
                                       options.watch_ring_events = 3;
                                       options.max_write_batch = 2;
                                       options.compaction_batch = 2;
                                       return Store::open_sqlite(options);
                                     }});

template <typename T>
T must(Result<T> result) {
  if (!result.ok()) throw std::runtime_error("store call failed: " + result.error().message);
  return std::move(result).value();
}

// Reads the database file directly, to check what is on disk rather than what the store says.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      throw std::runtime_error("open " + path);
    }
  }
  ~RawDb() { sqlite3_close(db_); }
  int64_t integer(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    int64_t value = -1;
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) value = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return value;
  }
  std::string text(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    std::string value;
    if (stmt != nullptr && sqlite3_step(stmt) == SQLITE_ROW) {
      auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
      if (p != nullptr) value = p;
    }
    sqlite3_finalize(stmt);
    return value;
  }
  int exec(const std::string& sql) {
    return sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  }

 private:
  sqlite3* db_ = nullptr;
};

TEST(SqliteStore, LogTableHasOneRowPerRevisionLikeKine) {
  SqliteOptions options = test_options("layout");
  {
    auto store = must(Store::open_sqlite(options));
    uint64_t r1 = must(store->create("/registry/pods/default/a", "v1"));
    must(store->update("/registry/pods/default/a", "v2", r1));
    ASSERT_TRUE(store->remove("/registry/pods/default/a").ok());
  }
  RawDb db(options.path);
  EXPECT_EQ(db.text("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM kine"), 3);
  // The creation, the update (old_value = v1) and the tombstone (old_value = v2), chained by
  // prev_revision.
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM kine WHERE id = 2 AND created = 1 AND deleted = 0 AND "
                       "prev_revision = 0 AND value = CAST('v1' AS BLOB)"),
            1);
  EXPECT_EQ(
      db.integer("SELECT COUNT(*) FROM kine WHERE id = 3 AND created = 0 AND prev_revision = 2 AND "
                 "create_revision = 2 AND old_value = CAST('v1' AS BLOB)"),
      1);
  EXPECT_EQ(
      db.integer("SELECT COUNT(*) FROM kine WHERE id = 4 AND deleted = 1 AND prev_revision = 3 AND "
                 "old_value = CAST('v2' AS BLOB)"),
      1);
  // UNIQUE(name, prev_revision) is the compare-and-swap safety net: a second successor of revision
  // 3 is refused.
  EXPECT_EQ(db.exec("INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision) "
                    "VALUES (99, '/registry/pods/default/a', 0, 0, 2, 3)"),
            SQLITE_CONSTRAINT);
}

TEST(SqliteStore, ReopeningContinuesAtTheStoredRevision) {
  SqliteOptions options = test_options("reopen");
  uint64_t last = 0;
  {
    auto store = must(Store::open_sqlite(options));
    EXPECT_EQ(store->current_revision(), 1u);
    uint64_t r1 = must(store->create("/registry/pods/default/a", "v1"));
    EXPECT_EQ(r1, 2u);
    must(store->update("/registry/pods/default/a", "v2", r1));
    must(store->create("/registry/pods/default/b", "b"));
    ASSERT_TRUE(store->remove("/registry/pods/default/b").ok());
    last = store->current_revision();
  }
  auto store = must(Store::open_sqlite(options));
  EXPECT_EQ(store->current_revision(), last);
  KeyValue a = must(store->get("/registry/pods/default/a"));
  EXPECT_EQ(a.value, "v2");
  EXPECT_EQ(store->get("/registry/pods/default/b").error().code, ErrorCode::kNotFound);
  // The compare-and-swap index was rebuilt: stale revisions still conflict, fresh ones win.
  EXPECT_EQ(store->update("/registry/pods/default/a", "x", a.mod_revision - 1).error().code,
            ErrorCode::kConflict);
  EXPECT_EQ(must(store->update("/registry/pods/default/a", "v3", a.mod_revision)).mod_revision,
            last + 1);
  EXPECT_EQ(must(store->create("/registry/pods/default/b", "again")), last + 2);
  // History written before the restart replays from the log.
  EventQueue events;
  auto watch = must(store->watch("/registry/pods", 1, events.callback()));
  auto got = events.pop(last + 1);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->front().revision, 2u);
  EXPECT_EQ(got->back().revision, last + 2);
}

TEST(SqliteStore, RevisionNeverGoesBackAfterCompactingAwayTheNewestRows) {
  SqliteOptions options = test_options("floor");
  uint64_t last = 0;
  {
    auto store = must(Store::open_sqlite(options));
    must(store->create("/registry/pods/default/a", "v"));
    ASSERT_TRUE(store->remove("/registry/pods/default/a").ok());
    last = store->current_revision();
    ASSERT_TRUE(store->compact(last).ok());
  }
  EXPECT_EQ(RawDb(options.path).integer("SELECT COUNT(*) FROM kine"), 0)
      << "the tombstone should be compacted";
  auto store = must(Store::open_sqlite(options));
  EXPECT_EQ(store->current_revision(), last);
  EXPECT_EQ(store->compacted_revision(), last);
  EXPECT_EQ(must(store->create("/registry/pods/default/a", "v")), last + 1);
}

TEST(SqliteStore, CompactionDeletesSupersededRowsAndTombstones) {
  SqliteOptions options = test_options("compact-rows");
  auto store = must(Store::open_sqlite(options));
  uint64_t r = must(store->create("/registry/pods/default/a", "0"));
  for (int i = 1; i <= 20; ++i)
    r = must(store->update("/registry/pods/default/a", std::to_string(i), r)).mod_revision;
  must(store->create("/registry/pods/default/gone", "x"));
  ASSERT_TRUE(store->remove("/registry/pods/default/gone").ok());
  ASSERT_TRUE(store->compact(store->current_revision()).ok());
  RawDb db(options.path);
  EXPECT_EQ(db.integer("SELECT COUNT(*) FROM kine"), 1)
      << "only the newest row of the live key remains";
  EXPECT_EQ(db.integer("SELECT value FROM bosun_meta WHERE name = 'compact_revision'"),
            static_cast<int64_t>(store->current_revision()));
}

TEST(SqliteStore, PeriodicCompactionKeepsTheNewestRevisions) {
  FakeClock clock;
  SqliteOptions options = test_options("periodic");
  options.clock = &clock;
  options.compaction_interval = std::chrono::minutes(5);
  options.compaction_keep = 10;
  options.compaction_batch = 7;  // several transactions per pass
  auto store = must(Store::open_sqlite(options));
  uint64_t r = must(store->create("/registry/pods/default/a", "0"));
  for (int i = 1; i < 50; ++i)
    r = must(store->update("/registry/pods/default/a", std::to_string(i), r)).mod_revision;
  uint64_t current = store->current_revision();

  clock.advance(std::chrono::minutes(4));
  // Give the maintenance thread several looks at the clock: nothing is due yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(store->compacted_revision(), 0u);

  clock.advance(std::chrono::minutes(1));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (store->compacted_revision() != current - 10 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(store->compacted_revision(), current - 10);
  ListOptions at;
  at.revision = current - 10;
  EXPECT_TRUE(store->list("/registry/pods", at).ok());
  at.revision = current - 11;
  EXPECT_EQ(store->list("/registry/pods", at).error().code, ErrorCode::kGone);
  EXPECT_EQ(RawDb(options.path).integer("SELECT COUNT(*) FROM kine"), 11);
}

TEST(SqliteStore, SecondStoreOnTheSameFileIsRefused) {
  SqliteOptions options = test_options("locked");
  auto first = must(Store::open_sqlite(options));
  auto second = Store::open_sqlite(options);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.error().message, ::testing::HasSubstr("in use by another store"));
  first.reset();
  EXPECT_TRUE(Store::open_sqlite(options).ok()) << "the lock goes with the store";
}

TEST(SqliteStore, ClosingEndsWatchesAndHandlesMayOutliveTheStore) {
  auto store = must(Store::open_sqlite(test_options("close")));
  EventQueue events;
  auto watch = must(store->watch("/registry/pods", 0, events.callback()));
  must(store->create("/registry/pods/default/a", "v"));
  store.reset();
  ASSERT_EQ(events.size(), 1u) << "writes acknowledged before closing are delivered";
  auto error = events.wait_error();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->code, ErrorCode::kServiceUnavailable);
  watch.reset();
}

TEST(SqliteStore, WatchStartedFarBehindTheRingReplaysTheLog) {
  SqliteOptions options = test_options("ring");
  options.watch_ring_events = 4;
  auto store = must(Store::open_sqlite(options));
  uint64_t start = store->current_revision();
  for (int i = 0; i < 100; ++i)
    must(store->create("/registry/pods/default/p" + std::to_string(i), "v"));
  EventQueue events;
  auto watch = must(store->watch("/registry/pods", start, events.callback()));
  auto got = events.pop(100);
  ASSERT_TRUE(got.ok()) << got.error().message;
  for (size_t i = 0; i < got->size(); ++i) EXPECT_EQ((*got)[i].revision, start + 1 + i);
}

TEST(SqliteStore, FailedGroupCommitLeavesNoTrace) {
  // A full database fails every write of the group that hit it: none is acknowledged, no revision
  // is used, and the compare-and-swap index still matches the log afterwards.
  SqliteOptions options = test_options("full");
  options.max_database_bytes = 512 * 1024;
  options.checkpoint_pages = 1;  // keep the database file, where the limit applies, up to date
  auto store = must(Store::open_sqlite(options));
  uint64_t lease = must(store->create("/registry/leases/default/l", "v0"));
  EventQueue events;
  auto watch = must(store->watch("/registry", 0, events.callback()));
  const std::string big = "/registry/configmaps/default/big";
  uint64_t revision = must(store->create(big, std::string(8 * 1024, 'x')));
  Result<KeyValue> failed = make_error(ErrorCode::kInternal, "not yet");
  for (int i = 0; i < 1000; ++i) {
    failed = store->update(big, std::string(8 * 1024, 'a' + i % 26), revision);
    if (!failed.ok()) break;
    revision = failed->mod_revision;
  }
  ASSERT_FALSE(failed.ok()) << "the database never filled up";
  EXPECT_EQ(failed.error().code, ErrorCode::kInternal);
  EXPECT_THAT(failed.error().message, ::testing::HasSubstr("database space exceeded"));
  uint64_t before = store->current_revision();
  EXPECT_EQ(before, revision) << "a failed commit used a revision";
  auto update = store->update("/registry/leases/default/l", std::string(64 * 1024, 'y'), lease);
  ASSERT_FALSE(update.ok());
  EXPECT_EQ(store->current_revision(), before);
  EXPECT_EQ(must(store->get("/registry/leases/default/l")).mod_revision, lease);
  EXPECT_EQ(must(store->get(big)).mod_revision, revision);

  // Compaction frees the superseded rows' pages; the store then goes on as if the failures never
  // happened: the same compare-and-swap revisions win, and watchers see no gap.
  ASSERT_TRUE(store->compact(store->current_revision()).ok());
  auto next = store->update("/registry/leases/default/l", "v1", lease);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->mod_revision, before + 1);
  ASSERT_TRUE(store->update(big, "small", revision).ok());
  auto got = events.pop(before + 2 - lease);
  ASSERT_TRUE(got.ok()) << got.error().message;
  for (size_t i = 0; i < got->size(); ++i) EXPECT_EQ((*got)[i].revision, lease + 1 + i);
}

// One attempt of the scenario below; false if the writes did not end up in one group (scheduling).
bool fail_a_group_of_writes(int attempt) {
  std::mutex mu;
  std::condition_variable cv;
  enum { kHoldNext, kHolding, kReleased } phase = kReleased;  // setup writes go straight through
  size_t failed_group = 0;
  SqliteOptions options = test_options("inject-" + std::to_string(attempt));
  options.before_commit_for_test = [&](size_t writes) -> Result<void> {
    std::unique_lock lock(mu);
    if (phase == kHoldNext) {
      phase = kHolding;
      cv.notify_all();
      cv.wait(lock, [&] { return phase == kReleased; });
    } else if (phase == kReleased && failed_group == 0 && writes >= 2) {
      failed_group = writes;
      return make_error(ErrorCode::kInternal, "injected commit failure");
    }
    return ok_result();
  };
  std::unique_ptr<Store> store = must(Store::open_sqlite(options));
  constexpr int kKeys = 5;
  std::vector<uint64_t> revisions(kKeys);
  for (int k = 0; k < kKeys; ++k) {
    revisions[k] = must(store->create("/registry/leases/default/l" + std::to_string(k), "v0"));
  }
  EventQueue events;
  auto watch = must(store->watch("/registry", 0, events.callback()));
  {
    std::lock_guard lock(mu);
    phase = kHoldNext;
  }
  // The first write's group is held at its commit while the others queue up behind it.
  std::vector<Result<KeyValue>> results(kKeys, make_error(ErrorCode::kInternal, "not run"));
  std::vector<std::thread> writers;
  writers.emplace_back(
      [&] { results[0] = store->update("/registry/leases/default/l0", "v1", revisions[0]); });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return phase == kHolding; });
  }
  std::atomic<int> ready{0};
  for (int k = 1; k < kKeys; ++k) {
    writers.emplace_back([&, k] {
      ready.fetch_add(1);
      results[k] =
          store->update("/registry/leases/default/l" + std::to_string(k), "v1", revisions[k]);
    });
  }
  while (ready.load() < kKeys - 1) std::this_thread::yield();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(50));  // from ready to queued: a few instructions
  {
    std::lock_guard lock(mu);
    phase = kReleased;
  }
  cv.notify_all();
  for (auto& w : writers) w.join();
  EXPECT_TRUE(results[0].ok());
  if (failed_group < 2) return false;

  // Every write of the failed group was applied inside the transaction before the commit failed:
  // none may be acknowledged, use a revision, or stay in the compare-and-swap index.
  int failed = 0;
  uint64_t expected_revision = results[0]->mod_revision;
  for (int k = 1; k < kKeys; ++k) {
    const std::string key = "/registry/leases/default/l" + std::to_string(k);
    if (results[k].ok()) {
      expected_revision = std::max(expected_revision, results[k]->mod_revision);
      continue;
    }
    ++failed;
    EXPECT_EQ(results[k].error().message, "injected commit failure");
    EXPECT_EQ(must(store->get(key)).mod_revision, revisions[k]);
    auto retry = store->update(key, "v2", revisions[k]);
    EXPECT_TRUE(retry.ok()) << key << ": " << retry.error().message;
  }
  EXPECT_EQ(static_cast<size_t>(failed), failed_group);
  uint64_t last = store->current_revision();
  EXPECT_EQ(last, expected_revision + static_cast<uint64_t>(failed))
      << "revisions were used or skipped";
  auto got = events.pop(last - revisions.back());
  EXPECT_TRUE(got.ok());
  if (got.ok()) {
    for (size_t i = 0; i < got->size(); ++i)
      EXPECT_EQ((*got)[i].revision, revisions.back() + 1 + i);
  }
  return true;
}

TEST(SqliteStore, FailedCommitUndoesEveryWriteOfItsGroup) {
  bool exercised = false;
  for (int attempt = 0; attempt < 10 && !exercised; ++attempt)
    exercised = fail_a_group_of_writes(attempt);
  EXPECT_TRUE(exercised) << "the queued writes never shared a group";
}

TEST(SqliteStore, OversizedValuesAreRefused) {
  auto store = must(Store::open_sqlite(test_options("big")));
  auto r = store->create("/registry/configmaps/default/big", std::string(2 * 1024 * 1024, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kRequestEntityTooLarge);
  EXPECT_EQ(store->current_revision(), 1u);
}

}  // namespace
}  // namespace bosun::store
