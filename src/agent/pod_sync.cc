#include "agent/pod_sync.h"

#include <algorithm>
#include <filesystem>
#include <future>
#include <set>

#include "agent/container_config.h"
#include "agent/container_logs.h"
#include "agent/pod_start_trace.h"
#include "agent/prober.h"
#include "agent/pull_progress.h"
#include "agent/pull_secrets.h"
#include "agent/volumes.h"
#include "common/go_duration.h"
#include "common/json_fields.h"
#include "common/log.h"
#include "runtime/sandbox_files.h"

namespace bosun::agent {
namespace {

using json_fields::bool_at;
using json_fields::member;
using json_fields::string_at;

std::string field_path(bool init, std::string_view name) {
  return std::string(init ? "spec.initContainers{" : "spec.containers{") + std::string(name) + "}";
}

void merge_resync(std::optional<Clock::Duration>* into, Clock::Duration d) {
  if (d < Clock::Duration::zero()) d = Clock::Duration::zero();
  if (!*into || d < **into) *into = d;
}

// flowcontrol.Backoff's hasExpired: an entry untouched for twice the maximum is forgotten, which
// is how a container that ran for 10 minutes starts again from 10 s.
bool backoff_expired(const BackOffEntry& e, Clock::WallTime event_time) {
  return event_time - e.last_update > 2 * Clock::Duration(kMaxBackOff);
}

void backoff_next(std::map<std::string, BackOffEntry>& entries, const std::string& key,
                  Clock::WallTime event_time, Clock::WallTime now) {
  auto it = entries.find(key);
  if (it == entries.end() || backoff_expired(it->second, event_time)) {
    entries[key] = BackOffEntry{kInitialBackOff, now};
    return;
  }
  it->second.delay = std::min<Clock::Duration>(it->second.delay * 2, kMaxBackOff);
  it->second.last_update = now;
}

const char* kPodSandboxChanged = "SandboxChanged";

// The kubelet's minimumGracePeriodInSeconds: what a stop gets after a preStop hook used the rest.
constexpr std::chrono::seconds kMinimumGracePeriod{2};
// The kubelet bounds no postStart hook; we do, so a hung one cannot hold a pod worker forever.
constexpr std::chrono::seconds kPostStartTimeout{120};

std::string format_command(const Json& command) {
  // Go's %s of a []string: "[a b c]".
  std::string out = "[";
  if (command.is_array()) {
    for (size_t i = 0; i < command.size(); ++i) {
      if (i) out += ' ';
      if (command[i].is_string()) out += command[i].get<std::string>();
    }
  }
  return out + "]";
}

// The kubelet's lifecycle handler runner (pkg/kubelet/lifecycle/handlers.go): exec, httpGet and
// sleep. Returns the failure message (the container's waiting message), nullopt on success.
std::optional<std::string> run_lifecycle_handler(ContainerRuntime& runtime, Clock& clock,
                                                 const Json& pod, const Json& container,
                                                 const Json& handler, const std::string& id,
                                                 std::chrono::milliseconds timeout) {
  const std::string name = string_at(container, "name");
  const std::string where = " for Container \"" + name + "\" in Pod \"" + format_pod(pod) + "\"";
  if (const Json& exec = member(handler, "exec"); exec.is_object()) {
    std::vector<std::string> command;
    if (const Json& cmd = member(exec, "command"); cmd.is_array()) {
      for (const Json& a : cmd) {
        if (a.is_string()) command.push_back(a.get<std::string>());
      }
    }
    const std::string prefix =
        "Exec lifecycle hook (" + format_command(member(exec, "command")) + ")" + where;
    auto r = runtime.exec_sync(id, command, timeout);
    if (!r.ok()) return prefix + " failed - error: " + r.error().message + ", message: \"\"";
    if (r->timed_out) {
      return prefix + " failed - error: command timed out, message: \"" + r->output + "\"";
    }
    if (r->exit_code != 0) {
      std::string joined;
      for (const auto& a : command) joined += (joined.empty() ? "" : " ") + a;
      return prefix + " failed - error: command '" + joined + "' exited with " +
             std::to_string(r->exit_code) + ": " + r->output + ", message: \"" + r->output + "\"";
    }
    return std::nullopt;
  }
  if (const Json& http = member(handler, "httpGet"); http.is_object()) {
    ProbeTarget target;
    target.container = container;
    auto sandbox = runtime.pod_sandbox_status(string_at(member(pod, "metadata"), "uid"));
    if (sandbox.ok() && sandbox->has_value()) target.netns_path = (*sandbox)->network_ns_path;
    const auto seconds = std::max<int64_t>(1, std::chrono::duration_cast<std::chrono::seconds>(
                                                  timeout + std::chrono::milliseconds(999))
                                                  .count());
    Json probe = {{"httpGet", http}, {"timeoutSeconds", seconds}};
    ProbeOutcome outcome = run_probe(probe, target);
    if (outcome.result == ProbeResult::kSuccess || outcome.result == ProbeResult::kWarning) {
      return std::nullopt;
    }
    return "HTTP lifecycle hook (" + string_at(http, "path") + ")" + where +
           " failed - error: " + outcome.output;
  }
  if (const Json& sleep = member(handler, "sleep"); sleep.is_object()) {
    const Json& secs = member(sleep, "seconds");
    const auto d = std::chrono::seconds(secs.is_number_integer() ? secs.get<int64_t>() : 0);
    clock.sleep_for(std::min<Clock::Duration>(d, timeout));
    return std::nullopt;
  }
  return "Cannot run handler: invalid handler";
}

}  // namespace

const ContainerStatus* PodRuntimeView::newest(std::string_view name) const {
  const ContainerStatus* best = nullptr;
  for (const auto& c : containers) {
    if (c.name != name) continue;
    if (!best || c.attempt > best->attempt ||
        (c.attempt == best->attempt && c.created_at > best->created_at)) {
      best = &c;
    }
  }
  return best;
}

const ContainerStatus* PodRuntimeView::previous(std::string_view name) const {
  const ContainerStatus* top = newest(name);
  const ContainerStatus* best = nullptr;
  for (const auto& c : containers) {
    if (c.name != name || &c == top) continue;
    if (!best || c.attempt > best->attempt ||
        (c.attempt == best->attempt && c.created_at > best->created_at)) {
      best = &c;
    }
  }
  return best;
}

Result<PodRuntimeView> observe_pod(ContainerRuntime& runtime, std::string_view pod_uid) {
  PodRuntimeView view;
  BOSUN_ASSIGN_OR_RETURN(view.sandbox, runtime.pod_sandbox_status(pod_uid));
  BOSUN_ASSIGN_OR_RETURN(view.containers, runtime.list_pod_containers(pod_uid));
  return view;
}

bool is_sidecar(const Json& init_container) {
  return string_at(init_container, "restartPolicy") == "Always";
}

bool should_restart(std::string_view restart_policy, int exit_code) {
  if (restart_policy == "Never") return false;
  if (restart_policy == "OnFailure") return exit_code != 0;
  return true;
}

std::string image_pull_policy(const Json& container) {
  std::string policy = string_at(container, "imagePullPolicy");
  if (!policy.empty()) return policy;
  const std::string image = string_at(container, "image");
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  const size_t slash = image.rfind('/');
  const size_t colon = image.rfind(':');
  const bool tagged = colon != std::string::npos && (slash == std::string::npos || colon > slash);
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

std::string format_pod(const Json& pod) {
  const Json& meta = member(pod, "metadata");
  return string_at(meta, "name") + "_" + string_at(meta, "namespace") + "(" +
         string_at(meta, "uid") + ")";
}

PodSyncer::PodSyncer(ContainerRuntime& runtime, Clock& clock, NodeContext node,
                     EventRecorder* events, ObjectLookup lookup, const ProbeResults* probes,
                     VolumeManager* volumes)
    : runtime_(runtime),
      clock_(clock),
      node_(std::move(node)),
      events_(events),
      lookup_(std::move(lookup)),
      probes_(probes),
      volumes_(volumes) {}

void PodSyncer::event(const Json& pod, std::string_view field_path, std::string_view type,
                      std::string_view reason, std::string message) {
  if (events_) events_->record(pod, field_path, type, reason, std::move(message));
}

void PodSyncer::release_events(const Json& pod) {
  if (events_) events_->release_pod(string_at(member(pod, "metadata"), "uid"));
}

SyncResult PodSyncer::sync_pod(const Json& pod, PodSyncState& state) {
  SyncResult result;
  const Json& meta = member(pod, "metadata");
  const Json& spec = member(pod, "spec");
  const std::string uid = string_at(meta, "uid");
  if (!state.start_time) state.start_time = clock_.now();
  if (state.terminal) return result;

  auto observed = observe_pod(runtime_, uid);
  if (!observed.ok()) {
    SPDLOG_WARN("pod {}: cannot list the runtime's containers: {}", format_pod(pod),
                observed.error().message);
    result.resync_after = std::chrono::seconds(1);
    return result;
  }
  PodRuntimeView view = std::move(observed).value();
  pod_start_trace::mark(uid, "observed0");
  std::string restart_policy = string_at(spec, "restartPolicy");
  if (restart_policy.empty()) restart_policy = "Always";
  const Json& inits = member(spec, "initContainers");
  const Json& apps = member(spec, "containers");

  // --- the sandbox ---
  if (!view.sandbox || !view.sandbox->ready) {
    bool ran_before = false;
    for (const auto& c : view.containers) {
      if (c.state != ContainerState::kCreated) ran_before = true;
    }
    // computePodActions: a pod that must not restart and already ran gets no new sandbox.
    if (view.sandbox && restart_policy == "Never" && ran_before) {
      state.terminal = true;
      return result;
    }
    if (view.sandbox) {
      event(pod, "", "Normal", kPodSandboxChanged,
            "Pod sandbox changed, it will be killed and re-created.");
      release_events(pod);
      (void)runtime_.stop_pod_sandbox(uid);
    }
    runtime::SandboxConfig sc;
    sc.pod_uid = uid;
    sc.pod_name = string_at(meta, "name");
    sc.pod_namespace = string_at(meta, "namespace");
    sc.hostname = runtime::pod_hostname(sc.pod_name, string_at(spec, "hostname"));
    sc.subdomain = string_at(spec, "subdomain");
    sc.cluster_domain = node_.cluster_domain;
    sc.host_network = bool_at(spec, "hostNetwork");
    sc.host_ipc = bool_at(spec, "hostIPC");
    if (sc.host_network) sc.pod_ips = node_.host_ips;
    if (const Json& aliases = member(spec, "hostAliases"); aliases.is_array()) {
      for (const Json& a : aliases) {
        runtime::HostAlias alias;
        alias.ip = string_at(a, "ip");
        if (const Json& names = member(a, "hostnames"); names.is_array()) {
          for (const Json& n : names) {
            if (n.is_string()) alias.hostnames.push_back(n.get<std::string>());
          }
        }
        sc.host_aliases.push_back(std::move(alias));
      }
    }
    std::string dns_policy = string_at(spec, "dnsPolicy");
    if (dns_policy.empty()) dns_policy = "ClusterFirst";
    if (!node_.cluster_dns.empty() &&
        (dns_policy == "ClusterFirst" ||
         (dns_policy == "ClusterFirstWithHostNet" && sc.host_network)) &&
        !(dns_policy == "ClusterFirst" && sc.host_network)) {
      sc.dns =
          runtime::cluster_first_dns(sc.pod_namespace, node_.cluster_domain, node_.cluster_dns, {});
    }
    auto created = runtime_.run_pod_sandbox(sc);
    if (!created.ok()) {
      event(pod, "", "Warning", "FailedCreatePodSandBox",
            "Failed to create pod sandbox: " + created.error().message);
      result.resync_after = kInitialBackOff;
      return result;
    }
    view.sandbox = std::move(created).value();
    pod_start_trace::mark(uid, "sandbox");
  }

  if (volumes_ && !state.volumes_ready) {
    auto paths = volumes_->setup(pod);
    if (!paths.ok()) {
      event(pod, "", "Warning", "FailedMount", paths.error().message);
      result.resync_after = std::chrono::seconds(2);
      return result;
    }
    state.volume_paths = std::move(paths).value();
    state.volumes_ready = true;
    pod_start_trace::mark(uid, "volumes");
  }

  // --- init containers, one at a time, in order ---
  const auto sandbox_created = view.sandbox->created_at;
  // computeInitContainerActions: once an app container has run in this sandbox the pod is
  // initialized; from then on only its sidecars are kept running, and nothing waits on them.
  bool app_started = false;
  bool apps_done = apps.is_array() && !apps.empty();
  if (apps.is_array()) {
    for (const Json& c : apps) {
      const ContainerStatus* latest = view.newest(string_at(c, "name"));
      if (latest && latest->created_at >= sandbox_created) app_started = true;
      if (!latest || latest->state != ContainerState::kExited ||
          should_restart(restart_policy, latest->exit_code)) {
        apps_done = false;
      }
    }
  }
  bool has_sidecars = false;
  if (inits.is_array()) {
    for (const Json& c : inits) has_sidecars = has_sidecars || is_sidecar(c);
  }
  if (has_sidecars && apps_done && restart_policy != "Always") {
    // Every app container has exited for good: the kubelet stops the sidecars rather than
    // restart them, and the pod completes.
    finish_pod(pod, state);
    return result;
  }
  if (inits.is_array()) {
    for (const Json& c : inits) {
      const std::string name = string_at(c, "name");
      const ContainerStatus* latest = view.newest(name);
      // Instances from an earlier sandbox do not count: a new sandbox runs init containers again.
      const bool current = latest && latest->created_at >= sandbox_created;
      if (is_sidecar(c)) {
        if (!current) {
          start_container(pod, c, true, latest ? latest->attempt + 1 : 0, state,
                          &result.resync_after);
          if (app_started) continue;
          return result;
        }
        if (latest->state == ContainerState::kRunning) {
          if (restart_on_failed_probe(pod, c, true, *latest, "Always", state,
                                      &result.resync_after)) {
            if (app_started) continue;
            return result;
          }
          // The next init container starts once this one has started: it runs and its
          // startupProbe, if any, has succeeded.
          const bool started = !member(c, "startupProbe").is_object() ||
                               (probes_ && probes_->get(ProbeKind::kStartup, latest->id) ==
                                               std::optional<bool>(true));
          if (!started && !app_started) return result;
          continue;
        }
        if (latest->state != ContainerState::kExited) {
          if (app_started) continue;
          return result;
        }
        // A sidecar is restarted whenever it exits, whatever the pod's restartPolicy.
        restart_with_backoff(pod, c, true, *latest, state, &result.resync_after);
        if (app_started) continue;
        return result;
      }
      if (app_started && current) continue;
      if (!current) {
        start_container(pod, c, true, latest ? latest->attempt + 1 : 0, state,
                        &result.resync_after);
        return result;
      }
      if (latest->state == ContainerState::kRunning || latest->state == ContainerState::kCreated) {
        return result;
      }
      if (latest->exit_code == 0) continue;
      if (restart_policy == "Never") {
        // An init container failed and may not be retried: the pod has failed.
        finish_pod(pod, state);
        return result;
      }
      restart_with_backoff(pod, c, true, *latest, state, &result.resync_after);
      return result;
    }
  }

  // --- app containers ---
  bool all_finished = true;
  if (apps.is_array()) {
    for (const Json& c : apps) {
      const std::string name = string_at(c, "name");
      const ContainerStatus* latest = view.newest(name);
      if (!latest) {
        all_finished = false;
        start_container(pod, c, false, 0, state, &result.resync_after);
        continue;
      }
      if (latest->state == ContainerState::kRunning || latest->state == ContainerState::kCreated) {
        all_finished = false;
        if (latest->state == ContainerState::kCreated) continue;
        const bool liveness_failed =
            probes_ && probes_->get(ProbeKind::kLiveness, latest->id) == std::optional<bool>(false);
        const bool startup_failed =
            probes_ && probes_->get(ProbeKind::kStartup, latest->id) == std::optional<bool>(false);
        if (!liveness_failed && !startup_failed) continue;
        event(pod, field_path(false, name), "Normal", "Killing",
              "Container " + name + " failed " + (liveness_failed ? "liveness" : "startup") +
                  " probe, will be restarted");
        int64_t grace = pod_termination_grace_seconds(pod);
        // The failed probe's own terminationGracePeriodSeconds wins over the pod's (the
        // kubelet's killContainer for reasons liveness and startup probe).
        const Json& probe_grace =
            member(member(c, liveness_failed ? "livenessProbe" : "startupProbe"),
                   "terminationGracePeriodSeconds");
        if (probe_grace.is_number_integer()) grace = probe_grace.get<int64_t>();
        (void)stop_container_gracefully(&pod, &c, false, latest->id, std::chrono::seconds(grace));
        auto refreshed = runtime_.container_status(latest->id);
        if (!refreshed.ok() || refreshed->state != ContainerState::kExited) continue;
        if (!should_restart(restart_policy, refreshed->exit_code)) continue;
        restart_with_backoff(pod, c, false, *refreshed, state, &result.resync_after);
        continue;
      }
      if (!should_restart(restart_policy, latest->exit_code)) continue;
      all_finished = false;
      restart_with_backoff(pod, c, false, *latest, state, &result.resync_after);
    }
  }
  if (all_finished && restart_policy != "Always") {
    // Every container is done and none will restart: the pod has succeeded or failed; the kubelet
    // then stops its sandbox but keeps the exited containers for the status.
    finish_pod(pod, state);
  }
  remove_old_instances(view);
  return result;
}

bool PodSyncer::restart_on_failed_probe(const Json& pod, const Json& c, bool init,
                                        const ContainerStatus& running,
                                        std::string_view restart_policy, PodSyncState& state,
                                        std::optional<Clock::Duration>* resync) {
  const bool liveness_failed =
      probes_ && probes_->get(ProbeKind::kLiveness, running.id) == std::optional<bool>(false);
  const bool startup_failed =
      probes_ && probes_->get(ProbeKind::kStartup, running.id) == std::optional<bool>(false);
  if (!liveness_failed && !startup_failed) return false;
  const std::string name = string_at(c, "name");
  event(pod, field_path(init, name), "Normal", "Killing",
        "Container " + name + " failed " + (liveness_failed ? "liveness" : "startup") +
            " probe, will be restarted");
  int64_t grace = pod_termination_grace_seconds(pod);
  const Json& probe_grace = member(member(c, liveness_failed ? "livenessProbe" : "startupProbe"),
                                   "terminationGracePeriodSeconds");
  if (probe_grace.is_number_integer()) grace = probe_grace.get<int64_t>();
  (void)stop_container_gracefully(&pod, &c, init, running.id, std::chrono::seconds(grace));
  auto refreshed = runtime_.container_status(running.id);
  if (!refreshed.ok() || refreshed->state != ContainerState::kExited) return true;
  if (!should_restart(restart_policy, refreshed->exit_code)) return true;
  restart_with_backoff(pod, c, init, *refreshed, state, resync);
  return true;
}

void PodSyncer::finish_pod(const Json& pod, PodSyncState& state) {
  const std::string uid = string_at(member(pod, "metadata"), "uid");
  const Json& inits = member(member(pod, "spec"), "initContainers");
  auto view = observe_pod(runtime_, uid);
  if (inits.is_array() && view.ok()) {
    // Sidecars go after the app containers, in the reverse of their order in the spec (the
    // kubelet's termination ordering), each with the pod's grace period.
    const auto grace = std::chrono::seconds(pod_termination_grace_seconds(pod));
    for (auto it = inits.rbegin(); it != inits.rend(); ++it) {
      if (!is_sidecar(*it)) continue;
      const ContainerStatus* latest = view->newest(string_at(*it, "name"));
      if (!latest || latest->state != ContainerState::kRunning) continue;
      event(pod, field_path(true, latest->name), "Normal", "Killing",
            "Stopping container " + latest->name);
      (void)stop_container_gracefully(&pod, &*it, true, latest->id, grace);
    }
  }
  release_events(pod);
  (void)runtime_.stop_pod_sandbox(uid);
  state.terminal = true;
}

bool PodSyncer::restart_with_backoff(const Json& pod, const Json& container, bool init,
                                     const ContainerStatus& exited, PodSyncState& state,
                                     std::optional<Clock::Duration>* resync) {
  const std::string name = string_at(container, "name");
  const Clock::WallTime now = clock_.now();
  const Clock::WallTime finished = exited.finished_at;
  auto it = state.container_backoff.find(name);
  if (it != state.container_backoff.end() && !backoff_expired(it->second, now) &&
      now - finished < it->second.delay) {
    const std::string delay = format_go_duration(it->second.delay);
    state.waiting[name] = {
        "CrashLoopBackOff",
        "back-off " + delay + " restarting failed container=" + name + " pod=" + format_pod(pod)};
    event(pod, field_path(init, name), "Warning", "BackOff",
          "Back-off restarting failed container " + name + " in pod " + format_pod(pod));
    merge_resync(resync, finished + it->second.delay - now);
    return false;
  }
  backoff_next(state.container_backoff, name, finished, now);
  return start_container(pod, container, init, exited.attempt + 1, state, resync);
}

bool PodSyncer::ensure_image(const Json& pod, const Json& container, const std::string& fp,
                             PodSyncState& state, std::optional<Clock::Duration>* resync) {
  const std::string name = string_at(container, "name");
  const std::string image = string_at(container, "image");
  const std::string policy = image_pull_policy(container);
  const std::string pull_key = string_at(member(pod, "metadata"), "uid") + "/" + name;
  if (on_pulled_) {
    // A pull on a thread of its own: the container waits while it runs, and takes its result once
    // it is over, whatever the image's presence says by then.
    std::shared_ptr<PullOutcome> outcome;
    switch (take_pull(pull_key, image, &outcome)) {
      case PullState::kRunning:
        return false;
      case PullState::kDone:
        return finish_pull(pod, name, fp, *outcome, state, resync);
      case PullState::kNone:
        break;
    }
  }
  auto status = runtime_.image_status(image);
  const bool present = status.ok() && status->has_value();
  const bool pull = policy == "Always" || (policy != "Never" && !present);
  if (!pull) {
    if (present) {
      event(pod, fp, "Normal", "Pulled",
            "Container image \"" + image + "\" already present on machine");
      return true;
    }
    const std::string msg =
        "Container image \"" + image + "\" is not present with pull policy of Never";
    event(pod, fp, "Warning", "ErrImageNeverPull", msg);
    event(pod, fp, "Warning", "Failed", "Error: ErrImageNeverPull");
    state.waiting[name] = {"ErrImageNeverPull", msg};
    merge_resync(resync, kInitialBackOff);
    return false;
  }
  const Clock::WallTime now = clock_.now();
  if (auto it = state.image_backoff.find(image); it != state.image_backoff.end() &&
                                                 !backoff_expired(it->second, now) &&
                                                 now - it->second.last_update < it->second.delay) {
    const std::string msg = "Back-off pulling image \"" + image + "\"";
    event(pod, fp, "Normal", "BackOff", msg);
    event(pod, fp, "Warning", "Failed", "Error: ImagePullBackOff");
    state.waiting[name] = {"ImagePullBackOff", msg};
    merge_resync(resync, it->second.last_update + it->second.delay - now);
    return false;
  }
  event(pod, fp, "Normal", "Pulling", "Pulling image \"" + image + "\"");
  release_events(pod);
  PullRequest request;
  request.image = image;
  // The kubelet reads the pod's imagePullSecrets for its keyring (getPullSecretsForPod); a secret
  // it cannot fetch is reported and the pull goes on without it. Fetched only when pulling, so a
  // running pod costs no secret reads.
  Result<PodPullSecrets> secrets = pod_pull_secrets(pod, lookup_);
  if (!secrets.ok()) {
    PullOutcome failed;
    failed.image = image;
    failed.result = secrets.error();
    return finish_pull(pod, name, fp, failed, state, resync);
  }
  if (!secrets->missing.empty()) {
    event(pod, "", "Warning", "FailedToRetrieveImagePullSecret",
          missing_pull_secrets_message(secrets->missing));
  }
  request.credentials = std::move(secrets->configs);
  if (on_pulled_ && start_pull(pull_key, pod, fp, request)) return false;
  PullOutcome outcome;
  outcome.image = image;
  const Clock::MonoTime began = clock_.monotonic();
  PullProgressEvents progress(clock_, image, began, [&](std::string message) {
    event(pod, fp, "Normal", "Pulling", std::move(message));
  });
  request.progress = [&progress](int64_t done, int64_t total) { progress(done, total); };
  outcome.result = runtime_.pull_image(request);
  outcome.pulling = outcome.including = clock_.monotonic() - began;
  return finish_pull(pod, name, fp, outcome, state, resync);
}

bool PodSyncer::finish_pull(const Json& pod, const std::string& name, const std::string& fp,
                            const PullOutcome& outcome, PodSyncState& state,
                            std::optional<Clock::Duration>* resync) {
  const std::string& image = outcome.image;
  if (!outcome.result.ok()) {
    const std::string& message = outcome.result.error().message;
    event(pod, fp, "Warning", "Failed", "Failed to pull image \"" + image + "\": " + message);
    event(pod, fp, "Warning", "Failed", "Error: ErrImagePull");
    const Clock::WallTime now = clock_.now();
    backoff_next(state.image_backoff, image, now, now);
    state.waiting[name] = {"ErrImagePull", message};
    merge_resync(resync, state.image_backoff[image].delay);
    return false;
  }
  event(pod, fp, "Normal", "Pulled",
        "Successfully pulled image \"" + image + "\" in " + format_go_duration(outcome.pulling) +
            " (" + format_go_duration(outcome.including) +
            " including waiting). Image size: " + std::to_string(outcome.result->size) + " bytes.");
  state.image_backoff.erase(image);
  return true;
}

PodSyncer::~PodSyncer() { stop_pulls(); }

void PodSyncer::enable_async_pulls(std::function<void(const std::string&)> on_pulled,
                                   int max_parallel) {
  std::lock_guard lock(pulls_mu_);
  on_pulled_ = std::move(on_pulled);
  max_parallel_pulls_ = std::max(1, max_parallel);
}

void PodSyncer::stop_pulls() {
  std::map<std::string, PullThread, std::less<>> pulls;
  {
    std::lock_guard lock(pulls_mu_);
    pulls_stopped_ = true;
    pulls.swap(pulls_);
  }
  pull_turn_.notify_all();
  for (auto& [key, pull] : pulls) pull.thread.join();
}

void PodSyncer::forget_pulls(std::string_view pod_uid) {
  const std::string prefix = std::string(pod_uid) + "/";
  std::vector<std::thread> ended;
  {
    std::lock_guard lock(pulls_mu_);
    for (auto it = pulls_.lower_bound(prefix);
         it != pulls_.end() && it->first.starts_with(prefix);) {
      if (it->second.outcome->done.load()) {
        ended.push_back(std::move(it->second.thread));
        it = pulls_.erase(it);
      } else {
        it->second.forgotten = true;
        ++it;
      }
    }
  }
  for (std::thread& t : ended) t.join();
}

PodSyncer::PullState PodSyncer::take_pull(const std::string& key, std::string_view image,
                                          std::shared_ptr<PullOutcome>* outcome) {
  PullThread ended;
  {
    std::lock_guard lock(pulls_mu_);
    auto it = pulls_.find(key);
    if (it == pulls_.end()) return PullState::kNone;
    if (!it->second.outcome->done.load()) return PullState::kRunning;
    ended = std::move(it->second);
    pulls_.erase(it);
  }
  ended.thread.join();
  if (ended.outcome->image != image) return PullState::kNone;
  *outcome = std::move(ended.outcome);
  return PullState::kDone;
}

bool PodSyncer::start_pull(const std::string& key, const Json& pod, const std::string& fp,
                           PullRequest request) {
  const std::string uid = string_at(member(pod, "metadata"), "uid");
  std::vector<std::thread> ended;  // forgotten pulls that are over, joined outside the lock
  struct JoinEnded {
    std::vector<std::thread>& threads;
    ~JoinEnded() {
      for (std::thread& t : threads) t.join();
    }
  } join_ended{ended};  // declared before the lock, so it runs after the unlock
  std::lock_guard lock(pulls_mu_);
  // Stopping: no pull begins, not on the caller's thread either (it would hold up the stop for as
  // long as the registry takes); the next start of the agent pulls.
  if (pulls_stopped_) return true;
  for (auto it = pulls_.begin(); it != pulls_.end();) {
    if (it->second.forgotten && it->second.outcome->done.load()) {
      ended.push_back(std::move(it->second.thread));
      it = pulls_.erase(it);
    } else {
      ++it;
    }
  }
  auto outcome = std::make_shared<PullOutcome>();
  outcome->image = request.image;
  try {
    std::thread thread([this, outcome, uid, fp, pod = std::make_shared<const Json>(pod),
                        request = std::move(request)]() mutable {
      const Clock::MonoTime asked = clock_.monotonic();
      bool stopped = false;
      {
        std::unique_lock turn(pulls_mu_);
        pull_turn_.wait(turn,
                        [&] { return pulls_stopped_ || running_pulls_ < max_parallel_pulls_; });
        stopped = pulls_stopped_;
        if (!stopped) ++running_pulls_;
      }
      if (stopped) {
        outcome->result = make_error(ErrorCode::kServiceUnavailable, "the node agent is stopping");
      } else {
        const Clock::MonoTime began = clock_.monotonic();
        PullProgressEvents progress(clock_, outcome->image, began, [&](std::string message) {
          event(*pod, fp, "Normal", "Pulling", std::move(message));
        });
        request.progress = [&progress](int64_t done, int64_t total) { progress(done, total); };
        outcome->result = runtime_.pull_image(request);
        const Clock::MonoTime ended_at = clock_.monotonic();
        outcome->pulling = ended_at - began;
        outcome->including = ended_at - asked;
        {
          std::lock_guard turn(pulls_mu_);
          --running_pulls_;
        }
        pull_turn_.notify_one();
      }
      outcome->done = true;
      if (!stopped) on_pulled_(uid);
    });
    pulls_[key] = PullThread{std::move(thread), std::move(outcome)};
  } catch (const std::system_error& e) {
    SPDLOG_WARN("pod {}: pulling {} on its worker: {}", uid, outcome->image, e.what());
    return false;
  }
  return true;
}

Result<ContainerConfig> PodSyncer::container_config(const Json& pod, const Json& container,
                                                    int attempt, const PodSyncState& state) {
  const Json& meta = member(pod, "metadata");
  ContainerConfig config;
  config.pod_uid = string_at(meta, "uid");
  config.pod_name = string_at(meta, "name");
  config.pod_namespace = string_at(meta, "namespace");
  config.name = string_at(container, "name");
  config.attempt = attempt;
  config.image = string_at(container, "image");
  EnvContext ctx;
  ctx.pod = &pod;
  ctx.host_ips = node_.host_ips;
  if (bool_at(member(pod, "spec"), "hostNetwork")) ctx.pod_ips = node_.host_ips;
  ctx.node_allocatable_cpu_milli = node_.allocatable_cpu_milli;
  ctx.node_allocatable_memory_bytes = node_.allocatable_memory_bytes;
  ctx.node_allocatable_ephemeral_storage_bytes = node_.allocatable_ephemeral_storage_bytes;
  ctx.lookup = lookup_;
  std::map<std::string, std::string> service_env;
  if (services_.list) {
    // enableServiceLinks defaults to true; the `kubernetes` service is there either way.
    const Json& links = member(member(pod, "spec"), "enableServiceLinks");
    BOSUN_ASSIGN_OR_RETURN(service_env, service_env_map(services_, config.pod_namespace,
                                                        !links.is_boolean() || links.get<bool>()));
    ctx.service_env = &service_env;
  }
  BOSUN_ASSIGN_OR_RETURN(ContainerEnv env, resolve_container_env(container, ctx));
  for (const auto& w : env.warnings) {
    event(pod, "", "Warning", "InvalidEnvironmentVariableNames", w);
  }
  config.env = std::move(env.env);
  // Passed unexpanded: the runtime merges them with the image and expands $(VAR) against the
  // final environment, as the kubelet's ExpandContainerCommandAndArgs does.
  for (const char* list : {"command", "args"}) {
    const Json& items = member(container, list);
    if (!items.is_array()) continue;
    auto& dest = std::string_view(list) == "command" ? config.command : config.args;
    for (const Json& item : items) {
      if (item.is_string()) dest.push_back(item.get<std::string>());
    }
  }
  config.working_dir = string_at(container, "workingDir");
  if (volumes_) {
    BOSUN_ASSIGN_OR_RETURN(config.mounts, container_mounts(container, state.volume_paths));
  }
  apply_security_context(pod, container, &config);
  BOSUN_RETURN_IF_ERROR(apply_resources(pod, container, node_.memory_capacity_bytes, &config));
  config.log_path = container_log_path(node_.data_dir, config.pod_namespace, config.pod_name,
                                       config.pod_uid, config.name, attempt);
  if (node_.create_log_directories) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(config.log_path).parent_path(), ec);
    if (ec) {
      return make_error(ErrorCode::kInternal, "create container log directory for container " +
                                                  config.name + " failed: " + ec.message());
    }
  }
  config.termination_message_path = string_at(container, "terminationMessagePath");
  if (config.termination_message_path.empty()) {
    config.termination_message_path = "/dev/termination-log";
  }
  if (node_.create_log_directories) {
    // The kubelet binds a file of its own (pods/<uid>/containers/<name>/<id>) at the path, one per
    // instance, so state.terminated.message and lastState keep each instance's message.
    config.termination_message_host_path = node_.data_dir + "/pods/" + config.pod_uid +
                                           "/containers/" + config.name + "/" +
                                           std::to_string(attempt);
  }
  config.tty = bool_at(container, "tty");
  config.stdin_open = bool_at(container, "stdin");
  config.stdin_once = bool_at(container, "stdinOnce");
  config.labels = {{"io.kubernetes.pod.name", config.pod_name},
                   {"io.kubernetes.pod.namespace", config.pod_namespace},
                   {"io.kubernetes.pod.uid", config.pod_uid},
                   {"io.kubernetes.container.name", config.name}};
  return config;
}

bool PodSyncer::start_container(const Json& pod, const Json& container, bool init, int attempt,
                                PodSyncState& state, std::optional<Clock::Duration>* resync) {
  const std::string name = string_at(container, "name");
  const std::string fp = field_path(init, name);
  const std::string uid = string_at(member(pod, "metadata"), "uid");
  if (!ensure_image(pod, container, fp, state, resync)) return false;
  pod_start_trace::mark(uid, "image");
  auto fail = [&](const char* reason, const std::string& message) {
    event(pod, fp, "Warning", "Failed", "Error: " + message);
    state.waiting[name] = {reason, message};
    merge_resync(resync, kInitialBackOff);
    return false;
  };
  auto config = container_config(pod, container, attempt, state);
  if (!config.ok()) return fail("CreateContainerConfigError", config.error().message);
  pod_start_trace::mark(uid, "config");
  auto id = runtime_.create_container(*config);
  if (!id.ok()) return fail("CreateContainerError", id.error().message);
  event(pod, fp, "Normal", "Created", "Created container: " + name);
  pod_start_trace::mark(uid, "created");
  auto started = runtime_.start_container(*id);
  if (!started.ok()) return fail("RunContainerError", started.error().message);
  event(pod, fp, "Normal", "Started", "Started container " + name);
  pod_start_trace::mark(uid, "started");
  if (const Json& post = member(member(container, "lifecycle"), "postStart"); post.is_object()) {
    release_events(pod);
    auto failure =
        run_lifecycle_handler(runtime_, clock_, pod, container, post, *id, kPostStartTimeout);
    if (failure) {
      // kuberuntime startContainer: the event leaves the hook's output out (it may hold
      // secrets); the container is killed and waits as PostStartHookError, restarted with
      // back-off like any exit.
      event(pod, fp, "Warning", "FailedPostStartHook", "PostStartHook failed");
      event(pod, fp, "Normal", "Killing", "FailedPostStartHook");
      (void)stop_container_gracefully(&pod, &container, init, *id,
                                      std::chrono::seconds(pod_termination_grace_seconds(pod)));
      state.waiting[name] = {"PostStartHookError", *failure};
      merge_resync(resync, std::chrono::seconds(1));
      return false;
    }
  }
  state.waiting.erase(name);
  return true;
}

void PodSyncer::remove_old_instances(const PodRuntimeView& view) {
  // Keep the newest instance and the one before it (lastState); older exited ones go, as the
  // kubelet's container GC does for a pod that is still running.
  std::map<std::string, std::vector<const ContainerStatus*>> by_name;
  for (const auto& c : view.containers) by_name[c.name].push_back(&c);
  for (auto& [name, list] : by_name) {
    if (list.size() <= 2) continue;
    std::sort(list.begin(), list.end(), [](const ContainerStatus* a, const ContainerStatus* b) {
      if (a->attempt != b->attempt) return a->attempt > b->attempt;
      return a->created_at > b->created_at;
    });
    for (size_t i = 2; i < list.size(); ++i) {
      if (list[i]->state != ContainerState::kExited) continue;
      // The kubelet's container GC cleans the removed instance's logs, rotations included.
      if (runtime_.remove_container(list[i]->id).ok()) remove_container_logs(list[i]->log_path);
    }
  }
}

Result<void> PodSyncer::kill_pod(std::string_view pod_uid, const Json* pod,
                                 std::chrono::milliseconds grace) {
  BOSUN_ASSIGN_OR_RETURN(PodRuntimeView view, observe_pod(runtime_, pod_uid));
  std::vector<const ContainerStatus*> running;
  for (const auto& c : view.containers) {
    if (c.state == ContainerState::kRunning || c.state == ContainerState::kCreated) {
      running.push_back(&c);
    }
  }
  if (pod) {
    std::set<std::string> inits;
    if (const Json& list = member(member(*pod, "spec"), "initContainers"); list.is_array()) {
      for (const Json& c : list) inits.insert(string_at(c, "name"));
    }
    for (const auto* c : running) {
      event(*pod, field_path(inits.count(c->name) > 0, c->name), "Normal", "Killing",
            "Stopping container " + c->name);
    }
  }
  // The spec of each running container, for its preStop hook (none for an orphan).
  auto spec_of = [pod](const std::string& name, bool* init) -> const Json* {
    if (!pod) return nullptr;
    for (const char* list : {"containers", "initContainers"}) {
      const Json& cs = member(member(*pod, "spec"), list);
      if (!cs.is_array()) continue;
      for (const Json& c : cs) {
        if (string_at(c, "name") == name) {
          *init = std::string_view(list) == "initContainers";
          return &c;
        }
      }
    }
    return nullptr;
  };
  // Sidecars are stopped after the other containers, last one first, in what is left of the grace
  // period (the kubelet's termination ordering for restartable init containers).
  std::vector<const ContainerStatus*> sidecars;
  if (pod) {
    if (const Json& list = member(member(*pod, "spec"), "initContainers"); list.is_array()) {
      for (auto it = list.rbegin(); it != list.rend(); ++it) {
        if (!is_sidecar(*it)) continue;
        for (const auto* c : running) {
          if (c->name == string_at(*it, "name")) sidecars.push_back(c);
        }
      }
    }
    std::erase_if(running, [&](const ContainerStatus* c) {
      return std::find(sidecars.begin(), sidecars.end(), c) != sidecars.end();
    });
  }
  const Clock::MonoTime kill_began = clock_.monotonic();
  Result<void> first_error;
  if (running.size() == 1) {
    bool init = false;
    const Json* spec = spec_of(running[0]->name, &init);
    first_error = stop_container_gracefully(pod, spec, init, running[0]->id, grace);
  } else if (running.size() > 1) {
    // All at once, so the pod's grace period bounds the whole stop (preStop hooks included), not
    // each container's.
    std::vector<std::future<Result<void>>> stops;
    for (const auto* c : running) {
      bool init = false;
      const Json* spec = spec_of(c->name, &init);
      stops.push_back(std::async(std::launch::async, [this, pod, spec, init, id = c->id, grace] {
        return stop_container_gracefully(pod, spec, init, id, grace);
      }));
    }
    for (auto& f : stops) {
      auto r = f.get();
      if (!r.ok() && first_error.ok()) first_error = r;
    }
  }
  for (const auto* c : sidecars) {
    bool init = false;
    const Json* spec = spec_of(c->name, &init);
    const auto used =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonic() - kill_began);
    auto r = stop_container_gracefully(pod, spec, true, c->id,
                                       std::max(grace - used, std::chrono::milliseconds::zero()));
    if (!r.ok() && first_error.ok()) first_error = r;
  }
  if (!first_error.ok() && first_error.error().code != ErrorCode::kNotFound) return first_error;
  if (view.sandbox) {
    BOSUN_RETURN_IF_ERROR(runtime_.stop_pod_sandbox(pod_uid));
    BOSUN_RETURN_IF_ERROR(runtime_.remove_pod_sandbox(pod_uid));
  } else {
    for (const auto& c : view.containers) (void)runtime_.remove_container(c.id);
  }
  if (volumes_) BOSUN_RETURN_IF_ERROR(volumes_->teardown(pod_uid));
  return {};
}

Result<void> PodSyncer::stop_container_gracefully(const Json* pod, const Json* container, bool init,
                                                  const std::string& id,
                                                  std::chrono::milliseconds grace) {
  static const Json kNone;
  if (pod) release_events(*pod);
  const Json& pre_stop = container ? member(member(*container, "lifecycle"), "preStop") : kNone;
  if (pod && pre_stop.is_object() && grace > std::chrono::milliseconds::zero()) {
    // executePreStopHook: the hook runs before the stop signal and may use the grace period; the
    // stop gets what is left, but never less than minimumGracePeriodInSeconds.
    const Clock::MonoTime began = clock_.monotonic();
    auto failure = run_lifecycle_handler(runtime_, clock_, *pod, *container, pre_stop, id, grace);
    if (failure) {
      // The hook's output stays out of the event, as with postStart.
      event(*pod, field_path(init, string_at(*container, "name")), "Warning", "FailedPreStopHook",
            "PreStopHook failed");
    }
    const auto used =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.monotonic() - began);
    grace = std::max<std::chrono::milliseconds>(grace - used, kMinimumGracePeriod);
  }
  return runtime_.stop_container(id, grace);
}

}  // namespace bosun::agent
