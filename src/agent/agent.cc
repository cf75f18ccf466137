#include "agent/agent.h"

#include <filesystem>

#include <charconv>

#include "agent/container_config.h"
#include "agent/pod_start_trace.h"
#include "agent/pod_status.h"
#include "common/json_fields.h"
#include "common/log.h"
#include "common/time_format.h"

namespace bosun::agent {
namespace {

using json_fields::member;
using json_fields::string_at;

// What the kubelet removes once a pod is gone: its directory (<data>/pods/<uid>: volumes are torn
// down already, termination-message files remain) and its log directory (<data>/pods/<ns>_<name>_
// <uid>). hostPath and PersistentVolume data live elsewhere and stay.
void remove_pod_directories(const std::string& data_dir, const std::string& uid) {
  if (data_dir.empty() || uid.empty()) return;
  std::error_code ec;
  const std::filesystem::path pods = std::filesystem::path(data_dir) / "pods";
  if (!std::filesystem::is_directory(pods, ec)) return;
  std::filesystem::remove_all(pods / uid, ec);
  const std::string suffix = "_" + uid;
  for (auto it = std::filesystem::directory_iterator(pods, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.size() > suffix.size() &&
        name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::error_code rm;
      std::filesystem::remove_all(it->path(), rm);
    }
  }
}

constexpr char kKeySeparator = '\x1f';

uint64_t resource_version_of(const Json& object) {
  const std::string rv = string_at(member(object, "metadata"), "resourceVersion");
  uint64_t v = 0;
  std::from_chars(rv.data(), rv.data() + rv.size(), v);
  return v;
}

// The parts of a Node the agent keeps: its identity and its conditions (for lastTransitionTime).
Json trim_node(const Json& node) {
  const Json& meta = member(node, "metadata");
  return Json{{"metadata", {{"name", string_at(meta, "name")}, {"uid", string_at(meta, "uid")}}},
              {"status", {{"conditions", member(member(node, "status"), "conditions")}}}};
}

int64_t mono_ticks(Clock::MonoTime t) { return t.time_since_epoch().count(); }

bool terminal_phase(const Json& pod) {
  const std::string phase = string_at(member(pod, "status"), "phase");
  return phase == "Succeeded" || phase == "Failed";
}

// The node's status without the heartbeat times, to tell a real change from a heartbeat.
Json without_heartbeats(Json status) {
  if (status.contains("conditions") && status["conditions"].is_array()) {
    for (Json& c : status["conditions"]) {
      c.erase("lastHeartbeatTime");
      c.erase("lastTransitionTime");
    }
  }
  return status;
}

// A hash of a status that ignores its null members. A null in the status PATCH deletes the member
// (merge patch), and the API server then stores only the condition times as null, so a status
// that differs from the one last written only in nulls is that status: hashing them as written
// wrote every started pod's status twice, the second PATCH changing nothing. Computed in place,
// without a copy: every sync of every pod (thousands on hollow nodes) pays it.
size_t hash_without_nulls(const Json& value) {
  auto mix = [](size_t h, size_t v) {
    return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
  };
  if (value.is_object()) {
    size_t h = 0x6f626a65637421ULL;
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (it.value().is_null()) continue;
      h = mix(h, std::hash<std::string>{}(it.key()));
      h = mix(h, hash_without_nulls(it.value()));
    }
    return h;
  }
  if (value.is_array()) {
    size_t h = 0x61727261792121ULL;
    for (const Json& item : value) h = mix(h, hash_without_nulls(item));
    return h;
  }
  return std::hash<Json>{}(value);
}

}  // namespace

Json trim_pod_for_agent(Json pod) {
  if (!pod.is_object()) return pod;
  if (auto m = pod.find("metadata"); m != pod.end() && m->is_object()) {
    m->erase("managedFields");
    m->erase("ownerReferences");
  }
  if (auto sp = pod.find("spec"); sp != pod.end() && sp->is_object()) {
    // The scheduler's and admission's fields; the agent never reads them.
    for (const char* key : {"tolerations", "schedulerName", "preemptionPolicy", "priority",
                            "priorityClassName", "affinity", "topologySpreadConstraints"}) {
      sp->erase(key);
    }
  }
  if (auto st = pod.find("status"); st != pod.end() && st->is_object()) {
    Json kept = Json::object();
    for (const char* key : {"phase", "conditions", "startTime"}) {
      if (auto it = st->find(key); it != st->end()) kept[key] = std::move(*it);
    }
    // Of its own conditions the agent needs only when each last changed: their reasons and
    // messages are regenerated on every sync.
    if (auto cs = kept.find("conditions"); cs != kept.end() && cs->is_array()) {
      for (Json& c : *cs) {
        const std::string type = string_at(c, "type");
        if (type == "Ready" || type == "ContainersReady" || type == "Initialized" ||
            type == "PodReadyToStartContainers") {
          c.erase("reason");
          c.erase("message");
          c.erase("lastProbeTime");
        }
      }
    }
    *st = std::move(kept);
  }
  return pod;
}

Json pack_pod_for_agent(Json pod) { return Json(trim_pod_for_agent(std::move(pod)).dump()); }

client::ObjectPtr unpack_pod(const client::ObjectPtr& pod) {
  if (!pod || !pod->is_string()) return pod;
  return std::make_shared<const Json>(
      Json::parse(pod->get_ref<const std::string&>(), nullptr, /*allow_exceptions=*/false));
}

// ---------------------------------------------------------------- AgentPool

AgentPool::AgentPool(AgentPoolOptions options)
    : options_(std::move(options)), clock_(options_.clock ? *options_.clock : Clock::real()) {
  // Pod syncs are retried at the times the syncer asks for, not by the controller rate limiter.
  auto make_queue = [this] {
    return std::make_unique<client::WorkQueue>(
        clock_, std::make_unique<client::ExponentialFailureRateLimiter>(
                    std::chrono::milliseconds(5), std::chrono::seconds(10)));
  };
  queue_ = make_queue();
  node_queue_ = make_queue();
  if (options_.post_events && options_.client) {
    events_ = std::make_unique<ApiEventRecorder>(*options_.client, clock_);
  }
}

AgentPool::~AgentPool() { stop(); }

void AgentPool::add(Agent* agent) { agents_[agent->node_name()] = agent; }

void AgentPool::start() {
  if (started_) return;
  started_ = true;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { run_worker(); });
  }
  for (int i = 0; i < std::max(1, options_.node_workers); ++i) {
    node_workers_.emplace_back([this] { run_node_worker(); });
  }
  ticker_ = std::thread([this] { run_ticker(); });
}

void AgentPool::stop() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  queue_->shut_down();
  node_queue_->shut_down();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  for (auto& w : node_workers_) {
    if (w.joinable()) w.join();
  }
  if (events_) events_->stop();
}

Agent* AgentPool::agent_for(std::string_view node_name) const {
  auto it = agents_.find(node_name);
  return it == agents_.end() ? nullptr : it->second;
}

void AgentPool::route_pod(const client::ObjectPtr& pod) {
  client::ObjectPtr parsed = unpack_pod(pod);
  if (Agent* a = agent_for(string_at(member(*parsed, "spec"), "nodeName"))) {
    a->on_pod(pod, parsed);
  }
}

void AgentPool::route_pod_deleted(const client::ObjectPtr& pod) {
  client::ObjectPtr parsed = unpack_pod(pod);
  if (Agent* a = agent_for(string_at(member(*parsed, "spec"), "nodeName"))) {
    a->on_pod_deleted(pod, parsed);
  }
}

void AgentPool::set_pods_synced() {
  for (auto& [name, a] : agents_) a->set_pods_synced();
}

void AgentPool::enqueue_pod(const Agent& agent, const std::string& pod_uid) {
  queue_->add(agent.node_name() + kKeySeparator + pod_uid);
}

void AgentPool::enqueue_pod_after(const Agent& agent, const std::string& pod_uid,
                                  Clock::Duration delay) {
  queue_->add_after(agent.node_name() + kKeySeparator + pod_uid, delay);
}

void AgentPool::enqueue_node(const Agent& agent) {
  node_queue_->add(agent.node_name() + kKeySeparator);
}

void AgentPool::run_worker() {
  while (auto key = queue_->get()) {
    const size_t sep = key->find(kKeySeparator);
    Agent* agent = sep == std::string::npos ? nullptr : agent_for(key->substr(0, sep));
    if (agent) agent->sync_pod(key->substr(sep + 1));
    queue_->done(*key);
  }
}

void AgentPool::run_node_worker() {
  while (auto key = node_queue_->get()) {
    if (Agent* agent = agent_for(key->substr(0, key->find(kKeySeparator)))) agent->node_work();
    node_queue_->done(*key);
  }
}

void AgentPool::run_ticker() {
  const bool real = dynamic_cast<RealClock*>(&clock_) != nullptr;
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    // A fake clock moves by itself only in tests: look often, in real time.
    stop_cv_.wait_for(lock, real ? std::chrono::milliseconds(100) : std::chrono::milliseconds(2));
    if (stopping_) break;
    lock.unlock();
    const int64_t now = mono_ticks(clock_.monotonic());
    for (auto& [name, a] : agents_) {
      if (mono_ticks(a->next_node_work()) <= now) enqueue_node(*a);
    }
    lock.lock();
  }
}

// ---------------------------------------------------------------- Agent

Agent::Agent(AgentPool& pool, AgentConfig config, ContainerRuntime& runtime)
    : pool_(pool), config_(std::move(config)), runtime_(runtime), clock_(pool.clock()) {
  NodeContext node;
  node.node_name = config_.node.node_name;
  const std::string ip =
      config_.node.internal_ip.empty() ? config_.machine.internal_ip : config_.node.internal_ip;
  if (!ip.empty()) node.host_ips = {ip};
  node.allocatable_cpu_milli =
      std::max<int64_t>(0, config_.machine.cpu_milli - config_.node.reserved_cpu_milli);
  node.allocatable_memory_bytes =
      std::max<int64_t>(0, config_.machine.memory_bytes - config_.node.reserved_memory_bytes -
                               kEvictionHardMemoryBytes);
  node.allocatable_ephemeral_storage_bytes = config_.machine.ephemeral_storage_bytes;
  node.memory_capacity_bytes = config_.machine.memory_bytes;
  node.data_dir = config_.data_dir;
  node.create_log_directories = config_.create_log_directories;
  node.cluster_dns = config_.cluster_dns;
  if (pool_.events()) events_ = pool_.events()->for_node(node.node_name);
  client::RestClient* client = &pool_.client();
  ObjectLookup lookup = [client](std::string_view resource, std::string_view ns,
                                 std::string_view name) -> Result<Json> {
    return client->get(client::core_resource(std::string(resource)), ns, name);
  };
  syncer_ = std::make_unique<PodSyncer>(runtime_, clock_, std::move(node), events_.get(),
                                        std::move(lookup), &probes_, config_.volumes);
  if (config_.max_parallel_image_pulls > 0) {
    syncer_->enable_async_pulls(
        [this](const std::string& uid) {
          if (!started_.load()) return;
          bool known = false;
          {
            std::lock_guard lock(mu_);
            known = pods_.count(uid) > 0;
          }
          // A pod deleted meanwhile is not synced again: that would take it for an orphan.
          if (known) pool_.enqueue_pod(*this, uid);
        },
        config_.max_parallel_image_pulls);
  }
  if (config_.create_log_directories && config_.log_rotation.max_size_bytes >= 0) {
    logs_ = std::make_unique<ContainerLogManager>(runtime_, config_.log_rotation, clock_);
  }
  ProbeManagerOptions probe_options;
  probe_options.assume_success = !config_.run_probes;
  prober_ = std::make_unique<ProbeManager>(clock_, runtime_, probes_, events_.get(), probe_options);
}

Agent::~Agent() { stop(); }

Result<void> Agent::start() {
  const Clock::WallTime now = clock_.now();
  BOSUN_ASSIGN_OR_RETURN(Json node,
                         register_node(pool_.client(), config_.node, config_.machine, now));
  {
    std::lock_guard lock(mu_);
    node_ = trim_node(node);
  }
  last_node_status_hash_ = std::hash<Json>{}(without_heartbeats(member(node, "status")));
  auto lease = renew_node_lease(pool_.client(), node, now);
  if (lease.ok()) {
    lease_ = std::move(lease).value();
    lease_["metadata"].erase("managedFields");
  }
  const Clock::MonoTime mono = clock_.monotonic();
  last_lease_ = last_status_check_ = last_heartbeat_ = last_relist_ = last_log_rotation_ = mono;
  next_work_ = mono_ticks(mono + std::chrono::milliseconds(1));

  runtime_.set_container_event_listener([this](const std::string& uid) {
    if (started_.load()) pool_.enqueue_pod(*this, uid);
  });
  probes_.set_listener([this](const std::string& uid) {
    if (started_.load()) pool_.enqueue_pod(*this, uid);
  });
  started_ = true;
  if (config_.own_informer) {
    // The kubelet's service lister: started before the pods so it has usually synced when the
    // first container needs its variables.
    client::InformerOptions service_options;
    service_options.resource = client::core_resource("services");
    service_options.transform = trim_service_for_env;
    services_ = std::make_unique<client::Informer>(pool_.client(), service_options);
    services_->start();
    client::Informer* services = services_.get();
    ServiceEnvSource source;
    source.list = [services](std::string_view ns) {
      return services->by_index(client::Informer::kNamespaceIndex, ns);
    };
    // A pod worker waits a little for the first list rather than fail the container (the kubelet
    // fails it and retries), so pods synced right after an agent start are not held back.
    source.synced = [services] { return services->wait_for_sync(std::chrono::seconds(2)); };
    syncer_->set_service_env_source(std::move(source));
    client::InformerOptions options;
    options.resource = client::kPods;
    options.field_selector = "spec.nodeName=" + config_.node.node_name;
    options.transform = trim_pod_for_agent;  // a few pods: kept as JSON, not packed
    informer_ = std::make_unique<client::Informer>(pool_.client(), options);
    client::EventHandler handler;
    handler.on_add = [this](const client::ObjectPtr& p) { on_pod(p); };
    handler.on_update = [this](const client::ObjectPtr&, const client::ObjectPtr& p) { on_pod(p); };
    handler.on_delete = [this](const client::ObjectPtr& p) { on_pod_deleted(p); };
    informer_->add_event_handler(std::move(handler));
    informer_->start();
  }
  return {};
}

void Agent::stop() {
  if (informer_) informer_->stop();
  if (services_) services_->stop();
  started_ = false;
  // The pods' stops under way end (each within its grace period); none begins from now on.
  std::map<std::string, Killer> killers;
  {
    std::lock_guard lock(mu_);
    killers.swap(killers_);
  }
  for (auto& [uid, killer] : killers) killer.thread.join();
  syncer_->stop_pulls();
}

Json Agent::node() const {
  std::lock_guard lock(mu_);
  return node_;
}

size_t Agent::pod_count() const {
  std::lock_guard lock(mu_);
  return pods_.size();
}

void Agent::on_pod(const client::ObjectPtr& stored, client::ObjectPtr parsed) {
  if (!parsed) parsed = unpack_pod(stored);
  const Json* pod = parsed.get();
  if (string_at(member(*pod, "spec"), "nodeName") != config_.node.node_name) return;
  const std::string uid = string_at(member(*pod, "metadata"), "uid");
  if (uid.empty()) return;
  {
    std::lock_guard lock(mu_);
    auto& entry = pods_[uid];
    if (!entry) {
      entry = std::make_unique<PodEntry>();
      // A pod that finished before this agent saw it (an agent restart) stays finished.
      if (terminal_phase(*pod)) entry->state.terminal = true;
      if (pod_start_trace::enabled() && string_at(member(*pod, "status"), "phase") != "Running") {
        pod_start_trace::begin(uid, string_at(member(*pod, "metadata"), "name"));
      }
    }
    entry->pod = stored;
    entry->seen_rv = resource_version_of(*pod);
    if (entry->written_status && entry->seen_rv >= entry->written_rv) {
      entry->written_status.reset();  // the cache has caught up with what we wrote
    }
  }
  pool_.enqueue_pod(*this, uid);
}

void Agent::on_pod_deleted(const client::ObjectPtr& stored, client::ObjectPtr parsed) {
  if (!parsed) parsed = unpack_pod(stored);
  const std::string uid = string_at(member(*parsed, "metadata"), "uid");
  {
    std::lock_guard lock(mu_);
    auto it = pods_.find(uid);
    if (it == pods_.end()) return;
    // Gone from the API: sync_pod makes sure nothing of it runs, then forgets it.
    it->second->pod = nullptr;
    deleted_pods_[uid] = stored;
  }
  pool_.enqueue_pod(*this, uid);
}

void Agent::set_pods_synced() {
  if (pods_synced_.exchange(true)) return;
  // node_work() now looks for sandboxes of pods deleted while the agent was down.
  next_work_ = 0;
}

Result<Json> Agent::write_status(const Json& pod, const Json& status) {
  const Json& meta = member(pod, "metadata");
  // The uid makes the patch a precondition: a pod re-created under the same name is not touched.
  Json patch = {{"metadata", {{"uid", string_at(meta, "uid")}}}, {"status", status}};
  client::PatchOptions options;
  options.subresource = "status";
  auto r =
      pool_.client().patch(client::kPods, string_at(meta, "namespace"), string_at(meta, "name"),
                           client::PatchType::kMerge, patch.dump(), options);
  if (!r.ok()) return std::move(r).error();
  return Json{
      {"metadata", {{"resourceVersion", string_at(member(*r, "metadata"), "resourceVersion")}}}};
}

void Agent::sync_pod(const std::string& uid) {
  PodEntry* entry = nullptr;
  client::ObjectPtr stored;
  client::ObjectPtr deleted;
  {
    std::lock_guard lock(mu_);
    auto it = pods_.find(uid);
    if (it != pods_.end()) {
      entry = it->second.get();
      stored = entry->pod;
    }
    if (auto d = deleted_pods_.find(uid); d != deleted_pods_.end()) deleted = d->second;
  }
  if (!entry) {
    // The runtime has a pod the API does not: deleted while this agent was down.
    if (!pods_synced_.load()) return;
    auto r = syncer_->kill_pod(uid, nullptr, std::chrono::seconds(2));
    if (!r.ok()) {
      SPDLOG_WARN("node {}: cannot remove orphaned pod {}: {}", node_name(), uid,
                  r.error().message);
      pool_.enqueue_pod_after(*this, uid, std::chrono::seconds(5));
      return;
    }
    remove_pod_directories(config_.data_dir, uid);
    return;
  }
  if (!stored) {
    // Deleted from the API: make sure nothing of it still runs, then forget it. A graceful stop
    // begun while the pod was terminating ends first (force-deleted meanwhile); its thread
    // enqueues the pod when it is over.
    prober_->remove_pod(uid);
    if (reap_kill(uid) == KillState::kRunning) return;
    deleted = unpack_pod(deleted);
    const Json* last = deleted.get();
    auto r = syncer_->kill_pod(uid, last, std::chrono::seconds(0));
    if (!r.ok()) {
      pool_.enqueue_pod_after(*this, uid, std::chrono::seconds(1));
      return;
    }
    remove_pod_directories(config_.data_dir, uid);
    pod_start_trace::drop(uid);
    syncer_->forget_pulls(uid);
    std::lock_guard lock(mu_);
    pods_.erase(uid);
    deleted_pods_.erase(uid);
    relist_seen_.erase(uid);
    return;
  }
  const client::ObjectPtr pod = unpack_pod(stored);
  const Json& meta = member(*pod, "metadata");
  if (member(meta, "deletionTimestamp").is_string()) {
    // The kubelet stops probing a terminating pod's containers (no liveness restarts mid-kill).
    prober_->remove_pod(uid);
    (void)finish_deleted_pod(pod, *entry);
    return;
  }
  const bool was_terminal = entry->state.terminal;
  if (was_terminal && terminal_phase(*pod)) return;

  pod_start_trace::mark(uid, "worker");
  // The pod's events wait until its status is written (EventRecorder::hold_pod).
  struct EventHold {
    EventRecorder* events;
    const std::string& uid;
    ~EventHold() {
      if (events) events->release_pod(uid);
    }
  } hold{events_.get(), uid};
  if (events_) events_->hold_pod(uid);
  SyncResult result = syncer_->sync_pod(*pod, entry->state);
  auto view = observe_pod(runtime_, uid);
  pod_start_trace::mark(uid, "observed");
  if (view.ok()) {
    prober_->update_pod(*pod, *view);
    Json base = *pod;
    {
      std::lock_guard lock(mu_);
      if (entry->written_status) base["status"] = *entry->written_status;
    }
    PodStatusInput in;
    in.pod = &base;
    in.view = &*view;
    in.state = &entry->state;
    in.node = &syncer_->node();
    in.probes = &probes_;
    in.runtime_prefix = runtime_.id_prefix();
    in.now = clock_.now();
    Json status = generate_pod_status(in);
    const size_t hash = hash_without_nulls(status);
    pod_start_trace::mark(uid, "status_built");
    if (hash != entry->written_hash) {
      auto w = write_status(*pod, status);
      if (pod_start_trace::enabled()) {
        if (w.ok() && string_at(status, "phase") == "Running") {
          pod_start_trace::finish(uid, "patched");
        } else {
          pod_start_trace::mark(uid, "patched");
        }
      }
      if (w.ok()) {
        entry->written_hash = hash;
        std::lock_guard lock(mu_);
        entry->written_rv = resource_version_of(*w);
        // The informer may have delivered the write already; then there is nothing to hold.
        if (entry->seen_rv < entry->written_rv) {
          entry->written_status = std::move(status);
        } else {
          entry->written_status.reset();
        }
      } else if (w.error().code != ErrorCode::kNotFound) {
        SPDLOG_DEBUG("node {}: status of pod {} not written: {}", node_name(), uid,
                     w.error().message);
        // The API server is unreachable or busy: the pod keeps running; try again soon.
        result.resync_after = std::min<Clock::Duration>(
            result.resync_after.value_or(std::chrono::seconds(5)), std::chrono::seconds(5));
      }
    }
  }
  if (result.resync_after) pool_.enqueue_pod_after(*this, uid, *result.resync_after);
}

Agent::KillState Agent::reap_kill(const std::string& uid, Result<void>* result) {
  Killer finished;
  {
    std::lock_guard lock(mu_);
    auto it = killers_.find(uid);
    if (it == killers_.end()) return KillState::kNone;
    if (!it->second.outcome->done.load()) return KillState::kRunning;
    finished = std::move(it->second);
    killers_.erase(it);
  }
  finished.thread.join();
  if (result) *result = std::move(finished.outcome->result);
  return KillState::kDone;
}

std::optional<Result<void>> Agent::kill_pod_async(const std::string& uid, client::ObjectPtr pod,
                                                  std::chrono::milliseconds grace) {
  // Only the pod's worker starts or reaps its stop, so nothing comes between the two.
  Result<void> result;
  switch (reap_kill(uid, &result)) {
    case KillState::kRunning:
      return std::nullopt;
    case KillState::kDone:
      return result;
    case KillState::kNone:
      break;
  }
  {
    // Made and registered under mu_, so that stop() (which clears started_ before it takes mu_)
    // joins every thread there is.
    std::lock_guard lock(mu_);
    if (started_.load()) {
      auto outcome = std::make_shared<KillOutcome>();
      try {
        std::thread thread([this, outcome, uid, pod, grace] {
          outcome->result = syncer_->kill_pod(uid, pod.get(), grace);
          outcome->done = true;
          if (started_.load()) pool_.enqueue_pod(*this, uid);
        });
        killers_[uid] = Killer{std::move(thread), std::move(outcome)};
        return std::nullopt;
      } catch (const std::system_error& e) {
        // No thread to be had (a thread limit): the stop holds this worker, as it did before.
        SPDLOG_WARN("node {}: stopping pod {} on a pod worker: {}", node_name(), uid, e.what());
      }
    }
  }
  // Stopping (no thread would be joined) or no thread to be had: the stop runs here, outside mu_.
  return syncer_->kill_pod(uid, pod.get(), grace);
}

Result<void> Agent::finish_deleted_pod(const client::ObjectPtr& pod_ptr, PodEntry& entry) {
  const Json& pod = *pod_ptr;
  const Json& meta = member(pod, "metadata");
  const std::string uid = string_at(meta, "uid");
  if (!entry.killed) {
    const auto grace = std::chrono::seconds(pod_termination_grace_seconds(pod));
    std::optional<Result<void>> stopped = kill_pod_async(uid, pod_ptr, grace);
    if (!stopped) return {};  // stopping; its thread enqueues the pod when it is over
    Result<void> killed = std::move(*stopped);
    if (!killed.ok()) {
      SPDLOG_WARN("node {}: cannot stop pod {}: {}", node_name(), format_pod(pod),
                  killed.error().message);
      pool_.enqueue_pod_after(*this, uid, std::chrono::seconds(1));
      return killed;
    }
    entry.killed = true;
    entry.state.terminal = true;
  }
  // The status manager deletes the object once nothing of the pod runs: grace 0, and only this
  // incarnation of the name (the uid precondition).
  client::DeleteOptions options;
  options.grace_period_seconds = 0;
  options.precondition_uid = uid;
  auto r = pool_.client().remove(client::kPods, string_at(meta, "namespace"),
                                 string_at(meta, "name"), options);
  if (!r.ok() && r.error().code != ErrorCode::kNotFound && r.error().code != ErrorCode::kConflict) {
    pool_.enqueue_pod_after(*this, uid, std::chrono::seconds(1));
    return std::move(r).error();
  }
  return {};
}

void Agent::node_work() {
  const AgentPoolOptions& o = pool_.options();
  if (!pods_synced_.load() && informer_ && informer_->has_synced()) set_pods_synced();
  Clock::MonoTime now = clock_.monotonic();
  if (now - last_lease_ >= o.lease_period) {
    renew_lease();
    last_lease_ = now;
  }
  if (now - last_status_check_ >= o.status_check_period) {
    update_node_status(now - last_heartbeat_ >= o.status_heartbeat_period);
    last_status_check_ = now;
  }
  const bool relist_on = o.relist_period > Clock::Duration::zero();
  bool relist_now = relist_on && now - last_relist_ >= o.relist_period;
  if (pods_synced_.load() && !orphan_scan_done_) {
    // Once the pods are known, one relist finds what runs for pods deleted meanwhile.
    orphan_scan_done_ = true;
    relist_now = true;
  }
  if (relist_now) {
    relist();
    last_relist_ = now;
  }
  if (logs_ && now - last_log_rotation_ >= config_.log_monitor_period) {
    logs_->rotate_logs();
    last_log_rotation_ = now;
  }
  Clock::MonoTime next =
      std::min(last_lease_ + o.lease_period, last_status_check_ + o.status_check_period);
  if (relist_on) next = std::min(next, last_relist_ + o.relist_period);
  if (logs_) next = std::min(next, last_log_rotation_ + config_.log_monitor_period);
  if (!pods_synced_.load()) next = std::min(next, now + std::chrono::milliseconds(100));
  next_work_ = mono_ticks(next);
}

void Agent::renew_lease() {
  const Clock::WallTime now = clock_.now();
  if (lease_.is_object()) {
    // The kubelet keeps the lease it last wrote and updates it directly: one request per renewal.
    Json lease = lease_;
    lease["spec"]["renewTime"] = format_rfc3339_micro(now);
    auto r = pool_.client().update(client::kLeases, kNodeLeaseNamespace, lease);
    if (r.ok()) {
      lease_ = std::move(r).value();
      lease_["metadata"].erase("managedFields");
      return;
    }
  }
  auto r = renew_node_lease(pool_.client(), node(), now);
  if (r.ok()) {
    lease_ = std::move(r).value();
    lease_["metadata"].erase("managedFields");
  } else {
    lease_ = Json();
    SPDLOG_WARN("node {}: lease not renewed: {}", node_name(), r.error().message);
  }
}

void Agent::update_node_status(bool force) {
  const Clock::WallTime now = clock_.now();
  Json desired = build_node(config_.node, config_.machine, now)["status"];
  const size_t comparable = std::hash<Json>{}(without_heartbeats(desired));
  if (!force && comparable == last_node_status_hash_) return;
  // lastTransitionTime moves only when a condition's status changes.
  Json current = node();
  const Json& old_conditions = member(member(current, "status"), "conditions");
  for (Json& c : desired["conditions"]) {
    if (!old_conditions.is_array()) break;
    for (const Json& o : old_conditions) {
      if (string_at(o, "type") == string_at(c, "type") &&
          string_at(o, "status") == string_at(c, "status") && o.contains("lastTransitionTime")) {
        c["lastTransitionTime"] = o["lastTransitionTime"];
      }
    }
  }
  client::PatchOptions options;
  options.subresource = "status";
  Json patch = {{"status", desired}};
  auto r = pool_.client().patch(client::kNodes, "", node_name(), client::PatchType::kMerge,
                                patch.dump(), options);
  if (!r.ok()) {
    SPDLOG_WARN("node {}: status not updated: {}", node_name(), r.error().message);
    return;
  }
  {
    std::lock_guard lock(mu_);
    node_ = trim_node(*r);
  }
  last_node_status_hash_ = comparable;
  last_heartbeat_ = clock_.monotonic();
}

void Agent::relist() {
  auto containers = runtime_.list_containers();
  auto sandboxes = runtime_.list_pod_sandboxes();
  if (!containers.ok() || !sandboxes.ok()) return;
  std::map<std::string, std::string> seen;
  for (const auto& s : *sandboxes) seen[s.pod_uid] += s.ready ? "S1;" : "S0;";
  for (const auto& c : *containers) {
    std::string& sig = seen[c.pod_uid];
    sig += c.id;
    sig += ':';
    sig += std::to_string(static_cast<int>(c.state));
    sig += ';';
  }
  std::vector<std::string> changed;
  {
    std::lock_guard lock(mu_);
    for (const auto& [uid, sig] : seen) {
      auto it = relist_seen_.find(uid);
      const bool known = pods_.count(uid) > 0;
      if (it == relist_seen_.end() || it->second != sig) {
        changed.push_back(uid);
      } else if (!known && pods_synced_.load()) {
        changed.push_back(uid);  // an orphan still there: try its removal again
      }
    }
    relist_seen_ = std::move(seen);
  }
  for (const auto& uid : changed) pool_.enqueue_pod(*this, uid);
}

}  // namespace bosun::agent
