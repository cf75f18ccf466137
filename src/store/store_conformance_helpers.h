// Helpers shared by the Store conformance tests (store_conformance_*testlib.cc). Test-only.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/result.h"
#include "store/store.h"

namespace bosun::store::conformance {

// Asserts that a Result holds a value, printing the store's error message when it does not.
#define STORE_ASSERT_OK(expr)                                                  \
  do {                                                                         \
    const auto& bosun_ok_ = (expr);                                            \
    ASSERT_TRUE(bosun_ok_.ok()) << #expr << ": " << bosun_ok_.error().message; \
  } while (0)

// The value of a store call the test cannot go on without; a failure ends the test (GoogleTest
// reports the exception) instead of the whole binary.
template <typename T>
T must(Result<T> result) {
  if (!result.ok()) throw std::runtime_error("store call failed: " + result.error().message);
  return std::move(result).value();
}

inline std::vector<std::string> keys_of(const std::vector<KeyValue>& items) {
  std::vector<std::string> keys;
  for (const auto& kv : items) keys.push_back(kv.key);
  return keys;
}

inline std::vector<uint64_t> revisions_of(const std::vector<Event>& events) {
  std::vector<uint64_t> revisions;
  for (const auto& e : events) revisions.push_back(e.revision);
  return revisions;
}

inline std::vector<uint64_t> range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> out;
  for (uint64_t r = first; r <= last; ++r) out.push_back(r);
  return out;
}

inline constexpr const char* kPods = "/registry/pods/";

}  // namespace bosun::store::conformance
