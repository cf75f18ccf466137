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

// Closes the descriptor it holds when it goes, unless released.
struct OwnedFd {
  int fd = -1;
  ~OwnedFd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

}  // namespace

int runc_memfd_seals() { return F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE; }

Result<SealedBinary> SealedBinary::copy_of(const std::string& path) {
  OwnedFd src{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (src.fd < 0) return failure("open", path);
  struct stat st {};
  if (::fstat(src.fd, &st) != 0) return failure("stat", path);
  if (!S_ISREG(st.st_mode)) {
    errno = EINVAL;
    return failure("not a regular file", path);
  }
  // The name shows in /proc/<pid>/exe of what runs from it: "/memfd:runc (deleted)".
  std::string name = path.substr(path.rfind('/') + 1);
  OwnedFd copy{::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING)};
  if (copy.fd < 0) return failure("memfd_create", path);
  off_t offset = 0;
  while (offset < st.st_size) {
    ssize_t n = ::sendfile(copy.fd, src.fd, &offset, static_cast<size_t>(st.st_size - offset));
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) errno = EIO;  // the file shrank under us
    if (n <= 0) return failure("copy", path);
  }
  // Executable by everyone who could run the original; no one can write it from here on.
  if (::fchmod(copy.fd, st.st_mode & 0755) != 0 ||
      ::fcntl(copy.fd, F_ADD_SEALS, runc_memfd_seals()) != 0) {
    return failure("seal", path);
  }
  int fd = copy.release();
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
