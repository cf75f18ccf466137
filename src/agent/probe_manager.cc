#include "agent/probe_manager.h"
#include "agent/pod_sync.h"
#include "common/json_fields.h"

#include <utility>
#include <vector>

namespace bosun::agent {
namespace {

using json_fields::member;
using json_fields::string_at;

ProbeKind kind_of(ProbeType type) {
  switch (type) {
    case ProbeType::kLiveness:
      return ProbeKind::kLiveness;
    case ProbeType::kStartup:
      return ProbeKind::kStartup;
    case ProbeType::kReadiness:
      break;
  }
  return ProbeKind::kReadiness;
}

struct ProbeField {
  const char* field;
  ProbeType type;
};
// The order the kubelet's AddPod creates them in.
constexpr ProbeField kProbeFields[] = {{"startupProbe", ProbeType::kStartup},
                                       {"readinessProbe", ProbeType::kReadiness},
                                       {"livenessProbe", ProbeType::kLiveness}};

}  // namespace

ProbeManager::ProbeManager(Clock& clock, ContainerRuntime& runtime, ProbeResults& results,
                           EventRecorder* events, ProbeManagerOptions options)
    : clock_(clock), runtime_(runtime), results_(results), events_(events), options_(options) {}

ProbeManager::~ProbeManager() {
  std::map<WorkerKey, std::unique_ptr<ProbeWorker>> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& [key, w] : workers) w->stop();
}

std::unique_ptr<ProbeWorker> ProbeManager::make_worker(const std::string& uid,
                                                       const Json& container, ProbeType type,
                                                       const Json& probe) {
  const std::string name = string_at(container, "name");
  ProbeWorkerConfig config;
  config.type = type;
  config.probe = probe;
  config.container = [this, uid, name] { return probed(uid, name); };
  config.run = [this, uid, name](const Json& p) { return run(uid, name, p); };
  config.on_update = [this, uid](const ProbeUpdate& u) {
    if (u.container_id.empty()) return;
    results_.set(kind_of(u.type), uid, u.container_id, u.success);
  };
  config.on_probe_failed = [this, uid, name](ProbeType t, const ProbeOutcome& outcome) {
    probe_failed(uid, name, t, outcome);
  };
  return std::make_unique<ProbeWorker>(clock_, std::move(config));
}

namespace {

// The containers the prober watches: the app containers and the sidecars (restartable init
// containers), whose probes the kubelet runs as it does an app container's. `storage` holds the
// merged list, only for a pod that has sidecars.
const Json& probed_containers(const Json& spec, Json& storage) {
  const Json& containers = member(spec, "containers");
  const Json& inits = member(spec, "initContainers");
  if (!inits.is_array()) return containers;
  bool any = false;
  for (const Json& c : inits) any = any || is_sidecar(c);
  if (!any) return containers;
  storage = containers.is_array() ? containers : Json::array();
  for (const Json& c : inits) {
    if (is_sidecar(c)) storage.push_back(c);
  }
  return storage;
}

}  // namespace

void ProbeManager::update_pod(const Json& pod, const PodRuntimeView& view) {
  const Json& meta = member(pod, "metadata");
  const Json& spec = member(pod, "spec");
  const std::string uid = string_at(meta, "uid");
  Json with_sidecars;
  const Json& containers = probed_containers(spec, with_sidecars);
  if (uid.empty() || !containers.is_array()) return;

  bool any_probe = false;
  for (const Json& c : containers) {
    for (const auto& f : kProbeFields) any_probe = any_probe || member(c, f.field).is_object();
  }
  std::vector<std::unique_ptr<ProbeWorker>> to_stop;
  std::vector<ProbeWorker*> to_start;
  std::vector<std::string> stale_ids;
  std::vector<std::pair<ProbeKind, std::string>> assumed;  // results set without a worker
  {
    std::lock_guard lock(mu_);
    if (!any_probe && pods_.count(uid) == 0) return;  // the common case: nothing to probe
    PodSnapshot& snap = pods_[uid];
    // Without workers nothing reads the pod; only the container ids are kept (to forget them).
    if (!options_.assume_success) snap.pod = std::make_shared<const Json>(pod);
    snap.netns_path = view.sandbox ? view.sandbox->network_ns_path : std::string();
    snap.terminating = member(meta, "deletionTimestamp").is_string();
    snap.restart_never = string_at(spec, "restartPolicy") == "Never";
    std::map<std::string, ContainerSnapshot> next;
    for (const Json& c : containers) {
      const std::string name = string_at(c, "name");
      const ContainerStatus* latest = view.newest(name);
      if (!latest) continue;
      ContainerSnapshot cs;
      cs.id = latest->id;
      cs.running = latest->state == ContainerState::kRunning;
      cs.terminated = latest->state == ContainerState::kExited;
      cs.started_at = latest->started_at;
      cs.has_startup_probe = member(c, "startupProbe").is_object();
      next[name] = cs;
      for (const auto& f : kProbeFields) {
        const Json& probe = member(c, f.field);
        if (!probe.is_object()) continue;
        if (options_.assume_success) {
          if (cs.running) assumed.emplace_back(kind_of(f.type), cs.id);
          continue;
        }
        auto& worker = workers_[WorkerKey{uid, name, f.type}];
        if (worker) continue;
        worker = make_worker(uid, c, f.type, probe);
        to_start.push_back(worker.get());
      }
    }
    // A restarted container's results are of no use any more (the kubelet's results are keyed by
    // container ID as well).
    for (const auto& [name, old] : snap.containers) {
      auto it = next.find(name);
      if (it == next.end() || it->second.id != old.id) stale_ids.push_back(old.id);
    }
    snap.containers = std::move(next);
    // Workers of containers no longer in the spec (or whose probe was removed) go.
    for (auto it = workers_.lower_bound(WorkerKey{uid, "", ProbeType::kLiveness});
         it != workers_.end() && std::get<0>(it->first) == uid;) {
      const std::string& name = std::get<1>(it->first);
      bool wanted = false;
      for (const Json& c : containers) {
        if (string_at(c, "name") != name) continue;
        for (const auto& f : kProbeFields) {
          if (f.type == std::get<2>(it->first)) wanted = member(c, f.field).is_object();
        }
      }
      if (wanted) {
        ++it;
      } else {
        to_stop.push_back(std::move(it->second));
        it = workers_.erase(it);
      }
    }
  }
  for (const auto& id : stale_ids) results_.remove(id);
  for (const auto& [kind, id] : assumed) results_.set(kind, uid, id, true);
  for (auto& w : to_stop) w->stop();
  if (options_.worker_threads) {
    for (ProbeWorker* w : to_start) w->start();
  }
}

void ProbeManager::remove_pod(const std::string& uid) {
  std::vector<std::unique_ptr<ProbeWorker>> to_stop;
  std::vector<std::string> ids;
  {
    std::lock_guard lock(mu_);
    auto p = pods_.find(uid);
    if (p == pods_.end()) return;
    for (const auto& [name, c] : p->second.containers) ids.push_back(c.id);
    pods_.erase(p);
    for (auto it = workers_.lower_bound(WorkerKey{uid, "", ProbeType::kLiveness});
         it != workers_.end() && std::get<0>(it->first) == uid;) {
      to_stop.push_back(std::move(it->second));
      it = workers_.erase(it);
    }
  }
  // Stopped outside the lock: a worker's callbacks take it.
  for (auto& w : to_stop) w->stop();
  for (const auto& id : ids) results_.remove(id);
}

void ProbeManager::step_all() {
  std::vector<ProbeWorker*> workers;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, w] : workers_) workers.push_back(w.get());
  }
  for (ProbeWorker* w : workers) w->step();
}

size_t ProbeManager::worker_count() const {
  std::lock_guard lock(mu_);
  return workers_.size();
}

std::optional<ProbedContainer> ProbeManager::probed(const std::string& uid,
                                                    const std::string& name) const {
  std::string id;
  ProbedContainer out;
  bool has_startup = false;
  {
    std::lock_guard lock(mu_);
    auto p = pods_.find(uid);
    if (p == pods_.end()) return std::nullopt;
    auto c = p->second.containers.find(name);
    if (c == p->second.containers.end()) return std::nullopt;
    out.id = c->second.id;
    out.running = c->second.running;
    out.terminated = c->second.terminated;
    out.started_at = c->second.started_at;
    out.pod_terminating = p->second.terminating;
    out.restart_never = p->second.restart_never;
    has_startup = c->second.has_startup_probe;
  }
  // Liveness and readiness wait for the startup probe (the kubelet's status "started").
  out.started = !has_startup || results_.get(ProbeKind::kStartup, out.id) == std::optional(true);
  return out;
}

ProbeOutcome ProbeManager::run(const std::string& uid, const std::string& name,
                               const Json& probe) const {
  ProbeTarget target;
  std::string id;
  {
    std::lock_guard lock(mu_);
    auto p = pods_.find(uid);
    if (p == pods_.end()) return {};
    auto c = p->second.containers.find(name);
    if (c == p->second.containers.end()) return {};
    id = c->second.id;
    target.netns_path = p->second.netns_path;
    Json with_sidecars;
    if (const Json& list = probed_containers(member(*p->second.pod, "spec"), with_sidecars);
        list.is_array()) {
      for (const Json& spec : list) {
        if (string_at(spec, "name") == name) target.container = spec;
      }
    }
  }
  ContainerRuntime* runtime = &runtime_;
  target.exec = [runtime, id](const std::vector<std::string>& command,
                              std::chrono::milliseconds timeout) {
    return runtime->exec_sync(id, command, timeout);
  };
  return run_probe(probe, target);
}

void ProbeManager::probe_failed(const std::string& uid, const std::string& name, ProbeType type,
                                const ProbeOutcome& outcome) {
  if (!events_) return;
  std::shared_ptr<const Json> pod;
  {
    std::lock_guard lock(mu_);
    auto p = pods_.find(uid);
    if (p == pods_.end()) return;
    pod = p->second.pod;
  }
  bool sidecar = false;
  if (const Json& inits = member(member(*pod, "spec"), "initContainers"); inits.is_array()) {
    for (const Json& c : inits)
      sidecar = sidecar || (string_at(c, "name") == name && is_sidecar(c));
  }
  const std::string field_path =
      std::string(sidecar ? "spec.initContainers{" : "spec.containers{") + name + "}";
  // prober.go: a failure is a Warning "Unhealthy"; a warning (a redirect elsewhere) is
  // "ProbeWarning", still of type Warning.
  if (outcome.result == ProbeResult::kWarning) {
    events_->record(*pod, field_path, "Warning", "ProbeWarning",
                    std::string(probe_type_name(type)) + " probe warning: " + outcome.output);
    return;
  }
  events_->record(*pod, field_path, "Warning", "Unhealthy",
                  std::string(probe_type_name(type)) + " probe failed: " + outcome.output);
}

}  // namespace bosun::agent
