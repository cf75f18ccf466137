// pods/log, pods/exec and pods/attach: resolved to the pod's node (its InternalIP and the
// kubeletEndpoint port the agent published) and proxied to the agent's kubelet port, as
// kube-apiserver's LogLocation/ExecLocation and UpgradeAwareHandler do: logs as a streamed
// text/plain response, exec and attach as a WebSocket upgrade relayed byte for byte. The checks
// that need only the pod (container name, waiting or missing previous container) answer here with
// Kubernetes' messages. Thread-safe: handlers run on the server's workers; relays on the
// UpstreamClient's io thread and the connections' io threads.
#pragma once

#include <memory>
#include <string>

#include "apiserver/rest_core.h"
#include "common/result.h"
#include "http/upstream.h"

namespace bosun::apiserver {

// The container a pods/log or exec request means (the `container` parameter, or the pod's only
// container), or Kubernetes' BadRequest: "a container name must be specified for pod p, choose
// one of: [a b]", "container x is not valid for pod p".
Result<std::string> pod_stream_container(const Json& pod, std::string_view requested);

// The kubelet's checks on the container's status before it reads logs
// (validateContainerLogStatus): `container "c" in pod "p" is waiting to start: <reason>`,
// `previous terminated container "c" in pod "p" not found`.
Result<void> check_log_status(const Json& pod, const std::string& container, bool previous);

// The agent's address for the pod: host and port, or a BadRequest/ServiceUnavailable when the pod
// is not scheduled or its node does not publish one.
struct NodeEndpoint {
  std::string host;
  uint16_t port = 0;
};
Result<NodeEndpoint> pod_node_endpoint(RestCore& core, const Json& pod);

// Serves pods/{log,exec,attach}; answers the exchange itself (errors included).
void serve_pod_stream(RestCore& core, RestRequest& r, UpstreamClient* nodes);

}  // namespace bosun::apiserver
