// `bosun agent` runs as bosun-agent (agent_main.cc) when that program sits beside the bosun binary:
// this file, linked into bosun only, replaces the process with it (execve, the same arguments and
// environment) from .preinit_array, before the big binary's allocator and static constructors
// run. An idle agent then maps only the code a node needs (bench/results.md: node agent idle
// memory). Without the program, or with BOSUN_AGENT_IN_PROCESS=1, the agent runs inside bosun as
// before. Runs once, single-threaded, before any constructor.
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include <cstring>
#include <initializer_list>

#include "cmd/early_subcommand.h"

namespace {

constexpr const char kAgentProgramName[] = "bosun-agent";
constexpr const char kInProcessEnv[] = "BOSUN_AGENT_IN_PROCESS=";

bool wants_in_process(char** envp) {
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, kInProcessEnv, sizeof kInProcessEnv - 1) == 0) {
      const char* value = *e + sizeof kInProcessEnv - 1;
      return value[0] != '\0' && std::strcmp(value, "0") != 0;
    }
  }
  return false;
}

// Static buffers and raw write(2): neither the allocator nor stdio may be used this early.
void exec_agent_program(int argc, char** argv, char** envp) {
  if (std::strcmp(bosun::cmd::early_subcommand(argc, argv), "agent") != 0) return;
  if (wants_in_process(envp)) return;
  static char program[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", program, sizeof program - 1);
  if (n <= 0) return;
  program[n] = '\0';
  char* slash = std::strrchr(program, '/');
  if (slash == nullptr ||
      static_cast<size_t>(slash + 1 - program) + sizeof kAgentProgramName > sizeof program) {
    return;
  }
  std::memcpy(slash + 1, kAgentProgramName, sizeof kAgentProgramName);
  // argv[0] stays as the user typed it, so ps and error messages still read `bosun agent`; the
  // monitor and runc are found from /proc/self/exe, which is now bosun-agent beside bosun.
  ::execve(program, argv, envp);
  if (errno == ENOENT) return;  // no agent program installed: run here
  const char* why = std::strerror(errno);
  for (const char* part : {"bosun agent: cannot run ", static_cast<const char*>(program), ": ", why,
                           "; running the agent in this process\n"}) {
    [[maybe_unused]] ssize_t w = ::write(2, part, std::strlen(part));
  }
}

__attribute__((section(".preinit_array"),
               used)) void (*const kExecAgentProgram)(int, char**, char**) = exec_agent_program;

}  // namespace
