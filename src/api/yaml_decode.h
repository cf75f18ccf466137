// The YAML half of decode.h: yaml-cpp's event parser feeding a Json builder that applies go-yaml
// v2's scalar rules, merge keys, alias limits and sigs.k8s.io/yaml's JSON conversion. Internal to
// the api module (decode.cc is its only user). Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/decode.h"
#include "common/result.h"

namespace bosun::api::internal {

// Decodes every document of `text` (or only the first when first_only, as go-yaml's Unmarshal).
// Empty and null documents are left out. Errors are BadRequest, prefixed "error converting YAML to
// JSON: " as kubectl and the API server print them.
Result<std::vector<Decoded>> decode_yaml(std::string_view text, const DecodeOptions& options,
                                         bool first_only);

// Line and column (1-based) of byte `offset` in `text`.
void line_and_column(std::string_view text, size_t offset, size_t* line, size_t* column);

// Appends ".key" (or "key" at the root) / "[index]" to a field path as Kubernetes writes them.
void append_path_key(std::string* path, std::string_view key);
void append_path_index(std::string* path, size_t index);

// Helpers in yaml_text.cc.
// libyaml's reader check: printable Unicode in valid UTF-8 only. Returns the offset of the first
// offending byte and sets the go-yaml message, or returns npos.
size_t check_yaml_text(std::string_view s, std::string* message);
// A yaml-cpp parser message in libyaml's words; `pos` is where yaml-cpp stopped in `text`.
std::string libyaml_message(const std::string& msg, std::string_view text, size_t pos);
bool valid_utf8(std::string_view s);
// Fixes the non-UTF-8 bytes yaml-cpp makes of the escapes \N and \_ (others become U+FFFD).
std::string repair_escapes(std::string_view s);
// Go's base64.StdEncoding.DecodeString (padding required; CR and LF ignored).
bool decode_base64(std::string_view in, std::string* out);

}  // namespace bosun::api::internal
