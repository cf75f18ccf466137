#include "runtime/runc_monitor_program.h"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>

namespace bosun::runtime {
namespace {

bool executable_file(const std::string& path) {
  struct stat st;
  return !path.empty() && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

}  // namespace

std::string find_runc_monitor_program(const std::string& self_exe, const std::string& build_path) {
  // Beside the binary first: an installed bosun ships its monitor next to it, and a build tree
  // writes both to the same directory.
  const size_t slash = self_exe.rfind('/');
  if (slash != std::string::npos) {
    std::string beside = self_exe.substr(0, slash + 1) + kRuncMonitorProgramName;
    if (executable_file(beside)) return beside;
  }
  if (executable_file(build_path)) return build_path;
  return "/proc/self/exe";
}

const std::string& runc_monitor_program() {
  static const std::string program = [] {
    char buf[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    std::string self = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
#ifdef BOSUN_RUNC_MONITOR_BUILD_PATH
    // Tests and benchmarks run from other directories of the build tree than the program.
    return find_runc_monitor_program(self, BOSUN_RUNC_MONITOR_BUILD_PATH);
#else
    return find_runc_monitor_program(self, "");
#endif
  }();
  return program;
}

}  // namespace bosun::runtime
