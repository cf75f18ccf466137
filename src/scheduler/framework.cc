#include "scheduler/framework.h"

#include <algorithm>
#include <limits>

namespace bosun::scheduler {

std::string Status::message() const {
  std::string out;
  for (size_t i = 0; i < reasons_.size(); ++i) {
    if (i > 0) out += ", ";
    out += reasons_[i];
  }
  return out;
}

void default_normalize_score(int64_t max_priority, bool reverse, std::span<NodeScore> scores) {
  int64_t max_count = 0;
  for (const NodeScore& s : scores) max_count = std::max(max_count, s.score);
  if (max_count == 0) {
    if (reverse) {
      for (NodeScore& s : scores) s.score = max_priority;
    }
    return;
  }
  for (NodeScore& s : scores) {
    int64_t score = max_priority * s.score / max_count;
    s.score = reverse ? max_priority - score : score;
  }
}

std::string FitError::message() const {
  // ErrNoNodesAvailable: Kubernetes does not build a FitError for an empty cluster.
  if (num_all_nodes == 0) return "no nodes available to schedule pods";
  std::string out = "0/" + std::to_string(num_all_nodes) + " nodes are available:";
  if (!pre_filter_message.empty()) {
    out += " " + pre_filter_message + ".";
    return out;
  }
  // "<count> <reason>" strings sorted as strings (so "10 x" sorts before "2 y"), as Kubernetes'
  // sortReasonsHistogram does.
  std::vector<std::string> parts;
  parts.reserve(reasons.size());
  for (const auto& [reason, count] : reasons) parts.push_back(std::to_string(count) + " " + reason);
  std::sort(parts.begin(), parts.end());
  if (!parts.empty()) {
    out += " ";
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i > 0) out += ", ";
      out += parts[i];
    }
    out += ".";
  }
  return out;
}

Framework::Framework(FrameworkOptions options)
    : options_(std::move(options)), rng_(options_.seed) {}

size_t Framework::slot_for(Plugin& plugin) {
  // Two CycleState slots per plugin (filter_slot, score_slot).
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] == &plugin) return 2 * i;
  }
  slots_.push_back(&plugin);
  plugin.set_slot(2 * (slots_.size() - 1));
  return 2 * (slots_.size() - 1);
}

void Framework::add_filter(std::shared_ptr<FilterPlugin> plugin) {
  slot_for(*plugin);
  filters_.push_back(std::move(plugin));
}

void Framework::add_score(std::shared_ptr<ScorePlugin> plugin, int64_t weight) {
  slot_for(*plugin);
  auto it = options_.score_weights.find(std::string(plugin->name()));
  if (it != options_.score_weights.end()) weight = it->second;
  scores_.push_back({std::move(plugin), weight});
}

std::vector<std::pair<std::string, int64_t>> Framework::score_plugin_weights() const {
  std::vector<std::pair<std::string, int64_t>> out;
  for (const auto& s : scores_) out.emplace_back(std::string(s.plugin->name()), s.weight);
  return out;
}

int32_t Framework::num_feasible_nodes_to_find(int32_t num_all_nodes) const {
  constexpr int32_t kMinFeasibleNodesToFind = 100;
  constexpr int32_t kMinFeasibleNodesPercentageToFind = 5;
  if (num_all_nodes < kMinFeasibleNodesToFind) return num_all_nodes;
  int32_t percentage = options_.percentage_of_nodes_to_score;
  if (percentage <= 0) {
    percentage = 50 - num_all_nodes / 125;
    if (percentage < kMinFeasibleNodesPercentageToFind) {
      percentage = kMinFeasibleNodesPercentageToFind;
    }
  }
  if (percentage >= 100) return num_all_nodes;
  int32_t num = static_cast<int32_t>(int64_t{num_all_nodes} * percentage / 100);
  return std::max(num, kMinFeasibleNodesToFind);
}

uint32_t Framework::events_for(const std::set<std::string>& plugins) const {
  if (plugins.empty()) return kAllEvents;
  uint32_t events = 0;
  bool known = false;
  auto visit = [&](const Plugin& p) {
    if (plugins.count(std::string(p.name())) != 0) {
      events |= p.events();
      known = true;
    }
  };
  for (const auto& f : filters_) visit(*f);
  return known ? events : kAllEvents;
}

Status Framework::run_filters(const PodInfo& pod, const NodeInfo& node) const {
  // Kubernetes stops at the first plugin that rejects the node, so each node reports the reasons of
  // one plugin.
  for (const FilterPlugin* f : active_filters_) {
    Status s = f->filter(state_, pod, node);
    if (!s.ok()) {
      s.set_plugin(f->name());
      return s;
    }
  }
  return {};
}

ScheduleResult Framework::schedule_one(const PodInfo& pod, const Snapshot& snapshot) {
  ScheduleResult result;
  const auto& nodes = snapshot.nodes();
  const auto num_nodes = static_cast<int32_t>(nodes.size());
  FitError diagnosis;
  diagnosis.num_all_nodes = num_nodes;
  if (num_nodes == 0) {
    result.fit_error = std::move(diagnosis);
    return result;
  }

  active_filters_.clear();
  for (const auto& f : filters_) {
    Status s = f->pre_filter(state_, pod, snapshot);
    if (s.code() == Code::kSkip) continue;
    if (s.code() == Code::kError) {
      result.error =
          make_error(ErrorCode::kInternal,
                     "running PreFilter plugin \"" + std::string(f->name()) + "\": " + s.message());
      return result;
    }
    if (s.rejected()) {
      diagnosis.pre_filter_message = s.message();
      diagnosis.unschedulable_plugins.insert(std::string(f->name()));
      result.fit_error = std::move(diagnosis);
      return result;
    }
    active_filters_.push_back(f.get());
  }

  // Filter in round-robin order from where the previous cycle stopped, so that every node gets its
  // turn when only a part of the cluster is examined (findNodesThatPassFilters).
  const size_t to_find = static_cast<size_t>(num_feasible_nodes_to_find(num_nodes));
  feasible_.clear();
  int32_t processed = 0;
  for (int32_t i = 0; i < num_nodes && feasible_.size() < to_find; ++i) {
    const NodeInfo& node = *nodes[(next_start_node_index_ + i) % num_nodes];
    ++processed;
    Status s = run_filters(pod, node);
    if (s.ok()) {
      feasible_.push_back(&node);
    } else if (s.code() == Code::kError) {
      result.error = make_error(ErrorCode::kInternal,
                                "running \"" + s.plugin() + "\" filter plugin: " + s.message());
      return result;
    } else {
      for (const std::string& reason : s.reasons()) ++diagnosis.reasons[reason];
      diagnosis.unschedulable_plugins.insert(s.plugin());
    }
  }
  next_start_node_index_ = (next_start_node_index_ + processed) % num_nodes;
  result.evaluated_nodes = processed;
  result.feasible_nodes = static_cast<int>(feasible_.size());
  if (feasible_.empty()) {
    result.fit_error = std::move(diagnosis);
    return result;
  }
  // One feasible node: nothing to compare (schedulePod returns it without scoring).
  if (feasible_.size() == 1) {
    result.node = feasible_[0]->name();
    return result;
  }

  totals_.assign(feasible_.size(), 0);
  for (const auto& ws : scores_) {
    Status s = ws.plugin->pre_score(state_, pod, snapshot, feasible_);
    if (s.code() == Code::kSkip) continue;
    if (!s.ok()) {
      result.error = make_error(
          ErrorCode::kInternal,
          "running PreScore plugin \"" + std::string(ws.plugin->name()) + "\": " + s.message());
      return result;
    }
    plugin_scores_.resize(feasible_.size());
    for (size_t i = 0; i < feasible_.size(); ++i) {
      plugin_scores_[i] = {feasible_[i], ws.plugin->score(state_, pod, *feasible_[i])};
    }
    ws.plugin->normalize(state_, pod, plugin_scores_);
    for (size_t i = 0; i < feasible_.size(); ++i) {
      totals_[i] += plugin_scores_[i].score * ws.weight;
    }
  }

  // selectHost: the highest total; among equal totals each is equally likely (reservoir sampling).
  size_t best = 0;
  uint64_t ties = 1;
  for (size_t i = 1; i < totals_.size(); ++i) {
    if (totals_[i] > totals_[best]) {
      best = i;
      ties = 1;
    } else if (totals_[i] == totals_[best]) {
      ++ties;
      if (rng_() % ties == 0) best = i;
    }
  }
  result.node = feasible_[best]->name();
  return result;
}

}  // namespace bosun::scheduler
