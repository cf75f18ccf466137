// Test helpers for the workload strategies' tests: a registry with the strategies installed on a
// FakeClock, the create/update pipeline the API server runs (defaults, prepare, validate), and
// the messages of field errors. Header-only so that each *_test.cc stays self-contained. Not
// thread-safe; one fixture per test.
#pragma once

#include <string>
#include <vector>

#include "api/registry.h"
#include "api/resources/resources_workloads.h"
#include "common/clock.h"
#include "common/field_errors.h"
#include "common/json.h"
#include "common/time_format.h"

namespace bosun::api::resources::testing {

// 2024-05-01T12:00:00Z: objects in the tests are created "now" unless they say otherwise.
inline Clock::WallTime test_now() { return parse_rfc3339("2024-05-01T12:00:00Z").value(); }

class Strategies {
 public:
  Strategies() : clock_(test_now()), registry_(ResourceRegistry::make_builtin()) {
    install_workloads(registry_, clock_);
  }

  const ResourceStrategy& of(const char* group, const char* plural) const {
    return registry_.find(group, "v1", plural)->strategy;
  }
  const ResourceType& type(const char* group, const char* plural) const {
    return *registry_.find(group, "v1", plural);
  }
  FakeClock& clock() { return clock_; }

  // default_fields then prepare_for_create, as the API server does before validating a create.
  Json create(const char* group, const char* plural, Json obj) const {
    const ResourceStrategy& s = of(group, plural);
    s.default_fields(obj);
    s.prepare_for_create(obj);
    return obj;
  }
  // default_fields then prepare_for_update against `old`.
  Json update(const char* group, const char* plural, Json obj, const Json& old) const {
    const ResourceStrategy& s = of(group, plural);
    s.default_fields(obj);
    s.prepare_for_update(obj, old);
    return obj;
  }

 private:
  FakeClock clock_;
  ResourceRegistry registry_;
};

inline std::vector<std::string> messages(const FieldErrors& errs) {
  std::vector<std::string> out;
  for (const FieldError& e : errs.errors()) out.push_back(e.message());
  return out;
}

}  // namespace bosun::api::resources::testing
