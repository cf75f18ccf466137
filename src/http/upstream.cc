#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include "http/upstream.h"

#include <openssl/ssl.h>
#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>

#include "common/log.h"
#include "common/openssl_init.h"

namespace bosun::apiserver {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct UpstreamClient::Impl {
  // Shared with every call: a call kept past the client (by a relay) still needs it for its
  // socket's destruction.
  std::shared_ptr<asio::io_context> ioc_owner = std::make_shared<asio::io_context>();
  asio::io_context& ioc = *ioc_owner;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  ssl::context ctx{ssl::context::tls_client};
  std::thread thread;
};

namespace {

constexpr size_t kReadChunk = 32 * 1024;

class CallImpl final : public UpstreamCall, public std::enable_shared_from_this<CallImpl> {
 public:
  CallImpl(std::shared_ptr<asio::io_context> ioc, ssl::context& ctx, UpstreamRequest req,
           UpstreamHandlers h)
      : ioc_(std::move(ioc)),
        strand_(asio::make_strand(*ioc_)),
        resolver_(strand_),
        stream_(strand_, ctx),
        timer_(strand_),
        req_(std::move(req)),
        h_(std::move(h)) {}

  void begin(std::chrono::milliseconds connect_timeout) {
    asio::post(strand_, [self = shared_from_this(), connect_timeout] {
      self->timer_.expires_after(connect_timeout);
      self->timer_.async_wait([self](beast::error_code ec) {
        if (!ec && !self->head_done_) self->fail_head("timed out");
      });
      self->resolver_.async_resolve(
          self->req_.host, std::to_string(self->req_.port),
          [self](beast::error_code ec, tcp::resolver::results_type results) {
            if (ec) return self->fail_head(ec.message());
            beast::get_lowest_layer(self->stream_)
                .async_connect(results, [self](beast::error_code ec, const tcp::endpoint&) {
                  self->on_connect(ec);
                });
          });
    });
  }

  bool write(std::string data) override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return false;
    }
    asio::post(strand_, [self = shared_from_this(), data = std::move(data)]() mutable {
      if (self->finished_) return;
      self->out_queue_ += data;
      self->flush();
    });
    return true;
  }

  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closed_) return;
      closed_ = true;
    }
    asio::post(strand_, [self = shared_from_this()] {
      self->close_requested_ = true;
      if (!self->writing_) self->finish(ok_result());
    });
  }

 private:
  void on_connect(beast::error_code ec) {
    if (ec)
      return fail_head("dial tcp " + req_.host + ":" + std::to_string(req_.port) + ": " +
                       ec.message());
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ignored);
    stream_.async_handshake(ssl::stream_base::client,
                            [self = shared_from_this()](beast::error_code ec) {
                              if (ec) return self->fail_head("tls: " + ec.message());
                              self->send_request();
                            });
  }

  void send_request() {
    http::request<http::empty_body> r;
    r.version(11);
    r.method_string(req_.method);
    r.target(req_.target);
    r.set(http::field::host, req_.host + ":" + std::to_string(req_.port));
    for (const auto& [name, value] : req_.headers.items()) r.set(name, value);
    request_.emplace(std::move(r));
    http::async_write(
        stream_, *request_, [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->fail_head(ec.message());
          self->parser_.emplace();
          // Not boost::none: Boost 1.74 compares a Content-Length against an empty limit as
          // exceeded.
          self->parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
          http::async_read_header(self->stream_, self->buffer_, *self->parser_,
                                  [self](beast::error_code ec, size_t) { self->on_header(ec); });
        });
  }

  void on_header(beast::error_code ec) {
    if (ec) return fail_head(ec.message());
    head_done_ = true;
    timer_.cancel();
    const auto& msg = parser_->get();
    UpstreamHead head;
    head.status = static_cast<int>(msg.result_int());
    for (const auto& field : msg) {
      head.headers.add(std::string(field.name_string()), std::string(field.value()));
    }
    upgraded_ = head.status == 101;
    if (h_.on_head) h_.on_head(std::move(head));
    if (finished_) return;
    if (upgraded_) {
      // What followed the head belongs to the new protocol.
      if (buffer_.size() > 0) {
        auto data = buffer_.data();
        std::string bytes(static_cast<const char*>(data.data()), data.size());
        buffer_.consume(buffer_.size());
        if (h_.on_data) h_.on_data(bytes);
      }
      read_raw();
      flush();
      return;
    }
    if (parser_->is_done()) return finish(ok_result());
    read_body();
  }

  void read_body() {
    body_buf_.resize(kReadChunk);
    parser_->get().body().data = body_buf_.data();
    parser_->get().body().size = body_buf_.size();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       size_t n = self->body_buf_.size() - self->parser_->get().body().size;
                       if (n > 0 && self->h_.on_data && !self->finished_) {
                         self->h_.on_data(std::string_view(self->body_buf_.data(), n));
                       }
                       if (ec == http::error::need_buffer) ec = {};
                       if (ec) {
                         if (ec == http::error::end_of_stream || ec == asio::error::eof ||
                             ec == ssl::error::stream_truncated) {
                           return self->finish(ok_result());
                         }
                         return self->finish(make_error(ErrorCode::kInternal, ec.message()));
                       }
                       if (self->parser_->is_done()) return self->finish(ok_result());
                       if (!self->finished_) self->read_body();
                     });
  }

  void read_raw() {
    body_buf_.resize(kReadChunk);
    stream_.async_read_some(asio::buffer(body_buf_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (n > 0 && self->h_.on_data && !self->finished_) {
                                self->h_.on_data(std::string_view(self->body_buf_.data(), n));
                              }
                              if (ec) return self->finish(ok_result());
                              if (!self->finished_) self->read_raw();
                            });
  }

  void flush() {
    if (!upgraded_ || writing_ || finished_) return;
    if (out_queue_.empty()) {
      if (close_requested_) finish(ok_result());
      return;
    }
    writing_ = true;
    out_inflight_.swap(out_queue_);
    out_queue_.clear();
    asio::async_write(stream_, asio::buffer(out_inflight_),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        self->writing_ = false;
                        self->out_inflight_.clear();
                        if (ec) return self->finish(ok_result());
                        self->flush();
                      });
  }

  void fail_head(const std::string& why) {
    if (head_done_ || finished_) return;
    head_done_ = true;
    finished_ = true;
    timer_.cancel();
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    shut();
    if (h_.on_head) {
      h_.on_head(make_error(ErrorCode::kServiceUnavailable, "error dialing backend: " + why));
    }
    h_ = {};
  }

  void finish(Result<void> result) {
    if (finished_) return;
    finished_ = true;
    {
      std::lock_guard lock(mu_);
      closed_ = true;
    }
    timer_.cancel();
    shut();
    if (!head_done_) {
      head_done_ = true;
      if (h_.on_head) h_.on_head(make_error(ErrorCode::kServiceUnavailable, "call closed"));
    } else if (h_.on_end) {
      h_.on_end(std::move(result));
    }
    // Drops the callbacks, and with them whatever they hold (the client's side of a relay).
    h_ = {};
  }

  void shut() {
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  const std::shared_ptr<asio::io_context> ioc_;  // first: destroyed after the socket
  asio::strand<asio::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  beast::ssl_stream<beast::tcp_stream> stream_;
  asio::steady_timer timer_;
  UpstreamRequest req_;
  UpstreamHandlers h_;
  std::optional<http::request<http::empty_body>> request_;
  std::optional<http::response_parser<http::buffer_body>> parser_;
  beast::flat_buffer buffer_;
  std::string body_buf_;
  std::string out_queue_;
  std::string out_inflight_;
  bool head_done_ = false;
  bool upgraded_ = false;
  bool writing_ = false;
  bool finished_ = false;
  bool close_requested_ = false;
  std::mutex mu_;  // guards closed_
  bool closed_ = false;
};

}  // namespace

UpstreamClient::UpstreamClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

UpstreamClient::~UpstreamClient() {
  impl_->work.reset();
  impl_->ioc.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

Result<std::unique_ptr<UpstreamClient>> UpstreamClient::create(UpstreamTls tls) {
  auto impl = std::make_unique<Impl>();
  try {
    if (!tls.client_cert_pem.empty()) {
      impl->ctx.use_certificate_chain(asio::buffer(tls.client_cert_pem));
      impl->ctx.use_private_key(asio::buffer(tls.client_key_pem), ssl::context::pem);
    }
    if (!tls.ca_pem.empty()) {
      impl->ctx.add_certificate_authority(asio::buffer(tls.ca_pem));
      impl->ctx.set_verify_mode(ssl::verify_peer);
    } else {
      impl->ctx.set_verify_mode(ssl::verify_none);
    }
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("upstream tls: ") + e.what());
  }
  impl->work.emplace(impl->ioc.get_executor());
  impl->thread = std::thread([p = impl.get()] {
    for (;;) {
      try {
        p->ioc.run();
        return;
      } catch (const std::exception& e) {
        SPDLOG_ERROR("upstream: an io handler threw: {}", e.what());
      }
    }
  });
  pthread_setname_np(impl->thread.native_handle(), "bosun-upstream");
  return std::unique_ptr<UpstreamClient>(new UpstreamClient(std::move(impl)));
}

std::shared_ptr<UpstreamCall> UpstreamClient::call(UpstreamRequest request,
                                                   UpstreamHandlers handlers,
                                                   std::chrono::milliseconds connect_timeout) {
  auto c = std::make_shared<CallImpl>(impl_->ioc_owner, impl_->ctx, std::move(request),
                                      std::move(handlers));
  c->begin(connect_timeout);
  return c;
}

}  // namespace bosun::apiserver
