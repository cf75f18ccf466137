#include "runtime/runc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <utility>

#include "common/file_util.h"
#include "common/json.h"
#include "common/time_format.h"
#include "runtime/runc_monitor.h"

extern char** environ;

namespace bosun::runtime {
namespace {

// runc's text log line: time="..." level=error msg="container \"x\" does not exist"
std::string runc_message(const std::string& stderr_text) {
  size_t at = stderr_text.rfind("msg=\"");
  if (at == std::string::npos) {
    std::string s = stderr_text;
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  }
  std::string out;
  for (size_t i = at + 5; i < stderr_text.size(); ++i) {
    char c = stderr_text[i];
    if (c == '\\' && i + 1 < stderr_text.size()) {
      out.push_back(stderr_text[++i]);
    } else if (c == '"') {
      break;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

ErrorCode runc_error_code(const std::string& message) {
  if (message.find("does not exist") != std::string::npos) return ErrorCode::kNotFound;
  if (message.find("already exists") != std::string::npos) return ErrorCode::kAlreadyExists;
  if (message.find("not running") != std::string::npos ||
      message.find("cannot start") != std::string::npos ||
      message.find("cannot delete") != std::string::npos) {
    return ErrorCode::kConflict;
  }
  return ErrorCode::kInternal;
}

ContainerState state_from_json(const Json& j) {
  ContainerState s;
  s.id = j.value("id", "");
  s.status = j.value("status", "");
  s.pid = j.value("pid", 0);
  s.bundle = j.value("bundle", "");
  s.created = j.value("created", "");
  return s;
}

}  // namespace

Runc::Runc(RuncOptions options) : options_(std::move(options)) {}

namespace {

struct Captured {
  int status = 0;  // waitpid status
  std::string out;
  std::string err;
  bool timed_out = false;
};

// Runs argv with stdin from /dev/null, capturing stdout and stderr. At the deadline on_timeout is
// called to kill what the command started, again every 50 ms while it returns false (the command
// has not started it yet: a loaded machine may take longer than the timeout to get a runc exec's
// process going), then the command has a second to exit by itself before it is killed. It is
// killed outright if on_timeout has not succeeded within 10 s.
Result<Captured> capture(std::vector<std::string> args,
                         std::optional<std::chrono::steady_clock::time_point> deadline = {},
                         const std::function<bool()>& on_timeout = {}) {
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    return make_error(ErrorCode::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  pid_t pid;
  int rc = spawn_process(&pid, argv[0], argv.data(), environ, SpawnFds{-1, out[1], err[1]});
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    return make_error(ErrorCode::kInternal, "run " + args[0] + ": " + std::strerror(rc));
  }
  Captured result;
  bool started_killed = false;  // on_timeout has killed what the command started
  std::chrono::steady_clock::time_point give_up_at;
  bool has_deadline = deadline.has_value();
  auto deadline_at = deadline.value_or(std::chrono::steady_clock::time_point());
  std::string* text[2] = {&result.out, &result.err};
  int fds[2] = {out[0], err[0]};
  char buf[16384];
  while (fds[0] >= 0 || fds[1] >= 0) {
    int timeout_ms = -1;
    if (has_deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline_at - std::chrono::steady_clock::now());
      timeout_ms = static_cast<int>(std::max<int64_t>(0, left.count()));
    }
    pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLIN, 0}};
    int n = ::poll(p, 2, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (!result.timed_out) give_up_at = now + std::chrono::seconds(10);
      if (on_timeout && !started_killed && now < give_up_at) {
        // Let the command end what it started and exit by itself for a moment: a runc exec killed
        // outright orphans its process (and before the process has started, leaves it to run),
        // whose zombie then holds up the container's own exit until the node's init reaps it.
        result.timed_out = true;
        started_killed = on_timeout();
        deadline_at = now + (started_killed ? std::chrono::milliseconds(1000)
                                            : std::chrono::milliseconds(50));
      } else {
        result.timed_out = true;
        ::kill(pid, SIGKILL);
        has_deadline = false;
      }
      continue;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t r = ::read(fds[i], buf, sizeof buf);
      if (r > 0) {
        text[i]->append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        ::close(fds[i]);
        fds[i] = -1;
      }
    }
  }
  for (int fd : fds) {
    if (fd >= 0) ::close(fd);
  }
  while (::waitpid(pid, &result.status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

}  // namespace

Result<std::string> Runc::run(std::vector<std::string> args) const {
  std::vector<std::string> full = {options_.runc_path, "--root", options_.state_root};
  for (std::string& a : args) full.push_back(std::move(a));
  std::string verb = full[3];
  BOSUN_ASSIGN_OR_RETURN(Captured c, capture(std::move(full)));
  if (WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0) return std::move(c.out);
  std::string message = runc_message(c.err);
  if (message.empty()) message = "exit status " + std::to_string(WEXITSTATUS(c.status));
  return make_error(runc_error_code(message), "runc " + verb + ": " + message);
}

Result<ExecResult> Runc::exec(std::string_view id, const std::vector<std::string>& args,
                              std::chrono::milliseconds timeout) const {
  if (args.empty()) return make_error(ErrorCode::kBadRequest, "exec needs a command");
  char tmpl[] = "/tmp/bosun-exec-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    return make_error(ErrorCode::kInternal, std::string("mkdtemp: ") + std::strerror(errno));
  }
  std::string pid_file = std::string(tmpl) + "/pid";
  std::vector<std::string> full = {options_.runc_path, "--root", options_.state_root, "exec",
                                   "--pid-file",       pid_file, std::string(id)};
  full.insert(full.end(), args.begin(), args.end());
  // On timeout the process in the container is killed too, as containerd does for ExecSync; killing
  // runc alone would leave it running.
  auto kill_process = [&] {
    int pid = std::atoi(read_file_or_empty(pid_file).c_str());
    return pid > 0 && (::kill(pid, SIGKILL) == 0 || errno == ESRCH);
  };
  auto c = capture(std::move(full), std::chrono::steady_clock::now() + timeout, kill_process);
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  if (!c.ok()) return c.error();
  if (c->timed_out) {
    return make_error(ErrorCode::kTimeout,
                      "command timed out after " + std::to_string(timeout.count()) + "ms");
  }
  // runc's own failures (no such container, not running, no such binary) come as a logrus line
  // and status 1 or 255; the command's own status is passed through otherwise (128 + signal when
  // killed).
  int status = WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
  if ((status == 1 || status == 255) && c->err.find("level=error") != std::string::npos &&
      c->err.rfind("time=\"", 0) != std::string::npos) {
    std::string message = runc_message(c->err);
    return make_error(runc_error_code(message), "runc exec: " + message);
  }
  return ExecResult{status, std::move(c->out), std::move(c->err)};
}

Result<void> Runc::reopen_log(const std::string& bundle_dir) {
  // The monitor writes the exit record after the container's last log line and only then removes
  // its pid file and ends: with the record there, nothing is left to reopen.
  if (auto exit = read_exit(bundle_dir); exit.ok() && exit->has_value()) {
    return make_error(ErrorCode::kNotFound, "the container in " + bundle_dir + " has exited");
  }
  std::optional<int> pid = monitor_pid(bundle_dir);
  if (!pid) {
    return make_error(ErrorCode::kNotFound, "no running container monitor in " + bundle_dir);
  }
  if (::kill(*pid, SIGUSR1) != 0) {
    return make_error(ErrorCode::kInternal, std::string("signal monitor: ") + std::strerror(errno));
  }
  return ok_result();
}

Result<PreparedMonitor> Runc::prepare(const CreateOptions& options) const {
  if (options.id.empty() || options.bundle_dir.empty() || options.log_path.empty()) {
    return make_error(ErrorCode::kBadRequest, "runc create needs an id, a bundle and a log path");
  }
  if (::access(options_.runc_path.c_str(), X_OK) != 0) {
    return make_error(ErrorCode::kNotFound, "runc not found at " + options_.runc_path);
  }
  std::error_code ec;
  // The monitor runs from "/" so it never pins the agent's working directory; paths must be
  // absolute for it.
  CreateOptions absolute = options;
  absolute.bundle_dir = std::filesystem::absolute(options.bundle_dir, ec).lexically_normal();
  absolute.log_path = std::filesystem::absolute(options.log_path, ec).lexically_normal();
  RuncOptions runc = options_;
  runc.state_root = std::filesystem::absolute(options_.state_root, ec).lexically_normal();
  std::filesystem::create_directories(runc.state_root, ec);
  std::filesystem::create_directories(std::filesystem::path(absolute.log_path).parent_path(), ec);
  // A recreated container must not be mistaken for its predecessor's exit.
  std::filesystem::remove(absolute.bundle_dir + "/" + kExitFile, ec);
  PreparedMonitor prepared;
  BOSUN_RETURN_IF_ERROR(start_runc_monitor(runc, absolute, &prepared.child_, &prepared.channel_));
  prepared.id_ = options.id;
  prepared.run_ = options.start;
  return prepared;
}

Result<int> Runc::create(const CreateOptions& options) const {
  BOSUN_ASSIGN_OR_RETURN(PreparedMonitor prepared, prepare(options));
  return prepared.start();
}

PreparedMonitor::PreparedMonitor(PreparedMonitor&& other) noexcept
    : child_(std::exchange(other.child_, -1)),
      channel_(std::exchange(other.channel_, -1)),
      id_(std::move(other.id_)),
      run_(other.run_) {}

PreparedMonitor& PreparedMonitor::operator=(PreparedMonitor&& other) noexcept {
  if (this != &other) {
    release();
    child_ = std::exchange(other.child_, -1);
    channel_ = std::exchange(other.channel_, -1);
    id_ = std::move(other.id_);
    run_ = other.run_;
  }
  return *this;
}

PreparedMonitor::~PreparedMonitor() { release(); }

void PreparedMonitor::release() {
  // Without the word the monitor exits on the channel's end, having run nothing; the spawned
  // process exited as soon as it had forked the monitor.
  if (channel_ >= 0) ::close(channel_);
  if (child_ > 0) {
    int st;
    while (::waitpid(child_, &st, 0) < 0 && errno == EINTR) {
    }
  }
  channel_ = child_ = -1;
}

Result<int> PreparedMonitor::start() {
  if (channel_ < 0) {
    return make_error(ErrorCode::kConflict, "the monitor of container " + id_ + " was started");
  }
  const int child = std::exchange(child_, -1);
  const int channel = std::exchange(channel_, -1);
  return finish_runc_monitor(id_, run_, child, channel);
}

Result<void> Runc::start(std::string_view id) const {
  BOSUN_RETURN_IF_ERROR(run({"start", std::string(id)}));
  return ok_result();
}

Result<ContainerState> Runc::state(std::string_view id) const {
  BOSUN_ASSIGN_OR_RETURN(std::string out, run({"state", std::string(id)}));
  try {
    return state_from_json(Json::parse(out));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("runc state: bad JSON: ") + e.what());
  }
}

Result<void> Runc::kill(std::string_view id, int signal, bool all) const {
  std::vector<std::string> args = {"kill"};
  if (all) args.push_back("--all");
  args.push_back(std::string(id));
  args.push_back(std::to_string(signal));
  BOSUN_RETURN_IF_ERROR(run(std::move(args)));
  return ok_result();
}

Result<void> Runc::remove(std::string_view id, bool force) const {
  std::vector<std::string> args = {"delete"};
  if (force) args.push_back("--force");
  args.push_back(std::string(id));
  BOSUN_RETURN_IF_ERROR(run(std::move(args)));
  return ok_result();
}

Result<std::vector<ContainerState>> Runc::list() const {
  BOSUN_ASSIGN_OR_RETURN(std::string out, run({"list", "--format", "json"}));
  std::vector<ContainerState> result;
  try {
    Json j = Json::parse(out);
    if (j.is_array()) {
      for (const Json& c : j) result.push_back(state_from_json(c));
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("runc list: bad JSON: ") + e.what());
  }
  return result;
}

Result<std::optional<ExitStatus>> Runc::read_exit(const std::string& bundle_dir) {
  std::string path = bundle_dir + "/" + kExitFile;
  if (::access(path.c_str(), F_OK) != 0) return std::optional<ExitStatus>();
  try {
    Json j = Json::parse(read_file_or_empty(path));
    ExitStatus s;
    s.exit_code = j.at("exitCode").get<int>();
    s.signal = j.value("signal", 0);
    s.oom_killed = j.value("oomKilled", false);
    s.pid = j.value("pid", 0);
    auto t = parse_rfc3339(j.value("finishedAt", ""));
    if (t.ok()) s.finished_at = *t;
    return std::optional<ExitStatus>(s);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, "bad exit record " + path + ": " + e.what());
  }
}

Result<ExitStatus> Runc::wait(const std::string& bundle_dir, std::chrono::milliseconds timeout) {
  int ifd = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (ifd < 0) {
    return make_error(ErrorCode::kInternal, std::string("inotify: ") + std::strerror(errno));
  }
  // The monitor renames exit.json into place; watch before looking so the rename cannot slip by.
  if (::inotify_add_watch(ifd, bundle_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    int e = errno;
    ::close(ifd);
    return make_error(e == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal,
                      "watch " + bundle_dir + ": " + std::strerror(e));
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    auto exit = read_exit(bundle_dir);
    if (!exit.ok()) {
      ::close(ifd);
      return exit.error();
    }
    if (*exit) {
      ::close(ifd);
      return **exit;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::close(ifd);
      return make_error(ErrorCode::kTimeout, "container in " + bundle_dir + " has not exited");
    }
    // The monitor writes the exit record before it removes its pid file, so neither means it died
    // abnormally (killed by hand, say): the exit status is lost and waiting longer cannot help.
    if (!monitor_pid(bundle_dir)) {
      auto late = read_exit(bundle_dir);
      if (late.ok() && *late) {
        ::close(ifd);
        return **late;
      }
      ::close(ifd);
      return make_error(ErrorCode::kNotFound,
                        "the container monitor in " + bundle_dir + " is gone; exit status unknown");
    }
    pollfd p{ifd, POLLIN, 0};
    // Wake at least once a second to notice a monitor that died without a record.
    int n = ::poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n > 0) {
      alignas(inotify_event) char buf[4096];
      while (::read(ifd, buf, sizeof buf) > 0) {
      }
    }
  }
}

std::optional<int> Runc::monitor_pid(const std::string& bundle_dir) {
  int pid = std::atoi(read_file_or_empty(bundle_dir + "/" + kMonitorPidFile).c_str());
  if (pid <= 0) return std::nullopt;
  // A monitor that died without removing its pid file may have had its pid reused: only a process
  // that is this bundle's monitor counts (reopen_log must never signal a stranger).
  std::string cmdline = read_file_or_empty("/proc/" + std::to_string(pid) + "/cmdline");
  std::string expected = std::string("bosun-runc-monitor") + '\0';
  if (cmdline.rfind(expected, 0) != 0) return std::nullopt;
  if (cmdline.find(std::string(1, '\0') + bundle_dir + '\0') == std::string::npos) {
    return std::nullopt;
  }
  return pid;
}

}  // namespace bosun::runtime
