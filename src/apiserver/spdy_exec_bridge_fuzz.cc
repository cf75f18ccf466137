// The SPDY exec bridge fed hostile bytes from both sides (kubectl's SPDY connection and the agent's
// WebSocket) never crashes or holds more than its bound: whatever arrives, in any order, ends in
// output for the two sides, a protocol error, or nothing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "apiserver/spdy_exec_bridge.h"
#include "common/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bosun::apiserver;
  if (size < 2) return 0;
  SpdyExecOptions o;
  o.protocol = kSpdyExecProtocols[data[0] % 4];
  o.stdin = data[0] & 4;
  o.stdout = data[0] & 8;
  o.stderr = data[0] & 16;
  o.tty = data[0] & 32;
  o.max_pending_bytes = 1 << 16;
  SpdyExecBridge bridge(o);
  UpstreamHead head;
  head.status = 101;
  head.headers.add("Sec-WebSocket-Protocol",
                   (data[0] & 64) ? "v5.channel.k8s.io" : "v4.channel.k8s.io");
  bridge.switching_protocols(head);
  // The rest alternates between the sides in chunks whose lengths the input picks.
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  bool client = true;
  while (!rest.empty()) {
    const size_t n = std::min<size_t>(rest.size(), 1 + static_cast<uint8_t>(rest[0]));
    std::string_view chunk = rest.substr(1, n - 1);
    rest.remove_prefix(n);
    BridgeOutput out;
    if (client) {
      bridge.from_client(chunk, &out);
    } else {
      bridge.from_upstream(chunk, &out);
    }
    BOSUN_CHECK(out.to_upstream.size() <= 2 * chunk.size() + 64 * 1024, "bounded agent output");
    client = !client;
  }
  BridgeOutput out;
  bridge.upstream_ended(&out);
  return 0;
}
