// WebSocket framing as kubectl's exec client and the agent exchange it: the handshake key, frames
// of every length class, masking, fragmentation, control frames, and the channel protocols.
#include "http/websocket.h"

#include <gtest/gtest.h>

namespace bosun::apiserver {
namespace {

TEST(WebSocket, AcceptKeyIsTheRfc6455Example) {
  EXPECT_EQ(websocket_accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocket, ServerFramesAreUnmaskedWithTheChannelFirst) {
  std::string f = encode_channel_frame(kStdoutChannel, "hi");
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(static_cast<uint8_t>(f[0]), 0x82);  // FIN, binary
  EXPECT_EQ(static_cast<uint8_t>(f[1]), 3);     // unmasked, 3 bytes
  EXPECT_EQ(f[2], 1);
  EXPECT_EQ(f.substr(3), "hi");
}

TEST(WebSocket, ParsesMaskedClientFramesOfEveryLengthClass) {
  for (size_t n : {0u, 1u, 125u, 126u, 65535u, 65536u, 200000u}) {
    std::string payload(n, 'x');
    for (size_t i = 0; i < n; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::string frame = encode_websocket_frame(kWsBinary, payload, true, 0x12345678);
    WebSocketParser p(true);
    std::vector<WebSocketMessage> out;
    ASSERT_TRUE(p.feed(frame, &out).ok()) << n;
    ASSERT_EQ(out.size(), 1u) << n;
    EXPECT_EQ(out[0].opcode, kWsBinary);
    EXPECT_EQ(out[0].payload, payload) << n;
  }
}

TEST(WebSocket, FramesArriveInPieces) {
  std::string bytes = encode_channel_frame(kStdinChannel, "echo hi\n", 0xdeadbeef) +
                      encode_websocket_frame(kWsPing, "p", true, 0x01020304) +
                      encode_channel_frame(kCloseChannel, std::string(1, '\0'), 0x0a0b0c0d);
  WebSocketParser p(true);
  std::vector<WebSocketMessage> out;
  for (char c : bytes) ASSERT_TRUE(p.feed(std::string_view(&c, 1), &out).ok());
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].payload, std::string("\0echo hi\n", 9));
  EXPECT_EQ(out[1].opcode, kWsPing);
  EXPECT_EQ(out[1].payload, "p");
  EXPECT_EQ(out[2].payload, std::string("\xff\0", 2));
}

TEST(WebSocket, FragmentsJoinAroundControlFrames) {
  std::string bytes = encode_websocket_frame(kWsBinary, "\x01hel", false, 7) +
                      encode_websocket_frame(kWsPing, "", true, 7) +
                      encode_websocket_frame(kWsContinuation, "lo", true, 7);
  WebSocketParser p(true);
  std::vector<WebSocketMessage> out;
  ASSERT_TRUE(p.feed(bytes, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].opcode, kWsPing);
  EXPECT_EQ(out[1].opcode, kWsBinary);
  EXPECT_EQ(out[1].payload, "\x01hello");
}

TEST(WebSocket, RejectsUnmaskedClientFramesAndBadControlFrames) {
  std::vector<WebSocketMessage> out;
  WebSocketParser server(true);
  EXPECT_EQ(server.feed(encode_channel_frame(0, "x"), &out).error().code, ErrorCode::kBadRequest);
  WebSocketParser client(false);
  EXPECT_TRUE(client.feed(encode_channel_frame(0, "x"), &out).ok());
  WebSocketParser p2(true);
  EXPECT_FALSE(p2.feed(encode_websocket_frame(kWsPing, "p", false, 9), &out).ok());
  WebSocketParser p3(true);
  EXPECT_FALSE(p3.feed(encode_websocket_frame(kWsContinuation, "p", true, 9), &out).ok());
}

TEST(WebSocket, CloseFrameCarriesTheCode) {
  std::string f = encode_close_frame(1000);
  WebSocketParser p(false);
  std::vector<WebSocketMessage> out;
  ASSERT_TRUE(p.feed(f, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].opcode, kWsClose);
  EXPECT_EQ(out[0].payload, std::string("\x03\xe8", 2));
}

TEST(WebSocket, ChoosesV5ThenV4) {
  EXPECT_EQ(choose_channel_protocol({"v5.channel.k8s.io"}), "v5.channel.k8s.io");
  EXPECT_EQ(choose_channel_protocol({"v4.channel.k8s.io, v5.channel.k8s.io"}), "v5.channel.k8s.io");
  EXPECT_EQ(choose_channel_protocol({"v4.channel.k8s.io", "base64.channel.k8s.io"}),
            "v4.channel.k8s.io");
  EXPECT_EQ(choose_channel_protocol({"channel.k8s.io"}), "");
  EXPECT_EQ(choose_channel_protocol({}), "");
}

}  // namespace
}  // namespace bosun::apiserver
