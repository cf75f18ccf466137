#include "runtime/sealed_binary.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace bosun::runtime {
namespace {

Error failure(const std::string& what, const std::string& path) {
  return make_error(ErrorCode::kInternal,
                    "sealed copy of " + path + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

int runc_memfd_seals() { return F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE; }

Result<SealedBinary> SealedBinary::copy_of(const std::string& path) {
  int src = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src < 0) return failure("open", path);
  struct stat st {};
  if (::fstat(src, &st) != 0 || !S_ISREG(st.st_mode)) {
    if (errno == 0) errno = EINVAL;
    Error e = failure("not a regular file", path);
    ::close(src);
    return e;
  }
  // The name shows in /proc/<pid>/exe of what runs from it: "/memfd:runc (deleted)".
  std::string name = path.substr(path.rfind('/') + 1);
  int fd = ::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) {
    Error e = failure("memfd_create", path);
    ::close(src);
    return e;
  }
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(fd, src, &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;  // the file shrank under us
      Error e = failure("copy", path);
      ::close(src);
      ::close(fd);
      return e;
    }
  }
  ::close(src);
  // Executable by everyone who could run the original; no one can write it from here on.
  if (::fchmod(fd, st.st_mode & 0755) != 0 || ::fcntl(fd, F_ADD_SEALS, runc_memfd_seals()) != 0) {
    Error e = failure("seal", path);
    ::close(fd);
    return e;
  }
  return SealedBinary(fd, "/proc/" + std::to_string(::getpid()) + "/fd/" + std::to_string(fd));
}

SealedBinary::SealedBinary(SealedBinary&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

SealedBinary& SealedBinary::operator=(SealedBinary&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

SealedBinary::~SealedBinary() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace bosun::runtime
