// The API server's TLS sessions. It issues no TLS 1.3 session tickets: no client of this server
// resumes (client-go leaves crypto/tls' ClientSessionCache unset, Bosun's client keeps no
// sessions), and OpenSSL 3 copies the whole session, client certificate included, for each
// ticket: CPU on every connection for nothing. It chooses the cipher in Go's order, AES-128-GCM
// first, and serves TLS 1.2 only with forward-secret AEAD suites. A plain OpenSSL client
// authenticates with the admin certificate, makes one request (tickets would arrive by then) and
// looks at its session.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <string>

#include "apiserver/api_stack.h"
#include "apiserver/pki.h"
#include "apiserver/rest_test_server.h"

namespace bosun::apiserver {
namespace {

using testing::RestTestServer;

X509* read_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return cert;
}

EVP_PKEY* read_key(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return key;
}

// A plain OpenSSL client with the admin certificate; `configure` adjusts its context before it
// connects.
class Client {
 public:
  Client(const Pki& pki, uint16_t port, const std::function<void(SSL_CTX*)>& configure) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    X509* ca = read_cert(pki.ca.cert_pem);
    X509* cert = read_cert(pki.admin.cert_pem);
    EVP_PKEY* key = read_key(pki.admin.key_pem);
    if (ctx_ && ca && cert && key) {
      X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx_), ca);
      SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
      SSL_CTX_use_certificate(ctx_, cert);
      SSL_CTX_use_PrivateKey(ctx_, key);
      if (configure) configure(ctx_);
      fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
        ssl_ = SSL_new(ctx_);
        SSL_set_fd(ssl_, fd_);
        connected_ = SSL_connect(ssl_) == 1;
      }
    }
    X509_free(ca);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    if (ctx_) SSL_CTX_free(ctx_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  bool connected() const { return connected_; }
  SSL* ssl() const { return ssl_; }
  std::string cipher() const { return SSL_CIPHER_get_name(SSL_get_current_cipher(ssl_)); }
  // GET /version on a connection that the server then closes; the whole response.
  std::string get_version() {
    const std::string request =
        "GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if (SSL_write(ssl_, request.data(), static_cast<int>(request.size())) !=
        static_cast<int>(request.size())) {
      return {};
    }
    std::string response;
    char buf[4096];
    for (;;) {
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n <= 0) break;
      response.append(buf, static_cast<size_t>(n));
    }
    return response;
  }

 private:
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
};

class TlsSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
  }
  std::unique_ptr<Client> connect(const std::function<void(SSL_CTX*)>& configure = {}) {
    return std::make_unique<Client>(server_->stack().server().pki(), server_->port(), configure);
  }

  std::unique_ptr<RestTestServer> server_;
};

TEST_F(TlsSessionTest, TheServerSendsNoSessionTickets) {
  // Keep whatever session the server offers, as a resuming client would.
  auto client =
      connect([](SSL_CTX* ctx) { SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT); });
  ASSERT_TRUE(client->connected());
  EXPECT_EQ(SSL_version(client->ssl()), TLS1_3_VERSION);
  std::string response = client->get_version();
  // The admin certificate authenticated the request: the handshake and the session are real.
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 200);
  SSL_SESSION* session = SSL_get_session(client->ssl());
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(SSL_SESSION_has_ticket(session), 0);
  EXPECT_EQ(SSL_SESSION_is_resumable(session), 0);
}

// OpenSSL's clients list TLS_AES_256_GCM_SHA384 first; the server's preference wins.
TEST_F(TlsSessionTest, TheServerChoosesAes128GcmOverTheClientsOrder) {
  auto client = connect();
  ASSERT_TRUE(client->connected());
  EXPECT_EQ(client->cipher(), "TLS_AES_128_GCM_SHA256");
  EXPECT_EQ(client->get_version().rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(TlsSessionTest, AClientOfferingOnlyAes256GcmIsServed) {
  auto client =
      connect([](SSL_CTX* ctx) { SSL_CTX_set_ciphersuites(ctx, "TLS_AES_256_GCM_SHA384"); });
  ASSERT_TRUE(client->connected());
  EXPECT_EQ(client->cipher(), "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(client->get_version().rfind("HTTP/1.1 200", 0), 0u);
}

TEST_F(TlsSessionTest, ATls12ClientGetsAnEcdheAeadSuite) {
  auto client = connect([](SSL_CTX* ctx) { SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION); });
  ASSERT_TRUE(client->connected());
  EXPECT_EQ(SSL_version(client->ssl()), TLS1_2_VERSION);
  EXPECT_EQ(client->cipher(), "ECDHE-ECDSA-AES128-GCM-SHA256");
  EXPECT_EQ(client->get_version().rfind("HTTP/1.1 200", 0), 0u);
}

// Static RSA key exchange (no forward secrecy) and CBC suites are not offered.
TEST_F(TlsSessionTest, ATls12ClientWithoutForwardSecrecyIsRefused) {
  auto client = connect([](SSL_CTX* ctx) {
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256");
  });
  EXPECT_FALSE(client->connected());
  ERR_clear_error();
}

}  // namespace
}  // namespace bosun::apiserver
