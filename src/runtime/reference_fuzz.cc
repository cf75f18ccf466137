// libFuzzer target: any string either parses into a reference that re-parses to itself, or yields
// an Invalid error; never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "runtime/reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto ref = bosun::runtime::parse_image_reference(input);
  if (!ref.ok()) {
    if (ref.error().code != bosun::ErrorCode::kInvalid || ref.error().message.empty()) std::abort();
    return 0;
  }
  // The normalized form is a fixed point: parsing it again changes nothing.
  auto again = bosun::runtime::parse_image_reference(ref->string());
  if (!again.ok() || !(*again == *ref)) std::abort();
  auto familiar = bosun::runtime::parse_image_reference(ref->familiar());
  if (!familiar.ok() || familiar->docker_ref() != ref->docker_ref()) std::abort();
  return 0;
}
