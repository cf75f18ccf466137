// Maps a request path to its Route: exact paths first, then the longest matching prefix, as
// Kubernetes' PathRecorderMux does (Handle / HandlePrefix). Built before the server starts and
// read-only afterwards, so concurrent lookups need no lock; registering while serving is not
// allowed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/exchange.h"

namespace bosun::apiserver {

class Router {
 public:
  struct Match {
    const Route* route;
    std::string_view pattern;  // the registered path or prefix, a bounded label for metrics
  };

  // Registering a path twice is a programming error and aborts.
  void handle(std::string path, Route route);
  // prefix must end with '/'; "/apis/" matches "/apis/apps/v1" but not "/apis".
  void handle_prefix(std::string prefix, Route route);

  std::optional<Match> find(std::string_view path) const;
  // Every exact path and prefix, sorted: what Kubernetes lists at "/" ({"paths": [...]}).
  std::vector<std::string> paths() const;

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, Route, Hash, std::equal_to<>> exact_;
  std::vector<std::pair<std::string, Route>> prefixes_;  // longest first
};

}  // namespace bosun::apiserver
