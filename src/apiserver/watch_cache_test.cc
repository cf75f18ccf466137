// The watch cache against a real (temporary) SQLite store, with recording streams: initial state,
// resuming, 410 for too-old revisions, selector transitions, bookmarks and timeouts on a fake
// clock, and slow watchers being cut off without holding up the rest.
#include "apiserver/watch_cache.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "apiserver/object_codec.h"
#include "store/sqlite_store.h"

namespace bosun::apiserver {
namespace {

// A ResponseStream that records what is written; tests can make it look backed up.
class RecordingStream final : public ResponseStream {
 public:
  bool write(std::string data) override {
    std::unique_lock lock(mu_);
    if (gated_) {
      held_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !gated_; });
    }
    if (finished_) return false;
    // A write may carry several lines.
    size_t start = 0;
    while (start < data.size()) {
      size_t nl = data.find('\n', start);
      size_t end = nl == std::string::npos ? data.size() : nl + 1;
      lines_.push_back(data.substr(start, end - start));
      start = end;
    }
    ++writes_;
    cv_.notify_all();
    return true;
  }
  bool write_shared(const SharedChunkPtr& chunk) override {
    return write_shared_batch(std::span<const SharedChunkPtr>(&chunk, 1));
  }
  // Records how many lines each hand-over carried.
  bool write_shared_batch(std::span<const SharedChunkPtr> chunks) override {
    {
      std::lock_guard lock(mu_);
      handovers_.push_back(chunks.size());
    }
    for (const SharedChunkPtr& c : chunks) {
      if (!write(std::string(c->data()))) return false;
    }
    return true;
  }
  bool write_blocking(std::string data) override { return write(std::move(data)); }
  void finish() override {
    std::function<void(StreamEnd)> cb;
    {
      std::lock_guard lock(mu_);
      if (finished_) return;
      finished_ = true;
      cb = std::move(on_close_);
      cv_.notify_all();
    }
    if (cb) cb(StreamEnd::kFinished);
  }
  size_t queued_bytes() const override { return queued_.load(); }
  bool ended() const override {
    std::lock_guard lock(mu_);
    return finished_;
  }
  void on_close(std::function<void(StreamEnd)> callback) override {
    std::lock_guard lock(mu_);
    on_close_ = std::move(callback);
  }
  void on_drain(std::function<void()>) override {}

  // Waits until at least n lines were written (or 10 s).
  std::vector<Json> wait_lines(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return lines_.size() >= n; });
    std::vector<Json> out;
    for (const auto& l : lines_) out.push_back(Json::parse(l));
    return out;
  }
  bool wait_finished() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return finished_; });
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return lines_.size();
  }
  size_t writes() const {
    std::lock_guard lock(mu_);
    return writes_;
  }
  std::vector<size_t> handovers() const {
    std::lock_guard lock(mu_);
    return handovers_;
  }
  // While closed, a write waits (holding up the writer, as a slow socket write would).
  void close_gate() {
    std::lock_guard lock(mu_);
    gated_ = true;
  }
  void open_gate() {
    std::lock_guard lock(mu_);
    gated_ = false;
    cv_.notify_all();
  }
  // Waits until a write is waiting at the closed gate (or 10 s).
  bool wait_held() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return held_; });
  }
  std::atomic<size_t> queued_{0};

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
  std::vector<size_t> handovers_;
  size_t writes_ = 0;
  bool gated_ = false;
  bool held_ = false;
  bool finished_ = false;
  std::function<void(StreamEnd)> on_close_;
};

class JsonLines final : public WatchEncoder {
 public:
  const std::string& form() const override { return form_; }
  bool needs_parsed() const override { return false; }
  std::string encode(const CachedObject& obj, const Json*) const override { return obj.json; }
  std::string frame(std::string_view type, const CachedObject&, std::string_view encoded,
                    bool) const override {
    return "{\"type\":\"" + std::string(type) + "\",\"object\":" + std::string(encoded) + "}\n";
  }
  std::string bookmark(uint64_t revision, bool) const override {
    return "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"" +
           std::to_string(revision) + "\"}}}\n";
  }

 private:
  std::string form_ = "json";
};

Json cm(std::string_view name, std::string_view env = "dev", std::string_view ns = "default") {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"env", env}}}}}};
}

// A store watch that holds the store's delivery thread while held: registered before the
// cache's, it keeps the cache from learning of new writes meanwhile.
class DeliveryHold {
 public:
  explicit DeliveryHold(store::Store& store) {
    auto w = store.watch("/registry/configmaps/", 0, [this](Result<store::EventList>) {
      std::unique_lock lock(mu_);
      holding_ = hold_;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_; });
      holding_ = false;
    });
    EXPECT_TRUE(w.ok());
    if (w.ok()) watch_ = std::move(w).value();
  }
  ~DeliveryHold() {
    release();
    watch_.reset();
  }
  // The next delivery stops in this watch's callback until release().
  void hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  // Waits until the delivery thread is held.
  bool wait_holding() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(30), [&] { return holding_; });
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      hold_ = false;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false;
  bool holding_ = false;
  std::unique_ptr<store::Watch> watch_;
};

class WatchCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-watch-cache-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store::SqliteOptions o;
    o.path = dir_ + "/state.db";
    o.durable = false;
    auto s = store::Store::open_sqlite(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
    type_ = api::ResourceRegistry::builtin().find("", "v1", "configmaps");
    ASSERT_NE(type_, nullptr);
  }
  void TearDown() override {
    cache_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void start_cache(WatchCacheOptions o = {}) {
    auto c = WatchCache::start(*store_, *type_, "/registry/configmaps/", clock_, metrics_, o);
    ASSERT_TRUE(c.ok()) << c.error().message;
    cache_ = std::move(c).value();
  }

  uint64_t put(const Json& obj) {
    std::string key =
        object_key("/registry/configmaps/", obj["metadata"]["namespace"].get<std::string>(),
                   obj["metadata"]["name"].get<std::string>());
    auto existing = store_->get(key);
    if (existing.ok()) {
      auto kv = store_->update(key, encode_for_storage(obj), existing->mod_revision);
      EXPECT_TRUE(kv.ok());
      return kv.ok() ? kv->mod_revision : 0;
    }
    auto rev = store_->create(key, encode_for_storage(obj));
    EXPECT_TRUE(rev.ok());
    return rev.ok() ? *rev : 0;
  }
  uint64_t remove(std::string_view name) {
    auto r = store_->remove(object_key("/registry/configmaps/", "default", name));
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->revision : 0;
  }

  // Waits until the cache has applied everything the store committed (events reach it from the
  // store's delivery thread), then until its dispatcher is idle.
  void settle() {
    for (int i = 0; i < 1000 && cache_->revision() < store_->current_revision(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    cache_->sync();
  }

  // Starts the cache, stores configmap a, which the cache applies, then b while `delivery` holds
  // the store's delivery thread, so the cache has a but not b. Returns their revisions.
  std::pair<uint64_t, uint64_t> cache_holding_a_not_b(DeliveryHold& delivery) {
    start_cache();
    uint64_t a = put(cm("a"));
    settle();
    delivery.hold();
    uint64_t b = put(cm("b"));
    EXPECT_TRUE(delivery.wait_holding());
    EXPECT_LT(cache_->revision(), b);
    return {a, b};
  }

  std::shared_ptr<RecordingStream> watch(WatchRequest w) {
    auto stream = std::make_shared<RecordingStream>();
    w.stream = stream;
    w.encoder = std::make_shared<JsonLines>();
    if (w.timeout.count() == 0) w.timeout = std::chrono::hours(1);
    w.filter.compile(*type_);
    cache_->watch(std::move(w));
    cache_->sync();
    return stream;
  }

  static std::string event(const Json& line) {
    std::string rv = line["object"]["metadata"].value("resourceVersion", std::string());
    std::string name = line["object"]["metadata"].value("name", std::string());
    return line["type"].get<std::string>() + " " + name + "@" + rv;
  }
  static std::vector<std::string> events(const std::vector<Json>& lines) {
    std::vector<std::string> out;
    for (const Json& l : lines) out.push_back(event(l));
    return out;
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  const api::ResourceType* type_ = nullptr;
  FakeClock clock_;
  MetricsRegistry metrics_;
  std::unique_ptr<WatchCache> cache_;
};

TEST_F(WatchCacheTest, ALargeFanOutGivesEveryWatcherItsEventsInOrder) {
  // Enough watchers for the fan-out to be split over threads; every other one selects, so that the
  // slices also differ in which events and types they send.
  start_cache();
  std::vector<std::shared_ptr<RecordingStream>> all;
  std::vector<std::shared_ptr<RecordingStream>> prod;
  for (int i = 0; i < 1500; ++i) {
    WatchRequest w;
    w.start_revision = cache_->revision();
    if (i % 2 == 1) {
      w.filter.labels = *api::LabelSelector::parse("env=prod");
      prod.push_back(watch(std::move(w)));
    } else {
      all.push_back(watch(std::move(w)));
    }
  }
  uint64_t a = put(cm("a"));
  uint64_t b = put(cm("b", "prod"));
  uint64_t a2 = put(cm("a", "prod"));
  uint64_t d = remove("b");
  settle();
  const std::vector<std::string> want_all = {
      "ADDED a@" + std::to_string(a), "ADDED b@" + std::to_string(b),
      "MODIFIED a@" + std::to_string(a2), "DELETED b@" + std::to_string(d)};
  const std::vector<std::string> want_prod = {"ADDED b@" + std::to_string(b),
                                              "ADDED a@" + std::to_string(a2),
                                              "DELETED b@" + std::to_string(d)};
  for (size_t i = 0; i < all.size(); ++i) {
    ASSERT_EQ(events(all[i]->wait_lines(4)), want_all) << "watcher " << 2 * i;
  }
  for (size_t i = 0; i < prod.size(); ++i) {
    ASSERT_EQ(events(prod[i]->wait_lines(3)), want_prod) << "watcher " << 2 * i + 1;
  }
}

TEST_F(WatchCacheTest, EventsThatPileUpDuringAFanOutReachAWatcherInOneWrite) {
  start_cache();
  WatchRequest w1;
  w1.start_revision = cache_->revision();
  auto busy = watch(std::move(w1));  // first in the fan-out
  WatchRequest w2;
  w2.start_revision = cache_->revision();
  auto s = watch(std::move(w2));
  // A store watch started after the cache's: the store's one delivery thread hands it each batch
  // after the cache took the same batch.
  std::mutex mu;
  std::condition_variable cv;
  uint64_t delivered = 0;
  auto probe = store_->watch("/registry/configmaps/", store_->current_revision(),
                             [&](Result<store::EventList> events) {
                               if (!events.ok()) return;
                               std::lock_guard lock(mu);
                               for (const auto& e : *events) delivered = e->revision;
                               cv.notify_all();
                             });
  ASSERT_TRUE(probe.ok()) << probe.error().message;
  busy->close_gate();
  uint64_t a = put(cm("a"));
  ASSERT_TRUE(busy->wait_held());  // the dispatcher is inside a's fan-out
  uint64_t b = put(cm("b"));
  uint64_t c = put(cm("c"));
  uint64_t a2 = put(cm("a", "prod"));
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return delivered >= a2; }));
  }
  busy->open_gate();
  settle();
  const std::vector<std::string> want = {
      "ADDED a@" + std::to_string(a), "ADDED b@" + std::to_string(b),
      "ADDED c@" + std::to_string(c), "MODIFIED a@" + std::to_string(a2)};
  EXPECT_EQ(events(s->wait_lines(4)), want);
  EXPECT_EQ(events(busy->wait_lines(4)), want);
  // The three events that queued behind the first fan-out go to each watcher as one write.
  EXPECT_EQ(s->handovers(), (std::vector<size_t>{1, 3}));
  EXPECT_EQ(busy->handovers(), (std::vector<size_t>{1, 3}));
}

TEST_F(WatchCacheTest, InitialStateThenLiveEventsInOrder) {
  uint64_t a = put(cm("a"));
  start_cache();
  WatchRequest w;
  w.send_initial_state = true;
  auto s = watch(std::move(w));
  uint64_t b = put(cm("b"));
  uint64_t a2 = put(cm("a", "prod"));
  uint64_t d = remove("b");
  auto lines = s->wait_lines(4);
  EXPECT_EQ(events(lines),
            (std::vector<std::string>{
                "ADDED a@" + std::to_string(a), "ADDED b@" + std::to_string(b),
                "MODIFIED a@" + std::to_string(a2), "DELETED b@" + std::to_string(d)}));
  EXPECT_EQ(lines[2]["object"]["metadata"]["labels"]["env"], "prod");
  EXPECT_EQ(cache_->watcher_count(), 1u);
  EXPECT_EQ(metrics_.gauge_vec("apiserver_registered_watchers", "", {"group", "version", "kind"})
                .with({"", "v1", "ConfigMap"})
                .value(),
            1);
}

// resourceVersion "": the initial state is as new as the store, even while the cache lags.
TEST_F(WatchCacheTest, AConsistentWatchStartsFromEverythingCommittedBeforeIt) {
  DeliveryHold delivery(*store_);
  auto [a, b] = cache_holding_a_not_b(delivery);

  WatchRequest any;  // resourceVersion "0": the cache as it is
  any.send_initial_state = true;
  auto stale = watch(std::move(any));
  WatchRequest fresh;
  fresh.send_initial_state = true;
  fresh.consistent = true;
  auto current = watch(std::move(fresh));
  EXPECT_EQ(stale->count(), 1u);
  EXPECT_EQ(current->count(), 0u) << "a consistent watch waits for the cache to catch up";

  delivery.release();
  const std::vector<std::string> both = {"ADDED a@" + std::to_string(a),
                                         "ADDED b@" + std::to_string(b)};
  EXPECT_EQ(events(current->wait_lines(2)), both);
  // The other watch had only `a` at first, then `b` as a live event.
  EXPECT_EQ(events(stale->wait_lines(2)), both);
  settle();
  EXPECT_EQ(current->count(), 2u) << "b came once, in the initial state";
  EXPECT_EQ(cache_->watcher_count(), 2u);
}

// sendInitialEvents with resourceVersionMatch=NotOlderThan N: the initial state once the cache has
// N; one the cache already has starts at once.
TEST_F(WatchCacheTest, AWatchNotOlderThanARevisionWaitsForIt) {
  DeliveryHold delivery(*store_);
  auto [a, b] = cache_holding_a_not_b(delivery);

  WatchRequest reached;
  reached.send_initial_state = true;
  reached.min_revision = a;
  auto early = watch(std::move(reached));
  EXPECT_EQ(early->count(), 1u);
  WatchRequest ahead;
  ahead.send_initial_state = true;
  ahead.min_revision = b;
  auto waiting = watch(std::move(ahead));
  EXPECT_EQ(waiting->count(), 0u);

  delivery.release();
  EXPECT_EQ(
      events(waiting->wait_lines(2)),
      (std::vector<std::string>{"ADDED a@" + std::to_string(a), "ADDED b@" + std::to_string(b)}));
}

// A consistent watch still waiting when the cache stops gets its stream ended.
TEST_F(WatchCacheTest, AWaitingConsistentWatchEndsWithTheCache) {
  DeliveryHold delivery(*store_);
  start_cache();
  delivery.hold();
  put(cm("a"));
  ASSERT_TRUE(delivery.wait_holding());
  WatchRequest fresh;
  fresh.send_initial_state = true;
  fresh.consistent = true;
  auto stream = watch(std::move(fresh));
  // The cache stops while the store's delivery thread is held: its store watch goes, and with it
  // the barrier the watch waited for.
  cache_.reset();
  delivery.release();
  EXPECT_TRUE(stream->wait_finished());
  EXPECT_EQ(stream->count(), 0u);
}

TEST_F(WatchCacheTest, TheInitialEventsGoOutInFewWritesThenTheEndBookmark) {
  constexpr int kObjects = 600;  // well over one write's worth of lines
  std::vector<std::string> want;
  for (int i = 0; i < kObjects; ++i) {
    std::string name = fmt::format("cm{:03}", i);
    want.push_back("ADDED " + name + "@" + std::to_string(put(cm(name))));
  }
  start_cache();
  WatchRequest w;
  w.send_initial_state = true;
  w.send_initial_events_end = true;
  w.allow_bookmarks = true;
  auto s = watch(std::move(w));
  auto lines = s->wait_lines(kObjects + 1);
  ASSERT_EQ(lines.size(), static_cast<size_t>(kObjects + 1));
  EXPECT_EQ(lines.back()["type"], "BOOKMARK");
  lines.pop_back();
  EXPECT_EQ(events(lines), want);
  EXPECT_LE(s->writes(), 5u);
  // Live events follow, one write each.
  uint64_t rv = put(cm("late"));
  EXPECT_EQ(event(s->wait_lines(kObjects + 2).back()), "ADDED late@" + std::to_string(rv));
}

TEST_F(WatchCacheTest, ResumesAfterAResourceVersion) {
  start_cache();
  put(cm("a"));
  uint64_t b = put(cm("b"));
  uint64_t c = put(cm("c"));
  settle();
  WatchRequest w;
  w.start_revision = b;
  auto s = watch(std::move(w));
  uint64_t d = put(cm("d"));
  EXPECT_EQ(events(s->wait_lines(2)), (std::vector<std::string>{"ADDED c@" + std::to_string(c),
                                                                "ADDED d@" + std::to_string(d)}));
}

TEST_F(WatchCacheTest, ATooOldResourceVersionIsAnExpiredErrorEvent) {
  WatchCacheOptions o;
  o.ring_capacity = 3;
  start_cache(o);
  uint64_t first = put(cm("a"));
  uint64_t last = 0;
  for (int i = 0; i < 5; ++i) last = put(cm("x" + std::to_string(i)));
  settle();
  WatchRequest w;
  w.start_revision = first;
  auto s = watch(std::move(w));
  auto lines = s->wait_lines(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["type"], "ERROR");
  const Json& st = lines[0]["object"];
  EXPECT_EQ(st["kind"], "Status");
  EXPECT_EQ(st["code"], 410);
  EXPECT_EQ(st["reason"], "Expired");
  // The oldest event kept is the third newest; the history reaches back to just before it.
  EXPECT_EQ(st["message"], "too old resource version: " + std::to_string(first) + " (" +
                               std::to_string(last - 3) + ")");
  EXPECT_TRUE(s->wait_finished());
}

TEST_F(WatchCacheTest, SelectorTransitionsBecomeAddedAndDeleted) {
  start_cache();
  put(cm("a", "dev"));
  settle();
  WatchRequest w;
  w.start_revision = cache_->revision();
  w.filter.labels = *api::LabelSelector::parse("env=prod");
  auto s = watch(std::move(w));
  uint64_t r1 = put(cm("a", "prod"));   // starts matching
  uint64_t r2 = put(cm("a", "prod"));   // still matches (a no-op write is still an event here)
  uint64_t r3 = put(cm("a", "stage"));  // stops matching
  put(cm("a", "dev"));                  // still does not match
  uint64_t r5 = put(cm("z", "prod"));
  auto lines = s->wait_lines(4);
  EXPECT_EQ(events(lines),
            (std::vector<std::string>{
                "ADDED a@" + std::to_string(r1), "MODIFIED a@" + std::to_string(r2),
                "DELETED a@" + std::to_string(r3), "ADDED z@" + std::to_string(r5)}));
  // The DELETED event carries the last state the watcher could see, at the event's revision.
  EXPECT_EQ(lines[2]["object"]["metadata"]["labels"]["env"], "prod");
}

TEST_F(WatchCacheTest, NamespaceAndFieldFilters) {
  start_cache();
  WatchRequest w;
  w.start_revision = cache_->revision();
  w.filter.namespace_ = "team-a";
  w.filter.fields = api::FieldSelector::one_term_equal("metadata.name", "keep");
  auto s = watch(std::move(w));
  put(cm("keep", "dev", "team-b"));
  put(cm("other", "dev", "team-a"));
  uint64_t r = put(cm("keep", "dev", "team-a"));
  EXPECT_EQ(events(s->wait_lines(1)),
            (std::vector<std::string>{"ADDED keep@" + std::to_string(r)}));
  settle();
  EXPECT_EQ(s->count(), 1u);
}

TEST_F(WatchCacheTest, BookmarksAndTimeoutFollowTheClock) {
  WatchCacheOptions o;
  o.bookmark_interval = std::chrono::seconds(60);
  start_cache(o);
  uint64_t r = put(cm("a"));
  settle();
  WatchRequest w;
  w.start_revision = r;
  w.allow_bookmarks = true;
  w.timeout = std::chrono::seconds(300);
  auto s = watch(std::move(w));
  clock_.advance(std::chrono::seconds(61));
  cache_->poke();
  auto lines = s->wait_lines(1);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["type"], "BOOKMARK");
  EXPECT_EQ(lines[0]["object"]["metadata"]["resourceVersion"], std::to_string(r));
  EXPECT_FALSE(s->ended());
  clock_.advance(std::chrono::seconds(300));
  cache_->poke();
  EXPECT_TRUE(s->wait_finished());
  // A last bookmark goes out before the stream ends.
  auto all = s->wait_lines(2);
  EXPECT_EQ(all.back()["type"], "BOOKMARK");
}

TEST_F(WatchCacheTest, ASlowWatcherIsClosedAndTheOthersCarryOn) {
  WatchCacheOptions o;
  o.max_watcher_queued_bytes = 1000;
  start_cache(o);
  WatchRequest w1;
  w1.start_revision = cache_->revision();
  auto slow = watch(std::move(w1));
  WatchRequest w2;
  w2.start_revision = cache_->revision();
  auto fast = watch(std::move(w2));
  slow->queued_ = 5000;  // its client stopped reading
  put(cm("a"));
  put(cm("b"));
  EXPECT_EQ(fast->wait_lines(2).size(), 2u);
  EXPECT_TRUE(slow->wait_finished());
  EXPECT_EQ(slow->count(), 0u);
  settle();
  EXPECT_EQ(cache_->watcher_count(), 1u);
}

TEST_F(WatchCacheTest, AWritersAnnouncementDescribesOnlyTheBytesItNames) {
  start_cache();
  WatchRequest w;
  w.start_revision = cache_->revision();
  w.filter.labels = *api::LabelSelector::parse("env=prod");
  auto s = watch(std::move(w));
  const std::string a_key = object_key("/registry/configmaps/", "default", "a");
  cache_->expect_write(a_key, encode_for_storage(cm("a", "prod")), cm("a", "prod"));
  uint64_t ra = put(cm("a", "prod"));
  // Another value than announced was written: the cache reads the value itself.
  cache_->expect_write(object_key("/registry/configmaps/", "default", "b"),
                       encode_for_storage(cm("b", "prod")), cm("b", "prod"));
  put(cm("b", "dev"));
  // The announced bytes are not parsed again: what the writer said about them is taken.
  cache_->expect_write(object_key("/registry/configmaps/", "default", "c"),
                       encode_for_storage(cm("c", "dev")), cm("c", "prod"));
  uint64_t rc = put(cm("c", "dev"));
  uint64_t rz = put(cm("z", "prod"));
  auto lines = s->wait_lines(3);
  EXPECT_EQ(events(lines), (std::vector<std::string>{"ADDED a@" + std::to_string(ra),
                                                     "ADDED c@" + std::to_string(rc),
                                                     "ADDED z@" + std::to_string(rz)}));
  // The served text is the stored one with its resourceVersion.
  auto [a, revision] = cache_->get(a_key);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->json, with_resource_version(encode_for_storage(cm("a", "prod")), ra));
  EXPECT_EQ(a->labels, Json({{"env", "prod"}}));
  settle();
  EXPECT_EQ(s->count(), 3u);
}

TEST_F(WatchCacheTest, ListsServeTheCurrentObjects) {
  put(cm("a", "dev"));
  start_cache();
  put(cm("b", "prod"));
  put(cm("c", "prod", "other"));
  remove("a");
  settle();
  ObjectFilter f;
  f.labels = *api::LabelSelector::parse("env=prod");
  f.compile(*type_);
  auto snap = cache_->list("/registry/configmaps/default/", f);
  ASSERT_EQ(snap.items.size(), 1u);
  EXPECT_EQ(snap.items[0]->name, "b");
  EXPECT_EQ(snap.revision, store_->current_revision());
  EXPECT_EQ(cache_->list("/registry/configmaps/", ObjectFilter()).items.size(), 2u);
}

}  // namespace
}  // namespace bosun::apiserver
