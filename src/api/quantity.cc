#include "api/quantity.h"

#include <array>
#include <bit>
#include <charconv>
#include <limits>
#include <optional>
#include <ostream>

namespace bosun::api {
namespace {

using i128 = __int128;
using u128 = unsigned __int128;

// ParseQuantity's three errors (ErrFormatWrong, ErrNumeric, ErrSuffix), word for word.
constexpr std::string_view kFormatWrongMessage =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
constexpr std::string_view kNumericMessage = "unable to parse numeric part of quantity";
constexpr std::string_view kSuffixMessage = "unable to parse quantity's suffix";

constexpr int kMaxPow10 = 18;
constexpr auto kPow10 = [] {
  std::array<int64_t, kMaxPow10 + 1> p{};
  p[0] = 1;
  for (int i = 1; i <= kMaxPow10; ++i) p[i] = p[i - 1] * 10;
  return p;
}();

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

// Kubernetes parses up to 18 digits (maxInt64Factors) on its int64 fast path, and only that path
// keeps the input as the printed text, so the limit decides which inputs echo back verbatim.
constexpr size_t kMaxFastPathDigits = 18;
// Parsing keeps values down to nano and rounds anything finer away from zero (resource.Nano).
constexpr int64_t kNanoScale = -9;
// Exponents outside int32 are rejected rather than truncated (Kubernetes narrows the parsed int64
// to an int32 scale; newer releases reject the overflow instead of wrapping 1e4294967297 to 1e1).
constexpr int64_t kMaxExponent = std::numeric_limits<int32_t>::max();
// See add_to: how far apart two scales may be before the finer operand is rounded.
constexpr int64_t kMaxAlignDigits = 10'000;

Error parse_error(std::string_view message) {
  return make_error(ErrorCode::kBadRequest, std::string(message));
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The letters Kubernetes' scanner accepts in a suffix before the optional exponent sign and digits.
bool is_suffix_letter(char c) {
  switch (c) {
    case 'e':
    case 'E':
    case 'i':
    case 'n':
    case 'u':
    case 'm':
    case 'k':
    case 'K':
    case 'M':
    case 'G':
    case 'T':
    case 'P':
      return true;
    default:
      return false;
  }
}

struct Suffix {
  int base;          // 10 or 2
  int64_t exponent;  // of the base
  QuantityFormat format;
};

// Go's strconv.ParseInt(s, 10, 64): an optional sign, then at least one digit, within int64.
std::optional<int64_t> parse_go_int(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  uint64_t v = 0;
  const uint64_t limit = negative ? uint64_t{1} << 63 : static_cast<uint64_t>(kInt64Max);
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (limit - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return negative ? static_cast<int64_t>(0 - v) : static_cast<int64_t>(v);
}

std::optional<Suffix> interpret_suffix(std::string_view s) {
  using F = QuantityFormat;
  if (s.empty()) return Suffix{10, 0, F::kDecimalSI};
  if (s.size() == 1) {
    switch (s[0]) {
      case 'n':
        return Suffix{10, -9, F::kDecimalSI};
      case 'u':
        return Suffix{10, -6, F::kDecimalSI};
      case 'm':
        return Suffix{10, -3, F::kDecimalSI};
      case 'k':
        return Suffix{10, 3, F::kDecimalSI};
      case 'M':
        return Suffix{10, 6, F::kDecimalSI};
      case 'G':
        return Suffix{10, 9, F::kDecimalSI};
      case 'T':
        return Suffix{10, 12, F::kDecimalSI};
      case 'P':
        return Suffix{10, 15, F::kDecimalSI};
      case 'E':
        return Suffix{10, 18, F::kDecimalSI};
      default:
        return std::nullopt;
    }
  }
  if (s.size() == 2 && s[1] == 'i') {
    switch (s[0]) {
      case 'K':
        return Suffix{2, 10, F::kBinarySI};
      case 'M':
        return Suffix{2, 20, F::kBinarySI};
      case 'G':
        return Suffix{2, 30, F::kBinarySI};
      case 'T':
        return Suffix{2, 40, F::kBinarySI};
      case 'P':
        return Suffix{2, 50, F::kBinarySI};
      case 'E':
        return Suffix{2, 60, F::kBinarySI};
      default:
        break;
    }
  }
  if (s[0] == 'e' || s[0] == 'E') {
    std::optional<int64_t> exponent = parse_go_int(s.substr(1));
    if (!exponent || *exponent > kMaxExponent || *exponent < -kMaxExponent) return std::nullopt;
    return Suffix{10, *exponent, F::kDecimalExponent};
  }
  return std::nullopt;
}

uint64_t unsigned_abs(int64_t v) {
  return v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
}

int sign_of(int64_t v) { return (v > 0) - (v < 0); }

int64_t saturate(int sign) { return sign < 0 ? kInt64Min : kInt64Max; }

// Compares a * 10^scale_a with b * 10^scale_b without leaving 128-bit integers.
int compare_small(int64_t a, int64_t scale_a, int64_t b, int64_t scale_b) {
  int sa = sign_of(a), sb = sign_of(b);
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  if (scale_a == scale_b) return (a > b) - (a < b);
  if (scale_a > scale_b) {
    // |a| * 10^19 already exceeds any int64, so a is the one further from zero.
    if (scale_a - scale_b > kMaxPow10) return sa;
    i128 wide = static_cast<i128>(a) * kPow10[scale_a - scale_b];
    return (wide > b) - (wide < b);
  }
  if (scale_b - scale_a > kMaxPow10) return -sa;
  i128 wide = static_cast<i128>(b) * kPow10[scale_b - scale_a];
  return (a > wide) - (a < wide);
}

void append_u128(std::string& out, u128 v) {
  char buf[40];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(v % 10));
    v /= 10;
  } while (v != 0);
  out.append(p, buf + sizeof buf);
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// The suffix for mantissa * 10^exponent, exponent a multiple of 3
// (quantitySuffixer.constructBytes). DecimalSI has no suffix past E or below n; those fall back to
// exponent notation, as newer Kubernetes releases do, instead of dropping the magnitude (older ones
// printed 1000E as "1").
void append_decimal_suffix(std::string& out, int64_t exponent, QuantityFormat format) {
  if (format == QuantityFormat::kDecimalSI && exponent >= -9 && exponent <= 18) {
    static constexpr std::string_view kSi[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    out.append(kSi[(exponent + 9) / 3]);
    return;
  }
  if (exponent == 0) return;
  out.push_back('e');
  append_int(out, exponent);
}

void append_binary_suffix(std::string& out, int power_of_1024) {
  static constexpr std::string_view kBinary[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  out.append(kBinary[power_of_1024]);
}

// Floor modulo 3: how far the exponent is above the multiple of 3 below it.
int64_t excess_over_multiple_of_3(int64_t exponent) { return ((exponent % 3) + 3) % 3; }

}  // namespace

std::string_view quantity_format_name(QuantityFormat format) {
  switch (format) {
    case QuantityFormat::kDecimalExponent:
      return "DecimalExponent";
    case QuantityFormat::kBinarySI:
      return "BinarySI";
    case QuantityFormat::kDecimalSI:
      return "DecimalSI";
  }
  return "DecimalSI";
}

Result<Quantity> Quantity::parse(std::string_view str) {
  if (str.empty()) return parse_error(kFormatWrongMessage);
  Quantity q;
  if (str == "0") {
    q.text_ = "0";
    return q;
  }

  // The scanner follows parseQuantityString: sign, leading zeros, integer digits, fraction, suffix
  // letters, an optional exponent sign and digits. Anything left over is a format error.
  const size_t end = str.size();
  size_t pos = 0;
  bool positive = true;
  if (str[0] == '-' || str[0] == '+') {
    positive = str[0] == '+';
    ++pos;
  }
  const size_t digits_start = pos;
  while (pos < end && str[pos] == '0') ++pos;
  // Only a sign and zeros ("-", "+", "00"): Kubernetes reads zero.
  if (pos == end) return q;
  const size_t num_start = pos;
  while (pos < end && is_digit(str[pos])) ++pos;
  std::string_view num = str.substr(num_start, pos - num_start);
  std::string_view denom;
  if (pos < end && str[pos] == '.') {
    const size_t denom_start = ++pos;
    while (pos < end && is_digit(str[pos])) ++pos;
    denom = str.substr(denom_start, pos - denom_start);
  }
  const bool has_digits = num_start > digits_start || !num.empty() || !denom.empty();
  const size_t suffix_start = pos;
  while (pos < end && is_suffix_letter(str[pos])) ++pos;
  if (pos < end && (str[pos] == '+' || str[pos] == '-')) ++pos;
  while (pos < end && is_digit(str[pos])) ++pos;
  if (pos != end) return parse_error(kFormatWrongMessage);

  std::optional<Suffix> suffix = interpret_suffix(str.substr(suffix_start));
  if (!suffix) return parse_error(kSuffixMessage);
  if (num.empty()) num = "0";
  q.format_ = suffix->format;
  // Printing moves trailing zeros of the digits into the exponent: a value whose printed exponent
  // would leave int32 could never be read back, so it is refused here (Kubernetes prints such a
  // value and then fails to parse its own output).
  // (Trailing zeros cannot add more than the number of digits, so short exponents skip the count.)
  if (suffix->base == 10 && suffix->exponent + static_cast<int64_t>(num.size()) > kMaxExponent) {
    std::string_view digits_all = denom.empty() ? std::string_view(num) : std::string_view(denom);
    size_t zeros = 0;
    while (zeros < digits_all.size() && digits_all[digits_all.size() - 1 - zeros] == '0') ++zeros;
    const bool all_zero =
        denom.empty() ? zeros == num.size()
                      : zeros == denom.size() && num.find_first_not_of('0') == std::string::npos;
    if (!all_zero) {
      if (!denom.empty() && zeros == denom.size()) {
        // Every fractional digit is zero: the trailing zeros of the integer part count too.
        const size_t nz = num.find_last_not_of('0');
        zeros += num.size() - 1 - nz;
      }
      int64_t printed =
          suffix->exponent - static_cast<int64_t>(denom.size()) + static_cast<int64_t>(zeros);
      printed -= excess_over_multiple_of_3(printed);
      if (printed > kMaxExponent) return parse_error(kNumericMessage);
    }
  }

  // The int64 fast path, taken exactly when Kubernetes takes it, because only there it keeps the
  // input text.
  if (suffix->base == 10) {
    const int64_t scale = suffix->exponent - static_cast<int64_t>(denom.size());
    if (num.size() + denom.size() <= kMaxFastPathDigits && scale >= kNanoScale) {
      char shifted[kMaxFastPathDigits];
      size_t n = 0;
      for (char c : num) shifted[n++] = c;
      for (char c : denom) shifted[n++] = c;
      int64_t v = 0;
      for (size_t i = 0; i < n; ++i) v = v * 10 + (shifted[i] - '0');
      if (v != 0) {
        q.small_ = positive ? v : -v;
        q.scale_ = scale;
      }
      const bool ends_in_000 =
          n >= 3 && shifted[n - 1] == '0' && shifted[n - 2] == '0' && shifted[n - 3] == '0';
      if (scale % 3 == 0 && !ends_in_000 && shifted[0] != '0') q.text_ = str;
      return q;
    }
  } else {
    // precision = 15 - len(num) - exponent*3/10 - 1 >= 0 in Kubernetes: 11 digits of Ki, 8 of Mi,
    // ..., none of Pi.
    const int64_t max_digits = 14 - suffix->exponent * 3 / 10;
    if (denom.empty() && static_cast<int64_t>(num.size()) <= max_digits) {
      int64_t v = 0;
      for (char c : num) v = v * 10 + (c - '0');
      const int64_t bytes = v << suffix->exponent;
      q.small_ = positive ? bytes : -bytes;
      if ((v & 0x07) != 0) q.text_ = str;
      return q;
    }
  }

  // The exact path (inf.Dec in Kubernetes).
  if (!has_digits) return parse_error(kNumericMessage);
  std::string digits;
  digits.reserve(num.size() + denom.size());
  digits.append(num).append(denom);
  ExactDecimal d;
  d.mantissa = DecimalMagnitude::from_digits(digits);
  if (d.is_zero()) return q;
  d.negative = !positive;
  d.scale = -static_cast<int64_t>(denom.size());
  if (suffix->base == 10) {
    d.scale += suffix->exponent;
  } else {
    d.mantissa.mul_pow2(static_cast<int>(suffix->exponent));
  }
  // Non-zero values finer than nano round away from zero: "if you want some resources, you should
  // get some".
  if (d.scale < kNanoScale) round_away_from_zero(d, kNanoScale);
  if (q.format_ == QuantityFormat::kBinarySI) {
    // Kubernetes caps binary SI input at 2^63-1 ("8Ei" and "9Ei" both parse as
    // 9223372036854775807).
    ExactDecimal max = ExactDecimal::from_int(kInt64Max, 0);
    if (compare_magnitudes(d, max) > 0) {
      max.negative = d.negative;
      d = std::move(max);
    }
    // A binary value strictly between -1 and 1 is printed in decimal SI from the start.
    if (compare_magnitudes(d, ExactDecimal::from_int(1, 0)) < 0)
      q.format_ = QuantityFormat::kDecimalSI;
  }
  q.assign(std::move(d));
  return q;
}

Result<Quantity> Quantity::from_json(const Json& json) {
  switch (json.type()) {
    case Json::value_t::null:
      return Quantity();
    case Json::value_t::string: {
      // UnmarshalJSON trims surrounding whitespace before parsing.
      std::string_view s = json.get_ref<const std::string&>();
      constexpr std::string_view kSpace = " \t\n\v\f\r";
      size_t first = s.find_first_not_of(kSpace);
      if (first == std::string_view::npos) return parse_error(kFormatWrongMessage);
      s = s.substr(first, s.find_last_not_of(kSpace) - first + 1);
      return parse(s);
    }
    case Json::value_t::number_integer:
      return parse(std::to_string(json.get<int64_t>()));
    case Json::value_t::number_unsigned:
      return parse(std::to_string(json.get<uint64_t>()));
    case Json::value_t::number_float: {
      // Kubernetes parses the number's own text. The JSON layer has already turned it into a
      // double, so print the shortest decimal that reads back as that double: the same digits for
      // any literal of up to 17 significant digits ("1.5", "0.1"), though 1e3 comes back as 1000
      // (printed "1k", not "1e3"). to_chars writes exponents as "e+21" and "e-07"; a person writes
      // "e21" and "e-7".
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, json.get<double>());
      if (r.ec != std::errc()) return parse_error(kNumericMessage);
      std::string text(buf, r.ptr);
      if (size_t e = text.find('e'); e != std::string::npos) {
        size_t digits = e + 1;
        if (digits < text.size() && text[digits] == '+') text.erase(digits, 1);
        if (digits < text.size() && text[digits] == '-') ++digits;
        while (digits + 1 < text.size() && text[digits] == '0') text.erase(digits, 1);
      }
      return parse(text);
    }
    default:
      // Kubernetes hands the raw JSON text ({...}, true) to ParseQuantity, which rejects it.
      return parse_error(kFormatWrongMessage);
  }
}

Quantity Quantity::from_int(int64_t value, QuantityFormat format) {
  Quantity q;
  q.small_ = value;
  q.format_ = format;
  return q;
}

Quantity Quantity::from_milli(int64_t milli_value, QuantityFormat format) {
  Quantity q;
  q.small_ = milli_value;
  q.scale_ = milli_value == 0 ? 0 : -3;
  q.format_ = format;
  return q;
}

Quantity Quantity::from_scaled(int64_t value, int32_t scale, QuantityFormat format) {
  Quantity q;
  q.small_ = value;
  q.scale_ = value == 0 ? 0 : scale;
  q.format_ = format;
  return q;
}

Json Quantity::to_json() const { return Json(to_string()); }

int Quantity::sign() const {
  if (is_big()) return big_negative_ ? -1 : 1;
  return sign_of(small_);
}

ExactDecimal Quantity::to_exact() const {
  if (!is_big()) return ExactDecimal::from_int(small_, scale_);
  ExactDecimal d;
  d.negative = big_negative_;
  d.mantissa = big_;
  d.scale = scale_;
  return d;
}

void Quantity::assign(ExactDecimal value) {
  // Back to int64 whenever the mantissa fits, so later arithmetic takes the fast path again.
  std::optional<u128> v = value.mantissa.to_u128();
  if (v && (*v <= static_cast<u128>(kInt64Max) ||
            (value.negative && *v == static_cast<u128>(kInt64Max) + 1))) {
    small_ = value.negative ? static_cast<int64_t>(0 - static_cast<uint64_t>(*v))
                            : static_cast<int64_t>(*v);
    big_ = DecimalMagnitude();
    big_negative_ = false;
  } else {
    small_ = 0;
    big_ = std::move(value.mantissa);
    big_negative_ = value.negative;
  }
  scale_ = is_zero() ? 0 : value.scale;
}

int Quantity::cmp(const Quantity& other) const {
  if (!is_big() && !other.is_big())
    return compare_small(small_, scale_, other.small_, other.scale_);
  return compare(to_exact(), other.to_exact());
}

Quantity& Quantity::operator+=(const Quantity& other) {
  add_signed(other, false);
  return *this;
}

Quantity& Quantity::operator-=(const Quantity& other) {
  add_signed(other, true);
  return *this;
}

Quantity Quantity::operator-() const {
  Quantity q = *this;
  q.negate();
  return q;
}

void Quantity::negate() {
  text_.clear();
  if (!is_big() && small_ != kInt64Min) {
    small_ = -small_;
    return;
  }
  ExactDecimal d = to_exact();
  d.negative = !d.negative;
  assign(std::move(d));
}

void Quantity::add_signed(const Quantity& other, bool negate_other) {
  text_.clear();
  if (is_zero()) format_ = other.format_;
  if (!is_big() && !other.is_big() && !(negate_other && other.small_ == kInt64Min)) {
    const int64_t b = negate_other ? -other.small_ : other.small_;
    if (b == 0) return;
    if (small_ == 0) {
      small_ = b;
      scale_ = other.scale_;
      return;
    }
    // Align to the finer scale in 128 bits; keep the result only if it still fits int64
    // (int64Amount.Add).
    std::optional<i128> sum;
    int64_t sum_scale = scale_;
    if (scale_ == other.scale_) {
      sum = static_cast<i128>(small_) + b;
    } else if (scale_ > other.scale_ && scale_ - other.scale_ <= kMaxPow10) {
      sum = static_cast<i128>(small_) * kPow10[scale_ - other.scale_] + b;
      sum_scale = other.scale_;
    } else if (other.scale_ > scale_ && other.scale_ - scale_ <= kMaxPow10) {
      sum = static_cast<i128>(b) * kPow10[other.scale_ - scale_] + small_;
    }
    if (sum && *sum >= kInt64Min && *sum <= kInt64Max) {
      small_ = static_cast<int64_t>(*sum);
      scale_ = *sum == 0 ? 0 : sum_scale;
      return;
    }
  }
  ExactDecimal a = to_exact();
  ExactDecimal b = other.to_exact();
  if (negate_other && !b.is_zero()) b.negative = !b.negative;
  add_to(a, b, kMaxAlignDigits);
  assign(std::move(a));
}

int64_t Quantity::value() const { return scaled_value(0); }

int64_t Quantity::milli_value() const { return scaled_value(-3); }

int64_t Quantity::scaled_value(int32_t scale) const {
  if (is_zero()) return 0;
  const int s = sign();
  if (!is_big()) {
    const int64_t up = scale_ - scale;
    if (up >= 0) {
      if (up > kMaxPow10) return saturate(s);
      i128 v = static_cast<i128>(small_) * kPow10[up];
      if (v > kInt64Max || v < kInt64Min) return saturate(s);
      return static_cast<int64_t>(v);
    }
    // Every int64 is below 10^19, so dividing by more than that leaves only the rounding unit.
    if (-up > kMaxPow10) return s;
    const int64_t divisor = kPow10[-up];
    int64_t v = small_ / divisor;
    if (small_ % divisor != 0) v += s;
    return v;
  }
  ExactDecimal d = to_exact();
  if (d.scale < scale) {
    round_away_from_zero(d, scale);
  } else if (d.scale > scale) {
    if (d.mantissa.digit_count() + (d.scale - scale) > 19) return saturate(s);
    d.mantissa.mul_pow10(d.scale - scale);
  }
  std::optional<u128> v = d.mantissa.to_u128();
  if (!v) return saturate(s);
  if (s > 0) return *v > static_cast<u128>(kInt64Max) ? kInt64Max : static_cast<int64_t>(*v);
  if (*v > static_cast<u128>(kInt64Max) + 1) return kInt64Min;
  return static_cast<int64_t>(0 - static_cast<uint64_t>(*v));
}

std::string Quantity::to_string() const {
  if (!text_.empty()) return text_;
  std::string out;
  append_canonical(out);
  return out;
}

void Quantity::append_canonical(std::string& out) const {
  // CanonicalizeBytes.
  if (is_zero()) {
    out.push_back('0');
    return;
  }
  QuantityFormat format = format_;
  if (format == QuantityFormat::kBinarySI) {
    // Values of magnitude below 1024 print in decimal SI, and so do values with a fraction, rather
    // than round.
    if (cmp(from_int(-1024)) > 0 && cmp(from_int(1024)) < 0) {
      format = QuantityFormat::kDecimalSI;
    } else {
      switch (append_binary(out)) {
        case BinaryResult::kPrinted:
          return;
        case BinaryResult::kInexact:
          format = QuantityFormat::kDecimalSI;
          break;
        case BinaryResult::kPastExbi:
          // No binary suffix above Ei: print the exact value with a decimal exponent, as newer
          // Kubernetes releases do (2^70 -> "1180591620717411303424", 10^70 -> "10e69").
          format = QuantityFormat::kDecimalExponent;
          break;
      }
    }
  }
  append_decimal(out, format);
}

void Quantity::append_decimal(std::string& out, QuantityFormat format) const {
  // AsCanonicalBytes: move every factor of ten into the exponent, then lower the exponent to a
  // multiple of 3.
  if (sign() < 0) out.push_back('-');
  if (!is_big()) {
    uint64_t m = unsigned_abs(small_);
    int64_t exponent = scale_;
    while (m % 10 == 0) {
      m /= 10;
      ++exponent;
    }
    const int64_t excess = excess_over_multiple_of_3(exponent);
    exponent -= excess;
    if (m <= std::numeric_limits<uint64_t>::max() / 100) {
      append_uint(out, m * static_cast<uint64_t>(kPow10[excess]));
    } else {
      append_u128(out, static_cast<u128>(m) * static_cast<u128>(kPow10[excess]));
    }
    append_decimal_suffix(out, exponent, format);
    return;
  }
  DecimalMagnitude m = big_;
  const int64_t zeros = m.trailing_zero_digits();
  m.div_pow10(zeros);
  int64_t exponent = scale_ + zeros;
  const int64_t excess = excess_over_multiple_of_3(exponent);
  m.mul_small(static_cast<uint32_t>(kPow10[excess]));
  exponent -= excess;
  m.append_to(out);
  append_decimal_suffix(out, exponent, format);
}

Quantity::BinaryResult Quantity::append_binary(std::string& out) const {
  // AsScale(0) then AsCanonicalBase1024Bytes: the integer value, then as many factors of 1024 as
  // divide it.
  const bool negative = sign() < 0;
  int power = 0;
  if (!is_big() && scale_ == 0) {
    // The common case (every parsed "Ki".."Ti" value): count factors of 1024 with the trailing zero
    // bits.
    uint64_t m = unsigned_abs(small_);
    power = std::countr_zero(m) / 10;
    if (power > 6) return BinaryResult::kPastExbi;
    if (negative) out.push_back('-');
    append_uint(out, m >> (10 * power));
    append_binary_suffix(out, power);
    return BinaryResult::kPrinted;
  }
  if (!is_big() && scale_ >= -kMaxPow10 && scale_ <= kMaxPow10) {
    u128 m = unsigned_abs(small_);
    if (scale_ < 0) {
      if (m % static_cast<u128>(kPow10[-scale_]) != 0) return BinaryResult::kInexact;
      m /= static_cast<u128>(kPow10[-scale_]);
    } else {
      m *= static_cast<u128>(kPow10[scale_]);
    }
    while (m % 1024 == 0) {
      if (++power > 6) return BinaryResult::kPastExbi;
      m /= 1024;
    }
    if (negative) out.push_back('-');
    append_u128(out, m);
    append_binary_suffix(out, power);
    return BinaryResult::kPrinted;
  }
  ExactDecimal d = to_exact();
  if (d.scale < 0) {
    if (!round_away_from_zero(d, 0)) return BinaryResult::kInexact;
  } else if (d.scale >= 70) {
    // 10^70 alone holds 2^70 = 1024^7: the value is past Ei without writing it out.
    return BinaryResult::kPastExbi;
  } else {
    d.mantissa.mul_pow10(d.scale);
  }
  for (;;) {
    DecimalMagnitude quotient = d.mantissa;
    if (quotient.div_small(1024) != 0) break;
    if (++power > 6) return BinaryResult::kPastExbi;
    d.mantissa = std::move(quotient);
  }
  if (negative) out.push_back('-');
  d.mantissa.append_to(out);
  append_binary_suffix(out, power);
  return BinaryResult::kPrinted;
}

std::ostream& operator<<(std::ostream& os, const Quantity& q) { return os << q.to_string(); }

}  // namespace bosun::api
