// The registry credentials of a pod's imagePullSecrets, read as the kubelet's getPullSecretsForPod
// and credentialprovider/secrets.MakeDockerKeyring do. Used by PodSyncer before an image pull.
// Pure functions over a lookup; thread-safe when the lookup is.
#pragma once

#include <string>
#include <vector>

#include "agent/container_env.h"
#include "common/json.h"
#include "common/result.h"
#include "runtime/registry_auth.h"

namespace bosun::agent {

struct PodPullSecrets {
  // One docker config per usable secret, in imagePullSecrets order (the keyring's search order).
  std::vector<runtime::DockerConfig> configs;
  // Secrets that could not be fetched: the kubelet pulls anyway and reports them in a
  // FailedToRetrieveImagePullSecret event.
  std::vector<std::string> missing;
};

// Fetches each named secret of spec.imagePullSecrets from the pod's namespace. Only
// kubernetes.io/dockerconfigjson (key .dockerconfigjson) and kubernetes.io/dockercfg (key
// .dockercfg) secrets with a non-empty value count; others are ignored, as by the kubelet. A value
// that does not parse fails the whole pull (kBadRequest), as MakeDockerKeyring's error does.
Result<PodPullSecrets> pod_pull_secrets(const Json& pod, const ObjectLookup& lookup);

// "Unable to retrieve some image pull secrets (a, b); attempting to pull the image may not
// succeed.", the kubelet's event message.
std::string missing_pull_secrets_message(const std::vector<std::string>& missing);

}  // namespace bosun::agent
