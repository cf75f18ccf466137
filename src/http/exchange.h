// How a handler answers one HTTP request. An Exchange carries the authenticated Request and takes
// exactly one answer: a complete Response, or a streaming chunked response (watch, `logs -f`)
// through a ResponseStream. The HTTP server implements both; REST handlers see only this interface,
// so a test can hand them a fake. Thread-safe: a handler may answer from any thread, and a stream
// may be written from any thread.
//
// WebSocket (exec, attach and port-forward on kubectl 1.30+) and the API server's relay of them to
// the node agent use the third answer, upgrade(): the server writes the 101 Switching Protocols
// head the handler composed and hands over the connection's TLS stream as an UpgradedStream of raw
// bytes both ways (Kubernetes' UpgradeAwareHandler takes over the hijacked connection the same
// way).
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "http/http_message.h"

namespace bosun::apiserver {

// Why a stream ended; on_close receives it once.
enum class StreamEnd {
  kFinished,        // the producer called finish()
  kClientGone,      // the client closed the connection or it broke
  kServerShutdown,  // the server is stopping; pending bytes were still flushed, then the stream was
                    // terminated
  kWriteTimeout,    // the client stopped reading for longer than the write timeout
};

// One chunk of a streaming response, framed once (size line, data, CRLF) and then shared,
// immutable, by every stream that sends it: a watch event goes to thousands of watchers as the same
// bytes, so each of them costs a reference, not a copy.
class SharedChunk {
 public:
  // Empty data makes an empty chunk, which streams skip (an empty chunk would end the body).
  static std::shared_ptr<const SharedChunk> make(std::string_view data) {
    auto c = std::make_shared<SharedChunk>();
    if (data.empty()) return c;
    char size[20];
    int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    c->framed_.reserve(static_cast<size_t>(n) + data.size() + 2);
    c->framed_.append(size, static_cast<size_t>(n));
    c->data_offset_ = static_cast<size_t>(n);
    c->framed_ += data;
    c->framed_ += "\r\n";
    return c;
  }
  // The payload, as a handler wrote it.
  std::string_view data() const {
    return framed_.empty()
               ? std::string_view()
               : std::string_view(framed_).substr(data_offset_, framed_.size() - data_offset_ - 2);
  }
  // The bytes on the wire.
  std::string_view framed() const { return framed_; }

 private:
  std::string framed_;
  size_t data_offset_ = 0;
};
using SharedChunkPtr = std::shared_ptr<const SharedChunk>;

// Writes to many streams gathered on one thread and sent together: io_uring submits them with one
// system call instead of one send() each. The watch fan-out hands the same event to thousands of
// streams, and on this project's machines (a paravirtualised VM, where every system call traps to
// the hypervisor) the batch costs a third less CPU per send than a send() each
// (bench/stream_send_bench.cc, BM_LoopbackSends). A stream that cannot take part (bytes still
// waiting for its socket, not on the direct TLS path) writes as usual, so the batch only changes
// when its bytes leave, never their order. One per thread, never shared.
class SendBatch {
 public:
  // This thread's batch, or null where io_uring is not available (an old kernel, a seccomp
  // profile that refuses io_uring_setup): the caller then writes stream by stream.
  static SendBatch* for_this_thread();

  SendBatch(const SendBatch&) = delete;
  SendBatch& operator=(const SendBatch&) = delete;
  ~SendBatch();

  // Sends what was gathered and settles each stream's write: what a socket did not take waits in
  // its stream as after any write. Streams flush on their own once the batch is full; the caller
  // flushes at the end of its round.
  void flush();

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  explicit SendBatch(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A chunked HTTP response being produced over time: many small writes over hours (a watch), each
// flushed promptly. Writes never block the io threads: they queue and return. Back-pressure is by
// queued_bytes() and on_drain(); a producer on a worker thread may use write_blocking() instead.
// Thread-safe.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;

  // Queues bytes for the client; they go out as one chunk (or several writes are coalesced into
  // one). Returns false, dropping the bytes, once the stream has ended.
  virtual bool write(std::string data) = 0;
  // Like write(), for a chunk other streams send too. The default copies its data into write().
  virtual bool write_shared(const SharedChunkPtr& chunk) {
    return write(std::string(chunk->data()));
  }
  // Several shared chunks, in order, handed over together so that they reach the client at once:
  // one TLS record and one system call where the stream can, instead of one per chunk (Kubernetes'
  // watch handler likewise flushes only once no further event is waiting). The default writes
  // them one by one.
  virtual bool write_shared_batch(std::span<const SharedChunkPtr> chunks) {
    for (const SharedChunkPtr& c : chunks) {
      if (!write_shared(c)) return false;
    }
    return true;
  }
  // Like write_shared_batch(), with the bytes sent in `batch` where the stream can (see
  // SendBatch). The default writes them at once.
  virtual bool write_shared_batch(std::span<const SharedChunkPtr> chunks, SendBatch& batch) {
    (void)batch;
    return write_shared_batch(chunks);
  }
  // Like write(), but first waits while more than the high-water mark is queued, or until the
  // stream ends. Must not be called on an io thread (it would block the event loop; such a call
  // aborts).
  virtual bool write_blocking(std::string data) = 0;
  // Ends the response with the terminating chunk; the connection may then serve the next request.
  virtual void finish() = 0;

  virtual size_t queued_bytes() const = 0;
  virtual bool ended() const = 0;
  // Called once when the stream ends, for any reason (immediately if it already has). Runs on an io
  // thread or in the caller's thread: it must not block. This is how a watch learns that its client
  // went away.
  virtual void on_close(std::function<void(StreamEnd)> callback) = 0;
  // Called when the queue drains below the low-water mark after having been above the high-water
  // mark. Runs on an io thread: it must not block.
  virtual void on_drain(std::function<void()> callback) = 0;
};

// The head of a streaming response. Transfer-Encoding is always chunked; Content-Length is never
// sent.
struct StreamHead {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;
};

// How the request shows in apiserver_request_total and apiserver_request_duration_seconds. The
// server fills verb (the HTTP method) and subresource (the route's path, for non-resource requests,
// as Kubernetes does); REST handlers replace them with Kubernetes' verbs (LIST, WATCH, ...) and the
// resource.
struct MetricsLabels {
  std::string verb;
  std::string resource;
  std::string subresource;
};

// A connection taken over after a 101 answer: raw bytes both ways, until either side closes.
// Writes queue and never block; callbacks run on the connection's io thread and must not block.
// Thread-safe.
class UpgradedStream {
 public:
  virtual ~UpgradedStream() = default;

  // Starts delivering what the client sends (first any bytes that came right behind the request);
  // on_close runs once when the connection is over, whichever side ended it.
  virtual void start(std::function<void(std::string_view data)> on_data,
                     std::function<void()> on_close) = 0;
  // Queues bytes for the client. Returns false once the connection is closing or closed.
  virtual bool write(std::string data) = 0;
  // Like write(), for a chunk other streams send too. The default copies its data into write().
  virtual bool write_shared(SharedChunkPtr chunk) { return write(std::string(chunk->data())); }
  // Sends what is queued, then closes the connection.
  virtual void close() = 0;
  virtual size_t queued_bytes() const = 0;
};

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const Request& request() const = 0;

  // Exactly one of respond() and start_stream() is called, once; a second answer is a programming
  // error and aborts. An Exchange dropped without an answer replies 500.
  virtual void respond(Response response) = 0;
  virtual std::shared_ptr<ResponseStream> start_stream(StreamHead head) = 0;

  virtual void set_metrics_labels(MetricsLabels labels) = 0;

  // Answers with `head` (status 101 and its Upgrade, Connection and Sec-WebSocket-* fields; the
  // body is ignored) and hands over the connection. Counts as the one answer. Exchanges that cannot
  // be taken over (test fakes) answer 500 and return null.
  virtual std::shared_ptr<UpgradedStream> upgrade(Response head) {
    (void)head;
    respond(Response::error(
        make_error(ErrorCode::kInternal, "Internal error occurred: upgrade not supported")));
    return nullptr;
  }
};

using Handler = std::function<void(const std::shared_ptr<Exchange>&)>;

struct Route {
  Handler handler;
  // Handlers that may block (store and runtime calls) run on the worker pool. The others run on the
  // connection's io thread and must never block it (style.md: never block an event loop).
  bool may_block = true;
};

}  // namespace bosun::apiserver
