// main() of bosun-runc-monitor, the small program the agent starts as each container's monitor
// (runtime/runc_monitor_program.h). Compiled only into that program (BOSUN_RUNC_MONITOR_MAIN); in
// the runtime library this file is empty. The monitor itself is runc_monitor.cc's constructor,
// which takes over before main() when the agent started the program (BOSUN_RUNC_MONITOR=1), so the
// program and a re-executed agent run the very same code.
#ifdef BOSUN_RUNC_MONITOR_MAIN

#include <cstdio>

#include "runtime/runc_monitor.h"

namespace {

// A reference to runc_monitor.cc, so the static link takes it (and its constructor) in.
[[maybe_unused]] __attribute__((used)) const auto kMonitor = &bosun::runtime::spawn_runc_monitor;

}  // namespace

int main() {
  std::fputs("bosun-runc-monitor: started by the bosun agent for each container, not by hand\n",
             stderr);
  return 2;
}

#endif  // BOSUN_RUNC_MONITOR_MAIN
