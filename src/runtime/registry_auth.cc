#include "runtime/registry_auth.h"

#include <algorithm>

#include "common/json.h"

namespace bosun::runtime {
namespace {

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

// A docker config key as the kubelet's keyring indexes it: host[:port] plus an optional path, with
// the scheme and a leading /v1/ or /v2/ dropped.
struct KeyParts {
  std::string host;
  std::string path;
};

KeyParts split_key(std::string_view key) {
  if (auto p = key.find("://"); p != std::string_view::npos) key.remove_prefix(p + 3);
  KeyParts parts;
  size_t slash = key.find('/');
  parts.host = lower(key.substr(0, slash));
  std::string_view path = slash == std::string_view::npos ? std::string_view() : key.substr(slash);
  if (path.starts_with("/v1/") || path.starts_with("/v2/")) path.remove_prefix(3);
  while (path.starts_with("/")) path.remove_prefix(1);
  while (path.ends_with("/")) path.remove_suffix(1);
  parts.path = std::string(path);
  return parts;
}

// Host globs match label by label ("*.example.com" matches "a.example.com", not "a.b.example.com");
// ports must be equal.
bool host_matches(std::string_view pattern, std::string_view host) {
  auto split_port = [](std::string_view h) {
    size_t colon = h.rfind(':');
    if (colon != std::string_view::npos && h.find(']') == std::string_view::npos) {
      return std::pair{h.substr(0, colon), h.substr(colon + 1)};
    }
    return std::pair{h, std::string_view()};
  };
  auto [p_host, p_port] = split_port(pattern);
  auto [h_host, h_port] = split_port(host);
  if (p_port != h_port) return false;
  while (true) {
    size_t pd = p_host.find('.');
    size_t hd = h_host.find('.');
    std::string_view pl = p_host.substr(0, pd);
    std::string_view hl = h_host.substr(0, hd);
    if (pl != "*" && pl != hl) return false;
    if (pd == std::string_view::npos || hd == std::string_view::npos) {
      return pd == std::string_view::npos && hd == std::string_view::npos;
    }
    p_host.remove_prefix(pd + 1);
    h_host.remove_prefix(hd + 1);
  }
}

bool path_prefix(std::string_view prefix, std::string_view path) {
  if (prefix.empty()) return true;
  if (!path.starts_with(prefix)) return false;
  return path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

std::string base64_encode(std::string_view data) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  while (i + 2 < data.size()) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
    i += 3;
  }
  if (i + 1 == data.size()) {
    uint32_t v = uint8_t(data[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view data) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  while (data.ends_with("=")) data.remove_suffix(1);
  if (data.size() % 4 == 1) return std::nullopt;
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : data) {
    int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

Result<DockerConfig> parse_docker_config_json(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object()) return bad("docker config is not a JSON object");
  const Json* auths = &j;
  if (auto it = j.find("auths"); it != j.end()) {
    if (!it->is_object()) return bad("docker config \"auths\" is not an object");
    auths = &*it;
  }
  DockerConfig config;
  for (const auto& [key, entry] : auths->items()) {
    if (!entry.is_object()) return bad("docker config entry \"" + key + "\" is not an object");
    RegistryCredentials creds;
    creds.username = entry.value("username", "");
    creds.password = entry.value("password", "");
    if (auto a = entry.find("auth");
        a != entry.end() && a->is_string() && !a->get<std::string>().empty()) {
      auto decoded = base64_decode(a->get<std::string>());
      size_t colon = decoded ? decoded->find(':') : std::string::npos;
      if (!decoded || colon == std::string::npos) {
        return bad("unable to parse auth field, must be formatted as base64(username:password)");
      }
      creds.username = decoded->substr(0, colon);
      creds.password = decoded->substr(colon + 1);
    }
    config.auths.emplace_back(key, std::move(creds));
  }
  return config;
}

std::optional<RegistryCredentials> find_credentials(const std::vector<DockerConfig>& configs,
                                                    const ImageReference& image) {
  std::string host = lower(image.domain);
  bool docker_hub = image.domain == "docker.io";
  for (const auto& config : configs) {
    const RegistryCredentials* best = nullptr;
    size_t best_len = 0;
    for (const auto& [key, creds] : config.auths) {
      KeyParts k = split_key(key);
      bool host_ok =
          host_matches(k.host, host) ||
          (docker_hub && (k.host == "index.docker.io" || k.host == "registry-1.docker.io"));
      if (!host_ok || !path_prefix(k.path, image.path)) continue;
      size_t specificity = k.host.size() + k.path.size() + 1;
      if (!best || specificity > best_len) {
        best = &creds;
        best_len = specificity;
      }
    }
    if (best) return *best;
  }
  return std::nullopt;
}

std::vector<AuthChallenge> parse_www_authenticate(std::string_view h) {
  std::vector<AuthChallenge> out;
  size_t i = 0;
  auto skip_ws = [&] {
    while (i < h.size() && (h[i] == ' ' || h[i] == '\t' || h[i] == ',')) ++i;
  };
  auto token = [&] {
    size_t start = i;
    while (i < h.size() && h[i] != ' ' && h[i] != '\t' && h[i] != ',' && h[i] != '=') ++i;
    return h.substr(start, i - start);
  };
  while (true) {
    skip_ws();
    if (i >= h.size()) break;
    std::string_view name = token();
    if (name.empty()) {
      ++i;
      continue;
    }
    size_t after = i;
    while (after < h.size() && (h[after] == ' ' || h[after] == '\t')) ++after;
    if (after < h.size() && h[after] == '=' && !out.empty()) {
      i = after + 1;
      while (i < h.size() && (h[i] == ' ' || h[i] == '\t')) ++i;
      std::string value;
      if (i < h.size() && h[i] == '"') {
        ++i;
        while (i < h.size() && h[i] != '"') {
          if (h[i] == '\\' && i + 1 < h.size()) ++i;
          value += h[i++];
        }
        ++i;
      } else {
        while (i < h.size() && h[i] != ',' && h[i] != ' ') value += h[i++];
      }
      out.back().params[lower(name)] = value;
    } else {
      out.push_back({lower(name), {}});
    }
  }
  return out;
}

}  // namespace bosun::runtime
