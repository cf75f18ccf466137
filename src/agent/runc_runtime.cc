// RuncRuntime: opening, records on disk, images, pod sandboxes and the exit watcher. Containers are
// in runc_runtime_containers.cc.
#include "agent/runc_runtime.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "agent/node_status.h"
#include "agent/runc_runtime_files.h"
#include "common/json.h"
#include "common/log.h"
#include "runtime/bundle_spec.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_warmer.h"
#include "runtime/layer_mount.h"
#include "runtime/reference.h"
#include "runtime/registry_client.h"
#include "runtime/runc_monitor.h"
#include "runtime/sandbox.h"

extern char** environ;

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;
using runtime_files::internal;
using runtime_files::parse_time;
using runtime_files::read_text;
using runtime_files::time_text;
using runtime_files::write_file_atomic;

// A tmpfs of the runtime's own on dir, unless dir already is one (an agent restarted on the same
// node finds the state its predecessor left there, containers still running). Without the right
// to mount (root in a user namespace) the state stays on the directory's own filesystem.
Result<void> mount_state_tmpfs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return internal("create " + dir + ": " + ec.message());
  struct statfs st;
  if (::statfs(dir.c_str(), &st) != 0) {
    return internal("statfs " + dir + ": " + std::strerror(errno));
  }
  if (st.f_type == TMPFS_MAGIC) return ok_result();
  // Records, bundles and runc's state take a few KiB per container.
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64m") != 0 &&
      errno != EPERM) {
    return internal("mount a tmpfs on " + dir + ": " + std::strerror(errno));
  }
  return ok_result();
}

// A data directory an agent from before the state directory used: its containers' state is in
// the data directory itself, and stays there while any of it is left (the containers may still
// run), rather than being lost to a new, empty state directory.
bool holds_state_of_its_own(const std::string& data_dir) {
  std::error_code ec;
  for (const char* d : {"/runc", "/sandboxes"}) {
    if (fs::exists(data_dir + d, ec) && !fs::is_empty(data_dir + d, ec)) return true;
  }
  for (const auto& entry : fs::directory_iterator(data_dir + "/containers", ec)) {
    if (fs::exists(entry.path() / runtime_files::kContainerRecordFile)) return true;
  }
  return false;
}

std::string read_boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

// `runc --version`, for nodeInfo.containerRuntimeVersion.
Result<std::string> runc_version_output(const std::string& runc_path) {
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) return internal(std::string("pipe: ") + std::strerror(errno));
  std::string path = runc_path;
  std::string flag = "--version";
  char* argv[] = {path.data(), flag.data(), nullptr};
  pid_t pid;
  int rc = runtime::spawn_process(&pid, path.c_str(), argv, environ, runtime::SpawnFds{-1, out[1]});
  ::close(out[1]);
  if (rc != 0) {
    ::close(out[0]);
    return make_error(ErrorCode::kNotFound, "runc not found at " + runc_path);
  }
  std::string text;
  char buf[4096];
  while (true) {
    ssize_t n = ::read(out[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(out[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    return make_error(ErrorCode::kNotFound, "runc at " + runc_path + " does not run");
  }
  return text;
}

// A pod uid names files and directories: nothing that could climb out of them.
Result<void> check_pod_uid(std::string_view uid) {
  if (uid.empty() || uid == "." || uid == ".." || uid.find('/') != std::string_view::npos ||
      uid.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest, "bad pod uid \"" + std::string(uid) + "\"");
  }
  return ok_result();
}

// On a hybrid cgroup v1 node runc also makes the pod's path in the v2 hierarchy mounted at
// /sys/fs/cgroup/unified, which runtime::remove_cgroup_tree skips: without this, every pod would
// leave an empty cgroup there.
Result<void> remove_pod_cgroups(std::string_view pod_uid) {
  Result<void> first = runtime::remove_cgroup_tree(runtime::pod_cgroup_parent(pod_uid));
  runtime::CgroupRoot hybrid{"/sys/fs/cgroup/unified"};
  std::error_code ec;
  if (fs::exists(hybrid.path + "/cgroup.controllers", ec)) {
    auto r = runtime::remove_cgroup_tree(runtime::pod_cgroup_parent(pod_uid), hybrid);
    if (!r.ok() && first.ok()) first = r;
  }
  return first;
}

}  // namespace

RuncRuntime::RuncRuntime(RuncRuntimeOptions options, std::unique_ptr<runtime::ImageStore> images,
                         std::optional<runtime::SealedBinary> sealed_runc, runtime::Runc runc,
                         std::string version)
    : options_(std::move(options)),
      images_(std::move(images)),
      sealed_runc_(std::move(sealed_runc)),
      runc_(std::move(runc)),
      version_(std::move(version)) {}

Result<std::unique_ptr<RuncRuntime>> RuncRuntime::open(RuncRuntimeOptions options) {
  if (options.data_dir.empty()) {
    return make_error(ErrorCode::kBadRequest, "the runc runtime needs a data directory");
  }
  std::error_code ec;
  auto absolute_dir = [&ec](const std::string& dir) {
    std::string d = fs::absolute(dir, ec).lexically_normal().string();
    while (d.size() > 1 && d.back() == '/') d.pop_back();
    return d;
  };
  options.data_dir = absolute_dir(options.data_dir);
  if (options.state_dir.empty() || holds_state_of_its_own(options.data_dir)) {
    options.state_dir = options.data_dir;
    options.state_tmpfs = false;
  } else {
    options.state_dir = absolute_dir(options.state_dir);
  }
  if (options.state_tmpfs) BOSUN_RETURN_IF_ERROR(mount_state_tmpfs(options.state_dir));
  if (options.runc_root.empty()) options.runc_root = options.state_dir + "/runc";
  for (const std::string& d : {options.state_dir + "/sandboxes", options.state_dir + "/containers",
                               options.data_dir + "/containers", options.runc_root}) {
    fs::create_directories(d, ec);
    if (ec) return internal("create " + d + ": " + ec.message());
  }
  BOSUN_ASSIGN_OR_RETURN(auto images, runtime::ImageStore::open(options.data_dir + "/images"));
  BOSUN_ASSIGN_OR_RETURN(std::string version_text, runc_version_output(options.runc_path));
  std::string version = runtime_version_from_runc_output(version_text);
  if (version.empty()) version = "runc://unknown";
  // runc runs from one sealed copy (runtime/sealed_binary.h), which spares each container's init
  // a read-only bind mount of runc and a second exec; from the file itself if the copy fails.
  std::optional<runtime::SealedBinary> sealed_runc;
  if (auto copy = runtime::SealedBinary::copy_of(options.runc_path); copy.ok()) {
    sealed_runc.emplace(std::move(copy).value());
  } else {
    SPDLOG_WARN("runc runs from {}: {}", options.runc_path, copy.error().message);
  }
  runtime::Runc runc(runtime::RuncOptions{sealed_runc ? sealed_runc->path() : options.runc_path,
                                          options.runc_root});
  std::unique_ptr<RuncRuntime> rt(new RuncRuntime(std::move(options), std::move(images),
                                                  std::move(sealed_runc), std::move(runc),
                                                  std::move(version)));
  for (const auto& entry : fs::directory_iterator(rt->containers_dir(), ec)) {
    if (!entry.is_directory()) continue;
    std::string id = entry.path().filename().string();
    // A container directory without its record is a create that never finished (the record is
    // written last): nothing reported it, so nothing will remove it but us.
    if (!fs::exists(entry.path() / runtime_files::kContainerRecordFile)) {
      (void)rt->discard_container_dir(id);
      continue;
    }
    // A start whose `runc run` went through just before the last agent died, before the record
    // said so: its monitor (or exit record) shows it ran.
    auto record = rt->load_container(id);
    if (!record.ok() || record->started_at.time_since_epoch().count() != 0 ||
        !record->start_error.empty()) {
      continue;
    }
    std::string dir = entry.path().string();
    auto exit = runtime::Runc::read_exit(dir);
    if (runtime::Runc::monitor_pid(dir) || (exit.ok() && *exit)) {
      std::error_code mtime_ec;
      auto written = fs::last_write_time(dir + "/" + runtime::kInitPidFile, mtime_ec);
      record->started_at =
          mtime_ec ? std::chrono::system_clock::now() : std::chrono::file_clock::to_sys(written);
      (void)rt->save_container(*record);
    }
  }
  if (rt->options_.state_dir != rt->options_.data_dir) rt->remove_layers_of_a_past_boot();
  BOSUN_ASSIGN_OR_RETURN(std::vector<ContainerRecord> all, rt->load_containers());
  for (const ContainerRecord& c : all) rt->index_container(c.pod_uid, c.id);
  BOSUN_RETURN_IF_ERROR(rt->start_watcher());
  return rt;
}

void RuncRuntime::remove_layers_of_a_past_boot() {
  // Writable layers without a bundle after the node rebooted (the state went with the tmpfs):
  // nothing else will ever remove them. Only then: a state directory lost some other way (an
  // agent in a mount namespace of its own, an unmount) may hide containers still running on
  // these layers.
  const std::string layers = options_.data_dir + "/containers";
  const std::string boot_file = layers + "/.boot_id";
  const std::string boot = read_boot_id();
  auto last = read_text(boot_file);
  if (last.ok() && !boot.empty() && *last != boot) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(layers, ec)) {
      std::string id = entry.path().filename().string();
      if (!runtime_files::valid_container_id(id) || !entry.is_directory() ||
          fs::exists(container_dir(id))) {
        continue;
      }
      std::error_code rm_ec;
      fs::remove_all(entry.path(), rm_ec);
    }
  }
  if (!boot.empty() && (!last.ok() || *last != boot)) (void)write_file_atomic(boot_file, boot);
}

RuncRuntime::~RuncRuntime() {
  if (watcher_.joinable()) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof one);
    watcher_.join();
  }
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

std::string RuncRuntime::sandboxes_dir() const { return options_.state_dir + "/sandboxes"; }
std::string RuncRuntime::containers_dir() const { return options_.state_dir + "/containers"; }
std::string RuncRuntime::rw_layer_dir(std::string_view id) const {
  return options_.data_dir + "/containers/" + std::string(id);
}
std::string RuncRuntime::container_dir(std::string_view id) const {
  return containers_dir() + "/" + std::string(id);
}
std::string RuncRuntime::sandbox_record_path(std::string_view pod_uid) const {
  return sandboxes_dir() + "/" + std::string(pod_uid) + ".json";
}

// ---- records ----

Result<RuncRuntime::ContainerRecord> RuncRuntime::load_container(std::string_view id) const {
  if (!runtime_files::valid_container_id(id)) {
    return make_error(ErrorCode::kNotFound, "container \"" + std::string(id) + "\" not found");
  }
  auto text = read_text(container_dir(id) + "/" + runtime_files::kContainerRecordFile);
  if (!text.ok()) {
    if (text.error().code == ErrorCode::kNotFound) {
      return make_error(ErrorCode::kNotFound, "container \"" + std::string(id) + "\" not found");
    }
    return text.error();
  }
  try {
    Json j = Json::parse(*text);
    ContainerRecord r;
    r.id = j.at("id").get<std::string>();
    r.pod_uid = j.value("podUID", "");
    r.pod_name = j.value("podName", "");
    r.pod_namespace = j.value("podNamespace", "");
    r.name = j.value("name", "");
    r.attempt = j.value("attempt", 0);
    r.image = j.value("image", "");
    r.image_ref = j.value("imageRef", "");
    r.image_id = j.value("imageID", "");
    r.labels = j.value("labels", std::map<std::string, std::string>{});
    r.log_path = j.value("logPath", "");
    r.termination_message_host_path = j.value("terminationMessageHostPath", "");
    r.stop_signal = j.value("stopSignal", "");
    r.tty = j.value("tty", false);
    r.stdin = j.value("stdin", false);
    r.stdin_once = j.value("stdinOnce", false);
    r.created_at = parse_time(j.value("createdAt", ""));
    r.started_at = parse_time(j.value("startedAt", ""));
    r.start_error = j.value("startError", "");
    r.start_failed_at = parse_time(j.value("startFailedAt", ""));
    r.exit_lost_at = parse_time(j.value("exitLostAt", ""));
    return r;
  } catch (const std::exception& e) {
    return internal("container " + std::string(id) + ": bad record: " + e.what());
  }
}

Result<void> RuncRuntime::save_container(const ContainerRecord& r) const {
  Json j{{"id", r.id},
         {"podUID", r.pod_uid},
         {"podName", r.pod_name},
         {"podNamespace", r.pod_namespace},
         {"name", r.name},
         {"attempt", r.attempt},
         {"image", r.image},
         {"imageRef", r.image_ref},
         {"imageID", r.image_id},
         {"labels", r.labels},
         {"logPath", r.log_path},
         {"terminationMessageHostPath", r.termination_message_host_path},
         {"stopSignal", r.stop_signal},
         {"tty", r.tty},
         {"stdin", r.stdin},
         {"stdinOnce", r.stdin_once},
         {"createdAt", time_text(r.created_at)},
         {"startedAt", time_text(r.started_at)},
         {"startError", r.start_error},
         {"startFailedAt", time_text(r.start_failed_at)},
         {"exitLostAt", time_text(r.exit_lost_at)}};
  return write_file_atomic(container_dir(r.id) + "/" + runtime_files::kContainerRecordFile,
                           j.dump());
}

Result<std::vector<RuncRuntime::ContainerRecord>> RuncRuntime::load_containers() const {
  std::vector<ContainerRecord> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(containers_dir(), ec)) {
    std::string id = entry.path().filename().string();
    auto r = load_container(id);
    // NotFound: a create in progress, or a remove that just happened.
    if (!r.ok()) {
      if (r.error().code == ErrorCode::kNotFound) continue;
      return r.error();
    }
    out.push_back(std::move(*r));
  }
  if (ec) return internal("list " + containers_dir() + ": " + ec.message());
  return out;
}

Result<std::optional<RuncRuntime::SandboxRecord>> RuncRuntime::load_sandbox(
    std::string_view pod_uid) const {
  auto text = read_text(sandbox_record_path(pod_uid));
  if (!text.ok()) {
    if (text.error().code == ErrorCode::kNotFound) return std::optional<SandboxRecord>();
    return text.error();
  }
  try {
    Json j = Json::parse(*text);
    SandboxRecord r;
    r.pod_uid = j.at("podUID").get<std::string>();
    r.pod_name = j.value("podName", "");
    r.pod_namespace = j.value("podNamespace", "");
    r.ready = j.value("ready", false);
    r.host_network = j.value("hostNetwork", false);
    r.created_at = parse_time(j.value("createdAt", ""));
    return std::optional<SandboxRecord>(std::move(r));
  } catch (const std::exception& e) {
    return internal("sandbox " + std::string(pod_uid) + ": bad record: " + e.what());
  }
}

Result<void> RuncRuntime::save_sandbox(const SandboxRecord& r) const {
  Json j{{"podUID", r.pod_uid},
         {"podName", r.pod_name},
         {"podNamespace", r.pod_namespace},
         {"ready", r.ready},
         {"hostNetwork", r.host_network},
         {"createdAt", time_text(r.created_at)}};
  return write_file_atomic(sandbox_record_path(r.pod_uid), j.dump());
}

// ---- images ----

Result<ImageInfo> RuncRuntime::image_info(const runtime::Image& image) const {
  ImageInfo info;
  info.id = image.id;
  auto ref = runtime::parse_image_reference(image.name);
  info.repo_digest = (ref.ok() ? ref->name() : image.name) + "@" + image.target.digest;
  // Every name of the same image, as CRI ImageStatus reports repoTags.
  if (auto all = images_->list(); all.ok()) {
    for (const runtime::Image& other : *all) {
      if (other.id == image.id) info.names.push_back(other.name);
    }
  }
  if (info.names.empty()) info.names.push_back(image.name);
  std::sort(info.names.begin(), info.names.end());
  info.names.erase(std::unique(info.names.begin(), info.names.end()), info.names.end());
  info.size = image.size;
  info.entrypoint = image.config.entrypoint;
  info.cmd = image.config.cmd;
  info.env = image.config.env;
  info.working_dir = image.config.working_dir;
  info.user = image.config.user;
  info.stop_signal = image.config.stop_signal;
  return info;
}

Result<std::optional<ImageInfo>> RuncRuntime::image_status(std::string_view image) {
  auto found = images_->get(image);
  if (!found.ok()) {
    if (found.error().code == ErrorCode::kNotFound) return std::optional<ImageInfo>();
    return found.error();
  }
  BOSUN_ASSIGN_OR_RETURN(ImageInfo info, image_info(*found));
  return std::optional<ImageInfo>(std::move(info));
}

Result<ImageInfo> RuncRuntime::pull_image(const PullRequest& request) {
  runtime::PullOptions options;
  options.credentials = request.credentials;
  options.insecure_registries = options_.insecure_registries;
  options.ca_file = options_.registry_ca_file;
  // The puller reports per blob; the agent's events want the whole image's bytes.
  std::map<std::string, std::pair<int64_t, int64_t>> blobs;  // digest -> (done, total)
  if (request.progress) {
    options.progress = [&](const runtime::PullProgress& p) {
      if (p.phase != runtime::PullProgress::Phase::kDownloading || p.digest.empty()) return;
      blobs[p.digest] = {p.bytes_done, p.bytes_total};
      int64_t done = 0, total = 0;
      for (const auto& [digest, b] : blobs) {
        done += b.first;
        total += b.second;
      }
      request.progress(done, total);
    };
  }
  BOSUN_ASSIGN_OR_RETURN(runtime::Image image,
                         runtime::pull_image(*images_, request.image, options));
  return image_info(image);
}

// ---- sandboxes ----

namespace {

SandboxStatus sandbox_status(const std::string& dir, const std::string& pod_uid,
                             const std::string& pod_name, const std::string& pod_namespace,
                             bool ready, std::chrono::system_clock::time_point created_at) {
  SandboxStatus s;
  s.pod_uid = pod_uid;
  s.pod_name = pod_name;
  s.pod_namespace = pod_namespace;
  s.ready = ready;
  s.created_at = created_at;
  if (ready) {
    if (auto sb = runtime::Sandbox::open(dir); sb.ok()) {
      s.network_ns_path = sb->network_ns_path();
    } else {
      s.ready = false;
    }
  }
  return s;
}

}  // namespace

Result<SandboxStatus> RuncRuntime::run_pod_sandbox(const runtime::SandboxConfig& config) {
  BOSUN_RETURN_IF_ERROR(check_pod_uid(config.pod_uid));
  std::string dir = sandboxes_dir() + "/" + config.pod_uid;
  BOSUN_ASSIGN_OR_RETURN(auto existing, load_sandbox(config.pod_uid));
  std::error_code ec;
  if (existing && existing->ready && fs::exists(dir, ec)) {
    return sandbox_status(dir, existing->pod_uid, existing->pod_name, existing->pod_namespace, true,
                          existing->created_at);
  }
  // A container start follows: its runc's cgroup migration should find the kernel's lock ready
  // rather than wait a grace period (runtime/cgroup_warmer.h).
  runtime::CgroupMigrationWarmer::shared().warm_for(kCgroupWarmSpan);
  // A directory without a ready record is what a crash during create or stop left behind.
  if (fs::exists(dir, ec)) {
    if (auto old = runtime::Sandbox::open(dir); old.ok()) {
      BOSUN_RETURN_IF_ERROR(old->destroy());
    } else {
      fs::remove_all(dir, ec);
    }
  }
  BOSUN_ASSIGN_OR_RETURN(runtime::Sandbox sandbox,
                         runtime::Sandbox::create(sandboxes_dir(), config));
  SandboxRecord record;
  record.pod_uid = config.pod_uid;
  record.pod_name = config.pod_name;
  record.pod_namespace = config.pod_namespace;
  record.ready = true;
  record.host_network = config.host_network;
  record.created_at = std::chrono::system_clock::now();
  if (auto saved = save_sandbox(record); !saved.ok()) {
    (void)sandbox.destroy();
    return saved.error();
  }
  SandboxStatus s;
  s.pod_uid = record.pod_uid;
  s.pod_name = record.pod_name;
  s.pod_namespace = record.pod_namespace;
  s.ready = true;
  s.created_at = record.created_at;
  s.network_ns_path = sandbox.network_ns_path();
  return s;
}

Result<void> RuncRuntime::stop_pod_sandbox(std::string_view pod_uid) {
  BOSUN_RETURN_IF_ERROR(check_pod_uid(pod_uid));
  BOSUN_ASSIGN_OR_RETURN(std::vector<ContainerRecord> all, load_containers());
  Result<void> first = ok_result();
  auto keep = [&](Result<void> r) {
    if (!r.ok() && first.ok()) first = std::move(r);
  };
  // Every container dies before the namespaces and cgroups go; the agent already gave them their
  // grace period, so this is SIGKILL (the kubelet's StopPodSandbox path).
  for (const ContainerRecord& c : all) {
    if (c.pod_uid != pod_uid) continue;
    ContainerState state = status_of(c).state;
    if (state == ContainerState::kRunning || state == ContainerState::kUnknown) {
      keep(kill_and_wait(c, SIGKILL, std::chrono::seconds(10)));
    }
  }
  // runc's state and the containers' cgroups go now (the exit records stay for the agent to
  // read until it removes the containers), so the pod's cgroup can go with the sandbox.
  for (const ContainerRecord& c : all) {
    if (c.pod_uid != pod_uid) continue;
    runtime::release_memory_charges(runtime::container_cgroup_path(c.pod_uid, c.id));
    auto removed = runc_.remove(c.id, true);
    if (!removed.ok() && removed.error().code != ErrorCode::kNotFound) keep(removed);
    keep(runtime::unmount_container_rootfs(container_dir(c.id), rw_layer_dir(c.id)));
  }
  std::string dir = sandboxes_dir() + "/" + std::string(pod_uid);
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (auto sb = runtime::Sandbox::open(dir); sb.ok()) {
      keep(sb->destroy());
    } else {
      fs::remove_all(dir, ec);
    }
  }
  keep(remove_pod_cgroups(pod_uid));
  BOSUN_ASSIGN_OR_RETURN(auto record, load_sandbox(pod_uid));
  if (record && record->ready && first.ok()) {
    record->ready = false;
    keep(save_sandbox(*record));
  }
  return first;
}

Result<void> RuncRuntime::remove_pod_sandbox(std::string_view pod_uid) {
  BOSUN_RETURN_IF_ERROR(stop_pod_sandbox(pod_uid));
  BOSUN_ASSIGN_OR_RETURN(std::vector<ContainerRecord> all, load_containers());
  for (const ContainerRecord& c : all) {
    if (c.pod_uid == pod_uid) BOSUN_RETURN_IF_ERROR(remove_container(c.id));
  }
  std::error_code ec;
  fs::remove(sandbox_record_path(pod_uid), ec);
  if (ec) return internal("remove " + sandbox_record_path(pod_uid) + ": " + ec.message());
  return ok_result();
}

Result<std::optional<SandboxStatus>> RuncRuntime::pod_sandbox_status(std::string_view pod_uid) {
  // No sandbox can exist under a uid that is not a plain file name.
  if (!check_pod_uid(pod_uid).ok()) return std::optional<SandboxStatus>();
  BOSUN_ASSIGN_OR_RETURN(auto record, load_sandbox(pod_uid));
  if (!record) return std::optional<SandboxStatus>();
  return std::optional<SandboxStatus>(
      sandbox_status(sandboxes_dir() + "/" + std::string(pod_uid), record->pod_uid,
                     record->pod_name, record->pod_namespace, record->ready, record->created_at));
}

Result<std::vector<SandboxStatus>> RuncRuntime::list_pod_sandboxes() {
  std::vector<SandboxStatus> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sandboxes_dir(), ec)) {
    if (entry.path().extension() != ".json" || !entry.is_regular_file()) continue;
    std::string uid = entry.path().stem().string();
    BOSUN_ASSIGN_OR_RETURN(auto record, load_sandbox(uid));
    if (!record) continue;
    out.push_back(sandbox_status(sandboxes_dir() + "/" + uid, record->pod_uid, record->pod_name,
                                 record->pod_namespace, record->ready, record->created_at));
  }
  if (ec) return internal("list " + sandboxes_dir() + ": " + ec.message());
  std::sort(out.begin(), out.end(),
            [](const SandboxStatus& a, const SandboxStatus& b) { return a.pod_uid < b.pod_uid; });
  return out;
}

// ---- the exit watcher ----

Result<void> RuncRuntime::start_watcher() {
  inotify_fd_ = ::inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (inotify_fd_ < 0) return internal(std::string("inotify: ") + std::strerror(errno));
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) return internal(std::string("eventfd: ") + std::strerror(errno));
  BOSUN_ASSIGN_OR_RETURN(std::vector<ContainerRecord> all, load_containers());
  for (const ContainerRecord& c : all) watch(c.id, c.pod_uid);
  watcher_ = std::thread([this] { watch_loop(); });
  return ok_result();
}

void RuncRuntime::watch(const std::string& id, const std::string& pod_uid) {
  // The monitor renames exit.json into place: one event per exit, none for its log writes.
  int wd = ::inotify_add_watch(inotify_fd_, container_dir(id).c_str(), IN_MOVED_TO);
  if (wd < 0) return;
  std::lock_guard<std::mutex> lock(watch_mu_);
  watched_[wd] = {id, pod_uid};
  watch_of_container_[id] = wd;
}

void RuncRuntime::index_container(const std::string& pod_uid, const std::string& id) {
  std::lock_guard<std::mutex> lock(index_mu_);
  pod_containers_[pod_uid].insert(id);
  pod_of_container_[id] = pod_uid;
}

void RuncRuntime::unindex_container(const std::string& id) {
  std::lock_guard<std::mutex> lock(index_mu_);
  auto it = pod_of_container_.find(id);
  if (it == pod_of_container_.end()) return;
  auto pod = pod_containers_.find(it->second);
  if (pod != pod_containers_.end()) {
    pod->second.erase(id);
    if (pod->second.empty()) pod_containers_.erase(pod);
  }
  pod_of_container_.erase(it);
}

void RuncRuntime::unwatch(const std::string& id) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  auto it = watch_of_container_.find(id);
  if (it == watch_of_container_.end()) return;
  ::inotify_rm_watch(inotify_fd_, it->second);
  watched_.erase(it->second);
  watch_of_container_.erase(it);
}

void RuncRuntime::notify(const std::string& pod_uid) {
  std::function<void(const std::string&)> listener;
  {
    std::lock_guard<std::mutex> lock(watch_mu_);
    listener = listener_;
  }
  if (listener) listener(pod_uid);
}

void RuncRuntime::set_container_event_listener(std::function<void(const std::string&)> listener) {
  std::lock_guard<std::mutex> lock(watch_mu_);
  listener_ = std::move(listener);
}

void RuncRuntime::watch_loop() {
  alignas(inotify_event) char buf[16384];
  while (true) {
    pollfd p[2] = {{inotify_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    int n = ::poll(p, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[1].revents & POLLIN) return;
    ssize_t len = ::read(inotify_fd_, buf, sizeof buf);
    if (len <= 0) continue;
    std::vector<std::string> pods;
    std::function<void(const std::string&)> listener;
    {
      std::lock_guard<std::mutex> lock(watch_mu_);
      for (ssize_t off = 0; off < len;) {
        auto* ev = reinterpret_cast<inotify_event*>(buf + off);
        off += static_cast<ssize_t>(sizeof(inotify_event) + ev->len);
        auto it = watched_.find(ev->wd);
        if (it == watched_.end()) continue;
        if (ev->mask & IN_IGNORED) {
          // The directory is gone (the container was removed).
          watch_of_container_.erase(it->second.first);
          watched_.erase(it);
          continue;
        }
        if (ev->len > 0 && std::strcmp(ev->name, runtime::kExitFile) == 0) {
          if (std::find(pods.begin(), pods.end(), it->second.second) == pods.end()) {
            pods.push_back(it->second.second);
          }
        }
      }
      listener = listener_;
    }
    if (!listener) continue;
    for (const std::string& pod : pods) listener(pod);
  }
}

}  // namespace bosun::agent
