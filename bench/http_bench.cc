// The API server's HTTPS serving layer under load: GET /version over TLS keep-alive connections
// (authenticated by the admin client certificate, like kubectl), from a Beast client in this
// process, at 16 and 64 concurrent connections; and the resident memory of an idle `bosun
// apiserver` process, alone and holding 64 idle connections. Counters: req_per_s, p50_us, p99_us,
// rss_kib.
#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include <benchmark/benchmark.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/apiserver.h"
#include "apiserver/pki.h"
#include "common/log.h"
#include "tls_load.h"

namespace {

using namespace bosun::bench;

constexpr std::string_view kRequest =
    "GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bosun-http-bench\r\nAccept: "
    "application/json\r\n\r\n";

std::string make_temp_dir() { return bosun::bench::make_temp_dir("bosun-http-bench"); }

// An in-process server shared by the load benchmarks.
struct Server {
  Server() : dir(make_temp_dir()) {
    bosun::init_logging("warn");
    bosun::apiserver::ApiServerOptions o;
    o.data_dir = dir;
    o.listen = "127.0.0.1:0";
    o.metrics = &metrics;
    auto s = bosun::apiserver::ApiServer::start(std::move(o));
    if (!s.ok()) {
      std::fprintf(stderr, "server: %s\n", s.error().message.c_str());
      std::abort();
    }
    server = std::move(s).value();
  }
  ~Server() {
    server.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  bosun::MetricsRegistry metrics;
  std::unique_ptr<bosun::apiserver::ApiServer> server;
};

Server& server() {
  // Lives for the whole run; the process exit reclaims it, and then its data directory goes too.
  static Server* s = [] {
    auto* server = new Server();
    remove_at_exit(server->dir);
    return server;
  }();
  return *s;
}

void BM_VersionKeepAlive(benchmark::State& state) {
  Server& s = server();
  const int connections = static_cast<int>(state.range(0));
  constexpr size_t kRequestsPerIteration = 4000;
  asio::io_context ioc;
  ssl::context ctx = client_context(s.server->pki());
  auto conns = connect_all(ioc, ctx, s.server->port(), connections);
  Load load;
  load.make = [](Conn&, size_t) { return std::string(kRequest); };
  load.latencies_us.reserve(kRequestsPerIteration * 8);
  run_load(state, ioc, conns, load, kRequestsPerIteration);
}
BENCHMARK(BM_VersionKeepAlive)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_IdleServerRss(benchmark::State& state) {
  const int idle_connections = static_cast<int>(state.range(0));
  std::string binary = bosun_binary();
  if (!std::filesystem::exists(binary)) return state.SkipWithError("build the bosun binary first");
  for (auto _ : state) {
    std::string dir = make_temp_dir();
    std::string kubeconfig = dir + "/kubeconfig";
    pid_t pid = fork();
    if (pid == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execl(binary.c_str(), binary.c_str(), "--log-level", "warn", "apiserver", "--data-dir",
            dir.c_str(), "--listen", "127.0.0.1:0", static_cast<char*>(nullptr));
      _exit(127);
    }
    uint16_t port = 0;
    for (int i = 0; i < 500 && port == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (std::filesystem::exists(kubeconfig)) port = port_from_kubeconfig(kubeconfig);
    }
    if (port == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return state.SkipWithError("the server did not start");
    }
    asio::io_context ioc;
    auto pki = bosun::apiserver::ensure_pki(bosun::apiserver::PkiOptions{dir, {}, nullptr});
    ssl::context ctx = client_context(*pki);
    // One request first, so that the figure includes what serving a request leaves allocated.
    auto warm = connect_all(ioc, ctx, port, 1);
    Load load;
    load.make = [](Conn&, size_t) { return std::string(kRequest); };
    load.remaining = 1;
    load.next(*warm[0]);
    ioc.run();
    auto conns = connect_all(ioc, ctx, port, idle_connections);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    state.counters["rss_kib"] = static_cast<double>(rss_kib(pid));
    conns.clear();
    warm.clear();
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    std::filesystem::remove_all(dir);
  }
}
BENCHMARK(BM_IdleServerRss)->Arg(0)->Arg(64)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
