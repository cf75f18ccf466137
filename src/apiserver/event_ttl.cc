#include "apiserver/event_ttl.h"

#include <algorithm>

#include "common/json.h"
#include "common/log.h"
#include "common/time_format.h"

namespace bosun::apiserver {
namespace {

constexpr int64_t kSweepPage = 500;

void consider(const Json& obj, std::initializer_list<const char*> path,
              std::optional<Clock::WallTime>& newest) {
  const Json* at = &obj;
  for (const char* step : path) {
    if (!at->is_object()) return;
    auto it = at->find(step);
    if (it == at->end()) return;
    at = &*it;
  }
  if (!at->is_string()) return;
  auto t = parse_rfc3339(at->get_ref<const std::string&>());
  if (t.ok() && (!newest || *t > *newest)) newest = *t;
}

}  // namespace

std::optional<Clock::WallTime> event_last_change(std::string_view event_json) {
  Json obj = Json::parse(event_json, nullptr, /*allow_exceptions=*/false);
  if (!obj.is_object()) return std::nullopt;
  std::optional<Clock::WallTime> newest;
  consider(obj, {"series", "lastObservedTime"}, newest);
  consider(obj, {"lastTimestamp"}, newest);
  consider(obj, {"eventTime"}, newest);
  consider(obj, {"metadata", "creationTimestamp"}, newest);
  return newest;
}

EventReaper::EventReaper(store::Store& store, std::string prefix, std::chrono::seconds ttl,
                         Clock& clock, std::chrono::milliseconds interval)
    : store_(store),
      prefix_(std::move(prefix)),
      ttl_(ttl),
      clock_(clock),
      interval_(interval),
      thread_([this] { run(); }) {}

EventReaper::~EventReaper() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

Result<size_t> EventReaper::sweep() {
  const Clock::WallTime cutoff = clock_.now() - ttl_;
  size_t deleted = 0;
  store::ListOptions options;
  options.limit = kSweepPage;
  while (true) {
    BOSUN_ASSIGN_OR_RETURN(store::ListResult page, store_.list(prefix_, options));
    for (const store::KeyValue& kv : page.items) {
      auto changed = event_last_change(kv.value);
      // An Event with no time at all cannot be aged: keep it rather than guess.
      if (!changed || *changed >= cutoff) continue;
      auto removed = store_.remove(kv.key, kv.mod_revision);
      if (removed.ok()) {
        ++deleted;
      } else if (removed.error().code != ErrorCode::kNotFound &&
                 removed.error().code != ErrorCode::kConflict) {
        return removed.error();
      }
    }
    if (page.continue_token.empty()) break;
    options.continue_token = page.continue_token;
  }
  return deleted;
}

void EventReaper::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, interval_, [this] { return stopping_; })) break;
    lock.unlock();
    auto swept = sweep();
    if (!swept.ok()) {
      SPDLOG_WARN("event expiry: {}", swept.error().message);
    } else if (*swept > 0) {
      SPDLOG_DEBUG("event expiry: deleted {} events older than {}s", *swept, ttl_.count());
    }
    lock.lock();
  }
}

}  // namespace bosun::apiserver
