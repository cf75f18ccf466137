// libFuzzer target for continue-token decoding: tokens arrive from any client in `?continue=`, so
// decoding must never crash, and whatever it accepts must stay under the listed prefix and survive
// a re-encode unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "store/continue_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bosun::store;
  constexpr std::string_view kPrefix = "/registry/pods/";
  std::string_view input(reinterpret_cast<const char*>(data), size);

  auto position = decode_continue_token(input, kPrefix);
  if (position.ok()) {
    BOSUN_CHECK(position->start_key.compare(0, kPrefix.size(), kPrefix) == 0,
                "start key escaped the prefix");
    std::string relative = "/" + position->start_key.substr(kPrefix.size());
    BOSUN_CHECK(clean_path(relative) == relative, "accepted a start key that climbs");
    auto again = encode_continue_token(position->start_key, kPrefix, position->revision);
    BOSUN_CHECK(again.ok(), "cannot re-encode an accepted token");
    auto back = decode_continue_token(*again, kPrefix);
    BOSUN_CHECK(
        back.ok() && back->start_key == position->start_key && back->revision == position->revision,
        "re-encoded token decodes differently");
  }

  auto decoded = base64url_decode(base64url_encode(input));
  BOSUN_CHECK(decoded.ok() && *decoded == input, "base64url does not round-trip");
  std::string cleaned = clean_path(input);
  BOSUN_CHECK(clean_path(cleaned) == cleaned, "clean_path is not idempotent");
  return 0;
}
