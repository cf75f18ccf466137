#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include "apiserver/test_client.h"

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <functional>

namespace bosun::apiserver::testing {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct TestClient::Impl {
  TestClientOptions options;
  asio::io_context ioc;
  ssl::context ctx{ssl::context::tls_client};
  std::optional<beast::ssl_stream<beast::tcp_stream>> stream;
  beast::flat_buffer buffer;
  std::optional<http::response_parser<http::empty_body>> stream_parser;
  std::function<size_t(uint64_t, std::string_view, beast::error_code&)> on_chunk_body;
  std::deque<std::string> chunks;
  std::string partial;

  // Runs one asynchronous operation to completion under the client's timeout.
  template <typename Start>
  beast::error_code run(Start start) {
    beast::error_code result;
    bool done = false;
    beast::get_lowest_layer(*stream).expires_after(options.timeout);
    start([&](beast::error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    ioc.restart();
    while (!done && ioc.run_one() > 0) {
    }
    return done ? result : beast::error_code(beast::error::timeout);
  }

  Error fail(const char* what, beast::error_code ec) {
    return make_error(ErrorCode::kInternal, std::string(what) + ": " + ec.message());
  }

  http::request<http::string_body> make_request(std::string_view method, std::string_view target,
                                                const Headers& headers, std::string body) {
    http::request<http::string_body> req;
    req.method_string(method);
    req.target(target);
    req.version(11);
    req.set(http::field::host, options.host);
    req.set(http::field::user_agent, "bosun-test-client");
    for (const auto& [k, v] : headers.items()) req.set(k, v);
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      req.body() = std::move(body);
      req.prepare_payload();
    }
    return req;
  }
};

TestClient::TestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TestClient::~TestClient() = default;

Result<std::unique_ptr<TestClient>> TestClient::connect(uint16_t port, TestClientOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  beast::error_code ec;
  impl->ctx.add_certificate_authority(asio::buffer(impl->options.ca_pem), ec);
  if (ec) return impl->fail("loading the CA", ec);
  impl->ctx.set_verify_mode(ssl::verify_peer);
  impl->ctx.set_verify_callback(ssl::host_name_verification(impl->options.host));
  if (impl->options.client_cert) {
    impl->ctx.use_certificate_chain(asio::buffer(impl->options.client_cert->cert_pem), ec);
    if (!ec)
      impl->ctx.use_private_key(asio::buffer(impl->options.client_cert->key_pem), ssl::context::pem,
                                ec);
    if (ec) return impl->fail("loading the client certificate", ec);
  }
  impl->stream.emplace(impl->ioc, impl->ctx);
  tcp::endpoint endpoint(asio::ip::make_address(impl->options.host), port);
  ec = impl->run([&](auto handler) {
    beast::get_lowest_layer(*impl->stream).async_connect(endpoint, handler);
  });
  if (ec) return impl->fail("connecting", ec);
  beast::get_lowest_layer(*impl->stream).socket().set_option(tcp::no_delay(true));
  ec = impl->run(
      [&](auto handler) { impl->stream->async_handshake(ssl::stream_base::client, handler); });
  if (ec) return impl->fail("TLS handshake", ec);
  return std::unique_ptr<TestClient>(new TestClient(std::move(impl)));
}

namespace {
Reply to_reply(const http::response_header<>& h) {
  Reply r;
  r.status = static_cast<int>(h.result_int());
  for (const auto& f : h) r.headers.add(std::string(f.name_string()), std::string(f.value()));
  return r;
}
}  // namespace

Result<Reply> TestClient::request(std::string_view method, std::string_view target,
                                  const Headers& headers, std::string body) {
  auto req = impl_->make_request(method, target, headers, std::move(body));
  auto ec = impl_->run([&](auto handler) { http::async_write(*impl_->stream, req, handler); });
  if (ec) return impl_->fail("writing the request", ec);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 << 20);
  ec = impl_->run(
      [&](auto handler) { http::async_read(*impl_->stream, impl_->buffer, parser, handler); });
  if (ec) return impl_->fail("reading the response", ec);
  auto res = parser.release();
  Reply r = to_reply(res.base());
  r.keep_alive = res.keep_alive();
  r.body = std::move(res.body());
  return r;
}

Result<Reply> TestClient::start_stream(std::string_view method, std::string_view target,
                                       const Headers& headers) {
  auto req = impl_->make_request(method, target, headers, {});
  auto ec = impl_->run([&](auto handler) { http::async_write(*impl_->stream, req, handler); });
  if (ec) return impl_->fail("writing the request", ec);
  impl_->stream_parser.emplace();
  impl_->stream_parser->body_limit(boost::none);
  Impl* impl = impl_.get();
  // The parser keeps a reference to the callback, so it lives in Impl.
  impl_->on_chunk_body = [impl](uint64_t remain, std::string_view body,
                                beast::error_code&) -> size_t {
    impl->partial.append(body);
    if (remain == body.size()) impl->chunks.push_back(std::exchange(impl->partial, {}));
    return body.size();
  };
  impl_->stream_parser->on_chunk_body(impl_->on_chunk_body);
  ec = impl_->run([&](auto handler) {
    http::async_read_header(*impl_->stream, impl_->buffer, *impl_->stream_parser, handler);
  });
  if (ec) return impl_->fail("reading the response head", ec);
  Reply r = to_reply(impl_->stream_parser->get().base());
  r.keep_alive = impl_->stream_parser->get().keep_alive();
  return r;
}

Result<std::optional<std::string>> TestClient::read_chunk() {
  for (;;) {
    if (!impl_->chunks.empty()) {
      std::string c = std::move(impl_->chunks.front());
      impl_->chunks.pop_front();
      return std::optional<std::string>(std::move(c));
    }
    if (impl_->stream_parser->is_done()) return std::optional<std::string>();
    auto ec = impl_->run([&](auto handler) {
      http::async_read_some(*impl_->stream, impl_->buffer, *impl_->stream_parser, handler);
    });
    if (ec) return impl_->fail("reading the stream", ec);
  }
}

Result<void> TestClient::write_raw(std::string_view bytes) {
  auto ec = impl_->run(
      [&](auto handler) { asio::async_write(*impl_->stream, asio::buffer(bytes), handler); });
  if (ec) return impl_->fail("writing", ec);
  return ok_result();
}

Result<std::string> TestClient::read_until_close() {
  std::string out;
  for (;;) {
    char buf[16384];
    size_t n = 0;
    auto ec = impl_->run([&](auto handler) {
      impl_->stream->async_read_some(asio::buffer(buf),
                                     [&n, handler](beast::error_code ec, size_t got) mutable {
                                       n = got;
                                       handler(ec);
                                     });
    });
    out.append(buf, n);
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated ||
        ec == asio::error::connection_reset) {
      return out;
    }
    if (ec) return impl_->fail("reading", ec);
  }
}

void TestClient::abort() {
  beast::error_code ignored;
  beast::get_lowest_layer(*impl_->stream).socket().shutdown(tcp::socket::shutdown_both, ignored);
  beast::get_lowest_layer(*impl_->stream).close();
}

}  // namespace bosun::apiserver::testing
