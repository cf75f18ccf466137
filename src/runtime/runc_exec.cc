#include "runtime/runc_exec.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace bosun::runtime {

namespace {

Error sys_error(const std::string& what) {
  return make_error(ErrorCode::kInternal, what + ": " + std::strerror(errno));
}

void set_nonblocking(int fd) {
  if (fd >= 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

}  // namespace

RuncExecProcess::~RuncExecProcess() {
  if (!waited_) {
    kill();
    (void)wait();
  }
  if (tty_) {
    if (stdout_fd_ >= 0) ::close(stdout_fd_);  // the one pty master
  } else {
    for (int fd : {stdin_fd_, stdout_fd_, stderr_fd_}) {
      if (fd >= 0) ::close(fd);
    }
  }
  std::error_code ec;
  if (!temp_dir_.empty()) std::filesystem::remove_all(temp_dir_, ec);
}

void RuncExecProcess::close_stdin() {
  if (tty_) {
    // A terminal has no end of input of its own: ^D (VEOF) is how the line discipline ends a read.
    const char eot = 0x04;
    if (stdin_fd_ >= 0) (void)::write(stdin_fd_, &eot, 1);
    return;
  }
  if (stdin_fd_ >= 0) {
    ::close(stdin_fd_);
    stdin_fd_ = -1;
  }
}

void RuncExecProcess::resize(uint16_t width, uint16_t height) {
  if (!tty_ || stdout_fd_ < 0) return;
  winsize ws{};
  ws.ws_col = width;
  ws.ws_row = height;
  ::ioctl(stdout_fd_, TIOCSWINSZ, &ws);
}

Result<int> RuncExecProcess::wait() {
  if (waited_) return make_error(ErrorCode::kInternal, "runc exec already waited for");
  int status = 0;
  while (::waitpid(runc_pid_, &status, 0) < 0) {
    if (errno != EINTR) return sys_error("waitpid runc exec");
  }
  waited_ = true;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void RuncExecProcess::kill() {
  if (waited_) return;
  std::ifstream in(temp_dir_ + "/pid");
  int pid = 0;
  if (in >> pid && pid > 0) ::kill(pid, SIGKILL);
  ::kill(runc_pid_, SIGKILL);
}

Result<std::unique_ptr<RuncExecProcess>> exec_streaming(const Runc& runc, std::string_view id,
                                                        const std::vector<std::string>& args,
                                                        bool tty, bool with_stdin) {
  if (args.empty()) return make_error(ErrorCode::kBadRequest, "exec needs a command");
  std::unique_ptr<RuncExecProcess> p(new RuncExecProcess());
  char tmpl[] = "/tmp/bosun-exec-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return sys_error("mkdtemp");
  p->temp_dir_ = tmpl;
  p->tty_ = tty;
  std::vector<std::string> full = {
      runc.options().runc_path, "--root", runc.options().state_root, "exec", "--pid-file",
      p->temp_dir_ + "/pid"};
  // With a terminal, runc is given one: a pty whose slave is its stdio and controlling terminal.
  // runc then makes the container's pty, copies between the two in raw mode, and passes on window
  // size changes (SIGWINCH), as it does for `runc exec -t` from a shell. (--console-socket would
  // need --detach, which loses the exit status.)
  int master = -1;
  std::string slave_name;
  if (tty) {
    master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
      Error e = sys_error("posix_openpt");
      if (master >= 0) ::close(master);
      return e;
    }
    char name[128];
    if (::ptsname_r(master, name, sizeof name) != 0) {
      Error e = sys_error("ptsname");
      ::close(master);
      return e;
    }
    slave_name = name;
    winsize ws{};
    ws.ws_col = 80;
    ws.ws_row = 24;
    ::ioctl(master, TIOCSWINSZ, &ws);
    full.emplace_back("--tty");
  }
  full.emplace_back(id);
  full.insert(full.end(), args.begin(), args.end());

  int in_pipe[2] = {-1, -1}, out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
  auto close_all = [&] {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
      if (fd >= 0) ::close(fd);
    }
    if (master >= 0) ::close(master);
  };
  if (!tty) {
    if ((with_stdin && ::pipe2(in_pipe, O_CLOEXEC) != 0) || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
        ::pipe2(err_pipe, O_CLOEXEC) != 0) {
      Error e = sys_error("pipe");
      close_all();
      return e;
    }
  }
  std::vector<char*> argv;
  for (auto& a : full) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    Error e = sys_error("fork");
    close_all();
    return e;
  }
  if (pid == 0) {
    int devnull = ::open("/dev/null", O_RDWR);
    if (tty) {
      ::setsid();
      int slave = ::open(slave_name.c_str(), O_RDWR);
      if (slave < 0) ::_exit(126);
      ::ioctl(slave, TIOCSCTTY, 0);
      ::dup2(slave, 0);
      ::dup2(slave, 1);
      ::dup2(slave, 2);
    } else {
      ::dup2(in_pipe[0] >= 0 ? in_pipe[0] : devnull, 0);
      ::dup2(out_pipe[1] >= 0 ? out_pipe[1] : devnull, 1);
      ::dup2(err_pipe[1] >= 0 ? err_pipe[1] : devnull, 2);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  p->runc_pid_ = pid;
  if (tty) {
    p->stdout_fd_ = master;
    p->stdin_fd_ = master;
    set_nonblocking(master);
    return p;
  }
  for (int* fd : {&in_pipe[0], &out_pipe[1], &err_pipe[1]}) {
    if (*fd >= 0) ::close(*fd);
    *fd = -1;
  }
  p->stdin_fd_ = in_pipe[1];
  p->stdout_fd_ = out_pipe[0];
  p->stderr_fd_ = err_pipe[0];
  set_nonblocking(p->stdin_fd_);
  set_nonblocking(p->stdout_fd_);
  set_nonblocking(p->stderr_fd_);
  return p;
}

}  // namespace bosun::runtime
