// GroupVersionKind and GroupVersionResource: the names the Kubernetes API gives a type and a
// resource
// ({"apps", "v1", "Deployment"}, {"apps", "v1", "deployments"}); the core group is the empty
// string. Used by the schema set, the resource registry and the API server's routing. Plain values;
// safe to share between threads.
#pragma once

#include <compare>
#include <string>

namespace bosun::api {

struct GroupVersionKind {
  std::string group;  // "" for the core group
  std::string version;
  std::string kind;

  // "apps/v1" or "v1", as apiVersion is written in objects.
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  auto operator<=>(const GroupVersionKind&) const = default;
};

struct GroupVersionResource {
  std::string group;
  std::string version;
  std::string resource;  // the plural, lower case: "deployments"

  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  auto operator<=>(const GroupVersionResource&) const = default;
};

}  // namespace bosun::api
