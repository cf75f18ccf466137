#include "common/go_duration.h"

#include <gtest/gtest.h>

namespace bosun {
namespace {

using namespace std::chrono_literals;

TEST(ParseGoDuration, AcceptsGosGrammar) {
  struct Case {
    const char* in;
    std::chrono::nanoseconds want;
  };
  // Cases from Go's time.ParseDuration tests.
  const Case cases[] = {
      {"0", 0ns},
      {"5s", 5s},
      {"30s", 30s},
      {"1478s", 1478s},
      {"-5s", -5s},
      {"+5s", 5s},
      {"-0", 0ns},
      {"5.0s", 5s},
      {"5.6s", 5600ms},
      {"5.s", 5s},
      {".5s", 500ms},
      {"1.004s", 1004ms},
      {"100.00100s", 100001ms},
      {"10ns", 10ns},
      {"11us", 11us},
      {"12\xC2\xB5s", 12us},
      {"13ms", 13ms},
      {"14s", 14s},
      {"15m", 15min},
      {"16h", 16h},
      {"3h30m", 3h + 30min},
      {"10.5s4m", 4min + 10500ms},
      {"-2m3.4s", -(2min + 3400ms)},
      {"1h2m3s4ms5us6ns", 1h + 2min + 3s + 4ms + 5us + 6ns},
      {"39h9m14.425s", 39h + 9min + 14425ms},
      {"52763797000ns", 52763797000ns},
      {"0.3333333333333333333h", 20min},
      {"9223372036854775807ns", 9223372036854775807ns},
      {"-9223372036854775808ns", std::chrono::nanoseconds(std::numeric_limits<int64_t>::min())},
  };
  for (const auto& c : cases) {
    auto got = parse_go_duration(c.in);
    ASSERT_TRUE(got.ok()) << c.in << ": " << got.error().message;
    EXPECT_EQ(got->count(), c.want.count()) << c.in;
  }
}

TEST(ParseGoDuration, RefusesWithGosMessages) {
  EXPECT_EQ(parse_go_duration("").error().message, "time: invalid duration \"\"");
  EXPECT_EQ(parse_go_duration("3").error().message, "time: missing unit in duration \"3\"");
  EXPECT_EQ(parse_go_duration("1d").error().message, "time: unknown unit \"d\" in duration \"1d\"");
  for (const char* bad : {"-", "s", ".", "-.", ".s", "+.s", "9223372036854775808ns",
                          "-9223372036854775809ns", "3000000h", "1x2"}) {
    EXPECT_FALSE(parse_go_duration(bad).ok()) << bad;
  }
}

TEST(FormatGoDuration, PrintsAsGoDoes) {
  EXPECT_EQ(format_go_duration(0ns), "0s");
  EXPECT_EQ(format_go_duration(1h), "1h0m0s");
  EXPECT_EQ(format_go_duration(90s), "1m30s");
  EXPECT_EQ(format_go_duration(1500ms), "1.5s");
  EXPECT_EQ(format_go_duration(250ms), "250ms");
  EXPECT_EQ(format_go_duration(1100ns), "1.1\xC2\xB5s");
  EXPECT_EQ(format_go_duration(-40s), "-40s");
  EXPECT_EQ(format_go_duration(300s), "5m0s");
}

}  // namespace
}  // namespace bosun
