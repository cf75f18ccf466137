// Kubernetes' health endpoints: /healthz, /livez and /readyz answer `ok`, or with `?verbose` list
// every check as
// `[+]ping ok` ... `readyz check passed`; a failing check answers 500 with `[-]name failed: reason
// withheld`;
// `?exclude=name` skips a check; /readyz/<name> runs one check. Components register checks (the
// store registers its readiness; the server registers `shutdown`, which fails once shutdown
// starts). Thread-safe: checks may be added while requests are served.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "apiserver/http_message.h"
#include "apiserver/router.h"
#include "common/result.h"

namespace bosun::apiserver {

class HealthChecks {
 public:
  using Check = std::function<Result<void>()>;
  enum Endpoint : unsigned {
    kHealthz = 1,
    kLivez = 2,
    kReadyz = 4,
    kAll = kHealthz | kLivez | kReadyz,
  };

  // Starts with `ping` on every endpoint, as Kubernetes does.
  HealthChecks();

  // Checks run on a worker thread and may block briefly (a store round trip).
  void add(std::string name, Check check, unsigned endpoints = kAll);

  // endpoint is "healthz", "livez" or "readyz"; check is "" for the whole list or one check's name.
  // An unknown check is NotFound, as in Kubernetes, where the sub-path is simply not registered.
  Response serve(std::string_view endpoint, std::string_view check, const QueryParams& query) const;

  // /healthz, /livez, /readyz and their sub-paths.
  void install(Router& router);

 private:
  struct Entry {
    std::string name;
    Check check;
    unsigned endpoints;
  };
  std::vector<Entry> snapshot(unsigned endpoint) const;

  mutable std::mutex mu_;  // guards checks_
  std::vector<Entry> checks_;
};

}  // namespace bosun::apiserver
