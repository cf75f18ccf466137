// The API server as one unit: PKI in the data dir, authentication, the system endpoints (/version,
// /healthz, /livez, /readyz, /metrics, /) and the HTTPS server, started together, with the admin
// kubeconfig written for the bound port. `bosun apiserver` and `bosun server` run it; tests start
// it on port 0 in a temporary directory. REST handlers and the store plug in through
// ApiServerOptions::install_routes. Thread-safe like HttpServer.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "apiserver/healthz.h"
#include "apiserver/http_server.h"
#include "apiserver/pki.h"
#include "apiserver/router.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/result.h"

namespace bosun::apiserver {

struct ApiServerOptions {
  std::string data_dir;
  std::string listen = "127.0.0.1:6443";  // ADDR:PORT; [v6]:PORT; port 0 picks a free one
  std::vector<std::string> extra_sans;    // more names for the serving certificate
  size_t io_threads = 0;
  size_t worker_threads = 0;
  MetricsRegistry* metrics = nullptr;  // MetricsRegistry::global() when null
  Clock* clock = nullptr;              // Clock::real() when null
  // How long one write to a client may take before the connection is dropped (a watcher that
  // stopped reading).
  std::chrono::milliseconds write_timeout{60'000};
  // Called once before serving starts, to add the API's routes and their readiness checks (the
  // store's).
  std::function<Result<void>(Router&, HealthChecks&)> install_routes;
};

class ApiServer {
 public:
  static Result<std::unique_ptr<ApiServer>> start(ApiServerOptions options);
  ~ApiServer();

  uint16_t port() const;
  // "https://127.0.0.1:PORT": how clients on this machine reach the server (a wildcard listen
  // address is reached through loopback).
  const std::string& url() const { return url_; }
  const std::string& kubeconfig_path() const { return kubeconfig_path_; }
  const Pki& pki() const { return pki_; }
  HealthChecks& health() { return *health_; }

  // See HttpServer::shutdown.
  void shutdown(std::chrono::milliseconds grace);

 private:
  ApiServer() = default;

  Pki pki_;
  std::string url_;
  std::string kubeconfig_path_;
  std::shared_ptr<HealthChecks> health_;
  std::shared_ptr<std::atomic<bool>> shutting_down_;
  std::unique_ptr<HttpServer> server_;
};

// Splits "ADDR:PORT" ("127.0.0.1:6443", "[::1]:6443", "0.0.0.0:0", ":6443" for every address).
Result<std::pair<std::string, uint16_t>> parse_listen_address(std::string_view listen);

}  // namespace bosun::apiserver
