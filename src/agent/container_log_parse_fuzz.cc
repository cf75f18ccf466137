// libFuzzer target for the CRI log line parser behind `kubectl logs`: any bytes either parse, and
// the parsed line written back in the runtime's format parses to the same line, or give a
// BadRequest error with a message; never a crash.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "agent/container_logs.h"
#include "runtime/runc_log.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto line = bosun::agent::parse_cri_log_line(input);
  if (!line.ok()) {
    if (line.error().code != bosun::ErrorCode::kBadRequest || line.error().message.empty()) {
      std::abort();
    }
    return 0;
  }
  std::string again_text = bosun::runtime::format_cri_log_line(
      line->unix_nanos, line->stream == bosun::agent::LogStream::kStdout ? "stdout" : "stderr",
      line->partial, line->content);
  auto again = bosun::agent::parse_cri_log_line(again_text);
  if (!again.ok() || again->unix_nanos != line->unix_nanos || again->stream != line->stream ||
      again->partial != line->partial || again->content != line->content) {
    std::abort();
  }
  return 0;
}
