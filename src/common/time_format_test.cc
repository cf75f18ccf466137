#include "common/time_format.h"

#include <gtest/gtest.h>

#include <cstdint>

#include "common/clock.h"

namespace bosun {
namespace {

using namespace std::chrono;

TEST(TimeFormat, RoundTripsSecondsAndMicros) {
  system_clock::time_point t = system_clock::from_time_t(1714564800) + microseconds(123456);
  EXPECT_EQ(format_rfc3339(t), "2024-05-01T12:00:00Z");
  EXPECT_EQ(format_rfc3339_micro(t), "2024-05-01T12:00:00.123456Z");
  auto back = parse_rfc3339("2024-05-01T12:00:00.123456Z");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, t);
}

TEST(TimeFormat, ParsesOffsetsAndRejectsGarbage) {
  auto t = parse_rfc3339("2024-05-01T14:00:00+02:00");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(format_rfc3339(*t), "2024-05-01T12:00:00Z");
  EXPECT_FALSE(parse_rfc3339("2024-05-01 12:00:00").ok());
  EXPECT_FALSE(parse_rfc3339("2024-13-01T12:00:00Z").ok());
  EXPECT_FALSE(parse_rfc3339("").ok());
  // Out of what a nanosecond system_clock holds: an error, not an overflow.
  EXPECT_FALSE(parse_rfc3339("0001-01-01T00:00:00Z").ok());
  EXPECT_FALSE(parse_rfc3339("9999-12-31T23:59:59Z").ok());
  EXPECT_TRUE(parse_rfc3339("2261-12-31T23:59:59Z").ok());
}

TEST(TimeFormat, ArithmeticOnParsedTimesSaturatesInsteadOfOverflowing) {
  const auto early = *parse_rfc3339("1681-05-03T14:59:30Z");
  const auto late = *parse_rfc3339("2261-12-31T23:59:59Z");
  const auto now = *parse_rfc3339("2024-05-03T15:00:00Z");
  EXPECT_EQ(saturating_difference(now, early), nanoseconds::max());
  EXPECT_EQ(saturating_difference(early, late), nanoseconds::min());
  EXPECT_EQ(saturating_difference(now, now - hours(3)), hours(3));
  EXPECT_EQ(saturating_difference(now - hours(3), now), -hours(3));
  EXPECT_EQ(saturating_add(now, seconds(90)), now + seconds(90));
  EXPECT_EQ(saturating_add(now, seconds(-90)), now - seconds(90));
  // tolerationSeconds is an int64: its nanoseconds alone overflow.
  EXPECT_EQ(saturating_add(now, seconds(INT64_MAX)), system_clock::time_point::max());
  EXPECT_EQ(saturating_add(late, seconds(3'000'000'000)), system_clock::time_point::max());
  EXPECT_EQ(saturating_add(early, seconds(-3'000'000'000)), system_clock::time_point::min());
  // A sum the clock holds is exact even when the seconds alone overflow nanoseconds.
  EXPECT_EQ(saturating_add(early, seconds(10'000'000'000)),
            early + seconds(9'000'000'000) + seconds(1'000'000'000));
  EXPECT_EQ(saturating_add(system_clock::time_point::min(), seconds(0)),
            system_clock::time_point::min());
  EXPECT_EQ(saturating_add(system_clock::time_point::max(), seconds(-1)),
            system_clock::time_point::max() - seconds(1));
  // The clock's limits format without overflow (a saturated deletionTimestamp is written out).
  EXPECT_EQ(format_rfc3339(system_clock::time_point::min()), "1677-09-21T00:12:43Z");
  EXPECT_EQ(format_rfc3339_micro(system_clock::time_point::max()), "2262-04-11T23:47:16.854775Z");
}

TEST(FakeClock, SleepersWakeOnAdvance) {
  FakeClock clock;
  auto start = clock.monotonic();
  std::thread t([&] { clock.sleep_for(seconds(10)); });
  while (clock.sleepers() == 0) std::this_thread::yield();
  clock.advance(seconds(5));
  EXPECT_EQ(clock.sleepers(), 1);
  clock.advance(seconds(5));
  t.join();
  EXPECT_EQ(clock.monotonic() - start, seconds(10));
}

}  // namespace
}  // namespace bosun
