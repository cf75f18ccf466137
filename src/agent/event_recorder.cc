#include "agent/event_recorder.h"

#include <algorithm>
#include <cstdio>

#include "common/json_fields.h"
#include "common/log.h"
#include "common/time_format.h"

namespace bosun::agent {
namespace {

using json_fields::string_at;

constexpr size_t kMaxPosted = 4096;  // client-go's event cache is an LRU of this size

const client::GroupVersionResource kEvents{"", "v1", "events"};

class NodeEventRecorder final : public EventRecorder {
 public:
  NodeEventRecorder(ApiEventRecorder& sink, std::string host)
      : sink_(sink), host_(std::move(host)) {}
  void record(const Json& pod, std::string_view field_path, std::string_view type,
              std::string_view reason, std::string message) override;
  void hold_pod(std::string_view pod_uid) override { sink_.hold_pod(pod_uid); }
  void release_pod(std::string_view pod_uid) override { sink_.release_pod(pod_uid); }

 private:
  ApiEventRecorder& sink_;
  std::string host_;
};

}  // namespace

ApiEventRecorder::ApiEventRecorder(client::RestClient& client, Clock& clock, size_t max_backlog)
    : client_(client), clock_(clock), max_backlog_(max_backlog) {
  thread_ = std::thread([this] { run(); });
}

ApiEventRecorder::~ApiEventRecorder() { stop(); }

void ApiEventRecorder::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ApiEventRecorder::record(const Json& pod, std::string_view field_path, std::string_view type,
                              std::string_view reason, std::string message) {
  record_as("", pod, field_path, type, reason, std::move(message));
}

void ApiEventRecorder::record_as(std::string host, const Json& pod, std::string_view field_path,
                                 std::string_view type, std::string_view reason,
                                 std::string message) {
  const Json& meta = pod.is_object() && pod.contains("metadata") ? pod["metadata"] : Json();
  Pending p;
  p.pod_uid = string_at(meta, "uid");
  p.host = std::move(host);
  p.involved = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"name", string_at(meta, "name")},
                {"namespace", string_at(meta, "namespace")},
                {"uid", string_at(meta, "uid")}};
  if (!field_path.empty()) p.involved["fieldPath"] = field_path;
  p.type = type;
  p.reason = reason;
  p.message = std::move(message);
  p.at = clock_.now();
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() >= max_backlog_) {
      ++dropped_;
      return;
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_one();
}

std::unique_ptr<EventRecorder> ApiEventRecorder::for_node(std::string node_name) {
  return std::make_unique<NodeEventRecorder>(*this, std::move(node_name));
}

void NodeEventRecorder::record(const Json& pod, std::string_view field_path, std::string_view type,
                               std::string_view reason, std::string message) {
  sink_.record_as(host_, pod, field_path, type, reason, std::move(message));
}

void ApiEventRecorder::flush() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return (queue_.empty() && !busy_) || stopping_; });
}

uint64_t ApiEventRecorder::sent() const {
  std::lock_guard lock(mu_);
  return sent_;
}

uint64_t ApiEventRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void ApiEventRecorder::hold_pod(std::string_view pod_uid) {
  std::lock_guard lock(mu_);
  held_.emplace(pod_uid);
}

void ApiEventRecorder::release_pod(std::string_view pod_uid) {
  {
    std::lock_guard lock(mu_);
    auto it = held_.find(pod_uid);
    if (it == held_.end()) return;
    held_.erase(it);
  }
  cv_.notify_one();
}

std::deque<ApiEventRecorder::Pending>::iterator ApiEventRecorder::next_sendable() {
  if (held_.empty()) return queue_.begin();
  return std::find_if(queue_.begin(), queue_.end(),
                      [&](const Pending& p) { return held_.find(p.pod_uid) == held_.end(); });
}

void ApiEventRecorder::run() {
  std::unique_lock lock(mu_);
  while (true) {
    auto next = queue_.end();
    cv_.wait(lock, [&] {
      if (stopping_) return true;
      next = next_sendable();
      return next != queue_.end();
    });
    if (stopping_) break;
    Pending p = std::move(*next);
    queue_.erase(next);
    busy_ = true;
    lock.unlock();
    send(p);
    lock.lock();
    busy_ = false;
    ++sent_;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

void ApiEventRecorder::send(Pending& p) {
  const std::string ns = p.involved["namespace"].get<std::string>();
  const std::string ts = format_rfc3339(p.at);
  const std::string key = p.host + "\x1f" + p.involved["uid"].get<std::string>() + "\x1f" +
                          p.involved.value("fieldPath", "") + "\x1f" + p.type + "\x1f" + p.reason +
                          "\x1f" + p.message;
  if (auto it = posted_.find(key); it != posted_.end()) {
    // The same event again: the Event already posted counts it (client-go's EventCorrelator).
    Posted& posted = it->second;
    ++posted.count;
    lru_.splice(lru_.begin(), lru_, posted.lru);
    Json patch = {{"count", posted.count}, {"lastTimestamp", ts}};
    auto r =
        client_.patch(kEvents, posted.ns, posted.name, client::PatchType::kMerge, patch.dump());
    if (r.ok()) return;
    lru_.erase(posted.lru);
    posted_.erase(it);  // gone (the TTL removed it): post a new one
  }
  char suffix[24];
  std::snprintf(
      suffix, sizeof suffix, "%llx",
      static_cast<unsigned long long>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(p.at.time_since_epoch()).count() +
          static_cast<long long>(seq_++)));
  const std::string name = p.involved["name"].get<std::string>() + "." + suffix;
  Json event = {{"apiVersion", "v1"},
                {"kind", "Event"},
                {"metadata", {{"name", name}, {"namespace", ns}}},
                {"involvedObject", p.involved},
                {"reason", p.reason},
                {"message", p.message},
                {"type", p.type},
                {"source", {{"component", "kubelet"}, {"host", p.host}}},
                {"firstTimestamp", ts},
                {"lastTimestamp", ts},
                {"count", 1},
                {"reportingComponent", "kubelet"},
                {"reportingInstance", p.host}};
  auto r = client_.create(kEvents, ns, event);
  if (!r.ok()) {
    SPDLOG_DEBUG("event {} for pod {}/{} not posted: {}", p.reason, ns,
                 p.involved["name"].get<std::string>(), r.error().message);
    return;
  }
  lru_.push_front(key);
  posted_[key] = Posted{name, ns, 1, lru_.begin()};
  if (posted_.size() > kMaxPosted) {
    posted_.erase(lru_.back());
    lru_.pop_back();
  }
}

}  // namespace bosun::agent
