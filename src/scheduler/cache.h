// The scheduler cache (Kubernetes' backend/cache) and the per-cycle Snapshot the plugins read.
// Informer handlers feed the Cache nodes and bound pods; the scheduler assumes a pod on its chosen
// node before binding, so the next decision already counts it, then confirms it when the bound pod
// arrives from the informer, or forgets it when binding fails; an assumed pod whose binding
// finished but never showed up expires after a TTL (injected clock). Cache is thread-safe (one
// mutex). A Snapshot is owned by the scheduling thread (one Snapshot per Cache: the cache tracks
// what changed since that snapshot's last update); the NodeInfos it points to never change.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "scheduler/node_info.h"
#include "scheduler/pod_info.h"

namespace bosun::scheduler {

class Snapshot {
 public:
  // In a stable order (node insertion order), the round-robin order of filtering.
  const std::vector<std::shared_ptr<const NodeInfo>>& nodes() const { return nodes_; }
  size_t size() const { return nodes_.size(); }
  const NodeInfo* get(std::string_view name) const;
  // Nodes with at least one pod with any (anti-)affinity term / with a required anti-affinity term.
  const std::vector<const NodeInfo*>& have_pods_with_affinity() const { return with_affinity_; }
  const std::vector<const NodeInfo*>& have_pods_with_required_anti_affinity() const {
    return with_required_anti_affinity_;
  }
  // A namespace's labels for namespaceSelector, nullptr when unknown.
  const api::Labels* namespace_labels(std::string_view ns) const;

  // Builds a snapshot directly from nodes (tests and benchmarks).
  static Snapshot from(std::vector<std::shared_ptr<const NodeInfo>> nodes);

 private:
  friend class Cache;
  void rebuild_index();
  void rebuild_affinity_lists();

  std::vector<std::shared_ptr<const NodeInfo>> nodes_;
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> index_;
  std::vector<const NodeInfo*> with_affinity_;
  std::vector<const NodeInfo*> with_required_anti_affinity_;
  std::shared_ptr<const std::unordered_map<std::string, api::Labels>> namespaces_;
  uint64_t generation_ = 0;  // the cache generation this snapshot reflects
  uint64_t list_generation_ = 0;
};

struct CacheOptions {
  // How long an assumed pod whose binding finished may stay unconfirmed. Zero: never expires, as
  // kube-scheduler's durationToExpireAssumedPod = 0 (Kubernetes issue 106361: expiry raced slow
  // binds and let a node be double-booked); the informer confirms the pod or binding forgets it.
  Clock::Duration assumed_pod_ttl = std::chrono::seconds(0);
};

class Cache {
 public:
  explicit Cache(Clock& clock, CacheOptions options = {});

  void add_node(std::shared_ptr<const Node> node);
  void update_node(std::shared_ptr<const Node> node) { add_node(std::move(node)); }
  void remove_node(std::string_view name);

  // A pod bound to a node (spec.nodeName set), from the informer. Confirms an assumed pod (moving
  // it if it landed on another node). Pods without a node are ignored.
  void add_pod(std::shared_ptr<const PodInfo> pod);
  void update_pod(std::shared_ptr<const PodInfo> pod);
  void remove_pod(std::string_view uid);

  // Counts `pod` on `node_name` before binding. Conflict if the pod is already in the cache.
  Result<void> assume_pod(const std::shared_ptr<const PodInfo>& pod, std::string_view node_name);
  // Binding finished (successfully sent): starts the expiry clock of an assumed pod.
  void finish_binding(std::string_view uid);
  // Binding failed: removes an assumed pod.
  Result<void> forget_pod(std::string_view uid);
  bool is_assumed(std::string_view uid) const;
  // Removes assumed pods whose binding finished more than the TTL ago (Kubernetes runs this every
  // second); returns how many expired.
  int cleanup_expired_assumed_pods();

  void set_namespace(const std::string& name, api::Labels labels);
  void remove_namespace(const std::string& name);

  // Brings `snapshot` up to date, copying only the node entries that changed since it was last
  // updated (Kubernetes' UpdateSnapshot with generations).
  void update_snapshot(Snapshot& snapshot) const;

  size_t node_count() const;
  size_t pod_count() const;

 private:
  struct PodState {
    std::shared_ptr<const PodInfo> pod;
    bool assumed = false;
    bool binding_finished = false;
    Clock::MonoTime deadline{};
  };
  struct NodeEntry {
    std::shared_ptr<NodeInfo> info;
  };

  NodeInfo& mutable_node(const std::string& name);  // copy-on-write; mu_ held
  void add_pod_locked(std::shared_ptr<const PodInfo> pod);
  void remove_pod_locked(const PodInfo& pod);
  void maybe_drop_node(const std::string& name);

  Clock& clock_;
  CacheOptions options_;
  mutable std::mutex mu_;  // guards everything below
  std::unordered_map<std::string, NodeEntry> nodes_;
  std::vector<std::string> order_;                  // nodes with a Node object, in insertion order
  std::unordered_map<std::string, PodState> pods_;  // by uid
  std::unordered_set<std::string> assumed_;
  std::shared_ptr<const std::unordered_map<std::string, api::Labels>> namespaces_;
  uint64_t generation_ = 0;
  uint64_t list_generation_ = 0;  // bumped when order_ changes
  mutable std::unordered_set<std::string> dirty_;
};

}  // namespace bosun::scheduler
