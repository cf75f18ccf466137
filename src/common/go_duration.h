// Durations written as Go's time.ParseDuration reads them ("1h", "90s", "1h30m", "250ms"), for
// command-line flags that mirror Kubernetes' (--event-ttl, --node-monitor-grace-period, ...), and
// Go's Duration.String() form ("1h0m0s"). Pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun {

// Go's grammar: an optional sign, then one or more decimal numbers (fraction allowed) each with a
// unit ns, us, µs, ms, s, m or h; "0" alone is zero. Errors carry Go's messages
// (`time: invalid duration "x"`, `time: missing unit in duration "1"`,
// `time: unknown unit "d" in duration "1d"`). Values beyond ±292 years are invalid.
Result<std::chrono::nanoseconds> parse_go_duration(std::string_view s);

// Go's Duration.String(): "1h0m0s", "1m30s", "1.5s", "250ms", "0s".
std::string format_go_duration(std::chrono::nanoseconds d);

}  // namespace bosun
