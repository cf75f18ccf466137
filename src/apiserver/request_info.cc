#include "apiserver/request_info.h"

#include <algorithm>
#include <cctype>

namespace bosun::apiserver {

namespace {

// Go's strconv.ParseBool, which the parameter codec uses for ?watch=.
bool parse_go_bool(std::string_view v) {
  return v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True";
}

}  // namespace

RequestInfo parse_request_info(std::string_view method, const std::vector<std::string>& segments,
                               const QueryParams& query) {
  RequestInfo info;
  info.verb = std::string(method);
  std::transform(info.verb.begin(), info.verb.end(), info.verb.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (segments.size() < 3) return info;
  if (segments[0] != "api" && segments[0] != "apis") return info;
  size_t i = 1;
  info.api_prefix = segments[0];
  if (info.api_prefix == "apis") {
    // A group needs /apis/<group>/<version>/<resource> at least.
    if (segments.size() < 4) return info;
    info.api_group = segments[i++];
  }
  info.is_resource_request = true;
  info.api_version = segments[i++];
  if (i >= segments.size()) return info;

  // The deprecated /watch/ prefix (and /proxy/, which Bosun does not serve) name the verb.
  if (segments[i] == "watch" || segments[i] == "proxy") {
    // "/api/v1/watch" names no resource: Kubernetes cannot read it either.
    if (i + 1 >= segments.size()) {
      info.is_resource_request = false;
      return info;
    }
    info.verb = segments[i++];
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "GET" || method == "HEAD") {
    info.verb = "get";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = "delete";
  } else {
    info.verb.clear();
  }

  std::vector<std::string> parts(segments.begin() + static_cast<long>(i), segments.end());
  if (parts[0] == "namespaces") {
    if (parts.size() > 1) {
      info.namespace_ = parts[1];
      // namespaces/x/status and namespaces/x/finalize are the namespace's own subresources;
      // anything else after the namespace is a resource within it.
      if (parts.size() > 2 && parts[2] != "status" && parts[2] != "finalize") {
        parts.erase(parts.begin(), parts.begin() + 2);
      }
    }
  }
  info.parts = std::move(parts);
  if (info.parts.size() >= 3 && info.verb != "proxy") info.subresource = info.parts[2];
  if (info.parts.size() >= 2) info.name = info.parts[1];
  info.resource = info.parts[0];

  if (info.name.empty() && info.verb == "get") {
    auto watch = query.get("watch");
    info.verb = watch && parse_go_bool(*watch) ? "watch" : "list";
  }
  if (info.name.empty() && info.verb == "delete") info.verb = "deletecollection";
  return info;
}

std::string metrics_verb(const RequestInfo& info, std::string_view content_type) {
  std::string verb = info.verb;
  if (verb == "patch" && content_type.starts_with("application/apply-patch")) return "APPLY";
  std::transform(verb.begin(), verb.end(), verb.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return verb;
}

}  // namespace bosun::apiserver
