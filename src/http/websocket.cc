#include "http/websocket.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "common/openssl_init.h"

namespace bosun::apiserver {

std::string websocket_accept_key(std::string_view client_key) {
  std::string in(client_key);
  in += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(in.data()), in.size(), digest);
  unsigned char out[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(out, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string encode_websocket_frame(uint8_t opcode, std::string_view payload, bool fin,
                                   uint32_t mask_key) {
  std::string out;
  out.reserve(payload.size() + 14);
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | (opcode & 0x0f)));
  const uint8_t mask_bit = mask_key ? 0x80 : 0;
  const uint64_t n = payload.size();
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xffff) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xff));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  }
  if (!mask_key) {
    out.append(payload);
    return out;
  }
  unsigned char key[4] = {
      static_cast<unsigned char>(mask_key >> 24), static_cast<unsigned char>(mask_key >> 16),
      static_cast<unsigned char>(mask_key >> 8), static_cast<unsigned char>(mask_key)};
  out.append(reinterpret_cast<char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  }
  return out;
}

std::string encode_channel_frame(uint8_t channel, std::string_view data, uint32_t mask_key) {
  std::string payload;
  payload.reserve(data.size() + 1);
  payload.push_back(static_cast<char>(channel));
  payload.append(data);
  return encode_websocket_frame(kWsBinary, payload, true, mask_key);
}

std::string encode_close_frame(uint16_t code, std::string_view reason, uint32_t mask_key) {
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xff));
  payload.append(reason.substr(0, 123));
  return encode_websocket_frame(kWsClose, payload, true, mask_key);
}

Result<void> WebSocketParser::feed(std::string_view data, std::vector<WebSocketMessage>* out) {
  buffer_.append(data);
  size_t pos = 0;
  auto bad = [](const std::string& why) {
    return make_error(ErrorCode::kBadRequest, "websocket: " + why);
  };
  while (true) {
    const size_t avail = buffer_.size() - pos;
    if (avail < 2) break;
    const auto* b = reinterpret_cast<const unsigned char*>(buffer_.data() + pos);
    const bool fin = b[0] & 0x80;
    const uint8_t opcode = b[0] & 0x0f;
    if (b[0] & 0x70) return bad("reserved bits set");
    const bool masked = b[1] & 0x80;
    uint64_t len = b[1] & 0x7f;
    size_t header = 2;
    if (len == 126) {
      if (avail < 4) break;
      len = (uint64_t{b[2]} << 8) | b[3];
      header = 4;
    } else if (len == 127) {
      if (avail < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      header = 10;
    }
    if (require_mask_ && !masked) return bad("client frame not masked");
    if (len > max_message_) return bad("frame too large");
    const bool control = opcode & 0x08;
    if (control && (!fin || len > 125)) return bad("bad control frame");
    if (masked) header += 4;
    if (avail < header + len) break;
    std::string payload = buffer_.substr(pos + header, len);
    if (masked) {
      const unsigned char* key = b + header - 4;
      for (size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<char>(payload[i] ^ key[i % 4]);
    }
    pos += header + len;
    if (control) {
      if (opcode != kWsClose && opcode != kWsPing && opcode != kWsPong) {
        return bad("unknown opcode");
      }
      out->push_back({opcode, std::move(payload)});
      continue;
    }
    if (opcode == kWsContinuation) {
      if (!in_fragmented_) return bad("continuation without a message");
      if (partial_.size() + payload.size() > max_message_) return bad("message too large");
      partial_ += payload;
      if (fin) {
        out->push_back({partial_opcode_, std::move(partial_)});
        partial_.clear();
        in_fragmented_ = false;
      }
      continue;
    }
    if (opcode != kWsText && opcode != kWsBinary) return bad("unknown opcode");
    if (in_fragmented_) return bad("new message inside a fragmented one");
    if (fin) {
      out->push_back({opcode, std::move(payload)});
    } else {
      in_fragmented_ = true;
      partial_opcode_ = opcode;
      partial_ = std::move(payload);
    }
  }
  buffer_.erase(0, pos);
  return ok_result();
}

std::string choose_channel_protocol(const std::vector<std::string_view>& offered) {
  bool v4 = false;
  for (std::string_view header : offered) {
    size_t start = 0;
    while (start <= header.size()) {
      size_t comma = header.find(',', start);
      std::string_view item = header.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (item == kChannelProtocolV5) return std::string(kChannelProtocolV5);
      if (item == kChannelProtocolV4) v4 = true;
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
  }
  return v4 ? std::string(kChannelProtocolV4) : std::string();
}

}  // namespace bosun::apiserver
