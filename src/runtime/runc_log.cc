#include "runtime/runc_log.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <ctime>

namespace bosun::runtime {

size_t format_cri_timestamp(int64_t unix_nanos, char* out) {
  int64_t secs = unix_nanos / 1000000000;
  int64_t nanos = unix_nanos % 1000000000;
  if (nanos < 0) {
    nanos += 1000000000;
    --secs;
  }
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  ::gmtime_r(&t, &tm);
  int n = std::snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                        tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                        static_cast<long long>(nanos));
  return n > 0 ? static_cast<size_t>(n) : 0;
}

std::string format_cri_log_line(int64_t unix_nanos, std::string_view stream, bool partial,
                                std::string_view message) {
  char ts[40];
  size_t n = format_cri_timestamp(unix_nanos, ts);
  std::string line;
  line.reserve(n + stream.size() + message.size() + 5);
  line.append(ts, n);
  line.push_back(' ');
  line.append(stream);
  line.append(partial ? " P " : " F ");
  line.append(message);
  line.push_back('\n');
  return line;
}

void CriLineSplitter::emit(std::string_view message, bool partial, int64_t unix_nanos) {
  std::string line = format_cri_log_line(unix_nanos, stream_, partial, message);
  // One write per line with O_APPEND keeps stdout and stderr lines whole in the shared file.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t w = ::write(fd_, line.data() + off, line.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;  // a full disk loses log lines, never the container
    off += static_cast<size_t>(w);
  }
}

void CriLineSplitter::feed(const char* data, size_t n, int64_t unix_nanos) {
  pending_.append(data, n);
  size_t start = 0;
  while (true) {
    size_t nl = pending_.find('\n', start);
    if (nl == std::string::npos) break;
    size_t end = nl;
    // bufio.ReadLine, which containerd uses, drops the \r of a \r\n ending too.
    if (end > start && pending_[end - 1] == '\r') --end;
    // A long line is cut the same way whether or not its newline came in the same read.
    while (end - start > kCriMaxLineBytes) {
      emit(std::string_view(pending_).substr(start, kCriMaxLineBytes), true, unix_nanos);
      start += kCriMaxLineBytes;
    }
    emit(std::string_view(pending_).substr(start, end - start), false, unix_nanos);
    start = nl + 1;
  }
  while (pending_.size() - start >= kCriMaxLineBytes) {
    emit(std::string_view(pending_).substr(start, kCriMaxLineBytes), true, unix_nanos);
    start += kCriMaxLineBytes;
  }
  pending_.erase(0, start);
}

void CriLineSplitter::finish(int64_t unix_nanos) {
  if (!pending_.empty()) emit(pending_, false, unix_nanos);
  pending_.clear();
}

}  // namespace bosun::runtime
