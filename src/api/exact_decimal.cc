#include "api/exact_decimal.h"

#include <algorithm>
#include <charconv>

namespace bosun::api {
namespace {

constexpr uint32_t kPow10[10] = {1,       10,        100,        1'000,       10'000,
                                 100'000, 1'000'000, 10'000'000, 100'000'000, 1'000'000'000};

int limb_digits(uint32_t limb) {
  int n = 1;
  while (n < DecimalMagnitude::kBaseDigits && limb >= kPow10[n]) ++n;
  return n;
}

}  // namespace

DecimalMagnitude DecimalMagnitude::from_u64(uint64_t value) {
  DecimalMagnitude m;
  while (value != 0) {
    m.limbs_.push_back(static_cast<uint32_t>(value % kBase));
    value /= kBase;
  }
  return m;
}

DecimalMagnitude DecimalMagnitude::from_digits(std::string_view digits) {
  size_t first = digits.find_first_not_of('0');
  if (first == std::string_view::npos) return {};
  digits.remove_prefix(first);
  DecimalMagnitude m;
  m.limbs_.reserve(digits.size() / kBaseDigits + 1);
  size_t end = digits.size();
  while (end > 0) {
    size_t start = end > static_cast<size_t>(kBaseDigits) ? end - kBaseDigits : 0;
    uint32_t limb = 0;
    for (size_t i = start; i < end; ++i) limb = limb * 10 + static_cast<uint32_t>(digits[i] - '0');
    m.limbs_.push_back(limb);
    end = start;
  }
  m.trim();
  return m;
}

std::optional<unsigned __int128> DecimalMagnitude::to_u128() const {
  // Four limbs stay below 10^36 < 2^128; a fifth could overflow.
  if (limbs_.size() > 4) return std::nullopt;
  unsigned __int128 v = 0;
  for (size_t i = limbs_.size(); i-- > 0;) v = v * kBase + limbs_[i];
  return v;
}

int64_t DecimalMagnitude::digit_count() const {
  if (limbs_.empty()) return 0;
  return static_cast<int64_t>(limbs_.size() - 1) * kBaseDigits + limb_digits(limbs_.back());
}

int64_t DecimalMagnitude::trailing_zero_digits() const {
  int64_t n = 0;
  for (uint32_t limb : limbs_) {
    if (limb == 0) {
      n += kBaseDigits;
      continue;
    }
    while (limb % 10 == 0) {
      limb /= 10;
      ++n;
    }
    return n;
  }
  return 0;
}

void DecimalMagnitude::mul_small(uint32_t factor) {
  if (limbs_.empty() || factor == 1) return;
  if (factor == 0) {
    limbs_.clear();
    return;
  }
  uint64_t carry = 0;
  for (uint32_t& limb : limbs_) {
    uint64_t v = static_cast<uint64_t>(limb) * factor + carry;
    limb = static_cast<uint32_t>(v % kBase);
    carry = v / kBase;
  }
  while (carry != 0) {
    limbs_.push_back(static_cast<uint32_t>(carry % kBase));
    carry /= kBase;
  }
}

void DecimalMagnitude::mul_pow10(int64_t exponent) {
  if (limbs_.empty() || exponent <= 0) return;
  mul_small(kPow10[exponent % kBaseDigits]);
  limbs_.insert(limbs_.begin(), static_cast<size_t>(exponent / kBaseDigits), 0);
}

void DecimalMagnitude::mul_pow2(int bits) {
  while (bits > 0) {
    int step = std::min(bits, 31);
    mul_small(uint32_t{1} << step);
    bits -= step;
  }
}

bool DecimalMagnitude::div_pow10(int64_t exponent) {
  if (limbs_.empty() || exponent <= 0) return false;
  if (exponent >= digit_count()) {
    limbs_.clear();
    return true;
  }
  size_t whole = static_cast<size_t>(exponent / kBaseDigits);
  bool inexact =
      std::any_of(limbs_.begin(), limbs_.begin() + whole, [](uint32_t l) { return l != 0; });
  limbs_.erase(limbs_.begin(), limbs_.begin() + whole);
  if (exponent % kBaseDigits != 0) inexact |= div_small(kPow10[exponent % kBaseDigits]) != 0;
  trim();
  return inexact;
}

uint32_t DecimalMagnitude::div_small(uint32_t divisor) {
  uint64_t rem = 0;
  for (size_t i = limbs_.size(); i-- > 0;) {
    uint64_t cur = rem * kBase + limbs_[i];
    limbs_[i] = static_cast<uint32_t>(cur / divisor);
    rem = cur % divisor;
  }
  trim();
  return static_cast<uint32_t>(rem);
}

void DecimalMagnitude::add(const DecimalMagnitude& other) {
  if (limbs_.size() < other.limbs_.size()) limbs_.resize(other.limbs_.size(), 0);
  uint32_t carry = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    uint32_t v = limbs_[i] + carry + (i < other.limbs_.size() ? other.limbs_[i] : 0);
    carry = v >= kBase ? 1 : 0;
    limbs_[i] = carry ? v - kBase : v;
    if (!carry && i >= other.limbs_.size()) break;
  }
  if (carry) limbs_.push_back(1);
}

void DecimalMagnitude::sub(const DecimalMagnitude& other) {
  uint32_t borrow = 0;
  for (size_t i = 0; i < limbs_.size(); ++i) {
    uint32_t sub = borrow + (i < other.limbs_.size() ? other.limbs_[i] : 0);
    if (sub == 0 && i >= other.limbs_.size()) break;
    if (limbs_[i] >= sub) {
      limbs_[i] -= sub;
      borrow = 0;
    } else {
      limbs_[i] = limbs_[i] + kBase - sub;
      borrow = 1;
    }
  }
  trim();
}

void DecimalMagnitude::add_one() { add(from_u64(1)); }

void DecimalMagnitude::append_to(std::string& out) const {
  if (limbs_.empty()) {
    out.push_back('0');
    return;
  }
  char buf[16];
  auto top = std::to_chars(buf, buf + sizeof buf, limbs_.back());
  out.append(buf, top.ptr);
  for (size_t i = limbs_.size() - 1; i-- > 0;) {
    uint32_t limb = limbs_[i];
    char digits[kBaseDigits];
    for (int d = kBaseDigits - 1; d >= 0; --d) {
      digits[d] = static_cast<char>('0' + limb % 10);
      limb /= 10;
    }
    out.append(digits, kBaseDigits);
  }
}

int compare(const DecimalMagnitude& a, const DecimalMagnitude& b) {
  if (a.limbs_.size() != b.limbs_.size()) return a.limbs_.size() < b.limbs_.size() ? -1 : 1;
  for (size_t i = a.limbs_.size(); i-- > 0;) {
    if (a.limbs_[i] != b.limbs_[i]) return a.limbs_[i] < b.limbs_[i] ? -1 : 1;
  }
  return 0;
}

void DecimalMagnitude::trim() {
  while (!limbs_.empty() && limbs_.back() == 0) limbs_.pop_back();
}

ExactDecimal ExactDecimal::from_int(int64_t mantissa, int64_t scale) {
  ExactDecimal d;
  if (mantissa == 0) return d;
  d.negative = mantissa < 0;
  d.mantissa = DecimalMagnitude::from_u64(d.negative ? 0 - static_cast<uint64_t>(mantissa)
                                                     : static_cast<uint64_t>(mantissa));
  d.scale = scale;
  return d;
}

int compare_magnitudes(const ExactDecimal& a, const ExactDecimal& b) {
  if (a.is_zero() || b.is_zero()) return a.is_zero() == b.is_zero() ? 0 : (a.is_zero() ? -1 : 1);
  // The position of the leading digit decides unless it is the same; then the scales differ by at
  // most the longer mantissa's length, so aligning them stays cheap (inf.Dec would write the whole
  // difference out).
  int64_t lead_a = a.mantissa.digit_count() + a.scale;
  int64_t lead_b = b.mantissa.digit_count() + b.scale;
  if (lead_a != lead_b) return lead_a < lead_b ? -1 : 1;
  if (a.scale == b.scale) return compare(a.mantissa, b.mantissa);
  if (a.scale > b.scale) {
    DecimalMagnitude shifted = a.mantissa;
    shifted.mul_pow10(a.scale - b.scale);
    return compare(shifted, b.mantissa);
  }
  DecimalMagnitude shifted = b.mantissa;
  shifted.mul_pow10(b.scale - a.scale);
  return compare(a.mantissa, shifted);
}

int compare(const ExactDecimal& a, const ExactDecimal& b) {
  int sa = a.sign(), sb = b.sign();
  if (sa != sb) return sa < sb ? -1 : 1;
  if (sa == 0) return 0;
  int m = compare_magnitudes(a, b);
  return sa > 0 ? m : -m;
}

bool round_away_from_zero(ExactDecimal& d, int64_t scale) {
  if (d.is_zero() || d.scale >= scale) return true;
  bool inexact = d.mantissa.div_pow10(scale - d.scale);
  if (inexact) d.mantissa.add_one();
  d.scale = scale;
  return !inexact;
}

void add_to(ExactDecimal& a, const ExactDecimal& b, int64_t max_align_digits) {
  if (b.is_zero()) return;
  if (a.is_zero()) {
    a = b;
    return;
  }
  ExactDecimal y = b;
  if (a.scale != y.scale) {
    ExactDecimal& coarse = a.scale > y.scale ? a : y;
    ExactDecimal& fine = a.scale > y.scale ? y : a;
    if (coarse.scale - fine.scale > max_align_digits) {
      round_away_from_zero(fine, coarse.scale - max_align_digits);
    }
    coarse.mantissa.mul_pow10(coarse.scale - fine.scale);
    coarse.scale = fine.scale;
  }
  if (a.negative == y.negative) {
    a.mantissa.add(y.mantissa);
    return;
  }
  int c = compare(a.mantissa, y.mantissa);
  if (c == 0) {
    a = ExactDecimal{};
  } else if (c > 0) {
    a.mantissa.sub(y.mantissa);
  } else {
    y.mantissa.sub(a.mantissa);
    a.mantissa = std::move(y.mantissa);
    a.negative = y.negative;
  }
}

}  // namespace bosun::api
