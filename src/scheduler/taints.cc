#include "scheduler/taints.h"

namespace bosun::scheduler {

std::string_view taint_effect_name(TaintEffect effect) {
  switch (effect) {
    case TaintEffect::kNoSchedule:
      return "NoSchedule";
    case TaintEffect::kPreferNoSchedule:
      return "PreferNoSchedule";
    case TaintEffect::kNoExecute:
      return "NoExecute";
    case TaintEffect::kNone:
      break;
  }
  return "";
}

bool Toleration::tolerates(const Taint& taint) const {
  if (effect != TaintEffect::kNone && effect != taint.effect) return false;
  if (!key.empty() && key != taint.key) return false;
  if (unknown_operator) return false;
  return exists || value == taint.value;
}

bool tolerations_tolerate(std::span<const Toleration> tolerations, const Taint& taint) {
  for (const Toleration& t : tolerations) {
    if (t.tolerates(taint)) return true;
  }
  return false;
}

const Taint* find_untolerated_taint(std::span<const Taint> taints,
                                    std::span<const Toleration> tolerations,
                                    bool (*filter)(const Taint&)) {
  for (const Taint& taint : taints) {
    if (filter != nullptr && !filter(taint)) continue;
    if (!tolerations_tolerate(tolerations, taint)) return &taint;
  }
  return nullptr;
}

bool is_do_not_schedule_taint(const Taint& taint) {
  return taint.effect == TaintEffect::kNoSchedule || taint.effect == TaintEffect::kNoExecute;
}

}  // namespace bosun::scheduler
