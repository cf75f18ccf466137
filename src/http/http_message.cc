#include "http/http_message.h"

#include "http/status.h"

namespace bosun::apiserver {

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool QueryParams::has(std::string_view key) const { return get(key).has_value(); }

std::optional<std::string_view> QueryParams::get(std::string_view key) const {
  for (const auto& [k, v] : items_) {
    if (k == key) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::get_all(std::string_view key) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : items_) {
    if (k == key) out.emplace_back(v);
  }
  return out;
}

void Headers::set(std::string name, std::string value) {
  std::erase_if(items_, [&](const auto& kv) { return iequals(kv.first, name); });
  items_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : items_) {
    if (iequals(k, name)) out.emplace_back(v);
  }
  return out;
}

bool Request::wants_websocket() const {
  std::string_view upgrade = header("Upgrade");
  if (!iequals(trim(upgrade), "websocket")) return false;
  // Connection is a comma-separated token list ("keep-alive, Upgrade").
  std::string_view conn = header("Connection");
  while (!conn.empty()) {
    size_t comma = conn.find(',');
    if (iequals(trim(conn.substr(0, comma)), "upgrade")) return true;
    if (comma == std::string_view::npos) break;
    conn.remove_prefix(comma + 1);
  }
  return false;
}

Response Response::json(int status, const Json& body) {
  Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump();
  return r;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  r.content_type = "text/plain; charset=utf-8";
  r.body = std::move(body);
  // Go's http.Error and Kubernetes' healthz handlers both send it, so browsers never guess another
  // type.
  r.headers.add("X-Content-Type-Options", "nosniff");
  return r;
}

Response Response::error(const Error& error) { return json(error.http_code(), status_json(error)); }

Result<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= s.size()) {
        return make_error(ErrorCode::kBadRequest,
                          "invalid URL escape \"" + std::string(s.substr(i)) + "\"");
      }
      int hi = hex_value(s[i + 1]);
      int lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) {
        return make_error(ErrorCode::kBadRequest,
                          "invalid URL escape \"" + std::string(s.substr(i, 3)) + "\"");
      }
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

Result<Target> parse_target(std::string_view target) {
  if (target.empty() || target.front() != '/') {
    return make_error(ErrorCode::kBadRequest, "the request-target must be an absolute path");
  }
  size_t q = target.find('?');
  std::string_view raw_path = target.substr(0, q);
  std::string_view raw_query =
      q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
  // A fragment is never sent by clients, but if one is, it is not part of the query.
  if (size_t hash = raw_query.find('#'); hash != std::string_view::npos)
    raw_query = raw_query.substr(0, hash);

  Target out;
  BOSUN_ASSIGN_OR_RETURN(out.path, percent_decode(raw_path, false));

  // Kubernetes' RequestInfoFactory splits strings.Trim(path, "/") on "/": inner empty segments
  // stay.
  std::string_view trimmed = raw_path;
  while (!trimmed.empty() && trimmed.front() == '/') trimmed.remove_prefix(1);
  while (!trimmed.empty() && trimmed.back() == '/') trimmed.remove_suffix(1);
  while (!trimmed.empty()) {
    size_t slash = trimmed.find('/');
    BOSUN_ASSIGN_OR_RETURN(std::string seg, percent_decode(trimmed.substr(0, slash), false));
    out.segments.push_back(std::move(seg));
    if (slash == std::string_view::npos) break;
    trimmed.remove_prefix(slash + 1);
  }

  while (!raw_query.empty()) {
    size_t amp = raw_query.find('&');
    std::string_view pair = raw_query.substr(0, amp);
    raw_query = amp == std::string_view::npos ? std::string_view() : raw_query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key.ok() || !value.ok()) continue;
    out.query.add(std::move(key).value(), std::move(value).value());
  }
  return out;
}

bool accepts_gzip(std::string_view accept_encoding) {
  while (!accept_encoding.empty()) {
    size_t comma = accept_encoding.find(',');
    if (trim(accept_encoding.substr(0, comma)) == "gzip") return true;
    if (comma == std::string_view::npos) break;
    accept_encoding.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace bosun::apiserver
