// gzip (RFC 1952) through zlib, for responses: the API server compresses large bodies when the
// client sends `Accept-Encoding: gzip`, as kube-apiserver does. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::apiserver {

// Kubernetes' defaultGzipContentEncodingLevel: level 1 costs the least CPU for nearly the same
// ratio (kubernetes/kubernetes#112296).
inline constexpr int kGzipLevel = 1;
// Kubernetes' defaultGzipThresholdBytes: bodies of at most this size go out uncompressed.
inline constexpr size_t kGzipThresholdBytes = 128 * 1024;

Result<std::string> gzip_compress(std::string_view data, int level = kGzipLevel);
// Fails with BadRequest on corrupt input and RequestEntityTooLarge past max_output bytes.
Result<std::string> gzip_decompress(std::string_view data, size_t max_output);

}  // namespace bosun::apiserver
