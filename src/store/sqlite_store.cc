// The SQLite Store: reads on a pool of WAL reader connections (they never queue behind the writer),
// writes through the single group-committing LogWriter, watches fanned out by a WatchHub fed by
// that writer, and a maintenance thread that checkpoints the WAL and compacts periodically.
#include "store/sqlite_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.h"
#include "store/continue_token.h"
#include "store/sqlite_db.h"
#include "store/sqlite_log_writer.h"
#include "store/watch_hub.h"

namespace bosun::store {
namespace {

using sqlite::Connection;
using sqlite::ResetOnExit;
using sqlite::Statement;

// The wait between looks at an injected clock: a FakeClock cannot wake a sleeper we could also
// stop, so the maintenance thread polls it.
constexpr std::chrono::milliseconds kClockPoll{100};

Error gone(std::string_view message) { return make_error(ErrorCode::kGone, std::string(message)); }

Error not_found(std::string_view key) {
  return make_error(ErrorCode::kNotFound, "key not found: " + std::string(key));
}

// Kubernetes' storage.NewTooLargeResourceVersionError: a 504 whose cause tells clients to retry
// later.
Error too_large_revision(uint64_t requested, uint64_t current) {
  Error error =
      make_error(ErrorCode::kTimeout, "Too large resource version: " + std::to_string(requested) +
                                          ", current: " + std::to_string(current));
  error.causes.push_back(Cause{"ResourceVersionTooLarge", "Too large resource version", ""});
  return error;
}

// One WAL reader connection with its prepared statements. Used by one thread at a time (see
// ReaderPool).
struct Reader {
  Connection conn;
  Statement begin, end, get, list, count, replay;
};

// Idle reader connections, handed out one per read and returned afterwards; it grows to the number
// of concurrent readers. Thread-safe.
class ReaderPool {
 public:
  explicit ReaderPool(std::string path) : path_(std::move(path)) {}

  class Lease {
   public:
    Lease(ReaderPool* pool, std::unique_ptr<Reader> reader)
        : pool_(pool), reader_(std::move(reader)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (reader_) pool_->release(std::move(reader_));
    }
    Reader* operator->() { return reader_.get(); }

   private:
    ReaderPool* pool_;
    std::unique_ptr<Reader> reader_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Reader> reader = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(reader));
      }
    }
    BOSUN_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, open_reader());
    return Lease(this, std::move(reader));
  }

 private:
  Result<std::unique_ptr<Reader>> open_reader() {
    auto reader = std::make_unique<Reader>();
    BOSUN_ASSIGN_OR_RETURN(reader->conn, Connection::open(path_, SQLITE_OPEN_READWRITE));
    BOSUN_RETURN_IF_ERROR(reader->conn.exec("PRAGMA busy_timeout=10000; PRAGMA query_only=1"));
    Connection& c = reader->conn;
    BOSUN_ASSIGN_OR_RETURN(reader->begin, c.prepare("BEGIN"));
    BOSUN_ASSIGN_OR_RETURN(reader->end, c.prepare("COMMIT"));
    // A key's newest row; prev_revision orders a key's rows as id does (see kSchema).
    BOSUN_ASSIGN_OR_RETURN(reader->get,
                           c.prepare("SELECT id, create_revision, deleted, value FROM kine "
                                     "WHERE name = ?1 ORDER BY prev_revision DESC LIMIT 1"));
    // The newest row of each key at or before the revision (SQLite takes bare columns from the
    // max() row), streamed in key order so a limited page stops early.
    BOSUN_ASSIGN_OR_RETURN(
        reader->list, c.prepare("SELECT name, MAX(id), create_revision, deleted, value FROM kine "
                                "WHERE name >= ?1 AND name < ?2 AND id <= ?3 GROUP BY name"));
    BOSUN_ASSIGN_OR_RETURN(
        reader->count,
        c.prepare("SELECT COUNT(*) FROM (SELECT MAX(id), deleted FROM kine "
                  "WHERE name >= ?1 AND name < ?2 AND id <= ?3 GROUP BY name) WHERE deleted = 0"));
    BOSUN_ASSIGN_OR_RETURN(
        reader->replay,
        c.prepare("SELECT id, name, created, deleted, create_revision, prev_revision, value, "
                  "old_value FROM kine WHERE id > ?1 AND id <= ?2 AND name >= ?3 AND name < ?4 "
                  "ORDER BY id"));
    return reader;
  }

  void release(std::unique_ptr<Reader> reader) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(reader));
  }

  const std::string path_;
  std::mutex mu_;  // guards idle_
  std::vector<std::unique_ptr<Reader>> idle_;
};

// A read transaction: one snapshot for every statement run inside it. Ends (COMMIT of nothing) on
// scope exit.
class ReadTransaction {
 public:
  explicit ReadTransaction(Reader& reader) : reader_(reader) {}
  ~ReadTransaction() {
    if (!open_) return;
    int rc = reader_.end.step();
    reader_.end.reset();
    // A connection left inside a transaction would fail every later BEGIN; pooled connections must
    // come back clean.
    if (rc != SQLITE_DONE && reader_.conn.in_transaction()) (void)reader_.conn.exec("ROLLBACK");
  }
  Result<void> begin() {
    int rc = reader_.begin.step();
    reader_.begin.reset();
    if (rc != SQLITE_DONE) return reader_.conn.error("begin read");
    open_ = true;
    return ok_result();
  }

 private:
  Reader& reader_;
  bool open_ = false;
};

class SqliteStore final : public Store {
 public:
  SqliteStore(const SqliteOptions& options, int lock_fd)
      : options_(options), lock_fd_(lock_fd), readers_(options.path) {}

  ~SqliteStore() override {
    {
      std::lock_guard lock(maintenance_mu_);
      stopping_ = true;
    }
    maintenance_cv_.notify_all();
    if (maintenance_.joinable()) maintenance_.join();
    writer_.reset();  // answers every queued write; its commits still reach the hub
    hub_.reset();     // delivers them, then ends the remaining watches
    checkpointer_ = Connection();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  Result<void> start() {
    BOSUN_ASSIGN_OR_RETURN(writer_, sqlite::LogWriter::open(options_, revisions_));
    BOSUN_ASSIGN_OR_RETURN(checkpointer_, Connection::open(options_.path, SQLITE_OPEN_READWRITE));
    BOSUN_RETURN_IF_ERROR(checkpointer_.exec("PRAGMA busy_timeout=10000"));
    hub_ =
        std::make_unique<WatchHub>(revisions_.committed.load(), options_.watch_ring_events,
                                   [this](std::string_view prefix, uint64_t after, uint64_t upto) {
                                     return replay(prefix, after, upto);
                                   });
    writer_->start(hub_.get(), [this] { request_checkpoint(); });
    maintenance_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "store-maintain");
      maintain();
    });
    return ok_result();
  }

  Result<KeyValue> get(std::string_view key) override {
    BOSUN_RETURN_IF_ERROR(validate_key(key));
    BOSUN_ASSIGN_OR_RETURN(ReaderPool::Lease reader, readers_.acquire());
    Statement& stmt = reader->get;
    ResetOnExit reset(stmt);
    stmt.bind_text(1, key);
    int rc = stmt.step();
    if (rc == SQLITE_DONE) return not_found(key);
    if (rc != SQLITE_ROW) return reader->conn.error("get");
    if (stmt.column_int(2) != 0) return not_found(key);
    return KeyValue{std::string(key), stmt.column_string(3),
                    static_cast<uint64_t>(stmt.column_int(1)),
                    static_cast<uint64_t>(stmt.column_int(0))};
  }

  Result<ListResult> list(std::string_view prefix_arg, const ListOptions& options) override {
    std::string prefix = directory_prefix(prefix_arg);
    BOSUN_RETURN_IF_ERROR(validate_key(prefix));
    std::string end = prefix_range_end(prefix);
    std::string start = prefix;
    uint64_t revision = options.revision;
    bool continuing = !options.continue_token.empty();
    if (continuing) {
      if (options.revision != 0) {
        return make_error(ErrorCode::kBadRequest,
                          "specifying resource version is not allowed when using continue");
      }
      BOSUN_ASSIGN_OR_RETURN(ContinuePosition position,
                             decode_continue_token(options.continue_token, prefix));
      start = std::move(position.start_key);
      // rv -1 is the "inconsistent" continuation Kubernetes offers after a 410: carry on at the
      // newest revision.
      revision = position.revision > 0 ? static_cast<uint64_t>(position.revision) : 0;
    }
    // Read before the snapshot starts, so the snapshot holds at least this revision.
    uint64_t committed = revisions_.committed.load();
    if (revision == 0) {
      revision = committed;
    } else if (revision > committed) {
      return too_large_revision(revision, committed);
    }

    BOSUN_ASSIGN_OR_RETURN(ReaderPool::Lease reader, readers_.acquire());
    ReadTransaction txn(*reader.operator->());
    BOSUN_RETURN_IF_ERROR(txn.begin());
    ListResult result;
    result.revision = revision;
    const size_t limit = options.limit > 0 ? static_cast<size_t>(options.limit) : 0;
    bool more = false;
    {
      Statement& stmt = reader->list;
      ResetOnExit reset(stmt);
      stmt.bind_text(1, start);
      stmt.bind_text(2, end);
      stmt.bind_int(3, static_cast<int64_t>(revision));
      int rc;
      while ((rc = stmt.step()) == SQLITE_ROW) {
        if (stmt.column_int(3) != 0) continue;  // deleted at this revision
        if (limit > 0 && result.items.size() == limit) {
          more = true;
          break;
        }
        result.items.push_back(KeyValue{stmt.column_string(0), stmt.column_string(4),
                                        static_cast<uint64_t>(stmt.column_int(2)),
                                        static_cast<uint64_t>(stmt.column_int(1))});
      }
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return reader->conn.error("list");
    }
    // After the snapshot began: a compaction that removed rows it needs has raised the target by
    // now.
    if (revision < revisions_.compact_target.load()) {
      return gone(continuing ? kContinueExpiredMessage : kListExpiredMessage);
    }
    if (more) {
      Statement& stmt = reader->count;
      ResetOnExit reset(stmt);
      stmt.bind_text(1, start);
      stmt.bind_text(2, end);
      stmt.bind_int(3, static_cast<int64_t>(revision));
      if (stmt.step() != SQLITE_ROW) return reader->conn.error("count");
      result.remaining_count = stmt.column_int(0) - static_cast<int64_t>(result.items.size());
      // Resume just after the last key returned, as Kubernetes' etcd3 store does.
      BOSUN_ASSIGN_OR_RETURN(result.continue_token,
                             encode_continue_token(result.items.back().key + '\0', prefix,
                                                   static_cast<int64_t>(revision)));
    }
    return result;
  }

  Result<uint64_t> create(std::string_view key, std::string value) override {
    BOSUN_RETURN_IF_ERROR(validate_key(key));
    return writer_->create(key, std::move(value));
  }

  Result<KeyValue> update(std::string_view key, std::string value,
                          uint64_t expected_mod_revision) override {
    BOSUN_RETURN_IF_ERROR(validate_key(key));
    return writer_->update(key, std::move(value), expected_mod_revision);
  }

  Result<RemoveResult> remove(std::string_view key,
                              std::optional<uint64_t> expected_mod_revision) override {
    BOSUN_RETURN_IF_ERROR(validate_key(key));
    return writer_->remove(key, expected_mod_revision);
  }

  Result<std::unique_ptr<Watch>> watch(std::string_view prefix_arg, uint64_t from_revision,
                                       WatchCallback callback) override {
    std::string prefix = directory_prefix(prefix_arg);
    BOSUN_RETURN_IF_ERROR(validate_key(prefix));
    if (!callback) return make_error(ErrorCode::kBadRequest, "watch: no callback");
    if (from_revision != 0 && from_revision < revisions_.compact_target.load()) {
      return gone(kWatchExpiredMessage);
    }
    // "From now" is after the newest committed revision, even one the hub has not been handed yet,
    // so a client that lists and then watches from 0 sees nothing twice.
    if (from_revision == 0) from_revision = revisions_.committed.load();
    return hub_->watch(std::move(prefix), from_revision, std::move(callback));
  }

  void after_delivered(Watch& watch, uint64_t revision, std::function<void()> fn) override {
    hub_->after_delivered(watch, revision, std::move(fn));
  }
  uint64_t current_revision() override { return revisions_.committed.load(); }
  uint64_t compacted_revision() override { return revisions_.compacted.load(); }

  Result<void> compact(uint64_t revision) override {
    std::lock_guard lock(compact_mu_);
    uint64_t committed = revisions_.committed.load();
    if (revision > committed) {
      return make_error(ErrorCode::kBadRequest, "compact: revision " + std::to_string(revision) +
                                                    " is in the future; current revision is " +
                                                    std::to_string(committed));
    }
    const uint64_t batch = std::max<uint64_t>(options_.compaction_batch, 1);
    // One transaction per batch of revisions: writes queued meanwhile go in between, so none waits
    // long.
    while (revisions_.compacted.load() < revision) {
      uint64_t step = std::min(revision, revisions_.compacted.load() + batch);
      BOSUN_RETURN_IF_ERROR(writer_->compact_step(step));
    }
    request_checkpoint();
    return ok_result();
  }

 private:
  // The log rows under `prefix` in (after, upto], as events; for the WatchHub.
  Result<EventList> replay(std::string_view prefix, uint64_t after, uint64_t upto) {
    std::string end = prefix_range_end(prefix);
    BOSUN_ASSIGN_OR_RETURN(ReaderPool::Lease reader, readers_.acquire());
    ReadTransaction txn(*reader.operator->());
    BOSUN_RETURN_IF_ERROR(txn.begin());
    EventList events;
    Statement& stmt = reader->replay;
    ResetOnExit reset(stmt);
    stmt.bind_int(1, static_cast<int64_t>(after));
    stmt.bind_int(2, static_cast<int64_t>(upto));
    stmt.bind_text(3, prefix);
    stmt.bind_text(4, end);
    int rc;
    while ((rc = stmt.step()) == SQLITE_ROW) {
      Event event;
      event.revision = static_cast<uint64_t>(stmt.column_int(0));
      event.key = stmt.column_string(1);
      bool created = stmt.column_int(2) != 0;
      bool deleted = stmt.column_int(3) != 0;
      event.type = deleted   ? EventType::kDeleted
                   : created ? EventType::kAdded
                             : EventType::kModified;
      event.create_revision = static_cast<uint64_t>(stmt.column_int(4));
      event.prev_revision = static_cast<uint64_t>(stmt.column_int(5));
      if (!deleted) event.value = stmt.column_string(6);
      if (!created) event.prev_value = stmt.column_string(7);
      events.push_back(std::make_shared<const Event>(std::move(event)));
    }
    if (rc != SQLITE_DONE) return reader->conn.error("replay");
    if (after < revisions_.compact_target.load()) return gone(kWatchExpiredMessage);
    return events;
  }

  void request_checkpoint() {
    if (checkpoint_requested_.exchange(true)) return;
    {
      std::lock_guard lock(maintenance_mu_);
    }  // a waiter is either past its check or asleep: never both
    maintenance_cv_.notify_all();
  }

  void checkpoint() {
    int log_pages = 0;
    int done_pages = 0;
    // PASSIVE copies what it can without waiting for readers or blocking the writer.
    int rc = sqlite3_wal_checkpoint_v2(checkpointer_.get(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                       &log_pages, &done_pages);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      SPDLOG_WARN("sqlite store: checkpoint: {}", sqlite3_errmsg(checkpointer_.get()));
    }
  }

  void compact_periodically() {
    uint64_t committed = revisions_.committed.load();
    if (committed <= options_.compaction_keep) return;
    uint64_t target = committed - options_.compaction_keep;
    if (target <= revisions_.compacted.load()) return;
    if (auto r = compact(target); !r.ok()) {
      SPDLOG_ERROR("sqlite store: compaction to {} failed: {}", target, r.error().message);
    }
  }

  void maintain() {
    Clock& clock = *options_.clock;
    const bool periodic = options_.compaction_interval.count() > 0;
    Clock::MonoTime next_compaction = clock.monotonic() + options_.compaction_interval;
    std::unique_lock lock(maintenance_mu_);
    while (!stopping_) {
      if (checkpoint_requested_.exchange(false)) {
        lock.unlock();
        checkpoint();
        lock.lock();
        continue;
      }
      if (periodic && clock.monotonic() >= next_compaction) {
        lock.unlock();
        compact_periodically();
        lock.lock();
        next_compaction = clock.monotonic() + options_.compaction_interval;
        continue;
      }
      maintenance_cv_.wait_for(lock, kClockPoll);
    }
  }

  const SqliteOptions options_;
  const int lock_fd_;
  sqlite::Revisions revisions_;
  ReaderPool readers_;
  std::unique_ptr<sqlite::LogWriter> writer_;
  std::unique_ptr<WatchHub> hub_;
  std::mutex compact_mu_;    // one compaction at a time
  Connection checkpointer_;  // maintenance thread only

  std::atomic<bool> checkpoint_requested_{false};
  std::mutex maintenance_mu_;  // guards stopping_
  std::condition_variable maintenance_cv_;
  bool stopping_ = false;
  std::thread maintenance_;
};

// SQLite's allocation statistics take a process-wide mutex on every malloc; with many reader
// connections that mutex is the bottleneck. It can only be switched off before SQLite initialises;
// if something else initialised it first, the call fails harmlessly.
void configure_sqlite_once() {
  static const bool configured = [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    return true;
  }();
  (void)configured;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::open_sqlite(const SqliteOptions& options) {
  if (options.path.empty())
    return make_error(ErrorCode::kBadRequest, "sqlite store: no database path");
  if (options.clock == nullptr) return make_error(ErrorCode::kBadRequest, "sqlite store: no clock");
  configure_sqlite_once();
  std::string lock_path = options.path + ".lock";
  int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kInternal,
                      "sqlite store: open " + lock_path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(fd);
    return make_error(ErrorCode::kInternal, "sqlite store: " + options.path +
                                                " is in use by another store (" +
                                                std::strerror(err) + ")");
  }
  auto store = std::make_unique<SqliteStore>(options, fd);
  BOSUN_RETURN_IF_ERROR(store->start());
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace bosun::store
