// How a handler answers one HTTP request. An Exchange carries the authenticated Request and takes
// exactly one answer: a complete Response, or a streaming chunked response (watch, `logs -f`)
// through a ResponseStream. The HTTP server implements both; REST handlers see only this interface,
// so a test can hand them a fake. Thread-safe: a handler may answer from any thread, and a stream
// may be written from any thread.
//
// WebSocket (exec, attach and port-forward on kubectl 1.30+, subprotocol v5.channel.k8s.io) will be
// a third answer, `upgrade_websocket(accept, on_open)`: the server replies 101 echoing the chosen
// subprotocol and hands the connection's TLS stream to a session driven on the same io thread,
// which `on_open` receives with send(channel, bytes), on_message, on_close and close(code).
// Request::wants_websocket() already tells handlers an upgrade was asked for; nothing below needs
// to change for it.
#pragma once

#include <functional>
#include <memory>
#include <string>

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

class Exchange {
 public:
  virtual ~Exchange() = default;

  virtual const Request& request() const = 0;

  // Exactly one of respond() and start_stream() is called, once; a second answer is a programming
  // error and aborts. An Exchange dropped without an answer replies 500.
  virtual void respond(Response response) = 0;
  virtual std::shared_ptr<ResponseStream> start_stream(StreamHead head) = 0;

  virtual void set_metrics_labels(MetricsLabels labels) = 0;
};

using Handler = std::function<void(const std::shared_ptr<Exchange>&)>;

struct Route {
  Handler handler;
  // Handlers that may block (store and runtime calls) run on the worker pool. The others run on the
  // connection's io thread and must never block it (style.md: never block an event loop).
  bool may_block = true;
};

}  // namespace bosun::apiserver
