// libFuzzer target for the Accept header parsing every discovery and OpenAPI request goes through:
// on arbitrary bytes, parse_accept must return well-formed ranges in preference order, and the
// negotiations built on it must pick a format only a range actually offered. Built only in
// build-san.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "apiserver/accept_header.h"
#include "apiserver/discovery.h"
#include "apiserver/openapi.h"

namespace {

void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "accept_header_fuzz: %s (input %.*s)\n", what,
               static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  using namespace bosun::apiserver;
  auto ranges = parse_accept(input);
  for (size_t i = 0; i < ranges.size(); ++i) {
    const MediaRange& r = ranges[i];
    if (r.type.empty() || r.subtype.empty()) fail("empty type or subtype", input);
    if (!(r.q > 0)) fail("a refused range was kept", input);
    if (i > 0 && ranges[i - 1].q < r.q) fail("ranges out of preference order", input);
  }
  auto discovery = negotiate_discovery(input);
  if (!discovery.ok()) {
    if (discovery.error().code != bosun::ErrorCode::kNotAcceptable) fail("unexpected error", input);
  } else if (*discovery != DiscoveryFormat::kLegacy &&
             input.find("apidiscovery.k8s.io") == std::string_view::npos) {
    fail("aggregated discovery nobody asked for", input);
  }
  auto v2 = negotiate_openapi_v2(input);
  if (v2 == OpenApiV2Encoding::kProtobuf && input.find("protobuf") == std::string_view::npos) {
    fail("protobuf nobody asked for", input);
  }
  (void)openapi_v3_accepts_json(input);
  return 0;
}
