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
  // The familiar form drops "docker.io/", so it reads back the same only when the path's first
  // component would not itself be taken for a registry host (Docker's FamiliarString has the same
  // ambiguity: "docker.io/a.io/b" is shown as "a.io/b").
  std::string_view first = std::string_view(ref->path).substr(0, ref->path.find('/'));
  bool hostlike = first.find_first_of(".:") != std::string_view::npos || first == "localhost";
  if (ref->domain == "docker.io" && !hostlike) {
    auto familiar = bosun::runtime::parse_image_reference(ref->familiar());
    if (!familiar.ok() || familiar->docker_ref() != ref->docker_ref()) std::abort();
  }
  return 0;
}
