// Progress events for a slow image pull. The kubelet says only "Pulling image" and, at the end,
// "Pulled"; a pull of a large image over a slow link then looks hung for minutes. Like containerd's
// `ctr pull` progress, the agent adds a Normal "Pulling" event every 10 s once a pull has run 10 s,
// with the bytes downloaded: a pull that finishes sooner shows exactly the kubelet's events. Used
// by PodSyncer as PullRequest::progress; called on the pulling thread only (not synchronised).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "common/clock.h"

namespace bosun::agent {

inline constexpr std::chrono::seconds kPullProgressPeriod{10};

// "Still pulling image \"X\" after 20s: 12.5 MiB of 40.1 MiB (31%)"; without a known total just
// the bytes downloaded.
std::string format_pull_progress(const std::string& image, int64_t bytes_done, int64_t bytes_total,
                                 Clock::Duration elapsed);

class PullProgressEvents {
 public:
  // `emit` records one event message; `began` is when the pull started.
  PullProgressEvents(Clock& clock, std::string image, Clock::MonoTime began,
                     std::function<void(std::string)> emit,
                     Clock::Duration period = kPullProgressPeriod)
      : clock_(clock),
        image_(std::move(image)),
        began_(began),
        last_(began),
        emit_(std::move(emit)),
        period_(period) {}

  // The runtime's progress callback: whole-image bytes so far and the total known so far.
  void operator()(int64_t bytes_done, int64_t bytes_total);

  int emitted() const { return emitted_; }

 private:
  Clock& clock_;
  std::string image_;
  Clock::MonoTime began_;
  Clock::MonoTime last_;
  std::function<void(std::string)> emit_;
  Clock::Duration period_;
  int emitted_ = 0;
};

}  // namespace bosun::agent
