// Serves the discovery and OpenAPI documents: GET (and HEAD) of /api, /apis, /api/v1,
// /apis/<group>, /apis/<group>/<version>, /openapi/v2, /swagger-2.0.0.pb-v1, /openapi/v3 and
// /openapi/v3/<group-version>, with kube-apiserver's content negotiation, ETags, If-None-Match and
// the ?hash= redirect and caching of /openapi/v3 documents. The bodies are rendered before serving,
// so the handlers never block and run on the io threads. Thread-safe: the documents are immutable
// and shared.
#pragma once

#include <memory>
#include <string>

#include "apiserver/discovery.h"
#include "apiserver/openapi.h"
#include "apiserver/router.h"
#include "common/clock.h"

namespace bosun::apiserver {

struct DiscoveryRoutesOptions {
  std::shared_ptr<const DiscoveryDocuments> discovery;
  std::shared_ptr<const OpenApiDocuments> openapi;
  // "host:port" that /api's legacy body names in serverAddressByClientCIDRs (kube-apiserver's
  // advertised address). Empty: the Host header the client used.
  std::string server_address;
  Clock* clock = nullptr;  // for the Expires header of hashed /openapi/v3 documents; real if null
};

// Registers exact routes only (every served group and group/version, not an /apis/ prefix), so
// the REST handlers may own the /api/ and /apis/ prefixes. Aborts if a path is already taken.
void register_discovery_routes(Router& router, DiscoveryRoutesOptions options);

}  // namespace bosun::apiserver
