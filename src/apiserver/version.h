// The server's version as `/version` reports it, in the shape of Kubernetes' version.Info. The API
// level is 1.33 (design.md §6), which the kubectl dispatcher on PATH reads to pick kubectl 1.33;
// Bosun's own version rides in gitVersion's build metadata. Values are fixed at build time;
// thread-safe.
#pragma once

#include <string>

#include "apiserver/router.h"

namespace bosun::apiserver {

inline constexpr const char* kKubernetesMajor = "1";
inline constexpr const char* kKubernetesMinor = "33";

struct VersionInfo {
  std::string major = kKubernetesMajor;
  std::string minor = kKubernetesMinor;
  // Kubernetes 1.33 also reports the emulated version and the oldest version it stays compatible
  // with.
  std::string emulation_major = kKubernetesMajor;
  std::string emulation_minor = kKubernetesMinor;
  std::string min_compatibility_major = kKubernetesMajor;
  std::string min_compatibility_minor = "32";
  std::string git_version;     // "v1.33.0+bosun.0.1.0"
  std::string git_commit;      // of the tree the build was configured from
  std::string git_tree_state;  // "clean" or "dirty"
  std::string build_date;      // RFC 3339, UTC
  std::string go_version;      // "n/a": Bosun is not written in Go
  std::string compiler;        // "gcc 12.2.0"
  std::string platform;        // "linux/amd64"
};

// Bosun's own version ("0.1.0").
std::string bosun_version();
VersionInfo server_version();
// The body of GET /version: indented JSON with the fields in Kubernetes' order, as kube-apiserver
// writes it.
std::string version_body(const VersionInfo& v);
// GET /version (and HEAD); other methods get 405. Runs on the io thread: it never blocks.
void install_version_endpoint(Router& router, const VersionInfo& v);

}  // namespace bosun::apiserver
