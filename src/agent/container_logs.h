// Container logs for `pods/log`, read as the kubelet reads them (pkg/kubelet/kuberuntime/logs):
// CRI-format files (`<RFC3339Nano> stdout|stderr F|P <text>`) with tailLines, sinceSeconds /
// sinceTime, timestamps, limitBytes and follow (a blocking reader woken by inotify, ended by a
// cancel or when the container stops); partial (P) pieces are written without a newline, so they
// join with the piece that completes the line. Plus the kubelet's log rotation (rename to
// <file>.<YYYYMMDD-HHMMSS>, gzip older rotations, keep containerLogMaxFiles, then have the runtime
// reopen the file); `kubectl logs` reads only the live file, as the kubelet's does.
// Pure functions and plain values; a LogCancel may be cancelled from any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace bosun::agent {

enum class LogStream { kStdout, kStderr };

// One line of a CRI log file.
struct CriLogLine {
  int64_t unix_nanos = 0;
  LogStream stream = LogStream::kStdout;
  bool partial = false;      // tag P: a piece of a line longer than the runtime's buffer
  std::string_view content;  // without the line's newline
};

// Parses one line (with or without its trailing newline). Errors are the kubelet's
// ("timestamp is not found", "unexpected stream type \"x\"", ...).
Result<CriLogLine> parse_cri_log_line(std::string_view line);

// v1.PodLogOptions as the reader applies them (kubelet LogOptions).
struct LogOptions {
  int64_t tail_lines = -1;   // -1: all
  int64_t limit_bytes = -1;  // -1: no limit
  std::optional<Clock::WallTime> since;
  bool timestamps = false;
  bool follow = false;
};

// From the query of a pods/log request, as NewLogOptions: sinceSeconds counts back from now, and
// a sinceTime after that wins.
LogOptions make_log_options(std::optional<int64_t> tail_lines, std::optional<int64_t> limit_bytes,
                            std::optional<int64_t> since_seconds,
                            std::optional<Clock::WallTime> since_time, bool timestamps, bool follow,
                            Clock::WallTime now);

// Ends a following read from another thread (the client went away, the agent is stopping).
class LogCancel {
 public:
  LogCancel();
  ~LogCancel();
  LogCancel(const LogCancel&) = delete;
  LogCancel& operator=(const LogCancel&) = delete;
  void cancel();
  bool cancelled() const;
  int fd() const { return fd_; }  // readable once cancelled

 private:
  int fd_;
};

// Receives output. Returning false stops the read (the client is gone).
using LogSink = std::function<bool(LogStream stream, std::string_view data)>;

struct FollowControl {
  // Asked at the end of the file: while the container runs, the reader waits for more; once it
  // has stopped, the reader ends after what is left. Empty: the container is running.
  std::function<bool()> container_running;
  const LogCancel* cancel = nullptr;
};

// Writes the log at `path` to the sink under the options. For `previous=true` the caller passes
// the log of the container's previous instance (the agent keeps one per restart). With
// options.follow it blocks for new lines until the container stops or the read is cancelled; a
// rotation (the file renamed and a new one created at `path`) is followed into the new file.
Result<void> read_container_log(const std::string& path, const LogOptions& options,
                                const LogSink& sink, const FollowControl& follow = {});

// containerLogMaxSize and containerLogMaxFiles, the kubelet's defaults.
struct LogRotationPolicy {
  int64_t max_size_bytes = 10 * 1024 * 1024;  // negative: no rotation
  int max_files = 5;                          // the live file included; at least 2
};

// The rotated files of a log that still hold lines (<path>.<timestamp>, plain or .gz), oldest
// first; leftovers of an interrupted compression are not listed.
std::vector<std::string> rotated_logs(const std::string& path);

// The kubelet's ContainerLogManager.Clean, for a container the agent removes: its log and every
// rotation of it (<path>.*) go. Missing files are not an error.
void remove_container_logs(const std::string& path);

// The kubelet's rotateLog (pkg/kubelet/logs/container_log_manager.go) for one running container.
// When the log is at or over the size: removes leftovers of an interrupted compression, removes
// the oldest rotated files so that with the one about to be made and the live file at most
// max_files remain, gzips the older rotated files (<file>.gz), renames the log to
// <path>.<YYYYMMDD-HHMMSS> and calls reopen (the runtime's ReopenContainerLog) so the container
// writes to a new file at `path`. If reopen fails the rename is undone. A missing log is reopened.
// Returns whether the log was rotated.
Result<bool> rotate_container_log(const std::string& path, const LogRotationPolicy& policy,
                                  Clock::WallTime now, const std::function<Result<void>()>& reopen);

}  // namespace bosun::agent
