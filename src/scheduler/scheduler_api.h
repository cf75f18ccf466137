// The objects the Scheduler sends to the API server: the pods/binding body, the events.k8s.io/v1
// Events it records (Scheduled, FailedScheduling) and the pods/status patch that sets
// PodScheduled=False, built as kube-scheduler builds them. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/json.h"
#include "scheduler/pod_info.h"

namespace bosun::scheduler {

// v1.Binding of `pod` to `node`, the pod's uid a precondition (schedule_one.go's bind).
Json binding_body(const PodInfo& pod, std::string_view node);

struct SchedulerEvent {
  std::string type;    // Normal or Warning
  std::string reason;  // Scheduled, FailedScheduling
  std::string action;  // Binding, Scheduling
  std::string note;
};

// An events.k8s.io/v1 Event about `pod` as the events recorder of a profile writes it:
// reportingController the scheduler name, reportingInstance "<scheduler name>-<host>", a name
// "<pod>.<hex>" made unique by `sequence` (nanoseconds since the epoch, strictly increasing).
Json event_object(const PodInfo& pod, const SchedulerEvent& event,
                  std::string_view reporting_controller, std::string_view reporting_instance,
                  Clock::WallTime now, uint64_t sequence);

// Messages longer than an Event's note may be (1024 bytes) end in " ..." (truncateMessage).
std::string truncate_message(std::string message);

// The strategic merge patch of pods/status that puts `condition` (a PodScheduled condition) on
// `current`, keeping lastTransitionTime when the status does not change; nullopt when the pod
// already has an equal condition (podutil.UpdatePodCondition), so nothing is written.
std::optional<std::string> pod_condition_patch(const Json& current, Json condition);

}  // namespace bosun::scheduler
