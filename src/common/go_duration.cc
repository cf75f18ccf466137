#include "common/go_duration.h"

#include <cstdint>
#include <limits>

namespace bosun {
namespace {

Error invalid(std::string_view s) {
  return make_error(ErrorCode::kBadRequest, "time: invalid duration \"" + std::string(s) + "\"");
}

// Nanoseconds per unit, 0 for an unknown unit.
uint64_t unit_nanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1'000;  // u, micro, mu
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

Result<std::chrono::nanoseconds> parse_go_duration(std::string_view s) {
  const std::string_view orig = s;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid(orig);
  // Accumulated in unsigned 64 bits with overflow checks, as Go does (limit 1<<63).
  const uint64_t limit = uint64_t{1} << 63;
  uint64_t total = 0;
  while (!s.empty()) {
    uint64_t whole = 0;
    size_t i = 0;
    bool any_digits = false;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (whole > (limit - 1) / 10) return invalid(orig);
      whole = whole * 10 + static_cast<uint64_t>(s[i] - '0');
      if (whole > limit) return invalid(orig);
      any_digits = true;
    }
    uint64_t frac = 0;
    double scale = 1;
    if (i < s.size() && s[i] == '.') {
      ++i;
      bool overflowed = false;  // digits past 63 bits of precision are dropped, as Go does
      for (; i < s.size() && is_digit(s[i]); ++i) {
        any_digits = true;
        if (overflowed) continue;
        if (frac > (limit - 1) / 10) {
          overflowed = true;
          continue;
        }
        const uint64_t next = frac * 10 + static_cast<uint64_t>(s[i] - '0');
        if (next > limit) {
          overflowed = true;
          continue;
        }
        frac = next;
        scale *= 10;
      }
    }
    if (!any_digits) return invalid(orig);
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && s[u] != '.' && !is_digit(s[u])) ++u;
    if (u == 0) {
      return make_error(ErrorCode::kBadRequest,
                        "time: missing unit in duration \"" + std::string(orig) + "\"");
    }
    const std::string_view unit = s.substr(0, u);
    const uint64_t per = unit_nanos(unit);
    if (per == 0) {
      return make_error(ErrorCode::kBadRequest, "time: unknown unit \"" + std::string(unit) +
                                                    "\" in duration \"" + std::string(orig) + "\"");
    }
    s.remove_prefix(u);
    if (whole > limit / per) return invalid(orig);
    uint64_t v = whole * per;
    if (frac > 0) {
      // frac/scale of a unit in float64 arithmetic, truncated, as Go computes it.
      v += static_cast<uint64_t>(static_cast<double>(frac) * (static_cast<double>(per) / scale));
      if (v > limit) return invalid(orig);
    }
    total += v;
    if (total > limit) return invalid(orig);
  }
  if (total == limit && !negative) return invalid(orig);
  const int64_t signed_total =
      total == limit ? std::numeric_limits<int64_t>::min() : static_cast<int64_t>(total);
  return std::chrono::nanoseconds(negative && total != limit ? -signed_total : signed_total);
}

std::string format_go_duration(std::chrono::nanoseconds d) {
  int64_t n = d.count();
  if (n == 0) return "0s";
  std::string sign = n < 0 ? "-" : "";
  uint64_t u = n < 0 ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
  // Fractional digits of `v` over 10^digits, without trailing zeros.
  auto with_fraction = [](uint64_t whole, uint64_t frac, int digits) {
    std::string out = std::to_string(whole);
    if (frac == 0) return out;
    std::string f = std::to_string(frac);
    f.insert(0, static_cast<size_t>(digits) - f.size(), '0');
    while (!f.empty() && f.back() == '0') f.pop_back();
    return out + "." + f;
  };
  if (u < 1'000'000'000) {
    if (u < 1'000) return sign + std::to_string(u) + "ns";
    if (u < 1'000'000) return sign + with_fraction(u / 1'000, u % 1'000, 3) + "\xC2\xB5s";
    return sign + with_fraction(u / 1'000'000, u % 1'000'000, 6) + "ms";
  }
  const uint64_t secs = u / 1'000'000'000;
  const uint64_t nanos = u % 1'000'000'000;
  std::string out = sign;
  if (secs >= 3600) out += std::to_string(secs / 3600) + "h";
  if (secs >= 60) out += std::to_string(secs / 60 % 60) + "m";
  out += with_fraction(secs % 60, nanos, 9) + "s";
  return out;
}

}  // namespace bosun
