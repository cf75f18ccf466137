#include "agent/pod_start_trace.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.h"

namespace bosun::agent::pod_start_trace {
namespace {

struct Trace {
  std::string name;
  std::chrono::system_clock::time_point began_wall;
  std::vector<std::pair<std::string, std::chrono::steady_clock::time_point>> steps;
};

// A pod that never runs (its image is missing, say) must not keep its trace forever.
constexpr size_t kMaxOpenTraces = 256;

struct Traces {
  std::mutex mu;  // guards open
  std::map<std::string, Trace, std::less<>> open;
};

Traces& traces() {
  static Traces* t = new Traces();  // never destroyed: marks may come from threads at exit
  return *t;
}

}  // namespace

bool enabled() {
  static const bool on = [] {
    const char* v = std::getenv("BOSUN_TRACE_POD_START");
    return v != nullptr && std::strcmp(v, "1") == 0;
  }();
  return on;
}

void begin(std::string_view pod_uid, std::string_view pod_name) {
  if (!enabled()) return;
  const auto now = std::chrono::steady_clock::now();
  Traces& t = traces();
  std::lock_guard lock(t.mu);
  if (t.open.find(pod_uid) != t.open.end()) return;
  if (t.open.size() >= kMaxOpenTraces) t.open.erase(t.open.begin());
  Trace& trace = t.open[std::string(pod_uid)];
  trace.name = std::string(pod_name);
  trace.began_wall = std::chrono::system_clock::now();
  trace.steps.emplace_back("informer", now);
}

void mark(std::string_view pod_uid, std::string_view step) {
  if (!enabled()) return;
  const auto now = std::chrono::steady_clock::now();
  Traces& t = traces();
  std::lock_guard lock(t.mu);
  auto it = t.open.find(pod_uid);
  if (it == t.open.end()) return;
  it->second.steps.emplace_back(std::string(step), now);
}

void finish(std::string_view pod_uid, std::string_view step) {
  if (!enabled()) return;
  const auto now = std::chrono::steady_clock::now();
  Trace trace;
  {
    Traces& t = traces();
    std::lock_guard lock(t.mu);
    auto it = t.open.find(pod_uid);
    if (it == t.open.end()) return;
    trace = std::move(it->second);
    t.open.erase(it);
  }
  trace.steps.emplace_back(std::string(step), now);
  std::string line;
  auto prev = trace.steps.front().second;
  for (const auto& [name, at] : trace.steps) {
    const double ms = std::chrono::duration<double, std::milli>(at - prev).count();
    prev = at;
    line += ' ';
    line += name;
    line += '=';
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", ms);
    line += buf;
  }
  const double total =
      std::chrono::duration<double, std::milli>(now - trace.steps.front().second).count();
  const double began = std::chrono::duration<double>(trace.began_wall.time_since_epoch()).count();
  SPDLOG_INFO("pod start trace {} began={:.6f} total={:.2f}{}", trace.name, began, total, line);
}

void drop(std::string_view pod_uid) {
  if (!enabled()) return;
  Traces& t = traces();
  std::lock_guard lock(t.mu);
  if (auto it = t.open.find(pod_uid); it != t.open.end()) t.open.erase(it);
}

}  // namespace bosun::agent::pod_start_trace
