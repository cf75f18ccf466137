#include "runtime/runc_monitor.h"

#include "common/file_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "runtime/cgroup.h"
#include "runtime/container_attach.h"
#include "runtime/runc_log.h"
#include "runtime/runc_monitor_program.h"

extern char** environ;

namespace bosun::runtime {
namespace {

constexpr const char* kMonitorEnv = "BOSUN_RUNC_MONITOR";
constexpr int kSyncFd = 3;
// After the init exits, output still in flight (or held by a process that escaped the container's
// pid namespace, e.g. with hostPID) is read for at most this long before the exit is recorded.
constexpr int kDrainMillis = 2000;

int64_t now_nanos() {
  timespec ts;
  ::clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

int64_t mono_millis() {
  timespec ts;
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

void write_all(int fd, std::string_view s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

// No fsync: after a machine crash the containers are gone too, and the agent starts over.
bool write_record(const std::string& path, std::string_view content) {
  return bosun::write_file_atomic(path, content, {.durable = false}).ok();
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// runc logs JSON lines with --log-format json; the last error is what `runc create` failed on.
std::string runc_error(const std::string& log_path, const std::string& stderr_text, int status) {
  std::string message;
  std::istringstream in(read_text(log_path));
  std::string line;
  while (std::getline(in, line)) {
    try {
      Json j = Json::parse(line);
      if (j.value("level", "") == "error") message = j.value("msg", "");
    } catch (const std::exception&) {
    }
  }
  if (message.empty() && !stderr_text.empty()) message = stderr_text;
  while (!message.empty() && (message.back() == '\n' || message.back() == '\r')) message.pop_back();
  if (message.empty()) message = "runc exited with status " + std::to_string(status);
  for (char& c : message) {
    if (c == '\n') c = ' ';
  }
  return message;
}

// runc hands over the terminal's master (created inside the container) on --console-socket with
// SCM_RIGHTS while it creates the container; it has exited by now, so the connection waits in
// the backlog.
int receive_console(int listen_fd, std::string* error) {
  pollfd p{listen_fd, POLLIN, 0};
  if (::poll(&p, 1, 10000) <= 0) {
    *error = "runc sent no terminal on its console socket";
    return -1;
  }
  int conn = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn < 0) {
    *error = std::string("accept console: ") + std::strerror(errno);
    return -1;
  }
  char data[256];
  iovec iov{data, sizeof data};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n;
  do {
    n = ::recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  ::close(conn);
  cmsghdr* c = n >= 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
    *error = "runc sent no terminal on its console socket";
    return -1;
  }
  int fd;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

// The container init's pid from runc's state (<root>/<id>/state.json, what `runc state` reads), or
// 0. The one number is all this needs of the ~9 KB document, so it is found rather than parsed.
int init_pid_of(const std::string& root, const std::string& id) {
  const std::string state = read_text(root + "/" + id + "/state.json");
  constexpr std::string_view kKey = "\"init_process_pid\":";
  const size_t at = state.find(kKey);
  if (at == std::string::npos) return 0;
  size_t i = at + kKey.size();
  while (i < state.size() && state[i] == ' ') ++i;
  int pid = 0;
  std::from_chars(state.data() + i, state.data() + state.size(), pid);
  return pid;
}

// The agent's word to run runc: "go\n" on the channel; false on its end (closed without it). An
// agent from before prepared monitors hands a pipe and says nothing: run at once.
bool wait_for_go(int fd) {
  struct stat st;
  if (::fstat(fd, &st) == 0 && !S_ISSOCK(st.st_mode)) return true;
  char c;
  std::string word;
  while (true) {
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    if (c == '\n') return word == "go";
    word.push_back(c);
    if (word.size() > 8) return false;
  }
}

int monitor_main(int argc, char** argv) {
  if (argc != 8) return 2;
  const std::string runc = argv[1], root = argv[2], id = argv[3], bundle = argv[4],
                    log_path = argv[5], verb = argv[6], flags = argv[7];
  AttachOptions stdio;
  stdio.stdin = flags.find('i') != std::string::npos;
  stdio.stdin_once = flags.find('o') != std::string::npos;
  stdio.tty = flags.find('t') != std::string::npos;
  ::unsetenv(kMonitorEnv);
  // Writing to the stdin of a container that closed it must fail with EPIPE, not end the monitor.
  ::signal(SIGPIPE, SIG_IGN);
  // Leave the agent's family: the spawned process exits at once (the agent reaps it) and this one,
  // re-parented to init, outlives an agent restart.
  pid_t daemon = ::fork();
  if (daemon < 0) return 2;
  if (daemon > 0) ::_exit(0);
  if (::chdir("/") != 0) return 2;
  auto fail = [&](const std::string& message) {
    write_all(kSyncFd, "error " + message + "\n");
    return 1;
  };
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  sigset_t chld;
  ::sigemptyset(&chld);
  ::sigaddset(&chld, SIGCHLD);
  ::sigaddset(&chld, SIGUSR1);  // reopen the log (Runc::reopen_log)
  ::sigprocmask(SIG_BLOCK, &chld, nullptr);
  int sfd = ::signalfd(-1, &chld, SFD_CLOEXEC);
  if (sfd < 0) return fail(std::string("signalfd: ") + std::strerror(errno));

  std::string pid_file = bundle + "/" + kMonitorPidFile;
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log_fd < 0) return fail("open log " + log_path + ": " + std::strerror(errno));
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  // Without a terminal the container's stdin is a pipe this process holds (never closed unless
  // stdinOnce says so, so a reader waits for input rather than seeing EOF, as with containerd);
  // with one, runc makes the terminal and hands its master to the console socket.
  int in[2] = {-1, -1};
  if (stdio.stdin && !stdio.tty && ::pipe2(in, O_CLOEXEC) != 0) {
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  std::string console_dir, console_path;
  int console_listen = -1;
  if (stdio.tty) {
    // A short path of its own: runc connects to it, and sun_path holds 108 bytes.
    char tmpl[] = "/tmp/bosun-console-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return fail(std::string("mkdtemp: ") + std::strerror(errno));
    console_dir = tmpl;
    console_path = console_dir + "/c.sock";
    console_listen = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, console_path.c_str(), console_path.size() + 1);
    if (console_listen < 0 ||
        ::bind(console_listen, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(console_listen, 1) != 0) {
      std::string e = std::string("console socket: ") + std::strerror(errno);
      ::rmdir(console_dir.c_str());
      return fail(e);
    }
  }
  auto remove_console = [&] {
    if (console_listen >= 0) ::close(console_listen);
    console_listen = -1;
    if (!console_dir.empty()) {
      ::unlink(console_path.c_str());
      ::rmdir(console_dir.c_str());
      console_dir.clear();
    }
  };

  std::string runc_log = bundle + "/" + kRuncLogFile;
  std::vector<std::string> args = {runc, "--root", root, "--log", runc_log, "--log-format", "json"};
  if (verb == "run") {
    // create + start in one runc process: one Go start-up fewer when nothing happens in between.
    args.insert(args.end(), {"run", "--detach"});
  } else {
    args.push_back("create");
  }
  if (stdio.tty) args.insert(args.end(), {"--console-socket", console_path});
  // No --pid-file: runc writes it with O_SYNC, a disk flush on every container start; the init's
  // pid is in the state runc keeps anyway (init_pid_of).
  args.insert(args.end(), {"--bundle", bundle, id});
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);

  // Set up ahead of the container (Runc::prepare): runc runs once the agent says so; the agent
  // closing the channel instead (the container was removed, or the agent is gone) ends this.
  if (!wait_for_go(kSyncFd)) {
    remove_console();
    return 0;
  }
  // Without a terminal runc passes its own stdio to the container: these pipes become its stdout
  // and stderr. The container must not inherit this process's signal mask (SIGCHLD blocked) nor
  // its ignored SIGPIPE.
  pid_t runc_pid = -1;
  if (int rc = spawn_process(&runc_pid, cargs[0], cargs.data(), environ,
                             SpawnFds{in[0], out[1], err[1]});
      rc != 0) {
    remove_console();
    return fail("spawn " + runc + ": " + std::strerror(rc));
  }
  ::close(out[1]);
  ::close(err[1]);
  if (in[0] >= 0) ::close(in[0]);
  // Written while runc runs: nothing reads it before the agent has this monitor's reply.
  write_record(pid_file, std::to_string(::getpid()));
  int st = 0;
  while (::waitpid(runc_pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    int flags = ::fcntl(err[0], F_GETFL);
    ::fcntl(err[0], F_SETFL, flags | O_NONBLOCK);
    char buf[4096];
    ssize_t n = ::read(err[0], buf, sizeof buf);
    std::string stderr_text = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
    ::unlink(pid_file.c_str());
    remove_console();
    return fail(
        runc_error(runc_log, stderr_text, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)));
  }
  int master = -1;
  if (stdio.tty) {
    std::string error;
    master = receive_console(console_listen, &error);
    remove_console();
    if (master < 0) {
      ::unlink(pid_file.c_str());
      return fail(error);
    }
    ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
    // A terminal of size 0x0 confuses full-screen programs until the first attach resizes it.
    winsize ws{};
    if (::ioctl(master, TIOCGWINSZ, &ws) == 0 && ws.ws_col == 0 && ws.ws_row == 0) {
      ws.ws_col = 80;
      ws.ws_row = 24;
      ::ioctl(master, TIOCSWINSZ, &ws);
    }
  }
  auto listen = listen_attach_socket(bundle);
  if (!listen.ok()) {
    ::unlink(pid_file.c_str());
    return fail(listen.error().message);
  }
  std::string attach_socket = bundle + "/" + kAttachSocketFile;
  const int init_pid = init_pid_of(root, id);
  if (init_pid <= 0) {
    ::unlink(pid_file.c_str());
    return fail("runc " + verb + " left no state with the container's pid");
  }
  write_all(kSyncFd, "ok " + std::to_string(init_pid) + "\n");
  ::close(kSyncFd);
  // After the reply, off the agent's path: the pid record (an agent restarting after a crash dates
  // a start it did not record by it), and the cgroup, found now so that the OOM counter can be read
  // after the init dies. An absolute cgroupsPath is where runc put it in every hierarchy; otherwise
  // ask the init (which `run` may already have lost).
  write_record(bundle + "/" + kInitPidFile, std::to_string(init_pid));
  Result<CgroupPaths> cgroup = make_error(ErrorCode::kNotFound, "no cgroup");
  try {
    Json config = Json::parse(read_text(bundle + "/config.json"));
    std::string path = config.at("linux").value("cgroupsPath", "");
    if (!path.empty() && path[0] == '/') cgroup = cgroup_paths_of(path);
  } catch (const std::exception&) {
  }
  if (!cgroup.ok()) cgroup = cgroup_paths_of_pid(init_pid);

  CriLineSplitter splitters[2] = {CriLineSplitter(log_fd, "stdout"),
                                  CriLineSplitter(log_fd, "stderr")};
  int stream_fds[2] = {out[0], err[0]};
  if (master >= 0) {
    // A terminal's output is all stdout in the CRI log, as containerd writes it; runc's own
    // pipes carry nothing once it has exited.
    ::close(out[0]);
    ::close(err[0]);
    stream_fds[0] = master;
    stream_fds[1] = -1;
  }
  AttachHub hub(*listen, stdio.tty ? (stdio.stdin ? master : -1) : in[1], !stdio.tty, stdio);
  hub.set_resize_handler([&](uint16_t width, uint16_t height) {
    if (stream_fds[0] < 0 || master < 0) return;
    winsize ws{};
    ws.ws_col = width;
    ws.ws_row = height;
    ::ioctl(master, TIOCSWINSZ, &ws);
  });
  std::vector<pollfd> fds;
  bool exited = false;
  int status = 0;
  int64_t deadline = 0;
  static char buf[64 * 1024];
  while (true) {
    if (exited && stream_fds[0] < 0 && stream_fds[1] < 0) break;
    int timeout = -1;
    if (exited) {
      int64_t left = deadline - mono_millis();
      if (left <= 0) break;
      timeout = static_cast<int>(left);
    }
    fds.assign({{sfd, POLLIN, 0}, {stream_fds[0], POLLIN, 0}, {stream_fds[1], POLLIN, 0}});
    hub.poll_fds(&fds);
    int n = ::poll(fds.data(), fds.size(), timeout);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo si;
      ssize_t r = ::read(sfd, &si, sizeof si);
      if (r == sizeof si && si.ssi_signo == SIGUSR1) {
        int fresh = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fresh >= 0) {
          ::close(log_fd);
          log_fd = fresh;
          for (CriLineSplitter& s : splitters) s.set_fd(log_fd);
        }
        continue;
      }
      pid_t p;
      int s;
      // Orphans re-parented to this subreaper are reaped too; only the init's status matters.
      while ((p = ::waitpid(-1, &s, WNOHANG)) > 0) {
        if (p == init_pid && !exited) {
          exited = true;
          status = s;
          deadline = mono_millis() + kDrainMillis;
        }
      }
    }
    for (int i = 0; i < 2; ++i) {
      if (stream_fds[i] < 0 || !(fds[i + 1].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = ::read(stream_fds[i], buf, sizeof buf);
      if (r > 0) {
        splitters[i].feed(buf, static_cast<size_t>(r), now_nanos());
        hub.broadcast(i == 0 ? kAttachStdout : kAttachStderr, buf, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        // EIO from a terminal's master once nothing holds its other end.
        splitters[i].finish(now_nanos());
        if (stream_fds[i] == master) hub.stdin_gone();
        ::close(stream_fds[i]);
        stream_fds[i] = -1;
      }
    }
    for (size_t i = 3; i < fds.size(); ++i) hub.on_event(fds[i].fd, fds[i].revents);
  }
  // The attached sessions end with the container's output.
  hub.close_all(1000);
  ::unlink(attach_socket.c_str());
  for (CriLineSplitter& s : splitters) s.finish(now_nanos());
  ::close(log_fd);

  int exit_code = 0, signal = 0;
  if (WIFEXITED(status)) {
    exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    signal = WTERMSIG(status);
    exit_code = 128 + signal;
  }
  bool oom = false;
  if (cgroup.ok()) {
    auto count = read_oom_kill_count(*cgroup);
    oom = count.ok() && *count > 0;
  }
  char ts[40];
  size_t tl = format_cri_timestamp(now_nanos(), ts);
  Json record{{"exitCode", exit_code},
              {"signal", signal},
              {"oomKilled", oom},
              {"finishedAt", std::string(ts, tl)},
              {"pid", init_pid}};
  write_record(bundle + "/" + kExitFile, record.dump());
  ::unlink(pid_file.c_str());
  return 0;
}

}  // namespace

Result<void> start_runc_monitor(const RuncOptions& runc, const CreateOptions& create, int* child,
                                int* channel) {
  std::vector<std::string> args = {"bosun-runc-monitor",
                                   runc.runc_path,
                                   runc.state_root,
                                   create.id,
                                   create.bundle_dir,
                                   create.log_path,
                                   create.start ? "run" : "create",
                                   std::string(create.stdin ? "i" : "") +
                                       (create.stdin_once ? "o" : "") + (create.tty ? "t" : "") +
                                       "-"};
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (std::strncmp(*e, "BOSUN_RUNC_MONITOR=", 19) != 0) env.emplace_back(*e);
  }
  env.emplace_back(std::string(kMonitorEnv) + "=1");
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  // A socket rather than a pipe: the agent's word to a monitor that already died fails with EPIPE
  // (MSG_NOSIGNAL) instead of killing the agent with SIGPIPE.
  int sync[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) != 0) {
    return make_error(ErrorCode::kInternal, std::string("socketpair: ") + std::strerror(errno));
  }
  // Its own session: the agent's terminal and process-group signals never reach it. It then forks
  // once more by itself to leave the agent's family.
  static_assert(kSyncFd == 3, "the channel is handed over as SpawnFds::fd3");
  pid_t pid;
  int rc = spawn_process(&pid, runc_monitor_program().c_str(), argv.data(), envp.data(),
                         SpawnFds{-1, -1, -1, sync[1]}, true);
  ::close(sync[1]);
  if (rc != 0) {
    ::close(sync[0]);
    return make_error(ErrorCode::kInternal, std::string("spawn monitor: ") + std::strerror(rc));
  }
  *child = pid;
  *channel = sync[0];
  return ok_result();
}

Result<int> finish_runc_monitor(const std::string& id, bool run, int child, int channel) {
  static constexpr char kGo[] = "go\n";
  // A monitor that failed while setting up has closed its end: its error is read below.
  (void)::send(channel, kGo, sizeof kGo - 1, MSG_NOSIGNAL);
  int st;
  while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  std::string reply;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(channel, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(channel);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.rfind("ok ", 0) == 0) return std::atoi(reply.c_str() + 3);
  if (reply.rfind("error ", 0) == 0) {
    std::string message = reply.substr(6);
    ErrorCode code = message.find("already exists") != std::string::npos ? ErrorCode::kAlreadyExists
                                                                         : ErrorCode::kInternal;
    return make_error(code, std::string(run ? "runc run " : "runc create ") + id + ": " + message);
  }
  return make_error(ErrorCode::kInternal,
                    "runc create " + id + ": the container monitor exited without a reply");
}

Result<int> spawn_runc_monitor(const RuncOptions& runc, const CreateOptions& create) {
  int child = -1, channel = -1;
  BOSUN_RETURN_IF_ERROR(start_runc_monitor(runc, create, &child, &channel));
  return finish_runc_monitor(create.id, create.start, child, channel);
}

int spawn_process(pid_t* pid, const char* path, char* const argv[], char* const envp[],
                  const SpawnFds& fds, bool new_session) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  const int stdio[3] = {fds.in, fds.out, fds.err};
  for (int i = 0; i < 3; ++i) {
    if (stdio[i] < 0) {
      posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
    } else {
      // dup2 onto itself clears close-on-exec (POSIX 2008 TC2, glibc 2.29+).
      posix_spawn_file_actions_adddup2(&fa, stdio[i], i);
    }
  }
  if (fds.fd3 >= 0) posix_spawn_file_actions_adddup2(&fa, fds.fd3, 3);
  // Other threads' descriptors without O_CLOEXEC must not leak into the program.
  posix_spawn_file_actions_addclosefrom_np(&fa, fds.fd3 >= 0 ? 4 : 3);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           static_cast<short>(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                              (new_session ? POSIX_SPAWN_SETSID : 0)));
  int rc = ::posix_spawn(pid, path, &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  return rc;
}

}  // namespace bosun::runtime

// Runs before main() in the re-executed binary; any other process returns at once.
__attribute__((constructor)) static void bosun_runc_monitor_entry(int argc, char** argv,
                                                                  char** /*envp*/) {
  const char* v = std::getenv("BOSUN_RUNC_MONITOR");
  if (v == nullptr || std::strcmp(v, "1") != 0) return;
  ::_exit(bosun::runtime::monitor_main(argc, argv));
}
