#include "apiserver/watch_cache.h"

#include <pthread.h>

#include <fmt/format.h>

#include "api/object_meta.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "common/log.h"
#include "common/thread_util.h"

namespace bosun::apiserver {

namespace {

constexpr size_t kMaxExpectedWrites = 10'000;

// The most store events delivered as one batch when several batches are queued.
constexpr size_t kMaxMergedEvents = 256;

// The initial ADDED events of a watch are written in pieces of about this size.
constexpr size_t kInitialWriteBytes = 64 * 1024;

// Below this many watchers per thread, splitting a fan-out costs more than it saves.
constexpr size_t kWatchersPerSlice = 512;
// From this many watchers in a slice, their writes go out through a SendBatch.
constexpr size_t kMinBatchedWatchers = 8;

// Threads that help the watch caches' dispatchers deliver to large numbers of watchers, one fewer
// than the machine has cores (the dispatcher is the other). Shared by every cache; never stopped
// (its threads wait idle for the process's life).
class FanOutPool {
 public:
  static FanOutPool& instance() {
    static FanOutPool* pool = new FanOutPool(std::max(1u, std::thread::hardware_concurrency()) - 1);
    return *pool;
  }
  size_t helpers() const { return helpers_; }
  // Runs fn(0) .. fn(n - 1), some on helpers and the rest on the caller; returns when all are done.
  void run(size_t n, const std::function<void(size_t)>& fn) {
    auto job = std::make_shared<Job>(fn, n);
    {
      std::lock_guard lock(mu_);
      for (size_t i = 1; i < n && i <= helpers_; ++i) jobs_.push_back(job);
    }
    cv_.notify_all();
    job->work();
    std::unique_lock lock(job->mu);
    job->cv.wait(lock, [&] { return job->left.load() == 0; });
  }

 private:
  struct Job {
    Job(const std::function<void(size_t)>& f, size_t count) : fn(f), n(count), left(count) {}
    // Takes slices until none is left; whoever finishes the last one wakes the caller.
    void work() {
      for (;;) {
        size_t i = next.fetch_add(1);
        if (i >= n) return;
        fn(i);
        if (left.fetch_sub(1) == 1) {
          std::lock_guard lock(mu);
          cv.notify_all();
        }
      }
    }
    const std::function<void(size_t)>& fn;  // valid until left reaches 0
    const size_t n;
    std::atomic<size_t> next{0};
    std::atomic<size_t> left;
    std::mutex mu;
    std::condition_variable cv;
  };

  explicit FanOutPool(size_t helpers) : helpers_(helpers) {
    for (size_t i = 0; i < helpers_; ++i) {
      std::thread([this] { loop(); }).detach();
    }
  }
  void loop() {
    pthread_setname_np(pthread_self(), "watch-fanout");
    std::unique_lock lock(mu_);
    bool worked = false;
    for (;;) {
      // A helper quiet for a second hands its allocator cache back (what its last fan-out freed
      // would otherwise stay with the idle thread for good).
      if (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return !jobs_.empty(); })) {
        if (worked) {
          lock.unlock();
          release_idle_memory();
          lock.lock();
          worked = false;
        }
        continue;
      }
      worked = true;
      std::shared_ptr<Job> job = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      job->work();
      job.reset();
      lock.lock();
    }
  }

  const size_t helpers_;
  std::mutex mu_;  // guards jobs_
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> jobs_;
};

// A selectable field read from metadata.resourceVersion would differ between the writer's object
// (no resourceVersion yet) and the stored one as served.
bool selects_on_resource_version(const api::ResourceType& type) {
  for (const api::SelectableField& f : type.selectable_fields) {
    if (f.path.starts_with("metadata.resourceVersion")) return true;
  }
  return false;
}

}  // namespace

// ---- CachedObject and filters ---------------------------------------------------------------

CachedObjectPtr make_cached_object(const api::ResourceType& type, std::string key,
                                   std::string_view stored, uint64_t revision, Json* parsed,
                                   const ObjectConverter* convert) {
  Json obj = parse_trusted(stored);
  if (!obj.is_object()) return nullptr;
  if (convert && *convert) obj = (*convert)(obj);
  api::set_resource_version(obj, revision);
  auto out = std::make_shared<CachedObject>();
  out->key = std::move(key);
  out->namespace_ = std::string(api::namespace_of(obj));
  out->name = std::string(api::name(obj));
  out->revision = revision;
  out->json = convert && *convert ? to_json(obj) : with_resource_version(stored, revision);
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) {
    if (auto l = m->find("labels"); l != m->end() && l->is_object()) out->labels = *l;
  }
  out->fields.reserve(type.selectable_fields.size());
  for (const api::SelectableField& f : type.selectable_fields) {
    out->fields.push_back(type.field_value(obj, f.label));
  }
  if (parsed) *parsed = std::move(obj);
  return out;
}

void ObjectFilter::compile(const api::ResourceType& type) {
  field_index.clear();
  for (const api::FieldRequirement& r : fields.requirements()) {
    int index = -1;
    for (size_t i = 0; i < type.selectable_fields.size(); ++i) {
      if (type.selectable_fields[i].label == r.field) {
        index = static_cast<int>(i);
        break;
      }
    }
    field_index.push_back(index);
  }
}

bool ObjectFilter::matches(const CachedObject& obj) const {
  if (!namespace_.empty() && obj.namespace_ != namespace_) return false;
  if (!labels.empty() && !labels.matches(obj.labels)) return false;
  if (fields.matches_nothing()) return false;
  const auto& reqs = fields.requirements();
  for (size_t i = 0; i < reqs.size(); ++i) {
    int idx = i < field_index.size() ? field_index[i] : -1;
    std::string_view v = idx >= 0 ? std::string_view(obj.fields[static_cast<size_t>(idx)]) : "";
    if ((v == reqs[i].value) == reqs[i].not_equals) return false;
  }
  return true;
}

// ---- Watchers ---------------------------------------------------------------------------------

struct WatchCache::Watcher {
  WatchRequest request;
  std::atomic<bool> gone{false};  // the stream ended (set from the stream's on_close)
  bool closed = false;
  bool sent_any = false;
  uint64_t last_sent_revision = 0;
  Clock::MonoTime deadline;
  Clock::MonoTime next_bookmark;
};

// ---- WatchCache -------------------------------------------------------------------------------

WatchCache::WatchCache(store::Store& store, const api::ResourceType& type, std::string prefix,
                       Clock& clock, MetricsRegistry& metrics, WatchCacheOptions options,
                       ObjectConverter convert)
    : store_(store),
      type_(type),
      prefix_(std::move(prefix)),
      clock_(clock),
      options_(options),
      convert_(std::move(convert)),
      watchers_gauge_(metrics
                          .gauge_vec("apiserver_registered_watchers",
                                     "Number of currently registered watchers for a given "
                                     "resource",
                                     {"group", "version", "kind"})
                          .with({type.group, type.version, type.kind})),
      takes_expected_writes_(!convert_ && !selects_on_resource_version(type)) {}

void WatchCache::expect_write(const std::string& key, std::string value, const Json& obj) {
  if (!takes_expected_writes_ || !obj.is_object()) return;
  auto out = std::make_shared<CachedObject>();
  out->key = key;
  out->namespace_ = std::string(api::namespace_of(obj));
  out->name = std::string(api::name(obj));
  if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) {
    if (auto l = m->find("labels"); l != m->end() && l->is_object()) out->labels = *l;
  }
  out->fields.reserve(type_.selectable_fields.size());
  for (const api::SelectableField& f : type_.selectable_fields) {
    out->fields.push_back(type_.field_value(obj, f.label));
  }
  std::lock_guard lock(expected_mu_);
  // Entries of writes that never happened are not worth more than a bound.
  if (expected_.size() >= kMaxExpectedWrites) expected_.clear();
  expected_.insert_or_assign(key, ExpectedWrite{std::move(value), std::move(out)});
}

CachedObjectPtr WatchCache::take_expected(const std::string& key, std::string_view value,
                                          uint64_t revision) {
  ExpectedWrite w;
  {
    std::lock_guard lock(expected_mu_);
    auto it = expected_.find(key);
    if (it == expected_.end()) return nullptr;
    w = std::move(it->second);
    expected_.erase(it);
  }
  // Another write to the key may have won the race: only these exact bytes are described.
  if (w.value != value) return nullptr;
  w.object->revision = revision;
  w.object->json = with_resource_version(value, revision);
  return w.object;
}

Result<std::unique_ptr<WatchCache>> WatchCache::start(
    store::Store& store, const api::ResourceType& type, std::string prefix, Clock& clock,
    MetricsRegistry& metrics, WatchCacheOptions options, ObjectConverter convert) {
  std::unique_ptr<WatchCache> cache(
      new WatchCache(store, type, std::move(prefix), clock, metrics, options, std::move(convert)));
  BOSUN_RETURN_IF_ERROR(cache->load());
  cache->thread_ = std::thread([c = cache.get()] { c->run(); });
  return cache;
}

WatchCache::~WatchCache() {
  std::unique_ptr<store::Watch> w;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    w = std::move(store_watch_);
  }
  // Stops delivery before the thread goes: when this returns no store callback runs any more.
  w.reset();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CachedObjectPtr WatchCache::cached(std::string key, std::string_view stored, uint64_t revision,
                                   Json* parsed) const {
  return make_cached_object(type_, std::move(key), stored, revision, parsed, &convert_);
}

Result<void> WatchCache::load() {
  // A consistent snapshot: every page at the first page's revision.
  std::map<std::string, CachedObjectPtr, std::less<>> objects;
  store::ListOptions lo;
  lo.limit = static_cast<int64_t>(options_.list_page_size);
  uint64_t revision = 0;
  while (true) {
    BOSUN_ASSIGN_OR_RETURN(store::ListResult page, store_.list(prefix_, lo));
    revision = page.revision;
    for (store::KeyValue& kv : page.items) {
      auto obj = cached(kv.key, kv.value, kv.mod_revision);
      if (obj) objects.emplace(kv.key, std::move(obj));
    }
    if (page.continue_token.empty()) break;
    lo.continue_token = std::move(page.continue_token);
  }
  {
    std::lock_guard lock(mu_);
    objects_ = std::move(objects);
    ring_.clear();
    evicted_since_load_ = false;
    revision_ = revision;
    list_revision_ = revision;
  }
  BOSUN_ASSIGN_OR_RETURN(auto watch,
                         store_.watch(prefix_, revision, [this](Result<store::EventList> events) {
                           on_store_events(std::move(events));
                         }));
  std::lock_guard lock(mu_);
  store_watch_ = std::move(watch);
  return ok_result();
}

void WatchCache::post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    tasks_.push_back(Task{{}, std::move(task)});
  }
  cv_.notify_one();
}

void WatchCache::on_store_events(Result<store::EventList> events) {
  if (events.ok()) {
    {
      std::lock_guard lock(mu_);
      tasks_.push_back(Task{std::move(events).value(), {}});
    }
    cv_.notify_one();
    return;
  }
  if (events.error().code == ErrorCode::kServiceUnavailable) return;  // the store is closing
  // The store watch fell behind a compaction: like the cacher's reflector, start over from a fresh
  // list. Watchers could miss events across the gap, so they are closed and clients re-watch.
  SPDLOG_WARN("watch cache {}: store watch ended ({}); reloading", prefix_, events.error().message);
  post([this] {
    for (auto& w : watchers_) close(*w);
    watchers_.clear();
    std::unique_ptr<store::Watch> old;
    {
      std::lock_guard lock(mu_);
      old = std::move(store_watch_);
    }
    old.reset();           // outside mu_: it waits for a running callback, which takes mu_
    end_awaiting_fresh();  // their barriers went with the old watch
    while (true) {
      auto r = load();
      if (r.ok()) break;
      SPDLOG_ERROR("watch cache {}: reload failed: {}", prefix_, r.error().message);
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
      }
      std::this_thread::sleep_for(std::chrono::seconds(1));
    }
  });
}

WatchCache::Snapshot WatchCache::list(std::string_view prefix, const ObjectFilter& filter) const {
  Snapshot out;
  std::lock_guard lock(mu_);
  out.revision = revision_;
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (!std::string_view(it->first).starts_with(prefix)) break;
    if (filter.matches(*it->second)) out.items.push_back(it->second);
  }
  return out;
}

std::pair<CachedObjectPtr, uint64_t> WatchCache::get(std::string_view key) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key);
  return {it == objects_.end() ? nullptr : it->second, revision_};
}

uint64_t WatchCache::revision() const {
  std::lock_guard lock(mu_);
  return revision_;
}

uint64_t WatchCache::oldest_locked() const {
  // getAllEventsSinceLocked: until the ring drops an event, everything after the list's revision
  // is still there; afterwards the oldest event kept bounds the history.
  if (!evicted_since_load_ || ring_.empty()) return list_revision_ + 1;
  return ring_.front().revision;
}

void WatchCache::watch(WatchRequest request) {
  auto w = std::make_shared<Watcher>();
  w->request = std::move(request);
  // The stream's end (client gone, write timeout, shutdown) is noticed by flag; the dispatcher
  // drops the watcher on its next pass.
  // The callback must not touch the cache: a stream may end after the cache (and the watcher) is
  // gone, which the weak reference notices.
  w->request.stream->on_close([weak = std::weak_ptr<Watcher>(w)](StreamEnd) {
    if (auto watcher = weak.lock()) watcher->gone.store(true);
  });
  if (w->request.send_initial_state && (w->request.consistent || w->request.min_revision > 0)) {
    std::lock_guard lock(mu_);
    const uint64_t target =
        w->request.consistent ? store_.current_revision() : w->request.min_revision;
    if (target > revision_ && store_watch_ != nullptr && !stopping_) {
      awaiting_fresh_.push_back(w);
      // The store hands this cache every change up to `target`, then runs the barrier: the
      // watcher's registration queues behind those changes, so its initial state includes them.
      store_.after_delivered(*store_watch_, target, [this, w] {
        {
          std::lock_guard lock(mu_);
          std::erase(awaiting_fresh_, w);
          tasks_.push_back(Task{{}, [this, w] { add_watcher(w); }});
        }
        cv_.notify_one();
      });
      return;
    }
  }
  post([this, w] { add_watcher(w); });
}

void WatchCache::end_awaiting_fresh() {
  std::vector<std::shared_ptr<Watcher>> ended;
  {
    std::lock_guard lock(mu_);
    ended.swap(awaiting_fresh_);
  }
  for (auto& w : ended) w->request.stream->finish();
}

void WatchCache::poke() {
  {
    std::lock_guard lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void WatchCache::sync() {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  post([&] {
    std::lock_guard lock(m);
    done = true;
    cv.notify_all();
  });
  std::unique_lock lock(m);
  cv.wait_for(lock, std::chrono::seconds(30), [&] { return done; });
}

bool WatchCache::keeps_up(Watcher& w) {
  if (w.closed) return false;
  if (w.request.stream->queued_bytes() > options_.max_watcher_queued_bytes) {
    // The cacher terminates a watcher whose buffer stays full rather than block the others.
    SPDLOG_INFO("watch cache {}: closing a watcher that fell {} bytes behind", prefix_,
                w.request.stream->queued_bytes());
    close(w);
    return false;
  }
  return true;
}

void WatchCache::send(Watcher& w, std::string line) {
  if (keeps_up(w) && !w.request.stream->write(std::move(line))) close(w);
}

void WatchCache::send_shared(Watcher& w, std::span<const SharedChunkPtr> lines, SendBatch* batch) {
  if (lines.empty() || !keeps_up(w)) return;
  ResponseStream& stream = *w.request.stream;
  bool ok = batch != nullptr    ? stream.write_shared_batch(lines, *batch)
            : lines.size() == 1 ? stream.write_shared(lines[0])
                                : stream.write_shared_batch(lines);
  if (!ok) close(w);
}

void WatchCache::close(Watcher& w) {
  if (w.closed) return;
  w.closed = true;
  w.request.stream->finish();
  watchers_gauge_.dec();
  watcher_count_.fetch_sub(1);
}

void WatchCache::add_watcher(std::shared_ptr<Watcher> w) {
  Watcher& watcher = *w;
  watchers_gauge_.inc();
  watcher_count_.fetch_add(1);
  Clock::MonoTime now = clock_.monotonic();
  watcher.deadline = now + watcher.request.timeout;
  watcher.next_bookmark = now + options_.bookmark_interval;
  const WatchEncoder& enc = *watcher.request.encoder;

  std::vector<CachedObjectPtr> initial;
  std::vector<Event> replay;
  uint64_t revision = 0;
  {
    std::lock_guard lock(mu_);
    revision = revision_;
    if (watcher.request.send_initial_state) {
      for (auto it = objects_.lower_bound(prefix_); it != objects_.end(); ++it) {
        if (watcher.request.filter.matches(*it->second)) initial.push_back(it->second);
      }
      watcher.request.start_revision = revision_;
    } else {
      uint64_t rv = watcher.request.start_revision;
      uint64_t oldest = oldest_locked();
      if (rv + 1 < oldest) {
        Json status = status_json_with_details(
            expired_error(fmt::format("too old resource version: {} ({})", rv, oldest - 1)));
        std::string line = "{\"type\":\"ERROR\",\"object\":" + to_json(status) + "}\n";
        watcher.request.stream->write(std::move(line));
        close(watcher);
        return;
      }
      for (const Event& e : ring_) {
        if (e.revision > rv) replay.push_back(e);
      }
    }
  }
  // The initial ADDED events go out in writes of many lines (an HTTP chunk need not end at a
  // line): an informer's first watch of thousands of objects is then a few hundred TLS records and
  // system calls, not one per object.
  std::string out;
  for (const CachedObjectPtr& obj : initial) {
    Json parsed;
    if (enc.needs_parsed()) parsed = parse_trusted(obj->json);
    std::string encoded = enc.encode(*obj, enc.needs_parsed() ? &parsed : nullptr);
    out += enc.frame("ADDED", *obj, encoded, !watcher.sent_any);
    watcher.sent_any = true;
    watcher.last_sent_revision = std::max(watcher.last_sent_revision, obj->revision);
    if (out.size() >= kInitialWriteBytes) {
      send(watcher, std::move(out));
      out.clear();
    }
  }
  if (watcher.request.send_initial_events_end) {
    out += enc.bookmark(std::max(revision, watcher.request.start_revision), true);
  }
  if (!out.empty()) send(watcher, std::move(out));
  std::vector<SharedChunkPtr> lines;
  for (const Event& e : replay) {
    Encodings encoded;
    CachedObjectPtr prev_at_rev;
    Json parsed;
    if (enc.needs_parsed()) parsed = parse_trusted(e.object->json);
    deliver(watcher, e, encoded, enc.needs_parsed() ? &parsed : nullptr, prev_at_rev, lines);
  }
  send_shared(watcher, lines);
  if (!watcher.closed) {
    next_deadline_ = std::min(next_deadline_, watcher_due(watcher));
    watchers_.push_back(std::move(w));
  }
}

void WatchCache::deliver(Watcher& w, const Event& e, Encodings& encoded, const Json* parsed,
                         CachedObjectPtr& prev_at_rev, std::vector<SharedChunkPtr>& out) {
  if (w.closed || e.revision <= w.request.start_revision) return;
  const ObjectFilter& f = w.request.filter;
  // cacheWatcher.convertToWatchEvent: an object that starts matching is ADDED, one that stops is
  // DELETED (its previous state at the event's revision), a DELETED event goes to watchers that
  // saw the previous state.
  bool cur = e.type != store::EventType::kDeleted && f.matches(*e.object);
  bool old = e.prev && f.matches(*e.prev);
  if (!cur && !old) return;
  const WatchEncoder& enc = *w.request.encoder;
  std::string_view type;
  const CachedObject* obj;
  const Json* obj_parsed = parsed;
  Json prev_parsed;
  if (cur) {
    type = old ? "MODIFIED" : "ADDED";
    obj = e.object.get();
  } else {
    type = "DELETED";
    if (e.type == store::EventType::kDeleted) {
      obj = e.object.get();
    } else {
      if (!prev_at_rev) {
        auto p = std::make_shared<CachedObject>(*e.prev);
        p->revision = e.revision;
        p->json =
            with_resource_version(encode_for_storage(parse_trusted(e.prev->json)), e.revision);
        prev_at_rev = std::move(p);
      }
      obj = prev_at_rev.get();
    }
  }
  bool previous = !cur;
  const std::string& form = enc.form();
  Encoding* found = nullptr;
  for (Encoding& c : encoded) {
    if (c.previous == previous && c.form == form) {
      found = &c;
      break;
    }
  }
  if (found == nullptr) {
    if (enc.needs_parsed() && previous && e.type != store::EventType::kDeleted) {
      prev_parsed = parse_trusted(obj->json);
      obj_parsed = &prev_parsed;
    }
    // `form` outlives the event: the encoder is the watcher's, which stays for the fan-out.
    encoded.push_back(
        Encoding{form, previous, enc.encode(*obj, enc.needs_parsed() ? obj_parsed : nullptr), {}});
    found = &encoded.back();
  }
  const std::string& frame_form = enc.frame_form();
  const bool first = !w.sent_any;
  const SharedChunkPtr* line = nullptr;
  for (const Encoding::Line& l : found->lines) {
    if (l.first == first && l.type == type && l.frame_form == frame_form) {
      line = &l.chunk;
      break;
    }
  }
  if (line == nullptr) {
    found->lines.push_back(Encoding::Line{
        frame_form, type, first, SharedChunk::make(enc.frame(type, *obj, found->bytes, first))});
    line = &found->lines.back().chunk;
  }
  out.push_back(*line);
  w.sent_any = true;
  w.last_sent_revision = std::max(w.last_sent_revision, e.revision);
}

void WatchCache::process(const store::EventList& batch) {
  bool want_parsed = false;
  for (const auto& w : watchers_) {
    if (!w->closed && w->request.encoder->needs_parsed()) {
      want_parsed = true;
      break;
    }
  }
  struct Applied {
    Event event;
    Json parsed;
  };
  std::vector<Applied> applied;
  applied.reserve(batch.size());
  for (const auto& se : batch) {
    Event e;
    e.type = se->type;
    e.revision = se->revision;
    Json parsed;
    {
      std::lock_guard lock(mu_);
      auto it = objects_.find(se->key);
      CachedObjectPtr prev = it != objects_.end() ? it->second : nullptr;
      if (!prev && !se->prev_value.empty()) {
        prev = cached(se->key, se->prev_value, se->prev_revision);
      }
      e.prev = se->type == store::EventType::kAdded ? nullptr : prev;
      // A Table watcher needs the parsed object, which the writer's announcement does not give.
      CachedObjectPtr expected;
      if (takes_expected_writes_) expected = take_expected(se->key, se->value, se->revision);
      if (se->type == store::EventType::kDeleted) {
        std::string_view last = se->prev_value;
        e.object = cached(se->key, last, se->revision, want_parsed ? &parsed : nullptr);
        if (it != objects_.end()) objects_.erase(it);
      } else {
        e.object = expected && !want_parsed
                       ? std::move(expected)
                       : cached(se->key, se->value, se->revision, want_parsed ? &parsed : nullptr);
        if (e.object) objects_[se->key] = e.object;
      }
      revision_ = std::max(revision_, se->revision);
      if (!e.object) continue;  // a value that is not an object: nothing to tell watchers
      ring_.push_back(e);
      while (ring_.size() > options_.ring_capacity) {
        ring_.pop_front();
        evicted_since_load_ = true;
      }
    }
    applied.push_back(Applied{std::move(e), std::move(parsed)});
  }
  // Each watcher gets the batch's events in order, all its lines in one write (Kubernetes' watch
  // handler flushes once no further event is waiting); watchers are independent of one another,
  // so a large fan-out is split over helper threads (Kubernetes' cacher gives every watcher its
  // own goroutine). Each slice encodes and frames for itself: an encoding is cheap next to sending
  // it to thousands of connections.
  auto deliver_range = [&](size_t begin, size_t end) {
    std::vector<Encodings> encoded(applied.size());
    std::vector<CachedObjectPtr> prev_at_rev(applied.size());
    std::vector<SharedChunkPtr> lines;  // one watcher's, reused
    // Many watchers' writes leave in batches of sends, one system call each.
    SendBatch* batch = end - begin >= kMinBatchedWatchers ? SendBatch::for_this_thread() : nullptr;
    for (size_t i = begin; i < end; ++i) {
      Watcher& w = *watchers_[i];
      if (w.gone.load(std::memory_order_relaxed)) {
        close(w);
        continue;
      }
      if (w.closed) continue;
      lines.clear();
      for (size_t k = 0; k < applied.size(); ++k) {
        deliver(w, applied[k].event, encoded[k], want_parsed ? &applied[k].parsed : nullptr,
                prev_at_rev[k], lines);
      }
      send_shared(w, lines, batch);
    }
    if (batch != nullptr) batch->flush();
  };
  const size_t n = watchers_.size();
  FanOutPool& pool = FanOutPool::instance();
  size_t slices = std::min(pool.helpers() + 1, n / kWatchersPerSlice);
  if (applied.empty() || slices <= 1) {
    deliver_range(0, n);
  } else {
    pool.run(slices, [&](size_t k) { deliver_range(k * n / slices, (k + 1) * n / slices); });
  }
  std::erase_if(watchers_, [](const std::shared_ptr<Watcher>& w) { return w->closed; });
}

Clock::MonoTime WatchCache::watcher_due(const Watcher& w) const {
  return w.request.allow_bookmarks ? std::min(w.deadline, w.next_bookmark) : w.deadline;
}

void WatchCache::check_deadlines() {
  Clock::MonoTime now = clock_.monotonic();
  // Departed clients are housekeeping in real time, whatever clock the deadlines run on.
  const auto real_now = std::chrono::steady_clock::now();
  if (now < next_deadline_ && real_now < last_scan_ + std::chrono::seconds(1)) return;
  last_scan_ = real_now;
  next_deadline_ = Clock::MonoTime::max();
  uint64_t revision = this->revision();
  for (const auto& w : watchers_) {
    if (w->closed) continue;
    if (w->gone.load()) {
      close(*w);
      continue;
    }
    const WatchEncoder& enc = *w->request.encoder;
    if (now >= w->deadline) {
      // The watch's timeout: Kubernetes sends a last bookmark just before, then ends the stream
      // cleanly so that the client re-watches from where it was.
      if (w->request.allow_bookmarks) {
        send(*w, enc.bookmark(std::max(revision, w->last_sent_revision), false));
      }
      close(*w);
      continue;
    }
    if (w->request.allow_bookmarks && now >= w->next_bookmark) {
      send(*w, enc.bookmark(std::max({revision, w->last_sent_revision, w->request.start_revision}),
                            false));
      w->next_bookmark = now + options_.bookmark_interval;
    }
    if (!w->closed) next_deadline_ = std::min(next_deadline_, watcher_due(*w));
  }
  std::erase_if(watchers_, [](const std::shared_ptr<Watcher>& w) { return w->closed; });
}

void WatchCache::run_tasks(std::deque<Task>& tasks) {
  store::EventList merged;
  for (auto it = tasks.begin(); it != tasks.end(); ++it) {
    if (it->fn) {
      it->fn();
      continue;
    }
    // Store batches queued back to back (they piled up during the last fan-out) go out together,
    // up to a bound that keeps one watcher's write moderate.
    auto next = std::next(it);
    if (merged.empty() &&
        (next == tasks.end() || next->fn || it->events.size() >= kMaxMergedEvents)) {
      process(it->events);
      continue;
    }
    merged.insert(merged.end(), it->events.begin(), it->events.end());
    if (next == tasks.end() || next->fn || merged.size() >= kMaxMergedEvents) {
      process(merged);
      merged.clear();
    }
  }
}

void WatchCache::run() {
  // Shows in `top -H` and perf: "watch-pods".
  pthread_setname_np(pthread_self(), ("watch-" + type_.plural).substr(0, 15).c_str());
  std::unique_lock lock(mu_);
  bool worked = false;
  while (true) {
    // Deadlines are on the injected clock, so the loop also wakes on its own once a second.
    const bool woken = cv_.wait_for(lock, std::chrono::seconds(1),
                                    [&] { return stopping_ || wake_ || !tasks_.empty(); });
    wake_ = false;
    if (stopping_) break;
    if (!woken && worked) {
      // A second without events: the allocator cache this thread filled while delivering goes
      // back to the arena instead of staying with an idle thread (one such thread per resource).
      lock.unlock();
      release_idle_memory();
      lock.lock();
      worked = false;
    }
    worked = worked || !tasks_.empty();
    std::deque<Task> tasks;
    tasks.swap(tasks_);
    lock.unlock();
    run_tasks(tasks);
    check_deadlines();
    lock.lock();
  }
  // Registrations still queued get their streams ended too.
  std::deque<Task> tasks;
  tasks.swap(tasks_);
  lock.unlock();
  run_tasks(tasks);
  for (auto& w : watchers_) close(*w);
  watchers_.clear();
  end_awaiting_fresh();
}

}  // namespace bosun::apiserver
