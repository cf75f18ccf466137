#include "api/resources/human_duration.h"

#include <gtest/gtest.h>

#include "common/time_format.h"

namespace bosun::api::resources {
namespace {

using namespace std::chrono_literals;
using std::chrono::nanoseconds;

struct Case {
  nanoseconds d;
  const char* want;
};

// The boundaries where kubectl's AGE column changes shape.
TEST(HumanDuration, Boundaries) {
  const Case cases[] = {
      {-2s, "<invalid>"},
      {-2s + 1ns, "0s"},
      {0s, "0s"},
      {1s - 1ms, "0s"},
      {1s, "1s"},
      {70s, "70s"},
      {2min - 1ms, "119s"},
      {2min, "2m"},
      {2min + 1s, "2m1s"},
      {190s, "3m10s"},
      {200s, "3m20s"},
      {10min - 1ms, "9m59s"},
      {10min, "10m"},
      {10min + 1s, "10m"},
      {70min, "70m"},
      {3h - 1ms, "179m"},
      {3h, "3h"},
      {3h + 1min, "3h1m"},
      {8h - 1ms, "7h59m"},
      {8h, "8h"},
      {8h + 59min, "8h"},
      {47h, "47h"},
      {48h, "2d"},
      {49h, "2d1h"},
      {51h, "2d3h"},
      {8 * 24h - 1ms, "7d23h"},
      {8 * 24h, "8d"},
      {8 * 24h + 23h, "8d"},
      {367 * 24h, "367d"},
      {2 * 365 * 24h - 1ms, "729d"},
      {2 * 365 * 24h, "2y"},
      {2 * 365 * 24h + 24h - 1ms, "2y"},
      {2 * 365 * 24h + 25h, "2y1d"},
      {8 * 365 * 24h - 1ms, "7y364d"},
      {8 * 365 * 24h, "8y"},
      {8 * 365 * 24h + 364 * 24h, "8y"},
      {9 * 365 * 24h, "9y"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(human_duration(c.d), c.want) << c.d.count() << "ns";
  }
}

TEST(ShortHumanDuration, Boundaries) {
  const Case cases[] = {
      {-2s, "<invalid>"},  {-2s + 1ns, "0s"},     {0s, "0s"},         {1s, "1s"},
      {1min - 1ms, "59s"}, {1min, "1m"},          {2min - 1ms, "1m"}, {1h - 1ms, "59m"},
      {1h, "1h"},          {24h - 1ms, "23h"},    {24h, "1d"},        {365 * 24h - 1ms, "364d"},
      {365 * 24h, "1y"},   {2 * 365 * 24h, "2y"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(short_human_duration(c.d), c.want) << c.d.count() << "ns";
  }
}

TEST(TranslateTimestampSince, AgeOfAnObject) {
  auto now = *parse_rfc3339("2024-05-03T15:00:00Z");
  EXPECT_EQ(translate_timestamp_since("2024-05-03T14:56:40Z", now), "3m20s");
  EXPECT_EQ(translate_timestamp_since("2024-05-01T12:00:00Z", now), "2d3h");
  EXPECT_EQ(translate_timestamp_since(Json("2024-05-03T14:59:55Z"), now), "5s");
  // A timestamp slightly ahead of the server's clock still reads as now.
  EXPECT_EQ(translate_timestamp_since("2024-05-03T15:00:01Z", now), "0s");
  EXPECT_EQ(translate_timestamp_since("2024-05-03T15:00:05Z", now), "<invalid>");
  EXPECT_EQ(translate_timestamp_since("", now), "<unknown>");
  EXPECT_EQ(translate_timestamp_since("yesterday", now), "<unknown>");
  EXPECT_EQ(translate_timestamp_since(Json(nullptr), now), "<unknown>");
  EXPECT_EQ(translate_timestamp_since(Json(5), now), "<unknown>");
  // Years a nanosecond clock cannot hold (found by strategy_fuzz: parse_rfc3339 overflowed).
  EXPECT_EQ(translate_timestamp_since("4048-05-03T14:59:00Z", now), "<invalid>");
  EXPECT_EQ(translate_timestamp_since("1024-05-03T14:59:00Z", now), "1000y");
  // Both ends fit nanoseconds, their distance does not (strategy_fuzz: an event's
  // series.lastObservedTime in 1681 overflowed now - t).
  EXPECT_EQ(translate_timestamp_since("1681-05-03T14:59:30Z", now), "343y");
  EXPECT_EQ(translate_timestamp_since("1734-05-03T14:59:30Z", now), "290y");
  EXPECT_EQ(human_duration_between(*parse_rfc3339("1700-01-01T00:00:00Z"),
                                   *parse_rfc3339("2261-01-01T00:00:00Z")),
            "<invalid>");
  EXPECT_FALSE(parse_time("9999-12-31T23:59:59Z").has_value());
  EXPECT_TRUE(parse_time("2024-05-03T14:59:00Z").has_value());
}

}  // namespace
}  // namespace bosun::api::resources
