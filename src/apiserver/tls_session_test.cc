// The API server's TLS sessions: it issues no TLS 1.3 session tickets. No client of this server
// resumes (client-go leaves crypto/tls' ClientSessionCache unset, Bosun's client keeps no
// sessions), and OpenSSL 3 copies the whole session, client certificate included, for each
// ticket: CPU on every connection for nothing. A plain OpenSSL client authenticates with the
// admin certificate, makes one request (tickets would arrive by then) and looks at its session.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include "apiserver/api_stack.h"
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

TEST(TlsSessionTest, TheServerSendsNoSessionTickets) {
  auto s = RestTestServer::start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto server = std::move(s).value();
  const auto& pki = server->stack().server().pki();

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  ASSERT_NE(ctx, nullptr);
  X509* ca = read_cert(pki.ca.cert_pem);
  X509* cert = read_cert(pki.admin.cert_pem);
  EVP_PKEY* key = read_key(pki.admin.key_pem);
  ASSERT_TRUE(ca && cert && key);
  X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  ASSERT_EQ(SSL_CTX_use_certificate(ctx, cert), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ctx, key), 1);
  // Keep whatever session the server offers, as a resuming client would.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);

  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  ASSERT_EQ(SSL_connect(ssl), 1);
  EXPECT_EQ(SSL_version(ssl), TLS1_3_VERSION);

  const std::string request =
      "GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(SSL_write(ssl, request.data(), static_cast<int>(request.size())),
            static_cast<int>(request.size()));
  std::string response;
  char buf[4096];
  for (;;) {
    int n = SSL_read(ssl, buf, sizeof buf);
    if (n <= 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  // The admin certificate authenticated the request: the handshake and the session are real.
  EXPECT_EQ(response.rfind("HTTP/1.1 200", 0), 0u) << response.substr(0, 200);
  SSL_SESSION* session = SSL_get_session(ssl);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(SSL_SESSION_has_ticket(session), 0);
  EXPECT_EQ(SSL_SESSION_is_resumable(session), 0);

  SSL_free(ssl);
  ::close(fd);
  SSL_CTX_free(ctx);
  X509_free(ca);
  X509_free(cert);
  EVP_PKEY_free(key);
}

}  // namespace
}  // namespace bosun::apiserver
