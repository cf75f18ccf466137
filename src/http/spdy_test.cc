// SPDY/3 framing as kubectl 1.27-1.29 speaks it for exec and port-forward: a frame kubectl really
// sent, hand-built frames of every type, the shared header compression context, frames split
// anywhere, and the bounds that keep hostile input from allocating.
#include "http/spdy.h"

#include <gtest/gtest.h>
#include <zlib.h>

namespace bosun::apiserver {
namespace {

std::string unhex(std::string_view hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

std::vector<SpdyFrame> parse_all(SpdyParser& p, std::string_view bytes) {
  std::vector<SpdyFrame> out;
  auto r = p.feed(bytes, &out);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return out;
}

TEST(Spdy, DictionaryIsTheDraft3OneByItsZlibId) {
  std::string_view d = spdy_header_dictionary();
  EXPECT_EQ(d.size(), 1423u);
  // The DICTID in every SPDY/3 header stream's zlib header (kubectl's starts 78 f9 e3 c6 a7 c2).
  EXPECT_EQ(adler32(1, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size())),
            0xe3c6a7c2u);
}

TEST(Spdy, ParsesTheErrorStreamSynStreamKubectl127Sent) {
  // Captured from `kubectl.1.27 exec -i pod1 -- cat` after the 101: its first stream.
  const std::string wire = unhex(
      "80030001000000290000000100000000000078f9e3c6a7c26260606004a7"
      "b392a2d4c45c6851c29a0a0a6800000000ffff");
  SpdyParser p;
  auto frames = parse_all(p, wire);
  ASSERT_EQ(frames.size(), 1u);
  const SpdyFrame& f = frames[0];
  EXPECT_EQ(f.type, SpdyFrameType::kSynStream);
  EXPECT_EQ(f.stream_id, 1u);
  EXPECT_EQ(f.associated_stream_id, 0u);
  EXPECT_FALSE(f.fin());
  ASSERT_EQ(f.headers.size(), 1u);
  EXPECT_EQ(f.headers[0].first, "streamtype");
  EXPECT_EQ(f.header("streamtype").value_or(""), "error");
}

TEST(Spdy, HandBuiltControlFramesParse) {
  SpdyParser p;
  // PING id 7, GOAWAY last 5 status 0, RST_STREAM 3 CANCEL, WINDOW_UPDATE 0 +65536,
  // SETTINGS {persist, INITIAL_WINDOW_SIZE=7, 1 MiB}.
  std::string wire = unhex(
      "8003000600000004"
      "00000007"
      "8003000700000008"
      "00000005"
      "00000000"
      "8003000300000008"
      "00000003"
      "00000005"
      "8003000900000008"
      "00000000"
      "00010000"
      "800300040000000c"
      "00000001"
      "01000007"
      "00100000");
  auto frames = parse_all(p, wire);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[0].type, SpdyFrameType::kPing);
  EXPECT_EQ(frames[0].ping_id, 7u);
  EXPECT_EQ(frames[1].type, SpdyFrameType::kGoAway);
  EXPECT_EQ(frames[1].stream_id, 5u);
  EXPECT_EQ(frames[1].status, kSpdyGoAwayOk);
  EXPECT_EQ(frames[2].type, SpdyFrameType::kRstStream);
  EXPECT_EQ(frames[2].stream_id, 3u);
  EXPECT_EQ(frames[2].status, kSpdyCancel);
  EXPECT_EQ(frames[3].type, SpdyFrameType::kWindowUpdate);
  EXPECT_EQ(frames[3].stream_id, 0u);
  EXPECT_EQ(frames[3].delta_window_size, 65536u);
  EXPECT_EQ(frames[4].type, SpdyFrameType::kSettings);
  ASSERT_EQ(frames[4].settings.size(), 1u);
  EXPECT_EQ(frames[4].settings[0].flags, 1);
  EXPECT_EQ(frames[4].settings[0].id, 7u);
  EXPECT_EQ(frames[4].settings[0].value, 1u << 20);
}

TEST(Spdy, DataFramesCarryStreamFlagsAndBytes) {
  SpdyParser p;
  auto frames = parse_all(p, unhex("00000003"
                                   "00000002"
                                   "6869"
                                   "00000003"
                                   "01000000"));
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, SpdyFrameType::kData);
  EXPECT_EQ(frames[0].stream_id, 3u);
  EXPECT_EQ(frames[0].data, "hi");
  EXPECT_FALSE(frames[0].fin());
  EXPECT_TRUE(frames[1].fin());  // kubectl closes stdin so: an empty DATA with FIN
  EXPECT_EQ(frames[1].data, "");
}

TEST(Spdy, WriterEncodesControlFramesByteForByte) {
  SpdyWriter w;
  EXPECT_EQ(w.ping(7), unhex("800300060000000400000007"));
  EXPECT_EQ(w.goaway(5), unhex("80030007000000080000000500000000"));
  EXPECT_EQ(w.rst_stream(3, kSpdyCancel), unhex("80030003000000080000000300000005"));
  EXPECT_EQ(w.window_update(1, 100), unhex("80030009000000080000000100000064"));
  EXPECT_EQ(w.data(2, "ab", true), unhex("00000002010000026162"));
  EXPECT_EQ(w.settings({{0, 4, 100}}), unhex("800300040000000c000000010000000400000064"));
}

TEST(Spdy, HeaderFramesRoundTripThroughOneCompressionContext) {
  SpdyWriter w;
  SpdyParser p;
  std::string wire;
  wire += w.syn_stream(1, {{"streamType", "error"}});
  wire += w.syn_stream(3, {{"streamtype", "stdin"}});
  wire += w.syn_reply(1, {});
  wire +=
      w.headers(5, {{"port", "80"}, {"requestid", "0"}, {"multi", std::string("a\0b", 3)}}, true);
  auto frames = parse_all(p, wire);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].header("streamtype").value_or(""), "error");  // names lowercased
  EXPECT_EQ(frames[1].stream_id, 3u);
  EXPECT_EQ(frames[1].header("streamtype").value_or(""), "stdin");
  EXPECT_EQ(frames[2].type, SpdyFrameType::kSynReply);
  EXPECT_TRUE(frames[2].headers.empty());
  EXPECT_EQ(frames[3].type, SpdyFrameType::kHeaders);
  EXPECT_TRUE(frames[3].fin());
  EXPECT_EQ(frames[3].header("port").value_or(""), "80");
  EXPECT_EQ(frames[3].header("multi").value_or(""), "a");  // the first of NUL-separated values
  EXPECT_EQ(frames[3].headers[2].second, std::string("a\0b", 3));
  // The second block reuses the first's context: it is smaller than a fresh stream would make.
  SpdyWriter fresh;
  EXPECT_LT(w.syn_stream(7, {{"streamtype", "error"}}).size(),
            fresh.syn_stream(7, {{"streamtype", "error"}}).size());
}

TEST(Spdy, FramesSplitAtEveryByteParseTheSame) {
  SpdyWriter w;
  // One statement per frame: header blocks must be encoded in the order they are sent.
  std::string wire = w.syn_stream(1, {{"streamtype", "stdout"}});
  wire += w.data(1, "hello", true);
  wire += w.ping(1);
  wire += w.syn_stream(3, {{"streamtype", "stderr"}});
  for (size_t split = 0; split <= wire.size(); ++split) {
    SpdyParser p;
    std::vector<SpdyFrame> out;
    ASSERT_TRUE(p.feed(std::string_view(wire).substr(0, split), &out).ok());
    auto r = p.feed(std::string_view(wire).substr(split), &out);
    ASSERT_TRUE(r.ok()) << split << ": " << r.error().message;
    ASSERT_EQ(out.size(), 4u) << split;
    EXPECT_EQ(out[1].data, "hello");
    EXPECT_EQ(out[3].header("streamtype").value_or(""), "stderr");
  }
}

TEST(Spdy, LargeDataIsSplitIntoFramesAtTheLengthLimit) {
  SpdyWriter w;
  std::string big(kSpdyMaxFrameLength + 10, 'x');
  std::string wire = w.data(9, big, true);
  EXPECT_EQ(wire.size(), big.size() + 16);
  SpdyParser p(kSpdyMaxFrameLength);
  auto frames = parse_all(p, wire);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_FALSE(frames[0].fin());
  EXPECT_TRUE(frames[1].fin());
  EXPECT_EQ(frames[0].data.size() + frames[1].data.size(), big.size());
}

TEST(Spdy, OversizedFramesFailBeforeTheirPayloadArrives) {
  SpdyParser p(1024);
  std::vector<SpdyFrame> out;
  auto r = p.feed(unhex("00000001"
                        "00010000"),
                  &out);  // a 64 KiB data frame announced
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(r.error().message, "spdy: frame of 65536 bytes exceeds the limit of 1024");
  EXPECT_FALSE(p.feed("", &out).ok());  // the connection stays failed
}

TEST(Spdy, HeaderBlocksInflatingPastTheLimitFail) {
  SpdyWriter w;
  SpdyParser p(1 << 20, 1024);
  std::vector<SpdyFrame> out;
  auto r = p.feed(w.syn_stream(1, {{"x", std::string(4096, 'a')}}), &out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "spdy: header block too large");
}

TEST(Spdy, MalformedFramesAreErrors) {
  struct Case {
    const char* hex;
    const char* message;
  } cases[] = {
      {"8002000600000004"
       "00000001",
       "spdy: unsupported version 2"},
      {"8003000600000005"
       "0000000100",
       "spdy: PING frame has length 5"},
      {"8003000300000004"
       "00000001",
       "spdy: RST_STREAM frame has length 4"},
      {"8003000400000008"
       "00000002"
       "00000000",
       "spdy: SETTINGS count does not match its length"},
      {"8003000100000004"
       "00000001",
       "spdy: SYN_STREAM frame too short"},
      {"00000000"
       "00000000",
       "spdy: stream id zero is disallowed"},
      {"800300010000000c"
       "00000001"
       "00000000"
       "0000"
       "abcd",
       "spdy: corrupt header block"},
  };
  for (const auto& c : cases) {
    SpdyParser p;
    std::vector<SpdyFrame> out;
    auto r = p.feed(unhex(c.hex), &out);
    ASSERT_FALSE(r.ok()) << c.hex;
    EXPECT_EQ(r.error().message, c.message) << c.hex;
  }
}

TEST(Spdy, HeaderCountLargerThanTheBlockIsRejectedWithoutAllocating) {
  // A block claiming 2^32-1 pairs in 4 bytes, compressed with the right dictionary.
  z_stream z{};
  ASSERT_EQ(deflateInit(&z, 9), Z_OK);
  std::string_view dict = spdy_header_dictionary();
  deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dict.data()),
                       static_cast<uInt>(dict.size()));
  unsigned char in[4] = {0xff, 0xff, 0xff, 0xff};
  unsigned char buf[64];
  z.next_in = in;
  z.avail_in = 4;
  z.next_out = buf;
  z.avail_out = sizeof buf;
  ASSERT_EQ(deflate(&z, Z_SYNC_FLUSH), Z_OK);
  std::string block(reinterpret_cast<char*>(buf), sizeof buf - z.avail_out);
  deflateEnd(&z);
  std::string frame = unhex("80030002");
  const uint32_t len = static_cast<uint32_t>(4 + block.size());
  frame += std::string{0, 0, static_cast<char>(len >> 8), static_cast<char>(len & 0xff)};
  frame += unhex("00000001") + block;
  SpdyParser p;
  std::vector<SpdyFrame> out;
  auto r = p.feed(frame, &out);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "spdy: header block count exceeds its size");
}

TEST(Spdy, UnknownControlFramesAreSkipped) {
  SpdyParser p;
  // A SPDY/2 NOOP-typed (5) and a CREDENTIAL (10) frame, then a PING.
  auto frames = parse_all(p, unhex("8003000500000000"
                                   "8003000a00000002"
                                   "0000"
                                   "8003000600000004"
                                   "00000003"));
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].ping_id, 3u);
}

TEST(Spdy, EncodeRoundTripsEveryFrameType) {
  SpdyWriter w;
  SpdyParser p;
  std::vector<SpdyFrame> in(9);
  in[0].type = SpdyFrameType::kData, in[0].stream_id = 1, in[0].data = "x", in[0].flags = 1;
  in[1].type = SpdyFrameType::kSynStream, in[1].stream_id = 3, in[1].associated_stream_id = 1;
  in[1].priority = 5, in[1].slot = 2, in[1].headers = {{"a", "b"}};
  in[2].type = SpdyFrameType::kSynReply, in[2].stream_id = 3, in[2].flags = 1;
  in[3].type = SpdyFrameType::kRstStream, in[3].stream_id = 3, in[3].status = 6;
  in[4].type = SpdyFrameType::kSettings, in[4].settings = {{2, 4, 9}};
  in[5].type = SpdyFrameType::kPing, in[5].ping_id = 2;
  in[6].type = SpdyFrameType::kGoAway, in[6].stream_id = 3, in[6].status = 1;
  in[7].type = SpdyFrameType::kHeaders, in[7].stream_id = 3, in[7].headers = {{"c", "d"}};
  in[8].type = SpdyFrameType::kWindowUpdate, in[8].stream_id = 3, in[8].delta_window_size = 5;
  std::string wire;
  for (const auto& f : in) wire += w.encode(f);
  auto out = parse_all(p, wire);
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].type, in[i].type) << i;
    EXPECT_EQ(out[i].flags, in[i].flags) << i;
    EXPECT_EQ(out[i].stream_id, in[i].stream_id) << i;
    EXPECT_EQ(out[i].headers, in[i].headers) << i;
    EXPECT_EQ(out[i].data, in[i].data) << i;
    EXPECT_EQ(out[i].status, in[i].status) << i;
  }
  EXPECT_EQ(out[1].associated_stream_id, 1u);
  EXPECT_EQ(out[1].priority, 5);
  EXPECT_EQ(out[1].slot, 2);
  EXPECT_EQ(out[4].settings[0].id, 4u);
  EXPECT_EQ(out[4].settings[0].flags, 2);
  EXPECT_EQ(out[5].ping_id, 2u);
  EXPECT_EQ(out[8].delta_window_size, 5u);
}

}  // namespace
}  // namespace bosun::apiserver
