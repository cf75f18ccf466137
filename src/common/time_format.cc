#include "common/time_format.h"

#include <fmt/format.h>

#include <cctype>
#include <ctime>
#include <limits>
#include <type_traits>
#include <utility>

namespace bosun {
namespace {

using std::chrono::system_clock;
// The arithmetic below works on the clock's count as nanoseconds (libstdc++'s system_clock).
static_assert(std::is_same_v<system_clock::duration, std::chrono::nanoseconds>);

// Whole seconds (rounded down) and the nanoseconds past them, without leaving int64 even at the
// clock's limits (flooring to seconds and converting back would, at its minimum).
std::pair<int64_t, int64_t> split_seconds(int64_t nanos) {
  int64_t secs = nanos / 1'000'000'000;
  int64_t rest = nanos % 1'000'000'000;
  if (rest < 0) {
    rest += 1'000'000'000;
    --secs;
  }
  return {secs, rest};
}

std::string format_base(system_clock::time_point t, int* micros) {
  const auto [secs, rest] = split_seconds(t.time_since_epoch().count());
  *micros = static_cast<int>(rest / 1000);
  std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

std::string format_rfc3339(system_clock::time_point t) {
  int micros = 0;
  return format_base(t, &micros) + "Z";
}

std::string format_rfc3339_micro(system_clock::time_point t) {
  int micros = 0;
  std::string base = format_base(t, &micros);
  return fmt::format("{}.{:06}Z", base, micros);
}

Result<system_clock::time_point> parse_rfc3339(std::string_view s) {
  auto bad = [&] {
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("parsing time \"{}\" as RFC 3339: invalid format", s));
  };
  int year, mon, day, hour, min, sec;
  if (!digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, &mon) ||
      s[7] != '-' || !digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't') ||
      !digits(s, 11, 2, &hour) || s[13] != ':' || !digits(s, 14, 2, &min) || s[16] != ':' ||
      !digits(s, 17, 2, &sec)) {
    return bad();
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) return bad();
  // system_clock counts nanoseconds in an int64: it holds 1677-09-21 to 2262-04-11. Years outside
  // that would overflow; Kubernetes accepts them, but no real timestamp in an object needs them.
  if (year < 1678 || year > 2261) {
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("parsing time \"{}\": year outside 1678-2261", s));
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    int64_t scale = 100000000;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (scale > 0) nanos += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad();
  }
  int offset_minutes = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return bad();
    }
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = mon - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = min;
  tm.tm_sec = sec;
  std::time_t tt = timegm(&tm);
  auto t = system_clock::from_time_t(tt) - std::chrono::minutes(offset_minutes);
  return t + std::chrono::duration_cast<system_clock::duration>(std::chrono::nanoseconds(nanos));
}

std::chrono::nanoseconds saturating_difference(system_clock::time_point a,
                                               system_clock::time_point b) {
  using Rep = std::chrono::nanoseconds::rep;
  const Rep x = a.time_since_epoch().count();
  const Rep y = b.time_since_epoch().count();
  Rep d = 0;
  if (__builtin_sub_overflow(x, y, &d)) {
    d = x > y ? std::numeric_limits<Rep>::max() : std::numeric_limits<Rep>::min();
  }
  return std::chrono::nanoseconds(d);
}

system_clock::time_point saturating_add(system_clock::time_point t, std::chrono::seconds s) {
  using Rep = system_clock::duration::rep;
  constexpr Rep kPerSecond = 1'000'000'000;
  // In whole seconds first, so that a sum the clock can hold is never clamped because `s` alone
  // overflows nanoseconds (1681 plus 10^10 s is 1998).
  const auto [secs, rest] = split_seconds(t.time_since_epoch().count());
  constexpr auto kMin = system_clock::time_point::min();
  constexpr auto kMax = system_clock::time_point::max();
  Rep sum_secs = 0;
  if (__builtin_add_overflow(secs, s.count(), &sum_secs)) return s.count() < 0 ? kMin : kMax;
  Rep sum = 0;
  if (__builtin_mul_overflow(sum_secs, kPerSecond, &sum) ||
      __builtin_add_overflow(sum, rest, &sum)) {
    return sum_secs < 0 ? kMin : kMax;
  }
  return system_clock::time_point(system_clock::duration(sum));
}

}  // namespace bosun
