// Thin RAII wrappers over the SQLite C API for the SQLite store: a connection and its prepared
// statements, with SQLite failures turned into Error values. Not thread-safe: a Connection and its
// Statements belong to one thread at a time (connections are opened with SQLITE_OPEN_NOMUTEX).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::store::sqlite {

// A prepared statement. Text and blob parameters are bound without copying: the bound bytes must
// stay alive until reset() (the store binds request fields that outlive the statement's use).
class Statement {
 public:
  Statement() = default;
  explicit Statement(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& other) noexcept : stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind_int(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }
  void bind_text(int index, std::string_view text) {
    sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
  }
  // A zero-length blob is stored as an empty blob, not NULL: values are opaque bytes and "" is a
  // value.
  void bind_blob(int index, std::string_view bytes) {
    sqlite3_bind_blob(stmt_, index, bytes.empty() ? "" : bytes.data(),
                      static_cast<int>(bytes.size()), SQLITE_STATIC);
  }
  void bind_null(int index) { sqlite3_bind_null(stmt_, index); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  // Clears bindings too, so no pointer into a finished request survives.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

  int64_t column_int(int column) const { return sqlite3_column_int64(stmt_, column); }
  std::string_view column_view(int column) const;
  std::string column_string(int column) const { return std::string(column_view(column)); }

  sqlite3_stmt* get() const { return stmt_; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

// Resets a statement when the scope ends, whatever path the scope leaves by.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& stmt) : stmt_(stmt) {}
  ~ResetOnExit() { stmt_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& stmt_;
};

class Connection {
 public:
  Connection() = default;
  ~Connection() { sqlite3_close_v2(db_); }
  Connection(Connection&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Connection& operator=(Connection&& other) noexcept;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // flags: SQLITE_OPEN_* (NOMUTEX is always added).
  static Result<Connection> open(const std::string& path, int flags);

  // Runs one or more statements that return no rows the caller needs (pragmas, schema,
  // BEGIN/COMMIT).
  Result<void> exec(const char* sql);
  // Prepared once and kept for the life of the connection (SQLITE_PREPARE_PERSISTENT).
  Result<Statement> prepare(std::string_view sql);
  // Runs a statement that yields one integer (a pragma or an aggregate); NULL reads as 0.
  Result<int64_t> query_int(const char* sql);

  // An Internal error carrying what failed and SQLite's own message for the connection's last
  // error.
  Error error(std::string_view what) const;
  bool in_transaction() const { return db_ != nullptr && sqlite3_get_autocommit(db_) == 0; }
  sqlite3* get() const { return db_; }

 private:
  sqlite3* db_ = nullptr;
};

// True for the extended codes of a UNIQUE/PRIMARY KEY violation: our compare-and-swap safety net
// fired.
inline bool is_unique_violation(int code) {
  return code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
}

}  // namespace bosun::store::sqlite
