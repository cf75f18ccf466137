// How the API server's relay of an upgraded pod stream (pods/exec, pods/attach) joins the client's
// connection to the agent's: a StreamBridge turns the bytes of one side into the bytes the other
// side gets. The WebSocket relay passes bytes through unchanged; the SPDY bridge translates
// kubectl's SPDY/3.1 streams (before 1.30) into the agent's WebSocket channels. Used by
// pod_streams.cc. Not synchronised: the relay calls a bridge under its own mutex, one call at a
// time.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "http/http_message.h"
#include "http/upstream.h"

namespace bosun::apiserver {

// What one call of a bridge produced: bytes for each side, in order, and whether to close them
// (after what is queued).
struct BridgeOutput {
  std::string to_client;
  std::string to_upstream;
  bool close_client = false;
  bool close_upstream = false;
};

class StreamBridge {
 public:
  virtual ~StreamBridge() = default;
  // The client's 101 answer, given the upstream's.
  virtual Response switching_protocols(const UpstreamHead& upstream) = 0;
  virtual void from_client(std::string_view data, BridgeOutput* out) = 0;
  virtual void from_upstream(std::string_view data, BridgeOutput* out) = 0;
  // The upstream connection ended (closed or broken).
  virtual void upstream_ended(BridgeOutput* out) = 0;
};

// Bytes through unchanged both ways (a WebSocket client talking to the agent's WebSocket); the
// 101 carries the upstream's Upgrade, Connection, Sec-WebSocket-* and X-Stream-Protocol-Version.
std::unique_ptr<StreamBridge> make_passthrough_bridge();

}  // namespace bosun::apiserver
