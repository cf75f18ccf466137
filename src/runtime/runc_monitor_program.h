// Which program the agent starts as a container's monitor (runtime/runc_monitor.h): the small
// bosun-runc-monitor executable when there is one, beside the running binary or where the build
// tree wrote it, else the running binary itself, re-executed. Used by spawn_runc_monitor.
// Thread-safe: the answer is found once per process.
#pragma once

#include <string>

namespace bosun::runtime {

inline constexpr const char* kRuncMonitorProgramName = "bosun-runc-monitor";

// The path to execute for a monitor.
const std::string& runc_monitor_program();

// The search behind runc_monitor_program, with its inputs given: `<dir of self_exe>/`
// kRuncMonitorProgramName, then `build_path` (may be empty); the first executable regular file
// wins, else "/proc/self/exe" (every program that links the runtime can be a monitor).
std::string find_runc_monitor_program(const std::string& self_exe, const std::string& build_path);

}  // namespace bosun::runtime
