// EventRecorder: client-go's events.k8s.io/v1 recorder (tools/events) for one reporting
// controller, as kube-scheduler records Scheduled and FailedScheduling: events are written
// asynchronously by a small pool with a bounded buffer (dropped beyond it, never blocking the
// scheduling thread); isomorphic Warning events (same pod, action, reason and note) within 6
// minutes become one event whose series counts them. Used by the Scheduler. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "client/rest_client.h"
#include "common/clock.h"
#include "scheduler/pod_info.h"
#include "scheduler/scheduler_api.h"
#include "scheduler/task_pool.h"

namespace bosun::scheduler {

class EventRecorder {
 public:
  // reporting_instance: "<controller>-<hostname>", as client-go's NewRecorder names it.
  EventRecorder(client::RestClient& client, Clock& clock, std::string reporting_controller,
                std::string reporting_instance);
  ~EventRecorder() { stop(); }

  void record(const PodInfo& pod, SchedulerEvent event);
  // The broadcaster's periodic work: forgets series idle for 6 minutes and, every 30 minutes,
  // writes counts that grew since they were last written. Call it now and then.
  void finish_series();
  // Events not yet written are dropped.
  void stop() { pool_.stop(); }

 private:
  // The second occurrence patches series.count 2 onto the first at once; later ones only count
  // until the refresh (client-go's recordToSink and refreshExistingEventSeries).
  struct SeriesEntry {
    std::string ns;
    std::string name;
    int32_t count = 1;
    int32_t written_count = 1;
    Clock::WallTime last_observed;
  };
  void patch_series(const SeriesEntry& entry);

  client::RestClient& client_;
  Clock& clock_;
  const std::string reporting_controller_;
  const std::string reporting_instance_;
  std::atomic<uint64_t> last_event_nanos_{0};
  std::mutex series_mu_;                                 // guards series_ and last_series_refresh_
  std::unordered_map<std::string, SeriesEntry> series_;  // Warning events only: Scheduled is once
  Clock::MonoTime last_series_refresh_;
  TaskPool pool_;  // last: its threads use the members above
};

}  // namespace bosun::scheduler
