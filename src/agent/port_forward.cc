#include "agent/port_forward.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>

#include "agent/prober.h"
#include "common/log.h"
#include "http/websocket.h"

namespace bosun::agent {

namespace {

using apiserver::Response;

constexpr size_t kMaxQueued = 4 << 20;
constexpr uint8_t kDataChannel = 0;
constexpr uint8_t kPortErrorChannel = 1;

// Go's errno text: strerror with a lowercase first letter ("connection refused").
std::string go_error(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

class Forward final : public ExecSessions::Session {
 public:
  Forward(std::string netns_path, uint16_t port, std::string error_prefix)
      : netns_path_(std::move(netns_path)), port_(port), error_prefix_(std::move(error_prefix)) {
    if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) wake_[0] = wake_[1] = -1;
  }
  ~Forward() override {
    for (int fd : wake_) {
      if (fd >= 0) ::close(fd);
    }
  }

  void attach(std::shared_ptr<apiserver::UpgradedStream> ws) override { ws_ = std::move(ws); }

  void stop() override {
    gone_.store(true);
    wake();
  }

  // On the connection's io thread.
  void on_data(std::string_view data) override {
    std::vector<apiserver::WebSocketMessage> messages;
    if (!parser_.feed(data, &messages).ok()) {
      ws_->close();
      return stop();
    }
    for (auto& m : messages) {
      if (m.opcode == apiserver::kWsPing) {
        ws_->write(apiserver::encode_websocket_frame(apiserver::kWsPong, m.payload));
      } else if (m.opcode == apiserver::kWsClose) {
        stop();
      } else if (m.opcode == apiserver::kWsBinary && !m.payload.empty()) {
        const auto channel = static_cast<uint8_t>(m.payload[0]);
        std::string_view body = std::string_view(m.payload).substr(1);
        std::lock_guard lock(mu_);
        if (channel == kDataChannel) {
          to_pod_.append(body);
        } else if (channel == apiserver::kCloseChannel && !body.empty() &&
                   static_cast<uint8_t>(body[0]) == kDataChannel) {
          client_done_ = true;
        }
        wake();
      }
    }
  }

  void run() override {
    ws_->write(apiserver::encode_channel_frame(kDataChannel, port_prefix(port_)));
    ws_->write(apiserver::encode_channel_frame(kPortErrorChannel, port_prefix(port_)));
    auto fd = connect_in_pod();
    if (!fd.ok()) {
      ws_->write(
          apiserver::encode_channel_frame(kPortErrorChannel, error_prefix_ + fd.error().message));
      return finish();
    }
    relay(*fd);
    ::close(*fd);
    finish();
  }

 private:
  void wake() {
    if (wake_[1] >= 0) {
      char c = 1;
      (void)::write(wake_[1], &c, 1);
    }
  }

  // The runtimes' port-forward dials localhost inside the sandbox's network namespace.
  Result<int> connect_in_pod() {
    BOSUN_ASSIGN_OR_RETURN(int fd, open_socket_in_netns(netns_path_, AF_INET, SOCK_STREAM));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port_);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      int err = errno;
      ::close(fd);
      return make_error(ErrorCode::kInternal,
                        "failed to connect to localhost:" + std::to_string(port_) +
                            " inside the pod's network namespace, IPv4: dial tcp4 127.0.0.1:" +
                            std::to_string(port_) + ": connect: " + go_error(err));
    }
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
  }

  void relay(int fd) {
    std::string pending;  // for the pod, not yet taken by the socket
    bool write_shut = false;
    std::vector<char> buf(32 * 1024);
    while (!gone_.load()) {
      bool client_done = false;
      {
        std::lock_guard lock(mu_);
        pending.append(to_pod_);
        to_pod_.clear();
        client_done = client_done_;
      }
      if (!pending.empty()) {
        ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
        if (n > 0) pending.erase(0, static_cast<size_t>(n));
      }
      if (client_done && pending.empty() && !write_shut) {
        // kubectl's local connection ended its input: the pod's side sees EOF, and may still
        // answer.
        ::shutdown(fd, SHUT_WR);
        write_shut = true;
      }
      pollfd fds[2] = {{wake_[0], POLLIN, 0},
                       {fd, static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0}};
      // Back-pressure: while the API server has not taken what was sent, read nothing more.
      if (ws_->queued_bytes() > kMaxQueued) fds[1].events &= ~POLLIN;
      int r = ::poll(fds, 2, 200);
      if (r < 0 && errno != EINTR) return;
      if (fds[0].revents & POLLIN) {
        char drain[64];
        while (::read(wake_[0], drain, sizeof drain) > 0) {
        }
      }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
        ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
        if (n == 0) return;  // the pod closed the connection
        if (n < 0) {
          if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) continue;
          return;
        }
        if (!ws_->write(
                apiserver::encode_channel_frame(kDataChannel, std::string_view(buf.data(), n)))) {
          return;
        }
      }
    }
  }

  void finish() {
    if (!gone_.load()) ws_->write(apiserver::encode_close_frame(1000));
    ws_->close();
  }

  const std::string netns_path_;
  const uint16_t port_;
  const std::string error_prefix_;
  std::shared_ptr<apiserver::UpgradedStream> ws_;
  apiserver::WebSocketParser parser_{true};  // io thread only
  std::atomic<bool> gone_{false};
  int wake_[2] = {-1, -1};
  std::mutex mu_;  // guards to_pod_ and client_done_
  std::string to_pod_;
  bool client_done_ = false;
};

Response bad_request(std::string message) {
  return Response::error(make_error(ErrorCode::kBadRequest, std::move(message)));
}

}  // namespace

std::string port_prefix(uint16_t port) {
  std::string s(2, '\0');
  s[0] = static_cast<char>(port & 0xff);
  s[1] = static_cast<char>(port >> 8);
  return s;
}

void serve_port_forward(ContainerRuntime& runtime,
                        const std::shared_ptr<apiserver::Exchange>& exchange,
                        const std::shared_ptr<ExecSessions>& sessions,
                        const std::function<void(std::function<void()>)>& run) {
  const auto& req = exchange->request();
  const auto& seg = req.segments;  // portForward, namespace, pod[, uid]
  if (seg.size() != 3 && seg.size() != 4) {
    return exchange->respond(Response::error(
        make_error(ErrorCode::kNotFound, "the server could not find the requested resource")));
  }
  const std::string ns = seg[1], pod = seg[2];
  std::string_view port_text = req.query.get("port").value_or("");
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port == 0 || port > 65535) {
    // The kubelet's message for a port it cannot parse (portforward's parsePorts).
    std::string msg = "unable to parse \"";
    msg += port_text;
    msg += "\" as a port: invalid port";
    return exchange->respond(bad_request(std::move(msg)));
  }
  std::string protocol =
      apiserver::choose_channel_protocol(req.headers.get_all("Sec-WebSocket-Protocol"));
  if (!req.wants_websocket() || protocol.empty()) {
    return exchange->respond(
        bad_request("Upgrade request required: WebSocket with v4.channel.k8s.io"));
  }
  auto sandboxes = runtime.list_pod_sandboxes();
  if (!sandboxes.ok()) return exchange->respond(Response::error(sandboxes.error()));
  const SandboxStatus* best = nullptr;
  for (const auto& s : *sandboxes) {
    if (s.pod_namespace != ns || s.pod_name != pod || !s.ready) continue;
    if (!best || s.created_at > best->created_at) best = &s;
  }
  if (!best) {
    std::string msg = "pod \"";
    msg += pod;
    msg += "\" not found in namespace \"";
    msg += ns;
    msg += "\"";
    return exchange->respond(Response::error(make_error(ErrorCode::kNotFound, std::move(msg))));
  }
  Response head;
  head.status = 101;
  head.content_type.clear();
  head.headers.add("Upgrade", "websocket");
  head.headers.add("Connection", "Upgrade");
  head.headers.add("Sec-WebSocket-Accept",
                   apiserver::websocket_accept_key(req.header("Sec-WebSocket-Key")));
  head.headers.add("Sec-WebSocket-Protocol", protocol);
  // The kubelet's wording: "error forwarding port P to pod NAME_NAMESPACE, uid UID: ...".
  std::string prefix = "error forwarding port ";
  prefix += std::to_string(port);
  prefix += " to pod ";
  prefix += pod;
  prefix += "_";
  prefix += ns;
  prefix += ", uid ";
  prefix += best->pod_uid;
  prefix += ": ";
  run_upgraded_session(exchange, std::move(head),
                       std::make_shared<Forward>(best->network_ns_path, static_cast<uint16_t>(port),
                                                 std::move(prefix)),
                       sessions, run);
}

}  // namespace bosun::agent
