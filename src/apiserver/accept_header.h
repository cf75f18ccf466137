// The HTTP Accept header as Kubernetes reads it for content negotiation (munnerz/goautoneg, used by
// apiserver's negotiation package and by kube-openapi's handlers): media ranges with their
// parameters, most preferred first. Discovery uses it to choose aggregated or legacy documents,
// the OpenAPI handlers to choose JSON or protobuf. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace bosun::apiserver {

// One media range of an Accept header: `application/json;g=apidiscovery.k8s.io;v=v2;as=X;q=0.9`.
struct MediaRange {
  std::string type;     // "application", or "*"
  std::string subtype;  // "json", or "*"
  // The parameters other than q, in the order written; names and values as sent (goautoneg
  // compares them case-sensitively, and so does Kubernetes).
  std::vector<std::pair<std::string, std::string>> params;
  double q = 1.0;

  std::optional<std::string_view> param(std::string_view name) const;
  // Whether this range covers `type/subtype` (wildcards included).
  bool matches(std::string_view want_type, std::string_view want_subtype) const;
};

// The ranges of an Accept header, most preferred first: by q, then concrete types before
// wildcards, otherwise in the order written (goautoneg sorts this way; for the handful of ranges a
// client sends its sort is stable). Malformed ranges are skipped and ranges with q=0 dropped (the
// client refuses them). An empty header yields `*/*`, as kube-openapi's handlers assume.
std::vector<MediaRange> parse_accept(std::string_view header);

}  // namespace bosun::apiserver
