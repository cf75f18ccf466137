// List continue tokens in Kubernetes' format (k8s.io/apiserver/pkg/storage/continue.go): unpadded
// base64url of
// {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<next key, relative to the list prefix>"}. Clients
// treat them as opaque, but kubectl and client-go pass them back verbatim, so every Store backend
// encodes them the same way. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::store {

struct ContinuePosition {
  std::string start_key;  // absolute: the list resumes at the first key >= start_key
  int64_t revision =
      0;  // > 0: the list's revision; -1: the newest revision (an "inconsistent" continuation)
};

// Encodes a continuation of the list of `prefix` (a directory prefix ending in '/') at `start_key`,
// which must lie under `prefix`.
Result<std::string> encode_continue_token(std::string_view start_key, std::string_view prefix,
                                          int64_t revision);

// BadRequest "invalid continue token: continue key is not valid..." for anything Kubernetes would
// reject, including start keys that would escape `prefix` ("../").
Result<ContinuePosition> decode_continue_token(std::string_view token, std::string_view prefix);

// The token Kubernetes returns with a 410 for a continue token whose revision was compacted: same
// position, at the newest revision (rv -1). The API edge puts it in the Status' metadata.continue.
Result<std::string> inconsistent_continue_token(std::string_view expired_token,
                                                std::string_view prefix);

// RFC 4648 §5 base64url without padding (Go's base64.RawURLEncoding).
std::string base64url_encode(std::string_view bytes);
Result<std::string> base64url_decode(std::string_view text);

// Go's path.Clean: the shortest equivalent slash-separated path (used to reject start keys that
// climb out).
std::string clean_path(std::string_view path);

}  // namespace bosun::store
