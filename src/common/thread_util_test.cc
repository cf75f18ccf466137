// Thread names as the kernel shows them (ps -L, /proc/PID/task/*/comm), and the allocator hint
// being harmless where jemalloc is absent (these tests use glibc's allocator or ASan's).
#include "common/thread_util.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <string>
#include <thread>

namespace bosun {
namespace {

std::string name_of_thread_running(std::string_view name) {
  std::string seen;
  std::thread([&] {
    set_thread_name(name);
    char buf[64] = {};
    pthread_getname_np(pthread_self(), buf, sizeof buf);
    seen = buf;
  }).join();
  return seen;
}

TEST(ThreadUtilTest, NamesTheCallingThread) {
  EXPECT_EQ(name_of_thread_running("inf-pods"), "inf-pods");
}

TEST(ThreadUtilTest, LongNamesAreCutToWhatTheKernelKeeps) {
  EXPECT_EQ(name_of_thread_running("inf-persistentvolumeclaims"), "inf-persistentv");
  EXPECT_EQ(name_of_thread_running(""), "");
}

TEST(ThreadUtilTest, ReleaseIdleMemoryIsANoOpWithoutJemalloc) {
  std::string kept(1000, 'x');
  release_idle_memory();
  release_idle_memory();
  EXPECT_EQ(kept, std::string(1000, 'x'));
}

}  // namespace
}  // namespace bosun
