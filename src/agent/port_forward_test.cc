// The agent's /portForward over real HTTPS and WebSocket, as the API server's port-forward bridge
// uses it: the port prefix on both channels, bytes both ways to a listener on 127.0.0.1 (a
// hostNetwork pod, so the agent's own network namespace), kubectl's half-close reaching the pod as
// EOF, the kubelet's message for a port nothing listens on, and the refusals before an upgrade.
#include "agent/port_forward.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "agent/fake_runtime.h"
#include "agent/kubelet_server.h"
#include "apiserver/pki.h"
#include "http/upstream.h"
#include "http/websocket.h"

namespace bosun::agent {
namespace {

using apiserver::UpstreamClient;
using apiserver::UpstreamHandlers;
using apiserver::UpstreamHead;
using apiserver::UpstreamRequest;
using apiserver::WebSocketMessage;

// A TCP listener on 127.0.0.1 that answers one connection: echoes "got:" + what it read, until
// EOF, then closes.
class EchoOnce {
 public:
  EchoOnce() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      ssize_t n;
      while ((n = ::read(c, buf, sizeof buf)) > 0) {
        std::string reply = "got:" + std::string(buf, n);
        (void)::write(c, reply.data(), reply.size());
      }
      saw_eof_ = n == 0;
      ::close(c);
    });
  }
  ~EchoOnce() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  uint16_t port() const { return port_; }
  bool saw_eof() {
    if (thread_.joinable()) thread_.join();
    return saw_eof_;
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::thread thread_;
  bool saw_eof_ = false;
};

// One WebSocket to the agent, as the API server opens it.
class Forward {
 public:
  Forward(UpstreamClient& client, uint16_t server_port, const std::string& target) {
    UpstreamHandlers h;
    h.on_head = [this](Result<UpstreamHead> head) {
      std::lock_guard lock(mu_);
      status_ = head.ok() ? head->status : -1;
      cv_.notify_all();
    };
    h.on_data = [this](std::string_view d) {
      std::lock_guard lock(mu_);
      if (status_ != 101) {
        body_.append(d);
        return;
      }
      EXPECT_TRUE(parser_.feed(d, &messages_).ok());
      cv_.notify_all();
    };
    h.on_end = [this](Result<void>) {
      std::lock_guard lock(mu_);
      ended_ = true;
      cv_.notify_all();
    };
    UpstreamRequest r;
    r.host = "127.0.0.1";
    r.port = server_port;
    r.target = target;
    r.headers.add("Connection", "Upgrade");
    r.headers.add("Upgrade", "websocket");
    r.headers.add("Sec-WebSocket-Version", "13");
    r.headers.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
    r.headers.add("Sec-WebSocket-Protocol", "v5.channel.k8s.io");
    call_ = client.call(r, h);
  }
  ~Forward() { call_->close(); }

  int status() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return status_ != 0; });
    return status_;
  }
  // Whether the agent ended the connection within 10 s.
  bool ended() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_; });
  }
  std::string body() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return ended_; });
    return body_;
  }
  void send(uint8_t channel, std::string_view data) {
    call_->write(apiserver::encode_channel_frame(channel, data, 0x11223344));
  }
  // Waits for `n` messages in all (control frames included), or the end.
  std::vector<WebSocketMessage> messages(size_t n) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [&] { return messages_.size() >= n || ended_; });
    return messages_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int status_ = 0;
  std::string body_;
  bool ended_ = false;
  apiserver::WebSocketParser parser_{false};
  std::vector<WebSocketMessage> messages_;
  std::shared_ptr<apiserver::UpstreamCall> call_;
};

class PortForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = apiserver::generate_ca("test-ca", Clock::real());
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    runtime::SandboxConfig s;
    s.pod_uid = "u1";
    s.pod_name = "web";
    s.pod_namespace = "default";
    s.host_network = true;  // the forward dials 127.0.0.1 here, where the test listens
    ASSERT_TRUE(runtime_.run_pod_sandbox(s).ok());
    KubeletServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.client_ca_pem = ca->cert_pem;
    o.node_name = "n1";
    o.runtime = &runtime_;
    auto server = KubeletServer::start(o);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
    auto cred = apiserver::issue_client_certificate(*ca, std::string(kApiServerKubeletClientUser),
                                                    {}, Clock::real());
    ASSERT_TRUE(cred.ok());
    apiserver::UpstreamTls tls;
    tls.client_cert_pem = cred->cert_pem;
    tls.client_key_pem = cred->key_pem;
    auto client = UpstreamClient::create(tls);
    ASSERT_TRUE(client.ok());
    client_ = std::move(client).value();
  }

  FakeRuntime runtime_;
  std::unique_ptr<KubeletServer> server_;
  std::unique_ptr<UpstreamClient> client_;
};

TEST_F(PortForwardTest, RelaysBytesBothWaysAndHalfClosesTowardsThePod) {
  EchoOnce pod;
  Forward f(*client_, server_->port(),
            "/portForward/default/web?port=" + std::to_string(pod.port()));
  ASSERT_EQ(f.status(), 101);
  f.send(0, "hello");
  auto m = f.messages(3);
  ASSERT_GE(m.size(), 3u);
  // Kubernetes' portforward websocket protocol: each channel starts with the port, little endian.
  EXPECT_EQ(m[0].payload, std::string(1, '\0') + port_prefix(pod.port()));
  EXPECT_EQ(m[1].payload, std::string(1, '\1') + port_prefix(pod.port()));
  EXPECT_EQ(m[2].payload, std::string(1, '\0') + "got:hello");
  // kubectl's side ended its input: the pod reads EOF, closes, and the forward ends.
  f.send(apiserver::kCloseChannel, std::string(1, '\0'));
  m = f.messages(4);
  ASSERT_GE(m.size(), 4u);
  EXPECT_EQ(m[3].opcode, apiserver::kWsClose);
  EXPECT_TRUE(pod.saw_eof());
  EXPECT_TRUE(f.ended());
}

TEST_F(PortForwardTest, APortNothingListensOnIsTheKubeletsError) {
  int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  const std::string port = std::to_string(ntohs(a.sin_port));
  ::close(s);  // bound once, listened never: connecting is refused

  Forward f(*client_, server_->port(), "/portForward/default/web?port=" + port);
  ASSERT_EQ(f.status(), 101);
  auto m = f.messages(4);
  ASSERT_GE(m.size(), 4u);
  EXPECT_EQ(m[2].payload,
            "\1error forwarding port " + port +
                " to pod web_default, uid u1: failed to connect to localhost:" + port +
                " inside the pod's network namespace, IPv4: dial tcp4 127.0.0.1:" + port +
                ": connect: connection refused");
  EXPECT_EQ(m[3].opcode, apiserver::kWsClose);
  EXPECT_TRUE(f.ended());  // the agent closes its side after the error
}

TEST_F(PortForwardTest, RefusalsBeforeTheUpgrade) {
  {
    Forward f(*client_, server_->port(), "/portForward/default/web?port=http");
    EXPECT_EQ(f.status(), 400);
    EXPECT_NE(f.body().find(R"(unable to parse \"http\" as a port: invalid port)"),
              std::string::npos)
        << f.body();
  }
  {
    Forward f(*client_, server_->port(), "/portForward/default/nope?port=80");
    EXPECT_EQ(f.status(), 404);
    EXPECT_NE(f.body().find(R"(pod \"nope\" not found in namespace \"default\")"),
              std::string::npos)
        << f.body();
  }
}

}  // namespace
}  // namespace bosun::agent
