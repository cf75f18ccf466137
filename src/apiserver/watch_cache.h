// The watch cache of one resource type, after Kubernetes' cacher (k8s.io/apiserver/pkg/storage/
// cacher): ONE store watch per type keeps the current objects (for resourceVersion=0 lists and the
// initial ADDED events of a watch) and a ring of recent events (to resume a watch from a
// resourceVersion), and fans every event out to all of the type's watchers. Each event is parsed
// once, and encoded once per distinct output form (JSON, or a Table's row for a set of columns),
// whatever the number of watchers; each watcher only filters (namespace, label and field
// selectors) and frames. A watcher whose client does not keep up is closed once its queue passes a
// bound, as the cacher terminates a blocked watcher, so it never stalls the others.
//
// Thread-safety: public methods may be called from any thread. One dispatcher thread per cache
// owns the watchers and does all delivery; the current objects and the ring are guarded by mu_ so
// that lists read them from request threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/field_selector.h"
#include "api/label_selector.h"
#include "api/registry.h"
#include "apiserver/exchange.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/metrics.h"
#include "common/result.h"
#include "store/store.h"

namespace bosun::apiserver {

// One state of one object, shared by the current-state map, the ring and every watcher. Immutable.
struct CachedObject {
  std::string key;
  std::string namespace_;
  std::string name;
  uint64_t revision = 0;  // its resourceVersion
  std::string json;       // compact JSON with metadata.resourceVersion = revision
  Json labels;            // metadata.labels, null when absent
  // The values of the type's selectable fields, in the order of ResourceType::selectable_fields.
  std::vector<std::string> fields;
};
using CachedObjectPtr = std::shared_ptr<const CachedObject>;

// Turns a stored object into the version a resource serves (events.k8s.io/v1 Events are stored as
// core/v1 ones, as in Kubernetes). Empty: served as stored.
using ObjectConverter = std::function<Json(const Json&)>;

// Builds the CachedObject of a stored value at a revision; nullptr if the value is not an object.
// `parsed`, when given, receives the parsed object (with resourceVersion set).
CachedObjectPtr make_cached_object(const api::ResourceType& type, std::string key,
                                   std::string_view stored, uint64_t revision,
                                   Json* parsed = nullptr,
                                   const ObjectConverter* convert = nullptr);

// Which objects a list or watch wants.
struct ObjectFilter {
  std::string namespace_;     // empty: every namespace
  api::LabelSelector labels;  // everything() by default
  api::FieldSelector fields;  // terms use canonical labels (after the type's label conversion)
  // Indexes into CachedObject::fields for each term of `fields`, filled by compile().
  std::vector<int> field_index;

  // Resolves field terms against the type's selectable fields; a term on a field the type does not
  // select on reads as "" (Kubernetes' fields.Set lookup of a missing key).
  void compile(const api::ResourceType& type);
  bool matches(const CachedObject& obj) const;
};

// How one output form writes watch events. Watchers with equal form() share one encode() per
// event; frame() wraps the shared bytes for each watcher.
class WatchEncoder {
 public:
  virtual ~WatchEncoder() = default;
  virtual const std::string& form() const = 0;
  // Whether encode() reads `parsed` (Tables do; plain JSON splices the cached text).
  virtual bool needs_parsed() const = 0;
  virtual std::string encode(const CachedObject& obj, const Json* parsed) const = 0;
  // One line of the watch stream, ending in '\n'. `first` is the watcher's first event.
  virtual std::string frame(std::string_view type, const CachedObject& obj,
                            std::string_view encoded, bool first) const = 0;
  // Watchers whose encoders have equal frame_form() (and form()) get the same frame() for the same
  // event, type and `first`: the fan-out frames each line once and every such watcher sends the
  // same bytes. Defaults to form().
  virtual const std::string& frame_form() const { return form(); }
  // A BOOKMARK line at `revision`; `initial_events_end` adds the annotation Kubernetes puts on the
  // bookmark that ends a sendInitialEvents replay.
  virtual std::string bookmark(uint64_t revision, bool initial_events_end) const = 0;
};

// What a watcher asked for.
struct WatchRequest {
  ObjectFilter filter;
  // 0 with send_initial_state: replay the current objects as ADDED first (resourceVersion "" or
  // "0"). Otherwise only events with a revision > start_revision.
  uint64_t start_revision = 0;
  bool send_initial_state = false;
  // With send_initial_state: the objects as of the store's newest revision (resourceVersion ""),
  // which the cache may not have applied yet; the watch starts once it has, as Kubernetes' cacher
  // waits for its cache to be fresh (resourceVersion "0" takes the cache as it is).
  bool consistent = false;
  // With send_initial_state: the objects once the cache has applied this revision, which the store
  // has committed (sendInitialEvents with resourceVersionMatch=NotOlderThan).
  uint64_t min_revision = 0;
  bool allow_bookmarks = false;
  bool send_initial_events_end = false;  // sendInitialEvents=true: bookmark after the replay
  std::chrono::nanoseconds timeout{0};   // the stream ends cleanly after this long
  std::shared_ptr<const WatchEncoder> encoder;
  std::shared_ptr<ResponseStream> stream;
};

struct WatchCacheOptions {
  size_t ring_capacity = 8192;  // recent events kept for resuming watches
  // A watcher whose stream has more than this queued is closed (the client is not reading).
  size_t max_watcher_queued_bytes = 16 << 20;
  // Kubernetes' bookmarkFrequency: watchers that allow bookmarks get one about this often.
  std::chrono::nanoseconds bookmark_interval = std::chrono::minutes(1);
  size_t list_page_size = 1000;  // when (re)loading from the store
};

class WatchCache {
 public:
  // Loads the type's objects from the store and starts the one store watch. The store must
  // outlive the cache.
  static Result<std::unique_ptr<WatchCache>> start(
      store::Store& store, const api::ResourceType& type, std::string prefix, Clock& clock,
      MetricsRegistry& metrics, WatchCacheOptions options = {}, ObjectConverter convert = {});
  // Ends every watcher's stream and stops the store watch.
  ~WatchCache();
  WatchCache(const WatchCache&) = delete;
  WatchCache& operator=(const WatchCache&) = delete;

  struct Snapshot {
    uint64_t revision = 0;
    std::vector<CachedObjectPtr> items;  // sorted by key
  };
  // The current objects under `prefix` (a collection prefix) that pass `filter`.
  Snapshot list(std::string_view prefix, const ObjectFilter& filter) const;
  // The current state of one key, with the cache's revision.
  std::pair<CachedObjectPtr, uint64_t> get(std::string_view key) const;
  // The newest revision the cache has applied.
  uint64_t revision() const;

  // Registers a watcher; delivery starts on the dispatcher thread. A start revision older than the
  // ring's oldest is answered with an ERROR event (410, reason Expired, `too old resource version:
  // N (M)`) and the stream ends, as the cacher's errWatcher does.
  void watch(WatchRequest request);

  // A writer announces the value it is about to store under `key` together with the object it
  // encoded it from. When the store's event for `key` carries exactly these bytes, the cache takes
  // the object's namespace, name, labels and selectable fields from `obj` instead of parsing the
  // value again: each write is decoded once, by its writer, as Kubernetes' cacher decodes each
  // event once. Ignored by caches that convert what they serve. Any thread.
  void expect_write(const std::string& key, std::string value, const Json& obj);

  size_t watcher_count() const { return watcher_count_.load(); }
  // Wakes the dispatcher to check bookmark and timeout deadlines now (tests advance a FakeClock and
  // poke; in production it wakes on its own at least once a second).
  void poke();
  // Blocks until every task queued so far (events, registrations) has been processed. For tests.
  void sync();

 private:
  struct Watcher;
  // The dispatcher's queue: a store batch (`events`) or anything else (`fn`). Consecutive store
  // batches are delivered as one, so that a watcher gets what piled up during a fan-out in one
  // write.
  struct Task {
    store::EventList events;
    std::function<void()> fn;
  };
  struct Event {
    store::EventType type;
    uint64_t revision;
    CachedObjectPtr object;  // for DELETED: the last state at the deletion's revision
    CachedObjectPtr prev;    // null for ADDED
  };

  WatchCache(store::Store& store, const api::ResourceType& type, std::string prefix, Clock& clock,
             MetricsRegistry& metrics, WatchCacheOptions options, ObjectConverter convert);
  CachedObjectPtr cached(std::string key, std::string_view stored, uint64_t revision,
                         Json* parsed = nullptr) const;
  Result<void> load();
  void on_store_events(Result<store::EventList> events);
  void run();
  void run_tasks(std::deque<Task>& tasks);
  void process(const store::EventList& batch);
  void add_watcher(std::shared_ptr<Watcher> w);
  // One event's encodings, computed once per output form (and per shape: the object itself, or
  // its previous state for a watcher that stops seeing it) and shared by every watcher.
  struct Encoding {
    std::string_view form;
    bool previous = false;
    std::string bytes;
    // The framed lines made from `bytes`, shared by every watcher that sends them.
    struct Line {
      std::string_view frame_form;
      std::string_view type;
      bool first = false;
      SharedChunkPtr chunk;
    };
    std::vector<Line> lines;
  };
  using Encodings = std::vector<Encoding>;
  // Appends the line `e` makes for `w` (if any) to `out`.
  void deliver(Watcher& w, const Event& e, Encodings& encoded, const Json* parsed,
               CachedObjectPtr& prev_at_rev, std::vector<SharedChunkPtr>& out);
  // False (and the watcher closed) when the watcher cannot take more.
  bool keeps_up(Watcher& w);
  void send(Watcher& w, std::string line);
  // A watcher's lines of one batch, handed to its stream together (one write to the client),
  // through `batch` when given.
  void send_shared(Watcher& w, std::span<const SharedChunkPtr> lines, SendBatch* batch = nullptr);
  void close(Watcher& w);
  // Ends the streams of the consistent watches still waiting for their barrier.
  void end_awaiting_fresh();
  void check_deadlines();
  // When the watcher next needs the dispatcher's attention: its timeout or its next bookmark.
  Clock::MonoTime watcher_due(const Watcher& w) const;
  void post(std::function<void()> task);
  uint64_t oldest_locked() const;
  // The CachedObject of a store event from the writer's announcement, or nullptr when there is
  // none for these bytes.
  CachedObjectPtr take_expected(const std::string& key, std::string_view value, uint64_t revision);

  store::Store& store_;
  const api::ResourceType& type_;
  const std::string prefix_;
  Clock& clock_;
  const WatchCacheOptions options_;
  const ObjectConverter convert_;
  Gauge& watchers_gauge_;
  std::atomic<size_t> watcher_count_{0};

  mutable std::mutex mu_;  // guards everything down to the thread
  std::condition_variable cv_;
  std::map<std::string, CachedObjectPtr, std::less<>> objects_;
  std::deque<Event> ring_;
  uint64_t revision_ = 0;       // newest applied revision
  uint64_t list_revision_ = 0;  // the revision the cache was (re)loaded at
  bool evicted_since_load_ = false;
  std::deque<Task> tasks_;
  bool stopping_ = false;
  bool wake_ = false;
  std::unique_ptr<store::Watch> store_watch_;
  // Consistent watches waiting for the store's delivery barrier (watch()); their streams end if
  // the store watch is replaced or the cache stops first.
  std::vector<std::shared_ptr<Watcher>> awaiting_fresh_;

  // Writers' announcements (expect_write), by key. A write that never reaches the store (a
  // conflict, a failed precondition) leaves its entry until the key's next event or the bound.
  struct ExpectedWrite {
    std::string value;
    std::shared_ptr<CachedObject> object;  // revision and json filled when the event arrives
  };
  const bool takes_expected_writes_;
  std::mutex expected_mu_;  // guards expected_
  std::unordered_map<std::string, ExpectedWrite> expected_;

  std::vector<std::shared_ptr<Watcher>> watchers_;  // dispatcher thread only
  // The earliest timeout or bookmark among watchers_, and when the last full scan ran: the scan
  // runs when a deadline is due or once a second (for watchers whose client went away), not after
  // every event, which with 10,000 watchers cost more than delivering the events. Dispatcher only.
  Clock::MonoTime next_deadline_ = Clock::MonoTime::max();
  std::chrono::steady_clock::time_point last_scan_{};
  std::thread thread_;
};

}  // namespace bosun::apiserver
