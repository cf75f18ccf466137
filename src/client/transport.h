// The HTTPS layer under RestClient and Watch: one TLS context per client (CA, client certificate,
// host verification as client-go's transport does it) and blocking HTTP/1.1 connections (OpenSSL
// on a non-blocking socket, poll() deadlines, Beast's response parser) with per-call timeouts.
// Internal to the client module. A Transport is immutable and shared by all threads; a Connection
// is used by one thread at a time, except cancel(), which any thread may call.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "client/kubeconfig.h"
#include "common/result.h"

namespace bosun::client::internal {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  bool keep_alive = true;
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class Connection {
 public:
  virtual ~Connection() = default;
  // One request and its whole response.
  virtual Result<HttpResponse> round_trip(std::string_view method, std::string_view target,
                                          const HeaderList& headers, std::string body,
                                          std::chrono::milliseconds timeout) = 0;
  // Sends a GET and reads the response head. A non-2xx response's body is read whole into the
  // result; a 2xx body is then read piecewise with read_stream().
  virtual Result<HttpResponse> start_stream(std::string_view target, const HeaderList& headers,
                                            std::chrono::milliseconds timeout) = 0;
  // The next piece of a streamed body; nullopt when the body ended. An error on timeout, on a
  // broken connection or after cancel().
  virtual Result<std::optional<std::string>> read_stream(std::chrono::milliseconds timeout) = 0;
  // read_stream() that never waits, for a caller that polls the socket itself (the informers'
  // shared watch loop): nullopt with *would_block set when nothing more has arrived yet.
  virtual Result<std::optional<std::string>> read_stream_now(bool* would_block) = 0;
  // The socket, to poll for reading; -1 when not connected.
  virtual int native_fd() const = 0;
  // Aborts whatever the owning thread is blocked in, promptly; thread-safe.
  virtual void cancel() = 0;
  // Whether the connection already served a request (a failure on it may be a stale keep-alive).
  bool reused = false;
};

class Transport {
 public:
  static Result<std::shared_ptr<Transport>> create(const ClientConfig& config);
  virtual ~Transport() = default;
  virtual Result<std::unique_ptr<Connection>> connect(std::chrono::milliseconds timeout) = 0;
  // The URL's path prefix ("" or "/prefix"), to put before API paths.
  virtual const std::string& path_prefix() const = 0;
  // "host:port" for the Host header.
  virtual const std::string& host_header() const = 0;
};

}  // namespace bosun::client::internal
