// The watch fan-out's send path, piece by piece, for 10,000 watchers' worth of writes:
// - BM_TlsRecord: one 1 KiB record sealed by one SSL object and opened by another (a BIO pair, no
//   sockets), per cipher suite: what OpenSSL costs each watcher's event on each side. The server
//   chooses TLS_AES_128_GCM_SHA256 (http_server.cc); OpenSSL's own clients would pick AES-256.
//   Both cost the same here; the first run of a program on this VM can be much slower, which is
//   why a quick two-program comparison once suggested otherwise (bench/results.md, session 12).
// - BM_LoopbackSends: a 900-byte write to each of 4,096 loopback TCP sockets, one send() each (the
//   baseline, in the same run) against SocketRing's io_uring batches of 64. The kernel's TCP path,
//   the receiver's included, runs in the sender's thread on loopback, so CPU time per send is what
//   the fan-out pays. Counter: s_per_send (printed as us/ns).
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/openssl_init.h"
#include "http/socket_ring.h"

namespace {

// ---- TLS records

struct Suite {
  const char* name;
  bool tls12;
};
constexpr Suite kSuites[] = {
    {"TLS_AES_128_GCM_SHA256", false},
    {"TLS_AES_256_GCM_SHA384", false},
    {"TLS_CHACHA20_POLY1305_SHA256", false},
    {"ECDHE-ECDSA-AES128-GCM-SHA256", true},
};

// A server and a client SSL object joined by a BIO pair, handshake done with `suite`.
struct TlsPair {
  explicit TlsPair(const Suite& suite) {
    key = EVP_EC_gen("P-256");
    cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("bench"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
    X509_sign(cert, key, EVP_sha256());
    sctx = SSL_CTX_new(TLS_server_method());
    cctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_use_certificate(sctx, cert);
    SSL_CTX_use_PrivateKey(sctx, key);
    if (suite.tls12) {
      SSL_CTX_set_max_proto_version(sctx, TLS1_2_VERSION);
      SSL_CTX_set_cipher_list(sctx, suite.name);
    } else {
      SSL_CTX_set_ciphersuites(sctx, suite.name);
    }
    server = SSL_new(sctx);
    client = SSL_new(cctx);
    BIO* a = nullptr;
    BIO* b = nullptr;
    BIO_new_bio_pair(&a, 1 << 20, &b, 1 << 20);
    SSL_set_bio(server, a, a);
    SSL_set_bio(client, b, b);
    SSL_set_accept_state(server);
    SSL_set_connect_state(client);
    for (int i = 0; i < 100 && !(SSL_is_init_finished(server) && SSL_is_init_finished(client));
         ++i) {
      SSL_do_handshake(client);
      SSL_do_handshake(server);
    }
    ok = SSL_is_init_finished(server) && SSL_is_init_finished(client) &&
         std::string(SSL_get_cipher(server)) == suite.name;
  }
  ~TlsPair() {
    SSL_free(server);
    SSL_free(client);
    SSL_CTX_free(sctx);
    SSL_CTX_free(cctx);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  TlsPair(const TlsPair&) = delete;
  TlsPair& operator=(const TlsPair&) = delete;

  EVP_PKEY* key = nullptr;
  X509* cert = nullptr;
  SSL_CTX* sctx = nullptr;
  SSL_CTX* cctx = nullptr;
  SSL* server = nullptr;
  SSL* client = nullptr;
  bool ok = false;
};

void BM_TlsRecord(benchmark::State& state) {
  const Suite& suite = kSuites[state.range(0)];
  state.SetLabel(suite.name);
  TlsPair tls(suite);
  if (!tls.ok) return state.SkipWithError("the handshake with that suite failed");
  const std::string record(1024, 'x');
  std::vector<char> buf(16384);
  for (auto _ : state) {
    if (SSL_write(tls.server, record.data(), static_cast<int>(record.size())) !=
            static_cast<int>(record.size()) ||
        SSL_read(tls.client, buf.data(), static_cast<int>(buf.size())) !=
            static_cast<int>(record.size())) {
      return state.SkipWithError("a record was lost");
    }
  }
}
BENCHMARK(BM_TlsRecord)->DenseRange(0, 3)->ArgName("suite");

// ---- Sends to many loopback sockets

// `n` connected pairs: fds[i] sends, peers[i] receives.
struct Sockets {
  explicit Sockets(size_t n) {
    int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0 ||
        ::listen(listener, 4096) != 0) {
      if (listener >= 0) ::close(listener);
      return;
    }
    for (size_t i = 0; i < n; ++i) {
      int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      if (c < 0) break;
      peers.push_back(c);
      if (::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 &&
          errno != EINPROGRESS) {
        break;
      }
      int s = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (s < 0) break;
      int one = 1;
      ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fds.push_back(s);
    }
    ::close(listener);
  }
  ~Sockets() {
    for (int fd : fds) ::close(fd);
    for (int fd : peers) ::close(fd);
  }
  Sockets(const Sockets&) = delete;
  Sockets& operator=(const Sockets&) = delete;
  void drain() {
    char buf[16384];
    for (int fd : peers) {
      while (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
      }
    }
  }

  std::vector<int> fds;
  std::vector<int> peers;
};

void BM_LoopbackSends(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const bool batched = state.range(1) == 1;
  rlimit nofile;
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);
  Sockets sockets(n);
  if (sockets.fds.size() != n) return state.SkipWithError("could not connect the sockets");
  std::unique_ptr<bosun::apiserver::SocketRing> sender;
  if (batched) {
    std::string error;
    sender = bosun::apiserver::SocketRing::create(64, &error);
    if (!sender) return state.SkipWithError(("io_uring: " + error).c_str());
  }
  const std::string line(900, 'e');
  std::vector<bosun::apiserver::SocketRing::Send> sends(n);
  for (size_t i = 0; i < n; ++i) sends[i] = {sockets.fds[i], line};
  std::vector<int> results(64);
  size_t failed = 0;
  for (auto _ : state) {
    if (batched) {
      for (size_t i = 0; i < n; i += 64) {
        size_t m = std::min<size_t>(64, n - i);
        sender->send_all(std::span(sends).subspan(i, m), std::span(results).first(m));
        for (size_t k = 0; k < m; ++k) failed += results[k] != static_cast<int>(line.size());
      }
    } else {
      for (int fd : sockets.fds) {
        failed += ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT) !=
                  static_cast<ssize_t>(line.size());
      }
    }
    state.PauseTiming();
    sockets.drain();
    state.ResumeTiming();
  }
  if (failed > 0) return state.SkipWithError("a send did not go whole");
  state.SetLabel(batched ? "io_uring, 64 per call" : "send() each");
  state.counters["s_per_send"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate |
                                                     benchmark::Counter::kInvert);
}
BENCHMARK(BM_LoopbackSends)
    ->Args({4096, 0})
    ->Args({4096, 1})
    ->ArgNames({"sockets", "batched"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
