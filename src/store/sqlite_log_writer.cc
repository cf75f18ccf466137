#include "store/sqlite_log_writer.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "common/check.h"
#include "common/log.h"

namespace bosun::store::sqlite {
namespace {

// etcd's default --max-request-bytes: Kubernetes objects never come near it, and a store that
// accepted larger values would break the day the cluster moves to etcd.
constexpr size_t kMaxValueBytes = 1536 * 1024;

Error not_found(std::string_view key) {
  return make_error(ErrorCode::kNotFound, "key not found: " + std::string(key));
}

// A one-shot completion a writing thread sleeps on until the writer answers. Not
// std::binary_semaphore: libstdc++'s acquire() spins through sched_yield before it sleeps, about
// 35,000 extra system calls and context switches per 10,000 scheduled pods (scheduler_perf) on a
// machine whose few cores the writer itself needs.
class Completion {
 public:
  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return done_; });
  }
  // Notifies under the lock: the waiter owns this object and may destroy it as soon as it sees
  // done_, which it cannot before the lock is released.
  void signal() {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_one();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

}  // namespace

struct LogWriter::Op {
  Kind kind = Kind::kCreate;
  std::string_view key;
  std::string value;
  std::optional<uint64_t> expected;
  uint64_t compact_to = 0;
  // Results, written by the writer thread before `done` is released.
  std::optional<Error> error;
  KeyValue kv;  // create/update: the new value; delete: the removed one
  uint64_t revision = 0;
  Completion done;
};

LogWriter::LogWriter(Connection conn, Revisions& revisions, const SqliteOptions& options)
    : conn_(std::move(conn)),
      revisions_(revisions),
      checkpoint_pages_(options.checkpoint_pages),
      max_batch_(std::max<size_t>(options.max_write_batch, 1)),
      before_commit_for_test_(options.before_commit_for_test) {}

Result<std::unique_ptr<LogWriter>> LogWriter::open(const SqliteOptions& options,
                                                   Revisions& revisions) {
  BOSUN_ASSIGN_OR_RETURN(
      Connection conn, Connection::open(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
  BOSUN_RETURN_IF_ERROR(conn.exec("PRAGMA busy_timeout=10000"));
  BOSUN_RETURN_IF_ERROR(conn.exec("PRAGMA journal_mode=WAL"));
  {
    BOSUN_ASSIGN_OR_RETURN(Statement mode, conn.prepare("PRAGMA journal_mode"));
    if (mode.step() != SQLITE_ROW || mode.column_view(0) != "wal") {
      return make_error(ErrorCode::kInternal,
                        "sqlite: " + options.path + ": cannot switch to WAL mode");
    }
  }
  // FULL: in WAL mode each commit fsyncs the WAL, so an acknowledged write survives power loss
  // (NORMAL would only sync at checkpoints).
  BOSUN_RETURN_IF_ERROR(
      conn.exec(options.durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=OFF"));
  BOSUN_RETURN_IF_ERROR(conn.exec("PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY"));
  if (options.max_database_bytes > 0) {
    BOSUN_ASSIGN_OR_RETURN(int64_t page_size, conn.query_int("PRAGMA page_size"));
    uint64_t pages =
        std::max<uint64_t>(options.max_database_bytes / static_cast<uint64_t>(page_size), 1);
    BOSUN_RETURN_IF_ERROR(conn.exec(("PRAGMA max_page_count=" + std::to_string(pages)).c_str()));
  }
  BOSUN_RETURN_IF_ERROR(conn.exec("BEGIN IMMEDIATE"));
  if (auto r = conn.exec(kSchema); !r.ok()) {
    (void)conn.exec("ROLLBACK");
    return r.error();
  }
  BOSUN_RETURN_IF_ERROR(conn.exec("COMMIT"));

  BOSUN_ASSIGN_OR_RETURN(int64_t max_id, conn.query_int("SELECT MAX(id) FROM kine"));
  BOSUN_ASSIGN_OR_RETURN(
      int64_t floor, conn.query_int("SELECT value FROM bosun_meta WHERE name = 'revision_floor'"));
  BOSUN_ASSIGN_OR_RETURN(
      int64_t compacted,
      conn.query_int("SELECT value FROM bosun_meta WHERE name = 'compact_revision'"));
  // Compaction may have deleted the newest rows (tombstones); the floor it recorded keeps revisions
  // from ever going backwards across a restart.
  revisions.committed.store(static_cast<uint64_t>(std::max({max_id, floor, int64_t{1}})));
  revisions.compacted.store(static_cast<uint64_t>(compacted));
  revisions.compact_target.store(static_cast<uint64_t>(compacted));

  std::unique_ptr<LogWriter> writer(new LogWriter(std::move(conn), revisions, options));
  BOSUN_RETURN_IF_ERROR(writer->prepare());
  BOSUN_RETURN_IF_ERROR(writer->load_index());
  return writer;
}

Result<void> LogWriter::prepare() {
  BOSUN_ASSIGN_OR_RETURN(begin_, conn_.prepare("BEGIN IMMEDIATE"));
  BOSUN_ASSIGN_OR_RETURN(commit_, conn_.prepare("COMMIT"));
  BOSUN_ASSIGN_OR_RETURN(rollback_, conn_.prepare("ROLLBACK"));
  BOSUN_ASSIGN_OR_RETURN(
      insert_,
      conn_.prepare(
          "INSERT INTO kine (id, name, created, deleted, create_revision, prev_revision, value, "
          "old_value) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  BOSUN_ASSIGN_OR_RETURN(read_value_, conn_.prepare("SELECT value FROM kine WHERE id = ?1"));
  BOSUN_ASSIGN_OR_RETURN(
      tombstones_,
      conn_.prepare("SELECT name, id FROM kine WHERE id > ?1 AND id <= ?2 AND deleted != 0"));
  // kine's compaction: a row goes once a newer row of its key at or before the target supersedes
  // it, and a tombstone goes once it is at or before the target. Scanning only (from, to] is enough
  // because every earlier range was compacted before.
  BOSUN_ASSIGN_OR_RETURN(
      compact_, conn_.prepare("DELETE FROM kine WHERE id IN ("
                              "SELECT prev_revision FROM kine WHERE id > ?1 AND id <= ?2 AND "
                              "prev_revision != 0 UNION "
                              "SELECT id FROM kine WHERE id > ?1 AND id <= ?2 AND deleted != 0)"));
  BOSUN_ASSIGN_OR_RETURN(set_meta_,
                         conn_.prepare("UPDATE bosun_meta SET value = ?2 WHERE name = ?1"));
  return ok_result();
}

Result<void> LogWriter::load_index() {
  // SQLite takes the bare columns of a single-max() aggregate from the row holding the max: the
  // newest row.
  BOSUN_ASSIGN_OR_RETURN(
      Statement stmt,
      conn_.prepare("SELECT name, MAX(id), create_revision, deleted FROM kine GROUP BY name"));
  int rc;
  while ((rc = stmt.step()) == SQLITE_ROW) {
    index_.emplace(stmt.column_string(0),
                   Entry{static_cast<uint64_t>(stmt.column_int(1)),
                         static_cast<uint64_t>(stmt.column_int(2)), stmt.column_int(3) != 0});
  }
  if (rc != SQLITE_DONE) return conn_.error("load index");
  return ok_result();
}

void LogWriter::start(WatchHub* hub, std::function<void()> on_wal_full) {
  hub_ = hub;
  on_wal_full_ = std::move(on_wal_full);
  // Our hook replaces SQLite's automatic checkpoint, which would run (and fsync the database file)
  // on this thread in the middle of a commit; the store checkpoints on its maintenance thread
  // instead.
  sqlite3_wal_hook(conn_.get(), &LogWriter::wal_hook, this);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "store-writer");
    run();
  });
}

int LogWriter::wal_hook(void* self, sqlite3*, const char*, int pages) {
  auto* writer = static_cast<LogWriter*>(self);
  if (pages < writer->checkpoint_pages_ || !writer->on_wal_full_) return SQLITE_OK;
  // Under a steady stream of writes a PASSIVE checkpoint rarely catches up with the last commit,
  // so SQLite cannot restart the WAL and it stays past the threshold: asking after every commit
  // woke the maintenance thread for each one (~6,000 checkpoints per 10,000 scheduled pods, each
  // preempting this thread). Ask again once the WAL has grown by a quarter of the threshold, or
  // when it restarted from the beginning.
  const int step = std::max(writer->checkpoint_pages_ / 4, 1);
  if (pages < writer->wal_pages_at_request_ || pages >= writer->wal_pages_at_request_ + step) {
    writer->wal_pages_at_request_ = pages;
    writer->on_wal_full_();
  }
  return SQLITE_OK;
}

LogWriter::~LogWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LogWriter::submit(Op& op) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) {
      op.error = make_error(ErrorCode::kServiceUnavailable, "the store is closing");
      return;
    }
    queue_.push_back(&op);
  }
  cv_.notify_one();
  op.done.wait();
}

Result<uint64_t> LogWriter::create(std::string_view key, std::string value) {
  if (value.size() > kMaxValueBytes)
    return make_error(ErrorCode::kRequestEntityTooLarge, "request is too large");
  Op op;
  op.kind = Kind::kCreate;
  op.key = key;
  op.value = std::move(value);
  submit(op);
  if (op.error) return std::move(*op.error);
  return op.revision;
}

Result<KeyValue> LogWriter::update(std::string_view key, std::string value,
                                   uint64_t expected_mod_revision) {
  if (value.size() > kMaxValueBytes)
    return make_error(ErrorCode::kRequestEntityTooLarge, "request is too large");
  Op op;
  op.kind = Kind::kUpdate;
  op.key = key;
  op.value = std::move(value);
  op.expected = expected_mod_revision;
  submit(op);
  if (op.error) return std::move(*op.error);
  return std::move(op.kv);
}

Result<RemoveResult> LogWriter::remove(std::string_view key,
                                       std::optional<uint64_t> expected_mod_revision) {
  Op op;
  op.kind = Kind::kDelete;
  op.key = key;
  op.expected = expected_mod_revision;
  submit(op);
  if (op.error) return std::move(*op.error);
  return RemoveResult{std::move(op.kv), op.revision};
}

Result<void> LogWriter::compact_step(uint64_t revision) {
  Op op;
  op.kind = Kind::kCompact;
  op.compact_to = revision;
  submit(op);
  if (op.error) return std::move(*op.error);
  return ok_result();
}

void LogWriter::run() {
  std::vector<Op*> ops;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) return;  // stopping, and every queued write has been answered
      size_t n = std::min(queue_.size(), max_batch_);
      ops.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    // Compactions run alone, in queue order; the writes between them share one transaction each.
    size_t i = 0;
    while (i < ops.size()) {
      if (ops[i]->kind == Kind::kCompact) {
        if (auto r = run_compaction(ops[i]->compact_to); !r.ok())
          ops[i]->error = std::move(r).error();
        ++i;
        continue;
      }
      size_t j = i;
      while (j < ops.size() && ops[j]->kind != Kind::kCompact) ++j;
      commit_group(std::span<Op*>(ops.data() + i, j - i));
      i = j;
    }
    for (Op* op : ops) op->done.signal();
    ops.clear();
  }
}

void LogWriter::commit_group(std::span<Op*> ops) {
  auto fail_all = [&](const Error& error) {
    for (Op* op : ops) op->error = error;
  };
  if (begin_.step() != SQLITE_DONE) {
    fail_all(conn_.error("begin"));
    begin_.reset();
    return;
  }
  begin_.reset();
  uint64_t revision = revisions_.committed.load();
  EventList events;
  undo_.clear();
  for (Op* op : ops) {
    if (auto r = apply(*op, revision, events); !r.ok()) {
      // The transaction is unusable (I/O error, disk full, ...): none of this batch may be
      // acknowledged.
      if (conn_.in_transaction()) {
        rollback_.step();
        rollback_.reset();
      }
      undo_batch();
      fail_all(r.error());
      return;
    }
  }
  if (before_commit_for_test_) {
    if (auto r = before_commit_for_test_(ops.size()); !r.ok()) {
      rollback_.step();
      rollback_.reset();
      undo_batch();
      fail_all(r.error());
      return;
    }
  }
  int rc = commit_.step();
  commit_.reset();
  if (rc != SQLITE_DONE) {
    Error error = conn_.error("commit");
    if (conn_.in_transaction()) {
      rollback_.step();
      rollback_.reset();
    }
    undo_batch();
    fail_all(error);
    return;
  }
  undo_.clear();
  revisions_.committed.store(revision);
  if (hub_ != nullptr) hub_->publish(std::move(events));
}

void LogWriter::set_entry(std::string_view key, Entry entry) {
  auto it = index_.find(key);
  if (it == index_.end()) {
    undo_.emplace_back(std::string(key), std::nullopt);
    index_.emplace(std::string(key), entry);
  } else {
    undo_.emplace_back(std::string(key), it->second);
    it->second = entry;
  }
}

void LogWriter::undo_batch() {
  for (auto it = undo_.rbegin(); it != undo_.rend(); ++it) {
    if (it->second) {
      index_[it->first] = *it->second;
    } else {
      index_.erase(it->first);
    }
  }
  undo_.clear();
}

Result<std::string> LogWriter::read_value(uint64_t revision) {
  ResetOnExit reset(read_value_);
  read_value_.bind_int(1, static_cast<int64_t>(revision));
  int rc = read_value_.step();
  if (rc == SQLITE_ROW) return read_value_.column_string(0);
  if (rc == SQLITE_DONE) {
    return make_error(ErrorCode::kInternal,
                      "sqlite store: row " + std::to_string(revision) + " is missing");
  }
  return conn_.error("read previous value");
}

Result<void> LogWriter::apply(Op& op, uint64_t& revision, EventList& events) {
  auto it = index_.find(op.key);
  bool live = it != index_.end() && !it->second.deleted;
  uint64_t next = revision + 1;
  Event event;
  event.key = std::string(op.key);
  event.revision = next;
  std::string old_value;
  int64_t created = 0;
  int64_t deleted = 0;

  switch (op.kind) {
    case Kind::kCreate:
      if (live) {
        op.error =
            make_error(ErrorCode::kAlreadyExists, "key already exists: " + std::string(op.key));
        return ok_result();
      }
      event.type = EventType::kAdded;
      event.create_revision = next;
      // A re-creation supersedes the tombstone, as in kine; a never-seen key starts its chain at 0.
      event.prev_revision = it != index_.end() ? it->second.mod_revision : 0;
      created = 1;
      break;
    case Kind::kUpdate:
    case Kind::kDelete: {
      if (!live) {
        op.error = not_found(op.key);
        return ok_result();
      }
      if (op.expected && *op.expected != it->second.mod_revision) {
        op.error = make_error(ErrorCode::kConflict, std::string(kConflictMessage));
        return ok_result();
      }
      BOSUN_ASSIGN_OR_RETURN(old_value, read_value(it->second.mod_revision));
      event.type = op.kind == Kind::kUpdate ? EventType::kModified : EventType::kDeleted;
      event.create_revision = it->second.create_revision;
      event.prev_revision = it->second.mod_revision;
      deleted = op.kind == Kind::kDelete ? 1 : 0;
      break;
    }
    case Kind::kCompact:
      BOSUN_CHECK(false, "compaction in a write batch");
  }

  {
    ResetOnExit reset(insert_);
    insert_.bind_int(1, static_cast<int64_t>(next));
    insert_.bind_text(2, op.key);
    insert_.bind_int(3, created);
    insert_.bind_int(4, deleted);
    insert_.bind_int(5, static_cast<int64_t>(event.create_revision));
    insert_.bind_int(6, static_cast<int64_t>(event.prev_revision));
    if (deleted) {
      insert_.bind_null(7);
    } else {
      insert_.bind_blob(7, op.value);
    }
    if (created) {
      insert_.bind_null(8);
    } else {
      insert_.bind_blob(8, old_value);
    }
    int rc = insert_.step();
    if (rc != SQLITE_DONE) {
      if (is_unique_violation(sqlite3_extended_errcode(conn_.get())) && conn_.in_transaction()) {
        // The UNIQUE(name, prev_revision) safety net: only this write fails, as a lost
        // compare-and-swap.
        SPDLOG_ERROR("sqlite store: {} hit UNIQUE(name, prev_revision); in-memory index was stale",
                     op.key);
        op.error = make_error(ErrorCode::kConflict, std::string(kConflictMessage));
        return ok_result();
      }
      if (sqlite3_errcode(conn_.get()) == SQLITE_FULL) {
        // etcd's wording for a full backend; the whole group fails, as the transaction cannot
        // commit.
        return make_error(ErrorCode::kInternal,
                          "database space exceeded: the store is at max_database_bytes; compact or "
                          "raise the limit");
      }
      return conn_.error("insert " + std::string(op.key));
    }
  }

  revision = next;
  set_entry(op.key, Entry{next, event.create_revision, deleted != 0});
  op.revision = next;
  if (op.kind == Kind::kDelete) {
    op.kv = KeyValue{event.key, old_value, event.create_revision, event.prev_revision};
  } else if (op.kind == Kind::kUpdate) {
    op.kv = KeyValue{event.key, op.value, event.create_revision, next};
  }
  if (op.kind != Kind::kDelete) event.value = std::move(op.value);
  event.prev_value = std::move(old_value);
  events.push_back(std::make_shared<const Event>(std::move(event)));
  return ok_result();
}

Result<void> LogWriter::run_compaction(uint64_t revision) {
  uint64_t from = revisions_.compacted.load();
  if (revision <= from) return ok_result();
  uint64_t committed = revisions_.committed.load();
  if (revision > committed) {
    return make_error(ErrorCode::kBadRequest, "compact: revision " + std::to_string(revision) +
                                                  " is in the future; current revision is " +
                                                  std::to_string(committed));
  }
  // Readers that began before this point may still read the rows; readers that look at
  // compact_target after their snapshot began will refuse revisions we are about to remove.
  uint64_t target = revisions_.compact_target.load();
  while (target < revision && !revisions_.compact_target.compare_exchange_weak(target, revision)) {
  }

  auto fail = [&](Error error) -> Result<void> {
    if (conn_.in_transaction()) {
      rollback_.step();
      rollback_.reset();
    }
    return error;
  };
  if (begin_.step() != SQLITE_DONE) {
    begin_.reset();
    return conn_.error("begin compaction");
  }
  begin_.reset();
  std::vector<std::pair<std::string, uint64_t>> tombstones;
  {
    ResetOnExit reset(tombstones_);
    tombstones_.bind_int(1, static_cast<int64_t>(from));
    tombstones_.bind_int(2, static_cast<int64_t>(revision));
    int rc;
    while ((rc = tombstones_.step()) == SQLITE_ROW) {
      tombstones.emplace_back(tombstones_.column_string(0),
                              static_cast<uint64_t>(tombstones_.column_int(1)));
    }
    if (rc != SQLITE_DONE) return fail(conn_.error("find tombstones"));
  }
  {
    ResetOnExit reset(compact_);
    compact_.bind_int(1, static_cast<int64_t>(from));
    compact_.bind_int(2, static_cast<int64_t>(revision));
    if (compact_.step() != SQLITE_DONE) return fail(conn_.error("compact"));
  }
  for (auto [name, value] : {std::pair<const char*, uint64_t>{"compact_revision", revision},
                             std::pair<const char*, uint64_t>{"revision_floor", committed}}) {
    ResetOnExit reset(set_meta_);
    set_meta_.bind_text(1, name);
    set_meta_.bind_int(2, static_cast<int64_t>(value));
    if (set_meta_.step() != SQLITE_DONE) return fail(conn_.error("record compaction"));
  }
  int rc = commit_.step();
  commit_.reset();
  if (rc != SQLITE_DONE) return fail(conn_.error("commit compaction"));
  revisions_.compacted.store(revision);
  // A key whose tombstone is gone is forgotten: its next creation starts a fresh chain at
  // prev_revision 0.
  for (const auto& [name, id] : tombstones) {
    auto it = index_.find(name);
    if (it != index_.end() && it->second.deleted && it->second.mod_revision == id) index_.erase(it);
  }
  return ok_result();
}

}  // namespace bosun::store::sqlite
