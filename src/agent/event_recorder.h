// ApiEventRecorder: posts the agent's events (Pulling, Pulled, Created, Started, Killing, BackOff,
// Failed, ...) as core/v1 Events from source "kubelet", the way client-go's event broadcaster does
// for the kubelet: off the caller's thread, named "<pod>.<unix nanos hex>", and a repeat of the
// same event (same pod, type, reason, message) bumps count and lastTimestamp of the Event already
// posted instead of creating another. One sender thread serves every agent of a process (hollow
// nodes); when the API server is unreachable or the backlog passes its bound, events are dropped,
// as client-go's are. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "agent/pod_sync.h"
#include "client/rest_client.h"
#include "common/clock.h"

namespace bosun::agent {

class ApiEventRecorder final : public EventRecorder {
 public:
  ApiEventRecorder(client::RestClient& client, Clock& clock, size_t max_backlog = 10000);
  ~ApiEventRecorder() override;  // stop()s

  void record(const Json& pod, std::string_view field_path, std::string_view type,
              std::string_view reason, std::string message) override;
  // The sender skips a held pod's events (others' go on) until the pod is released.
  void hold_pod(std::string_view pod_uid) override;
  void release_pod(std::string_view pod_uid) override;

  // record() with `host` as the event's source.host and reportingInstance.
  void record_as(std::string host, const Json& pod, std::string_view field_path,
                 std::string_view type, std::string_view reason, std::string message);

  // An EventRecorder that stamps `node_name` as the event source and forwards here.
  std::unique_ptr<EventRecorder> for_node(std::string node_name);

  // Waits until every queued event was sent (tests).
  void flush();
  void stop();

  uint64_t sent() const;
  uint64_t dropped() const;

 private:
  struct Pending {
    std::string pod_uid;
    std::string host;
    Json involved;  // involvedObject
    std::string type, reason, message;
    Clock::WallTime at;
  };
  void run();
  void send(Pending& p);
  // The first queued event whose pod is not held, or queue_.end(). Under mu_.
  std::deque<Pending>::iterator next_sendable();

  client::RestClient& client_;
  Clock& clock_;
  const size_t max_backlog_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Pending> queue_;
  std::set<std::string, std::less<>> held_;  // pod uids
  bool busy_ = false;
  bool stopping_ = false;
  uint64_t sent_ = 0;
  uint64_t dropped_ = 0;
  // The sender thread's own memory of posted events (key -> name, count), bounded LRU.
  struct Posted {
    std::string name;
    std::string ns;
    int64_t count = 1;
    std::list<std::string>::iterator lru;
  };
  std::map<std::string, Posted> posted_;
  std::list<std::string> lru_;
  uint64_t seq_ = 0;  // keeps names unique when two events share a timestamp
  std::thread thread_;
};

}  // namespace bosun::agent
