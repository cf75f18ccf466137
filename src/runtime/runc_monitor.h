// The per-container monitor process behind Runc::create (internal to the runtime module). The agent
// starts the small bosun-runc-monitor program (runc_monitor_program.h), or re-executes its own
// binary (/proc/self/exe, as runc does for `runc init`), with BOSUN_RUNC_MONITOR=1; a constructor
// in runc_monitor.cc catches that before main() and runs the monitor instead, so every program that
// links the runtime (bosun, tests, benchmarks, the monitor program) can be one.
// Thread-safe: spawn_runc_monitor only forks and waits.
#pragma once

#include "common/result.h"
#include "runtime/runc.h"

namespace bosun::runtime {

// Starts a detached monitor (its own session, re-parented away from the agent) that runs
// `runc create` and then stays as the container init's parent (a child subreaper): it logs the
// container's output in CRI format, holds its stdin pipe or terminal master and serves
// <bundle>/attach.sock for `kubectl attach` (runtime/container_attach.h), and writes
// <bundle>/exit.json when the init exits. Returns the init's pid once runc create has succeeded,
// or runc's error.
Result<int> spawn_runc_monitor(const RuncOptions& runc, const CreateOptions& create);

// The two halves of spawn_runc_monitor: the monitor is started and sets up, then waits on
// `*channel` (a socket) for the word to run runc; finish_runc_monitor gives it and reads the reply.
// Closing the channel instead ends the waiting monitor. `*child` is the spawned process to reap.
Result<void> start_runc_monitor(const RuncOptions& runc, const CreateOptions& create, int* child,
                                int* channel);
Result<int> finish_runc_monitor(const std::string& id, bool run, int child, int channel);

// The descriptors a spawned program starts with: stdin, stdout and stderr (-1: /dev/null) and,
// if fd3 >= 0, that descriptor as number 3. Every other descriptor is closed.
struct SpawnFds {
  int in = -1;
  int out = -1;
  int err = -1;
  int fd3 = -1;
};

// posix_spawn (a vfork-style clone: the cost does not grow with the caller's size, and no caller
// code runs in the child) of path with those descriptors, every signal at its default and none
// blocked, in a session of its own if new_session. Returns 0 with *pid set, or the errno.
int spawn_process(pid_t* pid, const char* path, char* const argv[], char* const envp[],
                  const SpawnFds& fds, bool new_session = false);

}  // namespace bosun::runtime
