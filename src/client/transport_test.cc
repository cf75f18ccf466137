// The client's HTTPS transport against a scripted TLS server: keep-alive, the ways an HTTP/1.1
// body ends (Content-Length, chunked, the end of the connection), watch-style streaming, timeouts,
// cancel() from another thread, a connection the server closed, and host name verification.
#include "client/transport.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "apiserver/pki.h"

namespace bosun::client::internal {
namespace {

using namespace std::chrono_literals;

// The server side of one accepted TLS connection, blocking.
class Peer {
 public:
  explicit Peer(SSL* ssl) : ssl_(ssl) {}
  // The next request's head and body (by its Content-Length); "" when the client went away.
  std::string read_request() {
    for (;;) {
      size_t end = buffer_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        size_t at = buffer_.find("Content-Length: ");
        if (at != std::string::npos && at < end) length = std::stoul(buffer_.substr(at + 16));
        if (buffer_.size() >= end + 4 + length) {
          std::string request = buffer_.substr(0, end + 4 + length);
          buffer_.erase(0, request.size());
          return request;
        }
      }
      char buf[4096];
      int n = SSL_read(ssl_, buf, sizeof(buf));
      if (n <= 0) return "";
      buffer_.append(buf, static_cast<size_t>(n));
    }
  }
  void write(std::string_view bytes) {
    ASSERT_EQ(SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size())),
              static_cast<int>(bytes.size()));
  }
  void close_notify() { SSL_shutdown(ssl_); }

 private:
  SSL* ssl_;
  std::string buffer_;
};

// Accepts connections on 127.0.0.1 and runs `script` on each, one at a time.
class ScriptedTlsServer {
 public:
  ScriptedTlsServer(const apiserver::Credential& serving, std::function<void(Peer&)> script)
      : script_(std::move(script)) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    BIO* cert = BIO_new_mem_buf(serving.cert_pem.data(), static_cast<int>(serving.cert_pem.size()));
    X509* x509 = PEM_read_bio_X509(cert, nullptr, nullptr, nullptr);
    BIO_free(cert);
    BIO* key = BIO_new_mem_buf(serving.key_pem.data(), static_cast<int>(serving.key_pem.size()));
    EVP_PKEY* pkey = PEM_read_bio_PrivateKey(key, nullptr, nullptr, nullptr);
    BIO_free(key);
    SSL_CTX_use_certificate(ctx_, x509);
    SSL_CTX_use_PrivateKey(ctx_, pkey);
    X509_free(x509);
    EVP_PKEY_free(pkey);
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(listener_, 8);
    socklen_t size = sizeof(addr);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &size);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedTlsServer() {
    stopping_ = true;
    shutdown(listener_, SHUT_RDWR);
    thread_.join();
    close(listener_);
    SSL_CTX_free(ctx_);
  }
  int port() const { return port_; }
  int connections() const { return connections_.load(); }

 private:
  void serve() {
    // OpenSSL's socket BIO writes with write(2): a client that hung up (the tests' clients often
    // do, mid-script) would raise SIGPIPE and kill the test. Blocked here, the write fails instead.
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
    for (;;) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0 || stopping_) {
        if (fd >= 0) close(fd);
        return;
      }
      ++connections_;
      SSL* ssl = SSL_new(ctx_);
      SSL_set_fd(ssl, fd);
      if (SSL_accept(ssl) == 1) {
        Peer peer(ssl);
        script_(peer);
      }
      SSL_free(ssl);
      close(fd);
    }
  }

  std::function<void(Peer&)> script_;
  SSL_CTX* ctx_ = nullptr;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

class TransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/transport_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A CA and a serving certificate for `hosts`.
  apiserver::Pki pki(std::vector<std::string> hosts) {
    apiserver::PkiOptions o;
    o.data_dir = dir_ + "/" + std::to_string(++pki_count_);
    o.serving_hosts = std::move(hosts);
    auto p = apiserver::ensure_pki(o);
    EXPECT_TRUE(p.ok()) << p.error().message;
    return p.ok() ? *p : apiserver::Pki{};
  }

  std::shared_ptr<Transport> transport(const apiserver::Pki& p, int port,
                                       std::string host = "127.0.0.1") {
    ClientConfig c;
    c.server = "https://" + host + ":" + std::to_string(port);
    c.ca_pem = p.ca.cert_pem;
    auto t = Transport::create(c);
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : nullptr;
  }

  std::string dir_;
  int pki_count_ = 0;
};

TEST_F(TransportTest, KeepAliveRequestsShareOneConnection) {
  auto p = pki({"127.0.0.1"});
  std::vector<std::string> requests;
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    for (;;) {
      std::string request = peer.read_request();
      if (request.empty()) return;
      requests.push_back(request);
      std::string body = "{\"n\":" + std::to_string(requests.size()) + "}";
      peer.write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                 std::to_string(body.size()) + "\r\n\r\n" + body);
    }
  });
  auto t = transport(p, server.port());
  auto conn = t->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  EXPECT_FALSE((*conn)->reused);
  auto first = (*conn)->round_trip("POST", "/api/v1/namespaces/default/pods",
                                   {{"User-Agent", "test"}}, "{\"a\":1}", 5s);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->content_type, "application/json");
  EXPECT_EQ(first->body, "{\"n\":1}");
  EXPECT_TRUE(first->keep_alive);
  EXPECT_TRUE((*conn)->reused);
  auto second = (*conn)->round_trip("GET", "/api/v1/nodes", {}, "", 5s);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->body, "{\"n\":2}");
  conn->reset();
  EXPECT_EQ(server.connections(), 1);
  ASSERT_EQ(requests.size(), 2u);
  const std::string host = "Host: 127.0.0.1:" + std::to_string(server.port()) + "\r\n";
  EXPECT_EQ(requests[0], "POST /api/v1/namespaces/default/pods HTTP/1.1\r\n" + host +
                             "User-Agent: test\r\nContent-Length: 7\r\n\r\n{\"a\":1}");
  // A GET without a body carries no Content-Length, as Go's net/http sends it.
  EXPECT_EQ(requests[1], "GET /api/v1/nodes HTTP/1.1\r\n" + host + "\r\n");
}

TEST_F(TransportTest, ChunkedAndLargeBodies) {
  auto p = pki({"127.0.0.1"});
  const std::string large(3 << 20, 'x');  // many TLS records and reads
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    peer.read_request();
    peer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
    peer.write("6\r\n world\r\n0\r\n\r\n");
    peer.read_request();
    peer.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(large.size()) + "\r\n\r\n");
    for (size_t at = 0; at < large.size(); at += 100000) peer.write(large.substr(at, 100000));
    peer.read_request();
  });
  auto conn = transport(p, server.port())->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto chunked = (*conn)->round_trip("GET", "/a", {}, "", 5s);
  ASSERT_TRUE(chunked.ok()) << chunked.error().message;
  EXPECT_EQ(chunked->body, "hello world");
  auto big = (*conn)->round_trip("GET", "/b", {}, "", 5s);
  ASSERT_TRUE(big.ok()) << big.error().message;
  EXPECT_EQ(big->body.size(), large.size());
  EXPECT_EQ(big->body, large);
}

TEST_F(TransportTest, ABodyToTheEndOfTheConnectionNeedsCloseNotify) {
  auto p = pki({"127.0.0.1"});
  std::atomic<int> served{0};
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    peer.read_request();
    peer.write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it");
    if (served++ == 0) peer.close_notify();  // the second time: a bare TCP close
  });
  auto t = transport(p, server.port());
  auto conn = t->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto whole = (*conn)->round_trip("GET", "/", {}, "", 5s);
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->body, "all of it");
  EXPECT_FALSE(whole->keep_alive);
  // Without close_notify the body may have been cut short by anyone on the path.
  auto again = t->connect(5s);
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto cut = (*again)->round_trip("GET", "/", {}, "", 5s);
  ASSERT_FALSE(cut.ok());
  EXPECT_EQ(cut.error().message, "reading the response: stream truncated");
}

TEST_F(TransportTest, AServerThatClosedAKeptConnectionFailsFastNotByTimeout) {
  // RestClient retries a failed request on a fresh connection when the pooled one was reused,
  // unless the failure is a timeout: the server closing an idle connection must not look like one.
  auto p = pki({"127.0.0.1"});
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    peer.read_request();
    peer.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
  });
  auto conn = transport(p, server.port())->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  ASSERT_TRUE((*conn)->round_trip("GET", "/", {}, "", 5s).ok());
  auto stale = (*conn)->round_trip("GET", "/", {}, "", 30s);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().code, ErrorCode::kTimeout) << stale.error().message;
}

TEST_F(TransportTest, ASilentServerTimesOut) {
  auto p = pki({"127.0.0.1"});
  std::promise<void> done;
  auto finished = done.get_future();
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    peer.read_request();
    finished.wait();  // never answers
  });
  auto conn = transport(p, server.port())->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto r = (*conn)->round_trip("GET", "/", {}, "", 100ms);
  done.set_value();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(r.error().message, "reading the response: i/o timeout");
}

TEST_F(TransportTest, StreamsChunksAsTheyArriveAndEnds) {
  auto p = pki({"127.0.0.1"});
  std::promise<void> next;
  auto go = next.get_future();
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    peer.read_request();
    peer.write(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        "c\r\n{\"type\":\"A\"}\r\n");
    // A chunk and the start of the next in one write: the first must not wait for the second.
    peer.write("1\r\n\n\r\nc\r\n{\"type\"");
    go.wait();
    peer.write(":\"B\"}\r\n0\r\n\r\n");
  });
  auto conn = transport(p, server.port())->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto head = (*conn)->start_stream("/api/v1/pods?watch=true", {}, 5s);
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->content_type, "application/json");
  // Pieces as they arrive (a chunk's body may come in parts): the first event must arrive while
  // the server still holds back the rest of the second.
  std::string got;
  while (got.find('\n') == std::string::npos) {
    auto piece = (*conn)->read_stream(5s);
    ASSERT_TRUE(piece.ok()) << piece.error().message;
    ASSERT_TRUE(piece->has_value());
    got += **piece;
  }
  next.set_value();
  for (;;) {
    auto piece = (*conn)->read_stream(5s);
    ASSERT_TRUE(piece.ok()) << piece.error().message;
    if (!piece->has_value()) break;
    got += **piece;
  }
  EXPECT_EQ(got, "{\"type\":\"A\"}\n{\"type\":\"B\"}");
}

TEST_F(TransportTest, AFailedStreamReturnsItsStatusBody) {
  auto p = pki({"127.0.0.1"});
  const std::string status = R"({"kind":"Status","code":410,"reason":"Expired"})";
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    peer.read_request();
    peer.write("HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(status.size()) + "\r\n\r\n" + status);
  });
  auto conn = transport(p, server.port())->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto head = (*conn)->start_stream("/api/v1/pods?watch=true&resourceVersion=1", {}, 5s);
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->status, 410);
  EXPECT_EQ(head->body, status);
}

TEST_F(TransportTest, CancelUnblocksAStreamReader) {
  auto p = pki({"127.0.0.1"});
  std::promise<void> done;
  auto finished = done.get_future();
  ScriptedTlsServer server(p.serving, [&](Peer& peer) {
    peer.read_request();
    peer.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    finished.wait();
  });
  auto conn = transport(p, server.port())->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  ASSERT_TRUE((*conn)->start_stream("/w", {}, 5s).ok());
  auto reader = std::async(std::launch::async, [&] { return (*conn)->read_stream(10min); });
  std::this_thread::sleep_for(50ms);
  (*conn)->cancel();
  auto r = reader.get();  // a cancel() that does not wake the reader hangs here
  done.set_value();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "stream stopped");
}

TEST_F(TransportTest, AHeaderValueWithALineBreakIsRefused) {
  auto p = pki({"127.0.0.1"});
  ScriptedTlsServer server(p.serving, [&](Peer& peer) { peer.read_request(); });
  auto conn = transport(p, server.port())->connect(5s);
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  auto r = (*conn)->round_trip("GET", "/", {{"Authorization", "Bearer x\r\nX-Evil: 1"}}, "", 5s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
}

TEST_F(TransportTest, TheCertificateMustNameTheHostDialled) {
  auto by_name = pki({"localhost"});
  ScriptedTlsServer named(by_name.serving, [&](Peer& peer) {
    peer.read_request();
    peer.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  });
  auto ok = transport(by_name, named.port(), "localhost")->connect(5s);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_TRUE((*ok)->round_trip("GET", "/", {}, "", 5s).ok());
  // The same certificate, trusted, but dialled by an address it does not list.
  auto by_ip = transport(by_name, named.port(), "127.0.0.1")->connect(5s);
  ASSERT_FALSE(by_ip.ok());
  EXPECT_EQ(by_ip.error().message.rfind("TLS handshake with 127.0.0.1: ", 0), 0u)
      << by_ip.error().message;

  auto by_address = pki({"127.0.0.1"});
  ScriptedTlsServer numbered(by_address.serving, [&](Peer&) {});
  auto wrong_name = transport(by_address, numbered.port(), "localhost")->connect(5s);
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_NE(wrong_name.error().message.find("TLS handshake with localhost"), std::string::npos)
      << wrong_name.error().message;
}

TEST_F(TransportTest, NothingListeningIsAnError) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t size = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  const int port = ntohs(addr.sin_port);
  close(fd);  // bound, never listened: refused
  auto p = pki({"127.0.0.1"});
  auto conn = transport(p, port)->connect(5s);
  ASSERT_FALSE(conn.ok());
  EXPECT_EQ(conn.error().message,
            "dial tcp 127.0.0.1:" + std::to_string(port) + ": Connection refused");
}

}  // namespace
}  // namespace bosun::client::internal
