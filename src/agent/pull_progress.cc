#include "agent/pull_progress.h"

#include <cstdio>

#include "common/go_duration.h"

namespace bosun::agent {
namespace {

std::string mebibytes(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return buf;
}

}  // namespace

std::string format_pull_progress(const std::string& image, int64_t bytes_done, int64_t bytes_total,
                                 Clock::Duration elapsed) {
  // Whole seconds: "after 20s", not Go's "after 20.004113s".
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(elapsed);
  std::string out = "Still pulling image \"" + image + "\" after " + format_go_duration(secs) +
                    ": " + mebibytes(bytes_done);
  if (bytes_total > 0 && bytes_total >= bytes_done) {
    out += " of " + mebibytes(bytes_total) + " (" + std::to_string(bytes_done * 100 / bytes_total) +
           "%)";
  }
  return out;
}

void PullProgressEvents::operator()(int64_t bytes_done, int64_t bytes_total) {
  const Clock::MonoTime now = clock_.monotonic();
  if (now - last_ < period_) return;
  last_ = now;
  ++emitted_;
  if (emit_) emit_(format_pull_progress(image_, bytes_done, bytes_total, now - began_));
}

}  // namespace bosun::agent
