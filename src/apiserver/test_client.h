// A blocking HTTPS client for the API server's tests: one TLS connection (verified against the
// cluster CA, optionally with a client certificate), requests over keep-alive, streamed chunks read
// one at a time, and raw access for misbehaving-client cases. Every call has a timeout so a broken
// server fails a test instead of hanging it. Not thread-safe: one test thread drives one client.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "apiserver/http_message.h"
#include "apiserver/pki.h"
#include "common/result.h"

namespace bosun::apiserver::testing {

struct TestClientOptions {
  std::string ca_pem;                     // the CA the server's certificate must chain to
  std::optional<Credential> client_cert;  // presented when the server asks
  std::string host = "127.0.0.1";         // also the name the server certificate is checked against
  std::chrono::milliseconds timeout{10'000};
};

struct Reply {
  int status = 0;
  Headers headers;
  std::string body;  // as received (still gzipped if Content-Encoding says so)
  bool keep_alive = true;
};

class TestClient {
 public:
  static Result<std::unique_ptr<TestClient>> connect(uint16_t port, TestClientOptions options);
  ~TestClient();

  Result<Reply> request(std::string_view method, std::string_view target,
                        const Headers& headers = {}, std::string body = {});

  // Sends a request and reads the response head; the body is then read with read_chunk().
  Result<Reply> start_stream(std::string_view method, std::string_view target,
                             const Headers& headers = {});
  // The next chunk's data; nullopt once the terminating chunk arrived. An error on timeout or a
  // broken stream.
  Result<std::optional<std::string>> read_chunk();

  Result<void> write_raw(std::string_view bytes);
  // Reads until the server closes the connection (or the timeout); returns what arrived.
  Result<std::string> read_until_close();
  // Closes the TCP connection without a TLS close_notify, like a killed client.
  void abort();

 private:
  struct Impl;
  explicit TestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bosun::apiserver::testing
