#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include "client/transport.h"

#include <openssl/ssl.h>

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <functional>
#include <limits>

namespace bosun::client::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

Error fail(const std::string& what, const beast::error_code& ec) {
  ErrorCode code =
      ec == beast::error::timeout ? ErrorCode::kTimeout : ErrorCode::kServiceUnavailable;
  return make_error(code, what + ": " + ec.message());
}

bool is_ip_address(const std::string& host) {
  beast::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

class BeastConnection final : public Connection {
 public:
  BeastConnection(ssl::context& ctx, std::string host_header)
      : stream_(ioc_, ctx), host_header_(std::move(host_header)) {}

  Result<void> open(const std::string& host, const std::string& port, bool verify,
                    std::chrono::milliseconds timeout) {
    beast::error_code ec;
    tcp::resolver resolver(ioc_);
    auto endpoints = resolver.resolve(host, port, ec);
    if (ec) return fail("resolving " + host, ec);
    ec = run(timeout, [&](auto handler) {
      beast::get_lowest_layer(stream_).async_connect(endpoints, handler);
    });
    if (ec) return fail("dial tcp " + host + ":" + port, ec);
    // Requests are small and latency-bound; Nagle would hold back a request's second segment.
    beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);
    if (!is_ip_address(host)) SSL_set_tlsext_host_name(stream_.native_handle(), host.c_str());
    if (verify) stream_.set_verify_callback(ssl::host_name_verification(host));
    ec = run(timeout,
             [&](auto handler) { stream_.async_handshake(ssl::stream_base::client, handler); });
    if (ec) return fail("TLS handshake with " + host, ec);
    return ok_result();
  }

  Result<HttpResponse> round_trip(std::string_view method, std::string_view target,
                                  const HeaderList& headers, std::string body,
                                  std::chrono::milliseconds timeout) override {
    auto req = make_request(method, target, headers, std::move(body));
    auto ec = run(timeout, [&](auto handler) { http::async_write(stream_, req, handler); });
    if (ec) return fail("writing the request", ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    ec = run(timeout, [&](auto handler) { http::async_read(stream_, buffer_, parser, handler); });
    if (ec) return fail("reading the response", ec);
    reused = true;
    auto res = parser.release();
    HttpResponse r;
    r.status = static_cast<int>(res.result_int());
    r.content_type = std::string(res[http::field::content_type]);
    r.keep_alive = res.keep_alive();
    r.body = std::move(res.body());
    return r;
  }

  Result<HttpResponse> start_stream(std::string_view target, const HeaderList& headers,
                                    std::chrono::milliseconds timeout) override {
    auto req = make_request("GET", target, headers, {});
    auto ec = run(timeout, [&](auto handler) { http::async_write(stream_, req, handler); });
    if (ec) return fail("writing the request", ec);
    parser_.emplace();
    // Not boost::none: Boost 1.74 compares a Content-Length against an empty limit as exceeding it.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    on_chunk_ = [this](uint64_t, std::string_view body, beast::error_code&) -> size_t {
      pending_.append(body);
      return body.size();
    };
    parser_->on_chunk_body(on_chunk_);
    ec = run(timeout,
             [&](auto handler) { http::async_read_header(stream_, buffer_, *parser_, handler); });
    if (ec) return fail("reading the response head", ec);
    HttpResponse r;
    r.status = static_cast<int>(parser_->get().result_int());
    r.content_type = std::string(parser_->get()[http::field::content_type]);
    r.keep_alive = false;
    if (r.status < 200 || r.status > 299) {
      // An error is a small Status object, not a stream: read it whole (chunked or not).
      std::string body;
      for (;;) {
        auto piece = read_stream(timeout);
        if (!piece.ok() || !piece->has_value()) break;
        body += **piece;
      }
      r.body = std::move(body);
    }
    return r;
  }

  Result<std::optional<std::string>> read_stream(std::chrono::milliseconds timeout) override {
    for (;;) {
      if (!pending_.empty()) return std::optional<std::string>(std::exchange(pending_, {}));
      if (parser_->is_done()) return std::optional<std::string>();
      if (cancelled_.load()) return make_error(ErrorCode::kServiceUnavailable, "stream stopped");
      if (!parser_->chunked()) {
        // A non-chunked body (a Status of a failed stream): read it through the body buffer.
        char buf[8192];
        parser_->get().body().data = buf;
        parser_->get().body().size = sizeof(buf);
        auto ec = run(timeout, [&](auto handler) {
          http::async_read_some(stream_, buffer_, *parser_, handler);
        });
        size_t got = sizeof(buf) - parser_->get().body().size;
        pending_.append(buf, got);
        if (ec == http::error::need_buffer) ec = {};
        if (ec) return fail("reading the stream", ec);
        continue;
      }
      auto ec = run(timeout, [&](auto handler) {
        http::async_read_some(stream_, buffer_, *parser_, handler);
      });
      if (ec) {
        if (cancelled_.load()) return make_error(ErrorCode::kServiceUnavailable, "stream stopped");
        return fail("reading the stream", ec);
      }
    }
  }

  void cancel() override {
    cancelled_.store(true);
    asio::post(ioc_, [this] {
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
      beast::get_lowest_layer(stream_).cancel();
    });
  }

 private:
  // Runs one asynchronous operation on this connection's own io_context, so the calling thread
  // blocks with a deadline and another thread's cancel() can reach it.
  template <typename Start>
  beast::error_code run(std::chrono::milliseconds timeout, Start start) {
    beast::error_code result;
    bool done = false;
    beast::get_lowest_layer(stream_).expires_after(timeout);
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc_.restart();
    while (!done && ioc_.run_one() > 0) {
    }
    return done ? result : beast::error_code(beast::error::timeout);
  }

  http::request<http::string_body> make_request(std::string_view method, std::string_view target,
                                                const HeaderList& headers, std::string body) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, host_header_);
    for (const auto& [k, v] : headers) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return req;
  }

  asio::io_context ioc_{1};
  beast::ssl_stream<beast::tcp_stream> stream_;
  std::string host_header_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  std::function<size_t(uint64_t, std::string_view, beast::error_code&)> on_chunk_;
  std::string pending_;
  std::atomic<bool> cancelled_{false};
};

class BeastTransport final : public Transport {
 public:
  Result<std::unique_ptr<Connection>> connect(std::chrono::milliseconds timeout) override {
    auto c = std::make_unique<BeastConnection>(ctx_, host_header_);
    BOSUN_RETURN_IF_ERROR(c->open(host_, port_, verify_, timeout));
    return std::unique_ptr<Connection>(std::move(c));
  }
  const std::string& path_prefix() const override { return prefix_; }
  const std::string& host_header() const override { return host_header_; }

  ssl::context ctx_{ssl::context::tls_client};
  std::string host_;
  std::string port_;
  std::string prefix_;
  std::string host_header_;
  bool verify_ = true;
};

}  // namespace

Result<std::shared_ptr<Transport>> Transport::create(const ClientConfig& config) {
  auto t = std::make_shared<BeastTransport>();
  std::string_view url = config.server;
  if (url.rfind("https://", 0) != 0) {
    return make_error(ErrorCode::kBadRequest,
                      "server URL must be https://host[:port]: \"" + config.server + "\"");
  }
  url.remove_prefix(8);
  size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) {
    t->prefix_ = std::string(url.substr(slash));
    while (!t->prefix_.empty() && t->prefix_.back() == '/') t->prefix_.pop_back();
  }
  if (authority.empty()) return make_error(ErrorCode::kBadRequest, "server URL has no host");
  if (authority.front() == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return make_error(ErrorCode::kBadRequest, "bad IPv6 URL");
    t->host_ = std::string(authority.substr(1, close - 1));
    t->port_ = close + 2 < authority.size() ? std::string(authority.substr(close + 2)) : "443";
  } else {
    size_t colon = authority.rfind(':');
    t->host_ = std::string(authority.substr(0, colon));
    t->port_ = colon == std::string_view::npos ? "443" : std::string(authority.substr(colon + 1));
  }
  t->host_header_ = std::string(authority);
  beast::error_code ec;
  t->verify_ = !config.insecure_skip_tls_verify;
  if (t->verify_) {
    if (config.ca_pem.empty()) {
      t->ctx_.set_default_verify_paths(ec);
    } else {
      t->ctx_.add_certificate_authority(asio::buffer(config.ca_pem), ec);
    }
    if (ec) return make_error(ErrorCode::kBadRequest, "loading the CA: " + ec.message());
    t->ctx_.set_verify_mode(ssl::verify_peer);
  } else {
    t->ctx_.set_verify_mode(ssl::verify_none);
  }
  if (!config.client_cert_pem.empty()) {
    t->ctx_.use_certificate_chain(asio::buffer(config.client_cert_pem), ec);
    if (!ec) {
      t->ctx_.use_private_key(asio::buffer(config.client_key_pem), ssl::context::pem, ec);
    }
    if (ec) {
      return make_error(ErrorCode::kBadRequest, "loading the client certificate: " + ec.message());
    }
  }
  return std::shared_ptr<Transport>(std::move(t));
}

}  // namespace bosun::client::internal
