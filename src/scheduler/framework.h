// The scheduling framework (Kubernetes' framework/interface.go and schedule_one.go): tiny plugin
// interfaces per extension point (PreFilter/Filter, PreScore/Score/NormalizeScore), a Status whose
// code decides what happens to the pod, per-cycle plugin state, and schedule_one, which filters
// nodes in round-robin order until it has found as many feasible nodes as Kubernetes would, scores
// them with weighted plugins and picks the best (ties broken at random). A Framework holds
// per-cycle buffers and the round-robin position: one scheduling thread uses it at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/label_selector.h"
#include "common/result.h"
#include "scheduler/cache.h"
#include "scheduler/node_info.h"
#include "scheduler/pod_info.h"

namespace bosun::scheduler {

inline constexpr int64_t kMaxNodeScore = 100;

enum class Code : uint8_t {
  kSuccess,
  kError,                         // something broke: the pod is retried after back-off
  kUnschedulable,                 // this node may fit once others' pods go (preemption may help)
  kUnschedulableAndUnresolvable,  // this node cannot fit the pod whatever happens to other pods
  kSkip,  // from PreFilter/PreScore: the plugin has nothing to do this cycle
};

class Status {
 public:
  Status() = default;  // Success, without allocating
  Status(Code code, std::string reason) : code_(code) { reasons_.push_back(std::move(reason)); }
  Status(Code code, std::vector<std::string> reasons) : code_(code), reasons_(std::move(reasons)) {}
  static Status skip() { return Status(Code::kSkip, std::vector<std::string>{}); }

  Code code() const { return code_; }
  bool ok() const { return code_ == Code::kSuccess; }
  bool rejected() const {
    return code_ == Code::kUnschedulable || code_ == Code::kUnschedulableAndUnresolvable;
  }
  const std::vector<std::string>& reasons() const { return reasons_; }
  // The reasons joined by ", " (Status.Message).
  std::string message() const;
  const std::string& plugin() const { return plugin_; }
  void set_plugin(std::string_view plugin) { plugin_ = std::string(plugin); }

 private:
  Code code_ = Code::kSuccess;
  std::vector<std::string> reasons_;
  std::string plugin_;
};

// Cluster events that can make an unschedulable pod schedulable (framework.ClusterEvent); plugins
// say which they care about so the queue moves only pods that an event may help.
enum ClusterEvent : uint32_t {
  kNodeAdd = 1u << 0,
  kNodeUpdate = 1u << 1,  // labels, taints, allocatable, unschedulable changed
  kNodeDelete = 1u << 2,
  kAssignedPodAdd = 1u << 3,
  kAssignedPodUpdate = 1u << 4,
  kAssignedPodDelete = 1u << 5,
  kAllEvents = (1u << 6) - 1,
};

// Data a plugin computes once per cycle (in PreFilter/PreScore) and reads for every node.
struct PluginState {
  virtual ~PluginState() = default;
};

// Per-cycle state: one slot per plugin (the framework numbers its plugins). Reused from cycle to
// cycle so that plugins can keep their buffers.
class CycleState {
 public:
  template <typename T>
  T* get(size_t slot) const {
    return slot < slots_.size() ? static_cast<T*>(slots_[slot].get()) : nullptr;
  }
  // The slot's state, created on first use and reused afterwards.
  template <typename T>
  T& get_or_create(size_t slot) {
    if (slot >= slots_.size()) slots_.resize(slot + 1);
    if (!slots_[slot]) slots_[slot] = std::make_unique<T>();
    return *static_cast<T*>(slots_[slot].get());
  }

 private:
  std::vector<std::unique_ptr<PluginState>> slots_;
};

class Plugin {
 public:
  virtual ~Plugin() = default;
  virtual std::string_view name() const = 0;
  // ClusterEvent bits that may make a pod this plugin rejected schedulable.
  virtual uint32_t events() const { return kAllEvents; }
  // This plugin's CycleState slots: one for what PreFilter computes, one for PreScore.
  size_t filter_slot() const { return slot_; }
  size_t score_slot() const { return slot_ + 1; }
  void set_slot(size_t slot) { slot_ = slot; }

 private:
  size_t slot_ = 0;
};

class FilterPlugin : public virtual Plugin {
 public:
  // Once per cycle. Skip: Filter is not called this cycle. A rejection applies to every node.
  virtual Status pre_filter(CycleState& state, const PodInfo& pod, const Snapshot& snapshot) {
    (void)state, (void)pod, (void)snapshot;
    return {};
  }
  virtual Status filter(const CycleState& state, const PodInfo& pod,
                        const NodeInfo& node) const = 0;
};

struct NodeScore {
  const NodeInfo* node = nullptr;
  int64_t score = 0;
};

class ScorePlugin : public virtual Plugin {
 public:
  // Once per cycle with the feasible nodes. Skip: not scored this cycle (contributes 0).
  virtual Status pre_score(CycleState& state, const PodInfo& pod, const Snapshot& snapshot,
                           std::span<const NodeInfo* const> feasible) {
    (void)state, (void)pod, (void)snapshot, (void)feasible;
    return {};
  }
  virtual int64_t score(const CycleState& state, const PodInfo& pod,
                        const NodeInfo& node) const = 0;
  // Brings the raw scores into [0, kMaxNodeScore].
  virtual void normalize(const CycleState& state, const PodInfo& pod,
                         std::span<NodeScore> scores) const {
    (void)state, (void)pod, (void)scores;
  }
};

// framework.DefaultNormalizeScore: scales to [0, max] by the highest score; `reverse` makes the
// lowest raw score the best.
void default_normalize_score(int64_t max_priority, bool reverse, std::span<NodeScore> scores);

// Why no node fits, printed exactly as Kubernetes' FitError.Error():
// "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {k: v}."
struct FitError {
  int num_all_nodes = 0;
  std::string pre_filter_message;
  std::map<std::string, int> reasons;  // reason -> number of nodes
  std::set<std::string> unschedulable_plugins;
  std::string message() const;
};

struct ScheduleResult {
  std::string node;                   // the chosen node; empty when scheduling failed
  std::optional<FitError> fit_error;  // no node fits (pod condition reason Unschedulable)
  std::optional<Error> error;         // a plugin failed; retried after back-off
  int evaluated_nodes = 0;
  int feasible_nodes = 0;
  bool ok() const { return !node.empty(); }
};

// The selector of the Services, ReplicationControllers, ReplicaSets and StatefulSets that select a
// pod (helper.DefaultSelector), for PodTopologySpread's system default constraints. Returns
// everything() when none does. Supplied by the informer layer; tests pass a fixed one.
using SpreadSelectorFn = std::function<api::LabelSelector(const PodInfo&)>;

struct FrameworkOptions {
  // percentageOfNodesToScore; 0 = Kubernetes' adaptive default.
  int32_t percentage_of_nodes_to_score = 0;
  uint64_t seed = std::random_device()();
  // Overrides of the default profile's score weights by plugin name.
  std::map<std::string, int64_t> score_weights;
  SpreadSelectorFn spread_selector;
};

class Framework {
 public:
  explicit Framework(FrameworkOptions options = {});

  // Plugins run in the order added. A plugin that filters and scores is added once for each.
  void add_filter(std::shared_ptr<FilterPlugin> plugin);
  void add_score(std::shared_ptr<ScorePlugin> plugin, int64_t weight);

  ScheduleResult schedule_one(const PodInfo& pod, const Snapshot& snapshot);

  // numFeasibleNodesToFind: everything below 100 nodes, otherwise max(5, 50 - n/125) percent (or
  // the configured percentage), but at least 100.
  int32_t num_feasible_nodes_to_find(int32_t num_all_nodes) const;
  // The ClusterEvent bits any of these plugins cares about (kAllEvents when none is known).
  uint32_t events_for(const std::set<std::string>& plugins) const;

  const FrameworkOptions& options() const { return options_; }
  std::vector<std::pair<std::string, int64_t>> score_plugin_weights() const;

 private:
  size_t slot_for(Plugin& plugin);
  Status run_filters(const PodInfo& pod, const NodeInfo& node) const;

  struct WeightedScore {
    std::shared_ptr<ScorePlugin> plugin;
    int64_t weight;
  };

  FrameworkOptions options_;
  std::vector<std::shared_ptr<FilterPlugin>> filters_;
  std::vector<WeightedScore> scores_;
  std::vector<Plugin*> slots_;
  std::mt19937_64 rng_;
  size_t next_start_node_index_ = 0;

  // Reused every cycle.
  CycleState state_;
  std::vector<const FilterPlugin*> active_filters_;
  std::vector<const NodeInfo*> feasible_;
  std::vector<NodeScore> plugin_scores_;
  std::vector<int64_t> totals_;
};

// Kubernetes' default profile: filters NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
// NodePorts, NodeResourcesFit, PodTopologySpread, InterPodAffinity; scores TaintToleration (3),
// NodeAffinity (2), NodeResourcesFit LeastAllocated (1), PodTopologySpread (2), InterPodAffinity
// (2), NodeResourcesBalancedAllocation (1), ImageLocality (1).
std::unique_ptr<Framework> make_default_framework(FrameworkOptions options = {});

}  // namespace bosun::scheduler
