// The grammar is distribution/reference's regular expressions, matched by hand: references are
// parsed on every pod start and the fuzz target checks that nothing here can crash.
#include "runtime/reference.h"

#include <algorithm>
#include <optional>

namespace bosun::runtime {
namespace {

constexpr std::string_view kDefaultDomain = "docker.io";
constexpr std::string_view kLegacyDefaultDomain = "index.docker.io";
constexpr std::string_view kOfficialRepoPrefix = "library/";
constexpr std::string_view kDefaultTag = "latest";
constexpr size_t kNameTotalLengthMax = 255;

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }
bool is_word(char c) { return is_alnum(c) || c == '_'; }
bool is_xdigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool is_lower_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// [a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*
bool is_path_component(std::string_view s) {
  size_t i = 0;
  while (true) {
    size_t start = i;
    while (i < s.size() && is_lower_alnum(s[i])) ++i;
    if (i == start) return false;
    if (i == s.size()) return true;
    if (s[i] == '.') {
      ++i;
    } else if (s[i] == '_') {
      ++i;
      if (i < s.size() && s[i] == '_') ++i;
    } else if (s[i] == '-') {
      while (i < s.size() && s[i] == '-') ++i;
    } else {
      return false;
    }
  }
}

// pathComponent(/pathComponent)*
bool is_remote_name(std::string_view s) {
  while (true) {
    size_t slash = s.find('/');
    if (!is_path_component(s.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    s.remove_prefix(slash + 1);
  }
}

// (?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])
bool is_domain_name_component(std::string_view s) {
  if (s.empty() || !is_alnum(s.front()) || !is_alnum(s.back())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_alnum(c) || c == '-'; });
}

// (?:domainName|\[[a-fA-F0-9:]+\])(?::[0-9]+)?
bool is_domain_and_port(std::string_view s) {
  std::string_view host = s;
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (size_t i = 1; i < close; ++i) {
      if (!is_xdigit(s[i]) && s[i] != ':') return false;
    }
    host = {};
    s.remove_prefix(close + 1);
  } else {
    size_t colon = s.find(':');
    host = s.substr(0, colon);
    s = colon == std::string_view::npos ? std::string_view() : s.substr(colon);
    while (true) {
      size_t dot = host.find('.');
      if (!is_domain_name_component(host.substr(0, dot))) return false;
      if (dot == std::string_view::npos) break;
      host.remove_prefix(dot + 1);
    }
  }
  if (s.empty()) return true;
  if (s.front() != ':' || s.size() == 1) return false;
  return std::all_of(s.begin() + 1, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// [\w][\w.-]{0,127}
bool is_tag(std::string_view s) {
  if (s.empty() || s.size() > 128 || !is_word(s.front())) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return is_word(c) || c == '.' || c == '-'; });
}

// [A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}
bool is_digest_pattern(std::string_view s) {
  size_t colon = s.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view alg = s.substr(0, colon);
  std::string_view hex = s.substr(colon + 1);
  if (hex.size() < 32 || !std::all_of(hex.begin(), hex.end(), is_xdigit)) return false;
  size_t i = 0;
  while (true) {
    if (i >= alg.size()) return false;
    auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
    if (!is_letter(alg[i])) return false;
    ++i;
    while (i < alg.size() && is_alnum(alg[i])) ++i;
    if (i == alg.size()) return true;
    if (alg[i] != '-' && alg[i] != '_' && alg[i] != '+' && alg[i] != '.') return false;
    ++i;
  }
}

bool is_name(std::string_view s) {
  size_t slash = s.find('/');
  if (slash != std::string_view::npos && is_domain_and_port(s.substr(0, slash)) &&
      is_remote_name(s.substr(slash + 1))) {
    return true;
  }
  return is_remote_name(s);
}

struct Match {
  std::string_view name;
  std::string_view tag;
  std::string_view digest;
};

// ReferenceRegexp: name(:tag)?(@digest)? anchored. A tag cannot hold '/', and the name holds ':'
// only in a domain's port, which a '/' follows; so the tag is what follows a last ':' that comes
// after the last '/'.
std::optional<Match> match_reference(std::string_view s) {
  Match m;
  size_t at = s.find('@');
  if (at != std::string_view::npos) {
    m.digest = s.substr(at + 1);
    if (!is_digest_pattern(m.digest)) return std::nullopt;
    s = s.substr(0, at);
  }
  size_t slash = s.rfind('/');
  size_t colon = s.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    m.tag = s.substr(colon + 1);
    if (!is_tag(m.tag)) return std::nullopt;
    s = s.substr(0, colon);
  }
  if (!is_name(s)) return std::nullopt;
  m.name = s;
  return m;
}

Error invalid(std::string message) { return make_error(ErrorCode::kInvalid, std::move(message)); }

// distribution's Parse.
Result<ImageReference> parse_reference(std::string_view s) {
  auto m = match_reference(s);
  if (!m) {
    if (s.empty()) return invalid("repository name must have at least one component");
    std::string lower = to_lower(s);
    if (match_reference(lower)) {
      return invalid("invalid reference format: repository name must be lowercase");
    }
    return invalid("invalid reference format");
  }
  if (m->name.size() > kNameTotalLengthMax) {
    return invalid("repository name must not be more than 255 characters");
  }
  ImageReference ref;
  size_t slash = m->name.find('/');
  if (slash != std::string_view::npos && is_domain_and_port(m->name.substr(0, slash)) &&
      is_remote_name(m->name.substr(slash + 1))) {
    ref.domain = std::string(m->name.substr(0, slash));
    ref.path = std::string(m->name.substr(slash + 1));
  } else {
    ref.path = std::string(m->name);
  }
  ref.tag = std::string(m->tag);
  if (!m->digest.empty()) {
    std::string why;
    if (!validate_digest(m->digest, &why)) return invalid(why);
    ref.digest = std::string(m->digest);
  }
  return ref;
}

// splitDockerDomain: the first component is a registry host when it looks like one.
std::pair<std::string, std::string> split_docker_domain(std::string_view name) {
  size_t slash = name.find('/');
  std::string domain;
  std::string remote;
  if (slash == std::string_view::npos) {
    return {std::string(kDefaultDomain), std::string(kOfficialRepoPrefix) + std::string(name)};
  }
  std::string_view maybe_domain = name.substr(0, slash);
  std::string_view maybe_remote = name.substr(slash + 1);
  if (maybe_domain == "localhost") {
    domain = maybe_domain, remote = maybe_remote;
  } else if (maybe_domain == kLegacyDefaultDomain) {
    domain = kDefaultDomain, remote = maybe_remote;
  } else if (maybe_domain.find_first_of(".:") != std::string_view::npos) {
    domain = maybe_domain, remote = maybe_remote;
  } else if (to_lower(maybe_domain) != maybe_domain) {
    domain = maybe_domain, remote = maybe_remote;
  } else {
    domain = kDefaultDomain, remote = name;
  }
  if (domain == kDefaultDomain && remote.find('/') == std::string::npos) {
    remote = std::string(kOfficialRepoPrefix) + remote;
  }
  return {domain, remote};
}

}  // namespace

bool validate_digest(std::string_view digest, std::string* why) {
  auto fail = [&](const char* message) {
    if (why) *why = message;
    return false;
  };
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) {
    return fail("invalid checksum digest format");
  }
  std::string_view alg = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  size_t want = 0;
  if (alg == "sha256") {
    want = 64;
  } else if (alg == "sha384") {
    want = 96;
  } else if (alg == "sha512") {
    want = 128;
  } else {
    if (!is_digest_pattern(digest)) return fail("invalid checksum digest format");
    return fail("unsupported digest algorithm");
  }
  if (hex.size() != want) return fail("invalid checksum digest length");
  if (!std::all_of(hex.begin(), hex.end(), is_lower_hex)) {
    return fail("invalid checksum digest format");
  }
  return true;
}

Result<ImageReference> parse_image_reference(std::string_view text) {
  if (text.size() == 64 && std::all_of(text.begin(), text.end(), is_lower_hex)) {
    return invalid("invalid repository name (" + std::string(text) +
                   "), cannot specify 64-byte hexadecimal strings");
  }
  auto [domain, remainder] = split_docker_domain(text);
  std::string_view remote = remainder;
  remote = remote.substr(0, remote.find(':'));
  if (to_lower(remote) != remote) {
    return invalid("invalid reference format: repository name (" + std::string(remote) +
                   ") must be lowercase");
  }
  BOSUN_ASSIGN_OR_RETURN(ImageReference ref, parse_reference(domain + "/" + remainder));
  if (ref.tag.empty() && ref.digest.empty()) ref.tag = kDefaultTag;
  return ref;
}

std::string invalid_image_name_message(std::string_view image, const Error& parse_error) {
  std::string quoted = "\"" + std::string(image) + "\"";
  return "Failed to apply default image tag " + quoted + ": couldn't parse image name " + quoted +
         ": " + parse_error.message;
}

std::string ImageReference::name() const { return domain.empty() ? path : domain + "/" + path; }

std::string ImageReference::string() const {
  std::string out = name();
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

std::string ImageReference::docker_ref() const {
  if (!digest.empty()) return name() + "@" + digest;
  return name() + ":" + (tag.empty() ? std::string(kDefaultTag) : tag);
}

std::string ImageReference::familiar() const {
  std::string out;
  if (domain == kDefaultDomain) {
    std::string_view p = path;
    if (p.starts_with(kOfficialRepoPrefix) &&
        p.substr(kOfficialRepoPrefix.size()).find('/') == std::string_view::npos) {
      p.remove_prefix(kOfficialRepoPrefix.size());
    }
    out = std::string(p);
  } else {
    out = name();
  }
  if (!tag.empty()) out += ":" + tag;
  if (!digest.empty()) out += "@" + digest;
  return out;
}

}  // namespace bosun::runtime
