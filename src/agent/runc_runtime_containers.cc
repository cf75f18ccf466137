// RuncRuntime: containers (create, start, stop, remove, status, exec).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>

#include "agent/container_user.h"
#include "agent/pod_start_trace.h"
#include "agent/runc_runtime.h"
#include "agent/runc_runtime_files.h"
#include "runtime/bundle_process.h"
#include "runtime/bundle_spec.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_warmer.h"
#include "runtime/layer_mount.h"
#include "runtime/reference.h"
#include "runtime/sandbox.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;
using runtime_files::internal;

// The kubelet reads at most this much of a termination-message file, from its end
// (kubecontainer.MaxContainerTerminationMessageLength).
constexpr size_t kMaxTerminationMessageBytes = 4096;
// containerd's CRI plugin: a container whose start failed, and one whose exit status was lost.
constexpr int kStartErrorExitCode = 128;
constexpr int kUnknownExitCode = 255;
// How long a SIGKILLed container may take to be reaped and recorded.
constexpr std::chrono::seconds kKillWait{10};

struct SignalName {
  const char* name;
  int number;
};

constexpr SignalName kSignals[] = {
    {"HUP", SIGHUP},     {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},   {"ABRT", SIGABRT}, {"IOT", SIGIOT},       {"BUS", SIGBUS},
    {"FPE", SIGFPE},     {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", 16},      {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH}, {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

// moby's signal.ParseSignal, which containerd uses for an image's StopSignal: a number, or a name
// with or without "SIG" (RTMIN+n too).
Result<int> parse_signal(std::string_view text) {
  std::string s(text);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto bad = [&] {
    return make_error(ErrorCode::kInvalid, "Invalid signal: " + std::string(text));
  };
  if (s.empty()) return bad();
  if (std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int n = s.size() > 3 ? 0 : std::stoi(s);
    if (n <= 0 || n > SIGRTMAX) return bad();
    return n;
  }
  if (s.rfind("SIG", 0) == 0) s = s.substr(3);
  for (const SignalName& sig : kSignals) {
    if (s == sig.name) return sig.number;
  }
  if (s.rfind("RTMIN", 0) == 0) {
    std::string rest = s.substr(5);
    int n = 0;
    if (!rest.empty()) {
      if (rest[0] != '+' || rest.size() < 2 || rest.size() > 3) return bad();
      for (char c : rest.substr(1)) {
        if (c < '0' || c > '9') return bad();
      }
      n = std::stoi(rest.substr(1));
    }
    if (SIGRTMIN + n > SIGRTMAX) return bad();
    return SIGRTMIN + n;
  }
  return bad();
}

std::vector<runtime::EnvVar> env_vars(const std::vector<std::string>& env) {
  std::vector<runtime::EnvVar> out;
  out.reserve(env.size());
  for (const std::string& e : env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) {
      out.push_back({e, ""});
    } else {
      out.push_back({e.substr(0, eq), e.substr(eq + 1)});
    }
  }
  return out;
}

// The kubelet creates the termination-message file world-writable before the container starts,
// so a non-root process can write it.
Result<void> ensure_termination_file(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (fs::exists(path, ec)) return ok_result();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) return internal("create " + path + ": " + std::strerror(errno));
  ::fchmod(fd, 0666);
  ::close(fd);
  return ok_result();
}

}  // namespace

Result<std::string> RuncRuntime::create_container(const ContainerConfig& config) {
  if (config.name.empty()) {
    return make_error(ErrorCode::kBadRequest, "a container needs a name");
  }
  runtime::CgroupMigrationWarmer::shared().warm_for(kCgroupWarmSpan);
  BOSUN_ASSIGN_OR_RETURN(auto sandbox_record, load_sandbox(config.pod_uid));
  if (!sandbox_record || !sandbox_record->ready) {
    return make_error(ErrorCode::kConflict,
                      "the sandbox of pod " + config.pod_uid + " is not ready");
  }
  BOSUN_ASSIGN_OR_RETURN(runtime::Sandbox sandbox,
                         runtime::Sandbox::open(sandboxes_dir() + "/" + config.pod_uid));
  BOSUN_ASSIGN_OR_RETURN(runtime::Image image, images_->get(config.image));
  auto lowerdirs = images_->lowerdirs(image);
  if (!lowerdirs.ok() && lowerdirs.error().code == ErrorCode::kNotFound) {
    lowerdirs = images_->unpack(image);
  }
  if (!lowerdirs.ok()) return lowerdirs.error();
  auto ref = runtime::parse_image_reference(image.name);
  std::string repo_digest = (ref.ok() ? ref->name() : image.name) + "@" + image.target.digest;

  // The process, merged with the image before anything is made on disk.
  std::vector<runtime::EnvVar> env = env_vars(config.env);
  runtime::ContainerSpec spec;
  BOSUN_ASSIGN_OR_RETURN(
      spec.args, runtime::merge_command(image.config.entrypoint, image.config.cmd, config.command,
                                        config.args, env));
  spec.env = runtime::merge_env(image.config.env, env);
  spec.cwd = runtime::working_dir(config.working_dir, image.config.working_dir);
  spec.terminal = config.tty;

  std::string id = runtime_files::new_container_id();
  std::string dir = container_dir(id);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return internal("create " + dir + ": " + ec.message());
  auto fail = [&](Error e) -> Result<std::string> {
    (void)discard_container_dir(id);
    return e;
  };
  // Its process start-up runs beside the mount and the bundle below. Without one (it could not
  // be spawned), start_container spawns it.
  if (auto prepared = runc_.prepare(
          create_options(id, config.log_path, config.tty, config.stdin_open, config.stdin_once));
      prepared.ok()) {
    std::lock_guard<std::mutex> lock(prepared_mu_);
    prepared_.insert_or_assign(id, std::move(*prepared));
  }
  pod_start_trace::mark(config.pod_uid, "c.image_spec");
  auto rootfs = runtime::mount_container_rootfs(*lowerdirs, dir, rw_layer_dir(id));
  if (!rootfs.ok()) return fail(rootfs.error());
  pod_start_trace::mark(config.pod_uid, "c.rootfs");
  spec.rootfs = rootfs->string();
  auto user = resolve_container_user(spec.rootfs, image.config.user, config.run_as_user,
                                     config.run_as_group, config.supplemental_groups);
  if (!user.ok()) {
    Error e = user.error();
    e.message = "failed to generate container \"" + id + "\" spec: " + e.message;
    return fail(std::move(e));
  }
  spec.uid = user->uid;
  spec.gid = user->gid;
  spec.additional_gids = user->additional_gids;
  spec.readonly_rootfs = config.read_only_root_filesystem;
  spec.mounts = config.mounts;
  if (!config.termination_message_host_path.empty() && !config.termination_message_path.empty()) {
    if (auto r = ensure_termination_file(config.termination_message_host_path); !r.ok()) {
      return fail(r.error());
    }
    spec.mounts.push_back({config.termination_message_host_path, config.termination_message_path,
                           false, runtime::MountPropagation::kNone});
  }
  spec.capabilities = config.capabilities;
  spec.privileged = config.privileged;
  spec.no_new_privileges = config.no_new_privileges;
  spec.resources = config.resources;
  spec.oom_score_adj = config.oom_score_adj;
  // The annotations containerd's CRI plugin puts on a container, for tools reading the bundle.
  spec.annotations = {{"io.kubernetes.cri.container-type", "container"},
                      {"io.kubernetes.cri.container-name", config.name},
                      {"io.kubernetes.cri.image-name", config.image},
                      {"io.kubernetes.cri.sandbox-uid", config.pod_uid},
                      {"io.kubernetes.cri.sandbox-name", config.pod_name},
                      {"io.kubernetes.cri.sandbox-namespace", config.pod_namespace}};
  size_t own_mounts = spec.mounts.size();
  sandbox.apply(&spec, id);
  // The kubelet leaves out its managed /etc/hosts (and containerd its resolv.conf and hostname)
  // when the container mounts something there itself.
  auto mounted_by_pod = [&](const runtime::BindMount& m) {
    return std::any_of(
        spec.mounts.begin(), spec.mounts.begin() + static_cast<long>(own_mounts),
        [&](const runtime::BindMount& o) { return o.container_path == m.container_path; });
  };
  spec.mounts.erase(std::remove_if(spec.mounts.begin() + static_cast<long>(own_mounts),
                                   spec.mounts.end(), mounted_by_pod),
                    spec.mounts.end());
  if (auto r = runtime::write_bundle(dir, spec); !r.ok()) return fail(r.error());
  pod_start_trace::mark(config.pod_uid, "c.bundle");

  watch(id, config.pod_uid);

  ContainerRecord record;
  record.id = id;
  record.pod_uid = config.pod_uid;
  record.pod_name = config.pod_name;
  record.pod_namespace = config.pod_namespace;
  record.name = config.name;
  record.attempt = config.attempt;
  record.image = config.image;
  record.image_ref = repo_digest;
  record.image_id = image.id;
  record.labels = config.labels;
  record.log_path = config.log_path;
  record.termination_message_host_path = config.termination_message_host_path;
  record.stop_signal = image.config.stop_signal;
  record.tty = config.tty;
  record.stdin = config.stdin_open;
  record.stdin_once = config.stdin_once;
  record.created_at = std::chrono::system_clock::now();
  if (auto r = save_container(record); !r.ok()) return fail(r.error());
  index_container(record.pod_uid, id);
  return id;
}

Result<void> RuncRuntime::start_container(std::string_view id) {
  BOSUN_ASSIGN_OR_RETURN(ContainerRecord record, load_container(id));
  if (record.started_at.time_since_epoch().count() != 0 || !record.start_error.empty()) {
    return make_error(ErrorCode::kConflict,
                      "container " + record.id + " is not in the created state");
  }
  // The runc container is made here, not in create_container, as containerd's CRI plugin creates
  // its task in StartContainer: one runc process (`run --detach`) instead of two, and a command
  // that cannot run is a StartError as users see it on containerd nodes.
  runtime::CgroupMigrationWarmer::shared().warm_for(kCgroupWarmSpan);
  auto started_at = std::chrono::system_clock::now();
  std::string dir = container_dir(record.id);
  pod_start_trace::mark(record.pod_uid, "s.record_read");
  std::optional<runtime::PreparedMonitor> prepared = take_prepared(record.id);
  auto started = prepared ? prepared->start()
                          : runc_.create(create_options(record.id, record.log_path, record.tty,
                                                        record.stdin, record.stdin_once));
  pod_start_trace::mark(record.pod_uid, "s.monitor_replied");
  if (!started.ok()) {
    record.start_error = started.error().message;
    record.start_failed_at = std::chrono::system_clock::now();
    (void)save_container(record);
    return started.error();
  }
  // Recorded once runc has run it, so a relist on another thread never sees a started container
  // without its monitor (open() repairs a crash in between).
  record.started_at = started_at;
  BOSUN_RETURN_IF_ERROR(save_container(record));
  // An exit before the record said "started" was seen as a created container's: tell again.
  if (auto exit = runtime::Runc::read_exit(dir); exit.ok() && *exit) notify(record.pod_uid);
  return ok_result();
}

runtime::CreateOptions RuncRuntime::create_options(const std::string& id,
                                                   const std::string& log_path, bool tty,
                                                   bool stdin, bool stdin_once) const {
  runtime::CreateOptions create{id, container_dir(id), log_path.empty() ? "/dev/null" : log_path};
  create.start = true;
  create.stdin = stdin;
  create.stdin_once = stdin_once;
  create.tty = tty;
  return create;
}

std::optional<runtime::PreparedMonitor> RuncRuntime::take_prepared(std::string_view id) {
  std::lock_guard<std::mutex> lock(prepared_mu_);
  auto it = prepared_.find(id);
  if (it == prepared_.end()) return std::nullopt;
  std::optional<runtime::PreparedMonitor> out(std::move(it->second));
  prepared_.erase(it);
  return out;
}

Result<void> RuncRuntime::kill_and_wait(const ContainerRecord& record, int signal,
                                        std::chrono::milliseconds wait) const {
  auto killed = runc_.kill(record.id, signal);
  // NotFound or Conflict ("not running"): it ended by itself meanwhile.
  if (!killed.ok() && killed.error().code != ErrorCode::kNotFound &&
      killed.error().code != ErrorCode::kConflict) {
    return killed.error();
  }
  auto exit = runtime::Runc::wait(container_dir(record.id), wait);
  if (exit.ok()) return ok_result();
  // NotFound: the monitor is gone without a record; nothing left to wait for.
  if (exit.error().code == ErrorCode::kNotFound) return ok_result();
  return exit.error();
}

Result<void> RuncRuntime::stop_container(std::string_view id, std::chrono::milliseconds grace,
                                         std::string_view stop_signal) {
  BOSUN_ASSIGN_OR_RETURN(ContainerRecord record, load_container(id));
  // Nothing runs in an exited container, nor in a created one (its runc container is made at
  // start); containerd's StopContainer leaves both as they are.
  ContainerState state = status_of(record).state;
  if (state == ContainerState::kExited || state == ContainerState::kCreated) return ok_result();
  std::string_view name =
      !stop_signal.empty() ? std::string_view(stop_signal) : std::string_view(record.stop_signal);
  int signal = SIGTERM;
  if (!name.empty()) {
    BOSUN_ASSIGN_OR_RETURN(signal, parse_signal(name));
  }
  if (grace.count() > 0 && signal != SIGKILL) {
    auto killed = runc_.kill(record.id, signal);
    if (!killed.ok() && killed.error().code != ErrorCode::kNotFound &&
        killed.error().code != ErrorCode::kConflict) {
      return killed.error();
    }
    auto exit = runtime::Runc::wait(container_dir(record.id), grace);
    if (exit.ok()) return ok_result();
    if (exit.error().code != ErrorCode::kTimeout && exit.error().code != ErrorCode::kNotFound) {
      return exit.error();
    }
  }
  return kill_and_wait(record, SIGKILL, kKillWait);
}

Result<void> RuncRuntime::discard_container_dir(const std::string& id) {
  unwatch(id);
  unindex_container(id);
  // A monitor waiting to start the container ends with it.
  (void)take_prepared(id);
  std::string dir = container_dir(id);
  Result<void> first = ok_result();
  auto removed = runc_.remove(id, true);
  if (!removed.ok() && removed.error().code != ErrorCode::kNotFound) first = removed;
  // After `runc delete --force` killed the init, the monitor still drains and records the exit.
  if (runtime::Runc::monitor_pid(dir)) (void)runtime::Runc::wait(dir, kKillWait);
  if (auto r = runtime::unmount_container_rootfs(dir, rw_layer_dir(id)); !r.ok()) return r;
  // Never delete through a mount that is still there (into the image's layers).
  if (runtime::is_mount_point(dir + "/rootfs")) {
    return internal("the root filesystem of container " + id + " is still mounted");
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec && first.ok()) first = internal("remove " + dir + ": " + ec.message());
  if (const std::string rw = rw_layer_dir(id); rw != dir) {
    fs::remove_all(rw, ec);
    if (ec && first.ok()) first = internal("remove " + rw + ": " + ec.message());
  }
  return first;
}

Result<void> RuncRuntime::remove_container(std::string_view id) {
  auto record = load_container(id);
  if (!record.ok()) {
    if (record.error().code != ErrorCode::kNotFound) return record.error();
    if (!runtime_files::valid_container_id(id)) return ok_result();
    std::error_code ec;
    if (!fs::exists(container_dir(id), ec)) return ok_result();
    return discard_container_dir(std::string(id));
  }
  ContainerState state = status_of(*record).state;
  if (state == ContainerState::kRunning || state == ContainerState::kUnknown) {
    BOSUN_RETURN_IF_ERROR(kill_and_wait(*record, SIGKILL, kKillWait));
  }
  // Before `runc delete` removes the container's cgroup: what its page cache still charges there
  // would keep the cgroup alive in the kernel (a restarting container leaves one each time).
  runtime::release_memory_charges(runtime::container_cgroup_path(record->pod_uid, record->id));
  return discard_container_dir(record->id);
}

ContainerStatus RuncRuntime::status_of(const ContainerRecord& r) const {
  ContainerStatus s;
  s.id = r.id;
  s.pod_uid = r.pod_uid;
  s.name = r.name;
  s.attempt = r.attempt;
  s.created_at = r.created_at;
  s.started_at = r.started_at;
  s.image = r.image;
  s.image_ref = r.image_ref;
  s.log_path = r.log_path;
  s.labels = r.labels;
  if (!r.start_error.empty()) {
    s.state = ContainerState::kExited;
    s.exit_code = kStartErrorExitCode;
    s.reason = "StartError";
    s.message = r.start_error;
    s.finished_at = r.start_failed_at;
    return s;
  }
  auto exit_lost = [&](const ContainerRecord& lost) {
    s.state = ContainerState::kExited;
    s.exit_code = kUnknownExitCode;
    s.reason = "Unknown";
    s.finished_at = lost.exit_lost_at;
    return s;
  };
  if (r.exit_lost_at.time_since_epoch().count() != 0) return exit_lost(r);
  std::string dir = container_dir(r.id);
  auto exited = [&](const runtime::ExitStatus& e) {
    s.state = ContainerState::kExited;
    s.exit_code = e.exit_code;
    s.finished_at = e.finished_at;
    s.reason = e.oom_killed ? "OOMKilled" : e.exit_code == 0 ? "Completed" : "Error";
    if (!r.termination_message_host_path.empty()) {
      auto message =
          runtime_files::read_tail(r.termination_message_host_path, kMaxTerminationMessageBytes);
      if (message.ok()) s.message = std::move(*message);
    }
    return s;
  };
  bool started = r.started_at.time_since_epoch().count() != 0;
  if (!started) {
    s.state = ContainerState::kCreated;
    return s;
  }
  auto exit = runtime::Runc::read_exit(dir);
  if (exit.ok() && *exit) return exited(**exit);
  if (runtime::Runc::monitor_pid(dir)) {
    s.state = ContainerState::kRunning;
    return s;
  }
  // The monitor writes the record before it removes its pid file: look again.
  exit = runtime::Runc::read_exit(dir);
  if (exit.ok() && *exit) return exited(**exit);
  // The monitor died without a record (killed by hand): ask runc whether the process lives on.
  auto state = runc_.state(r.id);
  if (state.ok() && (state->status == "running" || state->status == "paused")) {
    s.state = ContainerState::kRunning;
    return s;
  }
  // Remembered, so later relists need not ask runc again.
  ContainerRecord lost = r;
  lost.exit_lost_at = std::chrono::system_clock::now();
  (void)save_container(lost);
  return exit_lost(lost);
}

Result<std::vector<ContainerStatus>> RuncRuntime::list_containers() {
  BOSUN_ASSIGN_OR_RETURN(std::vector<ContainerRecord> all, load_containers());
  std::vector<ContainerStatus> out;
  out.reserve(all.size());
  for (const ContainerRecord& r : all) out.push_back(status_of(r));
  std::sort(out.begin(), out.end(), [](const ContainerStatus& a, const ContainerStatus& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  return out;
}

Result<std::vector<ContainerStatus>> RuncRuntime::list_pod_containers(std::string_view pod_uid) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(index_mu_);
    auto it = pod_containers_.find(pod_uid);
    if (it != pod_containers_.end()) ids.assign(it->second.begin(), it->second.end());
  }
  std::vector<ContainerStatus> out;
  out.reserve(ids.size());
  for (const std::string& id : ids) {
    auto record = load_container(id);
    if (!record.ok()) {
      // Removed since the index was read.
      if (record.error().code == ErrorCode::kNotFound) continue;
      return record.error();
    }
    out.push_back(status_of(*record));
  }
  std::sort(out.begin(), out.end(), [](const ContainerStatus& a, const ContainerStatus& b) {
    return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
  });
  return out;
}

Result<ContainerStatus> RuncRuntime::container_status(std::string_view id) {
  BOSUN_ASSIGN_OR_RETURN(ContainerRecord record, load_container(id));
  return status_of(record);
}

Result<std::unique_ptr<runtime::AttachConnection>> RuncRuntime::attach_container(
    std::string_view id, bool stdin) {
  BOSUN_ASSIGN_OR_RETURN(ContainerRecord record, load_container(id));
  if (status_of(record).state != ContainerState::kRunning) {
    return make_error(ErrorCode::kNotFound, "container " + record.id + " is not running");
  }
  return runtime::AttachConnection::connect(container_dir(record.id), stdin && record.stdin);
}

Result<ExecSyncResult> RuncRuntime::exec_sync(std::string_view id,
                                              const std::vector<std::string>& command,
                                              std::chrono::milliseconds timeout) {
  BOSUN_ASSIGN_OR_RETURN(ContainerRecord record, load_container(id));
  auto result = runc_.exec(record.id, command, timeout);
  if (!result.ok()) {
    if (result.error().code == ErrorCode::kTimeout) return ExecSyncResult{-1, "", true};
    return result.error();
  }
  return ExecSyncResult{result->exit_code, result->stdout_text + result->stderr_text, false};
}

}  // namespace bosun::agent
