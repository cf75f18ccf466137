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

}  // namespace bosun
