// Test helpers for the runtime's container tests (runc_testlib.cc): a busybox root filesystem, a
// scratch directory removed on destruction, and the root/runc preconditions. Not thread-safe;
// one per test.
#pragma once

#include <string>

#include "common/result.h"

namespace bosun::runtime::runc_testing {

inline constexpr const char* kRuncPath = "/usr/sbin/runc";
inline constexpr const char* kBusyboxPath = "/bin/busybox";

// Why container tests cannot run here ("" when they can): not root, no runc, no busybox.
std::string container_test_skip_reason();

// <dir>/bin/busybox (Debian's busybox-static) with applet symlinks (sh, echo, sleep, cat, nc, ...)
// and the empty directories a container needs (/etc, /tmp, /proc, /sys, /dev).
Result<void> make_busybox_rootfs(const std::string& dir);

// A fresh directory under /tmp, removed (after unmounting anything left below it) on destruction.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& prefix);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Whether a process still runs (a zombie waiting for the node's init to reap it does not).
bool process_running(int pid);

// Mount points under a directory, from /proc/self/mountinfo (tests check nothing leaked).
int mounts_under(const std::string& dir);

}  // namespace bosun::runtime::runc_testing
