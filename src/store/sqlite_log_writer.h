// The single writer of the SQLite store: it owns the one read-write connection and appends to
// kine's log table with group commit: all writes pending when it wakes go into one transaction and
// one fsync, each with its own revision and its own compare-and-swap check, and are acknowledged
// only after the commit. It then hands the commit's events to the WatchHub, in revision order.
// Compaction batches run on the same thread, between group commits. Thread-safe: any thread may
// call create/update/remove/compact_step; they block until acknowledged.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "store/sqlite_db.h"
#include "store/sqlite_store.h"
#include "store/store.h"
#include "store/watch_hub.h"

namespace bosun::store::sqlite {

// Revision counters the writer advances and readers consult.
struct Revisions {
  std::atomic<uint64_t> committed{0};  // the newest committed revision
  // Raised before a compaction deletes anything, lowered never. A reader that checks it after its
  // snapshot began (see SqliteStore) cannot miss a compaction that removed rows from that snapshot.
  std::atomic<uint64_t> compact_target{0};
  std::atomic<uint64_t> compacted{0};  // set once a compaction has committed
};

// The schema, like kine's: one row per revision. `id` is the revision; the current value of a key
// is its newest row; `created`/`deleted` mark creations and tombstones; `prev_revision` points at
// the row this one supersedes, and UNIQUE(name, prev_revision) makes two writes that raced from the
// same version impossible even if the in-memory check were wrong.
//
// That one index also serves every read by name. SQLite keeps the rowid (`id`) in each index entry,
// so "id <= revision" is checked in the index, and along a key's chain prev_revision grows exactly
// as id does (each row points at the row before it; a re-creation after compaction forgot the
// tombstone starts again at 0 only once every older row of the key is gone). Kine keeps four more
// indexes; each costs a page write per insert in every group commit.
inline constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS kine (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created INTEGER NOT NULL,
  deleted INTEGER NOT NULL,
  create_revision INTEGER NOT NULL,
  prev_revision INTEGER NOT NULL,
  value BLOB,
  old_value BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS kine_name_prev_revision_uindex ON kine (name, prev_revision);
CREATE TABLE IF NOT EXISTS bosun_meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO bosun_meta (name, value) VALUES ('compact_revision', 0), ('revision_floor', 1);
)sql";

class LogWriter {
 public:
  // Opens (creating if needed) the database, loads the revision counters and the index of current
  // keys.
  static Result<std::unique_ptr<LogWriter>> open(const SqliteOptions& options,
                                                 Revisions& revisions);
  // Commits what is queued, then stops.
  ~LogWriter();
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  // Starts the writer thread. on_wal_pages is called (on the writer thread, so it must be quick)
  // after a commit that leaves at least checkpoint_pages pages in the WAL.
  void start(WatchHub* hub, std::function<void()> on_wal_full);

  Result<uint64_t> create(std::string_view key, std::string value);
  Result<KeyValue> update(std::string_view key, std::string value, uint64_t expected_mod_revision);
  Result<RemoveResult> remove(std::string_view key, std::optional<uint64_t> expected_mod_revision);
  // Deletes the history in (compacted, revision] in one transaction: superseded rows and
  // tombstones.
  Result<void> compact_step(uint64_t revision);

 private:
  enum class Kind { kCreate, kUpdate, kDelete, kCompact };
  struct Op;
  struct Entry {
    uint64_t mod_revision = 0;
    uint64_t create_revision = 0;
    bool deleted = false;
  };
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  LogWriter(Connection conn, Revisions& revisions, const SqliteOptions& options);
  Result<void> prepare();
  Result<void> load_index();
  void submit(Op& op);
  void run();
  void commit_group(std::span<Op*> ops);
  // Applies one write inside the open transaction. A failed precondition fails only the op; an
  // Error return means the transaction itself is broken.
  Result<void> apply(Op& op, uint64_t& revision, EventList& events);
  Result<std::string> read_value(uint64_t revision);
  Result<void> run_compaction(uint64_t revision);
  void set_entry(std::string_view key, Entry entry);
  void undo_batch();
  static int wal_hook(void* self, sqlite3* db, const char* name, int pages);

  Connection conn_;
  Revisions& revisions_;
  const int checkpoint_pages_;
  const size_t max_batch_;
  const std::function<Result<void>(size_t)> before_commit_for_test_;
  Statement begin_, commit_, rollback_, insert_, read_value_, tombstones_, compact_, set_meta_;

  // Writer thread only (and open() before it starts).
  std::unordered_map<std::string, Entry, KeyHash, std::equal_to<>> index_;
  std::vector<std::pair<std::string, std::optional<Entry>>>
      undo_;  // index changes of the open transaction
  WatchHub* hub_ = nullptr;
  std::function<void()> on_wal_full_;
  int wal_pages_at_request_ = 0;  // the WAL's size when a checkpoint was last asked for

  std::mutex mu_;  // guards queue_ and stopping_
  std::condition_variable cv_;
  std::deque<Op*> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bosun::store::sqlite
