// libFuzzer target for the label selector string grammar: any input either fails to parse with an
// Error or parses to a selector whose canonical string parses back to an equal selector; the object
// form derived from it must be accepted again. Single-threaded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/label_selector.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using bosun::api::LabelSelector;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bosun::api::SelectorSyntaxError detail;
  auto parsed = LabelSelector::parse(text, &detail);
  if (!parsed.ok()) {
    if (detail.position > size) __builtin_trap();
    return 0;
  }
  std::string canonical = parsed->to_string();
  auto again = LabelSelector::parse(canonical);
  if (!again.ok() || !(*again == *parsed)) __builtin_trap();
  if (again->to_string() != canonical) __builtin_trap();

  bosun::api::Labels labels = {{"app", "web"}, {"tier", "1"}, {"in", ""}};
  (void)parsed->matches(labels);
  if (auto obj = parsed->to_json(); obj.ok()) {
    auto back = LabelSelector::from_json(*obj);
    // Not necessarily equal: like metav1.ParseToLabelSelector, the object form keeps one value per
    // matchLabels key. But it must be valid.
    if (!back.ok()) __builtin_trap();
  }
  return 0;
}
