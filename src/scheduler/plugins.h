// The in-tree filter and score plugins of Kubernetes' default profile
// (pkg/scheduler/framework/plugins/*), with Kubernetes' names and the reasons its users read in
// `kubectl describe pod`. Plugins keep per-cycle data in the CycleState; PodTopologySpread also
// remembers match counts across cycles. One Framework (one scheduling thread) drives them.
#pragma once

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "scheduler/framework.h"

namespace bosun::scheduler {

// The reasons Kubernetes prints (ErrReason* of each plugin).
inline constexpr std::string_view kReasonNodeName = "node(s) didn't match the requested node name";
inline constexpr std::string_view kReasonUnschedulable = "node(s) were unschedulable";
inline constexpr std::string_view kReasonNodeAffinity =
    "node(s) didn't match Pod's node affinity/selector";
inline constexpr std::string_view kReasonNodePorts =
    "node(s) didn't have free ports for the requested pod ports";
inline constexpr std::string_view kReasonTooManyPods = "Too many pods";
inline constexpr std::string_view kReasonAffinityRules = "node(s) didn't match pod affinity rules";
inline constexpr std::string_view kReasonAntiAffinityRules =
    "node(s) didn't match pod anti-affinity rules";
inline constexpr std::string_view kReasonExistingAntiAffinityRules =
    "node(s) didn't satisfy existing pods anti-affinity rules";
inline constexpr std::string_view kReasonTopologySpread =
    "node(s) didn't match pod topology spread constraints";
inline constexpr std::string_view kReasonTopologySpreadMissingLabel =
    "node(s) didn't match pod topology spread constraints (missing required label)";

class NodeNamePlugin final : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodeName"; }
  uint32_t events() const override { return kNodeAdd; }
  Status filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
};

class NodeUnschedulablePlugin final : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodeUnschedulable"; }
  uint32_t events() const override { return kNodeAdd | kNodeUpdate; }
  Status filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
};

// NoSchedule/NoExecute taints filter; PreferNoSchedule taints score (fewer is better).
class TaintTolerationPlugin final : public FilterPlugin, public ScorePlugin {
 public:
  std::string_view name() const override { return "TaintToleration"; }
  uint32_t events() const override { return kNodeAdd | kNodeUpdate; }
  Status filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
  Status pre_score(CycleState& state, const PodInfo& pod, const Snapshot&,
                   std::span<const NodeInfo* const>) override;
  int64_t score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  void normalize(const CycleState&, const PodInfo&, std::span<NodeScore> scores) const override;
};

// spec.nodeSelector and required node affinity filter; preferred terms score.
class NodeAffinityPlugin final : public FilterPlugin, public ScorePlugin {
 public:
  std::string_view name() const override { return "NodeAffinity"; }
  uint32_t events() const override { return kNodeAdd | kNodeUpdate; }
  Status pre_filter(CycleState&, const PodInfo& pod, const Snapshot&) override;
  Status filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
  Status pre_score(CycleState&, const PodInfo& pod, const Snapshot&,
                   std::span<const NodeInfo* const>) override;
  int64_t score(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
  void normalize(const CycleState&, const PodInfo&, std::span<NodeScore> scores) const override;
};

class NodePortsPlugin final : public FilterPlugin {
 public:
  std::string_view name() const override { return "NodePorts"; }
  uint32_t events() const override { return kAssignedPodDelete | kNodeAdd | kNodeUpdate; }
  Status pre_filter(CycleState&, const PodInfo& pod, const Snapshot&) override;
  Status filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
};

// Filters on free allocatable (cpu, memory, ephemeral-storage, pods, scalar resources); scores with
// the LeastAllocated strategy over cpu and memory (weight 1 each), Kubernetes' default.
class NodeResourcesFitPlugin final : public FilterPlugin, public ScorePlugin {
 public:
  std::string_view name() const override { return "NodeResourcesFit"; }
  uint32_t events() const override {
    return kAssignedPodDelete | kAssignedPodUpdate | kNodeAdd | kNodeUpdate;
  }
  Status filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
  int64_t score(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
};

class BalancedAllocationPlugin final : public ScorePlugin {
 public:
  std::string_view name() const override { return "NodeResourcesBalancedAllocation"; }
  Status pre_score(CycleState&, const PodInfo& pod, const Snapshot&,
                   std::span<const NodeInfo* const>) override;
  int64_t score(const CycleState&, const PodInfo& pod, const NodeInfo& node) const override;
};

class InterPodAffinityPlugin final : public FilterPlugin, public ScorePlugin {
 public:
  // hardPodAffinityWeight: how much an existing pod's required affinity to the incoming pod counts
  // in scoring (Kubernetes' default 1).
  explicit InterPodAffinityPlugin(int32_t hard_pod_affinity_weight = 1)
      : hard_pod_affinity_weight_(hard_pod_affinity_weight) {}
  std::string_view name() const override { return "InterPodAffinity"; }
  uint32_t events() const override {
    return kAssignedPodAdd | kAssignedPodUpdate | kAssignedPodDelete | kNodeAdd | kNodeUpdate;
  }
  Status pre_filter(CycleState& state, const PodInfo& pod, const Snapshot& snapshot) override;
  Status filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  Status pre_score(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                   std::span<const NodeInfo* const> feasible) override;
  int64_t score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  void normalize(const CycleState&, const PodInfo&, std::span<NodeScore> scores) const override;

 private:
  int32_t hard_pod_affinity_weight_;
};

// Per node version, how many of its pods a selector matches. Counting every node's pods for every
// ReplicaSet pod costs milliseconds at 5,000 nodes; replicas share a selector and most nodes do not
// change between two decisions, so the counts are remembered across cycles, keyed by NodeInfo
// version (NodeInfo::generation). Used by PodTopologySpread on the scheduling thread only.
class MatchCountMemo {
 public:
  struct Table;
  // The counts of one selector in one namespace; valid until 32 other selectors were asked for.
  Table& table(const api::LabelSelector& selector, std::string_view ns);
  int64_t count(Table& table, const NodeInfo& node, const api::LabelSelector& selector,
                std::string_view ns);
  // The same for the node at `index` in the snapshot: a flat array instead of a hash lookup, for
  // the walks over every node.
  int64_t count_at(Table& table, size_t index, const NodeInfo& node,
                   const api::LabelSelector& selector, std::string_view ns);

 private:
  std::vector<std::pair<std::string, std::unique_ptr<Table>>> tables_;  // most recent last
};

// DoNotSchedule constraints filter; ScheduleAnyway constraints (or, for a pod without constraints,
// the system defaults: hostname maxSkew 3, zone maxSkew 5 over the pods of the same services and
// controllers) score.
class PodTopologySpreadPlugin final : public FilterPlugin, public ScorePlugin {
 public:
  explicit PodTopologySpreadPlugin(SpreadSelectorFn spread_selector = nullptr);
  ~PodTopologySpreadPlugin() override;
  std::string_view name() const override { return "PodTopologySpread"; }
  uint32_t events() const override { return kAllEvents; }
  Status pre_filter(CycleState& state, const PodInfo& pod, const Snapshot& snapshot) override;
  Status filter(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  Status pre_score(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                   std::span<const NodeInfo* const> feasible) override;
  int64_t score(const CycleState& state, const PodInfo& pod, const NodeInfo& node) const override;
  void normalize(const CycleState& state, const PodInfo&,
                 std::span<NodeScore> scores) const override;

 private:
  SpreadSelectorFn spread_selector_;
  std::unique_ptr<MatchCountMemo> memo_;  // mutated from const score(): one scheduling thread
};

}  // namespace bosun::scheduler
