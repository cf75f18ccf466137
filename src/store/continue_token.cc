#include "store/continue_token.h"

#include <array>
#include <vector>

#include "common/json.h"

namespace bosun::store {
namespace {

constexpr std::string_view kTokenVersion = "meta.k8s.io/v1";
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

Error invalid_token(std::string_view detail) {
  return make_error(ErrorCode::kBadRequest, "invalid continue token: " + std::string(detail));
}

// Go's json.Marshal escapes <, > and & for safe embedding in HTML; doing the same keeps our tokens
// byte-for-byte equal to the ones Kubernetes hands out for the same position.
std::string go_json_string(std::string_view text) {
  std::string dumped = Json(std::string(text)).dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string out;
  out.reserve(dumped.size());
  for (char c : dumped) {
    switch (c) {
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string base64url_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) |
                 (static_cast<uint8_t>(bytes[i + 1]) << 8) | static_cast<uint8_t>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  size_t rest = bytes.size() - i;
  if (rest == 1) {
    uint32_t n = static_cast<uint8_t>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (rest == 2) {
    uint32_t n = (static_cast<uint8_t>(bytes[i]) << 16) | (static_cast<uint8_t>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

Result<std::string> base64url_decode(std::string_view text) {
  static const std::array<int8_t, 256> kValues = [] {
    std::array<int8_t, 256> values{};
    values.fill(-1);
    for (size_t i = 0; i < kAlphabet.size(); ++i)
      values[static_cast<uint8_t>(kAlphabet[i])] = static_cast<int8_t>(i);
    return values;
  }();
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  size_t digits = 0;
  size_t last_pos = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    auto c = static_cast<uint8_t>(text[pos]);
    if (c == '\r' || c == '\n') continue;  // Go's decoder skips line breaks
    int8_t v = kValues[c];
    if (v < 0)
      return make_error(ErrorCode::kBadRequest,
                        "illegal base64 data at input byte " + std::to_string(pos));
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    ++digits;
    last_pos = pos;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // A lone trailing digit carries fewer than 8 bits: no byte can end there.
  if (digits % 4 == 1) {
    return make_error(ErrorCode::kBadRequest,
                      "illegal base64 data at input byte " + std::to_string(last_pos));
  }
  return out;
}

std::string clean_path(std::string_view path) {
  if (path.empty()) return ".";
  bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }
      continue;
    }
    parts.push_back(part);
  }
  std::string out = rooted ? "/" : "";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += '/';
    out += parts[i];
  }
  if (out.empty()) return ".";
  return out;
}

Result<std::string> encode_continue_token(std::string_view start_key, std::string_view prefix,
                                          int64_t revision) {
  if (start_key.size() < prefix.size() || start_key.substr(0, prefix.size()) != prefix) {
    return make_error(ErrorCode::kInternal,
                      "unable to encode next field: the key and key prefix do not match " +
                          std::string(prefix) + " " + std::string(start_key));
  }
  // Field order and spelling as Go marshals Kubernetes' continueToken struct.
  std::string json = "{\"v\":\"";
  json += kTokenVersion;
  json += "\",\"rv\":";
  json += std::to_string(revision);
  json += ",\"start\":";
  json += go_json_string(start_key.substr(prefix.size()));
  json += '}';
  return base64url_encode(json);
}

Result<ContinuePosition> decode_continue_token(std::string_view token, std::string_view prefix) {
  Result<std::string> data = base64url_decode(token);
  if (!data.ok()) return invalid_token("continue key is not valid: " + data.error().message);
  std::string version;
  int64_t revision = 0;
  std::string start;
  try {
    Json doc = Json::parse(*data);
    if (!doc.is_object()) return invalid_token("continue key is not valid: not a JSON object");
    if (auto it = doc.find("v"); it != doc.end() && !it->is_null()) {
      if (!it->is_string())
        return invalid_token("continue key is not valid: \"v\" is not a string");
      version = it->get<std::string>();
    }
    if (auto it = doc.find("rv"); it != doc.end() && !it->is_null()) {
      bool fits =
          it->is_number_integer() &&
          (!it->is_number_unsigned() || it->get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX));
      if (!fits) return invalid_token("continue key is not valid: \"rv\" is not an int64");
      revision = it->get<int64_t>();
    }
    if (auto it = doc.find("start"); it != doc.end() && !it->is_null()) {
      if (!it->is_string())
        return invalid_token("continue key is not valid: \"start\" is not a string");
      start = it->get<std::string>();
    }
  } catch (const Json::exception& e) {
    return invalid_token(std::string("continue key is not valid: ") + e.what());
  }
  if (version != kTokenVersion) {
    return invalid_token(
        "continue key is not valid: server does not recognize this encoded version " + version);
  }
  if (revision == 0) {
    return invalid_token(
        "continue key is not valid: incorrect encoded start resourceVersion (version "
        "meta.k8s.io/v1)");
  }
  if (start.empty())
    return invalid_token(
        "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
  // As Kubernetes does: a start key that path.Clean would change could climb above the prefix, so
  // it is refused.
  std::string key = start.front() == '/' ? start : "/" + start;
  if (clean_path(key) != key) return invalid_token("continue key is not valid: " + start);
  return ContinuePosition{std::string(prefix) + key.substr(1), revision};
}

Result<std::string> inconsistent_continue_token(std::string_view expired_token,
                                                std::string_view prefix) {
  BOSUN_ASSIGN_OR_RETURN(ContinuePosition position, decode_continue_token(expired_token, prefix));
  return encode_continue_token(position.start_key, prefix, -1);
}

}  // namespace bosun::store
