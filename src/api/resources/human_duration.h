// Durations as kubectl's tables print them (apimachinery's duration.HumanDuration and
// ShortHumanDuration) and the AGE cell of every printer (translateTimestampSince). Used by the
// resource strategies' table_cells and by anything else that renders ages for users. Pure
// functions; safe from any thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/json.h"

namespace bosun::api::resources {

// ~2-3 significant figures: "45s", "119s", "3m20s", "10m", "3h", "2d3h", "300d", "3y40d", "12y".
// Up to 2 s in the future reads "0s" (clock skew); further ahead "<invalid>".
std::string human_duration(std::chrono::nanoseconds d);
// One unit only: "45s", "3m", "5h", "20d", "2y" (duration.ShortHumanDuration, for callers that
// want the terse form).
std::string short_human_duration(std::chrono::nanoseconds d);

// human_duration(now - then) for two times of any distance: past the 292 years nanoseconds hold,
// in whole 365-day years as HumanDuration prints them.
std::string human_duration_between(std::chrono::system_clock::time_point now,
                                   std::chrono::system_clock::time_point then);

// The AGE cell: human_duration(now - timestamp) for an RFC 3339 metav1.Time, "<unknown>" when the
// timestamp is absent or unparsable (Kubernetes prints that for a zero time).
std::string translate_timestamp_since(std::string_view rfc3339,
                                      std::chrono::system_clock::time_point now);
inline std::string translate_timestamp_since(const char* rfc3339,
                                             std::chrono::system_clock::time_point now) {
  return translate_timestamp_since(std::string_view(rfc3339), now);
}
// parse_rfc3339 for the years a nanosecond system_clock can hold (1678..2261); nullopt otherwise
// (parse_rfc3339 itself overflows outside that range) and for unparsable text.
std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view rfc3339);
// The same for a JSON value (a string, or null/absent).
std::string translate_timestamp_since(const Json& timestamp,
                                      std::chrono::system_clock::time_point now);

}  // namespace bosun::api::resources
