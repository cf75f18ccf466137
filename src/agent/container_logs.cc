#include "agent/container_logs.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "common/time_format.h"
#include "runtime/runc_log.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;

// The kubelet re-checks a followed container this often even without a file event.
constexpr int kLogForceCheckMs = 1000;
constexpr size_t kReadChunk = 64 * 1024;

Error io_error(const std::string& what, int err) {
  return make_error(ErrorCode::kInternal, what + ": " + std::strerror(err));
}

// Where the last n lines of the file start (pkg/util/tail FindTailLineStartIndex): n newlines
// back from the end. A negative n: the whole file.
Result<off_t> tail_start(int fd, int64_t n) {
  if (n < 0) return off_t{0};
  struct stat st;
  if (::fstat(fd, &st) != 0) return io_error("stat", errno);
  const off_t size = st.st_size;
  constexpr off_t kBlock = 1024;
  int64_t count = 0;
  off_t right = size;
  std::string block;
  // Walk back block by block until more than n newlines are behind us.
  off_t left = 0;
  while (right > 0 && count <= n) {
    left = std::max<off_t>(0, right - kBlock);
    block.resize(static_cast<size_t>(right - left));
    if (::pread(fd, block.data(), block.size(), left) != static_cast<ssize_t>(block.size())) {
      return io_error("read", errno ? errno : EIO);
    }
    count += std::count(block.begin(), block.end(), '\n');
    right = left;
  }
  size_t idx = 0;
  for (; count > n; --count) {
    size_t nl = block.find('\n', idx);
    if (nl == std::string::npos) break;
    idx = nl + 1;
  }
  return left + static_cast<off_t>(idx);
}

// Applies since, timestamps and limitBytes to each message (kubelet logWriter).
class LogWriter {
 public:
  LogWriter(const LogOptions& options, const LogSink& sink)
      : options_(options),
        sink_(sink),
        remain_(options.limit_bytes >= 0 ? options.limit_bytes : INT64_MAX) {}

  // false: stop (limit reached or the sink refused).
  bool write(const CriLogLine& msg, bool newline) {
    if (options_.since) {
      auto since_nanos =
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.since->time_since_epoch())
              .count();
      if (msg.unix_nanos < since_nanos) return true;
    }
    line_.clear();
    if (options_.timestamps) append_timestamp(msg.unix_nanos);
    line_.append(msg.content);
    if (newline) line_.push_back('\n');
    if (static_cast<int64_t>(line_.size()) > remain_) line_.resize(static_cast<size_t>(remain_));
    if (!sink_(msg.stream, line_)) return false;
    remain_ -= static_cast<int64_t>(line_.size());
    return remain_ > 0;
  }

 private:
  // RFC3339NanoFixed in UTC, as the kubelet prints with --timestamps. Lines of one second share
  // the date and time, so only the nanoseconds are formatted for each.
  void append_timestamp(int64_t unix_nanos) {
    int64_t secs = unix_nanos / 1000000000, nanos = unix_nanos % 1000000000;
    if (nanos < 0) {
      nanos += 1000000000;
      --secs;
    }
    if (secs != cached_secs_ || cached_.empty()) {
      char ts[40];
      size_t n = runtime::format_cri_timestamp(secs * 1000000000, ts);
      cached_.assign(ts, n);  // "YYYY-MM-DDTHH:MM:SS.000000000Z"
      cached_secs_ = secs;
    }
    const size_t frac = cached_.size() - 10;  // the nine digits before the Z
    line_.append(cached_, 0, frac);
    char digits[10];
    for (int i = 8; i >= 0; --i) {
      digits[i] = static_cast<char>('0' + nanos % 10);
      nanos /= 10;
    }
    line_.append(digits, 9);
    line_.append("Z ");
  }

  const LogOptions& options_;
  const LogSink& sink_;
  int64_t remain_;
  std::string line_;
  std::string cached_;
  int64_t cached_secs_ = 0;
};

// Watches the open file itself (through /proc/self/fd), so a rename before the watch is set up
// cannot make it watch the wrong file or fail.
int watch_open_file(int ifd, int fd) {
  std::string self = "/proc/self/fd/" + std::to_string(fd);
  return ::inotify_add_watch(ifd, self.c_str(),
                             IN_MODIFY | IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB);
}

// Whether `path` still names the open file.
bool same_file(int fd, const std::string& path) {
  struct stat a, b;
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
         a.st_dev == b.st_dev;
}

}  // namespace

Result<CriLogLine> parse_cri_log_line(std::string_view line) {
  CriLogLine out;
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest, "timestamp is not found");
  }
  auto ts = parse_rfc3339(line.substr(0, sp));
  if (!ts.ok()) {
    return make_error(ErrorCode::kBadRequest,
                      "unexpected timestamp format \"2006-01-02T15:04:05.999999999Z07:00\": " +
                          ts.error().message);
  }
  out.unix_nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(ts->time_since_epoch()).count();
  line.remove_prefix(sp + 1);
  sp = line.find(' ');
  if (sp == std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest, "stream type is not found");
  }
  std::string_view stream = line.substr(0, sp);
  if (stream == "stdout") {
    out.stream = LogStream::kStdout;
  } else if (stream == "stderr") {
    out.stream = LogStream::kStderr;
  } else {
    return make_error(ErrorCode::kBadRequest,
                      "unexpected stream type \"" + std::string(stream) + "\"");
  }
  line.remove_prefix(sp + 1);
  sp = line.find(' ');
  if (sp == std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest, "log tag is not found");
  }
  // Tags are ':'-separated for forward compatibility; the first says partial or full.
  std::string_view tags = line.substr(0, sp);
  out.partial = tags.substr(0, tags.find(':')) == "P";
  line.remove_prefix(sp + 1);
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  out.content = line;
  return out;
}

LogOptions make_log_options(std::optional<int64_t> tail_lines, std::optional<int64_t> limit_bytes,
                            std::optional<int64_t> since_seconds,
                            std::optional<Clock::WallTime> since_time, bool timestamps, bool follow,
                            Clock::WallTime now) {
  LogOptions o;
  o.tail_lines = tail_lines.value_or(-1);
  o.limit_bytes = limit_bytes.value_or(-1);
  o.timestamps = timestamps;
  o.follow = follow;
  if (since_seconds) o.since = now - std::chrono::seconds(*since_seconds);
  if (since_time && (!o.since || *since_time > *o.since)) o.since = *since_time;
  return o;
}

LogCancel::LogCancel() : fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
LogCancel::~LogCancel() {
  if (fd_ >= 0) ::close(fd_);
}
void LogCancel::cancel() {
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(fd_, &one, sizeof one);
}
bool LogCancel::cancelled() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

Result<void> read_container_log(const std::string& path, const LogOptions& options,
                                const LogSink& sink, const FollowControl& follow) {
  // The kubelet resolves symlinks first: inotify must watch the file itself.
  std::error_code ec;
  std::string real = fs::canonical(path, ec).string();
  if (ec) {
    return make_error(ErrorCode::kNotFound,
                      "failed to try resolving symlinks in path \"" + path + "\": " + ec.message());
  }
  int fd = ::open(real.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return make_error(ErrorCode::kNotFound,
                      "failed to open log file \"" + real + "\": " + std::strerror(errno));
  }
  struct Closer {
    int* fd;
    int* ifd;
    ~Closer() {
      if (*fd >= 0) ::close(*fd);
      if (*ifd >= 0) ::close(*ifd);
    }
  };
  int ifd = -1;
  Closer closer{&fd, &ifd};

  BOSUN_ASSIGN_OR_RETURN(off_t start, tail_start(fd, options.tail_lines));
  if (::lseek(fd, start, SEEK_SET) < 0) return io_error("seek in \"" + real + "\"", errno);

  const bool limited = options.tail_lines >= 0 && !options.follow;
  int64_t limited_left = options.tail_lines;
  LogWriter writer(options, sink);
  std::string pending;  // an incomplete last line, waiting for its newline
  std::string chunk(kReadChunk, '\0');
  bool found = true;
  bool recreated = false;  // the file was renamed or removed: a new one will appear at `path`
  int wd = -1;

  // Processes every complete line in `pending`; false when the read is over.
  auto drain = [&](bool at_end) -> bool {
    size_t pos = 0;
    for (;;) {
      if (limited && limited_left == 0) return false;
      size_t nl = pending.find('\n', pos);
      bool complete = nl != std::string::npos;
      if (!complete && !(at_end && pos < pending.size())) break;
      std::string_view raw(pending.data() + pos, (complete ? nl : pending.size()) - pos);
      pos = complete ? nl + 1 : pending.size();
      auto msg = parse_cri_log_line(raw);
      if (!msg.ok()) continue;  // the kubelet skips lines it cannot parse
      // A full line ends with a newline; a partial piece does not, so it joins the next one.
      bool newline = complete && !msg->partial;
      if (!writer.write(*msg, newline)) return false;
      if (limited) --limited_left;
    }
    pending.erase(0, pos);
    return true;
  };

  for (;;) {
    ssize_t n = ::read(fd, chunk.data(), chunk.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("failed to read log file \"" + real + "\"", errno);
    }
    if (n > 0) {
      pending.append(chunk.data(), static_cast<size_t>(n));
      if (!drain(false)) return ok_result();
      continue;
    }
    // End of the file.
    if (!options.follow) {
      drain(true);
      return ok_result();
    }
    if (!found) return ok_result();
    if (follow.cancel && follow.cancel->cancelled()) return ok_result();
    if (follow.container_running && !follow.container_running()) {
      found = false;  // read what the container wrote last, then end
      continue;
    }
    if (ifd < 0) {
      ifd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
      if (ifd < 0) return io_error("failed to create inotify watcher", errno);
      wd = watch_open_file(ifd, fd);
      if (wd < 0) return io_error("failed to watch file \"" + real + "\"", errno);
      // The directory too: after a rotation the new file appears there, not in the old inode.
      ::inotify_add_watch(ifd, fs::path(path).parent_path().c_str(), IN_CREATE | IN_MOVED_TO);
      // A rotation before the watch existed sent no event: compare the path with the open file.
      if (!same_file(fd, path)) recreated = true;
      continue;  // read again: a write may have come before the watch
    }
    pollfd fds[2] = {{ifd, POLLIN, 0}, {follow.cancel ? follow.cancel->fd() : -1, POLLIN, 0}};
    int r = ::poll(fds, 2, kLogForceCheckMs);
    if (r < 0 && errno != EINTR) return io_error("poll", errno);
    if (fds[1].revents & POLLIN) return ok_result();
    if (fds[0].revents & POLLIN) {
      alignas(inotify_event) char events[4096];
      ssize_t len;
      while ((len = ::read(ifd, events, sizeof events)) > 0) {
        for (char* p = events; p < events + len;) {
          auto* e = reinterpret_cast<inotify_event*>(p);
          if (e->mask & (IN_MOVE_SELF | IN_DELETE_SELF | IN_ATTRIB)) recreated = true;
          p += sizeof(inotify_event) + e->len;
        }
      }
    }
    // Until the new file exists, look for it at every wake-up (file events, directory events and
    // the periodic check).
    if (recreated) {
      // Rotated: once a new file exists at the path, finish the old one and continue there.
      int nfd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
      if (nfd < 0) continue;
      struct stat a, b;
      if (::fstat(fd, &a) == 0 && ::fstat(nfd, &b) == 0 && a.st_ino == b.st_ino &&
          a.st_dev == b.st_dev) {
        ::close(nfd);
        recreated = false;  // the same file (an attribute change): nothing rotated
        continue;
      }
      ::inotify_rm_watch(ifd, wd);
      while ((n = ::read(fd, chunk.data(), chunk.size())) > 0) {
        pending.append(chunk.data(), static_cast<size_t>(n));
        if (!drain(false)) {
          ::close(nfd);
          return ok_result();
        }
      }
      pending.clear();
      recreated = false;
      ::close(fd);
      fd = nfd;
      real = fs::canonical(path, ec).string();
      wd = watch_open_file(ifd, fd);
      if (!same_file(fd, path)) recreated = true;
    }
  }
}

namespace {

constexpr std::string_view kCompressSuffix = ".gz";
constexpr std::string_view kTmpSuffix = ".tmp";

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Every file named <path>.*, sorted (the timestamps sort as text, so oldest first).
std::vector<std::string> log_siblings(const std::string& path) {
  std::vector<std::string> out;
  fs::path p(path);
  const std::string prefix = p.filename().string() + ".";
  std::error_code ec;
  for (auto it = fs::directory_iterator(p.parent_path(), ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() > prefix.size() && name.rfind(prefix, 0) == 0) {
      out.push_back(it->path().string());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The kubelet's isInUse: a temporary file is a compression that did not finish, and a plain file
// beside its own .gz was compressed but not yet removed; neither holds anything of its own.
bool log_in_use(const std::string& file, const std::vector<std::string>& all) {
  if (ends_with(file, kTmpSuffix)) return false;
  if (ends_with(file, kCompressSuffix)) return true;
  return std::find(all.begin(), all.end(), file + std::string(kCompressSuffix)) == all.end();
}

// compressLog: gzip into <file>.tmp, rename it to <file>.gz, then remove the original, so a crash
// half-way leaves either the original or both (and the next rotation removes the extra one).
Result<void> compress_log(const std::string& file) {
  const std::string tmp = file + std::string(kTmpSuffix);
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return io_error("stat " + file, errno);
  int in = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return io_error("open " + file, errno);
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, st.st_mode & 07777);
  if (out < 0) {
    const int err = errno;
    ::close(in);
    return io_error("create " + tmp, err);
  }
  gzFile gz = ::gzdopen(out, "wb");
  if (!gz) {
    ::close(out);
    ::close(in);
    ::unlink(tmp.c_str());
    return make_error(ErrorCode::kInternal, "gzip " + tmp + ": out of memory");
  }
  std::string buf(kReadChunk, '\0');
  Result<void> result = ok_result();
  for (;;) {
    ssize_t n = ::read(in, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      result = io_error("read " + file, errno);
      break;
    }
    if (n == 0) break;
    if (::gzwrite(gz, buf.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) {
      int zerr = 0;
      result = make_error(ErrorCode::kInternal,
                          "failed to compress " + file + ": " + ::gzerror(gz, &zerr));
      break;
    }
  }
  ::close(in);
  if (::gzclose(gz) != Z_OK && result.ok()) {
    result = make_error(ErrorCode::kInternal, "failed to compress " + file + ": write failed");
  }
  if (!result.ok()) {
    ::unlink(tmp.c_str());
    return result;
  }
  const std::string gz_name = file + std::string(kCompressSuffix);
  if (::rename(tmp.c_str(), gz_name.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return io_error("rename " + tmp, err);
  }
  if (::unlink(file.c_str()) != 0 && errno != ENOENT) return io_error("remove " + file, errno);
  return ok_result();
}

}  // namespace

std::vector<std::string> rotated_logs(const std::string& path) {
  std::vector<std::string> all = log_siblings(path);
  std::vector<std::string> out;
  for (const auto& f : all) {
    if (log_in_use(f, all)) out.push_back(f);
  }
  return out;
}

void remove_container_logs(const std::string& path) {
  if (path.empty()) return;
  for (const auto& f : log_siblings(path)) ::unlink(f.c_str());
  ::unlink(path.c_str());
}

Result<bool> rotate_container_log(const std::string& path, const LogRotationPolicy& policy,
                                  Clock::WallTime now,
                                  const std::function<Result<void>()>& reopen) {
  if (policy.max_size_bytes < 0) return false;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return io_error("stat " + path, errno);
    // The kubelet's processContainer: a running container whose log is gone (removed by hand, or
    // a rotation that stopped between rename and reopen) gets a new one.
    if (!reopen) return false;
    BOSUN_RETURN_IF_ERROR(reopen());
    return false;
  }
  if (st.st_size < policy.max_size_bytes) return false;

  std::time_t t = Clock::WallTime::clock::to_time_t(now);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  const std::string target = path + "." + stamp;
  // Rotated this second already: renaming again would replace that file.
  if (::access(target.c_str(), F_OK) == 0 ||
      ::access((target + std::string(kCompressSuffix)).c_str(), F_OK) == 0) {
    return false;
  }

  // cleanupUnusedLogs, then removeExcessLogs: the live file and the one about to be rotated count,
  // so max_files-2 older ones stay, and the oldest go first so a `kubectl logs` reading a newer
  // file is not cut off.
  std::vector<std::string> all = log_siblings(path);
  std::vector<std::string> kept;
  for (const auto& f : all) {
    if (log_in_use(f, all)) {
      kept.push_back(f);
    } else if (::unlink(f.c_str()) != 0 && errno != ENOENT) {
      return io_error("failed to remove unused log " + f, errno);
    }
  }
  const size_t keep = static_cast<size_t>(std::max(0, policy.max_files - 2));
  size_t first = 0;
  for (; first + keep < kept.size(); ++first) {
    if (::unlink(kept[first].c_str()) != 0 && errno != ENOENT) {
      return io_error("failed to remove old log " + kept[first], errno);
    }
  }
  // Every older rotated file is compressed; the newest rotation stays plain so the container (until
  // it reopens) and log shippers can finish with it.
  for (size_t i = first; i < kept.size(); ++i) {
    if (ends_with(kept[i], kCompressSuffix)) continue;
    auto c = compress_log(kept[i]);
    if (!c.ok()) {
      return make_error(c.error().code,
                        "failed to compress log " + kept[i] + ": " + c.error().message);
    }
  }

  if (::rename(path.c_str(), target.c_str()) != 0) return io_error("rename " + path, errno);
  if (reopen) {
    auto r = reopen();
    if (!r.ok()) {
      // The container still writes to the renamed file: give it its name back.
      ::rename(target.c_str(), path.c_str());
      return std::move(r).error();
    }
  }
  return true;
}

}  // namespace bosun::agent
