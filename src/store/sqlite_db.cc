#include "store/sqlite_db.h"

#include <utility>

namespace bosun::store::sqlite {

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

std::string_view Statement::column_view(int column) const {
  // sqlite3_column_blob before sqlite3_column_bytes: the documented order that avoids a type
  // conversion.
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) return {};
  return std::string_view(static_cast<const char*>(data), static_cast<size_t>(size));
}

Connection& Connection::operator=(Connection&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(db_);
    db_ = std::exchange(other.db_, nullptr);
  }
  return *this;
}

Result<Connection> Connection::open(const std::string& path, int flags) {
  Connection conn;
  int rc = sqlite3_open_v2(path.c_str(), &conn.db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "open " + path + ": ";
    message += conn.db_ != nullptr ? sqlite3_errmsg(conn.db_) : sqlite3_errstr(rc);
    return make_error(ErrorCode::kInternal, std::move(message));
  }
  sqlite3_extended_result_codes(conn.db_, 1);
  return conn;
}

Result<void> Connection::exec(const char* sql) {
  char* message = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string text =
        std::string("sqlite: ") + sql + ": " + (message != nullptr ? message : sqlite3_errstr(rc));
    sqlite3_free(message);
    return make_error(ErrorCode::kInternal, std::move(text));
  }
  return ok_result();
}

Result<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) return error("prepare " + std::string(sql));
  return Statement(stmt);
}

Result<int64_t> Connection::query_int(const char* sql) {
  BOSUN_ASSIGN_OR_RETURN(Statement stmt, prepare(sql));
  int rc = stmt.step();
  if (rc == SQLITE_ROW) return stmt.column_int(0);
  if (rc == SQLITE_DONE) return int64_t{0};
  return error(sql);
}

Error Connection::error(std::string_view what) const {
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  message += db_ != nullptr ? sqlite3_errmsg(db_) : "no connection";
  return make_error(ErrorCode::kInternal, std::move(message));
}

}  // namespace bosun::store::sqlite
