#include "api/quantity.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace bosun::api {
namespace {

using F = QuantityFormat;
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

constexpr std::string_view kFormatWrong =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kNumeric = "unable to parse numeric part of quantity";
constexpr std::string_view kSuffix = "unable to parse quantity's suffix";

Quantity must_parse(std::string_view s) {
  Result<Quantity> q = Quantity::parse(s);
  EXPECT_TRUE(q.ok()) << s << ": " << (q.ok() ? "" : q.error().message);
  return q.ok() ? *q : Quantity();
}

// Expected values and formats from TestQuantityParse in apimachinery's quantity_test.go.
struct ParseCase {
  std::string_view input;
  int64_t mantissa;
  int32_t exponent;
  QuantityFormat format;
};

const ParseCase kParseCases[] = {
    {"0", 0, 0, F::kDecimalSI},
    {"0n", 0, 0, F::kDecimalSI},
    {"0u", 0, 0, F::kDecimalSI},
    {"0m", 0, 0, F::kDecimalSI},
    {"0Ki", 0, 0, F::kBinarySI},
    {"0k", 0, 0, F::kDecimalSI},
    {"0Mi", 0, 0, F::kBinarySI},
    {"0M", 0, 0, F::kDecimalSI},
    {"0Gi", 0, 0, F::kBinarySI},
    {"0G", 0, 0, F::kDecimalSI},
    {"0Ti", 0, 0, F::kBinarySI},
    {"0T", 0, 0, F::kDecimalSI},
    {"1", 1, 0, F::kDecimalSI},
    {"1Ki", 1024, 0, F::kBinarySI},
    {"8Ki", 8 * 1024, 0, F::kBinarySI},
    {"7Mi", 7LL << 20, 0, F::kBinarySI},
    {"6Gi", 6LL << 30, 0, F::kBinarySI},
    {"5Ti", 5LL << 40, 0, F::kBinarySI},
    {"4Pi", 4LL << 50, 0, F::kBinarySI},
    {"3Ei", 3LL << 60, 0, F::kBinarySI},
    {"10Ti", 10LL << 40, 0, F::kBinarySI},
    {"100Ti", 100LL << 40, 0, F::kBinarySI},
    {"5n", 5, -9, F::kDecimalSI},
    {"4u", 4, -6, F::kDecimalSI},
    {"3m", 3, -3, F::kDecimalSI},
    {"9", 9, 0, F::kDecimalSI},
    {"8k", 8, 3, F::kDecimalSI},
    {"50k", 5, 4, F::kDecimalSI},
    {"7M", 7, 6, F::kDecimalSI},
    {"6G", 6, 9, F::kDecimalSI},
    {"5T", 5, 12, F::kDecimalSI},
    {"40T", 4, 13, F::kDecimalSI},
    {"300T", 3, 14, F::kDecimalSI},
    {"2P", 2, 15, F::kDecimalSI},
    {"1E", 1, 18, F::kDecimalSI},
    {"1E-3", 1, -3, F::kDecimalExponent},
    {"1e3", 1, 3, F::kDecimalExponent},
    {"1E6", 1, 6, F::kDecimalExponent},
    {"1e9", 1, 9, F::kDecimalExponent},
    {"1E12", 1, 12, F::kDecimalExponent},
    {"1e15", 1, 15, F::kDecimalExponent},
    {"1E18", 1, 18, F::kDecimalExponent},
    {"1e14", 1, 14, F::kDecimalExponent},
    {"1e13", 1, 13, F::kDecimalExponent},
    {"100.035k", 100035, 0, F::kDecimalSI},
    {"0.001", 1, -3, F::kDecimalSI},
    {"0.0005k", 5, -1, F::kDecimalSI},
    {"0.005", 5, -3, F::kDecimalSI},
    {"0.05", 5, -2, F::kDecimalSI},
    {"0.5", 5, -1, F::kDecimalSI},
    {"0.00050k", 5, -1, F::kDecimalSI},
    {"0.00500", 5, -3, F::kDecimalSI},
    {"0.05000", 5, -2, F::kDecimalSI},
    {"0.50000", 5, -1, F::kDecimalSI},
    {"0.5e0", 5, -1, F::kDecimalExponent},
    {"0.5e-1", 5, -2, F::kDecimalExponent},
    {"0.5e-2", 5, -3, F::kDecimalExponent},
    {"10.035M", 10035, 3, F::kDecimalSI},
    {"1.2e3", 12, 2, F::kDecimalExponent},
    {"1.3E+6", 13, 5, F::kDecimalExponent},
    {"1.40e9", 14, 8, F::kDecimalExponent},
    {"1.53E12", 153, 10, F::kDecimalExponent},
    {"1.6e15", 16, 14, F::kDecimalExponent},
    {"1.7E18", 17, 17, F::kDecimalExponent},
    {"9.01", 901, -2, F::kDecimalSI},
    {"8.1k", 81, 2, F::kDecimalSI},
    {"7.123456M", 7123456, 0, F::kDecimalSI},
    {"6.987654321G", 6987654321, 0, F::kDecimalSI},
    {"5.444T", 5444, 9, F::kDecimalSI},
    {"40.1T", 401, 11, F::kDecimalSI},
    {"300.2T", 3002, 11, F::kDecimalSI},
    {"2.5P", 25, 14, F::kDecimalSI},
    {"1.01E", 101, 16, F::kDecimalSI},
    // Things that saturate or round.
    {"3.001n", 4, -9, F::kDecimalSI},
    {"1.1E-9", 2, -9, F::kDecimalExponent},
    {"0.0000000001", 1, -9, F::kDecimalSI},
    {"0.0000000005", 1, -9, F::kDecimalSI},
    {"0.00000000050", 1, -9, F::kDecimalSI},
    {"0.5e-9", 1, -9, F::kDecimalExponent},
    {"0.9n", 1, -9, F::kDecimalSI},
    {"0.00000012345", 124, -9, F::kDecimalSI},
    {"0.00000012354", 124, -9, F::kDecimalSI},
    {"9Ei", kMax, 0, F::kBinarySI},
    {"9223372036854775807Ki", kMax, 0, F::kBinarySI},
    {"12E", 12, 18, F::kDecimalSI},
    // Fractional binary values.
    {"100.035Ki", 10243584, -2, F::kBinarySI},
    {"0.5Mi", 512 * 1024, 0, F::kBinarySI},
    {"0.05Gi", 536870912, -1, F::kBinarySI},
    {"0.025Ti", 274877906944, -1, F::kBinarySI},
    // "Things written by trolls".
    {"0.000000000001Ki", 2, -9, F::kDecimalSI},
    {".001", 1, -3, F::kDecimalSI},
    {".0001k", 100, -3, F::kDecimalSI},
    {"1.", 1, 0, F::kDecimalSI},
    {"1.G", 1, 9, F::kDecimalSI},
};

TEST(QuantityParse, UpstreamTable) {
  for (const ParseCase& c : kParseCases) {
    SCOPED_TRACE(c.input);
    Quantity want = Quantity::from_scaled(c.mantissa, c.exponent);
    Quantity got = must_parse(c.input);
    EXPECT_EQ(got, want) << got << " vs " << want;
    EXPECT_EQ(got.format(), c.format) << quantity_format_name(got.format());

    // Kubernetes' test also parses every input with "-" and "+" in front.
    Quantity negative = must_parse(std::string("-") + std::string(c.input));
    EXPECT_EQ(negative, -want) << negative;
    EXPECT_EQ(negative.format(), c.format);
    Quantity positive = must_parse(std::string("+") + std::string(c.input));
    EXPECT_EQ(positive, want) << positive;
    EXPECT_EQ(positive.format(), c.format);
  }
}

struct InvalidCase {
  std::string_view input;
  std::string_view message;
};

TEST(QuantityParse, RejectsWithKubernetesMessages) {
  const InvalidCase cases[] = {
      {"", kFormatWrong},
      {"1.1.M", kFormatWrong},
      {"1+1.0M", kFormatWrong},
      {"0.1mi", kSuffix},
      {"0.1am", kFormatWrong},
      {"aoeu", kFormatWrong},
      {"Non-Numeric", kFormatWrong},
      {".5i", kSuffix},
      {"1i", kSuffix},
      {"-3.01i", kSuffix},
      {"-3.01e-", kSuffix},
      {"1e", kSuffix},
      {"1K", kSuffix},
      {"1ki", kSuffix},
      {"1Ee3", kSuffix},
      {"1Mi1", kSuffix},
      {"1e4294967297", kSuffix},  // past int32: rejected, not truncated to 1e1
      {"1e-2147483648", kSuffix},
      {"1e9223372036854775808", kSuffix},
      {" 1", kFormatWrong},
      {"1 ", kFormatWrong},
      {"1.5x", kFormatWrong},
      {"1e3i", kFormatWrong},
      {"1\xd9\xa1", kFormatWrong},
      // The exact path needs at least one digit.
      {"Ei", kNumeric},
      {"-Pi", kNumeric},
      {"e-10", kNumeric},
      {".e-12", kNumeric},
  };
  for (const InvalidCase& c : cases) {
    SCOPED_TRACE(c.input);
    Result<Quantity> q = Quantity::parse(c.input);
    ASSERT_FALSE(q.ok()) << *q;
    EXPECT_EQ(q.error().message, c.message);
    EXPECT_EQ(q.error().code, ErrorCode::kBadRequest);
  }
}

TEST(QuantityParse, AcceptsWhatKubernetesAcceptsWithoutDigits) {
  // parseQuantityString treats a missing number as zero on its int64 path.
  for (std::string_view s :
       {"-", "+", ".", "-.", "m", "k", "Ki", "Ti", "e5", "0.", "000", "-0", "0e-20"}) {
    SCOPED_TRACE(s);
    Quantity q = must_parse(s);
    EXPECT_TRUE(q.is_zero());
    EXPECT_EQ(q.to_string(), "0");
  }
  EXPECT_EQ(must_parse("Ki").format(), F::kBinarySI);
  // A value whose printed exponent would leave int32 is refused: it could not be read back
  // (found by quantity_fuzz).
  EXPECT_FALSE(Quantity::parse("170000000000e2147483647").ok());
  EXPECT_FALSE(Quantity::parse("1000e2147483647").ok());
  EXPECT_TRUE(Quantity::parse("1000e2147483645").ok());  // printed 100e2147483646
  EXPECT_TRUE(Quantity::parse("1000e2147483644").ok());
  EXPECT_TRUE(Quantity::parse("0e2147483647").ok());
  EXPECT_TRUE(Quantity::parse("1e2147483647").ok());
  EXPECT_TRUE(Quantity::parse("1e-2147483647").ok());
}

// Expected strings from TestQuantityString; `alternate` spellings must print the same.
struct StringCase {
  int64_t mantissa;
  int32_t exponent;
  QuantityFormat format;
  std::string_view expect;
  std::string_view alternate;
};

TEST(QuantityToString, UpstreamTable) {
  const StringCase cases[] = {
      {1024 * 1024 * 1024, 0, F::kBinarySI, "1Gi", "1024Mi"},
      {300 * 1024 * 1024, 0, F::kBinarySI, "300Mi", "307200Ki"},
      {6 * 1024, 0, F::kBinarySI, "6Ki", ""},
      {1001LL * 1024 * 1024 * 1024, 0, F::kBinarySI, "1001Gi", "1025024Mi"},
      {1LL << 40, 0, F::kBinarySI, "1Ti", "1024Gi"},
      {5, 0, F::kBinarySI, "5", "5000m"},
      {500, -3, F::kBinarySI, "500m", "0.5"},
      {1, 9, F::kDecimalSI, "1G", "1000M"},
      {1000, 6, F::kDecimalSI, "1G", "0.001T"},
      {1000000, 3, F::kDecimalSI, "1G", ""},
      {1000000000, 0, F::kDecimalSI, "1G", ""},
      {1, -3, F::kDecimalSI, "1m", "1000u"},
      {80, -3, F::kDecimalSI, "80m", ""},
      {1080, -3, F::kDecimalSI, "1080m", "1.08"},
      {108, -2, F::kDecimalSI, "1080m", "1080000000n"},
      {10800, -4, F::kDecimalSI, "1080m", ""},
      {300, 6, F::kDecimalSI, "300M", ""},
      {1, 12, F::kDecimalSI, "1T", ""},
      {1, 18, F::kDecimalSI, "1E", ""},
      // Past E there is no decimal SI suffix: exponent notation keeps the magnitude.
      {1, 21, F::kDecimalSI, "1e21", "1000E"},
      {5, 21, F::kDecimalSI, "5e21", "5000E"},
      {1, 24, F::kDecimalSI, "1e24", "1000000E"},
      // Past Ei there is no binary suffix: the exact decimal value.
      {1, 70, F::kBinarySI, "10e69", ""},
      {2, 70, F::kBinarySI, "20e69", ""},
      {1, 72, F::kBinarySI, "1e72", ""},
      {1234567, 6, F::kDecimalSI, "1234567M", ""},
      {1234567, -3, F::kBinarySI, "1234567m", ""},
      {3, 3, F::kDecimalSI, "3k", ""},
      {1025, 0, F::kBinarySI, "1025", ""},
      {0, 0, F::kDecimalSI, "0", ""},
      {0, 0, F::kBinarySI, "0", ""},
      {1, 9, F::kDecimalExponent, "1e9", ".001e12"},
      {1, -3, F::kDecimalExponent, "1e-3", "0.001e0"},
      {1, -9, F::kDecimalExponent, "1e-9", "1000e-12"},
      {80, -3, F::kDecimalExponent, "80e-3", ""},
      {300, 6, F::kDecimalExponent, "300e6", ""},
      {1, 12, F::kDecimalExponent, "1e12", ""},
      {1, 3, F::kDecimalExponent, "1e3", ""},
      {3, 3, F::kDecimalExponent, "3e3", ""},
      {0, 0, F::kDecimalExponent, "0", "00"},
      {1, -9, F::kDecimalSI, "1n", ""},
      {80, -9, F::kDecimalSI, "80n", ""},
      {1080, -9, F::kDecimalSI, "1080n", ""},
      {108, -8, F::kDecimalSI, "1080n", ""},
      {10800, -10, F::kDecimalSI, "1080n", ""},
      {1, -6, F::kDecimalSI, "1u", ""},
      {80, -6, F::kDecimalSI, "80u", ""},
      {1080, -6, F::kDecimalSI, "1080u", ""},
  };
  for (const StringCase& c : cases) {
    SCOPED_TRACE(std::string(c.expect));
    Quantity q = Quantity::from_scaled(c.mantissa, c.exponent, c.format);
    EXPECT_EQ(q.to_string(), c.expect);
    EXPECT_EQ(must_parse(c.expect).to_string(), c.expect);
    if (!c.alternate.empty()) {
      EXPECT_EQ(must_parse(c.alternate).to_string(), c.expect);
    }
    if (!q.is_zero()) {
      EXPECT_EQ((-q).to_string(), "-" + std::string(c.expect));
    }
  }
}

TEST(QuantityToString, BelowNanoFallsBackToExponent) {
  // Only reachable by construction: parsing rounds to nano (TestQuantityStringBelowNano).
  EXPECT_EQ(Quantity::from_scaled(1, -12).to_string(), "1e-12");
  EXPECT_EQ(Quantity::from_scaled(1, -10).to_string(), "100e-12");
}

TEST(QuantityToString, BinaryZeroExponent) {
  EXPECT_EQ(Quantity::from_int(2000, F::kBinarySI).to_string(), "2000");
  EXPECT_EQ(Quantity::from_int(-2000, F::kBinarySI).to_string(), "-2000");
}

TEST(QuantityToString, ParseEmit) {
  // TestQuantityParseEmit, and every case negated.
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"1Ki", "1Ki"},
      {"1Mi", "1Mi"},
      {"1Gi", "1Gi"},
      {"1024Mi", "1Gi"},
      {"1000M", "1G"},
      {".001Ki", "1024m"},
      {".000001Ki", "1024u"},
      {".000000001Ki", "1024n"},
      {".000000000001Ki", "2n"},
  };
  for (const auto& [in, out] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(must_parse(in).to_string(), out);
    EXPECT_EQ(must_parse("-" + std::string(in)).to_string(), "-" + std::string(out));
  }
}

TEST(QuantityToString, CommonSpellings) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"1.5", "1500m"},      {"1024Mi", "1Gi"},  {"0.5Gi", "512Mi"},
      {"1000m", "1"},        {"100Mi", "100Mi"}, {"1e3", "1e3"},
      {"1000", "1k"},        {"0.1", "100m"},    {"1.5Gi", "1536Mi"},
      {"1.1Ki", "1126400m"}, {"1536", "1536"},   {"2048Ki", "2Mi"},
      {"500m", "500m"},      {"0.25", "250m"},   {"1.5k", "1500"},
      {"-0.5", "-500m"},     {"129e6", "129e6"}, {"128974848", "128974848"},
      {"1e4", "10e3"},       {"1.5e3", "1500"},  {"2000m", "2"},
      {"1Pi", "1Pi"},        {"1024Pi", "1Ei"},
  };
  for (const auto& [in, out] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(must_parse(in).to_string(), out);
  }
}

TEST(QuantityToString, KeepsInputThatIsAlreadyCanonicalInShape) {
  // ParseQuantity stores its input as the printed text when the int64 fast path sees it in
  // canonical shape (exponent a multiple of 3, no "000" tail, no leading zero digit), so these echo
  // back as written ...
  EXPECT_EQ(must_parse("+1").to_string(), "+1");
  EXPECT_EQ(must_parse("1E3").to_string(), "1E3");
  EXPECT_EQ(must_parse("+1Ki").to_string(), "+1Ki");
  // ... while anything else, and any result of arithmetic, is printed canonically.
  EXPECT_EQ(must_parse("+1000").to_string(), "1k");
  EXPECT_EQ(must_parse("+8Ki").to_string(), "8Ki");
  EXPECT_EQ((must_parse("+1") + Quantity()).to_string(), "1");
  EXPECT_EQ((-must_parse("+1Ki")).to_string(), "-1Ki");
}

// TestParseQuantity: values around 18 to 20 digits and the int64 limits; canonical is the input
// unless given.
TEST(QuantityToString, AroundInt64Limits) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"-999999999999999999", ""},
      {"999999999999999999", ""},
      {"-999999999999999999.0", "-999999999999999999"},
      {"999999999999999999.1", "999999999999999999100m"},
      {"-9999999999999999999", ""},
      {"9999999999999999999", ""},
      {"-1E", ""},
      {"-1000000000000000000", "-1E"},
      {"1000000000000000000", "1E"},
      {"-1.0E", "-1E"},
      {"1000000000000000000.0", "1E"},
      {"-9999999999999999999000m", "-9999999999999999999"},
      {"9999999999999999999.1", "9999999999999999999100m"},
      {"1.0000000000000000001E", "1000000000000000000100m"},
      {"-1000000000000000000.1", "-1000000000000000000100m"},
      {"1.000000000000000001E", "1000000000000000001"},
      {"1000000000000000001", ""},
      {"-10E", ""},
      {"10000000000000000000", "10E"},
      {"-10.0E", "-10E"},
      {"10000000000000000000000m", "10E"},
      {"10.0000000000000000001E", "10000000000000000000100m"},
      {"10.000000000000000001E", "10000000000000000001"},
      {"-9223372036854775809", ""},
      {"9223372036854775806.0", "9223372036854775806"},
      {"-9223372036854775809000m", "-9223372036854775809"},
      {"9223372036854775807", ""},
      {"9223372036854775807.1", "9223372036854775807100m"},
      {"-9223372036854775808", ""},
      {"9223372036854775808", ""},
      {"9223372036854775808000m", "9223372036854775808"},
      {"-9223372036854775807.1", "-9223372036854775807100m"},
  };
  for (const auto& [in, canonical] : cases) {
    SCOPED_TRACE(in);
    EXPECT_EQ(must_parse(in).to_string(), canonical.empty() ? in : canonical);
  }
}

TEST(QuantityToString, HugeAndTinyAreExact) {
  EXPECT_EQ(must_parse("123456789012345678901234567890").to_string(),
            "123456789012345678901234567890");
  EXPECT_EQ(must_parse("1E18").to_string(), "1E18");
  EXPECT_EQ(must_parse("1e18").to_string(), "1e18");
  EXPECT_EQ(must_parse("1E").to_string(), "1E");
  EXPECT_EQ(must_parse("1n").to_string(), "1n");
  EXPECT_EQ(must_parse("0.1n").to_string(), "1n");
  EXPECT_EQ(must_parse("-0.1n").to_string(), "-1n");
  EXPECT_EQ(must_parse("1e2147483647").to_string(), "10e2147483646");
  EXPECT_EQ(must_parse("1e-2147483647").to_string(), "1e-9");
  EXPECT_EQ(must_parse("-.484785E-7466").to_string(), "-1e-9");
  // 8Ei is 2^63, one past int64: Kubernetes caps binary input at 2^63-1.
  EXPECT_EQ(must_parse("8Ei").to_string(), "9223372036854775807");
  EXPECT_EQ(must_parse("-8Ei").to_string(), "-9223372036854775807");
  EXPECT_EQ(must_parse("7Ei").to_string(), "7Ei");
}

TEST(QuantityCompare, AcrossFormats) {
  EXPECT_GT(must_parse("1Gi"), must_parse("1G"));
  EXPECT_EQ(must_parse("1000m"), must_parse("1"));
  EXPECT_EQ(must_parse("1k"), must_parse("1e3"));
  EXPECT_EQ(must_parse("1Ki"), must_parse("1024"));
  EXPECT_LT(must_parse("100m"), must_parse("0.2"));
  EXPECT_GT(must_parse("10000T"), must_parse("100Gi"));
  EXPECT_LT(must_parse("50m"), must_parse("100m"));
  EXPECT_EQ(must_parse("0"), must_parse("0Gi"));
  EXPECT_LT(must_parse("-1"), must_parse("0"));
  EXPECT_LT(must_parse("-1Gi"), must_parse("-1G"));
  EXPECT_LT(must_parse("1n"), must_parse("1e2147483647"));
  EXPECT_LT(must_parse("-1e2147483647"), must_parse("-1n"));
  EXPECT_LT(must_parse("9223372036854775807"), must_parse("9223372036854775808"));
  EXPECT_EQ(must_parse("123456789012345678901234567890"),
            must_parse("123456789012345678901234567.89k"));
}

struct CmpCase {
  int64_t a_mantissa;
  int32_t a_exponent;
  int64_t b_mantissa;
  int32_t b_exponent;
  int want;
};

// TestQuantityCmpInt64AndDec, run on Quantity and on the exact fallback.
TEST(QuantityCompare, Int64EdgesAndFallbackAgree) {
  const int64_t e18 = 1'000'000'000'000'000'000;
  const CmpCase cases[] = {
      {901, -2, 901, -2, 0},    {90, -1, 901, -2, -1}, {901, -2, 900, -2, 1},
      {0, 0, 0, 0, 0},          {0, 1, 0, -1, 0},      {0, -1, 0, 1, 0},
      {800, -3, 1, 0, -1},      {800, -3, 79, -2, 1},  {kMax, 0, 1, -1, 1},
      {kMax, 1, 1, 0, 1},       {kMax, 1, 1, 1, 1},    {kMax, 1, 0, 1, 1},
      {kMax, -16, 1, 3, -1},    {kMin, 0, 0, 0, -1},   {kMin, -18, -1, 0, -1},
      {kMin, -19, -1, 0, 1},    {e18, -17, 1, 1, 0},   {e18, -17, -10, 0, 1},
      {-e18, -17, -10, 0, 0},   {e18, -17, 1, 0, 1},   {e18 + 1, -17, 1, 1, 1},
      {e18 - 1, -17, 1, 1, -1},
  };
  for (const CmpCase& c : cases) {
    SCOPED_TRACE(testing::Message() << c.a_mantissa << "e" << c.a_exponent << " vs " << c.b_mantissa
                                    << "e" << c.b_exponent);
    Quantity a = Quantity::from_scaled(c.a_mantissa, c.a_exponent);
    Quantity b = Quantity::from_scaled(c.b_mantissa, c.b_exponent);
    EXPECT_EQ(a.cmp(b), c.want);
    EXPECT_EQ(b.cmp(a), -c.want);
    ExactDecimal da = ExactDecimal::from_int(c.a_mantissa, c.a_exponent);
    ExactDecimal db = ExactDecimal::from_int(c.b_mantissa, c.b_exponent);
    EXPECT_EQ(compare(da, db), c.want);
    EXPECT_EQ(compare(db, da), -c.want);
  }
}

struct ArithmeticCase {
  Quantity a;
  Quantity b;
  Quantity want;
  QuantityFormat want_format;
};

TEST(QuantityArithmetic, AddAndSubKeepTheLeftFormat) {
  // TestAdd and TestSub.
  const ArithmeticCase adds[] = {
      {Quantity::from_int(10), Quantity::from_scaled(1, 1), Quantity::from_int(20), F::kDecimalSI},
      {Quantity::from_int(10), Quantity::from_int(1, F::kBinarySI), Quantity::from_int(11),
       F::kDecimalSI},
      {Quantity::from_int(10, F::kBinarySI), Quantity::from_int(1), Quantity::from_int(11),
       F::kBinarySI},
      {Quantity(), Quantity::from_int(50), Quantity::from_int(50), F::kDecimalSI},
      {Quantity(), Quantity::from_int(50, F::kBinarySI), Quantity::from_int(50), F::kBinarySI},
      {Quantity::from_int(50), Quantity(), Quantity::from_int(50), F::kDecimalSI},
      {Quantity(), Quantity(), Quantity(), F::kDecimalSI},
  };
  for (const ArithmeticCase& c : adds) {
    Quantity sum = c.a;
    sum += c.b;
    EXPECT_EQ(sum, c.want) << sum;
    EXPECT_EQ(sum.format(), c.want_format);
    EXPECT_EQ(c.a + c.b, c.want);
  }
  const ArithmeticCase subs[] = {
      {Quantity::from_int(10), Quantity::from_scaled(1, 1), Quantity(), F::kDecimalSI},
      {Quantity::from_int(10), Quantity::from_int(1, F::kBinarySI), Quantity::from_int(9),
       F::kDecimalSI},
      {Quantity::from_int(10, F::kBinarySI), Quantity::from_int(1), Quantity::from_int(9),
       F::kBinarySI},
      {Quantity(), Quantity::from_int(50), Quantity::from_int(-50), F::kDecimalSI},
      {Quantity::from_int(50), Quantity(), Quantity::from_int(50), F::kDecimalSI},
      {Quantity(), Quantity(), Quantity(), F::kDecimalSI},
  };
  for (const ArithmeticCase& c : subs) {
    Quantity diff = c.a;
    diff -= c.b;
    EXPECT_EQ(diff, c.want) << diff;
    EXPECT_EQ(diff.format(), c.want_format);
    EXPECT_EQ(c.a - c.b, c.want);
  }
}

TEST(QuantityArithmetic, ZeroPreservesSuffix) {
  // TestQuantityAddZeroPreservesSuffix and TestQuantitySubZeroPreservesSuffix.
  for (std::string_view s : {"100m", "1Gi"}) {
    Quantity v = must_parse(s);
    EXPECT_EQ((v + must_parse("0")).to_string(), s);
    EXPECT_EQ((must_parse("0") + v).to_string(), s);
    EXPECT_EQ((v - must_parse("0")).to_string(), s);
    EXPECT_EQ((must_parse("0") - v).to_string(), "-" + std::string(s));
  }
}

TEST(QuantityArithmetic, SumsAcrossSuffixes) {
  Quantity total;
  for (std::string_view s : {"100m", "250m", "1", "1.5"}) total += must_parse(s);
  EXPECT_EQ(total.to_string(), "2850m");
  EXPECT_EQ(total.milli_value(), 2850);
  Quantity memory = must_parse("512Mi") + must_parse("512Mi");
  EXPECT_EQ(memory.to_string(), "1Gi");
  EXPECT_EQ((must_parse("1Gi") - must_parse("1G")).to_string(), "73741824");
  EXPECT_EQ((must_parse("1G") - must_parse("1Gi")).to_string(), "-73741824");
  EXPECT_EQ((-must_parse("9.01")).to_string(), "-9010m");  // TestQuantityNeg
}

TEST(QuantityArithmetic, OverflowMovesToTheExactFallback) {
  Quantity max = Quantity::from_int(kMax);
  Quantity past = max + Quantity::from_int(1);
  EXPECT_EQ(past.to_string(), "9223372036854775808");
  EXPECT_EQ(past, must_parse("9223372036854775808"));
  EXPECT_GT(past, max);
  Quantity back = past - Quantity::from_int(1);
  EXPECT_EQ(back, max);
  EXPECT_EQ(back.value(), kMax);

  // TestNegAndSubAtMostNegative / TestSubMostNegativeCrossScale /
  // TestZeroSubMostNegativeInheritsFormat.
  Quantity most_negative = Quantity::from_int(kMin);
  EXPECT_EQ((-most_negative).to_string(), "9223372036854775808");
  EXPECT_EQ((Quantity() - most_negative).to_string(), "9223372036854775808");
  EXPECT_EQ((Quantity::from_int(1) - most_negative).to_string(), "9223372036854775809");
  EXPECT_EQ((-(-most_negative)).value(), kMin);
  EXPECT_EQ((-Quantity::from_int(kMin + 1)).value(), kMax);
  EXPECT_EQ((-Quantity::from_scaled(kMin, -3)).to_string(), "9223372036854775808m");
  EXPECT_EQ((Quantity::from_scaled(1, -3) - Quantity::from_scaled(kMin, -3)).to_string(),
            "9223372036854775809m");
  EXPECT_EQ((Quantity::from_scaled(1, 1) - most_negative).to_string(), "9223372036854775818");
  Quantity eight_ei = Quantity() - Quantity::from_int(kMin, F::kBinarySI);
  EXPECT_EQ(eight_ei.format(), F::kBinarySI);
  EXPECT_EQ(eight_ei.to_string(), "8Ei");

  // Binary values grown past Ei print their exact decimal value
  // (TestBinarySIPastEiArithmeticRoundTrip).
  Quantity two_pow_70 = Quantity();
  for (int i = 0; i < 1024; ++i) two_pow_70 += must_parse("1Ei");
  EXPECT_EQ(two_pow_70.to_string(), "1180591620717411303424");
  EXPECT_EQ(must_parse(two_pow_70.to_string()), two_pow_70);

  Quantity big = must_parse("123456789012345678901234567890");
  EXPECT_EQ((big + must_parse("1")).to_string(), "123456789012345678901234567891");
  EXPECT_EQ((big + must_parse("1m")).to_string(), "123456789012345678901234567890001m");
  EXPECT_EQ((big - big).to_string(), "0");
  EXPECT_EQ((must_parse("1E") + must_parse("1E18")).to_string(), "2E");
}

TEST(QuantityArithmetic, AddSubRoundTripAcrossScales) {
  // TestAddSubRoundTrip / TestAddSubRoundTripAcrossScales with a fixed seed.
  std::mt19937_64 rng(42);
  Quantity q;
  std::vector<Quantity> added;
  for (int i = 0; i < 300; ++i) {
    int64_t j = static_cast<int64_t>(rng() >> 1);
    Quantity term = Quantity::from_scaled(j, static_cast<int32_t>(j % 20 - 10));
    added.push_back(term);
    q += term;
  }
  EXPECT_GT(q, Quantity());
  for (const Quantity& term : added) q -= term;
  EXPECT_TRUE(q.is_zero()) << q;
  EXPECT_EQ(q.to_string(), "0");
}

TEST(QuantityArithmetic, FarApartScalesRoundTheFinerTerm) {
  // Aligning 1e20000 with 1 exactly needs a 20000-digit mantissa; the finer term is rounded away
  // from zero to 10^10000 instead (a deliberate bound; Kubernetes would build the whole number).
  Quantity huge = must_parse("1e20000");
  Quantity sum = huge + must_parse("1");
  EXPECT_GT(sum, huge);
  EXPECT_EQ((sum - huge).to_string(), "10e9999");
  // Within the bound it is exact.
  Quantity near = must_parse("1e9000");
  EXPECT_EQ((near + must_parse("1n")) - near, must_parse("1n"));
}

TEST(QuantityValue, RoundsAwayFromZero) {
  // TestNegativeValueRoundsAwayFromZero.
  const struct {
    std::string_view input;
    int64_t value;
    int64_t milli;
  } cases[] = {
      {"-.484785E-7466", -1, -1},
      {".484785E-7466", 1, 1},
      {"-.484785E-1", -1, -49},
      {".484785E-1", 1, 49},
      {"-0.0005", -1, -1},
      {"0.0005", 1, 1},
      {"-1500m", -2, -1500},
      {"1500m", 2, 1500},
      {"-9.5000000001Gi", -10200547329, -10200547328108},
      {"9.5000000001Gi", 10200547329, 10200547328108},
      {"-1", -1, -1000},
      {"1", 1, 1000},
      {"0", 0, 0},
      {"1n", 1, 1},
      {"1E18", 1'000'000'000'000'000'000, kMax},
      {"100m", 1, 100},
      {"1Gi", 1LL << 30, 1000LL << 30},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.input);
    Quantity q = must_parse(c.input);
    EXPECT_EQ(q.value(), c.value);
    EXPECT_EQ(q.milli_value(), c.milli);
  }
}

TEST(QuantityValue, SaturatesInsteadOfOverflowing) {
  EXPECT_EQ(must_parse("8Ei").value(), kMax);
  EXPECT_EQ(must_parse("8Ei").milli_value(), kMax);
  EXPECT_EQ(must_parse("-8Ei").milli_value(), kMin);
  EXPECT_EQ(must_parse("9223372036854775808").value(), kMax);
  EXPECT_EQ(must_parse("-9223372036854775808").value(), kMin);
  EXPECT_EQ(must_parse("-9223372036854775809").value(), kMin);
  EXPECT_EQ(must_parse("123456789012345678901234567890").value(), kMax);
  EXPECT_EQ(must_parse("1e2147483647").value(), kMax);
  EXPECT_EQ(must_parse("-1e2147483647").milli_value(), kMin);
  EXPECT_EQ(must_parse("9223372036854775807").value(), kMax);
  EXPECT_EQ(must_parse("9223372036854775807.5").value(), kMax);
}

TEST(QuantityValue, ScaledValue) {
  // TestScaledValue.
  const struct {
    int32_t from;
    int32_t to;
    int64_t want;
  } cases[] = {
      {-9, -9, 1},
      {-9, -6, 1},
      {-9, -3, 1},
      {-9, 0, 1},
      {-6, -9, 1000},
      {-6, -6, 1},
      {-6, -3, 1},
      {-6, 0, 1},
      {-3, -9, 1000 * 1000},
      {-3, -6, 1000},
      {-3, -3, 1},
      {-3, 0, 1},
      {0, -9, 1000 * 1000 * 1000},
      {0, -6, 1000 * 1000},
      {0, -3, 1000},
      {0, 0, 1},
      {2, -2, 100 * 100},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(Quantity::from_scaled(1, c.from).scaled_value(c.to), c.want)
        << c.from << " -> " << c.to;
  }
}

TEST(QuantityConstruct, MatchesNewQuantityFamily) {
  // TestNewSet, TestMilliNewSet, TestNewScaledSet.
  EXPECT_EQ(Quantity::from_int(1).to_string(), "1");
  EXPECT_EQ(Quantity::from_int(1000).to_string(), "1k");
  EXPECT_EQ(Quantity::from_int(1234000).to_string(), "1234k");
  EXPECT_EQ(Quantity::from_int(1024, F::kBinarySI).to_string(), "1Ki");
  EXPECT_EQ(Quantity::from_int(1000000, F::kDecimalExponent).to_string(), "1e6");
  EXPECT_EQ(Quantity::from_int(1024 * 1024, F::kBinarySI).to_string(), "1Mi");
  EXPECT_EQ(Quantity::from_milli(1).to_string(), "1m");
  EXPECT_EQ(Quantity::from_milli(1000).to_string(), "1");
  EXPECT_EQ(Quantity::from_milli(1234000).to_string(), "1234");
  EXPECT_EQ(Quantity::from_milli(1024, F::kBinarySI).to_string(), "1024m");
  EXPECT_EQ(Quantity::from_milli(1000000, F::kDecimalExponent).to_string(), "1e3");
  EXPECT_EQ(Quantity::from_milli(1024 * 1024, F::kBinarySI).to_string(), "1048576m");
  EXPECT_EQ(must_parse("1234").milli_value(), 1234000);
  const struct {
    int64_t value;
    int32_t scale;
    std::string_view want;
  } scaled[] = {{1, -9, "1n"},   {1000, -9, "1u"}, {1, -6, "1u"}, {1000, -6, "1m"}, {1, -3, "1m"},
                {1000, -3, "1"}, {1, 0, "1"},      {0, -9, "0"},  {0, -3, "0"},     {0, 0, "0"}};
  for (const auto& c : scaled) {
    Quantity q = Quantity::from_scaled(c.value, c.scale);
    EXPECT_EQ(q.to_string(), c.want);
    EXPECT_EQ(must_parse(q.to_string()).scaled_value(c.scale), c.value);
  }
}

TEST(QuantityJson, StringsAndNumbers) {
  // TestJSONWhitespace plus the numbers kubectl sends for `cpu: 1` and `memory: 1.5`.
  const std::pair<Json, std::string_view> cases[] = {
      {Json(" 1"), "1"},    {Json("1 "), "1"},
      {Json(1), "1"},       {Json(10), "10"},
      {Json(-1), "-1"},     {Json(1.5), "1500m"},
      {Json(0.1), "100m"},  {Json(1000), "1k"},
      {Json(2.0), "2"},     {Json("\t100Mi\n"), "100Mi"},
      {Json(1e21), "1e21"}, {Json(std::numeric_limits<uint64_t>::max()), "18446744073709551615"},
      {Json(nullptr), "0"},
  };
  for (const auto& [json, want] : cases) {
    SCOPED_TRACE(json.dump());
    Result<Quantity> q = Quantity::from_json(json);
    ASSERT_TRUE(q.ok()) << q.error().message;
    EXPECT_EQ(q->to_string(), want);
  }
  for (const Json& bad :
       {Json(true), Json::object(), Json::array(), Json(""), Json("  "), Json("1 Gi")}) {
    SCOPED_TRACE(bad.dump());
    Result<Quantity> q = Quantity::from_json(bad);
    ASSERT_FALSE(q.ok());
    EXPECT_EQ(q.error().message, kFormatWrong);
  }
}

TEST(QuantityJson, SerialisesAsCanonicalString) {
  EXPECT_EQ(must_parse("1.5").to_json(), Json("1500m"));
  EXPECT_EQ(must_parse("1024Mi").to_json(), Json("1Gi"));
  EXPECT_EQ(Quantity().to_json(), Json("0"));
  std::mt19937_64 rng(7);
  for (int i = 0; i < 500; ++i) {
    // TestJSON: a random quantity survives a trip through JSON.
    const QuantityFormat formats[] = {F::kDecimalSI, F::kBinarySI, F::kDecimalExponent};
    Quantity q = Quantity::from_scaled(static_cast<int64_t>(rng() >> 1) % 1000000,
                                       static_cast<int32_t>(rng() % 15) - 9, formats[rng() % 3]);
    Result<Quantity> back = Quantity::from_json(Json::parse(q.to_json().dump()));
    ASSERT_TRUE(back.ok()) << q;
    EXPECT_EQ(*back, q) << q;
  }
}

TEST(QuantityFormatName, MatchesKubernetes) {
  EXPECT_EQ(quantity_format_name(F::kDecimalExponent), "DecimalExponent");
  EXPECT_EQ(quantity_format_name(F::kBinarySI), "BinarySI");
  EXPECT_EQ(quantity_format_name(F::kDecimalSI), "DecimalSI");
}

}  // namespace
}  // namespace bosun::api
