#include "agent/runc_runtime_files.h"

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/time_format.h"

namespace bosun::agent::runtime_files {

Error internal(std::string message) { return make_error(ErrorCode::kInternal, std::move(message)); }

Result<void> write_file_atomic(const std::string& path, std::string_view content) {
  // A name of its own per write: a relist and a pod worker may save the same record at once.
  static std::atomic<uint64_t> counter{0};
  std::string tmp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return internal("create " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return internal("write " + tmp + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return internal("rename " + tmp + ": " + std::strerror(err));
  }
  return ok_result();
}

namespace {

Result<std::string> read_from(const std::string& path, size_t max_bytes, bool tail) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal,
                      "open " + path + ": " + std::strerror(err));
  }
  if (tail) {
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        static_cast<size_t>(st.st_size) > max_bytes) {
      ::lseek(fd, st.st_size - static_cast<off_t>(max_bytes), SEEK_SET);
    }
  }
  std::string out;
  char buf[16384];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

}  // namespace

Result<std::string> read_text(const std::string& path) {
  return read_from(path, size_t{64} << 20, false);
}

Result<std::string> read_tail(const std::string& path, size_t max_bytes) {
  return read_from(path, max_bytes, true);
}

std::string time_text(std::chrono::system_clock::time_point t) {
  if (t.time_since_epoch().count() == 0) return "";
  auto secs = std::chrono::floor<std::chrono::seconds>(t);
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(t - secs).count();
  std::string whole = format_rfc3339(secs);  // "...Z"
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%09lld", static_cast<long long>(nanos));
  return whole.substr(0, whole.size() - 1) + frac + "Z";
}

std::chrono::system_clock::time_point parse_time(std::string_view text) {
  if (text.empty()) return {};
  auto t = parse_rfc3339(text);
  return t.ok() ? *t : std::chrono::system_clock::time_point{};
}

std::string new_container_id() {
  unsigned char bytes[32];
  size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = ::getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  static const char kHex[] = "0123456789abcdef";
  std::string id;
  id.reserve(64);
  for (unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 15]);
  }
  return id;
}

bool valid_container_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return id != "." && id != "..";
}

}  // namespace bosun::agent::runtime_files
