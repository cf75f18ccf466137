#include "apiserver/stream_bridge.h"

namespace bosun::apiserver {

namespace {

class PassthroughBridge final : public StreamBridge {
 public:
  Response switching_protocols(const UpstreamHead& upstream) override {
    Response sw;
    sw.status = 101;
    sw.content_type.clear();
    for (const char* name : {"Upgrade", "Connection", "Sec-WebSocket-Accept",
                             "Sec-WebSocket-Protocol", "X-Stream-Protocol-Version"}) {
      if (auto v = upstream.headers.get(name)) sw.headers.add(name, std::string(*v));
    }
    return sw;
  }
  void from_client(std::string_view data, BridgeOutput* out) override {
    out->to_upstream.append(data);
  }
  void from_upstream(std::string_view data, BridgeOutput* out) override {
    out->to_client.append(data);
  }
  void upstream_ended(BridgeOutput* out) override { out->close_client = true; }
};

}  // namespace

std::unique_ptr<StreamBridge> make_passthrough_bridge() {
  return std::make_unique<PassthroughBridge>();
}

}  // namespace bosun::apiserver
