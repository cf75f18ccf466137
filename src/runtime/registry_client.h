// Pulling images from OCI distribution registries (the Docker Registry HTTP API V2) over libcurl
// into the image store: tag -> manifest (OCI index, OCI manifest, Docker manifest list, Docker
// schema 2), linux/amd64 picked from an index, config and layers fetched with digest verification,
// bearer tokens from WWW-Authenticate challenges, basic auth from imagePullSecrets. HTTPS always,
// except registries listed as insecure and 127.0.0.0/8. Used by the agent's image manager. Each
// pull_image call is independent; calls may run concurrently on one store.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/image_store.h"
#include "runtime/registry_auth.h"

namespace bosun::runtime {

struct PullProgress {
  enum class Phase { kResolving, kDownloading, kUnpacking, kDone };
  Phase phase = Phase::kResolving;
  std::string digest;  // the blob being fetched
  int64_t bytes_done = 0;
  int64_t bytes_total = 0;
  int layers_done = 0;
  int layers_total = 0;
};

struct PullOptions {
  // Credential sources in the order the kubelet tries them (the pod's imagePullSecrets).
  std::vector<DockerConfig> credentials;
  // Registries ("host" or "host:port") reached over plain HTTP, like --insecure-registry.
  std::vector<std::string> insecure_registries;
  std::function<void(const PullProgress&)> progress;
  std::string os = "linux";
  std::string architecture = "amd64";
  bool unpack = true;
  long connect_timeout_seconds = 30;
  // A transfer slower than 1 KiB/s for this long is abandoned.
  long stall_timeout_seconds = 60;
  std::string ca_file;  // extra trust for a private registry's certificate
};

// Pulls `reference` ("busybox", "127.0.0.1:5000/app:v1", "app@sha256:...") and names it in the
// store. Errors: kInvalid for a bad reference; kNotFound "<ref>: not found" when the registry has
// no such manifest; kUnauthorized when credentials are missing or refused; kBadRequest on digest
// mismatches and unsupported content; kServiceUnavailable when the registry cannot be reached.
// Messages follow containerd's ("failed to resolve reference ..."), which the kubelet shows under
// ErrImagePull.
Result<Image> pull_image(ImageStore& store, std::string_view reference,
                         const PullOptions& options = {});

// The registry host the API is served from ("docker.io" -> "registry-1.docker.io").
std::string registry_host(const ImageReference& ref);
// Whether a registry is reached over plain HTTP: listed as insecure, or an address in 127.0.0.0/8.
bool registry_uses_plain_http(std::string_view host, const std::vector<std::string>& insecure);

}  // namespace bosun::runtime
