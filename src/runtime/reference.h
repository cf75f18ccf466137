// Image references in Docker's grammar (distribution/reference): "busybox" normalizes to
// "docker.io/library/busybox:latest", with the errors containerd and the kubelet report for invalid
// ones. Used by the image store, the importer, the puller and the agent. Pure functions:
// thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::runtime {

// A parsed, normalized reference: domain "docker.io", path "library/busybox", and a tag and/or a
// digest. When the input named neither, the tag is "latest" (the kubelet's applyDefaultImageTag).
struct ImageReference {
  std::string domain;
  std::string path;
  std::string tag;     // empty when only a digest was given
  std::string digest;  // "sha256:<hex>" or empty

  // "docker.io/library/busybox".
  std::string name() const;
  // The full normalized form: name[:tag][@digest].
  std::string string() const;
  // containerd's ParseDockerRef form, the key images are stored under: a reference with both a
  // tag and a digest keeps only the digest.
  std::string docker_ref() const;
  // Docker's familiar form for display: "busybox:latest", "example.com/app:v1".
  std::string familiar() const;

  bool operator==(const ImageReference&) const = default;
};

// Parses like distribution's ParseNormalizedNamed followed by the kubelet's default tag. Errors are
// ErrorCode::kInvalid with distribution's message, e.g. "invalid reference format: repository name
// (library/Busybox) must be lowercase" or "invalid reference format".
Result<ImageReference> parse_image_reference(std::string_view text);

// The message the kubelet puts in its InspectFailed event (and the container's waiting reason
// InvalidImageName) for an image it cannot parse.
std::string invalid_image_name_message(std::string_view image, const Error& parse_error);

// True for "sha256:<64 lowercase hex>" (and sha384/sha512 of their lengths), as go-digest
// validates. On failure, *why gets go-digest's message ("invalid checksum digest length", ...).
bool validate_digest(std::string_view digest, std::string* why = nullptr);

}  // namespace bosun::runtime
