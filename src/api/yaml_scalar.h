// YAML 1.1 scalar resolution as go-yaml v2 does it (the library under Kubernetes'
// sigs.k8s.io/yaml), shared by the YAML decoder (what a plain `yes` or `0x1F` means) and the YAML
// encoder (which strings must be quoted so that they read back as strings). Pure functions; safe
// from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace bosun::api {

struct YamlScalar {
  enum class Kind { kNull, kBool, kInt, kUint, kFloat, kString };
  Kind kind = Kind::kString;
  bool boolean = false;
  int64_t int_value = 0;
  uint64_t uint_value = 0;
  double float_value = 0;
};

// What an untagged plain scalar means (go-yaml v2 `resolve("", s)`): the YAML 1.1 booleans
// (y/yes/on/true/... in their three spellings), null/~/empty, decimal/0x/0o/0b/leading-0-octal
// integers with `_` separators, int64 then uint64, YAML-style floats, .inf/.nan. Anything else,
// including timestamps, stays a string.
YamlScalar resolve_plain_scalar(std::string_view s);

// True when `s` parses as one of the timestamp layouts go-yaml v2 recognises (2006-1-2,
// 2006-1-2T15:4:5.999999999Z07:00, 2006-1-2 15:4:5.999999999). Such strings are quoted on output.
bool is_yaml_timestamp(std::string_view s);

// True for YAML 1.1 sexagesimal floats (`1:20`), which go-yaml never decodes but quotes on output
// for other YAML 1.1 readers.
bool is_base60_float(std::string_view s);

// Go's strconv.FormatFloat(v, 'g', -1, bits) for bits 32 or 64: the shortest digits that read
// back to the same value; exponent form ("1e+06", "1.5e-07") when the decimal exponent is below -4
// or at least 6. go-yaml writes floats this way, and sigs.k8s.io/yaml formats float map keys so.
std::string go_format_float(double v, int bits);

// `s` as valid UTF-8, each invalid byte replaced by U+FFFD, as Go's json.Marshal writes strings.
std::string coerce_utf8(std::string_view s);

}  // namespace bosun::api
