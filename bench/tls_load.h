// The HTTPS load client the API benchmarks share (http_bench, api_bench): keep-alive TLS
// connections with the admin client certificate, requests issued back to back from one
// io_context, latency percentiles, and helpers to run `build/bosun` as a separate process and read
// its resource use. Benchmark code only; single-threaded per io_context.
#pragma once

#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include <benchmark/benchmark.h>
#include <sys/types.h>

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
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/pki.h"

namespace bosun::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

inline std::string make_temp_dir(const char* prefix) {
  std::string tmpl = std::string("/tmp/") + prefix + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) std::abort();
  return tmpl;
}

// Removes `dir` when the process exits: the data directory of what a benchmark keeps for the whole
// run and never destroys (an in-process server), which would otherwise stay in /tmp.
inline void remove_at_exit(std::string dir) {
  static std::vector<std::string>* dirs = [] {
    auto* v = new std::vector<std::string>();
    std::atexit([] {
      std::error_code ec;
      for (const std::string& d : *dirs) std::filesystem::remove_all(d, ec);
    });
    return v;
  }();
  dirs->push_back(std::move(dir));
}

inline ssl::context client_context(const bosun::apiserver::Pki& pki) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.add_certificate_authority(asio::buffer(pki.ca.cert_pem));
  ctx.set_verify_mode(ssl::verify_peer);
  ctx.use_certificate_chain(asio::buffer(pki.admin.cert_pem));
  ctx.use_private_key(asio::buffer(pki.admin.key_pem), ssl::context::pem);
  return ctx;
}
struct Conn {
  Conn(asio::io_context& ioc, ssl::context& ctx) : stream(ioc, ctx) {}
  beast::ssl_stream<tcp::socket> stream;
  beast::flat_buffer buffer;
  std::string request;
  std::optional<http::response<http::string_body>> res;
  SteadyClock::time_point sent;
  size_t index = 0;
};
inline std::vector<std::unique_ptr<Conn>> connect_all(asio::io_context& ioc, ssl::context& ctx,
                                                      uint16_t port, int n) {
  std::vector<std::unique_ptr<Conn>> conns;
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<Conn>(ioc, ctx);
    beast::get_lowest_layer(c->stream).connect(ep);
    beast::get_lowest_layer(c->stream).set_option(tcp::no_delay(true));
    c->stream.handshake(ssl::stream_base::client);
    c->index = static_cast<size_t>(i);
    conns.push_back(std::move(c));
  }
  return conns;
}
inline std::string http_request(std::string_view method, std::string_view target,
                                std::string_view body,
                                std::string_view content_type = "application/json",
                                std::string_view accept = "application/json") {
  std::string r;
  r.reserve(256 + body.size());
  r += method;
  r += ' ';
  r += target;
  r += " HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bosun-api-bench\r\nAccept: ";
  r += accept;
  r += "\r\n";
  if (!body.empty()) {
    r += "Content-Type: ";
    r += content_type;
    r += "\r\nContent-Length: ";
    r += std::to_string(body.size());
    r += "\r\n";
  }
  r += "\r\n";
  r += body;
  return r;
}
// Requests issued back to back on every connection until `remaining` runs out; `make(conn, seq)`
// gives each request.
struct Load {
  size_t remaining = 0;
  size_t issued = 0;
  unsigned expect_status = 200;
  std::function<std::string(Conn&, size_t)> make;
  std::vector<double> latencies_us;
  size_t errors = 0;
  std::string last_error;

  void next(Conn& c) {
    if (remaining == 0) return;
    --remaining;
    c.request = make(c, issued++);
    c.sent = SteadyClock::now();
    asio::async_write(c.stream, asio::buffer(c.request), [this, &c](beast::error_code ec, size_t) {
      if (ec) return void(++errors);
      c.res.emplace();
      c.res->body().reserve(4096);
      http::async_read(c.stream, c.buffer, *c.res, [this, &c](beast::error_code ec, size_t) {
        if (ec || c.res->result_int() != expect_status) {
          ++errors;
          if (!ec) last_error = c.res->body();
          return;
        }
        latencies_us.push_back(
            std::chrono::duration<double, std::micro>(SteadyClock::now() - c.sent).count());
        next(c);
      });
    });
  }
};
inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(i), v.end());
  return v[i];
}
inline void report(benchmark::State& state, const Load& load, size_t done) {
  if (load.errors > 0) state.SkipWithError(("requests failed: " + load.last_error).c_str());
  state.counters["req_per_s"] =
      benchmark::Counter(static_cast<double>(done), benchmark::Counter::kIsRate);
  state.counters["p50_us"] = percentile(load.latencies_us, 0.50);
  state.counters["p99_us"] = percentile(load.latencies_us, 0.99);
}
// Issues `per_iteration` requests spread over `conns` in each benchmark iteration, then reports
// throughput and latency percentiles.
inline void run_load(benchmark::State& state, asio::io_context& ioc,
                     std::vector<std::unique_ptr<Conn>>& conns, Load& load, size_t per_iteration) {
  size_t done = 0;
  for (auto _ : state) {
    load.remaining = per_iteration;
    for (auto& c : conns) load.next(*c);
    ioc.restart();
    ioc.run();
    done += per_iteration;
  }
  report(state, load, done);
}

inline std::string bosun_binary() {
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe");
  return (self.parent_path().parent_path() / "bosun").string();
}
inline uint16_t port_from_kubeconfig(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto pos = line.find("server: https://127.0.0.1:");
    if (pos != std::string::npos) return static_cast<uint16_t>(std::stoi(line.substr(pos + 26)));
  }
  return 0;
}
inline long rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace bosun::bench
