// `kubectl exec` and `kubectl attach` over SPDY/3.1 (kubectl 1.27-1.29 always, 1.30+ when the
// WebSocket upgrade fails), bridged by the API server to the agent, which speaks only WebSocket
// (v5.channel.k8s.io): kubectl's streams, created one SYN_STREAM at a time with a `streamtype`
// header (error, stdin, stdout, stderr, resize) and each answered with a SYN_REPLY as
// moby/spdystream's server does, map to the channels 0-4 of the agent's exec session. The agent's
// status (channel 3) goes to the error stream (v4+: the metav1.Status JSON kubectl turns into its
// exit code; v2/v3: the failure's message), then every stream ends with FIN and the connection
// with GOAWAY. Not synchronised: a StreamBridge used under the relay's mutex.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/stream_bridge.h"
#include "http/spdy.h"
#include "http/websocket.h"

namespace bosun::apiserver {

// The remotecommand versions served over SPDY, newest first (Kubernetes' kubelet serves the same
// four; v5 is v4 over SPDY, where closing stdin is the stream's FIN).
inline constexpr std::string_view kSpdyExecProtocols[] = {"v5.channel.k8s.io", "v4.channel.k8s.io",
                                                          "v3.channel.k8s.io", "v2.channel.k8s.io"};

// Whether a request asks to switch to SPDY/3.1 (`Connection: Upgrade`, `Upgrade: SPDY/3.1`).
bool wants_spdy(const Request& request);

// The newest protocol of `supported` the client offers in its X-Stream-Protocol-Version fields
// (each may hold a comma-separated list), or "" when none: Kubernetes' httpstream.Handshake then
// answers 403 "unable to upgrade: unable to negotiate protocol: client supports [...], server
// supports [...]", which negotiation_error() words.
std::string choose_stream_protocol(const std::vector<std::string_view>& offered,
                                   const std::vector<std::string_view>& supported);
Error negotiation_error(const std::vector<std::string_view>& offered,
                        const std::vector<std::string_view>& supported);

// The header fields of the API server's WebSocket request to the agent's /exec or /attach: a
// fresh Sec-WebSocket-Key and the v5 and v4 channel protocols.
Headers agent_websocket_headers();

struct SpdyExecOptions {
  std::string protocol;  // the version chosen for the client, one of kSpdyExecProtocols
  // What the request asked for (its stdin, stdout, stderr and tty parameters): the streams kubectl
  // creates, all of which must exist before the session ends on them.
  bool stdin = false;
  bool stdout = false;
  bool stderr = false;
  bool tty = false;
  // Output from the agent held until kubectl has opened the stream it belongs to (kubectl opens
  // its streams one round trip at a time, while a short command may already have finished).
  size_t max_pending_bytes = 8 << 20;
};

class SpdyExecBridge final : public StreamBridge {
 public:
  explicit SpdyExecBridge(SpdyExecOptions options);

  Response switching_protocols(const UpstreamHead& upstream) override;
  void from_client(std::string_view data, BridgeOutput* out) override;
  void from_upstream(std::string_view data, BridgeOutput* out) override;
  void upstream_ended(BridgeOutput* out) override;

 private:
  enum Kind { kError, kStdin, kStdout, kStderr, kResize, kKinds };
  void on_client_frame(SpdyFrame& f, BridgeOutput* out);
  void to_agent(uint8_t channel, std::string_view data, BridgeOutput* out);
  void output(Kind kind, std::string_view data, BridgeOutput* out);
  void try_finish(BridgeOutput* out);
  void fail(BridgeOutput* out);
  bool expected(Kind kind) const;

  SpdyExecOptions options_;
  SpdyParser parser_;
  SpdyWriter writer_;
  WebSocketParser agent_parser_{false};
  bool agent_v5_ = true;
  std::mt19937 mask_rng_;
  std::array<uint32_t, kKinds> stream_{};  // the client's stream of each kind, 0 before it opens
  std::array<std::string, kKinds> pending_;
  size_t pending_bytes_ = 0;
  std::map<uint32_t, Kind> kinds_;
  uint32_t last_stream_id_ = 0;
  std::string resize_line_;
  std::optional<std::string> status_;
  bool agent_done_ = false;
  bool finished_ = false;
};

}  // namespace bosun::apiserver
