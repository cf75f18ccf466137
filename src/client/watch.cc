#include "client/watch.h"

#include "client/transport.h"
#include "common/json_reader.h"

namespace bosun::client {

Watch::Watch(std::unique_ptr<internal::Connection> conn, std::chrono::milliseconds idle_timeout)
    : conn_(std::move(conn)), idle_timeout_(idle_timeout) {}

Watch::~Watch() = default;

Result<std::unique_ptr<Watch>> Watch::start(RestClient& client, const GroupVersionResource& gvr,
                                            std::string_view ns, const WatchOptions& options) {
  std::string target = client.path_prefix() + resource_path(gvr, ns) + "?watch=true";
  auto param = [&target](std::string_view name, std::string_view value) {
    if (value.empty()) return;
    target += "&";
    target += name;
    target += "=";
    target += query_escape(value);
  };
  param("resourceVersion", options.resource_version);
  param("labelSelector", options.label_selector);
  param("fieldSelector", options.field_selector);
  if (options.allow_bookmarks) param("allowWatchBookmarks", "true");
  if (options.timeout_seconds > 0) param("timeoutSeconds", std::to_string(options.timeout_seconds));
  client.throttle();
  BOSUN_ASSIGN_OR_RETURN(auto conn, client.open_stream_connection());
  auto head = conn->start_stream(target, client.common_headers(), client.config().timeout);
  if (!head.ok()) return std::move(head).error();
  if (head->status != 200) return error_from_status(head->status, head->body);
  // No event for this long means a dead peer: the server sends bookmarks about once a minute and
  // ends timed watches itself, so allow well beyond both.
  auto idle = options.timeout_seconds > 0
                  ? std::chrono::milliseconds(options.timeout_seconds * 1000LL + 60'000)
                  : std::chrono::milliseconds(10 * 60'000);
  return std::unique_ptr<Watch>(new Watch(std::move(conn), idle));
}

Result<std::optional<WatchEvent>> Watch::next() {
  bool would_block = false;
  return read_next(true, &would_block);
}

Result<std::optional<WatchEvent>> Watch::try_next(bool* would_block) {
  *would_block = false;
  return read_next(false, would_block);
}

int Watch::fd() const { return conn_->native_fd(); }

Result<std::optional<WatchEvent>> Watch::read_next(bool wait, bool* would_block) {
  for (;;) {
    if (stopped_.load()) return make_error(ErrorCode::kServiceUnavailable, "watch stopped");
    size_t nl = buffer_.find('\n', scan_from_);
    if (nl != std::string::npos) {
      std::string_view line(buffer_.data(), nl);
      // The server's own encoding: the fast reader builds the same tree as nlohmann, twice as fast.
      auto read = read_json(line);
      Json event = read.ok() ? std::move(*read) : Json();
      buffer_.erase(0, nl + 1);
      scan_from_ = 0;
      if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
      if (!event.is_object() || !event.contains("type") || !event["type"].is_string()) {
        return make_error(ErrorCode::kInternal, "malformed watch event");
      }
      WatchEvent e;
      e.type = event["type"].get<std::string>();
      auto object = event.find("object");
      if (object != event.end()) e.object = std::move(*object);
      if (e.type == "ERROR") {
        int code = 500;
        if (e.object.is_object() && e.object.contains("code") &&
            e.object["code"].is_number_integer()) {
          code = e.object["code"].get<int>();
        }
        return error_from_status(code,
                                 e.object.dump(-1, ' ', false, Json::error_handler_t::replace));
      }
      return std::optional<WatchEvent>(std::move(e));
    }
    scan_from_ = buffer_.size();
    if (ended_) return std::optional<WatchEvent>();
    auto piece = wait ? conn_->read_stream(idle_timeout_) : conn_->read_stream_now(would_block);
    if (*would_block) return std::optional<WatchEvent>();
    if (!piece.ok()) {
      if (stopped_.load()) return make_error(ErrorCode::kServiceUnavailable, "watch stopped");
      return std::move(piece).error();
    }
    if (!piece->has_value()) {
      ended_ = true;
      if (buffer_.empty()) return std::optional<WatchEvent>();
      buffer_ += '\n';  // a last event without its newline
      continue;
    }
    buffer_ += **piece;
  }
}

void Watch::stop() {
  if (stopped_.exchange(true)) return;
  conn_->cancel();
}

}  // namespace bosun::client
