// A streaming `runc exec`: the command's stdin, stdout and stderr as pipes, or with a terminal a
// pty (runc's own terminal, which runc relays to the container's and resizes on SIGWINCH), for
// `kubectl exec` and its -i/-t. A RuncExecProcess belongs to one session: not synchronised,
// except that kill() and resize() may be called from another thread than wait().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/runc.h"

namespace bosun::runtime {

class RuncExecProcess {
 public:
  ~RuncExecProcess();  // kills the process if it still runs, closes the fds
  RuncExecProcess(const RuncExecProcess&) = delete;
  RuncExecProcess& operator=(const RuncExecProcess&) = delete;

  // Without a tty: pipes (stdin -1 unless asked for). With one: the pty master for all three
  // (stderr -1). The fds are non-blocking.
  int stdin_fd() const { return stdin_fd_; }
  int stdout_fd() const { return stdout_fd_; }
  int stderr_fd() const { return stderr_fd_; }
  bool tty() const { return tty_; }

  void close_stdin();
  // TIOCSWINSZ on the pty master.
  void resize(uint16_t width, uint16_t height);
  // Blocks until runc exits; runc passes the command's status through (128 + signal when killed).
  Result<int> wait();
  // SIGKILL to the command in the container (its pid from --pid-file), then to runc.
  void kill();

 private:
  friend Result<std::unique_ptr<RuncExecProcess>> exec_streaming(const Runc&, std::string_view,
                                                                 const std::vector<std::string>&,
                                                                 bool, bool);
  RuncExecProcess() = default;

  pid_t runc_pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  int stderr_fd_ = -1;
  bool tty_ = false;
  bool waited_ = false;
  std::string temp_dir_;  // holds the pid file
};

Result<std::unique_ptr<RuncExecProcess>> exec_streaming(const Runc& runc, std::string_view id,
                                                        const std::vector<std::string>& args,
                                                        bool tty, bool with_stdin);

}  // namespace bosun::runtime
