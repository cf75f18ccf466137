// Node and NodeInfo: the scheduler's typed view of a core/v1 Node (decoded once from JSON) and the
// aggregate of the pods on it (framework.NodeInfo): requested and non-zero-requested resources,
// used host ports, the pods with their labels for inter-pod affinity and topology spreading. The
// scheduler cache owns NodeInfos and copies one before changing it when a snapshot still shares it,
// so a NodeInfo reachable from a Snapshot never changes: safe to read from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/labels.h"
#include "common/json.h"
#include "common/result.h"
#include "scheduler/pod_info.h"
#include "scheduler/resources.h"
#include "scheduler/taints.h"

namespace bosun::scheduler {

struct Node {
  std::string name;
  api::Labels labels;
  Resources allocatable;  // status.allocatable (capacity when allocatable is absent)
  std::vector<Taint> taints;
  bool unschedulable = false;       // spec.unschedulable (kubectl cordon)
  bool ready = false;               // the Ready condition is True
  std::vector<std::string> images;  // status.images[].names, for ImageLocality
  // A copy of the topology.kubernetes.io/zone label: PodTopologySpread reads it on every node of
  // every cycle, and the label map costs several cache misses per lookup.
  bool has_zone = false;
  std::string zone;
};

// Decodes a v1 Node. BadRequest on a malformed object; never throws.
Result<std::shared_ptr<const Node>> decode_node(const Json& node);

// Whether a node update can change scheduling decisions (Kubernetes' NodeAllocatableChange,
// NodeLabelChange, NodeTaintChange, NodeConditionChange, NodeSpecUnschedulableChange): the
// informer turns only these into a kNodeUpdate event for the queue, not every status heartbeat.
bool node_scheduling_changed(const Node& before, const Node& after);

class NodeInfo {
 public:
  NodeInfo() = default;
  explicit NodeInfo(std::shared_ptr<const Node> node) : node_(std::move(node)) {}

  // Null while pods are bound to a node the cache has not seen yet.
  const Node* node() const { return node_.get(); }
  const std::shared_ptr<const Node>& node_ptr() const { return node_; }
  void set_node(std::shared_ptr<const Node> node) { node_ = std::move(node); }
  const std::string& name() const { return node_->name; }
  const api::Labels& labels() const { return node_->labels; }

  const std::vector<std::shared_ptr<const PodInfo>>& pods() const { return pods_; }
  // Sum of the pods' requests (Requested) and of their non-zero requests (NonZeroRequested).
  const Resources& requested() const { return requested_; }
  int64_t non_zero_milli_cpu() const { return non_zero_milli_cpu_; }
  int64_t non_zero_memory() const { return non_zero_memory_; }
  const std::vector<HostPort>& used_ports() const { return used_ports_; }
  int pods_with_affinity() const { return pods_with_affinity_; }
  int pods_with_required_anti_affinity() const { return pods_with_required_anti_affinity_; }

  void add_pod(std::shared_ptr<const PodInfo> pod);
  // False when no pod with that uid is on the node.
  bool remove_pod(std::string_view uid);

  // Set by the cache on every change, unique across the cache's NodeInfos (so a (NodeInfo,
  // generation) pair names one version); 0 for a NodeInfo built outside a cache.
  uint64_t generation() const { return generation_; }
  void set_generation(uint64_t g) { generation_ = g; }

 private:
  std::shared_ptr<const Node> node_;
  std::vector<std::shared_ptr<const PodInfo>> pods_;
  Resources requested_;
  int64_t non_zero_milli_cpu_ = 0;
  int64_t non_zero_memory_ = 0;
  std::vector<HostPort> used_ports_;
  int pods_with_affinity_ = 0;
  int pods_with_required_anti_affinity_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace bosun::scheduler
