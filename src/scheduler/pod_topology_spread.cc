// PodTopologySpread: DoNotSchedule constraints filter by skew; ScheduleAnyway constraints (or the
// system default constraints) score.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "scheduler/plugins.h"
#include "scheduler/topology_counts.h"

namespace bosun::scheduler {
namespace {

// Pods of the incoming pod's namespace, not being deleted, that the selector matches
// (countPodsMatchSelector).
int64_t count_matching(const NodeInfo& node, const api::LabelSelector& selector,
                       std::string_view ns) {
  int64_t n = 0;
  for (const auto& p : node.pods()) {
    if (p->terminating || p->ns != ns) continue;
    if (selector.matches(p->labels)) ++n;
  }
  return n;
}

// The node's value for a topology key, nullptr when it has no such label.
const std::string* topology_value(const NodeInfo& node, const std::string& key, bool is_zone) {
  if (is_zone) return node.node()->has_zone ? &node.node()->zone : nullptr;
  auto it = node.labels().find(key);
  return it == node.labels().end() ? nullptr : &it->second;
}

bool has_all_keys(const api::Labels& labels, const std::vector<TopologySpreadConstraint>& cs) {
  for (const auto& c : cs) {
    if (labels.find(c.topology_key) == labels.end()) return false;
  }
  return true;
}

// matchNodeInclusionPolicies: nodeAffinityPolicy Honor counts only nodes the pod could select;
// nodeTaintsPolicy Honor only nodes whose NoSchedule/NoExecute taints the pod tolerates.
bool included(const TopologySpreadConstraint& c, const PodInfo& pod, const NodeInfo& node) {
  if (c.node_affinity_policy == NodeInclusionPolicy::kHonor &&
      !pod.matches_node_selection(node.name(), node.labels())) {
    return false;
  }
  if (c.node_taints_policy == NodeInclusionPolicy::kHonor &&
      find_untolerated_taint(node.node()->taints, pod.tolerations, is_do_not_schedule_taint) !=
          nullptr) {
    return false;
  }
  return true;
}

}  // namespace

struct MatchCountMemo::Table {
  std::unordered_map<const NodeInfo*, std::pair<uint64_t, int64_t>> counts;
  std::vector<std::pair<uint64_t, int64_t>> by_index;  // (generation, count) per snapshot index
};

MatchCountMemo::Table& MatchCountMemo::table(const api::LabelSelector& selector,
                                             std::string_view ns) {
  std::string key(ns);
  key += selector.matches_nothing() ? '!' : '\n';
  key += selector.to_string();
  for (size_t i = tables_.size(); i-- > 0;) {
    if (tables_[i].first == key) return *tables_[i].second;
  }
  constexpr size_t kMaxTables = 32;  // distinct selectors remembered (workloads being scheduled)
  if (tables_.size() == kMaxTables) tables_.erase(tables_.begin());
  tables_.emplace_back(std::move(key), std::make_unique<Table>());
  return *tables_.back().second;
}

int64_t MatchCountMemo::count(Table& t, const NodeInfo& node, const api::LabelSelector& selector,
                              std::string_view ns) {
  if (node.generation() == 0) return count_matching(node, selector, ns);
  auto [it, inserted] = t.counts.try_emplace(&node, 0, 0);
  if (inserted || it->second.first != node.generation()) {
    it->second = {node.generation(), count_matching(node, selector, ns)};
  }
  const int64_t n = it->second.second;
  // Entries of NodeInfo versions long replaced pile up; start over now and then.
  if (t.counts.size() > 32768) t.counts.clear();
  return n;
}

int64_t MatchCountMemo::count_at(Table& t, size_t index, const NodeInfo& node,
                                 const api::LabelSelector& selector, std::string_view ns) {
  // Generations are unique per NodeInfo version, so an index that now holds another node (the node
  // list was rebuilt) simply misses.
  if (node.generation() == 0) return count_matching(node, selector, ns);
  if (index >= t.by_index.size()) t.by_index.resize(index + 1, {0, 0});
  auto& entry = t.by_index[index];
  if (entry.first != node.generation()) {
    entry = {node.generation(), count_matching(node, selector, ns)};
  }
  return entry.second;
}

namespace {

struct SpreadFilterState : PluginState {
  std::vector<const TopologySpreadConstraint*> constraints;
  std::vector<MatchCountMemo::Table*> tables;  // per constraint
  std::vector<StringMap<int64_t>> match_num;   // per constraint: topology value -> matching pods
  std::vector<int64_t> min_match;              // per constraint: the global minimum
};

struct SpreadScoreState : PluginState {
  std::vector<TopologySpreadConstraint> defaults;  // the system defaults, when used
  std::vector<const TopologySpreadConstraint*> constraints;
  std::vector<MatchCountMemo::Table*> tables;  // per constraint
  std::vector<StringMap<int64_t>> counts;      // per constraint (not hostname): value -> pods
  std::vector<double> weights;                 // log(topology size + 2)
  std::vector<char> is_zone;      // per constraint: the key is topology.kubernetes.io/zone
  std::vector<char> is_hostname;  // per constraint: the key is kubernetes.io/hostname
  std::unordered_map<const NodeInfo*, bool> ignored;
  bool require_all_topologies = false;
};

}  // namespace

PodTopologySpreadPlugin::PodTopologySpreadPlugin(SpreadSelectorFn spread_selector)
    : spread_selector_(std::move(spread_selector)), memo_(std::make_unique<MatchCountMemo>()) {}

PodTopologySpreadPlugin::~PodTopologySpreadPlugin() = default;

Status PodTopologySpreadPlugin::pre_filter(CycleState& state, const PodInfo& pod,
                                           const Snapshot& snapshot) {
  auto& s = state.get_or_create<SpreadFilterState>(filter_slot());
  s.constraints.clear();
  for (const auto& c : pod.topology_spread) {
    if (c.do_not_schedule) s.constraints.push_back(&c);
  }
  if (s.constraints.empty()) return Status::skip();
  const size_t n = s.constraints.size();
  s.tables.clear();
  for (const auto* c : s.constraints) s.tables.push_back(&memo_->table(c->selector, pod.ns));
  s.match_num.assign(n, {});
  s.min_match.assign(n, std::numeric_limits<int32_t>::max());
  const auto& nodes = snapshot.nodes();
  for (size_t index = 0; index < nodes.size(); ++index) {
    const auto& node = nodes[index];
    bool all_keys = true;
    for (const auto* c : s.constraints) {
      if (node->labels().find(c->topology_key) == node->labels().end()) all_keys = false;
    }
    if (!all_keys) continue;
    for (size_t i = 0; i < n; ++i) {
      const auto& c = *s.constraints[i];
      if (!included(c, pod, *node)) continue;
      const std::string& value = node->labels().find(c.topology_key)->second;
      int64_t count = memo_->count_at(*s.tables[i], index, *node, c.selector, pod.ns);
      auto it = s.match_num[i].find(value);
      if (it == s.match_num[i].end()) it = s.match_num[i].emplace(value, 0).first;
      it->second += count;
    }
  }
  for (size_t i = 0; i < n; ++i) {
    for (const auto& [value, count] : s.match_num[i])
      s.min_match[i] = std::min(s.min_match[i], count);
    // Fewer domains than minDomains: the global minimum is taken as 0, so that pods spread into
    // the domains that do not exist yet.
    if (static_cast<int64_t>(s.match_num[i].size()) < s.constraints[i]->min_domains) {
      s.min_match[i] = 0;
    }
  }
  return {};
}

Status PodTopologySpreadPlugin::filter(const CycleState& state, const PodInfo& pod,
                                       const NodeInfo& node) const {
  const auto* s = state.get<SpreadFilterState>(filter_slot());
  if (s == nullptr || s->constraints.empty()) return {};
  for (size_t i = 0; i < s->constraints.size(); ++i) {
    const auto& c = *s->constraints[i];
    auto label = node.labels().find(c.topology_key);
    if (label == node.labels().end()) {
      return Status(Code::kUnschedulableAndUnresolvable,
                    std::string(kReasonTopologySpreadMissingLabel));
    }
    int64_t self = c.selector.matches(pod.labels) ? 1 : 0;
    auto it = s->match_num[i].find(label->second);
    int64_t match = it == s->match_num[i].end() ? 0 : it->second;
    if (match + self - s->min_match[i] > c.max_skew) {
      return Status(Code::kUnschedulable, std::string(kReasonTopologySpread));
    }
  }
  return {};
}

Status PodTopologySpreadPlugin::pre_score(CycleState& state, const PodInfo& pod,
                                          const Snapshot& snapshot,
                                          std::span<const NodeInfo* const> feasible) {
  auto& s = state.get_or_create<SpreadScoreState>(score_slot());
  s.constraints.clear();
  s.defaults.clear();
  s.ignored.clear();
  if (feasible.empty() || snapshot.size() == 0) return Status::skip();
  if (!pod.topology_spread.empty()) {
    for (const auto& c : pod.topology_spread) {
      if (!c.do_not_schedule) s.constraints.push_back(&c);
    }
    s.require_all_topologies = true;
  } else if (spread_selector_) {
    // The system defaults (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway) over the pods of
    // the same services and controllers; nodes missing a key are not ignored then.
    api::LabelSelector selector = spread_selector_(pod);
    if (selector.empty() || selector.matches_nothing()) return Status::skip();
    TopologySpreadConstraint host;
    host.max_skew = 3;
    host.topology_key = std::string(kLabelHostname);
    host.do_not_schedule = false;
    host.selector = selector;
    TopologySpreadConstraint zone = host;
    zone.max_skew = 5;
    zone.topology_key = std::string(kLabelZone);
    s.defaults = {std::move(host), std::move(zone)};
    for (const auto& c : s.defaults) s.constraints.push_back(&c);
    s.require_all_topologies = false;
  }
  if (s.constraints.empty()) return Status::skip();
  const size_t n = s.constraints.size();
  s.tables.clear();
  for (const auto* c : s.constraints) s.tables.push_back(&memo_->table(c->selector, pod.ns));
  s.counts.assign(n, {});
  s.weights.assign(n, 0);
  s.is_zone.assign(n, 0);
  s.is_hostname.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    s.is_zone[i] = s.constraints[i]->topology_key == kLabelZone;
    s.is_hostname[i] = s.constraints[i]->topology_key == kLabelHostname;
  }
  std::vector<int64_t> sizes(n, 0);
  int64_t ignored = 0;
  for (const NodeInfo* node : feasible) {
    if (s.require_all_topologies && !has_all_keys(node->labels(), pod.topology_spread)) {
      s.ignored[node] = true;
      ++ignored;
      continue;
    }
    for (size_t i = 0; i < n; ++i) {
      const auto& c = *s.constraints[i];
      if (c.topology_key == kLabelHostname) continue;  // counted per node in score
      auto label = node->labels().find(c.topology_key);
      if (label == node->labels().end()) continue;
      if (s.counts[i].emplace(label->second, 0).second) ++sizes[i];
    }
  }
  for (size_t i = 0; i < n; ++i) {
    int64_t size = s.constraints[i]->topology_key == kLabelHostname
                       ? static_cast<int64_t>(feasible.size()) - ignored
                       : sizes[i];
    s.weights[i] = std::log(static_cast<double>(size + 2));
  }
  bool any_domain = false;
  for (const auto& m : s.counts) any_domain |= !m.empty();
  if (!any_domain) return {};  // only hostname constraints: counted in score
  const auto& nodes = snapshot.nodes();
  for (size_t index = 0; index < nodes.size(); ++index) {
    const auto& node = nodes[index];
    if (s.require_all_topologies && !has_all_keys(node->labels(), pod.topology_spread)) continue;
    for (size_t i = 0; i < n; ++i) {
      const auto& c = *s.constraints[i];
      if (s.is_hostname[i] || !included(c, pod, *node)) continue;
      const std::string* value = topology_value(*node, c.topology_key, s.is_zone[i]);
      if (value == nullptr) continue;
      auto it = s.counts[i].find(*value);
      if (it == s.counts[i].end()) continue;  // no feasible node in this domain
      it->second += memo_->count_at(*s.tables[i], index, *node, c.selector, pod.ns);
    }
  }
  return {};
}

int64_t PodTopologySpreadPlugin::score(const CycleState& state, const PodInfo& pod,
                                       const NodeInfo& node) const {
  const auto* s = state.get<SpreadScoreState>(score_slot());
  if (s == nullptr || s->ignored.count(&node) != 0) return 0;
  double score = 0;
  for (size_t i = 0; i < s->constraints.size(); ++i) {
    const auto& c = *s->constraints[i];
    auto label = node.labels().find(c.topology_key);
    if (label == node.labels().end()) continue;
    int64_t count = 0;
    if (c.topology_key == kLabelHostname) {
      count = memo_->count(*s->tables[i], node, c.selector, pod.ns);
    } else {
      auto it = s->counts[i].find(label->second);
      if (it != s->counts[i].end()) count = it->second;
    }
    // scoreForCount: the more matching pods in the domain, the worse; maxSkew softens it.
    score += static_cast<double>(count) * s->weights[i] + static_cast<double>(c.max_skew - 1);
  }
  return static_cast<int64_t>(std::round(score));
}

void PodTopologySpreadPlugin::normalize(const CycleState& state, const PodInfo&,
                                        std::span<NodeScore> scores) const {
  const auto* s = state.get<SpreadScoreState>(score_slot());
  if (s == nullptr) return;
  int64_t min_score = std::numeric_limits<int64_t>::max();
  int64_t max_score = 0;
  for (const NodeScore& ns : scores) {
    if (s->ignored.count(ns.node) != 0) continue;
    min_score = std::min(min_score, ns.score);
    max_score = std::max(max_score, ns.score);
  }
  for (NodeScore& ns : scores) {
    if (s->ignored.count(ns.node) != 0) {
      ns.score = 0;
    } else if (max_score == 0) {
      ns.score = kMaxNodeScore;
    } else {
      ns.score = kMaxNodeScore * (max_score + min_score - ns.score) / max_score;
    }
  }
}

}  // namespace bosun::scheduler
