// A watch stream (client-go's watch.Interface over a chunked GET ?watch=true): newline-delimited
// JSON events ADDED/MODIFIED/DELETED/BOOKMARK, with an ERROR event's Status turned into an Error
// (410 Expired is kGone, the reflector's cue to re-list). Used by Informer (from the shared
// WatchLoop, with try_next()) and by components that watch one object (next()). One thread at a
// time reads; stop() may be called from any thread and makes a blocked next() return promptly.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "client/rest_client.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::client {

namespace internal {
class Connection;
}  // namespace internal

struct WatchEvent {
  std::string type;  // ADDED, MODIFIED, DELETED or BOOKMARK
  Json object;
};

struct WatchOptions {
  std::string resource_version;  // "" or "0": the current state first, as ADDED events
  std::string label_selector;
  std::string field_selector;
  int timeout_seconds = 0;  // the server ends the stream cleanly after this long; 0: its default
  bool allow_bookmarks = true;
};

class Watch {
 public:
  // Sends the watch request and reads the response head; a refused watch (e.g. 504 for a future
  // resourceVersion, 403) is the Error of its Status.
  static Result<std::unique_ptr<Watch>> start(RestClient& client, const GroupVersionResource& gvr,
                                              std::string_view ns, const WatchOptions& options);
  ~Watch();

  // The next event. nullopt when the server ended the stream (timeoutSeconds passed). An ERROR
  // event is returned as its Status' Error; a broken stream, a malformed event and stop() are
  // Errors too (kServiceUnavailable, kInternal).
  Result<std::optional<WatchEvent>> next();
  // next() that never waits, for an event loop polling fd(): nullopt with *would_block set when
  // no complete event has arrived yet (poll again); nullopt without it when the stream ended.
  Result<std::optional<WatchEvent>> try_next(bool* would_block);
  // The connection's socket, to poll for reading.
  int fd() const;
  // How long the stream may stay silent before the peer counts as dead.
  std::chrono::milliseconds idle_timeout() const { return idle_timeout_; }
  // Thread-safe; a next() blocked in another thread returns an Error promptly, later ones at once.
  void stop();
  bool stopped() const { return stopped_.load(); }

 private:
  Watch(std::unique_ptr<internal::Connection> conn, std::chrono::milliseconds idle_timeout);
  Result<std::optional<WatchEvent>> read_next(bool wait, bool* would_block);
  std::unique_ptr<internal::Connection> conn_;
  std::chrono::milliseconds idle_timeout_;
  std::string buffer_;  // bytes received after the last complete line
  size_t scan_from_ = 0;
  bool ended_ = false;
  std::atomic<bool> stopped_{false};
};

}  // namespace bosun::client
