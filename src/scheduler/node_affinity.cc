#include <string>

#include "scheduler/plugins.h"

namespace bosun::scheduler {

Status NodeAffinityPlugin::pre_filter(CycleState&, const PodInfo& pod, const Snapshot&) {
  if (pod.node_selector.empty() && !pod.required_node_affinity) return Status::skip();
  return {};
}

Status NodeAffinityPlugin::filter(const CycleState&, const PodInfo& pod,
                                  const NodeInfo& node) const {
  if (pod.matches_node_selection(node.name(), node.labels())) return {};
  return Status(Code::kUnschedulableAndUnresolvable, std::string(kReasonNodeAffinity));
}

Status NodeAffinityPlugin::pre_score(CycleState&, const PodInfo& pod, const Snapshot&,
                                     std::span<const NodeInfo* const>) {
  return pod.preferred_node_affinity.empty() ? Status::skip() : Status();
}

int64_t NodeAffinityPlugin::score(const CycleState&, const PodInfo& pod,
                                  const NodeInfo& node) const {
  int64_t total = 0;
  for (const PreferredSchedulingTerm& term : pod.preferred_node_affinity) {
    if (term.weight != 0 && term.preference.matches(node.name(), node.labels())) {
      total += term.weight;
    }
  }
  return total;
}

void NodeAffinityPlugin::normalize(const CycleState&, const PodInfo&,
                                   std::span<NodeScore> scores) const {
  default_normalize_score(kMaxNodeScore, false, scores);
}

}  // namespace bosun::scheduler
