#include "apiserver/spdy_exec_bridge.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/json.h"
#include "common/openssl_init.h"

namespace bosun::apiserver {

namespace {

std::vector<std::string_view> split_list(const std::vector<std::string_view>& fields) {
  std::vector<std::string_view> out;
  for (std::string_view field : fields) {
    while (!field.empty()) {
      size_t comma = field.find(',');
      std::string_view item = field.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) out.push_back(item);
      if (comma == std::string_view::npos) break;
      field.remove_prefix(comma + 1);
    }
  }
  return out;
}

std::string go_list(const std::vector<std::string_view>& items) {
  std::string s = "[";
  for (size_t i = 0; i < items.size(); ++i) s += (i ? " " : "") + std::string(items[i]);
  return s + "]";
}

bool has_token(std::string_view value, std::string_view token) {
  for (std::string_view item : split_list({value})) {
    if (iequals(item, token)) return true;
  }
  return false;
}

// The message a v2/v3 client prints for a failed session (remotecommand's v1 status writer sends
// only the message; v4 sends the whole Status).
std::string status_message(const std::string& status_json) {
  Json s = Json::parse(status_json, nullptr, false);
  if (!s.is_object()) return status_json;
  auto st = s.find("status");
  if (st != s.end() && st->is_string() && *st == "Success") return "";
  auto msg = s.find("message");
  return msg != s.end() && msg->is_string() ? msg->get<std::string>() : "error executing command";
}

}  // namespace

bool wants_spdy(const Request& request) {
  return has_token(request.header("Connection"), "upgrade") &&
         has_token(request.header("Upgrade"), "SPDY/3.1");
}

std::string choose_stream_protocol(const std::vector<std::string_view>& offered,
                                   const std::vector<std::string_view>& supported) {
  auto client = split_list(offered);
  for (std::string_view s : supported) {
    for (std::string_view c : client) {
      if (c == s) return std::string(s);
    }
  }
  return "";
}

Error negotiation_error(const std::vector<std::string_view>& offered,
                        const std::vector<std::string_view>& supported) {
  return make_error(ErrorCode::kForbidden,
                    "unable to upgrade: unable to negotiate protocol: client supports " +
                        go_list(split_list(offered)) + ", server supports " + go_list(supported));
}

Headers agent_websocket_headers() {
  unsigned char nonce[16];
  if (RAND_bytes(nonce, sizeof nonce) != 1) {
    std::random_device rd;
    for (auto& b : nonce) b = static_cast<unsigned char>(rd());
  }
  unsigned char key[32];
  int n = EVP_EncodeBlock(key, nonce, sizeof nonce);
  Headers h;
  h.add("Connection", "Upgrade");
  h.add("Upgrade", "websocket");
  h.add("Sec-WebSocket-Version", "13");
  h.add("Sec-WebSocket-Key", std::string(reinterpret_cast<char*>(key), n));
  h.add("Sec-WebSocket-Protocol",
        std::string(kChannelProtocolV5) + ", " + std::string(kChannelProtocolV4));
  return h;
}

SpdyExecBridge::SpdyExecBridge(SpdyExecOptions options)
    : options_(std::move(options)), mask_rng_(std::random_device{}()) {}

Response SpdyExecBridge::switching_protocols(const UpstreamHead& upstream) {
  agent_v5_ = upstream.headers.get("Sec-WebSocket-Protocol").value_or("") == kChannelProtocolV5;
  Response sw;
  sw.status = 101;
  sw.content_type.clear();
  // What kubectl's SPDY round tripper checks: Connection and Upgrade, then the negotiated version.
  sw.headers.add("Connection", "Upgrade");
  sw.headers.add("Upgrade", "SPDY/3.1");
  sw.headers.add("X-Stream-Protocol-Version", options_.protocol);
  return sw;
}

bool SpdyExecBridge::expected(Kind kind) const {
  switch (kind) {
    case kError:
      return true;
    case kStdin:
      return options_.stdin;
    case kStdout:
      return options_.stdout;
    case kStderr:
      return options_.stderr;
    case kResize:
      // remotecommand v3 added the resize stream, opened only with a tty.
      return options_.tty && options_.protocol != "v2.channel.k8s.io";
    case kKinds:
      break;
  }
  return false;
}

void SpdyExecBridge::to_agent(uint8_t channel, std::string_view data, BridgeOutput* out) {
  uint32_t mask = 0;
  while (mask == 0) mask = static_cast<uint32_t>(mask_rng_());
  out->to_upstream += encode_channel_frame(channel, data, mask);
}

void SpdyExecBridge::fail(BridgeOutput* out) {
  if (finished_) return;
  finished_ = true;
  out->to_client += writer_.goaway(last_stream_id_, kSpdyGoAwayProtocolError);
  out->close_client = true;
  out->close_upstream = true;
}

void SpdyExecBridge::from_client(std::string_view data, BridgeOutput* out) {
  if (finished_) return;
  std::vector<SpdyFrame> frames;
  auto parsed = parser_.feed(data, &frames);
  for (auto& f : frames) on_client_frame(f, out);
  if (!parsed.ok()) fail(out);
}

void SpdyExecBridge::on_client_frame(SpdyFrame& f, BridgeOutput* out) {
  if (finished_) return;
  switch (f.type) {
    case SpdyFrameType::kSynStream: {
      // Client streams have odd ids that only grow (draft 3, 2.3.2).
      if (f.stream_id % 2 == 0 || f.stream_id <= last_stream_id_) {
        out->to_client += writer_.rst_stream(f.stream_id, kSpdyProtocolError);
        return;
      }
      last_stream_id_ = f.stream_id;
      const std::string_view type = f.header("streamtype").value_or("");
      std::optional<Kind> kind;
      if (type == "error") kind = kError;
      if (type == "stdin") kind = kStdin;
      if (type == "stdout") kind = kStdout;
      if (type == "stderr") kind = kStderr;
      if (type == "resize") kind = kResize;
      if (!kind || stream_[*kind] != 0) {
        // The kubelet rejects unknown or repeated stream types.
        out->to_client += writer_.rst_stream(f.stream_id, kSpdyRefusedStream);
        return;
      }
      stream_[*kind] = f.stream_id;
      kinds_[f.stream_id] = *kind;
      out->to_client += writer_.syn_reply(f.stream_id, {});
      if (!pending_[*kind].empty()) {
        pending_bytes_ -= pending_[*kind].size();
        out->to_client += writer_.data(f.stream_id, pending_[*kind]);
        pending_[*kind].clear();
      }
      if (f.fin() && *kind == kStdin && agent_v5_) {
        to_agent(kCloseChannel, std::string(1, static_cast<char>(kStdinChannel)), out);
      }
      try_finish(out);
      return;
    }
    case SpdyFrameType::kData: {
      auto it = kinds_.find(f.stream_id);
      if (it == kinds_.end()) return;
      if (it->second == kStdin) {
        if (!f.data.empty()) to_agent(kStdinChannel, f.data, out);
        // kubectl closes stdin (its input ended) with FIN; v5 tells the agent so.
        if (f.fin() && agent_v5_) {
          to_agent(kCloseChannel, std::string(1, static_cast<char>(kStdinChannel)), out);
        }
      } else if (it->second == kResize) {
        // kubectl's json.Encoder writes one {"Width":W,"Height":H} per line; the agent wants
        // one per message.
        resize_line_ += f.data;
        size_t nl;
        while ((nl = resize_line_.find('\n')) != std::string::npos) {
          std::string line = resize_line_.substr(0, nl);
          resize_line_.erase(0, nl + 1);
          if (!line.empty()) to_agent(kResizeChannel, line, out);
        }
        if (resize_line_.size() > 4096) resize_line_.clear();
      }
      return;
    }
    case SpdyFrameType::kPing:
      // spdystream answers a peer's ping with the same id; kubectl pings to keep proxies open.
      out->to_client += writer_.ping(f.ping_id);
      return;
    case SpdyFrameType::kGoAway:
      finished_ = true;
      out->close_client = true;
      out->close_upstream = true;
      return;
    case SpdyFrameType::kRstStream:
      if (auto it = kinds_.find(f.stream_id);
          it != kinds_.end() && it->second == kStdin && agent_v5_) {
        to_agent(kCloseChannel, std::string(1, static_cast<char>(kStdinChannel)), out);
      }
      return;
    default:
      // SETTINGS, WINDOW_UPDATE (spdystream does not enforce flow control), HEADERS, SYN_REPLY.
      return;
  }
}

void SpdyExecBridge::output(Kind kind, std::string_view data, BridgeOutput* out) {
  if (data.empty() || finished_) return;
  if (stream_[kind] != 0) {
    out->to_client += writer_.data(stream_[kind], data);
    return;
  }
  if (!expected(kind)) return;  // output nobody asked for
  if (pending_bytes_ + data.size() > options_.max_pending_bytes) return fail(out);
  pending_[kind].append(data);
  pending_bytes_ += data.size();
}

void SpdyExecBridge::from_upstream(std::string_view data, BridgeOutput* out) {
  if (finished_) return;
  std::vector<WebSocketMessage> messages;
  auto parsed = agent_parser_.feed(data, &messages);
  for (auto& m : messages) {
    if (m.opcode == kWsPing) {
      uint32_t mask = 0;
      while (mask == 0) mask = static_cast<uint32_t>(mask_rng_());
      out->to_upstream += encode_websocket_frame(kWsPong, m.payload, true, mask);
    } else if (m.opcode == kWsClose) {
      agent_done_ = true;
    } else if (m.opcode == kWsBinary && !m.payload.empty()) {
      const auto channel = static_cast<uint8_t>(m.payload[0]);
      std::string_view body = std::string_view(m.payload).substr(1);
      if (channel == kStdoutChannel) output(kStdout, body, out);
      if (channel == kStderrChannel) output(kStderr, body, out);
      if (channel == kErrorChannel) status_ = status_.value_or("") + std::string(body);
    }
  }
  if (!parsed.ok()) agent_done_ = true;
  try_finish(out);
}

void SpdyExecBridge::upstream_ended(BridgeOutput* out) {
  agent_done_ = true;
  try_finish(out);
}

void SpdyExecBridge::try_finish(BridgeOutput* out) {
  if (finished_ || !agent_done_) return;
  for (int k = 0; k < kKinds; ++k) {
    // The session ends on streams kubectl has yet to open only once it has opened them.
    if (expected(static_cast<Kind>(k)) && stream_[k] == 0) return;
  }
  finished_ = true;
  std::string status = status_.value_or(
      R"({"metadata":{},"status":"Failure","message":"error: the node agent ended the session without an exit status","reason":"InternalError","code":500})");
  const bool v4 =
      options_.protocol == kSpdyExecProtocols[0] || options_.protocol == kSpdyExecProtocols[1];
  std::string error_body = v4 ? status : status_message(status);
  if (!error_body.empty()) out->to_client += writer_.data(stream_[kError], error_body);
  // The kubelet closes its half of each stream, then the connection (spdystream's Close sends
  // GOAWAY): kubectl reads the error stream to its end before deciding how to exit.
  for (Kind k : {kStdout, kStderr, kError}) {
    if (stream_[k] != 0) out->to_client += writer_.data(stream_[k], "", true);
  }
  out->to_client += writer_.goaway(last_stream_id_);
  // The client closes the connection itself once it has read everything: spdystream drops the
  // frames it has queued but not yet handled when the connection ends under it, so closing
  // first could cut off the end of the output or the status.
  out->close_upstream = true;
}

}  // namespace bosun::apiserver
