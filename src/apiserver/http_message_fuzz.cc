// Fuzzes the parsing of request-targets and header values that arrive from the network before any
// authentication: it must never crash, and a parsed target must be self-consistent.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apiserver/http_message.h"
#include "common/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto target = bosun::apiserver::parse_target(input);
  if (target.ok()) {
    BOSUN_CHECK(!target->path.empty() && target->path.front() == '/',
                "a parsed path starts with '/'");
    for (const auto& [key, value] : target->query.items()) {
      BOSUN_CHECK(target->query.get(key).has_value(), "every parsed key can be looked up");
    }
  }
  (void)bosun::apiserver::accepts_gzip(input);
  (void)bosun::apiserver::percent_decode(input, true);
  return 0;
}
