// The agent's side of `kubectl port-forward`: /portForward/{namespace}/{pod}?port=P over WebSocket
// (v4.channel.k8s.io), one forwarded connection per WebSocket, as the kubelet's WebSocket
// port-forward serves one stream pair per port: channel 0 carries the data, channel 1 the error
// text, each channel's first message from the agent being the port (2 bytes, little endian), as
// Kubernetes' portforward websocket protocol writes it. The API server, which bridges kubectl's
// SPDY streams, sends data on channel 0 and {255, 0} when kubectl closed its side. The agent
// connects to 127.0.0.1:P inside the pod's network namespace, as the kubelet's runtime does.
// Thread-safe: each forward runs on its own thread; ExecSessions ends them all.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "agent/container_runtime.h"
#include "agent/exec_session.h"
#include "http/exchange.h"

namespace bosun::agent {

// The port prefix of each channel's first message (Kubernetes' portforward websocket protocol).
std::string port_prefix(uint16_t port);

// Serves one /portForward request: 400 for a missing or bad port or without a WebSocket upgrade,
// 404 when the pod has no sandbox here, else 101 and a forward run through `run`.
void serve_port_forward(ContainerRuntime& runtime,
                        const std::shared_ptr<apiserver::Exchange>& exchange,
                        const std::shared_ptr<ExecSessions>& sessions,
                        const std::function<void(std::function<void()>)>& run);

}  // namespace bosun::agent
