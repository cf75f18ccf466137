#include "agent/pod_status.h"

#include <set>

#include "agent/container_config.h"
#include "common/json_fields.h"
#include "common/time_format.h"

namespace bosun::agent {
namespace {

using json_fields::member;
using json_fields::string_at;

// Go's fmt of a []string: "[a b]".
std::string go_list(const std::vector<std::string>& names) {
  std::string out = "[";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += ' ';
    out += names[i];
  }
  return out + "]";
}

Json terminated_state(const ContainerStatus& c, std::string_view prefix) {
  std::string reason = c.reason;
  if (reason.empty()) reason = c.exit_code == 0 ? "Completed" : "Error";
  Json t = {{"exitCode", c.exit_code},
            {"reason", reason},
            {"containerID", std::string(prefix) + "://" + c.id}};
  if (c.started_at.time_since_epoch().count() != 0) t["startedAt"] = format_rfc3339(c.started_at);
  if (c.finished_at.time_since_epoch().count() != 0) {
    t["finishedAt"] = format_rfc3339(c.finished_at);
  }
  if (!c.message.empty()) t["message"] = c.message;
  return Json{{"terminated", std::move(t)}};
}

Json waiting_state(std::string_view reason, std::string_view message = {}) {
  Json w = {{"reason", reason}};
  if (!message.empty()) w["message"] = message;
  return Json{{"waiting", std::move(w)}};
}

bool has_probe(const Json& container, const char* probe) {
  return member(container, probe).is_object();
}

// One entry of containerStatuses / initContainerStatuses.
Json container_status(const PodStatusInput& in, const Json& container, bool init,
                      bool pod_initializing) {
  const std::string name = string_at(container, "name");
  const ContainerStatus* latest = in.view->newest(name);
  const ContainerStatus* previous = in.view->previous(name);
  // A sidecar's readiness is an app container's: its readinessProbe, and it counts for the pod's.
  const bool sidecar = init && is_sidecar(container);
  Json s = {{"name", name},
            {"image", string_at(container, "image")},
            {"imageID", ""},
            {"ready", false},
            {"restartCount", 0},
            {"started", false},
            {"lastState", Json::object()}};
  auto waiting_it = in.state->waiting.find(name);
  const PodSyncState::Waiting* waiting =
      waiting_it == in.state->waiting.end() ? nullptr : &waiting_it->second;
  if (!latest) {
    if (waiting) {
      s["state"] = waiting_state(waiting->reason, waiting->message);
    } else {
      s["state"] =
          waiting_state(init || pod_initializing ? "PodInitializing" : "ContainerCreating");
    }
    return s;
  }
  s["restartCount"] = latest->attempt;
  s["imageID"] = latest->image_ref;
  s["containerID"] = std::string(in.runtime_prefix) + "://" + latest->id;
  switch (latest->state) {
    case ContainerState::kRunning: {
      s["state"] = Json{{"running", {{"startedAt", format_rfc3339(latest->started_at)}}}};
      bool started = true;
      if (has_probe(container, "startupProbe")) {
        started = in.probes && in.probes->get(ProbeKind::kStartup, latest->id) == true;
      }
      bool ready = started;
      if ((!init || sidecar) && ready && has_probe(container, "readinessProbe")) {
        ready = in.probes && in.probes->get(ProbeKind::kReadiness, latest->id) == true;
      }
      s["started"] = started;
      s["ready"] = init && !sidecar ? false : ready;
      if (previous && previous->state == ContainerState::kExited) {
        s["lastState"] = terminated_state(*previous, in.runtime_prefix);
      }
      break;
    }
    case ContainerState::kCreated:
    case ContainerState::kUnknown:
      s["state"] = waiting_state(waiting ? waiting->reason : "ContainerCreating",
                                 waiting ? waiting->message : "");
      if (previous && previous->state == ContainerState::kExited) {
        s["lastState"] = terminated_state(*previous, in.runtime_prefix);
      }
      break;
    case ContainerState::kExited:
      if (waiting && !in.state->terminal) {
        // Exited and waiting to restart (CrashLoopBackOff and friends): the exit is lastState.
        s["state"] = waiting_state(waiting->reason, waiting->message);
        s["lastState"] = terminated_state(*latest, in.runtime_prefix);
      } else {
        s["state"] = terminated_state(*latest, in.runtime_prefix);
        if (previous && previous->state == ContainerState::kExited) {
          s["lastState"] = terminated_state(*previous, in.runtime_prefix);
        }
        // A completed init container counts as ready (the kubelet marks it so).
        if (init && !sidecar && latest->exit_code == 0) s["ready"] = true;
      }
      break;
  }
  return s;
}

Json condition(const Json& previous_conditions, const char* type, bool status,
               std::string_view reason, std::string_view message, Clock::WallTime now) {
  Json c = {{"type", type}, {"status", status ? "True" : "False"}, {"lastProbeTime", nullptr}};
  if (!reason.empty()) c["reason"] = reason;
  if (!message.empty()) c["message"] = message;
  std::string transition = format_rfc3339(now);
  if (previous_conditions.is_array()) {
    for (const Json& p : previous_conditions) {
      if (string_at(p, "type") == type &&
          string_at(p, "status") == c["status"].get<std::string>()) {
        std::string kept = string_at(p, "lastTransitionTime");
        if (!kept.empty()) transition = kept;
      }
    }
  }
  c["lastTransitionTime"] = transition;
  return c;
}

bool terminated_with(const Json& status, bool require_zero) {
  const Json& t = member(member(status, "state"), "terminated");
  if (!t.is_object()) return false;
  return !require_zero || member(t, "exitCode") == 0;
}

}  // namespace

std::string pod_phase(const Json& spec, const Json& init_statuses, const Json& statuses) {
  std::string restart_policy = string_at(spec, "restartPolicy");
  if (restart_policy.empty()) restart_policy = "Always";
  auto find = [](const Json& list, const std::string& name) -> const Json* {
    if (!list.is_array()) return nullptr;
    for (const Json& s : list) {
      if (string_at(s, "name") == name) return &s;
    }
    return nullptr;
  };
  int pending_init = 0;
  int failed_init = 0;
  int unknown = 0, running = 0, waiting = 0, stopped = 0, succeeded = 0;
  if (const Json& inits = member(spec, "initContainers"); inits.is_array()) {
    for (const Json& c : inits) {
      const Json* s = find(init_statuses, string_at(c, "name"));
      if (is_sidecar(c)) {
        // getPhase: a running sidecar counts as running (pending until it has started); an exited
        // one does not count at all; one that never ran keeps the pod pending.
        if (!s) {
          ++unknown;
          continue;
        }
        const Json& state = member(*s, "state");
        if (member(state, "running").is_object()) {
          if (!(member(*s, "started") == true)) ++pending_init;
          ++running;
        } else if (member(state, "waiting").is_object() &&
                   !member(member(*s, "lastState"), "terminated").is_object()) {
          ++pending_init;
          ++waiting;
        } else if (!member(state, "waiting").is_object() &&
                   !member(state, "terminated").is_object()) {
          ++unknown;
        }
        continue;
      }
      if (!s) {
        ++pending_init;
        continue;
      }
      const Json& state = member(*s, "state");
      const Json& last = member(member(*s, "lastState"), "terminated");
      if (member(state, "running").is_object()) {
        ++pending_init;
      } else if (const Json& t = member(state, "terminated"); t.is_object()) {
        if (member(t, "exitCode") != 0) ++failed_init;
      } else if (member(state, "waiting").is_object()) {
        if (last.is_object()) {
          if (member(last, "exitCode") != 0) ++failed_init;
          // Waiting to run again after a failure: still not initialized.
          ++pending_init;
        } else {
          ++pending_init;
        }
      } else {
        ++pending_init;
      }
    }
  }
  bool app_started = false;  // HasAnyRegularContainerStarted
  if (const Json& apps = member(spec, "containers"); apps.is_array()) {
    for (const Json& c : apps) {
      const Json* s = find(statuses, string_at(c, "name"));
      if (!s) {
        ++unknown;
        continue;
      }
      const Json& state = member(*s, "state");
      if (member(state, "running").is_object() || member(state, "terminated").is_object()) {
        app_started = true;
      }
      if (member(state, "running").is_object()) {
        ++running;
      } else if (const Json& t = member(state, "terminated"); t.is_object()) {
        ++stopped;
        if (member(t, "exitCode") == 0) ++succeeded;
      } else if (member(state, "waiting").is_object()) {
        if (member(member(*s, "lastState"), "terminated").is_object()) {
          ++stopped;
        } else {
          ++waiting;
        }
      } else {
        ++unknown;
      }
    }
  }
  if (failed_init > 0 && restart_policy == "Never") return "Failed";
  // A pod whose app containers have run stays Running while a sidecar restarts.
  if (pending_init > 0 && !app_started) return "Pending";
  if (waiting > 0) return "Pending";
  if (running > 0 && unknown == 0) return "Running";
  if (running == 0 && stopped > 0 && unknown == 0) {
    if (restart_policy == "Always") return "Running";
    if (stopped == succeeded) return "Succeeded";
    if (restart_policy == "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

Json generate_pod_status(const PodStatusInput& in) {
  const Json& pod = *in.pod;
  const Json& spec = member(pod, "spec");
  const Json& old = member(pod, "status");
  Json status = old.is_object() ? old : Json::object();

  // Init containers first: app containers wait in PodInitializing until they are done.
  Json init_statuses = Json::array();
  bool initialized = true;
  std::vector<std::string> incomplete_init;
  std::vector<std::string> unready;
  if (const Json& inits = member(spec, "initContainers"); inits.is_array()) {
    for (const Json& c : inits) {
      Json s = container_status(in, c, true, false);
      // A sidecar has done its part of initialization once it has started; its readiness
      // counts for the pod's, as an app container's does.
      const bool sidecar = is_sidecar(c);
      if (sidecar ? !(member(s, "started") == true) : !terminated_with(s, true)) {
        initialized = false;
        incomplete_init.push_back(string_at(c, "name"));
      }
      if (sidecar && !(member(s, "ready") == true)) unready.push_back(string_at(c, "name"));
      init_statuses.push_back(std::move(s));
    }
  }
  // GeneratePodInitializedCondition: a pod whose app containers have run stays initialized while
  // a sidecar restarts.
  if (!initialized && member(spec, "containers").is_array()) {
    for (const Json& c : member(spec, "containers")) {
      const ContainerStatus* latest = in.view->newest(string_at(c, "name"));
      if (latest &&
          (latest->state == ContainerState::kRunning || latest->state == ContainerState::kExited)) {
        initialized = true;
        incomplete_init.clear();
      }
    }
  }
  Json statuses = Json::array();
  if (const Json& apps = member(spec, "containers"); apps.is_array()) {
    for (const Json& c : apps) {
      Json s = container_status(in, c, false, !initialized);
      if (!(member(s, "ready") == true)) unready.push_back(string_at(c, "name"));
      statuses.push_back(std::move(s));
    }
  }
  const std::string phase = pod_phase(spec, init_statuses, statuses);

  const Json& prev_conditions = member(old, "conditions");
  const bool sandbox_ready = in.view->sandbox && in.view->sandbox->ready;
  Json conditions = Json::array();
  conditions.push_back(
      condition(prev_conditions, "PodReadyToStartContainers", sandbox_ready, "", "", in.now));
  if (phase == "Succeeded" && !incomplete_init.empty()) {
    conditions.push_back(
        condition(prev_conditions, "Initialized", true, "PodCompleted", "", in.now));
  } else if (initialized) {
    conditions.push_back(condition(prev_conditions, "Initialized", true, "", "", in.now));
  } else {
    conditions.push_back(
        condition(prev_conditions, "Initialized", false, "ContainersNotInitialized",
                  "containers with incomplete status: " + go_list(incomplete_init), in.now));
  }
  Json ready;
  Json containers_ready;
  if (phase == "Succeeded") {
    ready = condition(prev_conditions, "Ready", false, "PodCompleted", "", in.now);
    containers_ready =
        condition(prev_conditions, "ContainersReady", false, "PodCompleted", "", in.now);
  } else if (!initialized || !unready.empty()) {
    std::string reason = "ContainersNotReady";
    std::string message = "containers with unready status: " + go_list(unready);
    if (!initialized && unready.empty()) {
      reason = "ContainersNotInitialized";
      message = "containers with incomplete status: " + go_list(incomplete_init);
    }
    ready = condition(prev_conditions, "Ready", false, reason, message, in.now);
    containers_ready =
        condition(prev_conditions, "ContainersReady", false, reason, message, in.now);
  } else {
    ready = condition(prev_conditions, "Ready", true, "", "", in.now);
    containers_ready = condition(prev_conditions, "ContainersReady", true, "", "", in.now);
  }
  conditions.push_back(std::move(ready));
  conditions.push_back(std::move(containers_ready));
  // Conditions the kubelet does not own (PodScheduled, readiness gates, DisruptionTarget) stay.
  static const std::set<std::string> kOwned = {"PodReadyToStartContainers", "Initialized",
                                               "ContainersReady", "Ready"};
  if (prev_conditions.is_array()) {
    for (const Json& c : prev_conditions) {
      if (!kOwned.count(string_at(c, "type"))) conditions.push_back(c);
    }
  }

  status["phase"] = phase;
  status["conditions"] = std::move(conditions);
  if (!init_statuses.empty()) {
    status["initContainerStatuses"] = std::move(init_statuses);
  } else {
    status.erase("initContainerStatuses");
  }
  status["containerStatuses"] = std::move(statuses);
  status["qosClass"] = qos_class_name(pod_qos_class(pod));
  if (!in.node->host_ips.empty()) {
    status["hostIP"] = in.node->host_ips[0];
    Json ips = Json::array();
    for (const auto& ip : in.node->host_ips) ips.push_back({{"ip", ip}});
    status["hostIPs"] = ips;
  }
  if (member(spec, "hostNetwork") == true && !in.node->host_ips.empty()) {
    status["podIP"] = in.node->host_ips[0];
    Json ips = Json::array();
    for (const auto& ip : in.node->host_ips) ips.push_back({{"ip", ip}});
    status["podIPs"] = ips;
  }
  // startTime is set once, when the kubelet first accepts the pod, and never moves.
  if (!member(old, "startTime").is_string() && in.state->start_time) {
    status["startTime"] = format_rfc3339(*in.state->start_time);
  }
  return status;
}

}  // namespace bosun::agent
