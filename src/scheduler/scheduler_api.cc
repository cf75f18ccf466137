#include "scheduler/scheduler_api.h"

#include <fmt/format.h>

#include "common/time_format.h"

namespace bosun::scheduler {

Json binding_body(const PodInfo& pod, std::string_view node) {
  return {{"apiVersion", "v1"},
          {"kind", "Binding"},
          {"metadata", {{"name", pod.name}, {"namespace", pod.ns}, {"uid", pod.uid}}},
          {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}}};
}

std::string truncate_message(std::string message) {
  // validation.NoteLengthLimit: the API server refuses longer notes.
  constexpr size_t kMaxLength = 1024;
  constexpr std::string_view kSuffix = " ...";
  if (message.size() <= kMaxLength) return message;
  message.resize(kMaxLength - kSuffix.size());
  message += kSuffix;
  return message;
}

Json event_object(const PodInfo& pod, const SchedulerEvent& event,
                  std::string_view reporting_controller, std::string_view reporting_instance,
                  Clock::WallTime now, uint64_t sequence) {
  return {
      {"apiVersion", "events.k8s.io/v1"},
      {"kind", "Event"},
      {"metadata", {{"name", fmt::format("{}.{:x}", pod.name, sequence)}, {"namespace", pod.ns}}},
      {"eventTime", format_rfc3339_micro(now)},
      {"reportingController", reporting_controller},
      {"reportingInstance", reporting_instance},
      {"action", event.action},
      {"reason", event.reason},
      {"regarding",
       {{"apiVersion", "v1"},
        {"kind", "Pod"},
        {"namespace", pod.ns},
        {"name", pod.name},
        {"uid", pod.uid}}},
      {"note", truncate_message(event.note)},
      {"type", event.type}};
}

std::optional<std::string> pod_condition_patch(const Json& current, Json condition) {
  const Json* existing = nullptr;
  if (auto st = current.find("status"); st != current.end() && st->is_object()) {
    if (auto cs = st->find("conditions"); cs != st->end() && cs->is_array()) {
      for (const Json& c : *cs) {
        if (c.is_object() && c.value("type", "") == condition.value("type", "")) existing = &c;
      }
    }
  }
  if (existing != nullptr) {
    auto field = [](const Json& c, const char* key) {
      auto it = c.find(key);
      return it == c.end() ? Json() : *it;
    };
    bool same_status = field(*existing, "status") == condition["status"];
    // UpdatePodCondition keeps the transition time while the status stays the same.
    if (same_status) condition["lastTransitionTime"] = field(*existing, "lastTransitionTime");
    if (same_status && field(*existing, "reason") == condition["reason"] &&
        field(*existing, "message") == condition["message"]) {
      return std::nullopt;
    }
  }
  // conditions merge by type in a strategic merge patch, so the other conditions stay.
  Json patch = {{"status", {{"conditions", Json::array({std::move(condition)})}}}};
  return patch.dump();
}

}  // namespace bosun::scheduler
