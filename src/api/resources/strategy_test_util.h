// Test helpers shared by the *_strategy_test.cc files of src/api/resources: a registry with one
// strategy installed on a fake clock, and the API server's create/update sequence over its hooks.
// Header-only; each test binary owns its fixtures.
#pragma once

#include <string>

#include <gtest/gtest.h>

#include "api/registry.h"
#include "api/resources/resources.h"
#include "common/clock.h"
#include "common/time_format.h"

namespace bosun::api::resources::testing {

class StrategyTest : public ::testing::Test {
 protected:
  // Installs `install` on the (group, v1, plural) entry of a private builtin registry.
  void use(const char* group, const char* plural, void (*install)(ResourceType&, const Clock&)) {
    type_ = registry_.find_mutable(group, "v1", plural);
    ASSERT_NE(type_, nullptr) << plural;
    install(*type_, clock_);
  }
  const ResourceStrategy& s() const { return type_->strategy; }

  // The stored object of a create: defaults, then the strategy's preparation.
  Json create(Json obj) {
    s().default_fields(obj);
    s().prepare_for_create(obj);
    return obj;
  }
  // The aggregate message ("" when valid) of creating / updating.
  std::string create_errors(Json obj) {
    s().default_fields(obj);
    s().prepare_for_create(obj);
    return agg(s().validate_create(obj));
  }
  std::string update_errors(Json obj, const Json& old) {
    s().default_fields(obj);
    s().prepare_for_update(obj, old);
    return agg(s().validate_update(obj, old));
  }
  static std::string agg(const FieldErrors& errs) {
    return errs.empty() ? "" : errs.aggregate_message();
  }

  // 2024-05-03T15:00:00Z.
  FakeClock clock_{*parse_rfc3339("2024-05-03T15:00:00Z")};
  ResourceRegistry registry_ = ResourceRegistry::make_builtin();
  ResourceType* type_ = nullptr;
};

}  // namespace bosun::api::resources::testing
