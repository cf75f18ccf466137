// Runs one plugin the way the framework does (PreFilter then Filter; PreScore, Score, Normalize)
// for the plugin tests. Test code only; not thread-safe.
#pragma once

#include <vector>

#include "scheduler/framework.h"

namespace bosun::scheduler::testing {

inline Status run_filter(FilterPlugin& plugin, const PodInfo& pod, const Snapshot& snapshot,
                         const NodeInfo& node) {
  CycleState state;
  Status pre = plugin.pre_filter(state, pod, snapshot);
  if (pre.code() == Code::kSkip) return {};
  if (!pre.ok()) return pre;
  return plugin.filter(state, pod, node);
}

// Normalized scores of every node of the snapshot (all taken as feasible); all zero when PreScore
// skips.
inline std::vector<int64_t> run_score(ScorePlugin& plugin, const PodInfo& pod,
                                      const Snapshot& snapshot) {
  CycleState state;
  std::vector<const NodeInfo*> feasible;
  for (const auto& n : snapshot.nodes()) feasible.push_back(n.get());
  std::vector<int64_t> out(feasible.size(), 0);
  if (plugin.pre_score(state, pod, snapshot, feasible).code() == Code::kSkip) return out;
  std::vector<NodeScore> scores;
  for (const NodeInfo* n : feasible) scores.push_back({n, plugin.score(state, pod, *n)});
  plugin.normalize(state, pod, scores);
  for (size_t i = 0; i < scores.size(); ++i) out[i] = scores[i].score;
  return out;
}

}  // namespace bosun::scheduler::testing
