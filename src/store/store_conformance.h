// The conformance suite every Store backend must pass: CRUD, compare-and-swap, GuaranteedUpdate
// under contention, consistent pagination, lists at old revisions, watch ordering, resumption and
// compaction, many concurrent writers. A backend's test instantiates it once:
//
//   namespace bosun::store {
//   BOSUN_STORE_CONFORMANCE(Sqlite, StoreBackend{"Sqlite", [] { return open_a_fresh_store(); }});
//   }
//
// (inside namespace bosun::store: GoogleTest pastes the fixture's name into identifiers, so it must
// be unqualified). Test-only code; each test opens its own store, so tests are independent and may
// run in parallel processes.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "common/result.h"
#include "store/store.h"

namespace bosun::store {

struct StoreBackend {
  std::string name;  // a test-name suffix: letters and digits only
  // Opens a new, empty store with periodic compaction off. Called once per test.
  std::function<Result<std::unique_ptr<Store>>()> open;
};

// GoogleTest prints the parameter in test listings (and CTest's test names): show the backend's
// name.
inline void PrintTo(const StoreBackend& backend, std::ostream* out) { *out << backend.name; }

class StoreConformanceTest : public ::testing::TestWithParam<StoreBackend> {
 protected:
  void SetUp() override;
  void TearDown() override;

  std::unique_ptr<Store> store_;
};

// Defined beside the tests: referencing it makes the linker keep them (they live in a static
// library).
bool store_conformance_tests_linked();

}  // namespace bosun::store

#define BOSUN_STORE_CONFORMANCE(suite, ...)                                             \
  INSTANTIATE_TEST_SUITE_P(suite, StoreConformanceTest, ::testing::Values(__VA_ARGS__), \
                           [](const auto& info) { return info.param.name; });           \
  [[maybe_unused]] static const bool bosun_store_conformance_##suite =                  \
      ::bosun::store::store_conformance_tests_linked()
