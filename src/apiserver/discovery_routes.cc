#include "apiserver/discovery_routes.h"

#include <cstdio>
#include <ctime>
#include <optional>
#include <utility>

#include "common/check.h"

namespace bosun::apiserver {

namespace {

bool read_only_method(const std::shared_ptr<Exchange>& ex) {
  const std::string& method = ex->request().method;
  if (method == "GET" || method == "HEAD") return true;
  ex->respond(Response::error(
      make_error(ErrorCode::kMethodNotAllowed,
                 "the server does not allow this method on the requested resource")));
  return false;
}

std::string quoted(std::string_view etag) { return "\"" + std::string(etag) + "\""; }

// net/http's ServeContent: a matching If-None-Match turns the answer into 304 Not Modified.
bool not_modified(const Request& req, std::string_view etag) {
  std::string_view inm = req.header("If-None-Match");
  if (inm.empty()) return false;
  std::string want = quoted(etag);
  size_t start = 0;
  while (start <= inm.size()) {
    size_t comma = inm.find(',', start);
    std::string_view tag =
        inm.substr(start, comma == std::string_view::npos ? inm.npos : comma - start);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == want || tag == "*") return true;
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return false;
}

Response with_etag(const Request& req, std::string content_type, const std::string& body,
                   std::string_view etag) {
  Response r;
  r.headers.set("Etag", quoted(etag));
  if (not_modified(req, etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = std::move(content_type);
  r.body = body;
  return r;
}

// kube-openapi's Expires: time.Now().AddDate(1, 0, 0) written as Go's time.RFC1123 (in UTC here).
std::string one_year_after(Clock::WallTime t) {
  static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  // AddDate normalises like timegm: 29 February plus a year is 1 March.
  tm.tm_year += 1;
  secs = timegm(&tm);
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d UTC", kDays[tm.tm_wday],
                tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

Response from_body(Result<DiscoveryBody> body) {
  if (!body.ok()) return Response::error(body.error());
  Response r;
  r.content_type = std::move(body->content_type);
  r.body = std::move(body->body);
  // The same URL answers aggregated or legacy documents depending on Accept.
  r.headers.set("Vary", "Accept");
  return r;
}

struct Shared {
  DiscoveryRoutesOptions options;
  std::string root_etag;
};

void serve_openapi_v3_document(const Shared& s, const std::shared_ptr<Exchange>& ex) {
  const Request& req = ex->request();
  std::string_view key = std::string_view(req.path).substr(std::string_view("/openapi/v3/").size());
  while (key.ends_with('/')) key.remove_suffix(1);
  const RenderedOpenApi* doc = s.options.openapi->v3(key);
  if (doc == nullptr) {
    ex->respond(Response::error(
        make_error(ErrorCode::kNotFound,
                   "the server could not find the requested resource (get " + req.path + ")")));
    return;
  }
  if (!openapi_v3_accepts_json(req.header("Accept"))) {
    ex->respond(Response::error(make_error(ErrorCode::kNotAcceptable,
                                           "only the following media types are accepted: "
                                           "application/json")));
    return;
  }
  auto hash = req.query.get("hash");
  if (hash && !hash->empty() && *hash != doc->etag) {
    // kube-openapi redirects a stale hash to the current document's URL, so a client's cached
    // index never serves it an outdated schema.
    Response r;
    r.status = 301;
    r.content_type.clear();
    r.headers.set("Location", "/openapi/v3/" + std::string(key) + "?hash=" + doc->etag);
    ex->respond(std::move(r));
    return;
  }
  Response r = with_etag(req, "application/json", doc->body, doc->etag);
  r.headers.set("Vary", "Accept");
  if (hash && !hash->empty()) {
    // A hashed URL names immutable content: cacheable for a year.
    r.headers.set("Cache-Control", "public, immutable");
    Clock& clock = s.options.clock ? *s.options.clock : Clock::real();
    r.headers.set("Expires", one_year_after(clock.now()));
  }
  ex->respond(std::move(r));
}

void serve_openapi_v2(const Shared& s, const std::shared_ptr<Exchange>& ex, bool force_protobuf) {
  const Request& req = ex->request();
  std::optional<OpenApiV2Encoding> enc =
      force_protobuf ? OpenApiV2Encoding::kProtobuf : negotiate_openapi_v2(req.header("Accept"));
  if (!enc) {
    ex->respond(
        Response::error(make_error(ErrorCode::kNotAcceptable,
                                   "only the following media types are accepted: application/json, "
                                   "application/com.github.proto-openapi.spec.v2@v1.0+protobuf, " +
                                       std::string(kOpenApiV2ProtobufContentType))));
    return;
  }
  const RenderedOpenApi& json = s.options.openapi->v2_json();
  Response r = *enc == OpenApiV2Encoding::kJson
                   ? with_etag(req, "application/json", json.body, json.etag)
                   : with_etag(req, std::string(kOpenApiV2ProtobufContentType),
                               s.options.openapi->v2_protobuf(), json.etag);
  r.headers.set("Vary", "Accept");
  ex->respond(std::move(r));
}

}  // namespace

void register_discovery_routes(Router& router, DiscoveryRoutesOptions options) {
  BOSUN_CHECK(options.discovery != nullptr && options.openapi != nullptr,
              "register_discovery_routes needs both document sets");
  auto s = std::make_shared<Shared>();
  s->root_etag = openapi_etag(options.openapi->v3_root());
  s->options = std::move(options);
  std::shared_ptr<const Shared> shared = s;
  auto route = [](auto handler) { return Route{std::move(handler), /*may_block=*/false}; };

  router.handle(
      "/api", route([shared](const std::shared_ptr<Exchange>& ex) {
        if (!read_only_method(ex)) return;
        const Request& req = ex->request();
        std::string address = shared->options.server_address;
        if (address.empty()) address = std::string(req.header("Host"));
        ex->respond(from_body(shared->options.discovery->api(req.header("Accept"), address)));
      }));
  router.handle(
      "/apis", route([shared](const std::shared_ptr<Exchange>& ex) {
        if (!read_only_method(ex)) return;
        ex->respond(from_body(shared->options.discovery->apis(ex->request().header("Accept"))));
      }));
  for (const std::string& path : shared->options.discovery->paths()) {
    // "/api/v1", "/apis/<group>" or "/apis/<group>/<version>".
    std::string_view rest = path;
    bool core = rest.starts_with("/api/");
    rest.remove_prefix(core ? 5 : 6);
    std::string group, version;
    if (core) {
      version = std::string(rest);
    } else if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
      group = std::string(rest.substr(0, slash));
      version = std::string(rest.substr(slash + 1));
    } else {
      group = std::string(rest);
    }
    router.handle(path, route([shared, group, version](const std::shared_ptr<Exchange>& ex) {
                    if (!read_only_method(ex)) return;
                    const DiscoveryDocuments& d = *shared->options.discovery;
                    ex->respond(from_body(version.empty() ? d.group(group)
                                                          : d.resource_list(group, version)));
                  }));
  }
  router.handle("/openapi/v2", route([shared](const std::shared_ptr<Exchange>& ex) {
                  if (read_only_method(ex)) serve_openapi_v2(*shared, ex, false);
                }));
  // The path kubectl falls back to when /openapi/v2 is missing (servers before 1.10): protobuf
  // only.
  router.handle("/swagger-2.0.0.pb-v1", route([shared](const std::shared_ptr<Exchange>& ex) {
                  if (read_only_method(ex)) serve_openapi_v2(*shared, ex, true);
                }));
  router.handle("/openapi/v3", route([shared](const std::shared_ptr<Exchange>& ex) {
                  if (!read_only_method(ex)) return;
                  ex->respond(with_etag(ex->request(), "application/json",
                                        shared->options.openapi->v3_root(), shared->root_etag));
                }));
  router.handle_prefix("/openapi/v3/", route([shared](const std::shared_ptr<Exchange>& ex) {
                         if (read_only_method(ex)) serve_openapi_v3_document(*shared, ex);
                       }));
}

}  // namespace bosun::apiserver
