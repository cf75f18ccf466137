#include "agent/fake_runtime.h"

#include <cstdio>
#include <random>

namespace bosun::agent {
namespace {

// A fake image's digest, stable per reference so imageID does not change between syncs.
std::string fake_digest(std::string_view image) {
  uint64_t h = std::hash<std::string_view>{}(image);
  char buf[80];
  std::snprintf(buf, sizeof buf, "sha256:%016llx%016llx%016llx%016llx",
                static_cast<unsigned long long>(h), static_cast<unsigned long long>(h * 31 + 7),
                static_cast<unsigned long long>(h * 131 + 17),
                static_cast<unsigned long long>(h * 1313 + 71));
  return buf;
}

// The repository part of a reference (without tag or digest), for the repo digest.
std::string repository_of(std::string_view image) {
  std::string_view repo = image;
  if (size_t at = repo.find('@'); at != std::string_view::npos) repo = repo.substr(0, at);
  size_t slash = repo.rfind('/');
  size_t colon = repo.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    repo = repo.substr(0, colon);
  }
  return std::string(repo);
}

}  // namespace

FakeRuntime::FakeRuntime(FakeRuntimeOptions options)
    : options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : Clock::real()),
      images_(options_.images) {
  // Distinct id spaces per runtime, so two hollow nodes never report the same container ID.
  std::random_device rd;
  next_id_ = (static_cast<uint64_t>(rd()) << 32) | 1;
}

void FakeRuntime::record_locked(std::string call) {
  if (options_.record_calls) calls_.push_back(std::move(call));
}

bool FakeRuntime::image_present_locked(std::string_view image) const {
  return !images_ || images_->count(std::string(image)) > 0;
}

ImageInfo FakeRuntime::image_info(std::string_view image) const {
  ImageInfo info;
  info.id = fake_digest(image);
  info.repo_digest = repository_of(image) + "@" + info.id;
  info.names = {std::string(image)};
  info.size = 1 << 20;
  info.cmd = {"/bin/sh"};
  return info;
}

Result<std::optional<ImageInfo>> FakeRuntime::image_status(std::string_view image) {
  std::lock_guard lock(mu_);
  if (!image_present_locked(image)) return std::optional<ImageInfo>();
  return std::optional<ImageInfo>(image_info(image));
}

Result<ImageInfo> FakeRuntime::pull_image(const PullRequest& request) {
  std::unique_lock lock(mu_);
  record_locked("pull_image " + request.image);
  pulls_released_.wait(lock, [&] { return !held_pulls_.count(request.image); });
  if (auto it = pull_errors_.find(request.image); it != pull_errors_.end()) return it->second;
  if (options_.pullable && !options_.pullable->count(request.image)) {
    return make_error(ErrorCode::kNotFound,
                      "failed to resolve reference \"" + request.image + "\": not found");
  }
  if (options_.on_pull) options_.on_pull(request);
  if (images_) images_->insert(request.image);
  if (request.progress) request.progress(1 << 20, 1 << 20);
  return image_info(request.image);
}

Result<SandboxStatus> FakeRuntime::run_pod_sandbox(const runtime::SandboxConfig& config) {
  std::lock_guard lock(mu_);
  record_locked("run_pod_sandbox " + config.pod_uid);
  auto it = sandboxes_.find(config.pod_uid);
  if (it != sandboxes_.end() && it->second.status.ready) return it->second.status;
  Sandbox s;
  s.status.pod_uid = config.pod_uid;
  s.status.pod_name = config.pod_name;
  s.status.pod_namespace = config.pod_namespace;
  s.status.ready = true;
  s.status.created_at = clock_.now();
  if (!config.host_network) s.status.network_ns_path = "/fake/netns/" + config.pod_uid;
  sandboxes_[config.pod_uid] = s;
  return s.status;
}

Result<void> FakeRuntime::stop_pod_sandbox(std::string_view pod_uid) {
  std::lock_guard lock(mu_);
  record_locked("stop_pod_sandbox " + std::string(pod_uid));
  auto ids = pod_containers_.find(pod_uid);
  for (const auto& id : ids == pod_containers_.end() ? std::vector<std::string>() : ids->second) {
    auto found = containers_.find(id);
    if (found == containers_.end()) continue;
    Container& c = found->second;
    refresh_locked(c);
    if (c.status.state == ContainerState::kRunning || c.status.state == ContainerState::kCreated) {
      c.status.state = ContainerState::kExited;
      c.status.finished_at = clock_.now();
      c.status.exit_code = 137;
      c.status.reason = "Error";
      c.start_requested.reset();
    }
  }
  if (auto it = sandboxes_.find(pod_uid); it != sandboxes_.end()) it->second.status.ready = false;
  return {};
}

Result<void> FakeRuntime::remove_pod_sandbox(std::string_view pod_uid) {
  std::lock_guard lock(mu_);
  record_locked("remove_pod_sandbox " + std::string(pod_uid));
  if (auto p = pod_containers_.find(pod_uid); p != pod_containers_.end()) {
    for (const auto& id : p->second) containers_.erase(id);
    pod_containers_.erase(p);
  }
  if (auto it = sandboxes_.find(pod_uid); it != sandboxes_.end()) sandboxes_.erase(it);
  return {};
}

Result<std::vector<SandboxStatus>> FakeRuntime::list_pod_sandboxes() {
  std::lock_guard lock(mu_);
  std::vector<SandboxStatus> out;
  out.reserve(sandboxes_.size());
  for (const auto& [uid, s] : sandboxes_) out.push_back(s.status);
  return out;
}

Result<std::string> FakeRuntime::create_container(const ContainerConfig& config) {
  std::lock_guard lock(mu_);
  auto sb = sandboxes_.find(config.pod_uid);
  if (sb == sandboxes_.end() || !sb->second.status.ready) {
    return make_error(ErrorCode::kNotFound, "sandbox of pod " + config.pod_uid + " is not ready");
  }
  if (!image_present_locked(config.image)) {
    return make_error(ErrorCode::kNotFound, "image \"" + config.image + "\" is not present");
  }
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(next_id_++));
  std::string id = buf;
  record_locked("create_container " + config.name);
  Container c;
  c.status.id = id;
  c.status.pod_uid = config.pod_uid;
  c.status.name = config.name;
  c.status.attempt = config.attempt;
  c.status.state = ContainerState::kCreated;
  c.status.created_at = clock_.now();
  c.status.image = config.image;
  c.status.image_ref = image_info(config.image).repo_digest;
  c.status.log_path = config.log_path;
  if (options_.record_calls) {
    c.status.labels = config.labels;
    c.config = std::make_shared<const ContainerConfig>(config);
  }
  containers_.emplace(id, std::move(c));
  pod_containers_[config.pod_uid].push_back(id);
  return id;
}

void FakeRuntime::refresh_locked(Container& c) const {
  if (c.status.state != ContainerState::kCreated || !c.start_requested) return;
  const Clock::MonoTime ready_at = *c.start_requested + options_.startup_latency;
  const Clock::MonoTime now = clock_.monotonic();
  if (now < ready_at) return;
  c.status.state = ContainerState::kRunning;
  // Started when the latency ran out, in wall time.
  c.status.started_at =
      clock_.now() - std::chrono::duration_cast<Clock::WallTime::duration>(now - ready_at);
}

Result<void> FakeRuntime::start_container(std::string_view id) {
  std::function<void(Clock::Duration, std::function<void()>)> schedule;
  std::string pod_uid;
  {
    std::lock_guard lock(mu_);
    record_locked("start_container " + std::string(id));
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      return make_error(ErrorCode::kNotFound, "container " + std::string(id) + " not found");
    }
    Container& c = it->second;
    if (c.status.state != ContainerState::kCreated || c.start_requested) {
      return make_error(ErrorCode::kConflict,
                        "container " + std::string(id) + " is not in the created state");
    }
    c.start_requested = clock_.monotonic();
    refresh_locked(c);
    if (c.status.state == ContainerState::kCreated && options_.schedule) {
      schedule = options_.schedule;
      pod_uid = c.status.pod_uid;
    }
  }
  if (schedule) {
    schedule(options_.startup_latency, [this, pod_uid] {
      if (listener_) listener_(pod_uid);
    });
  }
  return {};
}

Result<void> FakeRuntime::stop_container(std::string_view id, std::chrono::milliseconds grace,
                                         std::string_view stop_signal) {
  {
    std::lock_guard lock(mu_);
    record_locked("stop_container " + std::string(id) + (stop_signal.empty() ? "" : " ") +
                  std::string(stop_signal));
    auto it = containers_.find(id);
    if (it == containers_.end()) {
      return make_error(ErrorCode::kNotFound, "container " + std::string(id) + " not found");
    }
    Container& c = it->second;
    refresh_locked(c);
    if (c.status.state == ContainerState::kExited) return {};
    if (!ignore_sigterm_ || grace <= std::chrono::milliseconds::zero()) {
      // A fake process obeys SIGTERM at once: exit code 143 (128 + SIGTERM), as a shell does.
      kill_locked(c, 143);
      return {};
    }
  }
  // SIGTERM is ignored: SIGKILL once the grace period is over.
  clock_.sleep_until(clock_.monotonic() + grace);
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) return {};
  Container& c = it->second;
  refresh_locked(c);
  if (c.status.state == ContainerState::kExited) return {};
  kill_locked(c, 137);
  return {};
}

void FakeRuntime::kill_locked(Container& c, int exit_code) {
  c.status.state = ContainerState::kExited;
  c.status.finished_at = clock_.now();
  c.status.exit_code = exit_code;
  c.status.reason = "Error";
  c.start_requested.reset();
}

void FakeRuntime::hold_pulls(const std::string& image, bool held) {
  {
    std::lock_guard lock(mu_);
    if (held) {
      held_pulls_.insert(image);
    } else {
      held_pulls_.erase(image);
    }
  }
  pulls_released_.notify_all();
}

void FakeRuntime::set_ignore_sigterm(bool ignore) {
  std::lock_guard lock(mu_);
  ignore_sigterm_ = ignore;
}

Result<void> FakeRuntime::remove_container(std::string_view id) {
  std::lock_guard lock(mu_);
  record_locked("remove_container " + std::string(id));
  auto it = containers_.find(id);
  if (it == containers_.end()) return {};
  if (it->second.status.state == ContainerState::kRunning) {
    return make_error(ErrorCode::kConflict, "container " + std::string(id) + " is running");
  }
  if (auto p = pod_containers_.find(it->second.status.pod_uid); p != pod_containers_.end()) {
    std::erase(p->second, it->first);
    if (p->second.empty()) pod_containers_.erase(p);
  }
  containers_.erase(it);
  return {};
}

Result<std::vector<ContainerStatus>> FakeRuntime::list_containers() {
  std::lock_guard lock(mu_);
  std::vector<ContainerStatus> out;
  out.reserve(containers_.size());
  for (auto& [id, c] : containers_) {
    refresh_locked(c);
    out.push_back(c.status);
  }
  return out;
}

Result<std::vector<ContainerStatus>> FakeRuntime::list_pod_containers(std::string_view pod_uid) {
  std::lock_guard lock(mu_);
  std::vector<ContainerStatus> out;
  auto p = pod_containers_.find(pod_uid);
  if (p == pod_containers_.end()) return out;
  out.reserve(p->second.size());
  for (const auto& id : p->second) {
    auto it = containers_.find(id);
    if (it == containers_.end()) continue;
    refresh_locked(it->second);
    out.push_back(it->second.status);
  }
  return out;
}

Result<std::optional<SandboxStatus>> FakeRuntime::pod_sandbox_status(std::string_view pod_uid) {
  std::lock_guard lock(mu_);
  auto it = sandboxes_.find(pod_uid);
  if (it == sandboxes_.end()) return std::optional<SandboxStatus>();
  return std::optional<SandboxStatus>(it->second.status);
}

Result<ContainerStatus> FakeRuntime::container_status(std::string_view id) {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return make_error(ErrorCode::kNotFound, "container " + std::string(id) + " not found");
  }
  refresh_locked(it->second);
  return it->second.status;
}

Result<ExecSyncResult> FakeRuntime::exec_sync(std::string_view id,
                                              const std::vector<std::string>& command,
                                              std::chrono::milliseconds timeout) {
  (void)timeout;
  std::lock_guard lock(mu_);
  std::string call = "exec_sync " + std::string(id);
  for (const auto& a : command) call += " " + a;
  record_locked(std::move(call));
  auto it = containers_.find(id);
  if (it == containers_.end()) {
    return make_error(ErrorCode::kNotFound, "container " + std::string(id) + " not found");
  }
  refresh_locked(it->second);
  if (it->second.status.state != ContainerState::kRunning) {
    return make_error(ErrorCode::kConflict, "container " + std::string(id) + " is not running");
  }
  return exec_result_;
}

void FakeRuntime::set_container_event_listener(std::function<void(const std::string&)> listener) {
  listener_ = std::move(listener);
}

Result<void> FakeRuntime::exit_container(std::string_view pod_uid, std::string_view name,
                                         int exit_code, bool oom, std::string message) {
  {
    std::lock_guard lock(mu_);
    Container* newest = nullptr;
    for (auto& [id, c] : containers_) {
      refresh_locked(c);
      if (c.status.pod_uid != pod_uid || c.status.name != name) continue;
      if (c.status.state != ContainerState::kRunning) continue;
      if (!newest || c.status.attempt > newest->status.attempt) newest = &c;
    }
    if (!newest) {
      return make_error(ErrorCode::kNotFound, "no running container " + std::string(name) +
                                                  " in pod " + std::string(pod_uid));
    }
    newest->status.state = ContainerState::kExited;
    newest->status.finished_at = clock_.now();
    newest->status.exit_code = exit_code;
    newest->status.reason = oom ? "OOMKilled" : (exit_code == 0 ? "Completed" : "Error");
    newest->status.message = std::move(message);
    newest->start_requested.reset();
  }
  if (listener_) listener_(std::string(pod_uid));
  return {};
}

void FakeRuntime::set_exec_result(int exit_code, std::string output) {
  std::lock_guard lock(mu_);
  exec_result_.exit_code = exit_code;
  exec_result_.output = std::move(output);
}

void FakeRuntime::set_pull_error(const std::string& image, std::optional<Error> error) {
  std::lock_guard lock(mu_);
  if (error) {
    pull_errors_[image] = *error;
  } else {
    pull_errors_.erase(image);
  }
}

void FakeRuntime::add_image(const std::string& image) {
  std::lock_guard lock(mu_);
  if (images_) images_->insert(image);
}

Result<ContainerConfig> FakeRuntime::container_config(std::string_view id) const {
  std::lock_guard lock(mu_);
  auto it = containers_.find(id);
  if (it == containers_.end() || !it->second.config) {
    return make_error(ErrorCode::kNotFound, "no recorded config for container " + std::string(id));
  }
  return *it->second.config;
}

std::vector<std::string> FakeRuntime::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

size_t FakeRuntime::sandbox_count() const {
  std::lock_guard lock(mu_);
  return sandboxes_.size();
}

size_t FakeRuntime::container_count() const {
  std::lock_guard lock(mu_);
  return containers_.size();
}

}  // namespace bosun::agent
