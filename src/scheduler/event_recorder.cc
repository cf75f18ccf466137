#include "scheduler/event_recorder.h"

#include <vector>

#include "common/log.h"
#include "common/time_format.h"

namespace bosun::scheduler {
namespace {

const client::GroupVersionResource kEvents{"events.k8s.io", "v1", "events"};

}  // namespace

EventRecorder::EventRecorder(client::RestClient& client, Clock& clock,
                             std::string reporting_controller, std::string reporting_instance)
    : client_(client),
      clock_(clock),
      reporting_controller_(std::move(reporting_controller)),
      reporting_instance_(std::move(reporting_instance)),
      last_series_refresh_(clock.monotonic()),
      // client-go's broadcaster buffers 1000 events per watcher; a scheduler placing thousands of
      // pods a second records as many Scheduled events, so the buffer is larger here.
      pool_(2, 10'000) {}

void EventRecorder::record(const PodInfo& pod, SchedulerEvent event) {
  const Clock::WallTime now_wall = clock_.now();
  event.note = truncate_message(std::move(event.note));
  if (event.type == "Warning") {
    std::string key = pod.uid + '\0' + event.action + '\0' + event.reason + '\0' + event.note;
    std::lock_guard lock(series_mu_);
    auto it = series_.find(key);
    if (it != series_.end()) {
      SeriesEntry& e = it->second;
      e.last_observed = now_wall;
      if (++e.count == 2) {
        e.written_count = 2;
        pool_.post([this, copy = e] { patch_series(copy); });
      }
      return;
    }
  }
  // Event names must be unique: the time in nanoseconds, kept strictly increasing (a fake or
  // coarse clock repeats itself).
  uint64_t now = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now_wall.time_since_epoch()).count());
  uint64_t prev = last_event_nanos_.load();
  uint64_t seq;
  do {
    seq = std::max(now, prev + 1);
  } while (!last_event_nanos_.compare_exchange_weak(prev, seq));
  Json body = event_object(pod, event, reporting_controller_, reporting_instance_, now_wall, seq);
  if (event.type == "Warning") {
    std::string key = pod.uid + '\0' + event.action + '\0' + event.reason + '\0' + event.note;
    SeriesEntry e;
    e.ns = pod.ns;
    e.name = body["metadata"]["name"].get<std::string>();
    e.last_observed = now_wall;
    std::lock_guard lock(series_mu_);
    series_.emplace(std::move(key), std::move(e));
  }
  std::string ns = pod.ns;
  pool_.post([this, ns = std::move(ns), body = std::move(body)] {
    auto r = client_.create(kEvents, ns, body);
    if (!r.ok()) SPDLOG_DEBUG("scheduler: recording an event: {}", r.error().message);
  });
}

void EventRecorder::patch_series(const SeriesEntry& entry) {
  Json patch = {
      {"series",
       {{"count", entry.count}, {"lastObservedTime", format_rfc3339_micro(entry.last_observed)}}}};
  auto r = client_.patch(kEvents, entry.ns, entry.name, client::PatchType::kMerge, patch.dump());
  if (!r.ok()) SPDLOG_DEBUG("scheduler: updating event series: {}", r.error().message);
}

void EventRecorder::finish_series() {
  constexpr auto kFinishTime = std::chrono::minutes(6);
  constexpr auto kRefreshTime = std::chrono::minutes(30);
  const Clock::WallTime now = clock_.now();
  std::vector<SeriesEntry> refresh;
  {
    std::lock_guard lock(series_mu_);
    for (auto it = series_.begin(); it != series_.end();) {
      if (now - it->second.last_observed > kFinishTime) {
        it = series_.erase(it);
      } else {
        ++it;
      }
    }
    if (clock_.monotonic() - last_series_refresh_ >= kRefreshTime) {
      last_series_refresh_ = clock_.monotonic();
      for (auto& [key, e] : series_) {
        if (e.count > e.written_count) {
          e.written_count = e.count;
          refresh.push_back(e);
        }
      }
    }
  }
  for (SeriesEntry& e : refresh) {
    pool_.post([this, e = std::move(e)] { patch_series(e); });
  }
}

}  // namespace bosun::scheduler
