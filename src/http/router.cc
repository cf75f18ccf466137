#include "http/router.h"

#include <algorithm>

#include "common/check.h"

namespace bosun::apiserver {

void Router::handle(std::string path, Route route) {
  BOSUN_CHECK(!path.empty() && path.front() == '/', "a route path must start with '/'");
  bool inserted = exact_.emplace(std::move(path), std::move(route)).second;
  BOSUN_CHECK(inserted, "route registered twice");
}

void Router::handle_prefix(std::string prefix, Route route) {
  BOSUN_CHECK(prefix.size() >= 2 && prefix.front() == '/' && prefix.back() == '/',
              "a route prefix must start and end with '/'");
  for (const auto& [p, r] : prefixes_) BOSUN_CHECK(p != prefix, "route prefix registered twice");
  prefixes_.emplace_back(std::move(prefix), std::move(route));
  std::stable_sort(prefixes_.begin(), prefixes_.end(),
                   [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
}

std::optional<Router::Match> Router::find(std::string_view path) const {
  if (auto it = exact_.find(path); it != exact_.end()) return Match{&it->second, it->first};
  for (const auto& [prefix, route] : prefixes_) {
    if (path.starts_with(prefix)) return Match{&route, prefix};
  }
  return std::nullopt;
}

std::vector<std::string> Router::paths() const {
  std::vector<std::string> out;
  for (const auto& [p, r] : exact_) out.push_back(p);
  for (const auto& [p, r] : prefixes_) out.push_back(p);
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace bosun::apiserver
