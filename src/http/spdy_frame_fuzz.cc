// SPDY/3 frames from the network (kubectl's exec and port-forward streams, before 1.30) never crash
// the parser or make it allocate beyond its bounds: any byte sequence, fed whole or split, parses
// or is a BadRequest, and every parsed frame re-encodes to bytes a fresh parser reads back alike.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/check.h"
#include "http/spdy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bosun::apiserver;
  if (size == 0) return 0;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = data[0] % (in.size() + 1);
  SpdyParser p(1 << 16, 1 << 14);
  std::vector<SpdyFrame> out;
  if (!p.feed(in.substr(0, split), &out).ok()) return 0;
  if (!p.feed(in.substr(split), &out).ok()) return 0;
  SpdyWriter w;
  std::string wire;
  for (const auto& f : out) wire += w.encode(f);
  SpdyParser again(1 << 16, 1 << 20);
  std::vector<SpdyFrame> back;
  BOSUN_CHECK(again.feed(wire, &back).ok(), "parsed frames re-encode");
  BOSUN_CHECK(back.size() == out.size(), "round trip keeps every frame");
  for (size_t i = 0; i < out.size(); ++i) {
    BOSUN_CHECK(back[i].type == out[i].type, "type survives");
    BOSUN_CHECK(back[i].stream_id == out[i].stream_id, "stream id survives");
    BOSUN_CHECK(back[i].data == out[i].data, "data survives");
    BOSUN_CHECK(back[i].headers == out[i].headers, "headers survive");
  }
  return 0;
}
