#include "agent/container_logs.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/time_format.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "bosun-logs-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

void append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

std::string gunzip(const std::string& path) {
  gzFile f = ::gzopen(path.c_str(), "rb");
  if (!f) return "<cannot open>";
  std::string out;
  char buf[4096];
  int n;
  while ((n = ::gzread(f, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::gzclose(f);
  return out;
}

// What a read wrote, stream by stream and interleaved ("o:" / "e:" prefixes per write).
struct Collected {
  std::mutex mu;
  std::condition_variable cv;
  std::string out, err, all;
  LogSink sink() {
    return [this](LogStream s, std::string_view data) {
      std::lock_guard lock(mu);
      (s == LogStream::kStdout ? out : err).append(data);
      all.append(data);
      cv.notify_all();
      return true;
    };
  }
  bool wait_for(const std::string& text) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s, [&] { return all.find(text) != std::string::npos; });
  }
};

std::string read_log(const std::string& path, const LogOptions& options) {
  Collected c;
  auto r = read_container_log(path, options, c.sink());
  EXPECT_TRUE(r.ok()) << r.error().message;
  return c.all;
}

constexpr const char* kLog =
    "2024-05-01T12:00:01.000000001Z stdout F first\n"
    "2024-05-01T12:00:02.5Z stderr F oops\n"
    "2024-05-01T12:00:03.000000000Z stdout P par\n"
    "2024-05-01T12:00:03.000000100Z stdout P ti\n"
    "2024-05-01T12:00:03.000000200Z stdout F al\n"
    "not a cri line\n"
    "2024-05-01T12:00:04.000000000Z stdout F last\n";

TEST(CriLogLine, ParsesAndRejectsAsTheKubeletDoes) {
  auto full = parse_cri_log_line("2016-10-06T00:17:09.669794202Z stdout F log content 1\n");
  ASSERT_TRUE(full.ok()) << full.error().message;
  EXPECT_EQ(full->unix_nanos, 1475713029669794202);
  EXPECT_EQ(full->stream, LogStream::kStdout);
  EXPECT_FALSE(full->partial);
  EXPECT_EQ(full->content, "log content 1");
  auto partial = parse_cri_log_line("2016-10-06T00:17:09.669794203Z stderr P:x piece");
  ASSERT_TRUE(partial.ok());
  EXPECT_EQ(partial->stream, LogStream::kStderr);
  EXPECT_TRUE(partial->partial);
  EXPECT_EQ(partial->content, "piece");
  EXPECT_EQ(parse_cri_log_line("2016-10-06T00:17:09Z stdout F ")->content, "");
  auto msg = [](std::string_view line) { return parse_cri_log_line(line).error().message; };
  EXPECT_EQ(msg("nospace"), "timestamp is not found");
  EXPECT_EQ(msg("2016-10-06T00:17:09Z stdout"), "stream type is not found");
  EXPECT_EQ(msg("2016-10-06T00:17:09Z stdin F x"), "unexpected stream type \"stdin\"");
  EXPECT_EQ(msg("2016-10-06T00:17:09Z stdout F"), "log tag is not found");
  EXPECT_EQ(msg("yesterday stdout F x").rfind("unexpected timestamp format", 0), 0u);
}

TEST(ContainerLogs, StreamsPartialLinesAndBadLines) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  append(path, kLog);
  Collected c;
  ASSERT_TRUE(read_container_log(path, {}, c.sink()).ok());
  EXPECT_EQ(c.out, "first\npartial\nlast\n");  // P pieces join; the bad line is skipped
  EXPECT_EQ(c.err, "oops\n");
  EXPECT_EQ(c.all, "first\noops\npartial\nlast\n");
}

TEST(ContainerLogs, TimestampsTailSinceAndLimitBytes) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  append(path, kLog);
  LogOptions ts;
  ts.timestamps = true;
  EXPECT_EQ(read_log(path, ts),
            "2024-05-01T12:00:01.000000001Z first\n"
            "2024-05-01T12:00:02.500000000Z oops\n"
            "2024-05-01T12:00:03.000000000Z par"
            "2024-05-01T12:00:03.000000100Z ti"
            "2024-05-01T12:00:03.000000200Z al\n"
            "2024-05-01T12:00:04.000000000Z last\n");
  // tailLines counts lines of the file, as the kubelet's tail does.
  LogOptions tail;
  tail.tail_lines = 2;
  EXPECT_EQ(read_log(path, tail), "last\n");
  tail.tail_lines = 3;
  EXPECT_EQ(read_log(path, tail), "al\nlast\n");
  tail.tail_lines = 0;
  EXPECT_EQ(read_log(path, tail), "");
  tail.tail_lines = 100;
  EXPECT_EQ(read_log(path, tail), "first\noops\npartial\nlast\n");

  LogOptions since;
  since.since = *parse_rfc3339("2024-05-01T12:00:02.5Z");
  EXPECT_EQ(read_log(path, since), "oops\npartial\nlast\n");

  LogOptions limit;
  limit.limit_bytes = 8;
  EXPECT_EQ(read_log(path, limit), "first\noo");

  // A last line without its newline (the container is still writing it) is still shown.
  append(path, "2024-05-01T12:00:05Z stdout F unfinished");
  EXPECT_EQ(read_log(path, tail), "first\noops\npartial\nlast\nunfinished");

  auto missing = read_container_log(dir.path() + "/none.log", {}, Collected().sink());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST(ContainerLogs, OptionsFromThePodLogQuery) {
  FakeClock clock;
  auto now = clock.now();
  LogOptions o = make_log_options(10, 100, 60, std::nullopt, true, true, now);
  EXPECT_EQ(o.tail_lines, 10);
  EXPECT_EQ(o.limit_bytes, 100);
  EXPECT_EQ(*o.since, now - 60s);
  EXPECT_TRUE(o.timestamps);
  EXPECT_TRUE(o.follow);
  // The later of sinceSeconds and sinceTime wins.
  EXPECT_EQ(*make_log_options({}, {}, 60, now - 10s, false, false, now).since, now - 10s);
  EXPECT_EQ(*make_log_options({}, {}, 5, now - 10s, false, false, now).since, now - 5s);
  LogOptions none = make_log_options({}, {}, {}, {}, false, false, now);
  EXPECT_EQ(none.tail_lines, -1);
  EXPECT_EQ(none.limit_bytes, -1);
  EXPECT_FALSE(none.since.has_value());
}

TEST(ContainerLogs, FollowWaitsForAppendsAndEndsWhenTheContainerStops) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  append(path, "2024-05-01T12:00:01Z stdout F one\n");
  Collected c;
  std::atomic<bool> running{true};
  LogOptions o;
  o.follow = true;
  o.tail_lines = 1;
  Result<void> result = ok_result();
  std::thread reader([&] {
    result = read_container_log(path, o, c.sink(),
                                {.container_running = [&] { return running.load(); }});
  });
  ASSERT_TRUE(c.wait_for("one\n"));
  append(path, "2024-05-01T12:00:02Z stdout F two");  // half a line: not shown yet
  append(path, "-halves\n2024-05-01T12:00:03Z stdout F three\n");
  ASSERT_TRUE(c.wait_for("three\n"));
  // The container stops after a last line: the reader shows it and ends.
  append(path, "2024-05-01T12:00:04Z stderr F bye\n");
  running = false;
  reader.join();
  EXPECT_TRUE(result.ok());
  EXPECT_EQ(c.out, "one\ntwo-halves\nthree\n");
  EXPECT_EQ(c.err, "bye\n");
}

TEST(ContainerLogs, FollowEndsOnCancelAndFollowsARotation) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  append(path, "2024-05-01T12:00:01Z stdout F before\n");
  Collected c;
  LogCancel cancel;
  LogOptions o;
  o.follow = true;
  std::thread reader([&] {
    auto r = read_container_log(path, o, c.sink(), {.cancel = &cancel});
    EXPECT_TRUE(r.ok());
  });
  ASSERT_TRUE(c.wait_for("before\n"));
  // Rotation: the file is renamed, a line still lands in it, then the runtime reopens the path.
  fs::rename(path, path + ".20240501-120002");
  append(path + ".20240501-120002", "2024-05-01T12:00:02Z stdout F late\n");
  append(path, "2024-05-01T12:00:03Z stdout F after\n");
  ASSERT_TRUE(c.wait_for("after\n"));
  append(path, "2024-05-01T12:00:04Z stdout F more\n");
  ASSERT_TRUE(c.wait_for("more\n"));
  cancel.cancel();
  reader.join();
  EXPECT_EQ(c.out, "before\nlate\nafter\nmore\n");
}

TEST(LogRotation, RenamesKeepsMaxFilesAndReopens) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  LogRotationPolicy policy{.max_size_bytes = 100, .max_files = 3};
  FakeClock clock(*parse_rfc3339("2024-05-01T12:00:00Z"));
  int reopens = 0;
  auto reopen = [&]() -> Result<void> {
    ++reopens;
    append(path, "");  // the runtime creates the new file
    return ok_result();
  };
  append(path, std::string(50, 'x'));
  EXPECT_FALSE(*rotate_container_log(path, policy, clock.now(), reopen));  // under the size
  EXPECT_EQ(reopens, 0);
  for (int i = 0; i < 4; ++i) {
    append(path, std::string(100, 'y'));
    auto r = rotate_container_log(path, policy, clock.now(), reopen);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(*r);
    clock.advance(1s);
  }
  EXPECT_EQ(reopens, 4);
  // max_files 3: the live file and the two newest rotated ones, the older of them gzipped.
  EXPECT_EQ(rotated_logs(path),
            (std::vector<std::string>{path + ".20240501-120002.gz", path + ".20240501-120003"}));
  EXPECT_EQ(gunzip(path + ".20240501-120002.gz"), std::string(100, 'y'));
  EXPECT_FALSE(fs::exists(path + ".20240501-120002"));
  EXPECT_TRUE(fs::exists(path));
  EXPECT_EQ(fs::file_size(path), 0u);

  // A failed reopen undoes the rename: the container's file keeps its name.
  append(path, std::string(200, 'z'));
  auto failed = rotate_container_log(path, policy, clock.now(), [] {
    return Result<void>(make_error(ErrorCode::kInternal, "monitor gone"));
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "monitor gone");
  EXPECT_EQ(fs::file_size(path), 200u);
  EXPECT_FALSE(fs::exists(path + ".20240501-120004"));
}

TEST(LogRotation, ClearsLeftoversOfAnInterruptedCompression) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  LogRotationPolicy policy{.max_size_bytes = 10, .max_files = 5};
  FakeClock clock(*parse_rfc3339("2024-05-01T13:00:00Z"));
  // A compression that stopped before its rename (a .tmp), and one that stopped after it (the
  // plain file beside its .gz): both hold nothing the .gz or the original does not.
  append(path + ".20240501-120000", "a\n");
  append(path + ".20240501-120000.tmp", "half");
  append(path + ".20240501-120001", "b\n");
  append(path + ".20240501-120001.gz", "");
  EXPECT_EQ(rotated_logs(path),
            (std::vector<std::string>{path + ".20240501-120000", path + ".20240501-120001.gz"}));
  append(path, std::string(20, 'c'));
  auto r = rotate_container_log(path, policy, clock.now(), [&]() -> Result<void> {
    append(path, "");
    return ok_result();
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(*r);
  EXPECT_FALSE(fs::exists(path + ".20240501-120000.tmp"));
  EXPECT_FALSE(fs::exists(path + ".20240501-120001"));
  EXPECT_EQ(rotated_logs(path),
            (std::vector<std::string>{path + ".20240501-120000.gz", path + ".20240501-120001.gz",
                                      path + ".20240501-130000"}));
  EXPECT_EQ(gunzip(path + ".20240501-120000.gz"), "a\n");
}

TEST(LogRotation, MissingLogIsReopenedAndNegativeSizeNeverRotates) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  FakeClock clock(*parse_rfc3339("2024-05-01T12:00:00Z"));
  int reopens = 0;
  auto reopen = [&]() -> Result<void> {
    ++reopens;
    append(path, "");
    return ok_result();
  };
  auto r = rotate_container_log(path, LogRotationPolicy{}, clock.now(), reopen);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(reopens, 1);
  EXPECT_TRUE(fs::exists(path));

  append(path, std::string(100, 'x'));
  r = rotate_container_log(path, {.max_size_bytes = -1, .max_files = 2}, clock.now(), reopen);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(*r);
  EXPECT_EQ(reopens, 1);
  EXPECT_TRUE(rotated_logs(path).empty());

  // max_files 2: only the live file and the newest rotation.
  for (int i = 0; i < 3; ++i) {
    append(path, std::string(100, 'x'));
    r = rotate_container_log(path, {.max_size_bytes = 50, .max_files = 2}, clock.now(), reopen);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(*r);
    clock.advance(1s);
  }
  EXPECT_EQ(rotated_logs(path), (std::vector<std::string>{path + ".20240501-120002"}));
}

TEST(LogRotation, RemovingAContainersLogsTakesItsRotationsOnly) {
  TempDir dir;
  const std::string path = dir.path() + "/1.log";
  for (const char* f : {"/1.log", "/1.log.20240501-120000.gz", "/1.log.20240501-120001",
                        "/1.log.20240501-120002.tmp", "/0.log", "/10.log", "/10.log.20240501-1"}) {
    append(dir.path() + f, "x");
  }
  remove_container_logs(path);
  std::vector<std::string> left;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    left.push_back(e.path().filename().string());
  }
  std::sort(left.begin(), left.end());
  EXPECT_EQ(left, (std::vector<std::string>{"0.log", "10.log", "10.log.20240501-1"}));
  remove_container_logs(path);  // already gone: nothing to do
}

TEST(LogRotation, ASecondRotationInOneSecondWaits) {
  TempDir dir;
  const std::string path = dir.path() + "/0.log";
  FakeClock clock(*parse_rfc3339("2024-05-01T12:00:00Z"));
  auto reopen = [&]() -> Result<void> {
    append(path, "");
    return ok_result();
  };
  LogRotationPolicy policy{.max_size_bytes = 10, .max_files = 5};
  append(path, std::string(20, 'x'));
  ASSERT_TRUE(*rotate_container_log(path, policy, clock.now(), reopen));
  append(path, std::string(20, 'y'));
  // Renaming onto the file of this second would lose its lines.
  EXPECT_FALSE(*rotate_container_log(path, policy, clock.now(), reopen));
  EXPECT_EQ(fs::file_size(path), 20u);
}

}  // namespace
}  // namespace bosun::agent
