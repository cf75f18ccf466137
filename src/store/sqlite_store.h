// Options of the embedded SQLite store (Store::open_sqlite), the default store of `bosun server`:
// one database file laid out like k3s' kine (an append-only log table, one row per revision). Plain
// values; copy freely.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "common/clock.h"
#include "store/store.h"

namespace bosun::store {

struct SqliteOptions {
  // The database file (`<data-dir>/state.db`); created if missing. `<path>.lock` guards it against
  // a second process: one writer per file is what makes the in-memory compare-and-swap index sound.
  std::string path;
  // Drives periodic compaction; tests inject a FakeClock.
  Clock* clock = &Clock::real();
  // How often the history is compacted; zero disables periodic compaction (compact() still works).
  // Five minutes, like kine and the Kubernetes API server's etcd compactor.
  std::chrono::nanoseconds compaction_interval = std::chrono::minutes(5);
  // Periodic compaction keeps at least this many newest revisions (kine's compactMinRetain).
  uint64_t compaction_keep = 1000;
  // Revisions deleted per compaction transaction, so writers never wait behind one long delete
  // (kine's compactBatchSize).
  uint64_t compaction_batch = 1000;
  // synchronous=FULL: a write is acknowledged only once it is on disk (fsync). false
  // (synchronous=OFF) exists only to measure the cost of durability in benchmarks; never use it for
  // real data.
  bool durable = true;
  // Newest events kept in memory so that watches from recent revisions start without reading the
  // database.
  size_t watch_ring_events = 4096;
  // Most writes committed in one group-commit transaction.
  size_t max_write_batch = 1024;
  // Checkpoint the WAL into the database file once it holds this many pages (SQLite's default is
  // 1000). Run off the writer thread, so commits never wait for a checkpoint's fsync.
  int checkpoint_pages = 1000;
  // Refuse writes once the database file would grow past this size (0: no limit), like etcd's
  // --quota-backend-bytes: writes fail with "database space exceeded" until compaction frees pages.
  uint64_t max_database_bytes = 0;
  // Fault injection for tests: called on the writer thread with the number of writes in a group
  // after they are applied and before COMMIT; an Error fails the whole group as a failed COMMIT
  // would.
  std::function<Result<void>(size_t writes)> before_commit_for_test;
};

}  // namespace bosun::store
