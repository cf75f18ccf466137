#include "runtime/runc_monitor.h"

#include "common/file_util.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/json.h"
#include "runtime/cgroup.h"
#include "runtime/runc_log.h"

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

void reset_signals_for_exec() {
  // Dispositions and the mask survive exec: the container must not inherit the monitor's.
  sigset_t all;
  ::sigfillset(&all);
  ::sigprocmask(SIG_UNBLOCK, &all, nullptr);
  for (int s = 1; s < NSIG; ++s) ::signal(s, SIG_DFL);
}

int monitor_main(int argc, char** argv) {
  if (argc != 7) return 2;
  const std::string runc = argv[1], root = argv[2], id = argv[3], bundle = argv[4],
                    log_path = argv[5], verb = argv[6];
  ::unsetenv(kMonitorEnv);
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
  write_record(pid_file, std::to_string(::getpid()));
  int log_fd = ::open(log_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (log_fd < 0) return fail("open log " + log_path + ": " + std::strerror(errno));
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    return fail(std::string("pipe: ") + std::strerror(errno));
  }
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);

  std::string runc_log = bundle + "/" + kRuncLogFile;
  std::string init_pid_file = bundle + "/" + kInitPidFile;
  std::vector<std::string> args = {runc, "--root", root, "--log", runc_log, "--log-format", "json"};
  if (verb == "run") {
    // create + start in one runc process: one Go start-up fewer when nothing happens in between.
    args.insert(args.end(), {"run", "--detach"});
  } else {
    args.push_back("create");
  }
  args.insert(args.end(), {"--bundle", bundle, "--pid-file", init_pid_file, id});
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);

  pid_t runc_pid = ::fork();
  if (runc_pid < 0) return fail(std::string("fork: ") + std::strerror(errno));
  if (runc_pid == 0) {
    reset_signals_for_exec();
    // Without a terminal runc passes its own stdio to the container: these pipes become its
    // stdout and stderr.
    ::dup2(devnull, 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::close_range(3, ~0U, 0);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
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
    return fail(
        runc_error(runc_log, stderr_text, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)));
  }
  int init_pid = std::atoi(read_text(init_pid_file).c_str());
  if (init_pid <= 0) return fail("runc create wrote no pid file");
  // Found now, so the OOM counter can be read after the init dies. An absolute cgroupsPath is where
  // runc put it in every hierarchy; otherwise ask the init (which `run` may already have lost).
  Result<CgroupPaths> cgroup = cgroup_paths_of_pid(init_pid);
  try {
    Json config = Json::parse(read_text(bundle + "/config.json"));
    std::string path = config.at("linux").value("cgroupsPath", "");
    if (!path.empty() && path[0] == '/') cgroup = cgroup_paths_of(path);
  } catch (const std::exception&) {
  }
  write_all(kSyncFd, "ok " + std::to_string(init_pid) + "\n");
  ::close(kSyncFd);

  CriLineSplitter splitters[2] = {CriLineSplitter(log_fd, "stdout"),
                                  CriLineSplitter(log_fd, "stderr")};
  int stream_fds[2] = {out[0], err[0]};
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
    pollfd fds[3] = {{sfd, POLLIN, 0}, {stream_fds[0], POLLIN, 0}, {stream_fds[1], POLLIN, 0}};
    int n = ::poll(fds, 3, timeout);
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
      } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
        splitters[i].finish(now_nanos());
        ::close(stream_fds[i]);
        stream_fds[i] = -1;
      }
    }
  }
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

Result<int> spawn_runc_monitor(const RuncOptions& runc, const CreateOptions& create) {
  std::vector<std::string> args = {"bosun-runc-monitor",
                                   runc.runc_path,
                                   runc.state_root,
                                   create.id,
                                   create.bundle_dir,
                                   create.log_path,
                                   create.start ? "run" : "create"};
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

  int sync[2];
  if (::pipe2(sync, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  // posix_spawn (a vfork-style clone) costs the same however large the agent is, and runs no agent
  // code in the child; the monitor then forks once more by itself to leave the agent's family.
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  // dup2 onto itself clears close-on-exec (POSIX 2008 TC2, glibc 2.29+).
  posix_spawn_file_actions_adddup2(&fa, sync[1], kSyncFd);
  posix_spawn_file_actions_addclosefrom_np(&fa, kSyncFd + 1);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  // Its own session: the agent's terminal and process-group signals never reach it.
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t child;
  int rc = ::posix_spawn(&child, "/proc/self/exe", &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    ::close(sync[0]);
    ::close(sync[1]);
    return make_error(ErrorCode::kInternal, std::string("spawn monitor: ") + std::strerror(rc));
  }
  ::close(sync[1]);
  int st;
  while (::waitpid(child, &st, 0) < 0 && errno == EINTR) {
  }
  std::string reply;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(sync[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    reply.append(buf, static_cast<size_t>(n));
  }
  ::close(sync[0]);
  while (!reply.empty() && reply.back() == '\n') reply.pop_back();
  if (reply.rfind("ok ", 0) == 0) return std::atoi(reply.c_str() + 3);
  if (reply.rfind("error ", 0) == 0) {
    std::string message = reply.substr(6);
    ErrorCode code = message.find("already exists") != std::string::npos ? ErrorCode::kAlreadyExists
                                                                         : ErrorCode::kInternal;
    return make_error(code, std::string(create.start ? "runc run " : "runc create ") + create.id +
                                ": " + message);
  }
  return make_error(ErrorCode::kInternal,
                    "runc create " + create.id + ": the container monitor exited without a reply");
}

}  // namespace bosun::runtime

// Runs before main() in the re-executed binary; any other process returns at once.
__attribute__((constructor)) static void bosun_runc_monitor_entry(int argc, char** argv,
                                                                  char** /*envp*/) {
  const char* v = std::getenv("BOSUN_RUNC_MONITOR");
  if (v == nullptr || std::strcmp(v, "1") != 0) return;
  ::_exit(bosun::runtime::monitor_main(argc, argv));
}
