// Node taints and pod tolerations as the scheduler sees them (core/v1 Taint and Toleration), and
// the matching rules of Kubernetes' v1helper (ToleratesTaint, FindMatchingUntoleratedTaint). Used
// by the TaintToleration, NodeUnschedulable and PodTopologySpread plugins. Plain values; not
// synchronised.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace bosun::scheduler {

enum class TaintEffect : uint8_t { kNone, kNoSchedule, kPreferNoSchedule, kNoExecute };
std::string_view taint_effect_name(TaintEffect effect);

// The taints Kubernetes' node lifecycle controller and `kubectl cordon` put on nodes.
inline constexpr std::string_view kTaintNodeNotReady = "node.kubernetes.io/not-ready";
inline constexpr std::string_view kTaintNodeUnreachable = "node.kubernetes.io/unreachable";
inline constexpr std::string_view kTaintNodeUnschedulable = "node.kubernetes.io/unschedulable";

struct Taint {
  std::string key;
  std::string value;
  TaintEffect effect = TaintEffect::kNone;
  bool operator==(const Taint&) const = default;
};

struct Toleration {
  std::string key;      // empty with operator Exists: tolerates every taint
  bool exists = false;  // operator Exists; otherwise Equal (also when the operator is empty)
  bool unknown_operator = false;  // an operator Kubernetes does not know tolerates nothing
  std::string value;
  TaintEffect effect = TaintEffect::kNone;  // kNone: every effect

  // Toleration.ToleratesTaint.
  bool tolerates(const Taint& taint) const;
};

bool tolerations_tolerate(std::span<const Toleration> tolerations, const Taint& taint);

// FindMatchingUntoleratedTaint: the first taint (in the node's order) that passes `filter` and that
// no toleration tolerates, or nullptr.
const Taint* find_untolerated_taint(std::span<const Taint> taints,
                                    std::span<const Toleration> tolerations,
                                    bool (*filter)(const Taint&));

// The filter of the TaintToleration Filter and of nodeTaintsPolicy=Honor: NoSchedule and NoExecute.
bool is_do_not_schedule_taint(const Taint& taint);

}  // namespace bosun::scheduler
