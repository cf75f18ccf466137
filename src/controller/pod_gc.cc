#include "controller/pod_gc.h"

#include <algorithm>
#include <set>

#include "common/log.h"
#include "common/time_format.h"

namespace bosun::controller {

namespace {

constexpr std::string_view kTaintOutOfService = "node.kubernetes.io/out-of-service";

std::string str_at(const Json& obj, std::string_view a, std::string_view b) {
  if (!obj.is_object()) return {};
  auto outer = obj.find(a);
  if (outer == obj.end() || !outer->is_object()) return {};
  auto inner = outer->find(b);
  return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : std::string();
}

bool terminated(const Json& pod) {
  std::string phase = str_at(pod, "status", "phase");
  return phase == "Succeeded" || phase == "Failed";
}

bool terminating(const Json& pod) { return !str_at(pod, "metadata", "deletionTimestamp").empty(); }

// eviction.PodIsEvicted.
bool evicted(const Json& pod) {
  return str_at(pod, "status", "phase") == "Failed" && str_at(pod, "status", "reason") == "Evicted";
}

bool node_ready(const Json& node) {
  if (!node.contains("status") || !node["status"].is_object()) return false;
  auto conditions = node["status"].find("conditions");
  if (conditions == node["status"].end() || !conditions->is_array()) return false;
  for (const Json& c : *conditions) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

bool out_of_service(const Json& node) {
  if (!node.contains("spec") || !node["spec"].is_object()) return false;
  auto taints = node["spec"].find("taints");
  if (taints == node["spec"].end() || !taints->is_array()) return false;
  for (const Json& t : *taints) {
    if (t.value("key", "") == kTaintOutOfService && t.value("effect", "") == "NoExecute") {
      return true;
    }
  }
  return false;
}

}  // namespace

PodGCController::PodGCController(ControllerContext ctx, PodGCOptions options)
    : Controller(ctx),
      options_(options),
      pods_(ctx.informers.informer(client::kPods)),
      nodes_(ctx.informers.informer(client::kNodes)) {
  // The collector runs on its period; a node going away starts its quarantine at once.
  client::EventHandler nodes;
  nodes.on_delete = [this](const client::ObjectPtr&) { enqueue(std::string(kKey)); };
  nodes_.add_event_handler(std::move(nodes));
  enqueue(std::string(kKey));
}

PodGCController::~PodGCController() { stop(); }

Result<void> PodGCController::reconcile(const std::string& key) {
  if (key != kKey) return {};
  std::vector<client::ObjectPtr> pods = pods_.list();
  Result<void> result;
  if (options_.terminated_pod_gc_threshold > 0) result = gc_terminated(pods);
  // Each pass runs even when another failed; the first error re-queues the key.
  if (auto r = gc_terminating(pods); !r.ok() && result.ok()) result = r;
  if (auto r = gc_orphaned(pods); !r.ok() && result.ok()) result = r;
  // gcUnscheduledTerminating: nothing will ever finish deleting a pod no node runs.
  for (const auto& pod : pods) {
    if (terminating(*pod) && str_at(*pod, "spec", "nodeName").empty()) {
      if (auto r = force_delete(*pod); !r.ok() && result.ok()) result = r;
    }
  }
  if (result.ok()) {
    // The next pass, sooner when a quarantine ends first.
    Clock::Duration delay = options_.gc_check_period;
    Clock::WallTime now = ctx_.clock.now();
    std::lock_guard lock(mu_);
    for (const auto& [node, since] : missing_since_) {
      delay = std::min<Clock::Duration>(delay, since + options_.quarantine - now);
    }
    queue().add_after(key, std::max<Clock::Duration>(delay, std::chrono::milliseconds(1)));
  }
  return result;
}

Result<void> PodGCController::gc_terminated(const std::vector<client::ObjectPtr>& pods) {
  std::vector<client::ObjectPtr> done;
  for (const auto& pod : pods) {
    if (terminated(*pod) && !terminating(*pod)) done.push_back(pod);
  }
  int64_t excess = static_cast<int64_t>(done.size()) - options_.terminated_pod_gc_threshold;
  if (excess <= 0) return {};
  // byEvictionAndCreationTimestamp: evicted pods first, then the oldest (RFC 3339 in UTC sorts as
  // text), names breaking ties.
  std::sort(done.begin(), done.end(), [](const client::ObjectPtr& a, const client::ObjectPtr& b) {
    bool ea = evicted(*a);
    bool eb = evicted(*b);
    if (ea != eb) return ea;
    std::string ca = str_at(*a, "metadata", "creationTimestamp");
    std::string cb = str_at(*b, "metadata", "creationTimestamp");
    if (ca != cb) return ca < cb;
    return str_at(*a, "metadata", "name") < str_at(*b, "metadata", "name");
  });
  SPDLOG_INFO("podgc: {} terminated pods over the threshold of {}: deleting {}", done.size(),
              options_.terminated_pod_gc_threshold, excess);
  Result<void> result;
  for (int64_t i = 0; i < excess; ++i) {
    if (auto r = force_delete(*done[static_cast<size_t>(i)]); !r.ok() && result.ok()) result = r;
  }
  return result;
}

// gcTerminating: pods stuck terminating on a node that is down and marked out of service; their
// kubelet will not finish the deletion.
Result<void> PodGCController::gc_terminating(const std::vector<client::ObjectPtr>& pods) {
  Result<void> result;
  for (const auto& pod : pods) {
    if (!terminating(*pod)) continue;
    std::string node_name = str_at(*pod, "spec", "nodeName");
    if (node_name.empty()) continue;
    auto node = nodes_.get(node_name);
    if (!node || node_ready(*node) || !out_of_service(*node)) continue;
    if (auto r = force_delete(*pod); !r.ok() && result.ok()) result = r;
  }
  return result;
}

// gcOrphaned: pods bound to a node that has been missing for the whole quarantine and that a
// fresh read confirms gone.
Result<void> PodGCController::gc_orphaned(const std::vector<client::ObjectPtr>& pods) {
  Clock::WallTime now = ctx_.clock.now();
  std::set<std::string, std::less<>> deleted_nodes;
  {
    std::set<std::string, std::less<>> missing;
    for (const auto& pod : pods) {
      std::string node_name = str_at(*pod, "spec", "nodeName");
      if (!node_name.empty() && !nodes_.get(node_name)) missing.insert(node_name);
    }
    std::lock_guard lock(mu_);
    for (auto it = missing_since_.begin(); it != missing_since_.end();) {
      it = missing.count(it->first) ? std::next(it) : missing_since_.erase(it);
    }
    for (const std::string& n : missing) {
      auto [it, added] = missing_since_.emplace(n, now);
      if (!added && now - it->second >= options_.quarantine) deleted_nodes.insert(n);
    }
  }
  for (auto it = deleted_nodes.begin(); it != deleted_nodes.end();) {
    auto node = ctx_.client.get(client::kNodes, "", *it);
    if (node.ok()) {
      it = deleted_nodes.erase(it);  // the cache lagged: the node exists
    } else if (node.error().code != ErrorCode::kNotFound) {
      return node.error();
    } else {
      ++it;
    }
  }
  Result<void> result;
  for (const auto& pod : pods) {
    if (!deleted_nodes.count(str_at(*pod, "spec", "nodeName"))) continue;
    SPDLOG_INFO("podgc: deleting pod {}/{} of deleted node {}",
                str_at(*pod, "metadata", "namespace"), str_at(*pod, "metadata", "name"),
                str_at(*pod, "spec", "nodeName"));
    if (auto r = force_delete(*pod, "DeletionByPodGC", "PodGC: node no longer exists");
        !r.ok() && result.ok()) {
      result = r;
    }
  }
  if (!deleted_nodes.empty()) {
    std::lock_guard lock(mu_);
    for (const auto& n : deleted_nodes) missing_since_.erase(n);
  }
  return result;
}

Result<void> PodGCController::force_delete(const Json& pod, std::string_view reason,
                                           std::string_view message) {
  std::string ns = str_at(pod, "metadata", "namespace");
  std::string name = str_at(pod, "metadata", "name");
  if (!terminated(pod)) {
    Json copy = pod;
    Json& status = copy["status"];
    if (!status.is_object()) status = Json::object();
    status["phase"] = "Failed";
    if (!reason.empty()) {
      Json& conditions = status["conditions"];
      if (!conditions.is_array()) conditions = Json::array();
      conditions.push_back({{"type", "DisruptionTarget"},
                            {"status", "True"},
                            {"reason", reason},
                            {"message", message},
                            {"lastTransitionTime", format_rfc3339(ctx_.clock.now())}});
    }
    auto marked = ctx_.client.update_status(client::kPods, ns, copy);
    if (!marked.ok()) {
      if (marked.error().code == ErrorCode::kNotFound) return {};
      // A stale copy (409) is retried on the next pass; the deletion below still goes ahead.
      SPDLOG_DEBUG("podgc: marking {}/{} failed: {}", ns, name, marked.error().message);
    }
  }
  client::DeleteOptions options;
  options.grace_period_seconds = 0;
  auto removed = ctx_.client.remove(client::kPods, ns, name, options);
  if (!removed.ok() && removed.error().code != ErrorCode::kNotFound) return removed.error();
  return {};
}

}  // namespace bosun::controller
