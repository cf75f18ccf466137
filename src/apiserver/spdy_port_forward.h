// `kubectl port-forward` over SPDY/3.1 (portforward.k8s.io; every kubectl version, 1.30+ after its
// WebSocket tunnel is refused), bridged by the API server to the agent: kubectl opens a pair of
// streams per forwarded connection, an error stream and a data stream, both with headers `port`
// and `requestID` (each answered with a SYN_REPLY, as the kubelet's spdystream server does), and
// the API server opens one WebSocket to the agent's /portForward/{namespace}/{pod}?port=P per pair
// (channel 0 data, channel 1 error text, each first prefixed by the port). When the pod's side
// ends, both streams of the pair end with FIN, as the kubelet closes them after forwarding.
// Thread-safe: the connection's state is guarded by one mutex; callbacks run on the client's and
// the upstream client's io threads.
#pragma once

#include <memory>

#include "http/exchange.h"
#include "http/upstream.h"

namespace bosun::apiserver {

inline constexpr std::string_view kPortForwardProtocol = "portforward.k8s.io";

// Answers the SPDY upgrade (403 when kubectl offers no portforward.k8s.io) and bridges every
// stream pair kubectl opens to `agent` (its host, port and target path "/portForward/ns/pod"; the
// port query is added per pair) through `nodes`, which must outlive the connection.
void serve_spdy_port_forward(const std::shared_ptr<Exchange>& exchange, UpstreamClient* nodes,
                             UpstreamRequest agent);

}  // namespace bosun::apiserver
