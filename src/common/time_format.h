// RFC 3339 timestamps as the Kubernetes API writes them: metav1.Time in whole seconds
// ("2024-05-01T12:00:00Z") and metav1.MicroTime with six fractional digits
// ("2024-05-01T12:00:00.123456Z"), always UTC. Pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun {

std::string format_rfc3339(std::chrono::system_clock::time_point t);
std::string format_rfc3339_micro(std::chrono::system_clock::time_point t);
// Accepts RFC 3339 with optional fraction and a Z or ±hh:mm offset.
Result<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view s);

// a - b, saturated at the limits of nanoseconds. Every time parse_rfc3339 returns fits a
// nanosecond clock (1678..2261), but two of them can lie further apart than the 292 years its
// difference holds; plain subtraction there is signed overflow (found by strategy_fuzz).
std::chrono::nanoseconds saturating_difference(std::chrono::system_clock::time_point a,
                                               std::chrono::system_clock::time_point b);
// t + s, saturated at the clock's limits: an API's seconds field (tolerationSeconds is an int64)
// can overflow nanoseconds alone.
std::chrono::system_clock::time_point saturating_add(std::chrono::system_clock::time_point t,
                                                     std::chrono::seconds s);

}  // namespace bosun
