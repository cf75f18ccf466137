// LeaderElector: client-go's leaderelection over a coordination.k8s.io/v1 Lease. Candidates try to
// acquire the Lease every retry_period; the holder renews it and steps down when it cannot renew
// within renew_deadline; others take over once lease_duration passes after they last saw the
// record change (their own clock, as client-go measures it, so skewed clocks do not matter). Used
// by the scheduler and controller manager when several run. Public methods are thread-safe;
// callbacks run on the elector's own thread and must return promptly.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "client/rest_client.h"
#include "common/clock.h"
#include "common/json.h"

namespace bosun::client {

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name;
  std::string identity;  // holderIdentity: unique per candidate, e.g. hostname_uuid
  // client-go's defaults (kube-scheduler's --leader-elect-lease-duration etc.).
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  // Clear the holder on stop() so another candidate takes over at once (ReleaseOnCancel).
  bool release_on_cancel = true;
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& identity)> on_new_leader;  // a different holder seen
  // Timestamps written into the Lease (acquireTime/renewTime) and expiry measurement; the real
  // clock when null. Waiting between attempts is in real time, so stop() is prompt.
  Clock* clock = nullptr;
};

class LeaderElector {
 public:
  LeaderElector(RestClient& client, LeaderElectionConfig config);
  ~LeaderElector();  // stop()s

  void start();
  // Stops campaigning; a leader releases the Lease (when configured) and gets
  // on_stopped_leading before this returns.
  void stop();

  bool is_leader() const;
  // The holder last observed ("" when none).
  std::string leader() const;

 private:
  void run();
  // One attempt to acquire or renew; true when this candidate holds the Lease afterwards.
  bool try_acquire_or_renew();
  void release();
  // Waits in real time; false when stop() was called.
  bool wait(std::chrono::milliseconds d);
  Json lease_spec(const Json& old_spec, bool keep_acquire) const;

  RestClient& client_;
  const LeaderElectionConfig config_;
  Clock& clock_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  bool stopping_ = false;
  bool leading_ = false;
  std::string observed_holder_;
  Json observed_spec_;
  Clock::MonoTime observed_time_{};
  std::thread thread_;
};

}  // namespace bosun::client
