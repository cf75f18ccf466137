// The runc driver: create/start/state/kill/delete/list of OCI containers through the `runc` binary
// (with `--root <state dir>`), and their exit statuses. Each container gets a small monitor process
// (like CRI-O's conmon or containerd's shim) that is the parent of the container's init, writes its
// stdout/stderr to a CRI-format log file and records the exit status and OOM kill in the bundle,
// so the agent learns exit codes reliably even across its own restarts. A Runc object holds only
// configuration: safe for concurrent use from many threads; every call blocks (run it on a worker).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bosun::runtime {

struct RuncOptions {
  std::string runc_path = "/usr/sbin/runc";
  std::string state_root;  // runc --root: where runc keeps its per-container state
};

struct CreateOptions {
  std::string id;
  std::string bundle_dir;  // holds config.json; the monitor's files are written here too
  std::string log_path;    // CRI-format container log, appended to
  // Start the user's process at once (`runc run --detach`), for callers with nothing to do between
  // create and start; saves one runc invocation.
  bool start = false;
  // The container's stdin (Container.stdin, stdinOnce) and terminal (tty: the bundle's
  // process.terminal must say the same). The monitor holds the stdin pipe or the terminal's
  // master and serves <bundle>/attach.sock for attaching to them (runtime/container_attach.h).
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
};

// `runc state` of one container.
struct ContainerState {
  std::string id;
  std::string status;  // "creating", "created", "running", "paused", "stopped"
  int pid = 0;
  std::string bundle;
  std::string created;  // RFC 3339
};

// How a container's init ended, as its monitor recorded it.
struct ExitStatus {
  int exit_code =
      0;           // the exit status, or 128 + signal when a signal killed it (runc's convention)
  int signal = 0;  // the killing signal, 0 when it exited
  bool oom_killed = false;  // the kernel OOM-killed a process in its cgroup
  std::chrono::system_clock::time_point finished_at;
  int pid = 0;
};

// Files the monitor keeps in the bundle directory.
inline constexpr const char* kExitFile = "exit.json";
inline constexpr const char* kMonitorPidFile = "monitor.pid";
inline constexpr const char* kInitPidFile = "init.pid";
inline constexpr const char* kRuncLogFile = "runc.log";
// The attach socket (runtime/container_attach.h) is kAttachSocketFile, there while the monitor
// runs.

// What a command run in a container (`runc exec`) printed and how it ended.
struct ExecResult {
  int exit_code = 0;  // 128 + signal when a signal killed it
  std::string stdout_text;
  std::string stderr_text;
};

// A container's monitor started ahead of the container (Runc::prepare): loaded and set up, waiting
// for start() to run runc. Starting the monitor while the agent still mounts the root filesystem
// and writes the bundle takes its process start-up off the pod's critical path, as containerd
// starts a task's shim before it creates the task. Dropped unstarted, the monitor exits having
// run nothing. Movable; one thread at a time.
class PreparedMonitor {
 public:
  PreparedMonitor() = default;
  PreparedMonitor(PreparedMonitor&& other) noexcept;
  PreparedMonitor& operator=(PreparedMonitor&& other) noexcept;
  PreparedMonitor(const PreparedMonitor&) = delete;
  PreparedMonitor& operator=(const PreparedMonitor&) = delete;
  ~PreparedMonitor();

  // Runs `runc create` (or `run --detach`) under the monitor; what Runc::create returns. Once.
  Result<int> start();

 private:
  friend class Runc;
  void release();

  int child_ = -1;    // the spawned process, which forks the monitor and exits
  int channel_ = -1;  // our end of the socket pair the monitor waits and answers on
  std::string id_;
  bool run_ = false;
};

class Runc {
 public:
  explicit Runc(RuncOptions options);

  // Starts the container's monitor without running runc yet (PreparedMonitor). The bundle
  // directory must exist; its config.json may still be written before start().
  Result<PreparedMonitor> prepare(const CreateOptions& options) const;

  // Starts the container's monitor, which runs `runc create`: the container's init exists, stopped
  // before the user's process, with its output going to the log (with options.start the process
  // runs at once). Returns the init's pid.
  Result<int> create(const CreateOptions& options) const;
  // Runs the user's process in a created container.
  Result<void> start(std::string_view id) const;
  Result<ContainerState> state(std::string_view id) const;
  // Sends a signal (number) to the init, or with all=true to every process of the container.
  Result<void> kill(std::string_view id, int signal, bool all = false) const;
  // `runc delete`: removes runc's state and the container's cgroup; force kills a live container
  // first. The bundle directory is the caller's.
  Result<void> remove(std::string_view id, bool force) const;
  Result<std::vector<ContainerState>> list() const;
  // Runs a command in a running container and collects its output (exec probes, `kubectl exec`
  // without a terminal). Past the timeout the command is killed and the result is Timeout.
  Result<ExecResult> exec(std::string_view id, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) const;
  // Has the container's monitor reopen its log file (CRI ReopenContainerLog): after the agent
  // renamed the file to rotate it, new lines go to a new file at the original path. NotFound once
  // the container has exited (its exit record is written) or when no monitor runs.
  static Result<void> reopen_log(const std::string& bundle_dir);

  const RuncOptions& options() const { return options_; }

  // The exit status the monitor recorded, or nullopt while the container has not exited.
  static Result<std::optional<ExitStatus>> read_exit(const std::string& bundle_dir);
  // Blocks until the monitor records the exit (inotify on the bundle), or Timeout; NotFound when
  // the monitor is gone without a record (it was killed), so the exit status is unknown.
  static Result<ExitStatus> wait(const std::string& bundle_dir, std::chrono::milliseconds timeout);
  // The monitor's pid, while it runs (recovery: a container without one will never record an exit).
  static std::optional<int> monitor_pid(const std::string& bundle_dir);

 private:
  Result<std::string> run(std::vector<std::string> args) const;
  RuncOptions options_;
};

}  // namespace bosun::runtime
