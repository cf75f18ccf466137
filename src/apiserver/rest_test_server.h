// A whole API server for tests and benchmarks: an ApiStack on 127.0.0.1:0 over a temporary data
// dir (removed when the server goes), and TLS clients that authenticate with its admin
// certificate, with JSON conveniences for the REST calls handler tests make. Not thread-safe:
// each thread uses its own client.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "apiserver/api_stack.h"
#include "apiserver/test_client.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver::testing {

struct RestTestServerOptions {
  Clock* clock = nullptr;  // real when null
  MetricsRegistry* metrics = nullptr;
  bool durable = false;  // tests do not need fsync
  size_t io_threads = 2;
  size_t worker_threads = 8;
  WatchCacheOptions watch_cache;
  std::string service_cidr = "10.43.0.0/16";
  std::string data_dir;  // empty: a new temporary directory, removed afterwards
};

class RestTestServer {
 public:
  static Result<std::unique_ptr<RestTestServer>> start(RestTestServerOptions options = {});
  ~RestTestServer();

  ApiStack& stack() { return *stack_; }
  uint16_t port() { return stack_->server().port(); }
  const std::string& data_dir() const { return dir_; }

  // A new keep-alive connection as the cluster admin (system:masters).
  Result<std::unique_ptr<TestClient>> connect(
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Stops the server but keeps the data dir (for restart tests); start() again with its data_dir.
  void stop();

 private:
  RestTestServer() = default;
  std::string dir_;
  bool owns_dir_ = false;
  std::unique_ptr<ApiStack> stack_;
};

// One REST call: the body (if any) as application/json unless content_type says otherwise.
struct Call {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::string content_type = "application/json";
  std::string accept = "application/json";
};
Result<Reply> call(TestClient& client, const Call& c);
// Shorthands.
Result<Reply> get(TestClient& client, std::string_view target,
                  std::string_view accept = "application/json");
Result<Reply> post(TestClient& client, std::string_view target, const Json& body);
Result<Reply> put(TestClient& client, std::string_view target, const Json& body);
Result<Reply> patch(TestClient& client, std::string_view target, std::string_view content_type,
                    std::string_view body);
Result<Reply> del(TestClient& client, std::string_view target, std::string_view body = "");
// The body parsed as JSON (gunzipped if needed); null if it is not JSON.
Json body_json(const Reply& reply);

}  // namespace bosun::apiserver::testing
