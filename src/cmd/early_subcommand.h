// The subcommand of a bosun command line, found before main() and before any allocator or static
// constructor has run (malloc_conf.cc, agent_program.cc read it from .preinit_array). Plain C
// string work only; thread-safe (reads its arguments).
#pragma once

#include <cstring>

namespace bosun::cmd {

// The first argument that is neither an option nor the value of the one global option that takes a
// separate value (`bosun --log-level debug agent ...`); "" when there is none.
inline const char* early_subcommand(int argc, char** argv) {
  if (argv == nullptr) return "";
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (a == nullptr) break;
    if (std::strcmp(a, "--log-level") == 0) {
      ++i;
      continue;
    }
    if (a[0] == '-') continue;
    return a;
  }
  return "";
}

}  // namespace bosun::cmd
