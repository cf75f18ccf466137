#include "common/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bosun {

namespace {

Error sys_error(const std::string& what, int err) {
  return make_error(ErrorCode::kInternal, what + ": " + std::strerror(err));
}

std::string parent_dir(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

std::string read_file_or_empty(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<void> fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error("open " + dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return sys_error("fsync " + dir, err);
  return ok_result();
}

Result<void> write_file_atomic(const std::string& path, std::string_view content,
                               AtomicWriteOptions options) {
  std::string tmp = path + ".tmp.XXXXXX";
  int fd = ::mkostemp(tmp.data(), O_CLOEXEC);
  if (fd < 0) return sys_error("create " + tmp, errno);
  auto fail = [&](const std::string& what) -> Error {
    int err = errno;
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    return sys_error(what, err);
  };
  if (::fchmod(fd, options.mode) != 0) return fail("chmod " + tmp);
  size_t off = 0;
  while (off < content.size()) {
    ssize_t n = ::write(fd, content.data() + off, content.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("write " + tmp);
    }
    off += static_cast<size_t>(n);
  }
  if (options.durable && ::fsync(fd) != 0) return fail("fsync " + tmp);
  int rc = ::close(fd);
  fd = -1;
  if (rc != 0) return fail("close " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return fail("rename to " + path);
  if (options.durable) return fsync_directory(parent_dir(path));
  return ok_result();
}

}  // namespace bosun
