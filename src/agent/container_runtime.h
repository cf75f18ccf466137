// ContainerRuntime: what the agent's pod workers ask of the machine, shaped like the CRI the
// kubelet speaks (RuntimeService + ImageService) so the agent code above it is the same for real
// nodes (RuncRuntime: sandboxes, OCI bundles and runc) and simulated ones (FakeRuntime: hollow
// nodes). The agent decides (what to run, when to restart, what the status says); the runtime
// only does, and reports what exists. Implementations are thread-safe: pod workers for different
// pods call in parallel; calls for one pod are serialised by its worker. Calls may block.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/bundle_spec.h"
#include "runtime/container_attach.h"
#include "runtime/registry_auth.h"
#include "runtime/sandbox.h"

namespace bosun::agent {

// ---- images ----

struct ImageInfo {
  std::string id;           // config digest: containerStatuses[].imageID is built from repo digest
  std::string repo_digest;  // "docker.io/library/busybox@sha256:..." (imageID in the pod status)
  std::vector<std::string> names;
  int64_t size = 0;
  // From the image config, for merging with the container's command/args/env/workingDir.
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "NAME=value"
  std::string working_dir;
  std::string user;         // "uid[:gid]" or a name, as in the image config
  std::string stop_signal;  // "SIGQUIT" etc.; empty = SIGTERM
};

struct PullRequest {
  std::string image;                               // the reference as written in the pod spec
  std::vector<runtime::DockerConfig> credentials;  // from imagePullSecrets
  // Called as the pull progresses (for the agent's "Pulling" events); may be empty.
  std::function<void(int64_t bytes_done, int64_t bytes_total)> progress;
};

// ---- sandboxes and containers ----

enum class ContainerState { kCreated, kRunning, kExited, kUnknown };

// What the agent wants run: Kubernetes' container spec already resolved by the agent (env with
// valueFrom resolved, volumes turned into host paths, securityContext and resources decided).
struct ContainerConfig {
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  std::string name;   // the container's name in the pod
  int attempt = 0;    // restartCount at creation
  std::string image;  // the reference from the pod spec (the runtime resolves it locally)
  // Kubernetes' command/args; the runtime merges them with the image's entrypoint/cmd as the
  // kubelet and containerd do (command replaces entrypoint and drops cmd; args replaces cmd).
  std::vector<std::string> command;
  std::vector<std::string> args;
  std::vector<std::string> env;  // "NAME=value", appended after the image's (later wins)
  std::string working_dir;       // empty: the image's
  std::vector<runtime::BindMount> mounts;
  std::optional<int64_t> run_as_user;
  std::optional<int64_t> run_as_group;
  std::vector<uint32_t> supplemental_groups;
  runtime::CapabilityChanges capabilities;
  bool privileged = false;
  bool read_only_root_filesystem = false;
  bool no_new_privileges = false;
  runtime::ContainerResources resources;
  std::optional<int> oom_score_adj;
  std::string log_path;  // CRI-format log file (the agent owns the layout and rotation)
  // Where the container's terminationMessagePath is bound from (empty: none).
  std::string termination_message_host_path;
  std::string termination_message_path;
  // Container.tty, stdin and stdinOnce: a terminal and an open stdin for `kubectl attach`.
  bool tty = false;
  bool stdin_open = false;
  bool stdin_once = false;
  std::map<std::string, std::string> labels;  // kept for recovery and listing
};

struct ContainerStatus {
  std::string id;  // runtime id; containerID in the pod status is "<runtime>://<id>"
  std::string pod_uid;
  std::string name;
  int attempt = 0;
  ContainerState state = ContainerState::kUnknown;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point started_at;   // zero until started
  std::chrono::system_clock::time_point finished_at;  // zero until exited
  int exit_code = 0;
  std::string reason;     // "OOMKilled", "Error", "Completed" once exited
  std::string message;    // the termination message, when the container wrote one
  std::string image;      // the reference it was created from
  std::string image_ref;  // the repo digest it runs (imageID)
  std::string log_path;
  std::map<std::string, std::string> labels;
};

struct SandboxStatus {
  std::string pod_uid;
  std::string pod_name;
  std::string pod_namespace;
  bool ready = false;  // namespaces up; false once stopped
  std::chrono::system_clock::time_point created_at;
  std::string network_ns_path;  // empty with hostNetwork (probes connect from inside it)
};

struct ExecSyncResult {
  int exit_code = 0;
  std::string output;  // stdout then stderr, as a probe's message keeps it
  bool timed_out = false;
};

class ContainerRuntime {
 public:
  virtual ~ContainerRuntime() = default;

  // "runc://1.1.5": nodeInfo.containerRuntimeVersion and the containerID prefix ("runc").
  virtual std::string version() const = 0;
  virtual std::string_view id_prefix() const = 0;

  // -- images --
  // The image if present locally; nullopt if not.
  virtual Result<std::optional<ImageInfo>> image_status(std::string_view image) = 0;
  virtual Result<ImageInfo> pull_image(const PullRequest& request) = 0;

  // -- sandboxes --
  // Creates the pod's sandbox (idempotent: an existing ready one is returned as is).
  virtual Result<SandboxStatus> run_pod_sandbox(const runtime::SandboxConfig& config) = 0;
  // Stops every container of the pod (no grace: the agent stopped them gracefully first) and
  // releases the sandbox's namespaces and mounts.
  virtual Result<void> stop_pod_sandbox(std::string_view pod_uid) = 0;
  // Removes the sandbox and everything the runtime kept for the pod (containers included).
  virtual Result<void> remove_pod_sandbox(std::string_view pod_uid) = 0;
  virtual Result<std::vector<SandboxStatus>> list_pod_sandboxes() = 0;
  // One pod's sandbox, nullopt when it has none (CRI PodSandboxStatus). The default filters
  // list_pod_sandboxes(); runtimes with many pods override it.
  virtual Result<std::optional<SandboxStatus>> pod_sandbox_status(std::string_view pod_uid) {
    BOSUN_ASSIGN_OR_RETURN(auto all, list_pod_sandboxes());
    for (auto& s : all) {
      if (s.pod_uid == pod_uid) return std::optional<SandboxStatus>(std::move(s));
    }
    return std::optional<SandboxStatus>();
  }

  // -- containers --
  virtual Result<std::string> create_container(const ContainerConfig& config) = 0;
  virtual Result<void> start_container(std::string_view id) = 0;
  // Sends `stop_signal` (empty: the image's, else SIGTERM), waits up to `grace`, then SIGKILL.
  virtual Result<void> stop_container(std::string_view id, std::chrono::milliseconds grace,
                                      std::string_view stop_signal = {}) = 0;
  virtual Result<void> remove_container(std::string_view id) = 0;
  // Every container the runtime knows, of every pod, exited ones included (the agent's relist).
  virtual Result<std::vector<ContainerStatus>> list_containers() = 0;
  // The containers of one pod (CRI ListContainers filtered by sandbox), for the pod worker's
  // sync. The default filters list_containers(); runtimes with many pods override it.
  virtual Result<std::vector<ContainerStatus>> list_pod_containers(std::string_view pod_uid) {
    BOSUN_ASSIGN_OR_RETURN(auto all, list_containers());
    std::vector<ContainerStatus> out;
    for (auto& c : all) {
      if (c.pod_uid == pod_uid) out.push_back(std::move(c));
    }
    return out;
  }
  virtual Result<ContainerStatus> container_status(std::string_view id) = 0;

  // Runs a command in a running container (exec probes, hooks, `kubectl exec` without a TTY).
  virtual Result<ExecSyncResult> exec_sync(std::string_view id,
                                           const std::vector<std::string>& command,
                                           std::chrono::milliseconds timeout) = 0;

  // Connects to a running container's standard streams (CRI Attach): its output from now on and,
  // with `stdin` and a container that has one, its input. NotFound when the runtime cannot
  // attach to it (the default; FakeRuntime): the agent then follows the container's log.
  virtual Result<std::unique_ptr<runtime::AttachConnection>> attach_container(std::string_view id,
                                                                              bool stdin) {
    (void)stdin;
    return make_error(ErrorCode::kNotFound,
                      "attach to container " + std::string(id) + " is not supported");
  }

  // Has a running container write its output to a new file at its log path (CRI
  // ReopenContainerLog), after the agent renamed the file to rotate it; returns once the new file
  // exists. NotFound when the container does not run, or the runtime cannot (the default:
  // FakeRuntime writes no logs).
  virtual Result<void> reopen_container_log(std::string_view id) {
    return make_error(ErrorCode::kNotFound,
                      "reopen log of container " + std::string(id) + " is not supported");
  }

  // The runtime calls `listener(pod_uid)` when a container of that pod changes state on its own
  // (it exited), so the agent reacts at once rather than at its next relist. Set once, before use.
  virtual void set_container_event_listener(std::function<void(const std::string&)> listener) = 0;
};

}  // namespace bosun::agent
