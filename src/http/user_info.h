// The identity a request was authenticated as (Kubernetes' user.Info): name, uid and groups.
// Authentication fills it, handlers and authorization read it. A plain value; not synchronised.
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace bosun::apiserver {

// Kubernetes' well-known names (k8s.io/apiserver/pkg/authentication/user).
inline constexpr std::string_view kAnonymousUser = "system:anonymous";
inline constexpr std::string_view kAllUnauthenticatedGroup = "system:unauthenticated";
inline constexpr std::string_view kAllAuthenticatedGroup = "system:authenticated";
inline constexpr std::string_view kSystemPrivilegedGroup = "system:masters";
inline constexpr std::string_view kNodesGroup = "system:nodes";

struct UserInfo {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;

  bool is_anonymous() const { return name == kAnonymousUser; }
  bool in_group(std::string_view g) const {
    return std::find(groups.begin(), groups.end(), g) != groups.end();
  }
  bool operator==(const UserInfo&) const = default;
};

}  // namespace bosun::apiserver
