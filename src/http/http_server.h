// The API server's HTTPS server, on Boost.Beast: a few io threads share one io_context and every
// connection runs on its own strand; TLS on every connection (no plain-HTTP listener), keep-alive,
// TCP_NODELAY, Kubernetes' request limits, gzip of large responses, chunked streaming responses,
// and a graceful shutdown. Each request is authenticated, routed, and handed to its handler as an
// Exchange; handlers that may block run on a worker pool and post their answer back to the
// connection's strand. Beast and Asio stay inside http_server.cc. Thread-safe: start() returns a
// running server; shutdown() may be called from any thread, once or more.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "common/metrics.h"
#include "common/result.h"
#include "http/authn.h"
#include "http/gzip.h"
#include "http/router.h"

namespace bosun::apiserver {

// Kubernetes' MaxRequestBodyBytes (k8s.io/apiserver/pkg/server/config.go): 3 MiB, answered with
// 413.
inline constexpr size_t kMaxRequestBodyBytes = 3 * 1024 * 1024;
// Go's http.DefaultMaxHeaderBytes, which kube-apiserver keeps: 1 MiB for the request line and
// header fields.
inline constexpr size_t kMaxHeaderBytes = 1 << 20;

struct TlsConfig {
  std::string cert_chain_pem;  // the serving certificate, then any intermediates
  std::string key_pem;
  std::string client_ca_pem;  // advertised to clients so they pick the certificate this CA signed
};

struct HttpServerOptions {
  std::string host =
      "127.0.0.1";       // an IP address or a name to resolve; "0.0.0.0" or "::" for every address
  uint16_t port = 6443;  // 0 picks a free port; see HttpServer::port()
  TlsConfig tls;
  std::shared_ptr<const Authenticator> authenticator;  // required
  std::shared_ptr<const Router> router;                // required; not changed after start
  MetricsRegistry* metrics = nullptr;                  // MetricsRegistry::global() when null

  size_t io_threads = 0;      // 0: std::thread::hardware_concurrency()
  size_t worker_threads = 0;  // 0: max(8, 2 * hardware concurrency); runs handlers that may block

  size_t max_request_body_bytes = kMaxRequestBodyBytes;
  size_t max_header_bytes = kMaxHeaderBytes;
  std::chrono::milliseconds handshake_timeout{10'000};
  // Waiting for the next request on a kept-alive connection, up to the end of its header (Go's
  // IdleTimeout, which kube-apiserver sets to 90 s).
  std::chrono::milliseconds idle_timeout{90'000};
  // Receiving a request's body once its header arrived.
  std::chrono::milliseconds read_timeout{60'000};
  // Any one write; a client that stops reading a watch for this long is disconnected.
  std::chrono::milliseconds write_timeout{60'000};
  size_t gzip_threshold_bytes = kGzipThresholdBytes;
  // Stream back-pressure: above high water write_blocking() waits; on_drain() fires back below low
  // water.
  size_t stream_high_water_bytes = 1 << 20;
  size_t stream_low_water_bytes = 256 << 10;
  // Once a stream's head is out, its body is encrypted with OpenSSL straight to the socket, and a
  // producer writing to an idle stream sends from its own thread, instead of each chunk going
  // through the connection's strand and Asio's TLS stream: what lets one API server feed 10,000
  // watchers. The connection returns to Asio's stream when the response ends.
  bool direct_tls_streams = true;
  // Once this many connections are open at once, memory the allocator maps from then on is backed
  // by transparent huge pages (use_huge_pages_for_new_memory): fanning an event out to thousands
  // of watchers touches every connection's TLS state, and with 4 KiB pages nearly every touch
  // missed the TLB (server CPU per delivered line at 10,000 watchers -17 %, median of 8 alternating
  // runs on a loaded machine; resident memory 832 -> 1,165 MiB there).
  // Never undone. 0: never. A small server never reaches it, so its memory stays as it was;
  // without jemalloc (the node agent, the sanitizer build) it does nothing.
  size_t huge_pages_after_connections = 2048;
};

class HttpServer {
 public:
  // Binds, listens and starts serving. Errors: the address cannot be bound, the TLS material is
  // bad.
  static Result<std::unique_ptr<HttpServer>> start(HttpServerOptions options);
  // Shuts down with no grace period if shutdown() was not called.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the chosen one when the options asked for 0).
  uint16_t port() const;

  // Stops accepting, closes idle connections, ends streams (their queued bytes are flushed, then
  // the terminating chunk is sent, so clients see a clean end), and lets in-flight requests finish
  // until `grace` has passed; then closes whatever is left, runs the worker pool dry and stops the
  // io threads. Blocks until done. Calling it again does nothing.
  void shutdown(std::chrono::milliseconds grace);
  // True from the start of shutdown(): the readyz "shutdown" check fails from then on, as in
  // Kubernetes.
  bool shutting_down() const;
  size_t open_connections() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bosun::apiserver
