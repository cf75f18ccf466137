// printPod of pkg/printers/internalversion: the columns of `kubectl get pods` and the STATUS
// reason logic (Init:N/M, PodInitializing, CrashLoopBackOff, Completed, Terminating, ...).
#include <map>
#include <optional>

#include <fmt/format.h>

#include "api/resources/human_duration.h"
#include "api/resources/pod_internal.h"
#include "api/resources/pod_spec.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"

namespace bosun::api::resources::pod {
namespace {

using TimePoint = std::chrono::system_clock::time_point;

std::optional<TimePoint> finished_at(const Json& status) {
  const Json* t = get_path(status, {"lastState", "terminated", "finishedAt"});
  if (t == nullptr || !t->is_string()) return std::nullopt;
  return parse_time(t->get_ref<const std::string&>());
}

void note_restart(const Json& status, std::optional<TimePoint>& last) {
  auto t = finished_at(status);
  if (t && (!last || *last < *t)) last = t;
}

bool condition_true(const Json& status, std::string_view type) {
  for (const Json& c : get_array(status, "conditions")) {
    if (get_string(c, "type") == type && get_string(c, "status") == "True") return true;
  }
  return false;
}

int64_t int_or_zero(const Json& obj, std::string_view key) { return get_int(obj, key).value_or(0); }

// The reason of a terminated state without one: Signal:N, else ExitCode:N.
std::string terminated_code(const Json& terminated, std::string_view prefix) {
  int64_t signal = int_or_zero(terminated, "signal");
  if (signal != 0) return fmt::format("{}Signal:{}", prefix, signal);
  return fmt::format("{}ExitCode:{}", prefix, int_or_zero(terminated, "exitCode"));
}

}  // namespace

std::vector<TableColumn> table_columns() {
  return {
      name_column(),
      string_column("Ready", "The aggregate readiness state of this pod for accepting traffic."),
      string_column("Status", "The aggregate status of the containers in this pod."),
      string_column("Restarts",
                    "The number of times the containers in this pod have been restarted and when "
                    "the last container in this pod has restarted."),
      age_column(),
      string_column("IP",
                    "podIP address allocated to the pod. Routable at least within the cluster. "
                    "Empty if not yet allocated.",
                    1),
      string_column("Node",
                    "NodeName indicates in which node this pod is scheduled. If empty, this pod "
                    "is a candidate for scheduling by the scheduler defined in schedulerName. "
                    "Once this field is set, the kubelet for this node becomes responsible for "
                    "the lifecycle of this pod. This field should not be used to express a desire "
                    "for the pod to be scheduled on a specific node. "
                    "https://kubernetes.io/docs/concepts/scheduling-eviction/assign-pod-node/"
                    "#nodename",
                    1),
      string_column("Nominated Node",
                    "nominatedNodeName is set only when this pod preempts other pods on the node, "
                    "but it cannot be scheduled right away as preemption victims receive their "
                    "graceful termination periods. This field does not guarantee that the pod "
                    "will be scheduled on this node. Scheduler may decide to place the pod "
                    "elsewhere if other nodes become available sooner. Scheduler may also decide "
                    "to give the resources on this node to a higher priority pod that is created "
                    "after preemption. As a result, this field may be different than "
                    "PodSpec.nodeName when the pod is scheduled.",
                    1),
      string_column("Readiness Gates",
                    "If specified, all readiness gates will be evaluated for pod readiness. A pod "
                    "is ready when all its containers are ready AND all conditions specified in "
                    "the readiness gates have status equal to \"True\" More info: "
                    "https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates",
                    1),
  };
}

Json table_cells(const Json& pod, TimePoint now) {
  const Json& spec = get_object(pod, "spec");
  const Json& status = get_object(pod, "status");
  const Json& init_specs = get_array(spec, "initContainers");

  int64_t restarts = 0;
  int64_t sidecar_restarts = 0;
  size_t total = get_array(spec, "containers").size();
  size_t ready = 0;
  std::optional<TimePoint> last_restart, last_sidecar_restart;

  std::string_view phase = get_string(status, "phase");
  std::string reason(phase);
  if (std::string_view r = get_string(status, "reason"); !r.empty()) reason = r;
  for (const Json& c : get_array(status, "conditions")) {
    if (get_string(c, "type") == "PodScheduled" && get_string(c, "reason") == "SchedulingGated") {
      reason = "SchedulingGated";
    }
  }

  std::map<std::string_view, const Json*> init_by_name;
  for (const Json& c : init_specs) {
    init_by_name[get_string(c, "name")] = &c;
    if (is_restartable_init_container(c)) ++total;
  }
  auto is_sidecar = [&](std::string_view name) {
    auto it = init_by_name.find(name);
    return it != init_by_name.end() && is_restartable_init_container(*it->second);
  };

  bool initializing = false;
  const Json& init_statuses = get_array(status, "initContainerStatuses");
  for (size_t i = 0; i < init_statuses.size(); ++i) {
    const Json& cs = init_statuses[i];
    int64_t count = int_or_zero(cs, "restartCount");
    restarts += count;
    note_restart(cs, last_restart);
    bool sidecar = is_sidecar(get_string(cs, "name"));
    if (sidecar) {
      sidecar_restarts += count;
      note_restart(cs, last_sidecar_restart);
    }
    const Json* terminated = get_path(cs, {"state", "terminated"});
    const Json* waiting = get_path(cs, {"state", "waiting"});
    if (terminated != nullptr && int_or_zero(*terminated, "exitCode") == 0) continue;
    if (sidecar && get_bool(cs, "started")) {
      if (get_bool(cs, "ready")) ++ready;
      continue;
    }
    if (terminated != nullptr) {
      std::string_view r = get_string(*terminated, "reason");
      reason = r.empty() ? terminated_code(*terminated, "Init:") : fmt::format("Init:{}", r);
    } else if (waiting != nullptr && !get_string(*waiting, "reason").empty() &&
               get_string(*waiting, "reason") != "PodInitializing") {
      reason = fmt::format("Init:{}", get_string(*waiting, "reason"));
    } else {
      reason = fmt::format("Init:{}/{}", i, init_specs.size());
    }
    initializing = true;
    break;
  }

  if (!initializing || condition_true(status, "Initialized")) {
    restarts = sidecar_restarts;
    last_restart = last_sidecar_restart;
    bool has_running = false;
    const Json& statuses = get_array(status, "containerStatuses");
    for (size_t n = statuses.size(); n > 0; --n) {
      const Json& cs = statuses[n - 1];
      restarts += int_or_zero(cs, "restartCount");
      note_restart(cs, last_restart);
      const Json* waiting = get_path(cs, {"state", "waiting"});
      const Json* terminated = get_path(cs, {"state", "terminated"});
      if (waiting != nullptr && !get_string(*waiting, "reason").empty()) {
        reason = get_string(*waiting, "reason");
      } else if (terminated != nullptr && !get_string(*terminated, "reason").empty()) {
        reason = get_string(*terminated, "reason");
      } else if (terminated != nullptr) {
        reason = terminated_code(*terminated, "");
      } else if (get_bool(cs, "ready") && get_path(cs, {"state", "running"}) != nullptr) {
        has_running = true;
        ++ready;
      }
    }
    // A pod whose last container completed but another still runs is not "Completed".
    if (reason == "Completed" && has_running) {
      reason = condition_true(status, "Ready") ? "Running" : "NotReady";
    }
  }

  const Json* deleting = get_path(pod, {"metadata", "deletionTimestamp"});
  if (deleting != nullptr && get_string(status, "reason") == "NodeLost") {
    reason = "Unknown";
  } else if (deleting != nullptr && phase != "Succeeded" && phase != "Failed") {
    reason = "Terminating";
  }

  std::string restarts_cell = std::to_string(restarts);
  if (restarts != 0 && last_restart) {
    restarts_cell =
        fmt::format("{} ({} ago)", restarts, human_duration_between(now, *last_restart));
  }

  std::string pod_ip;
  const Json& ips = get_array(status, "podIPs");
  if (!ips.empty()) {
    pod_ip = get_string(ips[0], "ip");
  } else {
    pod_ip = get_string(status, "podIP");
  }
  std::string node(get_string(spec, "nodeName"));
  std::string nominated(get_string(status, "nominatedNodeName"));
  std::string gates = "<none>";
  if (const Json& rg = get_array(spec, "readinessGates"); !rg.empty()) {
    size_t true_count = 0;
    for (const Json& gate : rg) {
      std::string_view type = get_string(gate, "conditionType");
      for (const Json& c : get_array(status, "conditions")) {
        if (get_string(c, "type") == type) {
          if (get_string(c, "status") == "True") ++true_count;
          break;
        }
      }
    }
    gates = fmt::format("{}/{}", true_count, rg.size());
  }

  Json cells = Json::array();
  cells.push_back(name_cell(pod));
  cells.push_back(fmt::format("{}/{}", ready, total));
  cells.push_back(reason);
  cells.push_back(restarts_cell);
  cells.push_back(age_cell(pod, now));
  cells.push_back(pod_ip.empty() ? "<none>" : pod_ip);
  cells.push_back(node.empty() ? "<none>" : node);
  cells.push_back(nominated.empty() ? "<none>" : nominated);
  cells.push_back(gates);
  return cells;
}

}  // namespace bosun::api::resources::pod
