#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include "client/transport.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <limits>

#include "common/openssl_init.h"

namespace bosun::client::internal {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using SteadyClock = std::chrono::steady_clock;
using Deadline = SteadyClock::time_point;

// Decrypted bytes are read in pieces of one TLS record at most; with read-ahead OpenSSL fills its
// own buffer in one recv instead of reading a record's 5-byte header and then its body.
constexpr size_t kReadPiece = 16 * 1024;

std::string last_ssl_error() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return "unknown TLS error";
  char text[256];
  ERR_error_string_n(e, text, sizeof(text));
  return text;
}

// OpenSSL's socket BIO writes with write(2), which raises SIGPIPE on a connection the peer reset
// and kills a process that does not ignore it (a library must not require that). This BIO sends
// with MSG_NOSIGNAL, as Asio and Go's net package do.
int socket_bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  ssize_t n = ::send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(n);
}

int socket_bio_read(BIO* bio, char* out, int size) {
  BIO_clear_retry_flags(bio);
  const int fd = static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
  ssize_t n = ::recv(fd, out, static_cast<size_t>(size), 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_read(bio);
  }
  return static_cast<int>(n);
}

long socket_bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }

int socket_bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* socket_bio_method() {
  static BIO_METHOD* method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "bosun socket");
    BIO_meth_set_write(m, socket_bio_write);
    BIO_meth_set_read(m, socket_bio_read);
    BIO_meth_set_ctrl(m, socket_bio_ctrl);
    BIO_meth_set_create(m, socket_bio_create);
    return m;
  }();
  return method;
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

int remaining_ms(Deadline deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
  if (left <= 0) return 0;
  return left > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                : static_cast<int>(left);
}

// One HTTP/1.1 connection over TLS on a non-blocking socket, driven by the calling thread:
// every wait is one poll() with the call's deadline, so a request costs a write, a poll and a
// read in the common case (an Asio io_context per connection driven by run_one() cost ~12 system
// calls, 7 of them epoll_wait). cancel() shuts the socket down, which wakes a poll() in another
// thread (Linux's inet_shutdown wakes the socket's waiters).
class SocketConnection final : public Connection {
 public:
  explicit SocketConnection(std::string host_header) : host_header_(std::move(host_header)) {}

  ~SocketConnection() override {
    if (ssl_ != nullptr) SSL_free(ssl_);  // frees the BIO too
    if (fd_ >= 0) ::close(fd_);
  }

  Result<void> open(SSL_CTX* ctx, const std::string& host, const std::string& port, bool verify,
                    std::chrono::milliseconds timeout) {
    const Deadline deadline = SteadyClock::now() + timeout;
    const std::string where = host + ":" + port;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = is_ip_address(host) ? AI_NUMERICHOST : 0;
    addrinfo* found = nullptr;
    int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      return make_error(ErrorCode::kServiceUnavailable,
                        "resolving " + host + ": " + gai_strerror(rc));
    }
    // Every address in turn, as Go's dialer and Asio's connect() try them.
    std::string why = "no address";
    ErrorCode code = ErrorCode::kServiceUnavailable;
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      int fd =
          ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) {
        why = std::strerror(errno);
        continue;
      }
      auto connected = connect_socket(fd, a->ai_addr, a->ai_addrlen, deadline);
      if (!connected.ok()) {
        ::close(fd);
        why = connected.error().message;
        code = connected.error().code;
        if (code == ErrorCode::kTimeout) break;
        continue;
      }
      fd_ = fd;
    }
    freeaddrinfo(found);
    if (fd_ < 0) return make_error(code, "dial tcp " + where + ": " + why);
    // Requests are small and latency-bound; Nagle would hold back a request's second segment.
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

    ssl_ = SSL_new(ctx);
    if (ssl_ == nullptr) return make_error(ErrorCode::kInternal, "TLS: " + last_ssl_error());
    BIO* bio = BIO_new(socket_bio_method());
    if (bio == nullptr) return make_error(ErrorCode::kInternal, "TLS: " + last_ssl_error());
    BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd_)));
    SSL_set_bio(ssl_, bio, bio);
    SSL_set_read_ahead(ssl_, 1);
    SSL_set_connect_state(ssl_);
    if (!is_ip_address(host)) SSL_set_tlsext_host_name(ssl_, host.c_str());
    if (verify) {
      // The serving certificate must name the host we dialled (client-go: crypto/tls'
      // VerifyHostname): an IP address against the IP SANs, a name against the DNS SANs.
      X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
      int set = is_ip_address(host) ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                                    : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
      if (set != 1) return make_error(ErrorCode::kBadRequest, "TLS: bad host name " + host);
    }
    for (;;) {
      ERR_clear_error();
      int r = SSL_do_handshake(ssl_);
      if (r == 1) break;
      int err = SSL_get_error(ssl_, r);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        auto ready = wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline,
                          "TLS handshake with " + host);
        if (!ready.ok()) return ready;
        continue;
      }
      std::string reason = err == SSL_ERROR_SSL ? last_ssl_error()
                           : errno != 0         ? std::string(std::strerror(errno))
                                                : std::string("connection closed");
      long verified = SSL_get_verify_result(ssl_);
      if (verified != X509_V_OK) {
        reason += " (" + std::string(X509_verify_cert_error_string(verified)) + ")";
      }
      return make_error(ErrorCode::kServiceUnavailable,
                        "TLS handshake with " + host + ": " + reason);
    }
    return ok_result();
  }

  Result<HttpResponse> round_trip(std::string_view method, std::string_view target,
                                  const HeaderList& headers, std::string body,
                                  std::chrono::milliseconds timeout) override {
    BOSUN_RETURN_IF_ERROR(send_request(method, target, headers, body, timeout));
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    parser.eager(true);
    const Deadline deadline = SteadyClock::now() + timeout;
    for (;;) {
      beast::error_code ec;
      if (in_pos_ < in_.size()) {
        in_pos_ += parser.put(asio::const_buffer(in_.data() + in_pos_, in_.size() - in_pos_), ec);
        if (parser.is_done()) break;
        if (ec && ec != http::error::need_more) return parse_error("reading the response", ec);
      }
      BOSUN_ASSIGN_OR_RETURN(bool more, fill(deadline, "reading the response"));
      if (!more) {
        if (!parser.got_some()) {
          return make_error(ErrorCode::kServiceUnavailable,
                            "reading the response: connection closed by the server");
        }
        // As Asio's stream_truncated: a body delimited by the end of the connection must end
        // with TLS close_notify, or an attacker could cut it short.
        if (parser.is_header_done() && !clean_eof_) {
          return make_error(ErrorCode::kServiceUnavailable,
                            "reading the response: stream truncated");
        }
        parser.put_eof(ec);
        if (ec) return parse_error("reading the response", ec);
        if (parser.is_done()) break;
      }
    }
    reused = true;
    auto& res = parser.get();
    HttpResponse r;
    r.status = static_cast<int>(res.result_int());
    r.content_type = std::string(res[http::field::content_type]);
    r.keep_alive = res.keep_alive();
    r.body = std::move(res.body());
    return r;
  }

  Result<HttpResponse> start_stream(std::string_view target, const HeaderList& headers,
                                    std::chrono::milliseconds timeout) override {
    BOSUN_RETURN_IF_ERROR(send_request("GET", target, headers, {}, timeout));
    stream_.emplace();
    // Not boost::none: Boost 1.74 compares a Content-Length against an empty limit as exceeding it.
    stream_->body_limit(std::numeric_limits<std::uint64_t>::max());
    stream_->eager(true);
    on_chunk_ = [this](uint64_t, std::string_view body, beast::error_code&) -> size_t {
      pending_.append(body);
      return body.size();
    };
    stream_->on_chunk_body(on_chunk_);
    const Deadline deadline = SteadyClock::now() + timeout;
    while (!stream_->is_header_done()) {
      BOSUN_RETURN_IF_ERROR(advance_stream(deadline, "reading the response head"));
      if (stream_ended_ && !stream_->is_header_done()) {
        return make_error(ErrorCode::kServiceUnavailable,
                          "reading the response head: connection closed by the server");
      }
    }
    HttpResponse r;
    r.status = static_cast<int>(stream_->get().result_int());
    r.content_type = std::string(stream_->get()[http::field::content_type]);
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
    const Deadline deadline = SteadyClock::now() + timeout;
    for (;;) {
      take_stream_body();
      if (!pending_.empty()) return std::optional<std::string>(std::exchange(pending_, {}));
      if (stream_->is_done() || stream_ended_) return std::optional<std::string>();
      if (cancelled_.load()) return make_error(ErrorCode::kServiceUnavailable, "stream stopped");
      auto advanced = advance_stream(deadline, "reading the stream");
      if (!advanced.ok()) {
        if (cancelled_.load()) return make_error(ErrorCode::kServiceUnavailable, "stream stopped");
        return advanced.error();
      }
    }
  }

  Result<std::optional<std::string>> read_stream_now(bool* would_block) override {
    *would_block = false;
    no_wait_ = true;
    would_block_ = false;
    auto piece = read_stream(std::chrono::milliseconds(0));
    no_wait_ = false;
    if (!piece.ok() && would_block_) {
      *would_block = true;
      return std::optional<std::string>();
    }
    return piece;
  }

  int native_fd() const override { return fd_; }

  void cancel() override {
    cancelled_.store(true);
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
  }

 private:
  Result<void> connect_socket(int fd, const sockaddr* addr, socklen_t len, Deadline deadline) {
    if (::connect(fd, addr, len) == 0) return ok_result();
    if (errno != EINPROGRESS)
      return make_error(ErrorCode::kServiceUnavailable, std::strerror(errno));
    for (;;) {
      pollfd p{fd, POLLOUT, 0};
      int n = ::poll(&p, 1, remaining_ms(deadline));
      if (n < 0 && errno == EINTR) continue;
      if (n == 0) return make_error(ErrorCode::kTimeout, "i/o timeout");
      if (n < 0) return make_error(ErrorCode::kServiceUnavailable, std::strerror(errno));
      break;
    }
    int error = 0;
    socklen_t size = sizeof(error);
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) return make_error(ErrorCode::kServiceUnavailable, std::strerror(error));
    return ok_result();
  }

  // Waits until the socket is ready for `events` or the deadline passes.
  Result<void> wait(short events, Deadline deadline, std::string_view what) {
    for (;;) {
      if (cancelled_.load()) {
        return make_error(ErrorCode::kServiceUnavailable, std::string(what) + ": stopped");
      }
      pollfd p{fd_, events, 0};
      int n = ::poll(&p, 1, remaining_ms(deadline));
      if (n > 0) return ok_result();
      if (n == 0) return make_error(ErrorCode::kTimeout, std::string(what) + ": i/o timeout");
      if (errno != EINTR) {
        return make_error(ErrorCode::kServiceUnavailable,
                          std::string(what) + ": " + std::strerror(errno));
      }
    }
  }

  Result<void> send_request(std::string_view method, std::string_view target,
                            const HeaderList& headers, const std::string& body,
                            std::chrono::milliseconds timeout) {
    out_.clear();
    out_.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
    out_.append(host_header_).append("\r\n");
    for (const auto& [k, v] : headers) {
      // A CR or LF would end the header and let the value inject others (a token file with a
      // stray line break, say): refuse, as Go's net/http does for invalid header values.
      if (k.find_first_of("\r\n:") != std::string::npos ||
          v.find_first_of("\r\n") != std::string::npos) {
        return make_error(ErrorCode::kBadRequest, "invalid HTTP header " + k);
      }
      out_.append(k).append(": ").append(v).append("\r\n");
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
      out_.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    out_.append("\r\n").append(body);
    const Deadline deadline = SteadyClock::now() + timeout;
    size_t sent = 0;
    while (sent < out_.size()) {
      ERR_clear_error();
      errno = 0;
      int n = SSL_write(ssl_, out_.data() + sent, static_cast<int>(out_.size() - sent));
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_WRITE || err == SSL_ERROR_WANT_READ) {
        BOSUN_RETURN_IF_ERROR(
            wait(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline, "writing the request"));
        continue;
      }
      return io_error("writing the request", err);
    }
    if (out_.capacity() > 256 * 1024) std::string().swap(out_);  // keep no large body around
    return ok_result();
  }

  // Appends what the server sent next to in_; false at the end of the connection. Polls before
  // reading unless OpenSSL holds bytes already: a response is rarely there the moment we ask, and
  // a read that finds nothing is a wasted system call.
  Result<bool> fill(Deadline deadline, const char* what) {
    if (in_pos_ == in_.size()) {
      in_.clear();
      in_pos_ = 0;
    } else if (in_pos_ > 0) {
      in_.erase(0, in_pos_);
      in_pos_ = 0;
    }
    char piece[kReadPiece];
    // Without waiting, SSL_read itself finds out whether the socket has bytes.
    bool polled = no_wait_ || SSL_has_pending(ssl_) == 1;
    for (;;) {
      if (!polled) BOSUN_RETURN_IF_ERROR(wait(POLLIN, deadline, what));
      polled = false;
      ERR_clear_error();
      errno = 0;
      int n = SSL_read(ssl_, piece, static_cast<int>(kReadPiece));
      if (n > 0) {
        in_.append(piece, static_cast<size_t>(n));
        return true;
      }
      int err = SSL_get_error(ssl_, n);
      if (err == SSL_ERROR_WANT_READ) {
        if (no_wait_) {
          // Everything received so far is decrypted and handed on: the socket's caller polls.
          // The stream may now sit idle for minutes: OpenSSL keeps the 17 KB read buffer it
          // allocated for the attempt (SSL_MODE_RELEASE_BUFFERS frees it only after a record),
          // so give it back; it does nothing while a partial record is buffered.
          SSL_free_buffers(ssl_);
          would_block_ = true;
          return make_error(ErrorCode::kTimeout, std::string(what) + ": would block");
        }
        continue;
      }
      if (err == SSL_ERROR_WANT_WRITE) {
        BOSUN_RETURN_IF_ERROR(wait(POLLOUT, deadline, what));
        polled = true;
        continue;
      }
      if (err == SSL_ERROR_ZERO_RETURN) {
        clean_eof_ = true;
        return false;
      }
      // A peer that closes without close_notify (an idle keep-alive connection closed by the
      // server, say): the end of the connection. Only a body that runs to the end of the
      // connection could be cut short unnoticed, and round_trip() refuses that case.
      if (err == SSL_ERROR_SYSCALL && errno == 0) return false;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
      if (err == SSL_ERROR_SSL &&
          ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        ERR_clear_error();
        return false;
      }
#endif
      return io_error(what, err);
    }
  }

  // Feeds buffered bytes to the stream's parser, reading more when it needs them.
  Result<void> advance_stream(Deadline deadline, const char* what) {
    beast::error_code ec;
    if (in_pos_ < in_.size()) {
      size_t used =
          stream_->put(asio::const_buffer(in_.data() + in_pos_, in_.size() - in_pos_), ec);
      in_pos_ += used;
      if (ec && ec != http::error::need_more) return parse_error(what, ec);
      // Progress (a chunk handed to pending_, say) goes back to the caller before any read
      // that could block.
      if (used > 0 || stream_->is_done()) return ok_result();
    }
    BOSUN_ASSIGN_OR_RETURN(bool more, fill(deadline, what));
    if (!more) {
      stream_ended_ = true;
      if (stream_->is_header_done() && !stream_->is_done()) {
        stream_->put_eof(ec);
        // A chunked or sized body cut short: the stream broke rather than ended.
        if (ec) return parse_error(what, ec);
      }
    }
    return ok_result();
  }

  // A body without chunks (a failed stream's Status) lands in the parser's string: hand it on.
  void take_stream_body() {
    if (!stream_ || !stream_->is_header_done() || stream_->chunked()) return;
    std::string& body = stream_->get().body();
    if (!body.empty()) {
      pending_.append(body);
      body.clear();
    }
  }

  Error parse_error(const char* what, const beast::error_code& ec) {
    return make_error(ErrorCode::kServiceUnavailable, std::string(what) + ": " + ec.message());
  }

  Error io_error(const char* what, int ssl_error) {
    std::string reason = ssl_error == SSL_ERROR_SSL ? last_ssl_error()
                         : errno != 0               ? std::string(std::strerror(errno))
                                                    : std::string("connection closed");
    if (cancelled_.load()) reason = "stopped";
    return make_error(ErrorCode::kServiceUnavailable, std::string(what) + ": " + reason);
  }

  std::string host_header_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string out_;  // the request being written
  std::string in_;   // received bytes; those before in_pos_ are parsed
  size_t in_pos_ = 0;
  bool clean_eof_ = false;  // the server ended TLS with close_notify
  std::optional<http::response_parser<http::string_body>> stream_;
  bool stream_ended_ = false;
  std::function<size_t(uint64_t, std::string_view, beast::error_code&)> on_chunk_;
  std::string pending_;
  bool no_wait_ = false;      // read_stream_now(): fill() reads only what is there
  bool would_block_ = false;  // read_stream_now(): fill() found nothing to read
  std::atomic<bool> cancelled_{false};
};

class SocketTransport final : public Transport {
 public:
  Result<std::unique_ptr<Connection>> connect(std::chrono::milliseconds timeout) override {
    auto c = std::make_unique<SocketConnection>(host_header_);
    BOSUN_RETURN_IF_ERROR(c->open(ctx_.native_handle(), host_, port_, verify_, timeout));
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
  auto t = std::make_shared<SocketTransport>();
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
  // Free a connection's 16 KiB record buffers while nothing is buffered in them: an informer's
  // watch connection idles for minutes, and a server runs dozens of them.
  SSL_CTX_set_mode(t->ctx_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  boost::system::error_code ec;
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
