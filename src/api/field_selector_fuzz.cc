// libFuzzer target for the field selector grammar: any input either fails to parse with an Error or
// parses to a selector whose string parses back to the same terms. Kubernetes orders terms by their
// text as written, and the canonical string writes "==" as "=", so the terms are compared as a
// sorted multiset. Single-threaded.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <vector>

#include "api/field_selector.h"

namespace {

std::vector<bosun::api::FieldRequirement> sorted(std::vector<bosun::api::FieldRequirement> v) {
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return std::tie(a.field, a.not_equals, a.value) < std::tie(b.field, b.not_equals, b.value);
  });
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using bosun::api::FieldSelector;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bosun::api::SelectorSyntaxError detail;
  auto parsed = FieldSelector::parse(text, &detail);
  if (!parsed.ok()) {
    if (detail.position > size) __builtin_trap();
    return 0;
  }
  auto again = FieldSelector::parse(parsed->to_string());
  if (!again.ok()) __builtin_trap();
  if (sorted(again->requirements()) != sorted(parsed->requirements())) __builtin_trap();
  for (const auto& r : parsed->requirements()) {
    auto back = bosun::api::unescape_field_value(bosun::api::escape_field_value(r.value));
    if (!back.ok() || *back != r.value) __builtin_trap();
  }
  (void)parsed->matches(bosun::api::Fields{{"metadata.name", "web"}, {"spec.nodeName", ""}});
  return 0;
}
