#include "api/resources/human_duration.h"

#include <cstdint>

#include <fmt/format.h>

#include "common/time_format.h"

namespace bosun::api::resources {
namespace {

using std::chrono::nanoseconds;

// Go's int(d.Seconds()) etc. truncate toward zero; integer division on nanoseconds does the same.
constexpr int64_t kSecond = 1'000'000'000;
constexpr int64_t kMinute = 60 * kSecond;
constexpr int64_t kHour = 60 * kMinute;

}  // namespace

std::string human_duration(nanoseconds d) {
  const int64_t ns = d.count();
  const int64_t seconds = ns / kSecond;
  // Up to two seconds of skew between machines still reads as "now", as Kubernetes allows.
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return fmt::format("{}s", seconds);
  const int64_t minutes = ns / kMinute;
  if (minutes < 10) {
    const int64_t s = seconds % 60;
    return s == 0 ? fmt::format("{}m", minutes) : fmt::format("{}m{}s", minutes, s);
  }
  if (minutes < 60 * 3) return fmt::format("{}m", minutes);
  const int64_t hours = ns / kHour;
  if (hours < 8) {
    const int64_t m = minutes % 60;
    return m == 0 ? fmt::format("{}h", hours) : fmt::format("{}h{}m", hours, m);
  }
  if (hours < 48) return fmt::format("{}h", hours);
  if (hours < 24 * 8) {
    const int64_t h = hours % 24;
    return h == 0 ? fmt::format("{}d", hours / 24) : fmt::format("{}d{}h", hours / 24, h);
  }
  if (hours < 24 * 365 * 2) return fmt::format("{}d", hours / 24);
  if (hours < 24 * 365 * 8) {
    const int64_t dy = (hours / 24) % 365;
    return dy == 0 ? fmt::format("{}y", hours / 24 / 365)
                   : fmt::format("{}y{}d", hours / 24 / 365, dy);
  }
  return fmt::format("{}y", hours / 24 / 365);
}

std::string short_human_duration(nanoseconds d) {
  const int64_t ns = d.count();
  const int64_t seconds = ns / kSecond;
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (const int64_t minutes = ns / kMinute; minutes < 60) return fmt::format("{}m", minutes);
  const int64_t hours = ns / kHour;
  if (hours < 24) return fmt::format("{}h", hours);
  if (hours < 24 * 365) return fmt::format("{}d", hours / 24);
  return fmt::format("{}y", hours / 24 / 365);
}

std::string human_duration_between(std::chrono::system_clock::time_point now,
                                   std::chrono::system_clock::time_point then) {
  const nanoseconds d = saturating_difference(now, then);
  if (d != nanoseconds::max() && d != nanoseconds::min()) return human_duration(d);
  if (d == nanoseconds::min()) return "<invalid>";
  const auto seconds = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count() -
                       std::chrono::floor<std::chrono::seconds>(then.time_since_epoch()).count();
  return fmt::format("{}y", seconds / (kHour / kSecond) / 24 / 365);
}

namespace {

// The leading four-digit year of an RFC 3339 text, or -1.
int year_of(std::string_view text) {
  if (text.size() < 5 || text[4] != '-') return -1;
  int y = 0;
  for (char c : text.substr(0, 4)) {
    if (c < '0' || c > '9') return -1;
    y = y * 10 + (c - '0');
  }
  return y;
}

// Years a system_clock time_point of nanoseconds can represent without overflow.
constexpr int kMinYear = 1678;
constexpr int kMaxYear = 2261;

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view rfc3339) {
  int year = year_of(rfc3339);
  if (year < kMinYear || year > kMaxYear) return std::nullopt;
  auto t = parse_rfc3339(rfc3339);
  if (!t.ok()) return std::nullopt;
  return *t;
}

std::string translate_timestamp_since(std::string_view rfc3339,
                                      std::chrono::system_clock::time_point now) {
  if (rfc3339.empty()) return "<unknown>";
  int year = year_of(rfc3339);
  if (year > kMaxYear) return "<invalid>";  // centuries ahead: beyond the 2 s of allowed skew
  if (year >= 0 && year < kMinYear) {
    // Centuries ago: HumanDuration prints whole 365-day years there.
    auto y = std::chrono::floor<std::chrono::years>(now.time_since_epoch()).count() + 1970;
    return fmt::format("{}y", (y - year) * 36525 / 36500);
  }
  auto t = parse_time(rfc3339);
  if (!t) return "<unknown>";
  return human_duration_between(now, *t);
}

std::string translate_timestamp_since(const Json& timestamp,
                                      std::chrono::system_clock::time_point now) {
  if (!timestamp.is_string()) return "<unknown>";
  return translate_timestamp_since(std::string_view(timestamp.get_ref<const std::string&>()), now);
}

}  // namespace bosun::api::resources
