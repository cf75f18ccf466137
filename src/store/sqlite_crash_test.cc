// Crash test of the SQLite store: a child process (this binary re-executed with one test selected)
// writes as fast as it can from several threads and reports every acknowledged write through a
// pipe; the parent SIGKILLs it at a random moment, reopens the database and checks that every
// acknowledged write is there with its revision, that the log has no holes, and that the store
// carries on. Several rounds on the same file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store/event_queue.h"
#include "store/sqlite_store.h"
#include "store/store.h"

extern char** environ;

namespace bosun::store {
namespace {

namespace fs = std::filesystem;

constexpr const char* kChildDbEnv = "BOSUN_STORE_CRASH_CHILD_DB";
constexpr const char* kChildFdEnv = "BOSUN_STORE_CRASH_CHILD_FD";
constexpr int kChildThreads = 8;

void report(int fd, const std::string& line) {
  // One write() per line, shorter than PIPE_BUF: lines from different threads never interleave.
  ssize_t n = ::write(fd, line.data(), line.size());
  (void)n;
}

// The child: never returns; the parent kills it.
TEST(SqliteCrashChild, WritesUntilKilled) {
  const char* path = std::getenv(kChildDbEnv);
  const char* fd_text = std::getenv(kChildFdEnv);
  if (path == nullptr || fd_text == nullptr)
    GTEST_SKIP() << "runs only as the child of SqliteCrash tests";
  const int fd = std::atoi(fd_text);
  SqliteOptions options;
  options.path = path;
  options.compaction_interval = std::chrono::nanoseconds(0);
  auto opened = Store::open_sqlite(options);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  std::unique_ptr<Store> store = std::move(opened).value();
  const std::string run = std::to_string(::getpid());
  std::vector<std::thread> threads;
  for (int t = 0; t < kChildThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t n = 0;; ++n) {
        std::string key =
            "/registry/crash/" + run + "-" + std::to_string(t) + "-" + std::to_string(n);
        std::string value = "v-" + run + "-" + std::to_string(t) + "-" + std::to_string(n);
        auto created = store->create(key, value);
        if (!created.ok()) std::abort();
        report(fd, "C " + key + " " + std::to_string(*created) + " " + value + "\n");
        if (n % 3 == 0) {
          // Contended read-modify-writes on a few shared keys.
          std::string shared = "/registry/crash/shared-" + std::to_string(t % 3);
          std::string next = "s-" + run + "-" + std::to_string(t) + "-" + std::to_string(n);
          auto updated = store->guaranteed_update(
              shared, [&](const KeyValue&) -> Result<std::optional<std::string>> {
                return std::optional<std::string>(next);
              });
          if (updated.ok()) {
            report(fd,
                   "U " + shared + " " + std::to_string(updated->mod_revision) + " " + next + "\n");
          } else if (updated.error().code == ErrorCode::kNotFound) {
            auto made = store->create(shared, next);
            if (made.ok())
              report(fd, "C " + shared + " " + std::to_string(*made) + " " + next + "\n");
          }
        }
        if (n % 5 == 4) {
          auto removed = store->remove(key);
          if (!removed.ok()) std::abort();
          report(fd, "D " + key + " " + std::to_string(removed->revision) + " -\n");
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
}

struct Ack {
  char op;  // C(reate), U(pdate), D(elete)
  std::string key;
  std::string value;
};

// Reads the database file directly: what is on disk, not what a store says.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr);
  }
  ~RawDb() { sqlite3_close(db_); }
  std::vector<int64_t> ints(const char* sql) {
    sqlite3_stmt* stmt = nullptr;
    std::vector<int64_t> out;
    if (sqlite3_prepare_v2(db_, sql, -1, &stmt, nullptr) != SQLITE_OK) return out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      for (int i = 0; i < sqlite3_column_count(stmt); ++i)
        out.push_back(sqlite3_column_int64(stmt, i));
    }
    sqlite3_finalize(stmt);
    return out;
  }
  // (name, deleted, value) of the row with this id; nullopt if there is none.
  std::optional<std::tuple<std::string, bool, std::string>> row(uint64_t id) {
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db_, "SELECT name, deleted, value FROM kine WHERE id = ?1", -1, &stmt,
                       nullptr);
    sqlite3_bind_int64(stmt, 1, static_cast<int64_t>(id));
    std::optional<std::tuple<std::string, bool, std::string>> out;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
      auto text = [&](int col) {
        const void* p = sqlite3_column_blob(stmt, col);
        return p == nullptr
                   ? std::string()
                   : std::string(static_cast<const char*>(p), sqlite3_column_bytes(stmt, col));
      };
      out.emplace(text(0), sqlite3_column_int64(stmt, 1) != 0, text(2));
    }
    sqlite3_finalize(stmt);
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

pid_t spawn_child(const std::string& db_path, int write_fd, int read_fd) {
  std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(kChildDbEnv) + "=" + db_path);
  env_strings.push_back(std::string(kChildFdEnv) + "=" + std::to_string(write_fd));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::string filter = "--gtest_filter=SqliteCrashChild.WritesUntilKilled";
  std::vector<char*> argv = {self.data(), filter.data(), nullptr};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addclose(&actions, read_fd);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, self.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

TEST(SqliteCrash, AcknowledgedWritesSurviveSigkill) {
  std::string dir_template = (fs::temp_directory_path() / "bosun-crash-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir_template.data()), nullptr);
  const fs::path dir = dir_template;
  const std::string db_path = (dir / "state.db").string();
  struct RemoveOnExit {  // also when an assertion ends the test early
    fs::path path;
    ~RemoveOnExit() {
      std::error_code ignored;
      fs::remove_all(path, ignored);
    }
  } cleanup{dir};

  std::random_device entropy;
  const unsigned seed = entropy();
  std::mt19937 random(seed);
  SCOPED_TRACE("seed " + std::to_string(seed));

  std::map<uint64_t, Ack> acked;  // by revision, over all rounds
  constexpr int kRounds = 6;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    pid_t child = spawn_child(db_path, fds[1], fds[0]);
    ::close(fds[1]);
    ASSERT_GT(child, 0);

    // Round 0 kills the child at once (perhaps while it creates the database); the others after a
    // random number of acknowledged writes.
    const size_t kill_after =
        round == 0 ? 0 : std::uniform_int_distribution<size_t>(1, 3000)(random);
    size_t seen = 0;
    bool killed = false;
    std::string buffer;
    char chunk[4096];
    auto consume = [&] {
      size_t start = 0;
      for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos; start = nl + 1) {
        std::istringstream line(buffer.substr(start, nl - start));
        Ack ack;
        uint64_t revision = 0;
        line >> ack.op >> ack.key >> revision >> ack.value;
        if (ack.op == 'D') ack.value.clear();
        EXPECT_TRUE(acked.emplace(revision, ack).second)
            << "revision " << revision << " acknowledged twice";
        ++seen;
      }
      buffer.erase(0, start);
    };
    for (;;) {
      if (!killed && seen >= kill_after) {
        ::kill(child, SIGKILL);
        killed = true;
      }
      ssize_t n = ::read(fds[0], chunk, sizeof(chunk));
      if (n <= 0) break;  // EOF: the child is gone and every line it wrote has been read
      buffer.append(chunk, static_cast<size_t>(n));
      consume();
    }
    ::close(fds[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "the child ended on its own (status " << status << ") instead of being killed";
    std::printf("round %d: killed after %zu acknowledged writes (asked for %zu); %zu in all\n",
                round, seen, kill_after, acked.size());

    // On disk: every acknowledged write is the row of its revision, and the log is contiguous from
    // revision 2 (1 is the empty store) with nothing compacted.
    {
      RawDb db(db_path);
      std::vector<int64_t> shape = db.ints("SELECT COUNT(*), MIN(id), MAX(id) FROM kine");
      if (!acked.empty()) {
        ASSERT_EQ(shape.size(), 3u);
        EXPECT_EQ(shape[1], 2);
        EXPECT_EQ(shape[0], shape[2] - shape[1] + 1) << "the log has a hole";
        EXPECT_GE(static_cast<uint64_t>(shape[2]), acked.rbegin()->first);
      }
      for (const auto& [revision, ack] : acked) {
        auto row = db.row(revision);
        ASSERT_TRUE(row.has_value())
            << "acknowledged revision " << revision << " (" << ack.key << ") is lost";
        EXPECT_EQ(std::get<0>(*row), ack.key) << revision;
        EXPECT_EQ(std::get<1>(*row), ack.op == 'D') << revision;
        EXPECT_EQ(std::get<2>(*row), ack.value) << revision;
      }
    }

    // Through the store: it reopens at the stored revision, replays the whole log in order, and
    // carries on.
    SqliteOptions options;
    options.path = db_path;
    options.compaction_interval = std::chrono::nanoseconds(0);
    auto opened = Store::open_sqlite(options);
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    std::unique_ptr<Store> store = std::move(opened).value();
    uint64_t current = store->current_revision();
    if (!acked.empty()) {
      EXPECT_GE(current, acked.rbegin()->first);
    }
    EventQueue events;
    auto watch = store->watch("/registry/crash", 1, events.callback());
    ASSERT_TRUE(watch.ok());
    auto replayed = events.pop(current - 1);
    ASSERT_TRUE(replayed.ok()) << replayed.error().message;
    for (size_t i = 0; i < replayed->size(); ++i) ASSERT_EQ((*replayed)[i].revision, i + 2);
    std::string key = "/registry/crash/parent-" + std::to_string(round);
    auto next = store->create(key, "after the crash");
    ASSERT_TRUE(next.ok()) << next.error().message;
    EXPECT_EQ(*next, current + 1);
    acked.emplace(*next, Ack{'C', key, "after the crash"});
  }
  EXPECT_GT(acked.size(), static_cast<size_t>(kRounds)) << "the children acknowledged nothing";
}

}  // namespace
}  // namespace bosun::store
