#include "client/event_recorder.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>

#include "common/log.h"
#include "common/thread_util.h"
#include "common/time_format.h"

namespace bosun::client {

namespace {

const GroupVersionResource kEvents{"", "v1", "events"};

// EventAggregatorByReasonMessageFunc.
constexpr std::string_view kCombinedPrefix = "(combined from similar events): ";

std::string meta_string(const Json& object, const char* field) {
  if (!object.is_object()) return {};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  auto v = meta->find(field);
  return v != meta->end() && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

ObjectReference ObjectReference::of(const Json& object, std::string_view api_version,
                                    std::string_view kind) {
  ObjectReference ref;
  ref.api_version = api_version;
  ref.kind = kind;
  ref.ns = meta_string(object, "namespace");
  ref.name = meta_string(object, "name");
  ref.uid = meta_string(object, "uid");
  ref.resource_version = meta_string(object, "resourceVersion");
  return ref;
}

Json ObjectReference::to_json() const {
  // Go's omitempty: empty fields are left out.
  Json out = Json::object();
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) out[key] = v;
  };
  put("kind", kind);
  put("namespace", ns);
  put("name", name);
  put("uid", uid);
  put("apiVersion", api_version);
  put("resourceVersion", resource_version);
  put("fieldPath", field_path);
  return out;
}

template <typename V>
V* EventRecorder::Lru<V>::get(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second);
  return &it->second->second;
}

template <typename V>
V& EventRecorder::Lru<V>::put(const std::string& key, V value) {
  if (V* existing = get(key)) {
    *existing = std::move(value);
    return *existing;
  }
  order_.emplace_front(key, std::move(value));
  index_.emplace(order_.front().first, order_.begin());
  if (order_.size() > capacity_) {
    index_.erase(order_.back().first);
    order_.pop_back();
  }
  return order_.front().second;
}

EventRecorder::EventRecorder(RestClient& client, Clock& clock, EventRecorderOptions options)
    : client_(client),
      clock_(clock),
      options_(std::move(options)),
      aggregates_(options_.cache_size),
      observed_(options_.cache_size),
      spam_(options_.cache_size) {}

EventRecorder::~EventRecorder() { stop(); }

void EventRecorder::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  idle_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::string EventRecorder::unique_name(std::string_view object_name, Clock::WallTime at) {
  // makeEvent names events <object>.<UnixNano in hex>; kept strictly increasing across every
  // recorder of the process, because an injected (or coarse) clock repeats itself and two
  // controllers may name an event about the same object at the same instant (the second create
  // would fail with AlreadyExists and the event be lost).
  static std::atomic<int64_t> last{0};
  const int64_t nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
  int64_t prev = last.load(std::memory_order_relaxed);
  int64_t next;
  do {
    next = std::max(nanos, prev + 1);
  } while (!last.compare_exchange_weak(prev, next, std::memory_order_relaxed));
  return fmt::format("{}.{:x}", object_name, next);
}

bool EventRecorder::allow_spam(const std::string& key, Clock::MonoTime now) {
  SpamRecord* r = spam_.get(key);
  if (r == nullptr) {
    // A new token bucket starts full.
    r = &spam_.put(key, SpamRecord{static_cast<double>(options_.spam_burst), now});
  } else {
    double elapsed = std::chrono::duration<double>(now - r->last).count();
    r->tokens = std::min<double>(options_.spam_burst, r->tokens + elapsed * options_.spam_qps);
    r->last = now;
  }
  if (r->tokens < 1.0) return false;
  r->tokens -= 1.0;
  return true;
}

void EventRecorder::event(const ObjectReference& object, std::string_view type,
                          std::string_view reason, std::string message) {
  const Clock::WallTime now = clock_.now();
  const Clock::MonoTime mono = clock_.monotonic();
  const std::string ts = format_rfc3339(now);
  constexpr char kSep = '\x1f';
  // getSpamKey; EventAggregatorByReasonFunc adds type, reason and the reporting controller and
  // instance (ours are the source's); getEventKey adds the field path and the message.
  std::string spam_key = fmt::format("{}{}{}{}{}{}{}{}{}{}{}{}{}", options_.component, kSep,
                                     options_.host, kSep, object.kind, kSep, object.ns, kSep,
                                     object.name, kSep, object.uid, kSep, object.api_version);
  std::string aggregate_key =
      fmt::format("{}{}{}{}{}{}{}", spam_key, kSep, type, kSep, reason, kSep, options_.component);
  std::string event_key =
      fmt::format("{}{}{}{}{}", aggregate_key, kSep, object.field_path, kSep, message);

  std::string name, first_timestamp;
  int64_t count = 1;
  {
    std::lock_guard lock(correlator_mu_);
    // EventAggregate: the distinct messages of one aggregate key within the interval.
    AggregateRecord* rec = aggregates_.get(aggregate_key);
    if (rec == nullptr || mono - rec->last > options_.aggregate_interval) {
      rec = &aggregates_.put(aggregate_key, AggregateRecord{{}, mono});
    }
    if (std::find(rec->local_keys.begin(), rec->local_keys.end(), message) ==
        rec->local_keys.end()) {
      rec->local_keys.push_back(message);
    }
    rec->last = mono;
    const std::string* key = &event_key;
    if (rec->local_keys.size() >= options_.aggregate_max_events) {
      rec->local_keys.pop_front();  // the set never grows past the threshold
      key = &aggregate_key;
      message.insert(0, kCombinedPrefix);
    }
    // eventObserve: a repeat patches the Event written first.
    if (Observed* seen = observed_.get(*key); seen != nullptr && seen->count > 0) {
      name = seen->name;
      first_timestamp = seen->first_timestamp;
      count = seen->count + 1;
    } else {
      name = unique_name(object.name, now);
      first_timestamp = ts;
    }
    observed_.put(*key, Observed{name, first_timestamp, count});
    if (!allow_spam(spam_key, mono)) {
      std::lock_guard stats_lock(mu_);
      ++stats_.skipped;
      return;
    }
  }

  Pending p;
  p.patch = count > 1;
  Json involved = object.to_json();
  involved.erase("namespace");
  if (!object.ns.empty()) involved["namespace"] = object.ns;
  Json source = {{"component", options_.component}};
  if (!options_.host.empty()) source["host"] = options_.host;
  p.event = {{"apiVersion", "v1"},
             {"kind", "Event"},
             {"metadata",
              {{"name", std::move(name)},
               {"namespace", object.ns.empty() ? std::string("default") : object.ns}}},
             {"involvedObject", std::move(involved)},
             {"reason", reason},
             {"message", std::move(message)},
             {"source", std::move(source)},
             {"firstTimestamp", std::move(first_timestamp)},
             {"lastTimestamp", ts},
             {"count", count},
             {"type", type},
             {"reportingComponent", options_.component}};
  if (!options_.host.empty()) p.event["reportingInstance"] = options_.host;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= options_.max_queued) {
      ++stats_.dropped;
      return;
    }
    queue_.push_back(std::move(p));
    // The sender starts with the first event: most recorders of an idle process have none.
    if (!thread_.joinable()) {
      thread_ = std::thread([this] {
        set_thread_name("events-" + options_.component);
        run();
      });
    }
  }
  cv_.notify_one();
}

void EventRecorder::flush() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return (queue_.empty() && !busy_) || stopping_; });
}

EventRecorder::Stats EventRecorder::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void EventRecorder::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) break;
    Pending p = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    send(p);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

void EventRecorder::send(Pending& p) {
  const std::string ns = p.event["metadata"]["namespace"].get<std::string>();
  const std::string name = p.event["metadata"]["name"].get<std::string>();
  Result<Json> written = make_error(ErrorCode::kNotFound, "");
  if (p.patch) {
    Json patch = {{"count", p.event["count"]},
                  {"lastTimestamp", p.event["lastTimestamp"]},
                  {"message", p.event["message"]}};
    written = client_.patch(kEvents, ns, name, PatchType::kMerge, patch.dump());
  }
  // recordEvent: the Event to count on may be gone (the TTL removed it): write it anew.
  if (!p.patch || (!written.ok() && written.error().code == ErrorCode::kNotFound)) {
    written = client_.create(kEvents, ns, p.event);
  }
  std::lock_guard lock(mu_);
  if (written.ok() || written.error().code == ErrorCode::kAlreadyExists) {
    ++stats_.written;
    return;
  }
  ++stats_.failed;
  SPDLOG_DEBUG("{}: event {} about {} not written: {}", options_.component,
               p.event["reason"].get<std::string>(), name, written.error().message);
}

}  // namespace bosun::client
