#include "apiserver/accept_header.h"

#include <algorithm>
#include <cstdlib>

namespace bosun::apiserver {

namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Go's strconv.ParseFloat as goautoneg uses it: a malformed q reads as 0.
double parse_q(std::string_view text) {
  std::string s(trim_spaces(text));
  if (s.empty()) return 0;
  char* end = nullptr;
  double q = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size()) return 0;
  return q;
}

}  // namespace

std::optional<std::string_view> MediaRange::param(std::string_view name) const {
  for (const auto& [k, v] : params) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

bool MediaRange::matches(std::string_view want_type, std::string_view want_subtype) const {
  return (type == "*" || type == want_type) && (subtype == "*" || subtype == want_subtype);
}

std::vector<MediaRange> parse_accept(std::string_view header) {
  if (trim_spaces(header).empty()) header = "*/*";
  std::vector<MediaRange> out;
  size_t start = 0;
  while (start <= header.size()) {
    size_t comma = header.find(',', start);
    std::string_view part = header.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    start = comma == std::string_view::npos ? header.size() + 1 : comma + 1;

    MediaRange range;
    size_t semi = part.find(';');
    std::string_view media = trim_spaces(part.substr(0, semi));
    size_t slash = media.find('/');
    if (slash == std::string_view::npos) {
      // goautoneg accepts a bare "*" as "*/*" and nothing else without a slash.
      if (media != "*") continue;
      range.type = "*";
      range.subtype = "*";
    } else {
      std::string_view type = trim_spaces(media.substr(0, slash));
      std::string_view subtype = trim_spaces(media.substr(slash + 1));
      if (type.empty() || subtype.empty() || subtype.find('/') != std::string_view::npos) continue;
      range.type = std::string(type);
      range.subtype = std::string(subtype);
    }
    std::string_view rest = semi == std::string_view::npos ? std::string_view() : part.substr(semi);
    while (!rest.empty()) {
      rest.remove_prefix(1);  // the ';'
      size_t next = rest.find(';');
      std::string_view p = rest.substr(0, next);
      rest = next == std::string_view::npos ? std::string_view() : rest.substr(next);
      size_t eq = p.find('=');
      if (eq == std::string_view::npos) continue;
      std::string_view name = trim_spaces(p.substr(0, eq));
      std::string_view value = trim_spaces(p.substr(eq + 1));
      if (name == "q") {
        range.q = parse_q(value);
      } else {
        range.params.emplace_back(std::string(name), std::string(value));
      }
    }
    if (range.q <= 0) continue;
    out.push_back(std::move(range));
  }
  std::stable_sort(out.begin(), out.end(), [](const MediaRange& a, const MediaRange& b) {
    if (a.q != b.q) return a.q > b.q;
    bool a_type = a.type != "*";
    bool b_type = b.type != "*";
    if (a_type != b_type) return a_type;
    bool a_sub = a.subtype != "*";
    bool b_sub = b.subtype != "*";
    return a_sub && !b_sub;
  });
  return out;
}

}  // namespace bosun::apiserver
