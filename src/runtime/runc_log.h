// Container log lines in the CRI format the kubelet reads (`kubectl logs`):
// `2016-10-06T00:17:09.669794202Z stdout F message`, with tag P for a piece of a line longer than
// the buffer (containerd's partial lines). Used by the runc monitor process that reads a
// container's stdout/stderr pipes. CriLineSplitter is a plain value for one stream; not
// synchronised.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace bosun::runtime {

// containerd cuts lines at 16 KiB and tags the pieces partial.
inline constexpr size_t kCriMaxLineBytes = 16 * 1024;

// RFC 3339 with nine fractional digits in UTC; fixed width, so log files sort as text.
// Allocation-free into out (at least 31 bytes); returns the length written.
size_t format_cri_timestamp(int64_t unix_nanos, char* out);

// One full log line including the trailing newline.
std::string format_cri_log_line(int64_t unix_nanos, std::string_view stream, bool partial,
                                std::string_view message);

// Splits one stream's bytes into CRI lines and appends them to a file descriptor.
class CriLineSplitter {
 public:
  CriLineSplitter(int fd, std::string_view stream) : fd_(fd), stream_(stream) {}
  // Bytes read from the stream at time unix_nanos.
  void feed(const char* data, size_t n, int64_t unix_nanos);
  // End of stream: a last line without a newline is still written, as full.
  void finish(int64_t unix_nanos);
  // Later lines go to fd (the log was reopened after a rotation).
  void set_fd(int fd) { fd_ = fd; }

 private:
  void emit(std::string_view message, bool partial, int64_t unix_nanos);
  int fd_;
  std::string stream_;
  std::string pending_;
};

}  // namespace bosun::runtime
