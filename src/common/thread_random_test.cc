#include "common/thread_random.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace bosun {
namespace {

TEST(ThreadRandomTest, SameGeneratorWithinAThread) {
  std::mt19937_64& a = thread_random();
  std::mt19937_64& b = thread_random();
  EXPECT_EQ(&a, &b);
  // Draws advance the one generator rather than restarting a fresh one.
  std::mt19937_64 copy = a;
  const uint64_t first = thread_random()();
  EXPECT_EQ(first, copy());
  EXPECT_EQ(thread_random()(), copy());
}

TEST(ThreadRandomTest, ThreadsHaveTheirOwnSeededGenerators) {
  std::vector<uint64_t> draws(4);
  std::vector<const void*> addresses(4);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < draws.size(); ++i) {
    threads.emplace_back([&, i] {
      addresses[i] = &thread_random();
      draws[i] = thread_random()();
    });
  }
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < draws.size(); ++i) {
    EXPECT_NE(addresses[i], &thread_random());
    for (size_t j = i + 1; j < draws.size(); ++j) {
      // Distinct 64-bit seeds: equal first draws would mean a shared or constant seed.
      EXPECT_NE(draws[i], draws[j]) << i << " and " << j;
    }
  }
}

}  // namespace
}  // namespace bosun
