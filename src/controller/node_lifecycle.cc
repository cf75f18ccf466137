#include "controller/node_lifecycle.h"

#include <algorithm>
#include <climits>

#include <fmt/format.h>

#include "common/log.h"
#include "common/time_format.h"

namespace bosun::controller {

namespace {

constexpr std::string_view kNodeLeaseNamespace = "kube-node-lease";
constexpr std::string_view kTaintNotReady = "node.kubernetes.io/not-ready";
constexpr std::string_view kTaintUnreachable = "node.kubernetes.io/unreachable";
constexpr std::string_view kTaintUnschedulable = "node.kubernetes.io/unschedulable";
// The conditions the controller turns Unknown when the kubelet goes quiet (nodeConditionTypes).
constexpr std::string_view kNodeConditions[] = {"Ready", "MemoryPressure", "DiskPressure",
                                                "PIDPressure"};

const client::GroupVersionResource kLeasesGvr{"coordination.k8s.io", "v1", "leases"};

std::string str_at(const Json& obj, std::string_view a, std::string_view b) {
  if (!obj.is_object()) return {};
  auto outer = obj.find(a);
  if (outer == obj.end() || !outer->is_object()) return {};
  auto inner = outer->find(b);
  return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : std::string();
}

std::string str(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

const Json& array_at(const Json& obj, std::string_view a, std::string_view b) {
  static const Json kEmpty = Json::array();
  if (!obj.is_object()) return kEmpty;
  auto outer = obj.find(a);
  if (outer == obj.end() || !outer->is_object()) return kEmpty;
  auto inner = outer->find(b);
  return inner != outer->end() && inner->is_array() ? *inner : kEmpty;
}

Json* find_condition(Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return nullptr;
  for (Json& c : conditions) {
    if (str(c, "type") == type) return &c;
  }
  return nullptr;
}

const Json* find_condition(const Json& conditions, std::string_view type) {
  if (!conditions.is_array()) return nullptr;
  for (const Json& c : conditions) {
    if (str(c, "type") == type) return &c;
  }
  return nullptr;
}

// Toleration.ToleratesTaint.
bool tolerates(const Json& toleration, const Json& taint) {
  std::string effect = str(toleration, "effect");
  if (!effect.empty() && effect != str(taint, "effect")) return false;
  std::string key = str(toleration, "key");
  if (!key.empty() && key != str(taint, "key")) return false;
  std::string op = str(toleration, "operator");
  if (op.empty() || op == "Equal") return str(toleration, "value") == str(taint, "value");
  return op == "Exists";
}

// The pod's tolerations plus what the DefaultTolerationSeconds admission plugin would add: a
// toleration of the not-ready and unreachable NoExecute taints for `seconds`, unless the pod has
// one that covers the key with NoExecute (or any effect).
Json effective_tolerations(const Json& pod, std::optional<int64_t> seconds) {
  Json tolerations = array_at(pod, "spec", "tolerations");
  if (!seconds) return tolerations;
  for (std::string_view key : {kTaintNotReady, kTaintUnreachable}) {
    bool covered = false;
    for (const Json& t : tolerations) {
      std::string k = str(t, "key");
      std::string effect = str(t, "effect");
      if ((k == key || k.empty()) && (effect == "NoExecute" || effect.empty())) covered = true;
    }
    if (!covered) {
      tolerations.push_back({{"key", key},
                             {"operator", "Exists"},
                             {"effect", "NoExecute"},
                             {"tolerationSeconds", *seconds}});
    }
  }
  return tolerations;
}

// getMatchingTolerations + getMinTolerationTime: nullopt when a taint is not tolerated; -1 when
// every used toleration lasts forever; else the shortest tolerationSeconds (0 or less: now).
std::optional<int64_t> toleration_seconds(const Json& taints, const Json& tolerations) {
  int64_t min = INT64_MAX;
  for (const Json& taint : taints) {
    const Json* used = nullptr;
    for (const Json& t : tolerations) {
      if (tolerates(t, taint)) {
        used = &t;
        break;
      }
    }
    if (!used) return std::nullopt;
    auto it = used->find("tolerationSeconds");
    if (it != used->end() && it->is_number()) {
      int64_t s = it->get<int64_t>();
      if (s <= 0) return 0;
      min = std::min(min, s);
    }
  }
  return min == INT64_MAX ? -1 : min;
}

bool being_deleted(const Json& obj) {
  return !str_at(obj, "metadata", "deletionTimestamp").empty();
}

// utilnode.GetZoneKey: region and zone from the topology labels (or their beta forerunners);
// "" for a node with neither.
std::string zone_key(const Json& node) {
  const Json* labels = nullptr;
  if (node.is_object() && node.contains("metadata") && node["metadata"].is_object()) {
    auto it = node["metadata"].find("labels");
    if (it != node["metadata"].end() && it->is_object()) labels = &*it;
  }
  auto label = [&](std::string_view ga, std::string_view beta) {
    if (!labels) return std::string();
    std::string v = str(*labels, ga);
    return v.empty() ? str(*labels, beta) : v;
  };
  std::string region =
      label("topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/region");
  std::string zone = label("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone");
  if (region.empty() && zone.empty()) return {};
  return region + ":" + std::string(1, '\0') + ":" + zone;
}

}  // namespace

NodeLifecycleController::NodeLifecycleController(ControllerContext ctx,
                                                 NodeLifecycleOptions options)
    : Controller(ctx),
      options_(options),
      nodes_(ctx.informers.informer(client::kNodes)),
      leases_(ctx.informers.informer(kLeasesGvr)),
      pods_(ctx.informers.informer(client::kPods)),
      events_(ctx.client, ctx.clock, client::recorder_options("node-controller")),
      eviction_events_(ctx.client, ctx.clock,
                       client::recorder_options("taint-eviction-controller")) {
  pods_.add_index(std::string(kNodeNameIndex), [](const Json& pod) {
    std::string node = str_at(pod, "spec", "nodeName");
    return node.empty() ? std::vector<std::string>{} : std::vector<std::string>{node};
  });
  client::EventHandler nodes;
  auto on_node = [this](const client::ObjectPtr& n) { enqueue(str_at(*n, "metadata", "name")); };
  // The zone pass (one in the queue at a time) when a node comes or goes; a node's own sync runs
  // it when its Ready changes, and it runs every node monitor period besides.
  auto on_node_set = [this, on_node](const client::ObjectPtr& n) {
    on_node(n);
    enqueue("");
  };
  nodes.on_add = on_node_set;
  nodes.on_update = [on_node](const client::ObjectPtr&, const client::ObjectPtr& n) { on_node(n); };
  nodes.on_delete = on_node_set;
  nodes_.add_event_handler(std::move(nodes));

  client::EventHandler leases;
  auto on_lease = [this](const client::ObjectPtr& l) {
    if (str_at(*l, "metadata", "namespace") == kNodeLeaseNamespace) {
      enqueue(str_at(*l, "metadata", "name"));
    }
  };
  leases.on_add = on_lease;
  leases.on_update = [on_lease](const client::ObjectPtr&, const client::ObjectPtr& l) {
    on_lease(l);
  };
  leases_.add_event_handler(std::move(leases));

  // A pod arriving on a node with NoExecute taints is judged against them (the taint manager's
  // pod handler).
  client::EventHandler pods;
  auto on_pod = [this](const client::ObjectPtr& p) {
    std::string node_name = str_at(*p, "spec", "nodeName");
    if (node_name.empty() || being_deleted(*p)) return;
    auto node = nodes_.get(node_name);
    if (!node) return;
    for (const Json& taint : array_at(*node, "spec", "taints")) {
      if (str(taint, "effect") == "NoExecute") {
        enqueue(node_name);
        return;
      }
    }
  };
  pods.on_add = on_pod;
  pods.on_update = [on_pod](const client::ObjectPtr&, const client::ObjectPtr& p) { on_pod(p); };
  pods_.add_event_handler(std::move(pods));
}

NodeLifecycleController::~NodeLifecycleController() { stop(); }

std::optional<Clock::WallTime> NodeLifecycleController::probe_time(std::string_view node) {
  std::lock_guard lock(mu_);
  auto it = health_.find(node);
  if (it == health_.end()) return std::nullopt;
  return it->second.probe_time;
}

std::optional<NodeLifecycleController::Seen> NodeLifecycleController::seen(std::string_view node) {
  std::lock_guard lock(mu_);
  auto it = health_.find(node);
  if (it == health_.end()) return std::nullopt;
  return Seen{it->second.lease_renew_time, it->second.ready_heartbeat};
}

bool NodeLifecycleController::master_disruption() {
  std::lock_guard lock(mu_);
  return master_disruption_;
}

void NodeLifecycleController::zone_pass() {
  struct Count {
    int ready = 0;
    int not_ready = 0;
  };
  std::map<std::string, Count, std::less<>> counts;
  std::vector<std::string> names;
  bool entered = false;
  bool exited = false;
  const Clock::WallTime now = ctx_.clock.now();
  {
    std::lock_guard lock(mu_);
    for (const auto& cached : nodes_.list()) {
      const std::string name = str_at(*cached, "metadata", "name");
      names.push_back(name);
      // The Ready status the controller last acted on, else the node's own (a node without one
      // counts as not ready, as ComputeZoneState has it). A node past its grace period counts
      // as not ready even before its own sync marks it so: upstream updates every node's health
      // before it judges the zones, so nodes lost together are judged together.
      std::string ready;
      if (auto it = health_.find(name); it != health_.end()) {
        ready = now > it->second.probe_time + options_.node_monitor_grace_period
                    ? "Unknown"
                    : it->second.zone_ready;
      }
      if (ready.empty()) {
        const Json* c = find_condition(array_at(*cached, "status", "conditions"), "Ready");
        ready = c ? str(*c, "status") : std::string();
      }
      Count& count = counts[zone_key(*cached)];
      (ready == "True" ? count.ready : count.not_ready)++;
    }
    bool all_full = !counts.empty();
    for (const auto& [key, count] : counts) {
      Zone& zone = zones_[key];
      const int size = count.ready + count.not_ready;
      if (count.ready == 0 && count.not_ready > 0) {
        zone.state = ZoneState::kFullDisruption;
      } else if (count.not_ready > 2 &&
                 static_cast<double>(count.not_ready) / size >= options_.unhealthy_zone_threshold) {
        zone.state = ZoneState::kPartialDisruption;
      } else {
        zone.state = ZoneState::kNormal;
      }
      if (zone.state != ZoneState::kFullDisruption) all_full = false;
      // setLimiterInZone: HealthyQPSFunc for normal and fully disrupted zones, ReducedQPSFunc for
      // partly disrupted ones.
      if (zone.state == ZoneState::kPartialDisruption) {
        zone.qps = size > options_.large_cluster_size_threshold
                       ? options_.secondary_node_eviction_rate
                       : 0;
      } else {
        zone.qps = options_.node_eviction_rate;
      }
    }
    std::erase_if(zones_, [&](const auto& z) { return counts.find(z.first) == counts.end(); });
    if (all_full && !master_disruption_) {
      entered = true;
    } else if (!all_full && master_disruption_) {
      exited = true;
      // When exiting disruption mode every node gets a fresh grace period to report in.
      for (auto& [name, h] : health_) h.probe_time = now;
    }
    master_disruption_ = all_full;
  }
  if (entered) {
    SPDLOG_WARN(
        "node-lifecycle: every node is not ready: entering master disruption mode (no NoExecute "
        "taints, no evictions)");
  }
  if (exited) SPDLOG_INFO("node-lifecycle: some nodes are ready: exiting master disruption mode");
  // The nodes' taints follow the mode at once.
  if (entered || exited) {
    for (const std::string& name : names) enqueue(name);
  }
  if (!names.empty()) queue().add_after("", options_.node_monitor_period);
}

std::optional<Clock::Duration> NodeLifecycleController::no_execute_wait(const std::string& key) {
  const Clock::WallTime now = ctx_.clock.now();
  std::lock_guard lock(mu_);
  if (master_disruption_) return options_.node_monitor_period;
  auto it = zones_.find(key);
  if (it == zones_.end()) return options_.node_monitor_period;  // not counted yet
  Zone& zone = it->second;
  if (zone.qps <= 0) return options_.node_monitor_period;
  if (zone.refilled != Clock::WallTime{} && now > zone.refilled) {
    const double elapsed = std::chrono::duration<double>(now - zone.refilled).count();
    zone.tokens = std::min(1.0, zone.tokens + elapsed * zone.qps);
  }
  zone.refilled = now;
  if (zone.tokens >= 1) {
    zone.tokens -= 1;
    return std::nullopt;
  }
  return std::chrono::duration_cast<Clock::Duration>(
      std::chrono::duration<double>((1 - zone.tokens) / zone.qps));
}

Result<void> NodeLifecycleController::reconcile(const std::string& key) {
  if (key.empty()) {
    zone_pass();
    return {};
  }
  auto cached = nodes_.get(key);
  if (!cached) {
    std::optional<Health> known;
    {
      std::lock_guard lock(mu_);
      if (auto it = health_.find(key); it != health_.end()) {
        known = std::move(it->second);
        health_.erase(it);
      }
    }
    if (known) {
      node_event(key, known->uid, "RemovingNode",
                 fmt::format("Removing Node {} from Controller", key));
    }
    return {};
  }
  Json node = *cached;
  Health health;
  bool registered = false;
  {
    std::lock_guard lock(mu_);
    auto it = health_.find(key);
    if (it != health_.end()) {
      health = it->second;
    } else {
      health.probe_time = ctx_.clock.now();
      health.uid = str_at(node, "metadata", "uid");
      registered = true;
    }
  }
  // monitorNodeHealth's classifyNodes: every node the controller starts watching, including
  // those already there when it starts.
  if (registered) {
    node_event(key, health.uid, "RegisteredNode",
               fmt::format("Registered Node {} in Controller", key));
  }
  auto ready = update_health(node, health);
  {
    // The probe times are kept even when a write failed: they are what we observed.
    std::lock_guard lock(mu_);
    health_[key] = health;
  }
  if (!ready.ok()) return ready.error();
  // A node whose Ready changed counts with its new status before its taints are decided (a lone
  // node lost is a cluster wholly down, not a node to evict from).
  bool zone_changed = false;
  {
    std::lock_guard lock(mu_);
    Health& h = health_[key];
    zone_changed = h.zone_ready != *ready;
    h.zone_ready = *ready;
  }
  if (zone_changed) zone_pass();
  std::optional<Clock::Duration> taint_retry;
  BOSUN_RETURN_IF_ERROR(update_taints(node, *ready, &taint_retry));
  if (health.ready_status == "True" && *ready == "Unknown") {
    // RecordNodeStatusChange: only when the controller itself turned the node not ready (a
    // kubelet reporting Ready=False records its own event).
    client::ObjectReference ref = client::ObjectReference::of(node, "v1", "Node");
    ref.resource_version.clear();
    events_.event(ref, "Normal", "NodeNotReady",
                  fmt::format("Node {} status is now: NodeNotReady", key));
  }
  if (health.ready_status == "True" && !ready->empty() && *ready != "True") {
    SPDLOG_INFO("node-lifecycle: node {} is {}: marking its pods not ready", key, *ready);
    BOSUN_RETURN_IF_ERROR(mark_pods_not_ready(key));
  }
  if (!ready->empty()) {
    std::lock_guard lock(mu_);
    health_[key].ready_status = *ready;
  }
  BOSUN_ASSIGN_OR_RETURN(auto next_eviction, evict_pods(node));

  // Look again after the monitor period, or when the grace period or a toleration runs out.
  Clock::WallTime now = ctx_.clock.now();
  Clock::Duration delay = options_.node_monitor_period;
  Clock::WallTime expiry = health.probe_time + options_.node_monitor_grace_period;
  // At the very expiry the node is still fresh (now <= probe + grace): look again just after.
  if (expiry >= now)
    delay = std::min<Clock::Duration>(delay, expiry - now + std::chrono::seconds(1));
  if (next_eviction) delay = std::min<Clock::Duration>(delay, *next_eviction - now);
  if (taint_retry) delay = std::min<Clock::Duration>(delay, *taint_retry);
  queue().add_after(key, std::max<Clock::Duration>(delay, std::chrono::milliseconds(1)));
  return {};
}

// tryUpdateNodeHealth: a renewed Lease or a new Ready heartbeat proves the kubelet alive; past
// the grace period every condition becomes Unknown. Returns the Ready status ("" when the node
// never reported one and is still within its startup grace period).
Result<std::string> NodeLifecycleController::update_health(Json& node, Health& health) {
  Clock::WallTime now = ctx_.clock.now();
  std::string name = str_at(node, "metadata", "name");
  if (auto lease = leases_.get(std::string(kNodeLeaseNamespace) + "/" + name)) {
    std::string renew = str_at(*lease, "spec", "renewTime");
    if (!renew.empty() && renew != health.lease_renew_time) {
      health.lease_renew_time = renew;
      health.probe_time = now;
    }
  }
  const Json* ready = find_condition(array_at(node, "status", "conditions"), "Ready");
  std::string heartbeat = ready ? str(*ready, "lastHeartbeatTime") : std::string();
  if (heartbeat != health.ready_heartbeat) {
    health.ready_heartbeat = heartbeat;
    health.probe_time = now;
  }
  Clock::Duration grace =
      ready ? options_.node_monitor_grace_period : options_.node_startup_grace_period;
  if (now <= health.probe_time + grace) return ready ? str(*ready, "status") : std::string();

  Json& status = node["status"];
  if (!status.is_object()) status = Json::object();
  Json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = Json::array();
  std::string at = format_rfc3339(now);
  bool changed = false;
  for (std::string_view type : kNodeConditions) {
    Json* c = find_condition(conditions, type);
    if (!c) {
      conditions.push_back({{"type", type},
                            {"status", "Unknown"},
                            {"reason", "NodeStatusNeverUpdated"},
                            {"message", "Kubelet never posted node status."},
                            {"lastHeartbeatTime", str_at(node, "metadata", "creationTimestamp")},
                            {"lastTransitionTime", at}});
      changed = true;
    } else if (str(*c, "status") != "Unknown") {
      (*c)["status"] = "Unknown";
      (*c)["reason"] = "NodeStatusUnknown";
      (*c)["message"] = "Kubelet stopped posting node status.";
      (*c)["lastTransitionTime"] = at;
      changed = true;
    }
  }
  if (changed) {
    SPDLOG_INFO("node-lifecycle: node {} stopped posting status; conditions now Unknown", name);
    BOSUN_ASSIGN_OR_RETURN(node, ctx_.client.update_status(client::kNodes, "", node));
  }
  return std::string("Unknown");
}

// doNoScheduleTaintingPass + doNoExecuteTaintingPass: not-ready for Ready=False, unreachable for
// Unknown, none for True; unschedulable for a cordoned node.
Result<void> NodeLifecycleController::update_taints(Json& node, std::string_view ready,
                                                    std::optional<Clock::Duration>* retry) {
  struct Managed {
    std::string_view key;
    std::string_view effect;
    bool wanted;
  };
  bool unschedulable = node.contains("spec") && node["spec"].is_object() &&
                       node["spec"].value("unschedulable", false);
  std::vector<Managed> managed = {{kTaintUnschedulable, "NoSchedule", unschedulable}};
  // In master disruption mode no node keeps a NoExecute taint of ours (markNodeAsReachable).
  const bool no_execute_on = !master_disruption();
  if (!ready.empty()) {
    for (std::string_view effect : {"NoSchedule", "NoExecute"}) {
      const bool on = effect == "NoSchedule" || no_execute_on;
      managed.push_back({kTaintNotReady, effect, on && ready == "False"});
      managed.push_back({kTaintUnreachable, effect, on && ready == "Unknown"});
    }
  }
  const Json& current = array_at(node, "spec", "taints");
  Json taints = Json::array();
  bool changed = false;
  for (const Json& t : current) {
    auto m = std::find_if(managed.begin(), managed.end(), [&](const Managed& m) {
      return m.key == str(t, "key") && m.effect == str(t, "effect");
    });
    if (m != managed.end() && !m->wanted) {
      changed = true;
      continue;
    }
    taints.push_back(t);
  }
  std::string at = format_rfc3339(ctx_.clock.now());
  for (const Managed& m : managed) {
    if (!m.wanted) continue;
    bool present = std::any_of(taints.begin(), taints.end(), [&](const Json& t) {
      return m.key == str(t, "key") && m.effect == str(t, "effect");
    });
    if (present) continue;
    if (m.effect == "NoExecute") {
      // A node that already has the other NoExecute taint of ours swaps it at once
      // (swapNodeControllerTaint); a new one waits for its zone's rate.
      bool swap = std::any_of(current.begin(), current.end(), [&](const Json& t) {
        std::string key = str(t, "key");
        return str(t, "effect") == "NoExecute" && key != m.key &&
               (key == kTaintNotReady || key == kTaintUnreachable);
      });
      if (!swap) {
        if (auto wait = no_execute_wait(zone_key(node))) {
          *retry = retry->has_value() ? std::min(**retry, *wait) : *wait;
          continue;
        }
      }
    }
    // Only NoExecute taints carry the time they were added (tolerationSeconds count from it).
    Json taint = {{"key", m.key}, {"effect", m.effect}};
    if (m.effect == "NoExecute") taint["timeAdded"] = at;
    taints.push_back(std::move(taint));
    changed = true;
  }
  if (!changed) return {};
  Json copy = node;
  if (taints.empty()) {
    copy["spec"].erase("taints");
  } else {
    copy["spec"]["taints"] = std::move(taints);
  }
  BOSUN_ASSIGN_OR_RETURN(node, ctx_.client.update(client::kNodes, "", copy));
  return {};
}

// MarkPodsNotReady: the node cannot vouch for its pods any more, so Services stop sending them
// traffic.
Result<void> NodeLifecycleController::mark_pods_not_ready(const std::string& node) {
  std::string at = format_rfc3339(ctx_.clock.now());
  for (const auto& cached : pods_.by_index(kNodeNameIndex, node)) {
    if (being_deleted(*cached)) continue;
    const Json* ready = find_condition(array_at(*cached, "status", "conditions"), "Ready");
    if (!ready || str(*ready, "status") != "True") continue;
    Json pod = *cached;
    Json* c = find_condition(pod["status"]["conditions"], "Ready");
    (*c)["status"] = "False";
    (*c)["lastTransitionTime"] = at;
    auto updated =
        ctx_.client.update_status(client::kPods, str_at(pod, "metadata", "namespace"), pod);
    if (!updated.ok()) {
      if (updated.error().code == ErrorCode::kNotFound) continue;
      return updated.error();
    }
    // After the update, so the pod is known to still exist (as MarkPodsNotReady orders it).
    events_.event(client::ObjectReference::of(*updated, "v1", "Pod"), "Warning", "NodeNotReady",
                  "Node is not ready");
  }
  return {};
}

void NodeLifecycleController::node_event(const std::string& name, const std::string& uid,
                                         std::string_view reason, std::string_view what) {
  client::ObjectReference ref;
  ref.api_version = "v1";
  ref.kind = "Node";
  ref.name = name;
  ref.uid = uid;
  events_.event(ref, "Normal", reason, fmt::format("Node {} event: {}", name, what));
}

// The taint eviction controller's processPodOnNode for every pod on the node: deleted now when a
// NoExecute taint is not tolerated, else when the shortest toleration used runs out, counted from
// when the taint was added.
Result<std::optional<Clock::WallTime>> NodeLifecycleController::evict_pods(const Json& node) {
  Json no_execute = Json::array();
  Clock::WallTime tainted_at{};
  bool have_time = false;
  for (const Json& t : array_at(node, "spec", "taints")) {
    if (str(t, "effect") != "NoExecute") continue;
    no_execute.push_back(t);
    if (auto added = parse_rfc3339(str(t, "timeAdded")); added.ok()) {
      tainted_at = have_time ? std::max(tainted_at, *added) : *added;
      have_time = true;
    }
  }
  if (no_execute.empty()) return std::optional<Clock::WallTime>();
  Clock::WallTime now = ctx_.clock.now();
  if (!have_time) tainted_at = now;
  std::optional<int64_t> default_seconds;
  if (options_.default_toleration) {
    default_seconds =
        std::chrono::duration_cast<std::chrono::seconds>(*options_.default_toleration).count();
  }
  std::optional<Clock::WallTime> next;
  for (const auto& cached : pods_.by_index(kNodeNameIndex, str_at(node, "metadata", "name"))) {
    const Json& pod = *cached;
    if (being_deleted(pod)) continue;
    auto seconds = toleration_seconds(no_execute, effective_tolerations(pod, default_seconds));
    if (seconds && *seconds < 0) continue;  // tolerated forever
    if (seconds && *seconds > 0) {
      Clock::WallTime deadline = saturating_add(tainted_at, std::chrono::seconds(*seconds));
      if (deadline > now) {
        next = next ? std::min(*next, deadline) : deadline;
        continue;
      }
    }
    std::string ns = str_at(pod, "metadata", "namespace");
    std::string pod_name = str_at(pod, "metadata", "name");
    SPDLOG_INFO("node-lifecycle: evicting pod {}/{} from node {} (NoExecute taint)", ns, pod_name,
                str_at(node, "metadata", "name"));
    // deletePodHandler announces the deletion before it tries (emitPodDeletionEvent); the
    // reference names the pod without its uid.
    client::ObjectReference ref;
    ref.api_version = "v1";
    ref.kind = "Pod";
    ref.ns = ns;
    ref.name = pod_name;
    eviction_events_.event(ref, "Normal", "TaintManagerEviction",
                           fmt::format("Marking for deletion Pod {}/{}", ns, pod_name));
    // addConditionAndDeletePod: the DisruptionTarget condition tells why the pod went.
    Json copy = pod;
    Json& conditions = copy["status"]["conditions"];
    if (!conditions.is_array()) conditions = Json::array();
    if (!find_condition(conditions, "DisruptionTarget")) {
      conditions.push_back({{"type", "DisruptionTarget"},
                            {"status", "True"},
                            {"reason", "DeletionByTaintManager"},
                            {"message", "Taint manager: deleting due to NoExecute taint"},
                            {"lastTransitionTime", format_rfc3339(now)}});
      auto marked = ctx_.client.update_status(client::kPods, ns, copy);
      if (!marked.ok()) {
        if (marked.error().code == ErrorCode::kNotFound) continue;
        return marked.error();
      }
    }
    auto removed = ctx_.client.remove(client::kPods, ns, pod_name);
    if (!removed.ok() && removed.error().code != ErrorCode::kNotFound) return removed.error();
  }
  return next;
}

}  // namespace bosun::controller
