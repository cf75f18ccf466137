#include "agent/pull_secrets.h"

#include "common/json_fields.h"

namespace bosun::agent {

using json_fields::member;
using json_fields::string_at;

Result<PodPullSecrets> pod_pull_secrets(const Json& pod, const ObjectLookup& lookup) {
  PodPullSecrets out;
  const Json& refs = member(member(pod, "spec"), "imagePullSecrets");
  if (!refs.is_array() || refs.empty()) return out;
  const std::string ns = string_at(member(pod, "metadata"), "namespace");
  for (const Json& ref : refs) {
    const std::string name = string_at(ref, "name");
    if (name.empty()) continue;
    Result<Json> secret = lookup ? lookup("secrets", ns, name)
                                 : Result<Json>(make_error(ErrorCode::kNotFound, "no lookup"));
    if (!secret.ok() || !secret->is_object()) {
      out.missing.push_back(name);
      continue;
    }
    const std::string type = string_at(*secret, "type");
    const char* key = type == "kubernetes.io/dockerconfigjson" ? ".dockerconfigjson"
                      : type == "kubernetes.io/dockercfg"      ? ".dockercfg"
                                                               : nullptr;
    if (!key) continue;
    const std::string encoded = string_at(member(*secret, "data"), key);
    if (encoded.empty()) continue;
    std::optional<std::string> decoded = runtime::base64_decode(encoded);
    if (!decoded || decoded->empty()) continue;
    Result<runtime::DockerConfig> config = runtime::parse_docker_config_json(*decoded);
    if (!config.ok()) return config.error();
    out.configs.push_back(std::move(*config));
  }
  return out;
}

std::string missing_pull_secrets_message(const std::vector<std::string>& missing) {
  std::string names;
  for (const auto& n : missing) names += (names.empty() ? "" : ", ") + n;
  return "Unable to retrieve some image pull secrets (" + names +
         "); attempting to pull the image may not succeed.";
}

}  // namespace bosun::agent
