// Fuzzes the parts of process assembly that read Pod spec text: $(VAR) expansion of command, args
// and env values, and the image/container env merge. They must never crash, and an input without
// '$' must come back unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "runtime/bundle_process.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // First line: variable definitions "NAME=value;NAME=value"; the rest: the text to expand.
  size_t nl = input.find('\n');
  std::string_view defs = nl == std::string_view::npos ? std::string_view() : input.substr(0, nl);
  std::string_view text = nl == std::string_view::npos ? input : input.substr(nl + 1);
  std::vector<bosun::runtime::EnvVar> env;
  size_t start = 0;
  while (start <= defs.size()) {
    size_t end = defs.find(';', start);
    if (end == std::string_view::npos) end = defs.size();
    std::string_view def = defs.substr(start, end - start);
    size_t eq = def.find('=');
    if (eq != std::string_view::npos) {
      env.push_back({std::string(def.substr(0, eq)), std::string(def.substr(eq + 1))});
    }
    start = end + 1;
  }
  auto resolved = bosun::runtime::resolve_container_env(env);
  std::map<std::string, std::string> vars;
  for (const auto& e : resolved) vars[e.name] = e.value;
  std::string out = bosun::runtime::expand_kubernetes_vars(text, vars);
  if (text.find('$') == std::string_view::npos && out != text) std::abort();
  auto merged = bosun::runtime::merge_env({std::string(text)}, resolved);
  if (merged.size() > resolved.size() + 1) std::abort();
  auto cmd = bosun::runtime::merge_command({}, {std::string(text)}, {}, {}, resolved);
  if (!cmd.ok() || cmd->size() != 1) std::abort();
  return 0;
}
