// RuncRuntime: the ContainerRuntime of real nodes. Images come from the node's image store (the
// one `bosun image import` fills) or a registry; each pod gets a runtime::Sandbox; each container
// is an overlay root filesystem, an OCI bundle built the way containerd's CRI plugin builds one,
// and a runc container under a monitor process (runtime::Runc). Everything it knows is on disk,
// so a new RuncRuntime over the same data directory (an agent restart) sees every pod and
// container the last one left, running or exited. One thread watches the containers' exit records
// with inotify and tells the agent's listener. Thread-safe: calls for different pods run in
// parallel; calls for one pod are serialised by the caller (its pod worker).
//
// Layout: under <data-dir> (on disk)
//   images/                 runtime::ImageStore (OCI layout, unpacked layers)
//   containers/<id>/        the container's writable layer: upper/, work/ (state_dir apart)
//   containers/.boot_id     the boot that last opened the runtime
// and under <state-dir> (the agent's: <data-dir>/run, a tmpfs; by default <data-dir> itself)
//   sandboxes/<pod uid>/    runtime::Sandbox (namespace files, shm, /etc files)
//   sandboxes/<pod uid>.json  the pod's record: name, namespace, created, ready
//   containers/<id>/        bundle (config.json, the monitor's files, exit.json), rootfs mount
//                           point, container.json (pod, name, attempt, image, labels, times)
//   runc/                   runc --root
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "agent/container_runtime.h"
#include "runtime/image_store.h"
#include "runtime/runc.h"
#include "runtime/sealed_binary.h"

namespace bosun::agent {

// How long each step of a pod's start (sandbox, create, start) keeps cgroup migrations warm
// (runtime/cgroup_warmer.h): past the next step's runc migration even on a loaded node.
inline constexpr std::chrono::milliseconds kCgroupWarmSpan{250};

struct RuncRuntimeOptions {
  std::string data_dir;
  std::string runc_path = "/usr/sbin/runc";
  // Registries ("host[:port]") pulled from over plain HTTP (--insecure-registry).
  std::vector<std::string> insecure_registries;
  std::string registry_ca_file;  // extra trust for a private registry
  // Where the runtime state lives: container bundles and records, sandboxes and, unless runc_root
  // says otherwise, runc's own state (<state-dir>/{containers,sandboxes,runc}); empty: the data
  // directory. None of it outlives the node's boot, as the containers do not either (containerd
  // keeps its tasks under /run the same way); images, logs and each container's writable layer
  // (<data-dir>/containers/<id>/{upper,work}) stay in the data directory.
  std::string state_dir;
  // Mount a tmpfs of its own on state_dir unless one is there already (needs CAP_SYS_ADMIN). On a
  // disk, each of the ~30 files a pod start makes there costs an inode allocation, which on ext4
  // without a journal scans past every inode freed in the last minute (bench/results.md,
  // 2026-11-27). runc itself keeps its state under /run by default.
  bool state_tmpfs = false;
  // runc --root; empty: <state-dir>/runc.
  std::string runc_root;
};

class RuncRuntime final : public ContainerRuntime {
 public:
  // Creates the layout if missing, opens the image store, reads `runc --version` and starts the
  // exit watcher over the containers already on disk. Leftovers of a create that crashed half-way
  // (a container directory without its record) are cleaned up.
  static Result<std::unique_ptr<RuncRuntime>> open(RuncRuntimeOptions options);
  ~RuncRuntime() override;

  std::string version() const override { return version_; }
  std::string_view id_prefix() const override { return "runc"; }

  Result<std::optional<ImageInfo>> image_status(std::string_view image) override;
  Result<ImageInfo> pull_image(const PullRequest& request) override;

  Result<SandboxStatus> run_pod_sandbox(const runtime::SandboxConfig& config) override;
  Result<void> stop_pod_sandbox(std::string_view pod_uid) override;
  Result<void> remove_pod_sandbox(std::string_view pod_uid) override;
  Result<std::vector<SandboxStatus>> list_pod_sandboxes() override;
  // One record read, not every pod's (a pod worker asks on every sync).
  Result<std::optional<SandboxStatus>> pod_sandbox_status(std::string_view pod_uid) override;

  // Merges the container with its image (runtime::merge_command expands $(VAR) in command and args
  // with the container's env, as the kubelet does: the agent passes them unexpanded), resolves the
  // user in the image's /etc/passwd and /etc/group, mounts the overlay, joins the pod's sandbox,
  // binds the termination-message file (created if missing) and writes the bundle. The sandbox
  // must be ready. The container's monitor is started first, so that its start-up overlaps the
  // mount and the bundle (runtime::PreparedMonitor); it runs nothing until start. With tty the
  // process gets a terminal; with stdin_open a stdin its monitor holds for attach_container (else
  // /dev/null).
  Result<std::string> create_container(const ContainerConfig& config) override;
  // Runs the bundle (`runc run --detach` under the monitor create_container started), as
  // containerd's StartContainer creates and starts its task. A failure (a command that does not
  // exist, say) leaves the container exited with code 128 and reason StartError, as containerd
  // reports it, and returns the error.
  Result<void> start_container(std::string_view id) override;
  // Created and exited containers are left as they are.
  Result<void> stop_container(std::string_view id, std::chrono::milliseconds grace,
                              std::string_view stop_signal = {}) override;
  // Kills the container first if it still runs (containerd's RemoveContainer does). Unknown ids
  // are not an error. The log file stays: it is the agent's.
  Result<void> remove_container(std::string_view id) override;
  Result<std::vector<ContainerStatus>> list_containers() override;
  // The pod's containers from an in-memory index of pod -> container ids, so that a pod worker's
  // sync reads its own records only: reading every container's on each sync made starting N pods
  // cost O(N^2) record reads.
  Result<std::vector<ContainerStatus>> list_pod_containers(std::string_view pod_uid) override;
  Result<ContainerStatus> container_status(std::string_view id) override;
  // Through the container monitor's attach socket; NotFound when the container does not run.
  Result<std::unique_ptr<runtime::AttachConnection>> attach_container(std::string_view id,
                                                                      bool stdin) override;

  // A timeout kills the command and returns timed_out with exit_code -1.
  Result<ExecSyncResult> exec_sync(std::string_view id, const std::vector<std::string>& command,
                                   std::chrono::milliseconds timeout) override;

  // Signals the container's monitor (runtime::Runc::reopen_log) and waits, briefly, for the new
  // file, so a `kubectl logs` right after a rotation finds one.
  Result<void> reopen_container_log(std::string_view id) override;

  void set_container_event_listener(std::function<void(const std::string&)> listener) override;

  // Where a container's bundle lives (tests, log streaming, Runc::reopen_log).
  std::string container_dir(std::string_view id) const;
  runtime::ImageStore& image_store() { return *images_; }
  const runtime::Runc& runc() const { return runc_; }

 private:
  // What container.json keeps: everything list_containers() reports besides the live state.
  struct ContainerRecord {
    std::string id;
    std::string pod_uid;
    std::string pod_name;
    std::string pod_namespace;
    std::string name;
    int attempt = 0;
    std::string image;      // as the pod spec wrote it
    std::string image_ref;  // repo digest
    std::string image_id;   // config digest
    std::map<std::string, std::string> labels;
    std::string log_path;
    std::string termination_message_host_path;
    std::string stop_signal;  // the image's
    bool tty = false;
    bool stdin = false;
    bool stdin_once = false;
    std::chrono::system_clock::time_point created_at;
    std::chrono::system_clock::time_point started_at;
    std::string start_error;  // runc start failed: exited with StartError
    std::chrono::system_clock::time_point start_failed_at;
    // Its monitor died without recording the exit, and runc has no process: exit code unknown.
    std::chrono::system_clock::time_point exit_lost_at;
  };
  // sandboxes/<pod uid>.json.
  struct SandboxRecord {
    std::string pod_uid;
    std::string pod_name;
    std::string pod_namespace;
    bool ready = false;
    bool host_network = false;
    std::chrono::system_clock::time_point created_at;
  };

  RuncRuntime(RuncRuntimeOptions options, std::unique_ptr<runtime::ImageStore> images,
              std::optional<runtime::SealedBinary> sealed_runc, runtime::Runc runc,
              std::string version);

  std::string sandboxes_dir() const;
  std::string containers_dir() const;
  // The container's writable layer (upper and work): in the data directory, or the container's
  // own directory when the state is kept there too.
  std::string rw_layer_dir(std::string_view id) const;
  std::string sandbox_record_path(std::string_view pod_uid) const;

  Result<ContainerRecord> load_container(std::string_view id) const;
  Result<void> save_container(const ContainerRecord& record) const;
  ContainerStatus status_of(const ContainerRecord& record) const;
  Result<std::vector<ContainerRecord>> load_containers() const;
  Result<std::optional<SandboxRecord>> load_sandbox(std::string_view pod_uid) const;
  Result<void> save_sandbox(const SandboxRecord& record) const;
  Result<ImageInfo> image_info(const runtime::Image& image) const;
  Result<void> kill_and_wait(const ContainerRecord& record, int signal,
                             std::chrono::milliseconds wait) const;
  // Unwatches, deletes runc's state (killing what runs), unmounts the rootfs and removes the
  // directory.
  Result<void> discard_container_dir(const std::string& id);
  // After a reboot: the writable layers whose bundle is gone (see open()).
  void remove_layers_of_a_past_boot();
  // The runc create options of a container (its monitor's arguments).
  runtime::CreateOptions create_options(const std::string& id, const std::string& log_path,
                                        bool tty, bool stdin, bool stdin_once) const;
  // Takes the monitor prepared for a container, if any.
  std::optional<runtime::PreparedMonitor> take_prepared(std::string_view id);

  // Calls the listener (from a pod worker's thread).
  void notify(const std::string& pod_uid);
  // The exit watcher.
  Result<void> start_watcher();
  void watch(const std::string& id, const std::string& pod_uid);
  // pod_containers_ upkeep.
  void index_container(const std::string& pod_uid, const std::string& id);
  void unindex_container(const std::string& id);
  void unwatch(const std::string& id);
  void watch_loop();

  RuncRuntimeOptions options_;
  std::unique_ptr<runtime::ImageStore> images_;
  std::optional<runtime::SealedBinary> sealed_runc_;  // what runc_ runs, while it lives
  runtime::Runc runc_;
  std::string version_;

  int inotify_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: tells the watcher to stop
  std::thread watcher_;
  // Which containers each pod has: filled from disk by open(), a container added once its record
  // is written, removed before its directory goes.
  std::mutex index_mu_;  // guards pod_containers_ and pod_of_container_
  std::map<std::string, std::set<std::string>, std::less<>> pod_containers_;
  std::map<std::string, std::string, std::less<>> pod_of_container_;

  // The monitors started by create_container for containers not started yet (Runc::prepare).
  // Lost on an agent restart: start_container then starts a monitor itself.
  std::mutex prepared_mu_;  // guards prepared_
  std::map<std::string, runtime::PreparedMonitor, std::less<>> prepared_;

  std::mutex watch_mu_;  // guards the maps and listener_ below
  std::map<int, std::pair<std::string, std::string>> watched_;  // wd -> (container id, pod uid)
  std::map<std::string, int, std::less<>> watch_of_container_;
  std::function<void(const std::string&)> listener_;
};

}  // namespace bosun::agent
