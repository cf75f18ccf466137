// Text-level helpers of the YAML decoder: the input check libyaml's reader makes, yaml-cpp's
// messages in libyaml's words, and the byte-level repairs and base64 of !!binary.
#include "api/yaml_decode.h"

#include <fmt/format.h>
#include <yaml-cpp/exceptions.h>

#include <string>

#include "api/yaml_scalar.h"

namespace bosun::api::internal {

bool valid_utf8(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return coerce_utf8(s) == s;
  }
  return true;
}

// yaml-cpp decodes the escapes \N and \_ in double-quoted scalars to the single bytes 0x85 and 0xA0
// rather than to UTF-8; the input itself was checked to be UTF-8, so such bytes come only from
// there. Anything else invalid becomes U+FFFD.
std::string repair_escapes(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::string_view rest = s.substr(i);
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len > 1 && len <= rest.size() && coerce_utf8(rest.substr(0, len)) == rest.substr(0, len)) {
      out.append(rest.substr(0, len));
      i += len;
    } else if (c == 0x85 || c == 0xA0) {
      out += '\xC2';
      out += static_cast<char>(c);
      ++i;
    } else if (len == 1) {
      out += static_cast<char>(c);
      ++i;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

// Go's base64.StdEncoding.DecodeString (padding required; CR and LF ignored).
bool decode_base64(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string clean;
  for (char c : in) {
    if (c != '\n' && c != '\r') clean += c;
  }
  if (clean.size() % 4 != 0) return false;
  out->clear();
  for (size_t i = 0; i < clean.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      char c = clean[i + k];
      if (c == '=') {
        if (i + 4 != clean.size() || k < 2) return false;
        v[k] = 0;
        ++pad;
      } else {
        if (pad) return false;
        v[k] = value(c);
        if (v[k] < 0) return false;
      }
    }
    uint32_t n = (v[0] << 18) | (v[1] << 12) | (v[2] << 6) | v[3];
    out->push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) out->push_back(static_cast<char>((n >> 8) & 0xFF));
    if (pad < 1) out->push_back(static_cast<char>(n & 0xFF));
  }
  return true;
}

// libyaml's reader accepts only printable Unicode in valid UTF-8 (tab, LF and CR allowed); go-yaml
// reports the rest before parsing, and so do we, which also keeps NUL bytes away from yaml-cpp.
// Returns the offset of the first offending byte and the go-yaml message, or npos.
size_t check_yaml_text(std::string_view s, std::string* message) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E)) {
        ++i;
        continue;
      }
      *message = "control characters are not allowed";
      return i;
    }
    size_t len = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0) {
      *message = "invalid leading UTF-8 octet";
      return i;
    }
    if (i + len > s.size()) {
      *message = "incomplete UTF-8 octet sequence";
      return i;
    }
    uint32_t cp = c & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) {
        *message = "invalid trailing UTF-8 octet";
        return i;
      }
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) {
      *message = "invalid length of a UTF-8 sequence";
      return i;
    }
    if ((cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      *message = "invalid Unicode character";
      return i;
    }
    if (!(cp == 0x85 || (cp >= 0xA0 && cp <= 0xD7FF) || (cp >= 0xE000 && cp <= 0xFFFD) ||
          cp >= 0x10000)) {
      *message = "control characters are not allowed";
      return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

// yaml-cpp's messages reworded as libyaml/go-yaml word the same problem, so users see the text
// they know from kubectl.
std::string libyaml_message(const std::string& msg, std::string_view text, size_t pos) {
  struct Pair {
    std::string_view yaml_cpp, libyaml;
  };
  static constexpr Pair kPairs[] = {
      {"illegal map value", "mapping values are not allowed in this context"},
      {"end of map not found", "did not find expected key"},
      {"end of sequence not found", "did not find expected '-' indicator"},
      {"end of sequence flow not found", "did not find expected ',' or ']'"},
      {"end of map flow not found", "did not find expected ',' or '}'"},
      {"illegal block entry", "block sequence entries are not allowed in this context"},
      {"illegal map key", "mapping keys are not allowed in this context"},
      {"unknown token", "found character that cannot start any token"},
      {"illegal tab when looking for indentation", "found character that cannot start any token"},
      {"illegal EOF in scalar", "found unexpected end of stream"},
      {"illegal document indicator in scalar", "found unexpected document indicator"},
      {"illegal flow end", "did not find expected node content"},
  };
  for (const auto& p : kPairs) {
    if (msg == p.yaml_cpp) return std::string(p.libyaml);
  }
  if (msg == YAML::ErrorMsg::UNKNOWN_ANCHOR) {
    std::string name;
    if (pos < text.size() && text[pos] == '*') {
      for (size_t i = pos + 1; i < text.size(); ++i) {
        char c = text[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '[' || c == ']' ||
            c == '{' || c == '}') {
          break;
        }
        name += c;
      }
    }
    return fmt::format("unknown anchor '{}' referenced", name);
  }
  if (msg.rfind(YAML::ErrorMsg::INVALID_ESCAPE, 0) == 0) {
    return "found unknown escape character while parsing a quoted scalar";
  }
  return msg;
}

}  // namespace bosun::api::internal
