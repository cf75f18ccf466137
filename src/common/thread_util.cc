#include "common/thread_util.h"

#include <pthread.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

// jemalloc's control interface, when the program links jemalloc; weak so that every other
// program (glibc's allocator, ASan's) still links, with a null address.
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace bosun {

void set_thread_name(std::string_view name) {
  char buf[16];
  size_t n = std::min(name.size(), sizeof buf - 1);
  std::memcpy(buf, name.data(), n);
  buf[n] = '\0';
  pthread_setname_np(pthread_self(), buf);
}

void release_idle_memory() {
  if (mallctl == nullptr) return;
  // "thread.idle" exists since jemalloc 5.3; an older one answers ENOENT, which changes nothing.
  mallctl("thread.idle", nullptr, nullptr, nullptr, 0);
}

}  // namespace bosun
