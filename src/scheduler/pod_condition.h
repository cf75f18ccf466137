// What the scheduler writes back for a pod it could not place: the PodScheduled=False condition
// (reason Unschedulable with the FitError message, or SchedulerError when a plugin failed), as
// kube-scheduler's handleSchedulingFailure does, and the FailedScheduling event message. Pure
// functions; safe from any thread.
#pragma once

#include <string>

#include "common/clock.h"
#include "common/json.h"
#include "scheduler/framework.h"

namespace bosun::scheduler {

// The v1 PodCondition for a failed ScheduleResult (`result.ok()` must be false).
Json pod_scheduled_false_condition(const ScheduleResult& result, Clock::WallTime now);

// The message of the condition and of the FailedScheduling event.
std::string failure_message(const ScheduleResult& result);

}  // namespace bosun::scheduler
