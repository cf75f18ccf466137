// NodeName, NodeUnschedulable, TaintToleration and NodePorts.
#include <string>

#include "scheduler/plugins.h"

namespace bosun::scheduler {

Status NodeNamePlugin::filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const {
  if (pod.node_name.empty() || pod.node_name == node.name()) return {};
  return Status(Code::kUnschedulableAndUnresolvable, std::string(kReasonNodeName));
}

Status NodeUnschedulablePlugin::filter(const CycleState&, const PodInfo& pod,
                                       const NodeInfo& node) const {
  if (!node.node()->unschedulable) return {};
  // A cordoned node still takes pods that tolerate the unschedulable taint (DaemonSet pods do).
  static const Taint kUnschedulableTaint{std::string(kTaintNodeUnschedulable), "",
                                         TaintEffect::kNoSchedule};
  if (tolerations_tolerate(pod.tolerations, kUnschedulableTaint)) return {};
  return Status(Code::kUnschedulableAndUnresolvable, std::string(kReasonUnschedulable));
}

Status TaintTolerationPlugin::filter(const CycleState&, const PodInfo& pod,
                                     const NodeInfo& node) const {
  const Taint* taint =
      find_untolerated_taint(node.node()->taints, pod.tolerations, is_do_not_schedule_taint);
  if (taint == nullptr) return {};
  return Status(Code::kUnschedulableAndUnresolvable,
                "node(s) had untolerated taint {" + taint->key + ": " + taint->value + "}");
}

namespace {
// The tolerations that count against PreferNoSchedule taints (getAllTolerationPreferNoSchedule).
struct TaintScoreState : PluginState {
  std::vector<Toleration> prefer_no_schedule;
};
}  // namespace

Status TaintTolerationPlugin::pre_score(CycleState& state, const PodInfo& pod, const Snapshot&,
                                        std::span<const NodeInfo* const>) {
  auto& s = state.get_or_create<TaintScoreState>(score_slot());
  s.prefer_no_schedule.clear();
  for (const Toleration& t : pod.tolerations) {
    if (t.effect == TaintEffect::kNone || t.effect == TaintEffect::kPreferNoSchedule) {
      s.prefer_no_schedule.push_back(t);
    }
  }
  return {};
}

int64_t TaintTolerationPlugin::score(const CycleState& state, const PodInfo&,
                                     const NodeInfo& node) const {
  const auto* s = state.get<TaintScoreState>(score_slot());
  int64_t intolerable = 0;
  for (const Taint& taint : node.node()->taints) {
    if (taint.effect != TaintEffect::kPreferNoSchedule) continue;
    if (s == nullptr || !tolerations_tolerate(s->prefer_no_schedule, taint)) ++intolerable;
  }
  return intolerable;
}

void TaintTolerationPlugin::normalize(const CycleState&, const PodInfo&,
                                      std::span<NodeScore> scores) const {
  default_normalize_score(kMaxNodeScore, true, scores);
}

Status NodePortsPlugin::pre_filter(CycleState&, const PodInfo& pod, const Snapshot&) {
  return pod.host_ports.empty() ? Status::skip() : Status();
}

Status NodePortsPlugin::filter(const CycleState&, const PodInfo& pod, const NodeInfo& node) const {
  for (const HostPort& wanted : pod.host_ports) {
    for (const HostPort& used : node.used_ports()) {
      if (wanted.conflicts_with(used)) {
        return Status(Code::kUnschedulable, std::string(kReasonNodePorts));
      }
    }
  }
  return {};
}

}  // namespace bosun::scheduler
