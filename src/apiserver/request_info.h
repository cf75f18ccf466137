// What a request asks of the API, read from its method, path and query the way Kubernetes'
// RequestInfoFactory reads them: API group and version, namespace, resource, name, subresource and
// the Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection). The REST
// handlers route on it and label metrics with it. Pure functions over values; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "apiserver/http_message.h"

namespace bosun::apiserver {

struct RequestInfo {
  // False for anything outside /api/<v>/... and /apis/<g>/<v>/... (discovery documents, /version,
  // /healthz): those are routed elsewhere.
  bool is_resource_request = false;
  std::string api_prefix;  // "api" or "apis"
  std::string api_group;   // "" for the core group
  std::string api_version;
  std::string namespace_;  // "" for cluster-wide requests
  std::string resource;    // the plural: "pods"
  std::string name;
  std::string subresource;  // "status", "scale", ...
  // The Kubernetes verb. For requests that are not resource requests, the lower-case HTTP method.
  std::string verb;
  // The path segments after the version and namespace, starting at the resource: {"pods", "web",
  // "log"}.
  std::vector<std::string> parts;
};

// RequestInfoFactory.NewRequestInfo: GET of a collection is list, or watch with ?watch=true (or
// the deprecated /watch/ path prefix); DELETE of a collection is deletecollection.
// `/api/v1/namespaces/x` is the namespace x itself (its namespace_ is x, as upstream);
// `namespaces/x/status` and `namespaces/x/finalize` are its subresources. (Upstream also copies a
// `metadata.name=x` field selector into the name for authorization; routing here needs the name to
// mean a path segment, so it is left out until authorization needs it.)
RequestInfo parse_request_info(std::string_view method, const std::vector<std::string>& segments,
                               const QueryParams& query);
inline RequestInfo parse_request_info(const Request& request) {
  return parse_request_info(request.method, request.segments, request.query);
}

// The metrics verb Kubernetes reports for a request: LIST, WATCH, GET, CREATE (POST), UPDATE
// (PUT), PATCH, APPLY (a server-side apply PATCH), DELETE, DELETECOLLECTION.
std::string metrics_verb(const RequestInfo& info, std::string_view content_type);

}  // namespace bosun::apiserver
