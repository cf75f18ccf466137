// Quantity: Kubernetes' resource.Quantity (k8s.io/apimachinery/pkg/api/resource), the fixed-point
// number of resource requests, limits, capacity and quota ("100m", "1Gi", "1.5", "129e6"). Parsing,
// canonical printing, exact arithmetic and comparison behave as Kubernetes'; used by validation,
// the scheduler and quota. A value type: const methods may run on many threads at once (nothing is
// cached behind a const method).
#pragma once

#include <compare>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "api/exact_decimal.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// The suffix family a quantity was written in; printing keeps it (resource.Format).
enum class QuantityFormat {
  kDecimalExponent,  // 12e6
  kBinarySI,         // 12Mi (12 * 2^20)
  kDecimalSI,        // 12M (12 * 10^6)
};

// "DecimalExponent", "BinarySI", "DecimalSI".
std::string_view quantity_format_name(QuantityFormat format);

class Quantity {
 public:
  // Zero, DecimalSI.
  Quantity() = default;

  // `<signedNumber><suffix>`: an optional sign, digits with an optional fraction, then a binary SI
  // suffix (Ki Mi Gi Ti Pi Ei), a decimal SI suffix (n u m "" k M G T P E) or a decimal exponent
  // (e/E and an integer). Errors are BadRequest with Kubernetes' messages. Values finer than 1n are
  // rounded away from zero to 1n and binary SI values are capped at 2^63-1, as ParseQuantity does.
  static Result<Quantity> parse(std::string_view text);
  // A JSON string (surrounding whitespace ignored) or number (`cpu: 1`, `memory: 1.5`), or null
  // (zero).
  static Result<Quantity> from_json(const Json& json);
  static Quantity from_int(int64_t value, QuantityFormat format = QuantityFormat::kDecimalSI);
  // value / 1000.
  static Quantity from_milli(int64_t milli_value,
                             QuantityFormat format = QuantityFormat::kDecimalSI);
  // value * 10^scale (NewScaledQuantity, which is always DecimalSI).
  static Quantity from_scaled(int64_t value, int32_t scale,
                              QuantityFormat format = QuantityFormat::kDecimalSI);

  // The canonical form Kubernetes prints (Quantity.String): "1500m", "1Gi", "1e3", "0".
  std::string to_string() const;
  // A JSON string of to_string().
  Json to_json() const;

  // The value rounded to an integer away from zero ("1500m" -> 2, "-1500m" -> -2). Saturates at the
  // int64 limits where Kubernetes' Value() would overflow.
  int64_t value() const;
  // ceil(value * 1000), away from zero; saturates like value().
  int64_t milli_value() const;
  // ceil(value / 10^scale), away from zero; saturates like value().
  int64_t scaled_value(int32_t scale) const;

  bool is_zero() const { return big_.is_zero() && small_ == 0; }
  // -1, 0 or 1.
  int sign() const;
  QuantityFormat format() const { return format_; }

  // -1, 0 or 1 by value, whatever the formats: 1000m == 1, 1Gi > 1G.
  int cmp(const Quantity& other) const;
  std::weak_ordering operator<=>(const Quantity& other) const { return cmp(other) <=> 0; }
  bool operator==(const Quantity& other) const { return cmp(other) == 0; }

  // Exact. A zero left-hand side takes the right-hand side's format, as Kubernetes' Add and Sub do.
  Quantity& operator+=(const Quantity& other);
  Quantity& operator-=(const Quantity& other);
  Quantity operator-() const;
  friend Quantity operator+(Quantity a, const Quantity& b) {
    a += b;
    return a;
  }
  friend Quantity operator-(Quantity a, const Quantity& b) {
    a -= b;
    return a;
  }

 private:
  bool is_big() const { return !big_.is_zero(); }
  ExactDecimal to_exact() const;
  void assign(ExactDecimal value);
  void add_signed(const Quantity& other, bool negate_other);
  void negate();
  void append_canonical(std::string& out) const;
  void append_decimal(std::string& out, QuantityFormat format) const;
  enum class BinaryResult { kPrinted, kInexact, kPastExbi };
  BinaryResult append_binary(std::string& out) const;

  // The value is mantissa * 10^scale_, where the mantissa is small_ unless big_ is non-zero; then
  // it is (big_negative_ ? -big_ : big_). This is Kubernetes' int64Amount with its inf.Dec
  // fallback.
  int64_t small_ = 0;
  int64_t scale_ = 0;
  DecimalMagnitude big_;
  bool big_negative_ = false;
  QuantityFormat format_ = QuantityFormat::kDecimalSI;
  // The text Kubernetes prints instead of the canonical form: ParseQuantity keeps an input that is
  // already in canonical shape ("1500m", "1Ki") as the quantity's string, so "+1" and "01" echo
  // back as written.
  std::string text_;
};

std::ostream& operator<<(std::ostream& os, const Quantity& q);

}  // namespace bosun::api
