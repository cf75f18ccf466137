// ExactDecimal: a signed decimal ±mantissa × 10^scale whose mantissa has no size limit, with the
// few operations Quantity needs on it. It is Quantity's exact fallback once a value leaves int64,
// the way Kubernetes' resource package falls back from int64Amount to inf.Dec. Plain values; not
// synchronised.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bosun::api {

// An unsigned integer of any size, in base-10^9 limbs (least significant first, no zero limb on
// top, so zero is empty). Base 10^9 keeps the work Quantity does cheap: counting digits, shifting
// by powers of ten, printing.
class DecimalMagnitude {
 public:
  static constexpr uint32_t kBase = 1'000'000'000;
  static constexpr int kBaseDigits = 9;

  DecimalMagnitude() = default;
  static DecimalMagnitude from_u64(uint64_t value);
  // `digits` holds only '0'..'9' (leading zeros allowed; empty is zero).
  static DecimalMagnitude from_digits(std::string_view digits);

  bool is_zero() const { return limbs_.empty(); }
  // The value if it fits in 128 bits (always when it has at most 36 digits).
  std::optional<unsigned __int128> to_u128() const;
  // Decimal digits of the value; 0 for zero.
  int64_t digit_count() const;
  // How many times 10 divides the value; 0 for zero.
  int64_t trailing_zero_digits() const;

  void mul_small(uint32_t factor);
  // Multiplies by 10^exponent. The caller bounds exponent: the result holds that many more digits.
  void mul_pow10(int64_t exponent);
  // Multiplies by 2^bits.
  void mul_pow2(int bits);
  // Divides by 10^exponent, truncating; returns whether a non-zero remainder was dropped. Any
  // exponent is cheap.
  bool div_pow10(int64_t exponent);
  // Divides by divisor (> 0), truncating; returns the remainder.
  uint32_t div_small(uint32_t divisor);
  void add(const DecimalMagnitude& other);
  // Requires *this >= other.
  void sub(const DecimalMagnitude& other);
  void add_one();

  void append_to(std::string& out) const;

  friend int compare(const DecimalMagnitude& a, const DecimalMagnitude& b);
  bool operator==(const DecimalMagnitude&) const = default;

 private:
  void trim();
  std::vector<uint32_t> limbs_;
};

struct ExactDecimal {
  bool negative = false;  // never set on zero
  DecimalMagnitude mantissa;
  int64_t scale = 0;  // the value is ±mantissa × 10^scale

  static ExactDecimal from_int(int64_t mantissa, int64_t scale);
  bool is_zero() const { return mantissa.is_zero(); }
  int sign() const { return is_zero() ? 0 : (negative ? -1 : 1); }
};

// -1, 0 or 1. The cost is bounded by the operands' digit counts whatever their scales, so comparing
// 1e2000000000 with 1n is as cheap as comparing 1 with 2.
int compare(const ExactDecimal& a, const ExactDecimal& b);
// Compares |a| with |b|.
int compare_magnitudes(const ExactDecimal& a, const ExactDecimal& b);

// a += b, exactly unless aligning the two scales would need more than max_align_digits extra
// digits: then the operand with the smaller scale is first rounded away from zero to within
// max_align_digits of the other one (so 1e20000 + 1 stays a few kilobytes instead of a 20000-digit
// mantissa; its error is below 10^(20000 - max)).
void add_to(ExactDecimal& a, const ExactDecimal& b, int64_t max_align_digits);

// Rounds d to a multiple of 10^scale, away from zero (inf.RoundUp), when d is finer than that;
// never adds digits to a coarser d. Returns whether the value was unchanged.
bool round_away_from_zero(ExactDecimal& d, int64_t scale);

}  // namespace bosun::api
