#include "client/rest_client.h"

#include "client/transport.h"
#include "common/json_reader.h"

namespace bosun::client {
namespace {

std::string_view content_type_of(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

std::optional<ErrorCode> code_of_reason(std::string_view reason) {
  static const std::pair<std::string_view, ErrorCode> kReasons[] = {
      {"BadRequest", ErrorCode::kBadRequest},
      {"Unauthorized", ErrorCode::kUnauthorized},
      {"Forbidden", ErrorCode::kForbidden},
      {"NotFound", ErrorCode::kNotFound},
      {"AlreadyExists", ErrorCode::kAlreadyExists},
      {"Conflict", ErrorCode::kConflict},
      {"Gone", ErrorCode::kGone},
      {"Expired", ErrorCode::kGone},
      {"Invalid", ErrorCode::kInvalid},
      {"MethodNotAllowed", ErrorCode::kMethodNotAllowed},
      {"NotAcceptable", ErrorCode::kNotAcceptable},
      {"UnsupportedMediaType", ErrorCode::kUnsupportedMediaType},
      {"RequestEntityTooLarge", ErrorCode::kRequestEntityTooLarge},
      {"TooManyRequests", ErrorCode::kTooManyRequests},
      {"Timeout", ErrorCode::kTimeout},
      {"ServerTimeout", ErrorCode::kTimeout},
      {"ServiceUnavailable", ErrorCode::kServiceUnavailable},
      {"InternalError", ErrorCode::kInternal},
  };
  for (const auto& [name, code] : kReasons) {
    if (name == reason) return code;
  }
  return std::nullopt;
}

ErrorCode code_of_http(int status) {
  switch (status) {
    case 400:
      return ErrorCode::kBadRequest;
    case 401:
      return ErrorCode::kUnauthorized;
    case 403:
      return ErrorCode::kForbidden;
    case 404:
      return ErrorCode::kNotFound;
    case 405:
      return ErrorCode::kMethodNotAllowed;
    case 406:
      return ErrorCode::kNotAcceptable;
    case 409:
      return ErrorCode::kConflict;
    case 410:
      return ErrorCode::kGone;
    case 413:
      return ErrorCode::kRequestEntityTooLarge;
    case 415:
      return ErrorCode::kUnsupportedMediaType;
    case 422:
      return ErrorCode::kInvalid;
    case 429:
      return ErrorCode::kTooManyRequests;
    case 503:
      return ErrorCode::kServiceUnavailable;
    case 504:
      return ErrorCode::kTimeout;
    default:
      return ErrorCode::kInternal;
  }
}

std::string str(const Json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Go's encoder never fails on invalid UTF-8 (it writes U+FFFD); nlohmann's would throw.
std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

void add_param(std::string* query, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  query->push_back(query->empty() ? '?' : '&');
  query->append(name);
  query->push_back('=');
  query->append(query_escape(value));
}

}  // namespace

GroupVersionResource core_resource(std::string resource) { return {"", "v1", std::move(resource)}; }

std::string resource_path(const GroupVersionResource& gvr, std::string_view ns,
                          std::string_view name, std::string_view subresource) {
  std::string p =
      gvr.group.empty() ? "/api/" + gvr.version : "/apis/" + gvr.group + "/" + gvr.version;
  if (!ns.empty()) {
    p += "/namespaces/";
    p += query_escape(ns);
  }
  p += "/" + gvr.resource;
  if (!name.empty()) {
    p += "/";
    p += query_escape(name);
    if (!subresource.empty()) {
      p += "/";
      p += subresource;
    }
  }
  return p;
}

std::string query_escape(std::string_view value) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Error error_from_status(int http_status, std::string_view body) {
  Json status = Json::parse(body, nullptr, false);
  Error e;
  e.code = code_of_http(http_status);
  if (status.is_object() && str(status, "kind") == "Status") {
    if (auto code = code_of_reason(str(status, "reason"))) e.code = *code;
    e.message = str(status, "message");
    auto details = status.find("details");
    if (details != status.end() && details->is_object()) {
      auto causes = details->find("causes");
      if (causes != details->end() && causes->is_array()) {
        for (const auto& c : *causes) {
          e.causes.push_back(Cause{str(c, "reason"), str(c, "message"), str(c, "field")});
        }
      }
    }
  }
  if (e.message.empty()) {
    // As client-go: a body that is not a Status becomes the message, for the user to read.
    e.message = "the server returned HTTP " + std::to_string(http_status);
    if (!body.empty()) e.message += ": " + std::string(body.substr(0, 512));
  }
  return e;
}

RestClient::RestClient(ClientConfig config, std::shared_ptr<internal::Transport> transport,
                       Clock& clock)
    : config_(std::move(config)),
      transport_(std::move(transport)),
      limiter_(config_.qps, config_.burst, clock),
      clock_(clock) {}

RestClient::~RestClient() = default;

Result<std::unique_ptr<RestClient>> RestClient::create(ClientConfig config,
                                                       RestClientOptions options) {
  BOSUN_ASSIGN_OR_RETURN(auto transport, internal::Transport::create(config));
  Clock& clock = options.clock ? *options.clock : Clock::real();
  return std::unique_ptr<RestClient>(
      new RestClient(std::move(config), std::move(transport), clock));
}

std::string RestClient::bearer_token() const {
  if (!config_.token.empty()) return config_.token;
  if (config_.token_file.empty()) return {};
  // client-go's cachingTokenSource re-reads a tokenFile about once a minute, so a rotated token is
  // picked up without a file read per request.
  std::lock_guard<std::mutex> lock(token_mu_);
  auto now = clock_.monotonic();
  if (file_token_valid_ && now - file_token_read_ < std::chrono::minutes(1)) return file_token_;
  auto text = read_file(config_.token_file);
  if (!text.ok()) return file_token_;  // keep the last good token
  std::string t = std::move(text).value();
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
  file_token_ = std::move(t);
  file_token_read_ = now;
  file_token_valid_ = true;
  return file_token_;
}

std::vector<std::pair<std::string, std::string>> RestClient::common_headers() const {
  std::vector<std::pair<std::string, std::string>> h;
  h.emplace_back("User-Agent", config_.user_agent);
  h.emplace_back("Accept", "application/json");
  std::string token = bearer_token();
  if (!token.empty()) h.emplace_back("Authorization", "Bearer " + token);
  return h;
}

const std::string& RestClient::path_prefix() const { return transport_->path_prefix(); }

void RestClient::throttle() { limiter_.wait(); }

std::unique_ptr<internal::Connection> RestClient::take_connection() {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.empty()) return nullptr;
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return c;
}

void RestClient::return_connection(std::unique_ptr<internal::Connection> c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < config_.max_idle_connections) idle_.push_back(std::move(c));
}

Result<std::unique_ptr<internal::Connection>> RestClient::open_stream_connection() {
  return transport_->connect(config_.timeout);
}

Result<Json> RestClient::request(std::string_view method, const std::string& path_and_query,
                                 std::string body, std::string_view content_type) {
  throttle();
  auto headers = common_headers();
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    headers.emplace_back("Content-Type", std::string(content_type));
  }
  std::string target = transport_->path_prefix() + path_and_query;
  Result<internal::HttpResponse> response = make_error(ErrorCode::kInternal, "no attempt");
  // A pooled connection the server has since closed fails at once; like Go's net/http, retry such
  // a request once on a fresh connection.
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto conn = take_connection();
    if (!conn) {
      auto fresh = transport_->connect(config_.timeout);
      if (!fresh.ok()) return std::move(fresh).error();
      conn = std::move(fresh).value();
    }
    bool reused = conn->reused;
    response = conn->round_trip(method, target, headers, body, config_.timeout);
    if (response.ok()) {
      if (response->keep_alive) return_connection(std::move(conn));
      break;
    }
    if (!reused || response.error().code == ErrorCode::kTimeout) break;
  }
  if (!response.ok()) return std::move(response).error();
  if (response->status < 200 || response->status > 299) {
    return error_from_status(response->status, response->body);
  }
  if (response->body.empty()) return Json();
  auto parsed = read_json(response->body);
  if (!parsed.ok()) {
    return make_error(ErrorCode::kInternal, "the server's response is not JSON (Content-Type " +
                                                response->content_type + ")");
  }
  return std::move(parsed).value();
}

Result<Json> RestClient::get(const GroupVersionResource& gvr, std::string_view ns,
                             std::string_view name) {
  return request("GET", resource_path(gvr, ns, name));
}

Result<Json> RestClient::list(const GroupVersionResource& gvr, std::string_view ns,
                              const ListOptions& options) {
  std::string q;
  add_param(&q, "labelSelector", options.label_selector);
  add_param(&q, "fieldSelector", options.field_selector);
  if (options.limit > 0) add_param(&q, "limit", std::to_string(options.limit));
  add_param(&q, "continue", options.continue_token);
  add_param(&q, "resourceVersion", options.resource_version);
  add_param(&q, "resourceVersionMatch", options.resource_version_match);
  return request("GET", resource_path(gvr, ns) + q);
}

namespace {
std::string write_query(const WriteOptions& options) {
  std::string q;
  if (options.dry_run) add_param(&q, "dryRun", "All");
  add_param(&q, "fieldManager", options.field_manager);
  return q;
}
}  // namespace

Result<Json> RestClient::create(const GroupVersionResource& gvr, std::string_view ns,
                                const Json& object, const WriteOptions& options) {
  return request("POST", resource_path(gvr, ns) + write_query(options), dump(object));
}

Result<Json> RestClient::update(const GroupVersionResource& gvr, std::string_view ns,
                                const Json& object, const WriteOptions& options) {
  std::string name = str(object.is_object() ? object.value("metadata", Json()) : Json(), "name");
  if (name.empty()) return make_error(ErrorCode::kBadRequest, "resource name may not be empty");
  return request("PUT", resource_path(gvr, ns, name) + write_query(options), dump(object));
}

Result<Json> RestClient::update_status(const GroupVersionResource& gvr, std::string_view ns,
                                       const Json& object, const WriteOptions& options) {
  std::string name = str(object.is_object() ? object.value("metadata", Json()) : Json(), "name");
  if (name.empty()) return make_error(ErrorCode::kBadRequest, "resource name may not be empty");
  return request("PUT", resource_path(gvr, ns, name, "status") + write_query(options),
                 dump(object));
}

Result<Json> RestClient::patch(const GroupVersionResource& gvr, std::string_view ns,
                               std::string_view name, PatchType type, std::string_view body,
                               const PatchOptions& options) {
  if (name.empty()) return make_error(ErrorCode::kBadRequest, "resource name may not be empty");
  std::string q;
  if (options.dry_run) add_param(&q, "dryRun", "All");
  add_param(&q, "fieldManager", options.field_manager);
  if (type == PatchType::kApply && options.force) add_param(&q, "force", "true");
  return request("PATCH", resource_path(gvr, ns, name, options.subresource) + q, std::string(body),
                 content_type_of(type));
}

Result<Json> RestClient::remove(const GroupVersionResource& gvr, std::string_view ns,
                                std::string_view name, const DeleteOptions& options) {
  Json body = {{"apiVersion", "v1"}, {"kind", "DeleteOptions"}};
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (options.precondition_uid) body["preconditions"]["uid"] = *options.precondition_uid;
  if (options.precondition_resource_version) {
    body["preconditions"]["resourceVersion"] = *options.precondition_resource_version;
  }
  if (options.dry_run) body["dryRun"] = Json::array({"All"});
  return request("DELETE", resource_path(gvr, ns, name), dump(body));
}

Result<Json> RestClient::create_subresource(const GroupVersionResource& gvr, std::string_view ns,
                                            std::string_view name, std::string_view subresource,
                                            const Json& body) {
  return request("POST", resource_path(gvr, ns, name, subresource), dump(body));
}

}  // namespace bosun::client
