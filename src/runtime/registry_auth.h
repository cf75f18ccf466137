// Registry credentials and challenges: the `.dockerconfigjson` format of
// kubernetes.io/dockerconfigjson secrets (imagePullSecrets), the kubelet's rules for which entry
// applies to an image, and parsing of `WWW-Authenticate` challenges (RFC 7235) from OCI
// distribution registries. Used by the puller and the agent. Pure functions: thread-safe.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/reference.h"

namespace bosun::runtime {

struct RegistryCredentials {
  std::string username;
  std::string password;
  bool operator==(const RegistryCredentials&) const = default;
};

// The `auths` of a docker config: registry key as written ("https://index.docker.io/v1/",
// "registry.example.com:5000", "*.example.com/team") -> credentials.
struct DockerConfig {
  std::vector<std::pair<std::string, RegistryCredentials>> auths;
};

// Parses `{"auths": {key: {"auth": base64(user:pass)} or {"username": ..., "password": ...}}}`, and
// the legacy `.dockercfg` form (the map without "auths"). An `auth` field wins over username and
// password, as the kubelet decodes it. kBadRequest for malformed input, with the kubelet's wording
// for a bad auth field.
Result<DockerConfig> parse_docker_config_json(std::string_view json);

// The credentials for an image, chosen as the kubelet's keyring does: the most specific key whose
// host (with "*" globs per label) and port match the image's registry and whose path is a prefix of
// the repository; Docker Hub images also match "index.docker.io" keys. Configs are searched in
// order (imagePullSecrets order).
std::optional<RegistryCredentials> find_credentials(const std::vector<DockerConfig>& configs,
                                                    const ImageReference& image);

struct AuthChallenge {
  std::string scheme;                         // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params;  // keys lowercased: realm, service, scope, error
};

// All challenges of one WWW-Authenticate header value, e.g.
// `Bearer
// realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:x:pull"`.
std::vector<AuthChallenge> parse_www_authenticate(std::string_view header);

std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view data);

}  // namespace bosun::runtime
