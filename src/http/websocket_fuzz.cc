// WebSocket frames from the network (kubectl's exec stdin, through the API server) never crash the
// parser: any byte sequence, fed whole or split, parses or is a BadRequest, and what parses
// re-encodes to a frame the parser reads back the same.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/check.h"
#include "http/websocket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bosun::apiserver;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = data[0] % (in.size() + 1);
  for (bool mask : {true, false}) {
    WebSocketParser p(mask, 1 << 16);
    std::vector<WebSocketMessage> out;
    if (!p.feed(in.substr(0, split), &out).ok()) continue;
    if (!p.feed(in.substr(split), &out).ok()) continue;
    for (const auto& m : out) {
      WebSocketParser again(true, 1 << 16);
      std::vector<WebSocketMessage> back;
      BOSUN_CHECK(
          again.feed(encode_websocket_frame(m.opcode, m.payload, true, 0x5a5a5a5a), &back).ok(),
          "a parsed message re-encodes");
      BOSUN_CHECK(back.size() == 1 && back[0].payload == m.payload, "round trip");
    }
  }
  return 0;
}
