// WebSocket (RFC 6455) framing as the server side of Kubernetes' streaming protocols needs it:
// the handshake's accept key, frames encoded unmasked (server to client) or masked (a client, in
// tests), and an incremental parser that joins fragmented messages. Kubernetes' channel protocols
// (v4/v5.channel.k8s.io) put the channel number in a binary message's first byte. Pure functions
// and a parser object that is not synchronised (one per connection).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bosun::apiserver {

inline constexpr uint8_t kWsContinuation = 0x0;
inline constexpr uint8_t kWsText = 0x1;
inline constexpr uint8_t kWsBinary = 0x2;
inline constexpr uint8_t kWsClose = 0x8;
inline constexpr uint8_t kWsPing = 0x9;
inline constexpr uint8_t kWsPong = 0xA;

// Kubernetes' channel protocols (k8s.io/apimachinery/pkg/util/remotecommand).
inline constexpr std::string_view kChannelProtocolV5 = "v5.channel.k8s.io";
inline constexpr std::string_view kChannelProtocolV4 = "v4.channel.k8s.io";
inline constexpr uint8_t kStdinChannel = 0;
inline constexpr uint8_t kStdoutChannel = 1;
inline constexpr uint8_t kStderrChannel = 2;
inline constexpr uint8_t kErrorChannel = 3;
inline constexpr uint8_t kResizeChannel = 4;
inline constexpr uint8_t kCloseChannel = 255;  // v5: {255, n} closes channel n

// base64(SHA-1(key + the RFC 6455 GUID)): the Sec-WebSocket-Accept answer to Sec-WebSocket-Key.
std::string websocket_accept_key(std::string_view client_key);

// One frame. With mask_key non-zero the payload is masked, as a client must send it.
std::string encode_websocket_frame(uint8_t opcode, std::string_view payload, bool fin = true,
                                   uint32_t mask_key = 0);
// A binary message on a channel: {channel, data...}.
std::string encode_channel_frame(uint8_t channel, std::string_view data, uint32_t mask_key = 0);
// A close frame with a status code (1000 normal closure) and reason.
std::string encode_close_frame(uint16_t code, std::string_view reason = {}, uint32_t mask_key = 0);

struct WebSocketMessage {
  uint8_t opcode = 0;  // kWsText, kWsBinary, or a control opcode
  std::string payload;
};

class WebSocketParser {
 public:
  // require_mask: a server rejects unmasked client frames (RFC 6455 5.1).
  explicit WebSocketParser(bool require_mask, size_t max_message_bytes = 16 << 20)
      : require_mask_(require_mask), max_message_(max_message_bytes) {}

  // Appends bytes and moves every completed message to `out` (control frames as they come,
  // data messages once their last fragment arrived). A protocol violation is a BadRequest, after
  // which the connection must be closed.
  Result<void> feed(std::string_view data, std::vector<WebSocketMessage>* out);

 private:
  bool require_mask_;
  size_t max_message_;
  std::string buffer_;
  std::string partial_;  // a fragmented message so far
  uint8_t partial_opcode_ = 0;
  bool in_fragmented_ = false;
};

// The first offered subprotocol this server speaks (v5, then v4 channel), from the comma-separated
// Sec-WebSocket-Protocol values; empty when none.
std::string choose_channel_protocol(const std::vector<std::string_view>& offered);

}  // namespace bosun::apiserver
