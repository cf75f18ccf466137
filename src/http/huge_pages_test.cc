#include "http/huge_pages.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace bosun::apiserver {
namespace {

// The VmFlags of the mapping that holds `p`, from /proc/self/smaps.
std::string vm_flags_of(const void* p) {
  auto addr = reinterpret_cast<uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long begin = 0;
    unsigned long end = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2 && line.find(':') > 8 &&
        line.find('-') < line.find(' ')) {
      inside = addr >= begin && addr < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line;
  }
  return "";
}

TEST(HugePagesTest, NewAllocatorMemoryIsAdvisedForHugePages) {
  if (mallctl == nullptr) {
    EXPECT_FALSE(use_huge_pages_for_new_memory());
    GTEST_SKIP() << "not linked with jemalloc";
  }
  // Memory mapped before the call keeps ordinary pages.
  void* before = std::malloc(1 << 20);
  ASSERT_NE(before, nullptr);
  std::memset(before, 1, 1 << 20);
  EXPECT_EQ(vm_flags_of(before).find(" hg"), std::string::npos) << vm_flags_of(before);

  ASSERT_TRUE(use_huge_pages_for_new_memory());
  EXPECT_TRUE(use_huge_pages_for_new_memory());  // once; later calls keep the answer

  // Blocks below jemalloc's oversize threshold, more than its arenas hold: they need new extents,
  // which the kernel is now asked to back with huge pages.
  std::vector<void*> blocks;
  for (int i = 0; i < 256; ++i) {
    void* p = std::malloc(1 << 20);
    ASSERT_NE(p, nullptr);
    std::memset(p, i, 1 << 20);
    blocks.push_back(p);
  }
  EXPECT_NE(vm_flags_of(blocks.back()).find(" hg"), std::string::npos)
      << vm_flags_of(blocks.back());
  // The allocator still works through the wrapped hooks: freeing, reusing, purging.
  for (void* p : blocks) std::free(p);
  for (int i = 0; i < 64; ++i) {
    void* p = std::malloc(static_cast<size_t>(i + 1) << 16);
    ASSERT_NE(p, nullptr);
    std::memset(p, i, static_cast<size_t>(i + 1) << 16);
    std::free(p);
  }
  // MALLCTL_ARENAS_ALL: every arena returns its unused pages through the hooks.
  EXPECT_EQ(mallctl("arena.4096.purge", nullptr, nullptr, nullptr, 0), 0);
  std::free(before);
}

}  // namespace
}  // namespace bosun::apiserver
