// EventRecorder: client-go's core/v1 event recorder (tools/record) for one component, as
// kube-controller-manager's controllers record SuccessfulCreate, ScalingReplicaSet, NodeNotReady
// and the rest. event() never waits for the API server: it correlates the event at once (the
// EventCorrelator: 25 events per object then one per 5 minutes; more than 10 events of one reason
// that differ only by message within 10 minutes are combined into one; an identical event bumps
// the count of the Event already written) and queues what is left for one sender thread (started by
// the first event), dropping it when the bounded queue is full as client-go's broadcaster does.
// Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "client/rest_client.h"
#include "common/clock.h"
#include "common/json.h"

namespace bosun::client {

// The involvedObject of an Event (core/v1 ObjectReference, as reference.GetReference fills it).
struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;
  std::string field_path;

  // The reference to a stored object: its name, namespace, uid and resourceVersion, with the
  // given apiVersion and kind (list items carry none).
  static ObjectReference of(const Json& object, std::string_view api_version,
                            std::string_view kind);
  Json to_json() const;
};

struct EventRecorderOptions {
  // source.component and reportingComponent, e.g. "replicaset-controller".
  std::string component;
  // source.host and reportingInstance; controllers leave it empty.
  std::string host;
  // The broadcaster's queue (maxQueuedEvents); events beyond it are dropped.
  size_t max_queued = 1000;
  // EventSourceObjectSpamFilter: a token bucket per source and object.
  int spam_burst = 25;
  double spam_qps = 1.0 / 300.0;
  // EventAggregator: events differing only by message are combined from the 10th on.
  size_t aggregate_max_events = 10;
  Clock::Duration aggregate_interval = std::chrono::minutes(10);
  // The correlator's LRU caches (maxLruCacheEntries).
  size_t cache_size = 4096;
};

// The options of a recorder for `component`, with client-go's defaults for the rest.
inline EventRecorderOptions recorder_options(std::string component) {
  EventRecorderOptions options;
  options.component = std::move(component);
  return options;
}

class EventRecorder {
 public:
  EventRecorder(RestClient& client, Clock& clock, EventRecorderOptions options);
  ~EventRecorder();  // stop()s

  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Records an event about `object` ("Normal" or "Warning"). Cluster-scoped objects' events go to
  // the "default" namespace, as client-go puts them.
  void event(const ObjectReference& object, std::string_view type, std::string_view reason,
             std::string message);

  // Waits until every queued event was written (tests, orderly shutdown).
  void flush();
  // Queued events not yet written are dropped.
  void stop();

  struct Stats {
    uint64_t written = 0;  // created or patched on the server
    uint64_t failed = 0;   // the server refused or was unreachable
    uint64_t dropped = 0;  // the queue was full
    uint64_t skipped = 0;  // the spam filter held them back
  };
  Stats stats() const;

 private:
  // One write for the sender: a new Event, or a patch of the count of one already written.
  struct Pending {
    Json event;  // the whole Event, as created when the patch finds it gone
    bool patch = false;
  };
  // eventLog: what the correlator remembers of an Event it wrote.
  struct Observed {
    std::string name;
    std::string first_timestamp;
    int64_t count = 0;
  };
  struct AggregateRecord {
    std::list<std::string> local_keys;  // distinct messages, at most aggregate_max_events
    Clock::MonoTime last;
  };
  struct SpamRecord {
    double tokens = 0;
    Clock::MonoTime last;
  };
  // A small LRU map (groupcache/lru as client-go uses it).
  template <typename V>
  class Lru {
   public:
    explicit Lru(size_t capacity) : capacity_(capacity) {}
    V* get(const std::string& key);
    V& put(const std::string& key, V value);

   private:
    size_t capacity_;
    std::list<std::pair<std::string, V>> order_;  // most recent first
    std::unordered_map<std::string_view, typename std::list<std::pair<std::string, V>>::iterator>
        index_;
  };

  std::string unique_name(std::string_view object_name, Clock::WallTime at);
  bool allow_spam(const std::string& key, Clock::MonoTime now);
  void run();
  void send(Pending& p);

  RestClient& client_;
  Clock& clock_;
  const EventRecorderOptions options_;

  std::mutex correlator_mu_;  // guards the three caches
  Lru<AggregateRecord> aggregates_;
  Lru<Observed> observed_;
  Lru<SpamRecord> spam_;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  Stats stats_;
  std::thread thread_;  // last: it uses the members above; started under mu_ by the first event
};

}  // namespace bosun::client
