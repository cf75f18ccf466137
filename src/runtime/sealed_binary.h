// One copy of a program in a sealed memfd, executed through /proc/<pid>/fd/<fd>. For runc: before
// each container's init, runc makes sure the binary it runs cannot be overwritten from inside the
// container (CVE-2019-5736). Debian's runc 1.1.5 does it with a read-only bind mount of its own
// binary and a second exec per container (two mounts, an unmount and the dynamic loading of an
// 8 MB program again); it skips all of that when its binary is a memfd sealed against writing and
// resizing, which is what runc's own memfd-bind tool provides. Copying runc once per agent gives
// every container that protection for free.
#pragma once

#include <string>

#include "common/result.h"

namespace bosun::runtime {

class SealedBinary {
 public:
  // Copies the program at `path` into a memfd with runc's seals (no write, shrink, grow, or further
  // sealing).
  static Result<SealedBinary> copy_of(const std::string& path);

  SealedBinary(SealedBinary&& other) noexcept;
  SealedBinary& operator=(SealedBinary&& other) noexcept;
  SealedBinary(const SealedBinary&) = delete;
  SealedBinary& operator=(const SealedBinary&) = delete;
  ~SealedBinary();

  // /proc/<this process>/fd/<fd>: executable by any process of the machine (root's, or this
  // process's user's) while this object lives, including the children of the children we spawn.
  const std::string& path() const { return path_; }

 private:
  SealedBinary(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_ = -1;
  std::string path_;
};

// The seals runc checks for (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE).
int runc_memfd_seals();

}  // namespace bosun::runtime
