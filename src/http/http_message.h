// The HTTP request and response as the API server's handlers see them, free of any networking
// library: the HTTP server (http_server.cc) fills a Request from the wire and writes a Response
// back; REST handlers and tests use only these types. Plain values; not synchronised (a Request is
// immutable once handed to a handler, so many threads may read it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/result.h"
#include "http/user_info.h"

namespace bosun::apiserver {

// Query parameters in arrival order with repeated keys kept, as Go's url.Values: exec sends
// `command=ls&command=-l`, and each value matters.
class QueryParams {
 public:
  void add(std::string key, std::string value) {
    items_.emplace_back(std::move(key), std::move(value));
  }
  bool has(std::string_view key) const;
  // The first value of key, as url.Values.Get (absent and empty are told apart).
  std::optional<std::string_view> get(std::string_view key) const;
  std::vector<std::string_view> get_all(std::string_view key) const;
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }
  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

// Header fields in arrival order; names compare case-insensitively (RFC 9110).
class Headers {
 public:
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every field of that name with one.
  void set(std::string name, std::string value);
  std::optional<std::string_view> get(std::string_view name) const;
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
};

bool iequals(std::string_view a, std::string_view b);

struct Request {
  std::string method;                 // "GET", as sent
  std::string target;                 // the raw request-target: "/api/v1/pods?limit=500"
  std::string path;                   // percent-decoded: "/api/v1/pods"
  std::vector<std::string> segments;  // decoded path segments: {"api", "v1", "pods"}
  QueryParams query;
  Headers headers;
  std::string body;
  UserInfo user;
  std::string request_id;      // the client's Audit-ID header, or a new UUID; echoed as Audit-Id
  std::string remote_address;  // "127.0.0.1:51234"

  // A header's value, or "" when absent.
  std::string_view header(std::string_view name) const { return headers.get(name).value_or(""); }
  // Whether the client asks to switch protocols to WebSocket (exec, attach, port-forward on
  // kubectl 1.30+).
  bool wants_websocket() const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  Headers headers;  // extra fields; the server adds Content-Length, Audit-Id, Cache-Control,
                    // Content-Encoding
  std::string body;
  // Large bodies are gzipped when the client accepts it; false keeps a body as is.
  bool compressible = true;

  static Response json(int status, const Json& body);
  // text/plain; charset=utf-8, as Go's http.Error and the healthz handlers write.
  static Response text(int status, std::string body);
  // The error as a Kubernetes Status object, with the HTTP code its reason maps to.
  static Response error(const Error& error);
};

// A request-target split into its decoded path, path segments and query.
struct Target {
  std::string path;
  std::vector<std::string> segments;
  QueryParams query;
};

// Parses an origin-form request-target. A path with a bad escape is a BadRequest (Go's server
// rejects it); a query pair with a bad escape is dropped, as url.ParseQuery's callers in Kubernetes
// ignore it. Segments are split on the raw '/' before decoding, so "%2F" stays inside its segment;
// leading and trailing slashes are trimmed.
Result<Target> parse_target(std::string_view target);

// Go's url.PathUnescape (plus_is_space = false) and url.QueryUnescape (true).
Result<std::string> percent_decode(std::string_view s, bool plus_is_space);

// Whether an Accept-Encoding value offers gzip, token by token as Kubernetes'
// negotiateContentEncoding reads it.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace bosun::apiserver
