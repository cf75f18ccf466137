#include "scheduler/pod_condition.h"

#include "common/time_format.h"

namespace bosun::scheduler {

std::string failure_message(const ScheduleResult& result) {
  if (result.fit_error) return result.fit_error->message();
  if (result.error) return result.error->message;
  return "";
}

Json pod_scheduled_false_condition(const ScheduleResult& result, Clock::WallTime now) {
  // v1.PodReasonUnschedulable when no node fits, v1.PodReasonSchedulerError otherwise; kubectl
  // describe shows the message under Conditions and in the FailedScheduling event.
  return {{"type", "PodScheduled"},
          {"status", "False"},
          {"reason", result.fit_error ? "Unschedulable" : "SchedulerError"},
          {"message", failure_message(result)},
          {"lastProbeTime", nullptr},
          {"lastTransitionTime", format_rfc3339(now)}};
}

}  // namespace bosun::scheduler
