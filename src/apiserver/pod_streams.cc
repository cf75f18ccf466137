#include "apiserver/pod_streams.h"

#include <mutex>

#include "apiserver/api_errors.h"
#include "apiserver/spdy_exec_bridge.h"
#include "apiserver/spdy_port_forward.h"
#include "apiserver/stream_bridge.h"
#include "common/log.h"

namespace bosun::apiserver {

namespace {

const Json* member(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string string_at(const Json& obj, const char* a, const char* b) {
  const Json* x = member(obj, a);
  const Json* y = x ? member(*x, b) : nullptr;
  return y && y->is_string() ? y->get<std::string>() : std::string();
}

std::vector<std::string> container_names(const Json& pod, const char* list) {
  std::vector<std::string> out;
  const Json* spec = member(pod, "spec");
  const Json* cs = spec ? member(*spec, list) : nullptr;
  if (!cs || !cs->is_array()) return out;
  for (const auto& c : *cs) {
    if (const Json* n = member(c, "name"); n && n->is_string())
      out.push_back(n->get<std::string>());
  }
  return out;
}

std::string bracket_list(const std::vector<std::string>& names) {
  std::string s = "[";
  for (size_t i = 0; i < names.size(); ++i) s += (i ? " " : "") + names[i];
  return s + "]";
}

const Json* container_status(const Json& pod, const std::string& name) {
  const Json* status = member(pod, "status");
  if (!status) return nullptr;
  for (const char* list :
       {"containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"}) {
    const Json* cs = member(*status, list);
    if (!cs || !cs->is_array()) continue;
    for (const auto& c : *cs) {
      const Json* n = member(c, "name");
      if (n && n->is_string() && n->get<std::string>() == name) return &c;
    }
  }
  return nullptr;
}

std::string url_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// The agent's error answer as the client's: its Status when it sent one, else the text wrapped
// as kube-apiserver's proxy wraps a kubelet's plain-text error.
Response upstream_error(int status, const std::string& body) {
  Json parsed = Json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.value("kind", "") == "Status") {
    Response r;
    r.status = status;
    r.body = body;
    return r;
  }
  std::string text = body;
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  ErrorCode code = status == 400   ? ErrorCode::kBadRequest
                   : status == 404 ? ErrorCode::kNotFound
                   : status == 403 ? ErrorCode::kForbidden
                                   : ErrorCode::kInternal;
  return Response::error(make_error(code, text));
}

// State shared by a relay's callbacks.
struct Relay {
  std::mutex mu;  // guards everything below
  std::shared_ptr<Exchange> exchange;
  std::shared_ptr<ResponseStream> stream;
  std::shared_ptr<UpgradedStream> upgraded;
  std::shared_ptr<UpstreamCall> call;
  std::shared_ptr<StreamBridge> bridge;  // upgraded streams: joins the client to the agent
  // What the bridge sent the agent before `call` was known (the agent's 101 can come back before
  // UpstreamClient::call() has returned).
  std::string early_upstream;
  bool early_close = false;
  bool upstream_over = false;  // on_end ran: nothing more goes to the agent
  int error_status = 0;
  std::string error_body;
  bool answered = false;
};

void serve_log(RestRequest& r, UpstreamClient* nodes, UpstreamRequest upstream) {
  auto relay = std::make_shared<Relay>();
  relay->exchange = r.exchange;
  UpstreamHandlers h;
  h.on_head = [relay](Result<UpstreamHead> head) {
    std::unique_lock lock(relay->mu);
    if (!head.ok()) {
      relay->answered = true;
      relay->exchange->respond(Response::error(head.error()));
      return;
    }
    if (head->status != 200) {
      relay->error_status = head->status;
      return;
    }
    relay->answered = true;
    StreamHead sh;
    sh.content_type = "text/plain";
    relay->stream = relay->exchange->start_stream(std::move(sh));
    auto stream = relay->stream;
    lock.unlock();  // on_close may run at once, and takes the lock
    std::weak_ptr<Relay> weak = relay;
    stream->on_close([weak](StreamEnd) {
      // The client went away: so does the call to the agent (a follow ends).
      if (auto rl = weak.lock()) {
        std::shared_ptr<UpstreamCall> call;
        {
          std::lock_guard l(rl->mu);
          call = rl->call;
        }
        if (call) call->close();
      }
    });
  };
  h.on_data = [relay](std::string_view data) {
    std::lock_guard lock(relay->mu);
    if (relay->stream) {
      relay->stream->write(std::string(data));
    } else if (relay->error_status != 0 && relay->error_body.size() < (1 << 20)) {
      relay->error_body.append(data);
    }
  };
  h.on_end = [relay](Result<void>) {
    std::lock_guard lock(relay->mu);
    if (relay->stream) {
      relay->stream->finish();
    } else if (!relay->answered) {
      relay->answered = true;
      relay->exchange->respond(upstream_error(relay->error_status, relay->error_body));
    }
    relay->call.reset();
  };
  auto call = nodes->call(std::move(upstream), std::move(h));
  std::lock_guard lock(relay->mu);
  if (!relay->answered || relay->stream) relay->call = call;
}

// Applies what a bridge produced: writes under the relay's lock (the SPDY header compression
// context makes the order of frames matter), closes after it (a close may run the other side's
// callbacks, which take the lock).
struct Closes {
  std::shared_ptr<UpgradedStream> client;
  std::shared_ptr<UpstreamCall> call;
  void run() {
    if (client) client->close();
    if (call) call->close();
  }
};

Closes deliver(Relay& rl, BridgeOutput& o) {
  Closes c;
  if (rl.upstream_over) {
    // The agent is gone; what was meant for it is dropped.
  } else if (!rl.call) {
    rl.early_upstream += o.to_upstream;
    rl.early_close = rl.early_close || o.close_upstream;
  } else if (!o.to_upstream.empty()) {
    rl.call->write(std::move(o.to_upstream));
  }
  if (!o.to_client.empty() && rl.upgraded) rl.upgraded->write(std::move(o.to_client));
  if (o.close_client) c.client = rl.upgraded;
  if (o.close_upstream) c.call = rl.call;
  return c;
}

// Relays an upgraded pods/exec or pods/attach: the agent's 101 first (any other answer goes to the
// client as an error), then the client's connection is taken over and the bridge joins the two.
void serve_upgrade(RestRequest& r, UpstreamClient* nodes, UpstreamRequest upstream,
                   std::shared_ptr<StreamBridge> bridge) {
  auto relay = std::make_shared<Relay>();
  relay->exchange = r.exchange;
  relay->bridge = std::move(bridge);
  UpstreamHandlers h;
  h.on_head = [relay](Result<UpstreamHead> head) {
    std::unique_lock lock(relay->mu);
    if (!head.ok()) {
      relay->answered = true;
      relay->exchange->respond(Response::error(head.error()));
      return;
    }
    if (head->status != 101) {
      relay->error_status = head->status;
      return;
    }
    relay->answered = true;
    relay->upgraded = relay->exchange->upgrade(relay->bridge->switching_protocols(*head));
    auto client = relay->upgraded;
    lock.unlock();
    if (!client) return;
    std::weak_ptr<Relay> weak = relay;
    client->start(
        [weak](std::string_view data) {
          auto rl = weak.lock();
          if (!rl) return;
          Closes closes;
          {
            std::lock_guard l(rl->mu);
            BridgeOutput o;
            rl->bridge->from_client(data, &o);
            closes = deliver(*rl, o);
          }
          closes.run();
        },
        [weak] {
          auto rl = weak.lock();
          if (!rl) return;
          std::shared_ptr<UpstreamCall> call;
          {
            std::lock_guard l(rl->mu);
            call = rl->call;
          }
          if (call) call->close();
        });
  };
  h.on_data = [relay](std::string_view data) {
    Closes closes;
    {
      std::lock_guard lock(relay->mu);
      if (relay->upgraded) {
        BridgeOutput o;
        relay->bridge->from_upstream(data, &o);
        closes = deliver(*relay, o);
      } else if (relay->error_status != 0 && relay->error_body.size() < (1 << 20)) {
        relay->error_body.append(data);
      }
    }
    closes.run();
  };
  h.on_end = [relay](Result<void>) {
    Closes closes;
    {
      std::lock_guard lock(relay->mu);
      if (relay->upgraded) {
        BridgeOutput o;
        relay->bridge->upstream_ended(&o);
        o.close_upstream = false;  // it has ended
        closes = deliver(*relay, o);
      } else if (!relay->answered) {
        relay->answered = true;
        relay->exchange->respond(upstream_error(relay->error_status, relay->error_body));
      }
      relay->upstream_over = true;
      relay->call.reset();
    }
    closes.run();
  };
  auto call = nodes->call(std::move(upstream), std::move(h));
  bool close_now = false;
  {
    std::lock_guard lock(relay->mu);
    // The relay keeps the call while either side is open; on_end drops it.
    if (!relay->answered || relay->upgraded) {
      relay->call = call;
      if (!relay->early_upstream.empty()) call->write(std::move(relay->early_upstream));
      close_now = relay->early_close;
    }
  }
  if (close_now) call->close();
}

}  // namespace

Result<std::string> pod_stream_container(const Json& pod, std::string_view requested) {
  const std::string pod_name = string_at(pod, "metadata", "name");
  auto containers = container_names(pod, "containers");
  auto init = container_names(pod, "initContainers");
  auto ephemeral = container_names(pod, "ephemeralContainers");
  if (requested.empty()) {
    if (containers.size() == 1) return containers[0];
    // kube-apiserver's podLogs/ExecLocation wording.
    std::string msg = "a container name must be specified for pod " + pod_name +
                      ", choose one of: " + bracket_list(containers);
    if (!init.empty()) msg += " or one of the init containers: " + bracket_list(init);
    if (!ephemeral.empty())
      msg += " or one of the ephemeral containers: " + bracket_list(ephemeral);
    return make_error(ErrorCode::kBadRequest, msg);
  }
  for (const auto* list : {&containers, &init, &ephemeral}) {
    for (const auto& n : *list) {
      if (n == requested) return n;
    }
  }
  return make_error(ErrorCode::kBadRequest,
                    "container " + std::string(requested) + " is not valid for pod " + pod_name);
}

Result<void> check_log_status(const Json& pod, const std::string& container, bool previous) {
  const std::string pod_name = string_at(pod, "metadata", "name");
  const Json* status = container_status(pod, container);
  if (previous) {
    const Json* last = status ? member(*status, "lastState") : nullptr;
    const Json* terminated = last ? member(*last, "terminated") : nullptr;
    if (!terminated || !terminated->is_object()) {
      return make_error(ErrorCode::kBadRequest, "previous terminated container \"" + container +
                                                    "\" in pod \"" + pod_name + "\" not found");
    }
    return ok_result();
  }
  const Json* state = status ? member(*status, "state") : nullptr;
  const Json* waiting = state ? member(*state, "waiting") : nullptr;
  if (!status || (waiting && waiting->is_object())) {
    std::string reason = waiting ? string_at(*state, "waiting", "reason") : "";
    if (reason.empty()) reason = "ContainerCreating";
    return make_error(ErrorCode::kBadRequest, "container \"" + container + "\" in pod \"" +
                                                  pod_name + "\" is waiting to start: " + reason);
  }
  return ok_result();
}

Result<NodeEndpoint> pod_node_endpoint(RestCore& core, const Json& pod) {
  const std::string node_name = string_at(pod, "spec", "nodeName");
  const std::string pod_name = string_at(pod, "metadata", "name");
  if (node_name.empty()) {
    return make_error(ErrorCode::kBadRequest, "pod " + pod_name + " does not have a host assigned");
  }
  const ResourceScope* nodes = core.scope("", "v1", "nodes");
  if (!nodes) return make_error(ErrorCode::kInternal, "nodes are not served");
  BOSUN_ASSIGN_OR_RETURN(store::KeyValue kv, get_current(core, *nodes, "", node_name));
  Json node = Json::parse(kv.value, nullptr, false);
  NodeEndpoint ep;
  const Json* status = member(node, "status");
  if (const Json* addrs = status ? member(*status, "addresses") : nullptr;
      addrs && addrs->is_array()) {
    // Kubernetes' default --kubelet-preferred-address-types puts InternalIP before Hostname.
    for (const char* type : {"InternalIP", "ExternalIP", "Hostname"}) {
      for (const auto& a : *addrs) {
        if (a.is_object() && a.value("type", "") == type && a.value("address", "") != "") {
          ep.host = a.value("address", "");
          break;
        }
      }
      if (!ep.host.empty()) break;
    }
  }
  if (ep.host.empty()) ep.host = string_at(pod, "status", "hostIP");
  const Json* de = status ? member(*status, "daemonEndpoints") : nullptr;
  const Json* ke = de ? member(*de, "kubeletEndpoint") : nullptr;
  const Json* port = ke ? member(*ke, "Port") : nullptr;
  if (port && port->is_number_integer()) ep.port = static_cast<uint16_t>(port->get<int>());
  if (ep.host.empty() || ep.port == 0) {
    return make_error(ErrorCode::kServiceUnavailable,
                      "node " + node_name + " publishes no kubelet address");
  }
  return ep;
}

namespace {

// pods/portforward: SPDY only. kubectl 1.30+ first tries a WebSocket tunnel
// (v2.portforward.k8s.io) and falls back to SPDY when that upgrade is refused.
void serve_port_forward(RestCore& core, RestRequest& r, UpstreamClient* nodes) {
  auto fail = [&](const Error& e) { r.exchange->respond(status_response(e)); };
  const Request& req = r.req();
  if (!wants_spdy(req)) {
    return fail(make_error(ErrorCode::kBadRequest, "Upgrade request required"));
  }
  if (nodes == nullptr) {
    return fail(make_error(ErrorCode::kServiceUnavailable, "no connection to nodes configured"));
  }
  auto kv = get_current(core, *r.scope, r.info.namespace_, r.info.name);
  if (!kv.ok()) return fail(kv.error());
  Json pod = Json::parse(kv->value, nullptr, false);
  if (!pod.is_object()) return fail(make_error(ErrorCode::kInternal, "stored pod unreadable"));
  auto ep = pod_node_endpoint(core, pod);
  if (!ep.ok()) return fail(ep.error());
  UpstreamRequest up;
  up.host = ep->host;
  up.port = ep->port;
  up.method = "GET";
  up.target = "/portForward/" + url_encode(r.info.namespace_) + "/" + url_encode(r.info.name);
  serve_spdy_port_forward(r.exchange, nodes, std::move(up));
}

}  // namespace

void serve_pod_stream(RestCore& core, RestRequest& r, UpstreamClient* nodes) {
  auto fail = [&](const Error& e) { r.exchange->respond(status_response(e)); };
  const std::string& sub = r.info.subresource;
  const Request& req = r.req();
  if (sub == "portforward") return serve_port_forward(core, r, nodes);
  const bool spdy = sub != "log" && !req.wants_websocket() && wants_spdy(req);
  if (sub != "log" && !req.wants_websocket() && !spdy) {
    // The kubelet's answer to an exec without an upgrade (remotecommand's handshake).
    return fail(make_error(ErrorCode::kBadRequest, "Upgrade request required"));
  }
  std::string spdy_protocol;
  if (spdy) {
    // kubectl before 1.30 (and 1.30+ after a failed WebSocket upgrade) offers these.
    const std::vector<std::string_view> supported(std::begin(kSpdyExecProtocols),
                                                  std::end(kSpdyExecProtocols));
    auto offered = req.headers.get_all("X-Stream-Protocol-Version");
    spdy_protocol = choose_stream_protocol(offered, supported);
    if (spdy_protocol.empty()) return fail(negotiation_error(offered, supported));
  }
  if (nodes == nullptr) {
    return fail(make_error(ErrorCode::kServiceUnavailable, "no connection to nodes configured"));
  }
  auto kv = get_current(core, *r.scope, r.info.namespace_, r.info.name);
  if (!kv.ok()) return fail(kv.error());
  Json pod = Json::parse(kv->value, nullptr, false);
  if (!pod.is_object()) return fail(make_error(ErrorCode::kInternal, "stored pod unreadable"));
  auto container = pod_stream_container(pod, req.query.get("container").value_or(""));
  if (!container.ok()) return fail(container.error());
  auto truthy = [&](std::string_view key) {
    auto v = req.query.get(key);
    return v && (*v == "true" || *v == "1" || *v == "True" || *v == "TRUE" || *v == "t");
  };
  if (sub == "log") {
    auto checked = check_log_status(pod, *container, truthy("previous"));
    if (!checked.ok()) return fail(checked.error());
  }
  auto ep = pod_node_endpoint(core, pod);
  if (!ep.ok()) return fail(ep.error());

  UpstreamRequest up;
  up.host = ep->host;
  up.port = ep->port;
  up.method = "GET";
  std::string path = sub == "log" ? "/containerLogs/" : "/" + sub + "/";
  path +=
      url_encode(r.info.namespace_) + "/" + url_encode(r.info.name) + "/" + url_encode(*container);
  std::string query;
  for (const auto& [k, v] : req.query.items()) {
    if (k == "container" || k == "pretty") continue;
    query += (query.empty() ? "?" : "&") + url_encode(k) + "=" + url_encode(v);
  }
  up.target = path + query;
  if (sub == "log") {
    serve_log(r, nodes, std::move(up));
    return;
  }
  if (spdy) {
    // The agent speaks only WebSocket: the API server is its client and bridges the streams.
    up.headers = agent_websocket_headers();
    SpdyExecOptions so;
    so.protocol = spdy_protocol;
    so.stdin = truthy("stdin");
    so.stdout = truthy("stdout");
    so.stderr = truthy("stderr");
    so.tty = truthy("tty");
    serve_upgrade(r, nodes, std::move(up), std::make_shared<SpdyExecBridge>(std::move(so)));
    return;
  }
  for (const char* name : {"Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
                           "Sec-WebSocket-Protocol"}) {
    for (auto v : req.headers.get_all(name)) up.headers.add(name, std::string(v));
  }
  serve_upgrade(r, nodes, std::move(up), make_passthrough_bridge());
}

}  // namespace bosun::apiserver
