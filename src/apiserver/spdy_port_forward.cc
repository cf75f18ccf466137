#include "apiserver/spdy_port_forward.h"

#include <charconv>
#include <map>
#include <mutex>
#include <random>
#include <vector>

#include "apiserver/spdy_exec_bridge.h"
#include "common/json.h"
#include "http/spdy.h"
#include "http/websocket.h"

namespace bosun::apiserver {

namespace {

// Client bytes held for a pair while its agent connection is being set up.
constexpr size_t kMaxEarlyBytes = 4 << 20;
constexpr size_t kMaxErrorBody = 64 << 10;
constexpr uint8_t kDataChannel = 0;
constexpr uint8_t kPortErrorChannel = 1;

class PortForwardConnection : public std::enable_shared_from_this<PortForwardConnection> {
 public:
  PortForwardConnection(UpstreamClient* nodes, UpstreamRequest agent)
      : nodes_(nodes), agent_(std::move(agent)), rng_(std::random_device{}()) {}

  void start(const std::shared_ptr<UpgradedStream>& client) {
    {
      std::lock_guard lock(mu_);
      client_ = client;
    }
    // The client's callbacks own the connection; closing drops client_, which ends the cycle.
    auto self = shared_from_this();
    client->start([self](std::string_view data) { self->on_client_data(data); },
                  [self] { self->on_client_closed(); });
  }

 private:
  struct Pair {
    uint16_t port = 0;
    uint32_t error_id = 0;
    uint32_t data_id = 0;
    bool started = false;
    std::shared_ptr<UpstreamCall> call;
    bool upgraded = false;
    std::string early;  // WebSocket frames for the agent before it answered
    WebSocketParser ws{false};
    size_t prefix_left[2] = {2, 2};  // port prefix bytes still to strip, per channel
    int http_status = 0;
    std::string http_body;
    bool ended = false;
  };

  // What to do once the mutex is released: calls to open and to close, and whether the client
  // connection closes.
  struct Actions {
    std::vector<std::string> open;
    std::vector<std::shared_ptr<UpstreamCall>> close_calls;
    std::shared_ptr<UpgradedStream> close_client;
  };

  uint32_t mask() {
    uint32_t m = 0;
    while (m == 0) m = static_cast<uint32_t>(rng_());
    return m;
  }

  void write_client(std::string bytes) {
    if (client_ && !bytes.empty()) client_->write(std::move(bytes));
  }

  void to_agent(Pair& p, std::string frame, Actions& a) {
    if (p.call && p.upgraded) {
      p.call->write(std::move(frame));
      return;
    }
    if (p.early.size() + frame.size() > kMaxEarlyBytes) {
      return finish(p,
                    "error forwarding port " + std::to_string(p.port) +
                        ": too much data before the node agent answered",
                    a);
    }
    p.early += frame;
  }

  // Ends a pair: any error text, then FIN on both streams (the kubelet closes them when the
  // forward returns); kubectl's copy loops and its error-stream reader then finish.
  void finish(Pair& p, const std::string& error_text, Actions& a) {
    if (p.ended) return;
    p.ended = true;
    if (!closed_) {
      if (!error_text.empty() && p.error_id) write_client(writer_.data(p.error_id, error_text));
      if (p.data_id) write_client(writer_.data(p.data_id, "", true));
      if (p.error_id) write_client(writer_.data(p.error_id, "", true));
    }
    if (p.call) a.close_calls.push_back(p.call);
  }

  void run(Actions& a) {
    for (const std::string& id : a.open) open_call(id);
    for (auto& c : a.close_calls) c->close();
    if (a.close_client) a.close_client->close();
  }

  void on_client_data(std::string_view data) {
    Actions a;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      std::vector<SpdyFrame> frames;
      auto parsed = parser_.feed(data, &frames);
      for (auto& f : frames) on_frame(f, a);
      if (!parsed.ok() && !closed_) {
        write_client(writer_.goaway(last_stream_id_, kSpdyGoAwayProtocolError));
        close_all(a);
      }
    }
    run(a);
  }

  void close_all(Actions& a) {
    for (auto& [id, p] : pairs_) {
      if (p.call) a.close_calls.push_back(p.call);
    }
    pairs_.clear();
    by_stream_.clear();
    closed_ = true;
    a.close_client = std::move(client_);
    client_.reset();
  }

  void on_client_closed() {
    Actions a;
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      close_all(a);
      a.close_client.reset();
    }
    run(a);
  }

  void on_frame(SpdyFrame& f, Actions& a) {
    if (closed_) return;
    switch (f.type) {
      case SpdyFrameType::kSynStream:
        return on_syn_stream(f, a);
      case SpdyFrameType::kData: {
        auto it = by_stream_.find(f.stream_id);
        if (it == by_stream_.end()) return;
        Pair& p = pairs_[it->second];
        if (p.ended || f.stream_id != p.data_id) return;  // kubectl writes nothing on errors
        if (!f.data.empty()) to_agent(p, encode_channel_frame(kDataChannel, f.data, mask()), a);
        if (f.fin() && !p.ended) {
          // kubectl's local connection ended its input: the agent half-closes towards the pod.
          to_agent(p,
                   encode_channel_frame(kCloseChannel, std::string(1, char(kDataChannel)), mask()),
                   a);
        }
        return;
      }
      case SpdyFrameType::kRstStream: {
        auto it = by_stream_.find(f.stream_id);
        if (it != by_stream_.end()) finish(pairs_[it->second], "", a);
        return;
      }
      case SpdyFrameType::kPing:
        write_client(writer_.ping(f.ping_id));
        return;
      case SpdyFrameType::kGoAway:
        close_all(a);
        return;
      default:
        return;
    }
  }

  void on_syn_stream(SpdyFrame& f, Actions& a) {
    if (f.stream_id % 2 == 0 || f.stream_id <= last_stream_id_) {
      write_client(writer_.rst_stream(f.stream_id, kSpdyProtocolError));
      return;
    }
    last_stream_id_ = f.stream_id;
    const std::string_view type = f.header("streamtype").value_or("");
    const std::string_view port_text = f.header("port").value_or("");
    // Clients before requestID existed paired streams by arrival; kubectl 1.27+ always sends it.
    std::string request_id(f.header("requestid").value_or(""));
    unsigned port = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if ((type != "error" && type != "data") || ec != std::errc() ||
        end != port_text.data() + port_text.size() || port == 0 || port > 65535 ||
        request_id.empty()) {
      write_client(writer_.rst_stream(f.stream_id, kSpdyRefusedStream));
      return;
    }
    Pair& p = pairs_[request_id];
    uint32_t& slot = type == "error" ? p.error_id : p.data_id;
    if (slot != 0 || p.ended) {
      write_client(writer_.rst_stream(f.stream_id, kSpdyRefusedStream));
      return;
    }
    slot = f.stream_id;
    p.port = static_cast<uint16_t>(port);
    by_stream_[f.stream_id] = request_id;
    write_client(writer_.syn_reply(f.stream_id, {}));
    if (p.error_id && p.data_id && !p.started) {
      p.started = true;
      a.open.push_back(request_id);
    }
  }

  void open_call(const std::string& request_id) {
    UpstreamRequest up;
    {
      std::lock_guard lock(mu_);
      auto it = pairs_.find(request_id);
      if (it == pairs_.end() || it->second.ended) return;
      up = agent_;
      up.target += "?port=" + std::to_string(it->second.port);
    }
    up.headers = agent_websocket_headers();
    std::weak_ptr<PortForwardConnection> weak = weak_from_this();
    UpstreamHandlers h;
    h.on_head = [weak, request_id](Result<UpstreamHead> head) {
      if (auto c = weak.lock()) c->on_agent_head(request_id, std::move(head));
    };
    h.on_data = [weak, request_id](std::string_view data) {
      if (auto c = weak.lock()) c->on_agent_data(request_id, data);
    };
    h.on_end = [weak, request_id](Result<void>) {
      if (auto c = weak.lock()) c->on_agent_end(request_id);
    };
    auto call = nodes_->call(std::move(up), std::move(h));
    bool close_now = false;
    {
      std::lock_guard lock(mu_);
      auto it = pairs_.find(request_id);
      if (it == pairs_.end() || it->second.ended) {
        close_now = true;
      } else {
        Pair& p = it->second;
        p.call = call;
        if (p.upgraded && !p.early.empty()) call->write(std::exchange(p.early, {}));
      }
    }
    if (close_now) call->close();
  }

  void on_agent_head(const std::string& request_id, Result<UpstreamHead> head) {
    Actions a;
    {
      std::lock_guard lock(mu_);
      auto it = pairs_.find(request_id);
      if (it == pairs_.end() || it->second.ended) return;
      Pair& p = it->second;
      if (!head.ok()) {
        finish(p, "error forwarding port " + std::to_string(p.port) + ": " + head.error().message,
               a);
      } else if (head->status != 101) {
        p.http_status = head->status;
      } else {
        p.upgraded = true;
        if (p.call && !p.early.empty()) p.call->write(std::exchange(p.early, {}));
      }
    }
    run(a);
  }

  void on_agent_data(const std::string& request_id, std::string_view data) {
    Actions a;
    {
      std::lock_guard lock(mu_);
      auto it = pairs_.find(request_id);
      if (it == pairs_.end() || it->second.ended) return;
      Pair& p = it->second;
      if (!p.upgraded) {
        if (p.http_body.size() < kMaxErrorBody) p.http_body.append(data);
        return;
      }
      std::vector<WebSocketMessage> messages;
      auto parsed = p.ws.feed(data, &messages);
      for (auto& m : messages) {
        if (p.ended) break;
        if (m.opcode == kWsClose) {
          finish(p, "", a);
        } else if (m.opcode == kWsPing) {
          p.call->write(encode_websocket_frame(kWsPong, m.payload, true, mask()));
        } else if (m.opcode == kWsBinary && !m.payload.empty()) {
          const auto channel = static_cast<uint8_t>(m.payload[0]);
          if (channel > kPortErrorChannel) continue;
          std::string_view body = std::string_view(m.payload).substr(1);
          size_t& skip = p.prefix_left[channel];
          const size_t n = std::min(skip, body.size());
          skip -= n;
          body.remove_prefix(n);
          if (body.empty()) continue;
          write_client(writer_.data(channel == kDataChannel ? p.data_id : p.error_id, body));
        }
      }
      if (!parsed.ok()) finish(p, "", a);
    }
    run(a);
  }

  void on_agent_end(const std::string& request_id) {
    Actions a;
    {
      std::lock_guard lock(mu_);
      auto it = pairs_.find(request_id);
      if (it == pairs_.end()) return;
      Pair& p = it->second;
      p.call.reset();  // over: nothing to close
      std::string error;
      if (!p.upgraded && !p.ended) {
        // The agent refused (no such pod here, a bad port): its message, from its Status.
        Json status = Json::parse(p.http_body, nullptr, false);
        if (status.is_object() && status.contains("message") && status["message"].is_string()) {
          error = status["message"].get<std::string>();
        } else {
          error = p.http_body.empty() ? "the node agent answered " + std::to_string(p.http_status)
                                      : p.http_body;
        }
      }
      finish(p, error, a);
      by_stream_.erase(p.error_id);
      by_stream_.erase(p.data_id);
      pairs_.erase(it);
    }
    run(a);
  }

  std::mutex mu_;  // guards everything below
  UpstreamClient* nodes_;
  const UpstreamRequest agent_;
  std::shared_ptr<UpgradedStream> client_;
  SpdyParser parser_;
  SpdyWriter writer_;
  std::mt19937 rng_;
  std::map<std::string, Pair> pairs_;
  std::map<uint32_t, std::string> by_stream_;
  uint32_t last_stream_id_ = 0;
  bool closed_ = false;
};

}  // namespace

void serve_spdy_port_forward(const std::shared_ptr<Exchange>& exchange, UpstreamClient* nodes,
                             UpstreamRequest agent) {
  const std::vector<std::string_view> supported = {kPortForwardProtocol};
  auto offered = exchange->request().headers.get_all("X-Stream-Protocol-Version");
  if (choose_stream_protocol(offered, supported).empty()) {
    return exchange->respond(Response::error(negotiation_error(offered, supported)));
  }
  Response sw;
  sw.status = 101;
  sw.content_type.clear();
  sw.headers.add("Connection", "Upgrade");
  sw.headers.add("Upgrade", "SPDY/3.1");
  sw.headers.add("X-Stream-Protocol-Version", std::string(kPortForwardProtocol));
  auto client = exchange->upgrade(std::move(sw));
  if (!client) return;
  auto conn = std::make_shared<PortForwardConnection>(nodes, std::move(agent));
  conn->start(client);
}

}  // namespace bosun::apiserver
