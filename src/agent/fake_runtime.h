// FakeRuntime: a ContainerRuntime that keeps everything in memory, for hollow nodes (kubemark's
// fake container runtime) and for the agent's tests. Containers "start" once a startup latency has
// passed on the injected Clock and then keep running until a test makes them exit (with a code, or
// OOM-killed) or the agent stops them. Tests can limit the images present, fail pulls, script
// exec_sync results and read back the calls made. Thread-safe: one mutex guards the state.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/container_runtime.h"
#include "common/clock.h"

namespace bosun::agent {

struct FakeRuntimeOptions {
  Clock* clock = nullptr;  // the real clock when null
  // A started container reports Running once this much time has passed since start_container.
  Clock::Duration startup_latency{0};
  // Images present locally; nullopt: every image is present (hollow nodes).
  std::optional<std::set<std::string>> images;
  // Images pull_image() can fetch when they are not present; nullopt: every image.
  std::optional<std::set<std::string>> pullable;
  // Record every call for calls() (tests); off for hollow nodes, to stay small.
  bool record_calls = false;
  std::string runtime_name = "fake";
  std::string runtime_version = "fake://0.1.0";
  // Called with a delay and a function to run after it, when a started container will become
  // Running later (startup_latency > 0): lets hollow nodes tell the agent at once through a shared
  // timer rather than waiting for a relist. Empty: the agent's relist notices.
  std::function<void(Clock::Duration, std::function<void()>)> schedule;
  // Called by pull_image() with the request before it succeeds (tests: a slow pull that advances
  // the clock and reports progress). Runs under the runtime's lock: it must not call the runtime.
  std::function<void(const PullRequest&)> on_pull;
};

class FakeRuntime final : public ContainerRuntime {
 public:
  explicit FakeRuntime(FakeRuntimeOptions options = {});

  std::string version() const override { return options_.runtime_version; }
  std::string_view id_prefix() const override { return options_.runtime_name; }

  Result<std::optional<ImageInfo>> image_status(std::string_view image) override;
  Result<ImageInfo> pull_image(const PullRequest& request) override;

  Result<SandboxStatus> run_pod_sandbox(const runtime::SandboxConfig& config) override;
  Result<void> stop_pod_sandbox(std::string_view pod_uid) override;
  Result<void> remove_pod_sandbox(std::string_view pod_uid) override;
  Result<std::vector<SandboxStatus>> list_pod_sandboxes() override;
  Result<std::optional<SandboxStatus>> pod_sandbox_status(std::string_view pod_uid) override;

  Result<std::string> create_container(const ContainerConfig& config) override;
  Result<void> start_container(std::string_view id) override;
  Result<void> stop_container(std::string_view id, std::chrono::milliseconds grace,
                              std::string_view stop_signal = {}) override;
  Result<void> remove_container(std::string_view id) override;
  Result<std::vector<ContainerStatus>> list_containers() override;
  Result<std::vector<ContainerStatus>> list_pod_containers(std::string_view pod_uid) override;
  Result<ContainerStatus> container_status(std::string_view id) override;
  Result<ExecSyncResult> exec_sync(std::string_view id, const std::vector<std::string>& command,
                                   std::chrono::milliseconds timeout) override;
  void set_container_event_listener(std::function<void(const std::string&)> listener) override;

  // ---- test controls ----
  // Makes the newest container named `name` of the pod exit with `exit_code` (reason Completed for
  // 0, Error otherwise, OOMKilled when `oom`), then tells the event listener. NotFound if there is
  // no running container of that name.
  Result<void> exit_container(std::string_view pod_uid, std::string_view name, int exit_code,
                              bool oom = false, std::string message = {});
  // From now on running containers ignore SIGTERM, as a shell that is PID 1 without a trap does:
  // stop_container() waits out the grace period on the clock, then kills them (exit code 137).
  void set_ignore_sigterm(bool ignore);
  // What exec_sync() returns from now on.
  void set_exec_result(int exit_code, std::string output = {});
  // pull_image() of `image` fails with `error` until cleared (nullopt).
  void set_pull_error(const std::string& image, std::optional<Error> error);
  // While held, a pull_image() of `image` waits (without the runtime's lock: every other call goes
  // on) until the image is let go: a slow registry.
  void hold_pulls(const std::string& image, bool held);
  void add_image(const std::string& image);
  // The config a container was created with (NotFound for an unknown id).
  Result<ContainerConfig> container_config(std::string_view id) const;
  // Every call as "<method> <argument>" (e.g. "start_container c3"), when record_calls is on.
  std::vector<std::string> calls() const;
  size_t sandbox_count() const;
  size_t container_count() const;

 private:
  // What the fake keeps per container: the config's identity, not the whole config, unless calls
  // are recorded (tests inspect it then).
  struct Container {
    ContainerStatus status;
    std::optional<Clock::MonoTime> start_requested;  // running once start_requested + latency
    std::shared_ptr<const ContainerConfig> config;   // tests only
  };
  struct Sandbox {
    SandboxStatus status;
  };

  // Callers hold mu_. Moves a started container to Running once its latency has passed.
  void refresh_locked(Container& c) const;
  void record_locked(std::string call);
  // The container exits as killed by a signal: `exit_code` 143 (SIGTERM) or 137 (SIGKILL).
  void kill_locked(Container& c, int exit_code);
  bool image_present_locked(std::string_view image) const;
  ImageInfo image_info(std::string_view image) const;

  const FakeRuntimeOptions options_;
  Clock& clock_;
  std::function<void(const std::string&)> listener_;

  mutable std::mutex mu_;                   // guards everything below
  std::condition_variable pulls_released_;  // with mu_: an image of held_pulls_ was let go
  std::set<std::string> held_pulls_;
  std::optional<std::set<std::string>> images_;
  std::map<std::string, Error> pull_errors_;
  std::map<std::string, Sandbox, std::less<>> sandboxes_;                        // by pod uid
  mutable std::map<std::string, Container, std::less<>> containers_;             // by id
  std::map<std::string, std::vector<std::string>, std::less<>> pod_containers_;  // uid -> ids
  uint64_t next_id_ = 1;
  ExecSyncResult exec_result_;
  bool ignore_sigterm_ = false;
  std::vector<std::string> calls_;
};

}  // namespace bosun::agent
