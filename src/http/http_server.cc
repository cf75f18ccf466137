// Boost.Beast lives in this file only: it compiles slowly, and no other module should pay for it.
#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include "http/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <sys/socket.h>

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>

#include "common/check.h"
#include "common/log.h"
#include "common/openssl_init.h"
#include "common/thread_random.h"
#include "http/huge_pages.h"
#include "http/socket_ring.h"
#include "http/worker_pool.h"

namespace bosun::apiserver {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Set on io threads, so that a blocking call made there by mistake aborts instead of stalling every
// connection the thread serves.
thread_local bool t_on_io_thread = false;

// Go's tcpKeepAlivePeriod for accepted connections in Kubernetes' server: dead peers of idle
// watches are found.
constexpr int kTcpKeepAliveSeconds = 180;
// How long a closing connection waits for the client's TLS close_notify, and how many bytes of an
// unread request body it discards so that the client reads our error reply instead of a reset (Go's
// lingering close).
constexpr std::chrono::milliseconds kCloseWait{1000};
constexpr std::chrono::milliseconds kDrainIdle{500};

// Buffers larger than this are released once a request is done, so that a connection that once
// carried a 3 MiB body does not keep 3 MiB while it idles (thousands of idle watch connections are
// normal).
constexpr size_t kKeepBufferBytes = 64 * 1024;

// A random (version 4) UUID for Audit-Id. libuuid reseeds random() on every call, which showed in
// profiles of small requests; an audit id needs uniqueness, not secrecy, so a per-thread generator
// seeded once suffices.
std::string new_request_id() {
  std::mt19937_64& rng = thread_random();
  uint64_t hi = (rng() & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  uint64_t lo = (rng() & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  char buf[37];
  std::snprintf(buf, sizeof buf, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(hi >> 32),
                static_cast<unsigned>((hi >> 16) & 0xffff), static_cast<unsigned>(hi & 0xffff),
                static_cast<unsigned>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xffffffffffffULL));
  return buf;
}

std::string hex(size_t n) {
  char buf[20];
  int len = std::snprintf(buf, sizeof buf, "%zx", n);
  return std::string(buf, len);
}

bool is_read_only(std::string_view method) {
  return method == "GET" || method == "HEAD" || method == "OPTIONS";
}

constexpr const char* kTls13Ciphersuites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

int accept_any_client_certificate(int, X509_STORE_CTX*) {
  // Client certificates are verified by the Authenticator, once per connection, so that a bad
  // certificate is a 401 Status (as in Kubernetes) rather than a failed handshake.
  return 1;
}

int select_http11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                  unsigned int inlen, void*) {
  // Go clients offer "h2" and "http/1.1"; this server speaks HTTP/1.1, which the ALPN answer
  // states.
  static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

std::string to_der(X509* cert) {
  unsigned char* out = nullptr;
  int n = i2d_X509(cert, &out);
  if (n <= 0) return {};
  std::string der(reinterpret_cast<char*>(out), n);
  OPENSSL_free(out);
  return der;
}

struct ServerMetrics {
  explicit ServerMetrics(MetricsRegistry& r)
      : requests(r.counter_vec(
            "apiserver_request_total",
            "Counter of apiserver requests broken out for each verb, resource, subresource and "
            "HTTP response code.",
            {"verb", "resource", "subresource", "code"})),
        duration(
            r.histogram_vec("apiserver_request_duration_seconds",
                            "Response latency distribution in seconds for each verb, resource and "
                            "subresource.",
                            {"verb", "resource", "subresource"}, kubernetes_latency_buckets())),
        inflight(
            r.gauge_vec("apiserver_current_inflight_requests",
                        "Number of requests currently being handled, per request kind (readOnly or "
                        "mutating); long-running requests are counted apart.",
                        {"request_kind"})),
        inflight_read_only(inflight.with({"readOnly"})),
        inflight_mutating(inflight.with({"mutating"})),
        longrunning(r.gauge_vec(
            "apiserver_longrunning_requests",
            "Gauge of all active long-running apiserver requests (watches and other streams) "
            "broken out by verb, resource and subresource.",
            {"verb", "resource", "subresource"})) {}

  CounterVec& requests;
  HistogramVec& duration;
  GaugeVec& inflight;
  Gauge& inflight_read_only;
  Gauge& inflight_mutating;
  GaugeVec& longrunning;
};

// What the connection needs to know about a request to answer it, beyond the Request itself.
struct RequestMeta {
  unsigned version = 11;
  bool keep_alive = true;
  bool head = false;
  bool accepts_gzip = false;
  Gauge* inflight = nullptr;  // the gauge this request was counted in, if any
  std::string request_id;
  SteadyClock::time_point start;
  MetricsLabels labels;
};

class Connection;
class StreamImpl;

// The live connections. Shared with the connections themselves, which unregister when destroyed,
// possibly after the server is gone (a handler may keep an Exchange, and with it its connection,
// longer than the server lives).
struct ConnectionRegistry {
  void add(const std::shared_ptr<Connection>& c) {
    std::lock_guard lock(mu);
    conns.emplace(c.get(), c);
  }
  void remove(Connection* c) {
    {
      std::lock_guard lock(mu);
      conns.erase(c);
    }
    cv.notify_all();
  }
  std::vector<std::shared_ptr<Connection>> live() {
    std::vector<std::shared_ptr<Connection>> out;
    std::lock_guard lock(mu);
    for (auto& [ptr, weak] : conns) {
      if (auto c = weak.lock()) out.push_back(std::move(c));
    }
    return out;
  }
  size_t size() {
    std::lock_guard lock(mu);
    return conns.size();
  }
  bool wait_empty(SteadyClock::time_point deadline) {
    std::unique_lock lock(mu);
    return cv.wait_until(lock, deadline, [&] { return conns.empty(); });
  }

  std::mutex mu;  // guards conns
  std::condition_variable cv;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> conns;
  // Set once the io threads are gone: answers that arrive later are dropped instead of queued on an
  // io_context nobody runs.
  std::atomic<bool> stopped{false};
};

}  // namespace

struct HttpServer::Impl {
  explicit Impl(HttpServerOptions o);
  ~Impl();

  void run_io_thread();
  void do_accept();
  void on_accept(beast::error_code ec, tcp::socket socket);
  void shutdown(std::chrono::milliseconds grace);
  void record(const RequestMeta& meta, int code);

  HttpServerOptions options;
  ServerMetrics metrics;
  std::atomic<bool> shutting_down{false};
  std::mutex shutdown_mu;  // serialises shutdown() callers
  bool stopped = false;    // guarded by shutdown_mu

  std::shared_ptr<ConnectionRegistry> registry = std::make_shared<ConnectionRegistry>();
  bool huge_pages_asked = false;  // on_accept only (the acceptor's strand)
  ssl::context ssl_ctx{ssl::context::tls_server};
  // Shared with every connection: a socket must be destroyed before its io_context, and a
  // connection may outlive the server (see ConnectionRegistry).
  std::shared_ptr<asio::io_context> ioc_owner = std::make_shared<asio::io_context>();
  asio::io_context& ioc = *ioc_owner;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  tcp::acceptor acceptor{asio::make_strand(ioc)};
  asio::steady_timer accept_retry{acceptor.get_executor()};
  uint16_t port = 0;
  std::vector<std::thread> io_threads;
  // Declared after ioc so that it is destroyed first: its tasks hold connections, whose sockets
  // need the io_context alive.
  std::unique_ptr<WorkerPool> workers;
};

namespace {

// The TLS write and read path of a connection while it streams a response, without Asio's
// ssl::stream: SSL_write encrypts into a BIO whose write callback sends straight to the socket
// (MSG_NOSIGNAL | MSG_DONTWAIT), and keeps in out_ only what the socket did not take. Asio's stream
// instead encrypts into a memory BIO pair, copies out of it and sends through a chain of
// completion handlers; with 10,000 watchers that machinery cost more than the encryption. A
// producer thread can then write an event to an idle stream itself, with no hop to the
// connection's strand. Entered once a stream's head is out and left (the BIO pair restored) when
// the stream ends, so that the connection serves its next request through Asio again.
//
// Thread-safety: mu_ guards every use of the SSL object while direct, out_ and the state flags;
// the Connection's strand and producer threads both call in.
class DirectTls {
 public:
  // Null when the connection holds TLS bytes in flight inside Asio's BIO pair (then the stream
  // stays on Asio).
  static std::shared_ptr<DirectTls> enter(SSL* ssl, int fd) {
    BIO* pair = SSL_get_rbio(ssl);
    if (pair == nullptr || pair != SSL_get_wbio(ssl) || BIO_ctrl_pending(pair) != 0 ||
        BIO_ctrl_wpending(pair) != 0 || SSL_has_pending(ssl) != 0) {
      return nullptr;
    }
    BIO* bio = BIO_new(method());
    if (bio == nullptr) return nullptr;
    auto d = std::shared_ptr<DirectTls>(new DirectTls(ssl, fd, bio, pair));
    BIO_set_data(bio, d.get());
    BIO_up_ref(pair);  // ours while direct: SSL_set_bio below drops the SSL's two references
    BIO_up_ref(bio);   // ours too, so that the BIO outlives the SSL if the producer outlives both
    SSL_set_bio(ssl, bio, bio);
    return d;
  }
  ~DirectTls() {
    BIO_set_data(bio_, nullptr);
    BIO_free(bio_);
    if (saved_ != nullptr) BIO_free(saved_);
  }
  DirectTls(const DirectTls&) = delete;
  DirectTls& operator=(const DirectTls&) = delete;

  // Encrypts and sends `plain`. Returns false once the connection is broken or closed; `buffered`
  // tells how many ciphertext bytes this write left waiting for the socket.
  bool write(std::string_view plain, size_t* buffered) {
    std::lock_guard lock(mu_);
    size_t before = out_.size() - out_off_;
    bool ok = write_locked(plain);
    size_t after = out_.size() - out_off_;
    *buffered = after > before ? after - before : 0;
    return ok;
  }
  enum class Collected { kYes, kNotNow, kBroken };
  // Encrypts `plain` onto the end of `arena` for a batched send (SendBatch) instead of sending it.
  // Until complete_collected(), later writes wait in out_ behind it, and close() waits. kNotNow,
  // with nothing written, when the connection cannot take part now: bytes wait for the socket or
  // a batched send is already in flight. kBroken once the connection is closed or broken.
  Collected collect(std::string_view plain, std::string& arena) {
    std::lock_guard lock(mu_);
    if (closed_ || broken_) return Collected::kBroken;
    if (inflight_ || out_off_ != out_.size()) return Collected::kNotNow;
    trim_out();
    const size_t start = arena.size();
    collect_ = &arena;
    bool ok = write_locked(plain);
    collect_ = nullptr;
    if (!ok) {
      arena.resize(start);
      return Collected::kBroken;
    }
    inflight_ = true;
    inflight_owner_ = std::this_thread::get_id();
    return Collected::kYes;
  }
  // The batched send of `data` (collected above) is done: `res` bytes went, or -errno. What the
  // socket did not take goes ahead of anything written meanwhile. Returns the ciphertext bytes of
  // `data` left waiting; `waiting` receives all that waits now, `ok` false once the connection
  // broke.
  size_t complete_collected(std::string_view data, int res, size_t* waiting, bool* ok) {
    std::lock_guard lock(mu_);
    inflight_ = false;
    size_t sent = 0;
    if (res >= 0) {
      sent = std::min(static_cast<size_t>(res), data.size());
    } else if (res != -EAGAIN && res != -EWOULDBLOCK && res != -EINTR) {
      broken_ = true;
    }
    size_t left = data.size() - sent;
    if (left > 0 && !broken_ && !closed_) out_.insert(out_off_, data.substr(sent));
    idle_.notify_all();
    *waiting = out_.size() - out_off_;
    *ok = !broken_ && !closed_;
    return broken_ || closed_ ? 0 : left;
  }
  bool in_flight() const {
    std::lock_guard lock(mu_);
    return inflight_;
  }
  // The socket for the batched send of collected bytes: -1 once the batch's own thread closed the
  // connection meanwhile (see close()), so that the send fails instead of reaching whatever
  // socket took the number since.
  int batch_fd() const {
    std::lock_guard lock(mu_);
    return closed_ ? -1 : fd_;
  }
  // Sends what the socket did not take before; `sent` receives the number of bytes sent. Returns
  // false once the connection broke. While a batched send is in flight nothing may overtake it:
  // `left` then tells what waits, and the batch's completion flushes the stream again.
  bool send_buffered(size_t* sent, size_t* left) {
    std::lock_guard lock(mu_);
    *sent = 0;
    if (closed_ || broken_) return false;
    while (!inflight_ && out_off_ < out_.size()) {
      ssize_t n =
          ::send(fd_, out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        broken_ = true;
        return false;
      }
      out_off_ += static_cast<size_t>(n);
      *sent += static_cast<size_t>(n);
    }
    trim_out();
    *left = out_.size() - out_off_;
    return true;
  }
  size_t buffered() const {
    std::lock_guard lock(mu_);
    return out_.size() - out_off_;
  }
  bool usable() const {
    std::lock_guard lock(mu_);
    return !closed_ && !broken_;
  }
  // Reads what the client sent (its plaintext goes to `into`) until the socket has no more.
  // Returns false when the client closed the connection (TCP or TLS) or it broke.
  template <class Buffer>
  bool read(Buffer& into) {
    std::lock_guard lock(mu_);
    if (closed_ || broken_) return false;
    for (;;) {
      auto space = into.prepare(4096);
      ERR_clear_error();
      int n = SSL_read(ssl_, space.data(), static_cast<int>(space.size()));
      if (n > 0) {
        into.commit(static_cast<size_t>(n));
        continue;
      }
      int err = SSL_get_error(ssl_, n);
      ERR_clear_error();
      return err == SSL_ERROR_WANT_READ && !broken_;
    }
  }
  // Gives the connection back to Asio's BIO pair. False when it cannot continue (broken, closed, or
  // bytes still waiting for the socket); the connection must then close.
  bool leave() {
    std::lock_guard lock(mu_);
    if (closed_ || broken_ || inflight_ || out_off_ != out_.size() || saved_ == nullptr) {
      return false;
    }
    SSL_set_bio(ssl_, saved_, saved_);  // hands our reference of the pair back to the SSL
    saved_ = nullptr;
    closed_ = true;  // nothing may use the SSL through this object any more
    return true;
  }
  // The connection is closing (or gone): no further use of the SSL object or the socket. Waits
  // for a batched send in flight from another thread, which completes within one batch
  // (microseconds), so that the caller cannot close the socket, and the kernel give its number to
  // a new one, under it. The batch's own thread (where the last reference to a connection may
  // drop) does not wait for itself: its flush finds the connection closed and skips the send.
  void close() {
    std::unique_lock lock(mu_);
    if (inflight_owner_ != std::this_thread::get_id()) {
      idle_.wait(lock, [&] { return !inflight_; });
    }
    closed_ = true;
  }

 private:
  DirectTls(SSL* ssl, int fd, BIO* bio, BIO* saved)
      : ssl_(ssl), fd_(fd), bio_(bio), saved_(saved) {}

  bool write_locked(std::string_view plain) {
    if (closed_ || broken_) return false;
    size_t off = 0;
    while (off < plain.size()) {
      // SSL_MODE_ENABLE_PARTIAL_WRITE (set by Asio) returns after each record.
      int chunk = static_cast<int>(std::min<size_t>(plain.size() - off, 1 << 30));
      int n = SSL_write(ssl_, plain.data() + off, chunk);
      if (n <= 0) {
        ERR_clear_error();
        broken_ = true;
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return !broken_;
  }
  void trim_out() {
    if (out_off_ == out_.size()) {
      out_.clear();
      out_off_ = 0;
      if (out_.capacity() > kKeepOutBytes) std::string().swap(out_);
    }
  }

  // The BIO callbacks run inside SSL_* calls, so with mu_ held.
  static int bio_write(BIO* b, const char* data, int len) {
    BIO_clear_retry_flags(b);
    auto* d = static_cast<DirectTls*>(BIO_get_data(b));
    if (d == nullptr || d->closed_ || d->broken_ || len < 0) return -1;
    if (d->collect_ != nullptr) {
      d->collect_->append(data, static_cast<size_t>(len));
      return len;
    }
    size_t n = 0;
    if (!d->inflight_ && d->out_off_ == d->out_.size()) {
      for (;;) {
        ssize_t r = ::send(d->fd_, data, static_cast<size_t>(len), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (r >= 0) {
          n = static_cast<size_t>(r);
          break;
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        d->broken_ = true;
        return -1;
      }
      d->trim_out();
    }
    // What the socket did not take waits in order behind what already waits.
    if (n < static_cast<size_t>(len)) d->out_.append(data + n, static_cast<size_t>(len) - n);
    return len;
  }
  static int bio_read(BIO* b, char* data, int len) {
    BIO_clear_retry_flags(b);
    auto* d = static_cast<DirectTls*>(BIO_get_data(b));
    if (d == nullptr || d->closed_ || len < 0) return -1;
    for (;;) {
      ssize_t r = ::recv(d->fd_, data, static_cast<size_t>(len), MSG_DONTWAIT);
      if (r >= 0) return static_cast<int>(r);  // 0: the client closed its side
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        BIO_set_retry_read(b);
        return -1;
      }
      d->broken_ = true;
      return -1;
    }
  }
  static long bio_ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }
  static int bio_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }
  static BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
      BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "bosun-stream");
      BIO_meth_set_write(bm, bio_write);
      BIO_meth_set_read(bm, bio_read);
      BIO_meth_set_ctrl(bm, bio_ctrl);
      BIO_meth_set_create(bm, bio_create);
      return bm;
    }();
    return m;
  }

  // Ciphertext kept past a burst is released down to this.
  static constexpr size_t kKeepOutBytes = 64 * 1024;

  SSL* const ssl_;
  const int fd_;
  BIO* const bio_;
  mutable std::mutex mu_;  // guards the SSL object's use and everything below
  BIO* saved_;             // Asio's BIO pair end, given back by leave()
  std::string out_;        // ciphertext the socket did not take yet, from out_off_
  size_t out_off_ = 0;
  std::string* collect_ = nullptr;  // set during collect(): where SSL_write's records go
  bool inflight_ = false;           // a batched send of collected bytes is under way
  std::thread::id inflight_owner_;  // the thread whose batch holds it
  std::condition_variable idle_;    // signalled when inflight_ clears
  bool broken_ = false;
  bool closed_ = false;
};

}  // namespace

// A thread's gathered stream writes: each stream's ciphertext back to back in one arena, sent by
// one SocketRing call when the batch fills or its owner flushes.
struct SendBatch::Impl {
  static constexpr unsigned kEntries = 64;  // sends per system call
  // An arena grown past this by a burst of large writes is released after the flush.
  static constexpr size_t kKeepArenaBytes = 1 << 20;

  struct Entry {
    std::shared_ptr<DirectTls> tls;
    std::shared_ptr<StreamImpl> stream;
    size_t offset = 0;
    size_t size = 0;
  };

  explicit Impl(std::unique_ptr<SocketRing> s) : sender(std::move(s)) {}
  // Encrypts a write of `stream` into the arena when its connection can take part (see
  // DirectTls::collect).
  DirectTls::Collected collect(const std::shared_ptr<DirectTls>& tls,
                               std::shared_ptr<StreamImpl> stream, std::string_view bytes);
  bool full() const { return entries.size() >= sender->capacity(); }
  void flush();

  std::unique_ptr<SocketRing> sender;
  std::string arena;
  std::vector<Entry> entries;
  std::vector<SocketRing::Send> sends;  // flush's, kept for their capacity
  std::vector<int> results;
};

namespace {

// A chunked response body produced over time. Producer threads call write()/finish(); the
// connection's strand drains the queue. mu_ guards the queue and the end state; everything else is
// the connection's. While the connection is direct (DirectTls) a producer writing to an idle stream
// encrypts and sends the chunk itself.
class StreamImpl final : public ResponseStream, public std::enable_shared_from_this<StreamImpl> {
 public:
  // Holds its connection weakly, and no executor: a producer may keep its stream after the server
  // is gone.
  StreamImpl(std::weak_ptr<Connection> conn, size_t high, size_t low)
      : conn_(std::move(conn)), high_(high), low_(low) {}

  // Queued bytes, framed: either one shared chunk or bytes of this stream alone.
  struct Piece {
    SharedChunkPtr shared;
    std::string owned;
    std::string_view bytes() const { return shared ? shared->framed() : std::string_view(owned); }
  };

  bool write(std::string data) override {
    if (data.empty()) return !ended();  // an empty chunk would be the terminating chunk
    return enqueue(frame(data), false);
  }
  bool write_shared(const SharedChunkPtr& chunk) override {
    return enqueue_shared(std::span<const SharedChunkPtr>(&chunk, 1), nullptr);
  }
  bool write_shared_batch(std::span<const SharedChunkPtr> chunks) override {
    return enqueue_shared(chunks, nullptr);
  }
  bool write_shared_batch(std::span<const SharedChunkPtr> chunks, SendBatch& batch) override {
    return enqueue_shared(chunks, &batch.impl());
  }
  bool write_blocking(std::string data) override {
    BOSUN_CHECK(!t_on_io_thread, "ResponseStream::write_blocking called on an io thread");
    if (data.empty()) return !ended();
    return enqueue(frame(data), true);
  }
  void finish() override {
    {
      std::lock_guard lock(mu_);
      if (ended_ || finishing_) return;
      finishing_ = true;
      end_reason_ = StreamEnd::kFinished;
    }
    cv_.notify_all();
    schedule_flush();
  }
  size_t queued_bytes() const override { return queued_.load(std::memory_order_relaxed); }
  bool ended() const override {
    std::lock_guard lock(mu_);
    return ended_ || finishing_;
  }
  void on_close(std::function<void(StreamEnd)> callback) override {
    std::unique_lock lock(mu_);
    if (!ended_) {
      on_close_ = std::move(callback);
      return;
    }
    StreamEnd reason = end_reason_;
    lock.unlock();
    callback(reason);
  }
  void on_drain(std::function<void()> callback) override {
    std::lock_guard lock(mu_);
    on_drain_ = std::move(callback);
  }

  // --- Used by the connection, on its strand. ---

  // Takes what is queued, adding the terminating chunk when the stream is finishing. Returns the
  // pieces to write and whether they end the stream.
  std::pair<std::vector<Piece>, bool> take() {
    std::lock_guard lock(mu_);
    std::vector<Piece> out;
    out.swap(pending_);
    bool last = take_terminator_locked(out);
    return {std::move(out), last};
  }
  // From here on writes go through `direct` (null: through the strand again).
  void use_direct(std::shared_ptr<DirectTls> direct) {
    std::lock_guard lock(mu_);
    direct_ = std::move(direct);
  }
  // What a direct flush did: false `ok` when the connection broke; `last` when the terminating
  // chunk went to TLS; `buffered`: ciphertext waiting for the socket.
  struct DirectFlush {
    bool ok = true;
    bool last = false;
    size_t buffered = 0;
  };
  // Hands what is queued (and the terminating chunk when finishing) to the direct TLS path.
  DirectFlush flush_direct(DirectTls& direct) {
    DirectFlush f;
    std::function<void()> drain;
    std::unique_lock lock(mu_);
    std::vector<Piece> pieces;
    pieces.swap(pending_);
    f.last = take_terminator_locked(pieces);
    // Everything queued goes out as one write: one TLS record (up to its 16 KiB) and one system
    // call, not one per piece.
    std::string& joined = scratch();
    for (const Piece& p : pieces) joined += p.bytes();
    size_t taken = joined.size();
    size_t added = 0;
    if (!joined.empty() && !direct.write(joined, &added)) f.ok = false;
    release_scratch(joined);
    if (!direct.usable()) f.ok = false;
    if (f.last) taken -= kTerminator.size();  // never counted as queued
    // Queued plaintext became ciphertext: sent, or buffered until the socket takes it.
    size_t q = queued_.load(std::memory_order_relaxed);
    q = (q > taken ? q - taken : 0) + added;
    queued_.store(q, std::memory_order_relaxed);
    f.buffered = direct.buffered();
    // As after an Asio write: a producer waiting in write_blocking for the queue to shrink must be
    // woken here, since the socket may have taken everything and no later write completes.
    if (above_high_ && q <= low_) {
      above_high_ = false;
      drain = on_drain_;
    }
    lock.unlock();
    cv_.notify_all();
    if (drain) drain();
    return f;
  }
  // After a write of n queued bytes completed.
  void written(size_t n) {
    std::function<void()> drain;
    {
      std::lock_guard lock(mu_);
      size_t q = queued_.load(std::memory_order_relaxed);
      q = n > q ? 0 : q - n;
      queued_.store(q, std::memory_order_relaxed);
      if (above_high_ && q <= low_) {
        above_high_ = false;
        drain = on_drain_;
      }
    }
    cv_.notify_all();
    if (drain) drain();
  }
  // A batched send of this stream's bytes (SendBatch) completed with `res` (bytes sent, or -errno):
  // what the socket did not take waits like any write's leftover, and the strand flushes it, or
  // ends the stream when the connection broke.
  void batch_sent(DirectTls& direct, std::string_view data, int res) {
    bool flush = false;
    {
      std::lock_guard lock(mu_);
      size_t waiting = 0;
      bool ok = true;
      size_t left = direct.complete_collected(data, res, &waiting, &ok);
      if (left > 0) {
        size_t q = queued_.load(std::memory_order_relaxed) + left;
        queued_.store(q, std::memory_order_relaxed);
        if (q > high_) above_high_ = true;
      }
      flush = !ok || waiting > 0;
    }
    if (flush) schedule_flush();
  }
  // Server shutdown: no more producer writes; what is queued is still flushed, then the terminating
  // chunk.
  void finish_for_shutdown() {
    {
      std::lock_guard lock(mu_);
      if (ended_ || finishing_) return;
      finishing_ = true;
      end_reason_ = StreamEnd::kServerShutdown;
    }
    cv_.notify_all();
  }
  // The stream is over: drops anything queued and fires on_close once. `reason` applies unless
  // finish() (or the shutdown) already chose one and the terminator went out.
  void end(std::optional<StreamEnd> reason) {
    std::function<void(StreamEnd)> cb;
    StreamEnd r;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      ended_ = true;
      if (reason) end_reason_ = *reason;
      pending_.clear();
      direct_.reset();
      queued_.store(0, std::memory_order_relaxed);
      cb = std::move(on_close_);
      r = end_reason_;
    }
    cv_.notify_all();
    if (cb) cb(r);
  }
  void flush_ran() {
    std::lock_guard lock(mu_);
    flush_scheduled_ = false;
  }
  bool has_pending() const {
    std::lock_guard lock(mu_);
    return !pending_.empty() || (finishing_ && !terminator_taken_);
  }

 private:
  static constexpr std::string_view kTerminator = "0\r\n\r\n";

  static Piece frame(std::string_view data) {
    Piece p;
    std::string size = hex(data.size());
    p.owned.reserve(size.size() + data.size() + 4);
    p.owned += size;
    p.owned += "\r\n";
    p.owned += data;
    p.owned += "\r\n";
    return p;
  }

  // A buffer of the calling thread for joining pieces before one write: no allocation per write
  // once it has grown to a burst's size.
  static std::string& scratch() {
    thread_local std::string buffer;
    buffer.clear();
    return buffer;
  }
  static void release_scratch(std::string& buffer) {
    if (buffer.capacity() > kKeepScratchBytes) std::string().swap(buffer);
  }
  static constexpr size_t kKeepScratchBytes = 256 * 1024;

  // Shared chunks (empty ones skipped) join the queue, or go straight to an idle direct stream
  // joined into one write: sent now, or gathered in `batch` (when given) and sent with it.
  bool enqueue_shared(std::span<const SharedChunkPtr> chunks, SendBatch::Impl* batch) {
    size_t size = 0;
    size_t count = 0;
    const SharedChunk* only = nullptr;
    for (const SharedChunkPtr& c : chunks) {
      if (!c || c->framed().empty()) continue;
      size += c->framed().size();
      ++count;
      only = c.get();
    }
    bool gathered = false;
    {
      std::lock_guard lock(mu_);
      if (ended_ || finishing_) return false;
      if (count == 0) return true;
      if (direct_ && pending_.empty() && !flush_scheduled_) {
        std::string_view bytes = only->framed();
        std::string* joined = nullptr;
        if (count > 1) {
          joined = &scratch();
          joined->reserve(size);
          for (const SharedChunkPtr& c : chunks) {
            if (c) *joined += c->framed();
          }
          bytes = *joined;
        }
        auto collected = batch != nullptr ? batch->collect(direct_, shared_from_this(), bytes)
                                          : DirectTls::Collected::kNotNow;
        size_t buffered = 0;
        bool ok = collected != DirectTls::Collected::kBroken;
        if (collected == DirectTls::Collected::kNotNow) ok = direct_->write(bytes, &buffered);
        if (joined != nullptr) release_scratch(*joined);
        gathered = collected == DirectTls::Collected::kYes;
        if (!gathered) {
          if (ok && buffered == 0) return true;
          size_t q = queued_.load(std::memory_order_relaxed) + buffered;
          queued_.store(q, std::memory_order_relaxed);
          if (q > high_) above_high_ = true;
          // A broken connection is ended by the strand, which the flush wakes.
        }
      } else {
        for (const SharedChunkPtr& c : chunks) {
          if (c && !c->framed().empty()) pending_.push_back(Piece{c, {}});
        }
        size_t q = queued_.load(std::memory_order_relaxed) + size;
        queued_.store(q, std::memory_order_relaxed);
        if (q > high_) above_high_ = true;
      }
    }
    if (gathered) {
      // Sent with the batch, whose completion settles it (batch_sent).
      if (batch->full()) batch->flush();
      return true;
    }
    schedule_flush();
    return true;
  }

  bool take_terminator_locked(std::vector<Piece>& out) {
    bool last = finishing_ && !terminator_taken_;
    if (last) {
      out.push_back(Piece{nullptr, std::string(kTerminator)});
      terminator_taken_ = true;
    }
    return last;
  }
  bool enqueue(Piece piece, bool wait) {
    {
      std::unique_lock lock(mu_);
      if (wait) {
        cv_.wait(lock, [&] {
          return queued_.load(std::memory_order_relaxed) <= high_ || ended_ || finishing_;
        });
      }
      if (ended_ || finishing_) return false;
      size_t size = piece.bytes().size();
      if (direct_ && pending_.empty() && !flush_scheduled_) {
        // An idle direct stream: this thread encrypts and sends the chunk now. Only what the
        // socket does not take needs the strand (to wait until it can write).
        size_t buffered = 0;
        bool ok = direct_->write(piece.bytes(), &buffered);
        if (ok && buffered == 0) return true;
        size_t q = queued_.load(std::memory_order_relaxed) + buffered;
        queued_.store(q, std::memory_order_relaxed);
        if (q > high_) above_high_ = true;
        // A broken connection is ended by the strand, which the flush wakes.
      } else {
        // Consecutive writes of this stream's own bytes share one piece.
        if (!piece.shared && !pending_.empty() && !pending_.back().shared) {
          pending_.back().owned += piece.owned;
        } else {
          pending_.push_back(std::move(piece));
        }
        size_t q = queued_.load(std::memory_order_relaxed) + size;
        queued_.store(q, std::memory_order_relaxed);
        if (q > high_) above_high_ = true;
      }
    }
    schedule_flush();
    return true;
  }
  void schedule_flush();

  const std::weak_ptr<Connection> conn_;
  const size_t high_;
  const size_t low_;

  mutable std::mutex mu_;  // guards everything below; taken before DirectTls's own
  std::condition_variable cv_;
  std::vector<Piece> pending_;
  // Pending plus in-flight bytes (ciphertext, on the direct path). Written under mu_, read
  // without it.
  std::atomic<size_t> queued_{0};
  std::shared_ptr<DirectTls> direct_;
  bool flush_scheduled_ = false;
  bool above_high_ = false;
  bool finishing_ = false;
  bool terminator_taken_ = false;
  bool ended_ = false;
  StreamEnd end_reason_ = StreamEnd::kClientGone;
  std::function<void(StreamEnd)> on_close_;
  std::function<void()> on_drain_;

  friend class Connection;
};

// A connection handed over after a 101 answer. Producer threads call write()/close(); the
// connection's strand writes and reads. mu_ guards everything below it.
class UpgradedImpl final : public UpgradedStream,
                           public std::enable_shared_from_this<UpgradedImpl> {
 public:
  explicit UpgradedImpl(std::weak_ptr<Connection> conn) : conn_(std::move(conn)) {}

  void start(std::function<void(std::string_view)> on_data,
             std::function<void()> on_close) override;
  bool write(std::string data) override {
    {
      std::lock_guard lock(mu_);
      if (closing_ || ended_) return false;
      if (data.empty()) return true;
      pending_ += data;
      queued_ += data.size();
    }
    schedule_flush();
    return true;
  }
  void close() override {
    {
      std::lock_guard lock(mu_);
      if (closing_ || ended_) return;
      closing_ = true;
    }
    schedule_flush();
  }
  size_t queued_bytes() const override {
    std::lock_guard lock(mu_);
    return queued_;
  }

  // --- Used by the connection, on its strand. ---

  // Bytes from the client: to on_data once start() ran, kept until then.
  void deliver(std::string data) {
    std::function<void(std::string_view)> cb;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      if (!started_) {
        inbox_ += data;
        return;
      }
      cb = on_data_;
    }
    if (cb) cb(data);
  }
  // Whatever is queued, and whether the stream then closes.
  std::pair<std::string, bool> take() {
    std::lock_guard lock(mu_);
    flush_scheduled_ = false;
    std::string out;
    out.swap(pending_);
    return {std::move(out), closing_};
  }
  void written(size_t n) {
    std::lock_guard lock(mu_);
    queued_ = n > queued_ ? 0 : queued_ - n;
  }
  void end() {
    std::function<void()> cb;
    {
      std::lock_guard lock(mu_);
      if (ended_) return;
      ended_ = true;
      pending_.clear();
      queued_ = 0;
      cb = std::move(on_close_);
      on_data_ = nullptr;
    }
    if (cb) cb();
  }
  // Runs on the strand after start(): installs the callbacks and hands over the kept bytes.
  void begin(std::function<void(std::string_view)> on_data, std::function<void()> on_close) {
    std::string kept;
    bool ended;
    {
      std::lock_guard lock(mu_);
      started_ = true;
      ended = ended_;
      if (!ended) {
        on_data_ = on_data;
        on_close_ = std::move(on_close);
      }
      kept.swap(inbox_);
    }
    if (ended) {
      if (on_close) on_close();
      return;
    }
    if (!kept.empty() && on_data) on_data(kept);
  }

 private:
  void schedule_flush();

  const std::weak_ptr<Connection> conn_;
  mutable std::mutex mu_;
  std::string pending_;
  std::string inbox_;
  size_t queued_ = 0;
  bool flush_scheduled_ = false;
  bool closing_ = false;
  bool ended_ = false;
  bool started_ = false;
  std::function<void(std::string_view)> on_data_;
  std::function<void()> on_close_;
};

class ExchangeImpl;

// One TLS connection. Everything here runs on the connection's strand, except where a comment says
// otherwise.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(HttpServer::Impl& server, tcp::socket socket)
      : ioc_(server.ioc_owner),
        registry_(server.registry),
        server_(server),
        stream_(std::move(socket), server.ssl_ctx),
        read_timer_(stream_.get_executor()),
        write_timer_(stream_.get_executor()) {
    beast::error_code ec;
    auto ep = beast::get_lowest_layer(stream_).remote_endpoint(ec);
    if (!ec) {
      remote_address_ =
          ep.address().is_v6() ? "[" + ep.address().to_string() + "]" : ep.address().to_string();
      remote_address_ += ":" + std::to_string(ep.port());
    }
  }
  ~Connection() {
    // A producer may still hold the stream, and through it the direct path: it must not reach the
    // SSL object freed with stream_.
    if (direct_) direct_->close();
    registry_->remove(this);
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }
  // Whether the server's io threads are gone (server_ must not be touched then).
  bool stopped() const { return registry_->stopped.load(); }

  void start() {
    state_ = State::kHandshake;
    arm(read_timer_, server_.options.handshake_timeout);
    stream_.async_handshake(
        ssl::stream_base::server,
        [self = shared_from_this()](beast::error_code ec) { self->on_handshake(ec); });
  }

  // Posted by shutdown(): idle connections close, busy ones finish their request, streams end
  // cleanly.
  void on_server_shutdown() {
    switch (state_) {
      case State::kHandshake:
      case State::kAwaitingRequest:
        close();
        break;
      case State::kReadingBody:
      case State::kHandling:
      case State::kWriting:
        close_after_response_ = true;
        break;
      case State::kStreaming:
        close_after_response_ = true;
        if (stream_impl_) {
          stream_impl_->finish_for_shutdown();
          flush_stream();
        }
        break;
      case State::kUpgraded:
        close();
        break;
      case State::kClosing:
      case State::kClosed:
        break;
    }
  }

  // Posted when the grace period is over.
  void force_close() {
    if (stream_impl_) stream_impl_->end(StreamEnd::kServerShutdown);
    close();
  }

  void send_response(RequestMeta meta, Response r);
  void begin_stream(RequestMeta meta, std::shared_ptr<StreamImpl> stream, StreamHead head);
  void flush_stream();
  void begin_upgrade(RequestMeta meta, std::shared_ptr<UpgradedImpl> upgraded, Response head);
  void flush_upgraded();

 private:
  enum class State {
    kHandshake,
    kAwaitingRequest,  // waiting for (the header of) the next request
    kReadingBody,
    kHandling,  // a handler has the request
    kWriting,
    kStreaming,
    kUpgraded,  // handed over after a 101: raw bytes both ways
    kClosing,
    kClosed,
  };

  void arm(asio::steady_timer& timer, std::chrono::milliseconds after) {
    if (&timer == &write_timer_) disown_stream_watchdog();
    timer.expires_after(after);
    timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      self->timed_out_ = true;
      self->close();
    });
  }

  void on_handshake(beast::error_code ec) {
    read_timer_.cancel();
    if (ec) {
      SPDLOG_DEBUG("http: TLS handshake with {} failed: {}", remote_address_, ec.message());
      return close();
    }
    std::vector<std::string> chain;
    SSL* ssl = stream_.native_handle();
    if (X509* leaf = SSL_get0_peer_certificate(ssl)) {
      chain.push_back(to_der(leaf));
      // On the server side the peer's chain does not include its leaf.
      if (STACK_OF(X509)* rest = SSL_get_peer_cert_chain(ssl)) {
        for (int i = 0; i < sk_X509_num(rest); ++i) chain.push_back(to_der(sk_X509_value(rest, i)));
      }
    }
    certificate_ = server_.options.authenticator->authenticate_certificate(chain);
    read_request();
  }

  void read_request() {
    if (server_.shutting_down.load()) return close();
    state_ = State::kAwaitingRequest;
    if (buffer_.capacity() > kKeepBufferBytes && buffer_.size() <= kKeepBufferBytes)
      buffer_.shrink_to_fit();
    parser_.emplace();
    parser_->body_limit(server_.options.max_request_body_bytes);
    parser_->header_limit(static_cast<uint32_t>(server_.options.max_header_bytes));
    arm(read_timer_, server_.options.idle_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  void on_header(beast::error_code ec) {
    read_timer_.cancel();
    if (ec) return on_read_error(ec);
    start_ = SteadyClock::now();
    state_ = State::kReadingBody;
    arm(read_timer_, server_.options.read_timeout);
    const auto& req = parser_->get();
    bool has_body = parser_->chunked() || parser_->content_length().value_or(0) > 0;
    if (has_body && iequals(req[http::field::expect], "100-continue")) {
      // curl sends `Expect: 100-continue` before large bodies and waits for this interim answer.
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      asio::async_write(stream_, asio::buffer(kContinue),
                        [self = shared_from_this()](beast::error_code ec, size_t) {
                          if (ec) return self->close();
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_read_error(beast::error_code ec) {
    read_timer_.cancel();
    if (ec == http::error::body_limit) {
      RequestMeta meta = meta_from_parser();
      // As Kubernetes' limitedReadBody words it.
      Error e = make_error(ErrorCode::kRequestEntityTooLarge,
                           "Request entity too large: limit is " +
                               std::to_string(server_.options.max_request_body_bytes));
      return reply_and_drain(std::move(meta), Response::error(e));
    }
    if (ec == http::error::header_limit) {
      // What Go's server answers; the connection is unusable afterwards.
      return reply_and_drain(meta_from_parser(),
                             Response::text(431, "431 Request Header Fields Too Large"));
    }
    if (ec.category() == http::make_error_code(http::error::body_limit).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return reply_and_drain(meta_from_parser(), Response::text(400, "400 Bad Request"));
    }
    close();
  }

  RequestMeta meta_from_parser() {
    RequestMeta meta;
    meta.keep_alive = false;
    meta.start = SteadyClock::now();
    if (parser_) {
      meta.labels.verb = std::string(parser_->get().method_string());
      meta.version = parser_->get().version();
    }
    meta.request_id = new_request_id();
    return meta;
  }

  // An error reply after which the connection closes; the unread rest of the request is read and
  // discarded first so that the client sees the reply rather than a reset.
  void reply_and_drain(RequestMeta meta, Response r) {
    drain_after_write_ = true;
    meta.keep_alive = false;
    send_response(std::move(meta), std::move(r));
  }

  void drain() {
    state_ = State::kClosing;
    drain_budget_ = server_.options.max_request_body_bytes + server_.options.max_header_bytes;
    drain_some();
  }
  void drain_some() {
    // Ends once the client has been quiet for a moment, or has sent more than any request could
    // hold.
    arm(read_timer_, kDrainIdle);
    buffer_.consume(buffer_.size());
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || n >= self->drain_budget_) return self->close();
                              self->drain_budget_ -= n;
                              self->drain_some();
                            });
  }

  void on_body(beast::error_code ec) {
    read_timer_.cancel();
    if (ec) return on_read_error(ec);
    dispatch(parser_->release());
  }

  void dispatch(http::request<http::string_body> msg);

  void on_response_written(beast::error_code ec, bool keep_alive) {
    disown_stream_watchdog();
    write_timer_.cancel();
    server_.record(current_, res_->result_int());
    res_.reset();
    if (ec) return close();
    if (drain_after_write_) return drain();
    if (!keep_alive) return graceful_close();
    read_request();
  }

  // Stream-side reads: a streaming response still reads, so that a client that goes away is noticed
  // at once.
  void read_while_streaming() {
    reading_ = true;
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->on_stream_read(ec, n);
                            });
  }
  void on_stream_read(beast::error_code ec, size_t n) {
    reading_ = false;
    if (ec) {
      if (stream_impl_) stream_impl_->end(StreamEnd::kClientGone);
      return close();
    }
    buffer_.commit(n);
    if (buffer_.size() > server_.options.max_header_bytes) return close();
    if (state_ == State::kStreaming) return read_while_streaming();
    // The stream ended while this read waited: these bytes start the next request.
    if (state_ == State::kAwaitingRequest) read_request();
  }

  void end_stream_accounting() {
    if (!longrunning_counted_) return;
    longrunning_counted_ = false;
    server_.metrics.longrunning
        .with({current_.labels.verb, current_.labels.resource, current_.labels.subresource})
        .dec();
    server_.record(current_, stream_status_);
  }

  // The write timeout of a stream's chunks: a watchdog armed at most once per write_timeout
  // that checks the write in flight, instead of arming and cancelling the timer around every
  // chunk (two handler allocations and two timer-queue updates per event per watcher).
  void watch_stream_write() {
    stream_write_started_ = std::chrono::steady_clock::now();
    if (stream_watchdog_armed_) return;
    start_stream_watchdog(stream_write_started_ + server_.options.write_timeout);
  }
  void start_stream_watchdog(std::chrono::steady_clock::time_point at) {
    stream_watchdog_armed_ = true;
    write_timer_.expires_at(at);
    write_timer_.async_wait([self = shared_from_this(), gen = ++stream_watchdog_gen_](
                                beast::error_code ec) { self->on_stream_watchdog(ec, gen); });
  }
  // Whoever takes write_timer_ for another purpose (a response, a close) owns it from then on.
  void disown_stream_watchdog() {
    stream_watchdog_armed_ = false;
    ++stream_watchdog_gen_;
  }
  void on_stream_watchdog(beast::error_code ec, uint64_t gen) {
    if (gen != stream_watchdog_gen_) return;  // disowned, or superseded
    stream_watchdog_armed_ = false;
    if (ec == asio::error::operation_aborted || !stream_writing_) return;
    const auto due = stream_write_started_ + server_.options.write_timeout;
    if (std::chrono::steady_clock::now() >= due) {
      timed_out_ = true;
      return close();
    }
    start_stream_watchdog(due);
  }

  void on_stream_written(beast::error_code ec, size_t queued_bytes, bool last) {
    stream_writing_ = false;
    if (!stream_impl_) return close();
    if (ec) {
      stream_impl_->end(timed_out_ ? StreamEnd::kWriteTimeout : StreamEnd::kClientGone);
      return close();
    }
    stream_impl_->written(queued_bytes);
    stream_out_shared_.reset();
    if (stream_out_.capacity() > kKeepBufferBytes) std::string().swap(stream_out_);
    if (!last) return flush_stream();
    on_stream_complete();
  }

  // The terminating chunk went out.
  void on_stream_complete() {
    if (direct_ && !leave_direct()) {
      stream_impl_->end(std::nullopt);
      stream_impl_.reset();
      end_stream_accounting();
      return close();
    }
    stream_impl_->end(std::nullopt);
    stream_impl_.reset();
    end_stream_accounting();
    stream_res_.reset();
    stream_sr_.reset();
    // Requests pipelined behind a stream are not supported (no HTTP client in use sends them).
    if (!stream_keep_alive_ || close_after_response_ || server_.shutting_down.load() ||
        buffer_.size() > 0) {
      // With the stream's read still pending a TLS shutdown would race it; the response is
      // complete, so the connection just closes.
      return reading_ ? close() : graceful_close();
    }
    state_ = State::kAwaitingRequest;
    if (reading_) {
      // The stream's read is still pending; it delivers the next request.
      arm(read_timer_, server_.options.idle_timeout);
      return;
    }
    read_request();
  }

  // Once the head is out: the stream's body goes through DirectTls when the server allows it and
  // the TLS state can be taken over, otherwise through Asio's stream.
  void start_stream_io() {
    if (server_.options.direct_tls_streams && !direct_ && stream_impl_) {
      direct_ = DirectTls::enter(stream_.native_handle(),
                                 beast::get_lowest_layer(stream_).native_handle());
      if (direct_) stream_impl_->use_direct(direct_);
    }
    if (direct_) {
      read_direct();
    } else {
      read_while_streaming();
    }
    flush_stream();
  }

  void flush_direct() {
    StreamImpl::DirectFlush f = stream_impl_->flush_direct(*direct_);
    if (!f.ok) {
      stream_impl_->end(StreamEnd::kClientGone);
      return close();
    }
    if (f.last) direct_last_ = true;
    if (f.buffered > 0) return wait_writable();
    if (direct_last_) on_stream_complete();
  }
  // The socket did not take all the ciphertext: the rest goes when it can, under the write
  // watchdog like any stream write.
  void wait_writable() {
    stream_writing_ = true;
    watch_stream_write();
    beast::get_lowest_layer(stream_).async_wait(
        tcp::socket::wait_write, [self = shared_from_this(), gen = direct_gen_](
                                     beast::error_code ec) { self->on_direct_writable(ec, gen); });
  }
  void on_direct_writable(beast::error_code ec, uint64_t gen) {
    if (gen != direct_gen_) return;
    stream_writing_ = false;
    if (!stream_impl_ || !direct_) return close();
    if (ec) {
      stream_impl_->end(timed_out_ ? StreamEnd::kWriteTimeout : StreamEnd::kClientGone);
      return close();
    }
    size_t sent = 0;
    size_t left = 0;
    bool ok = direct_->send_buffered(&sent, &left);
    if (sent > 0) stream_impl_->written(sent);
    if (!ok) {
      stream_impl_->end(StreamEnd::kClientGone);
      return close();
    }
    if (left > 0) {
      // A batched send in flight holds the rest back; its completion flushes the stream again.
      if (direct_->in_flight()) return;
      return wait_writable();
    }
    if (direct_last_) return on_stream_complete();
    flush_stream();
  }
  // Stream-side reads while direct: readiness, then SSL_read, so that a client that goes away is
  // noticed at once (as read_while_streaming does on Asio's stream).
  void read_direct() {
    reading_ = true;
    beast::get_lowest_layer(stream_).async_wait(
        tcp::socket::wait_read, [self = shared_from_this(), gen = direct_gen_](
                                    beast::error_code ec) { self->on_direct_readable(ec, gen); });
  }
  void on_direct_readable(beast::error_code ec, uint64_t gen) {
    if (gen != direct_gen_) return;  // the stream ended and the connection left direct mode
    reading_ = false;
    if (ec || !direct_ || !direct_->read(buffer_)) {
      if (stream_impl_) stream_impl_->end(StreamEnd::kClientGone);
      return close();
    }
    if (buffer_.size() > server_.options.max_header_bytes) return close();
    // A KeyUpdate answer, say, that the socket did not take.
    if (!stream_writing_ && direct_->buffered() > 0) wait_writable();
    if (state_ == State::kStreaming) read_direct();
  }
  // Gives the TLS state back to Asio's stream for the next request. False when it cannot.
  bool leave_direct() {
    ++direct_gen_;  // the pending readiness wait, cancelled below, is stale
    direct_last_ = false;
    bool ok = direct_->leave();
    direct_.reset();
    if (reading_) {
      reading_ = false;
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).cancel(ignored);
    }
    return ok;
  }

  void graceful_close() {
    if (state_ == State::kClosed || state_ == State::kClosing) return;
    state_ = State::kClosing;
    arm(write_timer_, kCloseWait);
    stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
  }

  void close() {
    if (state_ == State::kClosed) return;
    state_ = State::kClosed;
    // Waits for a producer's write in progress, so that the socket is not closed under it.
    if (direct_) direct_->close();
    read_timer_.cancel();
    disown_stream_watchdog();
    write_timer_.cancel();
    if (stream_impl_)
      stream_impl_->end(timed_out_ ? StreamEnd::kWriteTimeout : StreamEnd::kClientGone);
    if (upgraded_) upgraded_->end();
    end_stream_accounting();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_both, ignored);
    beast::get_lowest_layer(stream_).close(ignored);
  }

  // Declared first, destroyed last: the socket below needs the io_context.
  const std::shared_ptr<asio::io_context> ioc_;
  const std::shared_ptr<ConnectionRegistry> registry_;
  HttpServer::Impl& server_;  // valid while !stopped()
  beast::ssl_stream<tcp::socket> stream_;
  asio::steady_timer read_timer_;
  asio::steady_timer write_timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string remote_address_;
  CertificateOutcome certificate_ = std::optional<UserInfo>();
  State state_ = State::kHandshake;
  SteadyClock::time_point start_;
  bool timed_out_ = false;
  bool close_after_response_ = false;
  bool drain_after_write_ = false;
  size_t drain_budget_ = 0;
  bool reading_ = false;

  // The response being written.
  RequestMeta current_;
  std::optional<http::response<http::string_body>> res_;

  // The stream being served.
  std::shared_ptr<StreamImpl> stream_impl_;
  std::optional<http::response<http::empty_body>> stream_res_;
  std::optional<http::response_serializer<http::empty_body>> stream_sr_;
  std::string stream_out_;
  SharedChunkPtr stream_out_shared_;  // a lone shared chunk being written as is
  bool stream_writing_ = false;
  // The stream's body on the direct TLS path (see DirectTls), and a generation that makes the
  // completions of its readiness waits stale once it is left.
  std::shared_ptr<DirectTls> direct_;
  uint64_t direct_gen_ = 0;
  bool direct_last_ = false;  // the terminating chunk went to TLS; the stream ends once it is sent
  bool stream_watchdog_armed_ = false;
  uint64_t stream_watchdog_gen_ = 0;
  std::chrono::steady_clock::time_point stream_write_started_{};
  bool stream_keep_alive_ = false;
  bool longrunning_counted_ = false;
  int stream_status_ = 200;

  // The connection handed over after a 101.
  std::shared_ptr<UpgradedImpl> upgraded_;
  std::string upgraded_out_;
  bool upgraded_writing_ = false;

  // Reads of an upgraded connection go on until the client closes or an error.
  void read_upgraded() {
    stream_.async_read_some(buffer_.prepare(16384),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec) return self->close();
                              self->buffer_.commit(n);
                              self->deliver_buffered();
                              if (self->state_ == State::kUpgraded) self->read_upgraded();
                            });
  }
  void deliver_buffered() {
    if (buffer_.size() == 0 || !upgraded_) return;
    auto data = buffer_.data();
    std::string bytes(static_cast<const char*>(data.data()), data.size());
    buffer_.consume(buffer_.size());
    upgraded_->deliver(std::move(bytes));
  }

  friend class ExchangeImpl;
  friend class UpgradedImpl;
};

void StreamImpl::schedule_flush() {
  {
    std::lock_guard lock(mu_);
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
  }
  auto conn = conn_.lock();
  if (!conn || conn->stopped()) return;
  // Posting (not dispatching) lets writes made in a burst coalesce into one TLS record and one
  // syscall.
  asio::post(conn->executor(), [weak = conn_] {
    if (auto c = weak.lock()) c->flush_stream();
  });
}

void UpgradedImpl::start(std::function<void(std::string_view)> on_data,
                         std::function<void()> on_close) {
  auto conn = conn_.lock();
  if (!conn || conn->stopped()) {
    end();
    if (on_close) on_close();
    return;
  }
  // On the strand, so that on_data never runs on two threads at once.
  asio::post(conn->executor(), [self = shared_from_this(), on_data = std::move(on_data),
                                on_close = std::move(on_close)]() mutable {
    self->begin(std::move(on_data), std::move(on_close));
  });
}

void UpgradedImpl::schedule_flush() {
  {
    std::lock_guard lock(mu_);
    if (flush_scheduled_) return;
    flush_scheduled_ = true;
  }
  auto conn = conn_.lock();
  if (!conn || conn->stopped()) return;
  asio::post(conn->executor(), [weak = conn_] {
    if (auto c = weak.lock()) c->flush_upgraded();
  });
}

void Connection::begin_upgrade(RequestMeta meta, std::shared_ptr<UpgradedImpl> upgraded,
                               Response head) {
  if (meta.inflight) {
    meta.inflight->dec();
    meta.inflight = nullptr;
  }
  server_.record(meta, head.status);
  if (state_ == State::kClosed || state_ == State::kClosing) {
    upgraded->end();
    return;
  }
  // The head is written by hand: Beast's serializer would add a Content-Length to a 101.
  std::string out = "HTTP/1.1 " + std::to_string(head.status) + " Switching Protocols\r\n";
  for (const auto& [name, value] : head.headers.items()) out += name + ": " + value + "\r\n";
  out += "Audit-Id: " + meta.request_id + "\r\n\r\n";
  upgraded_ = std::move(upgraded);
  state_ = State::kUpgraded;
  upgraded_out_ = std::move(out);
  upgraded_writing_ = true;
  arm(write_timer_, server_.options.write_timeout);
  asio::async_write(stream_, asio::buffer(upgraded_out_),
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->upgraded_writing_ = false;
                      self->write_timer_.cancel();
                      if (ec) return self->close();
                      // Bytes the client sent right behind its request belong to the new protocol.
                      self->deliver_buffered();
                      if (self->state_ != State::kUpgraded) return;
                      self->read_upgraded();
                      self->flush_upgraded();
                    });
}

void Connection::flush_upgraded() {
  if (!upgraded_ || upgraded_writing_ || state_ != State::kUpgraded) return;
  std::pair<std::string, bool> taken = upgraded_->take();
  const bool closing = taken.second;
  if (taken.first.empty()) {
    if (closing) {
      // FIN after the last bytes; the pending read sees the client's close and ends the
      // connection (a timer bounds the wait).
      state_ = State::kClosing;
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).shutdown(tcp::socket::shutdown_send, ignored);
      arm(write_timer_, kCloseWait);
    }
    return;
  }
  upgraded_out_ = std::move(taken.first);
  upgraded_writing_ = true;
  arm(write_timer_, server_.options.write_timeout);
  asio::async_write(stream_, asio::buffer(upgraded_out_),
                    [self = shared_from_this()](beast::error_code ec, size_t n) {
                      self->upgraded_writing_ = false;
                      self->write_timer_.cancel();
                      if (ec) return self->close();
                      if (self->upgraded_) self->upgraded_->written(n);
                      if (self->upgraded_out_.capacity() > kKeepBufferBytes)
                        std::string().swap(self->upgraded_out_);
                      self->flush_upgraded();
                    });
}

class ExchangeImpl final : public Exchange {
 public:
  ExchangeImpl(std::shared_ptr<Connection> conn, Request request, RequestMeta meta)
      : conn_(std::move(conn)), request_(std::move(request)), meta_(std::move(meta)) {}

  ~ExchangeImpl() override {
    if (answered_.load() || conn_->stopped()) return;
    // A handler that drops its Exchange without answering must not leave the client hanging.
    RequestMeta meta = take_meta();
    asio::post(conn_->executor(), [conn = conn_, meta = std::move(meta)]() mutable {
      conn->send_response(
          std::move(meta),
          Response::error(make_error(ErrorCode::kInternal,
                                     "Internal error occurred: the request was not answered")));
    });
  }

  const Request& request() const override { return request_; }

  void respond(Response response) override {
    BOSUN_CHECK(!answered_.exchange(true), "an HTTP request was answered twice");
    if (conn_->stopped()) return;
    // dispatch: a handler running on the strand (one that does not block) is answered without
    // another hop.
    asio::dispatch(conn_->executor(),
                   [conn = conn_, meta = take_meta(), r = std::move(response)]() mutable {
                     conn->send_response(std::move(meta), std::move(r));
                   });
  }

  std::shared_ptr<ResponseStream> start_stream(StreamHead head) override {
    BOSUN_CHECK(!answered_.exchange(true), "an HTTP request was answered twice");
    if (conn_->stopped()) {
      auto ended = std::make_shared<StreamImpl>(conn_, 0, 0);
      ended->end(StreamEnd::kServerShutdown);
      return ended;
    }
    auto& opts = conn_->server_.options;
    auto stream = std::make_shared<StreamImpl>(conn_, opts.stream_high_water_bytes,
                                               opts.stream_low_water_bytes);
    asio::dispatch(conn_->executor(),
                   [conn = conn_, meta = take_meta(), stream, h = std::move(head)]() mutable {
                     conn->begin_stream(std::move(meta), std::move(stream), std::move(h));
                   });
    return stream;
  }

  void set_metrics_labels(MetricsLabels labels) override {
    std::lock_guard lock(mu_);
    meta_.labels = std::move(labels);
  }

  std::shared_ptr<UpgradedStream> upgrade(Response head) override {
    BOSUN_CHECK(!answered_.exchange(true), "an HTTP request was answered twice");
    auto upgraded = std::make_shared<UpgradedImpl>(conn_);
    if (conn_->stopped()) {
      upgraded->end();
      return upgraded;
    }
    asio::dispatch(conn_->executor(),
                   [conn = conn_, meta = take_meta(), upgraded, h = std::move(head)]() mutable {
                     conn->begin_upgrade(std::move(meta), std::move(upgraded), std::move(h));
                   });
    return upgraded;
  }

  bool answered() const { return answered_.load(); }

 private:
  RequestMeta take_meta() {
    std::lock_guard lock(mu_);
    return meta_;
  }

  const std::shared_ptr<Connection> conn_;
  const Request request_;
  std::mutex mu_;  // guards meta_
  RequestMeta meta_;
  std::atomic<bool> answered_{false};
};

void run_handler(const Handler& handler, const std::shared_ptr<ExchangeImpl>& exchange) {
  // Handlers use nlohmann::json, which throws: whatever escapes becomes a 500 Status, never a dead
  // io thread.
  try {
    handler(exchange);
  } catch (const std::exception& e) {
    if (!exchange->answered()) {
      exchange->respond(Response::error(
          make_error(ErrorCode::kInternal, std::string("Internal error occurred: ") + e.what())));
    }
  } catch (...) {
    if (!exchange->answered()) {
      exchange->respond(
          Response::error(make_error(ErrorCode::kInternal, "Internal error occurred")));
    }
  }
}

void Connection::dispatch(http::request<http::string_body> msg) {
  RequestMeta meta;
  meta.version = msg.version();
  meta.keep_alive = msg.keep_alive();
  meta.head = msg.method() == http::verb::head;
  meta.accepts_gzip = accepts_gzip(msg[http::field::accept_encoding]);
  meta.start = start_;

  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  for (const auto& field : msg)
    req.headers.add(std::string(field.name_string()), std::string(field.value()));
  req.body = std::move(msg.body());
  req.remote_address = remote_address_;
  // Kubernetes takes the client's Audit-ID when it sends one and otherwise makes a UUID; it comes
  // back as Audit-Id.
  std::string_view audit_id = req.header("Audit-ID");
  req.request_id = audit_id.empty() ? new_request_id() : std::string(audit_id);
  meta.request_id = req.request_id;
  meta.labels.verb = req.method;
  state_ = State::kHandling;

  auto target = parse_target(req.target);
  if (!target.ok()) return send_response(std::move(meta), Response::error(target.error()));
  req.path = std::move(target->path);
  req.segments = std::move(target->segments);
  req.query = std::move(target->query);

  auto user =
      server_.options.authenticator->authenticate(certificate_, req.header("Authorization"));
  if (!user.ok()) return send_response(std::move(meta), Response::error(user.error()));
  if (user->is_anonymous() && !is_public_path(req.path)) {
    return send_response(std::move(meta),
                         Response::error(make_error(ErrorCode::kUnauthorized, "Unauthorized")));
  }
  req.user = std::move(user).value();

  auto match = server_.options.router->find(req.path);
  if (!match) {
    // Kubernetes' notfoundhandler: no details, this exact message.
    return send_response(std::move(meta), Response::error(make_error(
                                              ErrorCode::kNotFound,
                                              "the server could not find the requested resource")));
  }
  meta.labels.subresource = std::string(match->pattern);
  meta.inflight = is_read_only(req.method) ? &server_.metrics.inflight_read_only
                                           : &server_.metrics.inflight_mutating;
  meta.inflight->inc();

  auto exchange =
      std::make_shared<ExchangeImpl>(shared_from_this(), std::move(req), std::move(meta));
  const Route* route = match->route;
  if (!route->may_block) return run_handler(route->handler, exchange);
  bool posted = server_.workers->post([route, exchange] { run_handler(route->handler, exchange); });
  if (!posted) {
    exchange->respond(
        Response::error(make_error(ErrorCode::kServiceUnavailable, "the server is shutting down")));
  }
}

void Connection::send_response(RequestMeta meta, Response r) {
  if (meta.inflight) {
    meta.inflight->dec();
    meta.inflight = nullptr;
  }
  if (state_ == State::kClosed || state_ == State::kClosing) {
    server_.record(meta, r.status);
    return;
  }
  http::response<http::string_body> res;
  res.version(meta.version);
  res.result(static_cast<unsigned>(r.status));
  if (!r.content_type.empty()) res.set(http::field::content_type, r.content_type);
  res.set("Audit-Id", meta.request_id);
  // Kubernetes' WithCacheControl: API responses are never cached by intermediaries.
  res.set(http::field::cache_control, "no-cache, private");
  for (const auto& [name, value] : r.headers.items()) res.set(name, value);
  if (r.compressible && meta.accepts_gzip && r.body.size() > server_.options.gzip_threshold_bytes) {
    if (auto gz = gzip_compress(r.body); gz.ok()) {
      r.body = std::move(gz).value();
      res.set(http::field::content_encoding, "gzip");
      res.set(http::field::vary, "Accept-Encoding");
    }
  }
  bool keep_alive = meta.keep_alive && !close_after_response_ && !server_.shutting_down.load();
  res.keep_alive(keep_alive);
  if (meta.head) {
    res.content_length(r.body.size());
  } else {
    res.body() = std::move(r.body);
    res.prepare_payload();
  }
  current_ = std::move(meta);
  res_.emplace(std::move(res));
  state_ = State::kWriting;
  arm(write_timer_, server_.options.write_timeout);
  http::async_write(stream_, *res_,
                    [self = shared_from_this(), keep_alive](beast::error_code ec, size_t) {
                      self->on_response_written(ec, keep_alive);
                    });
}

void Connection::begin_stream(RequestMeta meta, std::shared_ptr<StreamImpl> stream,
                              StreamHead head) {
  if (meta.inflight) {
    // Long-running requests are not in-flight ones (Kubernetes' max-in-flight filter exempts them).
    meta.inflight->dec();
    meta.inflight = nullptr;
  }
  if (state_ == State::kClosed || state_ == State::kClosing) {
    stream->end(StreamEnd::kClientGone);
    server_.record(meta, head.status);
    return;
  }
  server_.metrics.longrunning
      .with({meta.labels.verb, meta.labels.resource, meta.labels.subresource})
      .inc();
  longrunning_counted_ = true;
  http::response<http::empty_body> res;
  res.version(meta.version);
  res.result(static_cast<unsigned>(head.status));
  if (!head.content_type.empty()) res.set(http::field::content_type, head.content_type);
  res.set("Audit-Id", meta.request_id);
  res.set(http::field::cache_control, "no-cache, private");
  for (const auto& [name, value] : head.headers.items()) res.set(name, value);
  stream_keep_alive_ = meta.keep_alive && !close_after_response_ && !server_.shutting_down.load();
  res.keep_alive(stream_keep_alive_);
  res.chunked(true);
  stream_status_ = head.status;
  current_ = std::move(meta);
  stream_impl_ = std::move(stream);
  stream_res_.emplace(std::move(res));
  stream_sr_.emplace(*stream_res_);
  state_ = State::kStreaming;
  // A stream that begins during shutdown ends right after its header.
  if (server_.shutting_down.load()) stream_impl_->finish_for_shutdown();
  stream_writing_ = true;
  arm(write_timer_, server_.options.write_timeout);
  http::async_write_header(stream_, *stream_sr_,
                           [self = shared_from_this()](beast::error_code ec, size_t) {
                             self->stream_writing_ = false;
                             self->disown_stream_watchdog();
                             self->write_timer_.cancel();
                             if (ec) {
                               if (self->stream_impl_)
                                 self->stream_impl_->end(StreamEnd::kClientGone);
                               return self->close();
                             }
                             self->start_stream_io();
                           });
}

void Connection::flush_stream() {
  // Whatever happens next, the posted flush has run: a later write must post another. (Clearing
  // the flag only in take() left it set when this returned early during a write whose completion
  // then found nothing pending, and the stream's next event was never flushed.)
  if (stream_impl_) stream_impl_->flush_ran();
  if (!stream_impl_ || stream_writing_ || state_ != State::kStreaming) return;
  if (direct_) return flush_direct();
  if (!stream_impl_->has_pending()) return;
  // Not a structured binding: clang 14 (the sanitizer build) cannot capture one in a lambda.
  std::pair<std::vector<StreamImpl::Piece>, bool> taken = stream_impl_->take();
  const bool last = taken.second;
  size_t size = 0;
  for (const StreamImpl::Piece& p : taken.first) size += p.bytes().size();
  if (size == 0) return;
  size_t queued = last ? size - 5 : size;  // the terminator was never counted as queued
  asio::const_buffer buffer;
  if (taken.first.size() == 1 && taken.first[0].shared) {
    stream_out_shared_ = std::move(taken.first[0].shared);
    buffer = asio::buffer(stream_out_shared_->framed());
  } else {
    stream_out_.clear();
    stream_out_.reserve(size);
    for (const StreamImpl::Piece& p : taken.first) stream_out_ += p.bytes();
    buffer = asio::buffer(stream_out_);
  }
  stream_writing_ = true;
  watch_stream_write();
  asio::async_write(stream_, buffer,
                    [self = shared_from_this(), queued, last](beast::error_code ec, size_t) {
                      self->on_stream_written(ec, queued, last);
                    });
}

}  // namespace

DirectTls::Collected SendBatch::Impl::collect(const std::shared_ptr<DirectTls>& tls,
                                              std::shared_ptr<StreamImpl> stream,
                                              std::string_view bytes) {
  const size_t offset = arena.size();
  DirectTls::Collected c = tls->collect(bytes, arena);
  if (c == DirectTls::Collected::kYes) {
    entries.push_back(Entry{tls, std::move(stream), offset, arena.size() - offset});
  }
  return c;
}

void SendBatch::Impl::flush() {
  if (entries.empty()) return;
  sends.clear();
  for (const Entry& e : entries) {
    sends.push_back(
        SocketRing::Send{e.tls->batch_fd(), std::string_view(arena).substr(e.offset, e.size)});
  }
  results.resize(entries.size());
  sender->send_all(sends, results);
  for (size_t i = 0; i < entries.size(); ++i) {
    entries[i].stream->batch_sent(*entries[i].tls, sends[i].bytes, results[i]);
  }
  entries.clear();
  if (arena.capacity() > kKeepArenaBytes) {
    std::string().swap(arena);
  } else {
    arena.clear();
  }
}

SendBatch::SendBatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SendBatch::~SendBatch() { impl_->flush(); }

void SendBatch::flush() { impl_->flush(); }

SendBatch* SendBatch::for_this_thread() {
  thread_local std::unique_ptr<SendBatch> batch;
  thread_local bool unavailable = false;
  if (batch) return batch->impl_->sender->usable() ? batch.get() : nullptr;
  if (unavailable) return nullptr;
  std::string error;
  std::unique_ptr<SocketRing> sender = SocketRing::create(Impl::kEntries, &error);
  if (!sender) {
    unavailable = true;
    static std::once_flag logged;
    std::call_once(logged, [&] {
      SPDLOG_INFO("http: io_uring is not available ({}); streams are written one send() each",
                  error);
    });
    return nullptr;
  }
  batch.reset(new SendBatch(std::make_unique<Impl>(std::move(sender))));
  return batch.get();
}

HttpServer::Impl::Impl(HttpServerOptions o) : options(std::move(o)), metrics(*options.metrics) {}

HttpServer::Impl::~Impl() = default;

void HttpServer::Impl::run_io_thread() {
  t_on_io_thread = true;
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      SPDLOG_ERROR("http: an io handler threw: {}", e.what());
    }
  }
}

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
  if (ec) {
    // Out of file descriptors and the like: back off instead of spinning.
    SPDLOG_WARN("http: accept failed: {}", ec.message());
    accept_retry.expires_after(std::chrono::milliseconds(100));
    accept_retry.async_wait([this](beast::error_code e) {
      if (!e) do_accept();
    });
    return;
  }
  beast::error_code ignored;
  // Without TCP_NODELAY every kubectl request stalls ~40 ms on delayed ACKs (Nagle).
  socket.set_option(tcp::no_delay(true), ignored);
  socket.set_option(asio::socket_base::keep_alive(true), ignored);
  int secs = kTcpKeepAliveSeconds;
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof secs);
  ::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof secs);
  auto conn = std::make_shared<Connection>(*this, std::move(socket));
  registry->add(conn);
  if (!huge_pages_asked && options.huge_pages_after_connections != 0 &&
      registry->size() >= options.huge_pages_after_connections) {
    huge_pages_asked = true;
    use_huge_pages_for_new_memory();
  }
  asio::dispatch(conn->executor(), [conn] { conn->start(); });
  do_accept();
}

void HttpServer::Impl::record(const RequestMeta& meta, int code) {
  double seconds = std::chrono::duration<double>(SteadyClock::now() - meta.start).count();
  const auto& l = meta.labels;
  std::string code_str = std::to_string(code);
  metrics.requests.with({l.verb, l.resource, l.subresource, code_str}).inc();
  metrics.duration.with({l.verb, l.resource, l.subresource}).observe(seconds);
}

void HttpServer::Impl::shutdown(std::chrono::milliseconds grace) {
  std::lock_guard guard(shutdown_mu);
  if (stopped) return;
  stopped = true;
  shutting_down.store(true);
  auto deadline = SteadyClock::now() + grace;

  asio::post(acceptor.get_executor(), [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
  });
  auto for_each_connection = [&](auto fn) {
    for (auto& c : registry->live()) asio::post(c->executor(), [c, fn] { fn(*c); });
  };
  for_each_connection([](Connection& c) { c.on_server_shutdown(); });
  bool forced = !registry->wait_empty(deadline);
  if (forced) {
    if (grace.count() > 0)
      SPDLOG_INFO("http: grace period over, closing the remaining connections");
    for_each_connection([](Connection& c) { c.force_close(); });
  }
  // Handlers still running finish; their answers go to closed connections.
  workers->stop();
  registry->wait_empty(SteadyClock::now() + std::chrono::seconds(5));
  registry->stopped.store(true);
  work.reset();
  ioc.stop();
  for (auto& t : io_threads) {
    if (t.joinable()) t.join();
  }
  // Completions of the operations cancelled above still hold their connections; running them here
  // releases those, so that nothing but a handler's leftover Exchange can keep the io_context
  // alive.
  ioc.restart();
  ioc.poll();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { impl_->shutdown(std::chrono::milliseconds(0)); }

uint16_t HttpServer::port() const { return impl_->port; }
bool HttpServer::shutting_down() const { return impl_->shutting_down.load(); }
void HttpServer::shutdown(std::chrono::milliseconds grace) { impl_->shutdown(grace); }
size_t HttpServer::open_connections() const { return impl_->registry->size(); }

namespace {

Result<void> configure_tls(ssl::context& ctx, const TlsConfig& tls) {
  try {
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ctx.use_certificate_chain(asio::buffer(tls.cert_chain_pem));
    ctx.use_private_key(asio::buffer(tls.key_pem), ssl::context::pem);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, std::string("tls: ") + e.what());
  }
  SSL_CTX* native = ctx.native_handle();
  // The server picks the cipher in the order of Go's crypto/tls (kube-apiserver's) on hardware
  // with AES instructions, AES-128-GCM first; OpenSSL's clients would otherwise get the AES-256-GCM
  // they list first (no dearer here: bench/stream_send_bench.cc). TLS 1.2 keeps to forward-secret
  // AEAD suites, in Go's order.
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_ciphersuites(native, kTls13Ciphersuites) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInternal, "tls: the cipher lists are not supported");
  }
  // Idle connections (thousands of watches) then keep no TLS buffers.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  // No session tickets or server-side session cache: no client of this server resumes a session
  // (client-go leaves crypto/tls' ClientSessionCache unset, and Bosun's client transport keeps no
  // sessions), and OpenSSL 3 copies the session, client certificate included, for every TLS 1.3
  // ticket it sends (18 % of the server's CPU per handshake with a client certificate).
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(native, SSL_VERIFY_PEER, accept_any_client_certificate);
  SSL_CTX_set_alpn_select_cb(native, select_http11, nullptr);
  // Go clients send only a certificate whose issuer is in this list (or any when it is empty).
  STACK_OF(X509_NAME)* names = sk_X509_NAME_new_null();
  BIO* bio = BIO_new_mem_buf(tls.client_ca_pem.data(), static_cast<int>(tls.client_ca_pem.size()));
  while (X509* ca = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr)) {
    sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(ca)));
    X509_free(ca);
  }
  BIO_free(bio);
  ERR_clear_error();
  SSL_CTX_set_client_CA_list(native, names);
  return ok_result();
}

Result<tcp::endpoint> resolve(asio::io_context& ioc, const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto addr = asio::ip::make_address(host.empty() ? "0.0.0.0" : host, ec);
  if (!ec) return tcp::endpoint(addr, port);
  tcp::resolver resolver(ioc);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    return make_error(ErrorCode::kInternal, "listen: cannot resolve " + host + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerOptions options) {
  BOSUN_CHECK(options.authenticator != nullptr, "HttpServerOptions.authenticator is required");
  BOSUN_CHECK(options.router != nullptr, "HttpServerOptions.router is required");
  if (!options.metrics) options.metrics = &MetricsRegistry::global();
  size_t hw = std::max(1u, std::thread::hardware_concurrency());
  if (options.io_threads == 0) options.io_threads = hw;
  if (options.worker_threads == 0) options.worker_threads = std::max<size_t>(8, 2 * hw);

  auto impl = std::make_unique<Impl>(std::move(options));
  BOSUN_RETURN_IF_ERROR(configure_tls(impl->ssl_ctx, impl->options.tls));
  BOSUN_ASSIGN_OR_RETURN(tcp::endpoint endpoint,
                         resolve(impl->ioc, impl->options.host, impl->options.port));
  beast::error_code ec;
  auto fail = [&](const char* op) -> Error {
    return make_error(ErrorCode::kInternal, "listen tcp " + impl->options.host + ":" +
                                                std::to_string(impl->options.port) + ": " + op +
                                                ": " + ec.message());
  };
  impl->acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("socket");
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  impl->acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  impl->port = impl->acceptor.local_endpoint().port();

  impl->workers = std::make_unique<WorkerPool>(impl->options.worker_threads, "bosun-handler");
  impl->work.emplace(impl->ioc.get_executor());
  impl->do_accept();
  for (size_t i = 0; i < impl->options.io_threads; ++i) {
    impl->io_threads.emplace_back([p = impl.get()] { p->run_io_thread(); });
    pthread_setname_np(impl->io_threads.back().native_handle(), "bosun-http-io");
  }
  SPDLOG_INFO("http: serving HTTPS on {}:{} with {} io threads and {} handler threads",
              impl->options.host, impl->port, impl->options.io_threads,
              impl->options.worker_threads);
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

}  // namespace bosun::apiserver
