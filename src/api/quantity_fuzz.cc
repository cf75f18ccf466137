// libFuzzer target for Quantity::parse on arbitrary bytes: whatever parses must print a string that
// parses back to an equal quantity printing the same string, and arithmetic on it must stay exact.
// Built only in build-san.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/quantity.h"

namespace {

using bosun::api::Quantity;

void fail(const char* what, std::string_view input, const std::string& printed) {
  std::fprintf(stderr, "quantity_fuzz: %s (input %.*s, printed %s)\n", what,
               static_cast<int>(input.size()), input.data(), printed.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bosun::Result<Quantity> parsed = Quantity::parse(input);
  if (!parsed.ok()) return 0;
  const Quantity& q = *parsed;
  const std::string printed = q.to_string();

  bosun::Result<Quantity> again = Quantity::parse(printed);
  if (!again.ok()) fail("printed form does not parse", input, printed);
  if (*again != q) fail("printed form parses to a different value", input, printed);
  if (again->to_string() != printed) fail("printed form is not stable", input, printed);

  bosun::Result<Quantity> from_json = Quantity::from_json(q.to_json());
  if (!from_json.ok() || *from_json != q) fail("JSON round trip changed the value", input, printed);

  const Quantity zero;
  if (q.cmp(zero) != q.sign()) fail("cmp against zero disagrees with sign", input, printed);
  if (!(q - q).is_zero() || !(q + -q).is_zero()) fail("q - q is not zero", input, printed);
  if ((q + q) - q != q) fail("(q + q) - q != q", input, printed);
  if (!(q + Quantity::from_int(1) > q)) fail("q + 1 is not greater than q", input, printed);
  if ((-q).cmp(zero) != -q.sign()) fail("negation does not flip the sign", input, printed);

  const int64_t value = q.value();
  const int64_t milli = q.milli_value();
  if (q.sign() > 0 && (value < 1 || milli < 1))
    fail("positive value rounds below 1", input, printed);
  if (q.sign() < 0 && (value > -1 || milli > -1))
    fail("negative value rounds above -1", input, printed);
  return 0;
}
