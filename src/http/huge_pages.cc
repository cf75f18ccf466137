#include "http/huge_pages.h"

#include <sys/mman.h>

#include <cstddef>
#include <mutex>
#include <string>
#include <vector>

#include "common/log.h"

// jemalloc's control interface, when the program links jemalloc; weak so that every other program
// still links, with a null address (as in common/thread_util.cc).
extern "C" int mallctl(const char* name, void* oldp, size_t* oldlenp, void* newp, size_t newlen)
    __attribute__((weak));

namespace bosun::apiserver {

namespace {

// jemalloc 5's extent_hooks_t (`man jemalloc`, "arena.<i>.extent_hooks"), declared here so that
// the module builds without jemalloc's header.
struct ExtentHooks {
  void* (*alloc)(ExtentHooks*, void*, size_t, size_t, bool*, bool*, unsigned);
  bool (*dalloc)(ExtentHooks*, void*, size_t, bool, unsigned);
  void (*destroy)(ExtentHooks*, void*, size_t, bool, unsigned);
  bool (*commit)(ExtentHooks*, void*, size_t, size_t, size_t, unsigned);
  bool (*decommit)(ExtentHooks*, void*, size_t, size_t, size_t, unsigned);
  bool (*purge_lazy)(ExtentHooks*, void*, size_t, size_t, size_t, unsigned);
  bool (*purge_forced)(ExtentHooks*, void*, size_t, size_t, size_t, unsigned);
  bool (*split)(ExtentHooks*, void*, size_t, size_t, size_t, bool, unsigned);
  bool (*merge)(ExtentHooks*, void*, size_t, void*, size_t, bool, unsigned);
};

// An arena's hooks: its previous ones, with the advice added to each new mapping. `hooks` comes
// first, so that the pointer jemalloc hands back to a hook is the wrapper's.
struct AdvisingHooks {
  ExtentHooks hooks;
  ExtentHooks* previous;
};

ExtentHooks* previous_of(ExtentHooks* h) { return reinterpret_cast<AdvisingHooks*>(h)->previous; }

void* advise_alloc(ExtentHooks* h, void* addr, size_t size, size_t alignment, bool* zero,
                   bool* commit, unsigned arena) {
  ExtentHooks* p = previous_of(h);
  void* mem = p->alloc(p, addr, size, alignment, zero, commit, arena);
  // The kernel backs only whole, aligned 2 MiB ranges inside the mapping with huge pages, and
  // only in THP's "madvise" mode needs asking; a failure leaves ordinary pages.
  if (mem != nullptr) ::madvise(mem, size, MADV_HUGEPAGE);
  return mem;
}
bool advise_dalloc(ExtentHooks* h, void* addr, size_t size, bool committed, unsigned arena) {
  ExtentHooks* p = previous_of(h);
  return p->dalloc == nullptr || p->dalloc(p, addr, size, committed, arena);
}
void advise_destroy(ExtentHooks* h, void* addr, size_t size, bool committed, unsigned arena) {
  ExtentHooks* p = previous_of(h);
  if (p->destroy != nullptr) p->destroy(p, addr, size, committed, arena);
}
bool advise_commit(ExtentHooks* h, void* addr, size_t size, size_t off, size_t len,
                   unsigned arena) {
  ExtentHooks* p = previous_of(h);
  return p->commit == nullptr || p->commit(p, addr, size, off, len, arena);
}
bool advise_decommit(ExtentHooks* h, void* addr, size_t size, size_t off, size_t len,
                     unsigned arena) {
  ExtentHooks* p = previous_of(h);
  return p->decommit == nullptr || p->decommit(p, addr, size, off, len, arena);
}
bool advise_purge_lazy(ExtentHooks* h, void* addr, size_t size, size_t off, size_t len,
                       unsigned arena) {
  ExtentHooks* p = previous_of(h);
  return p->purge_lazy == nullptr || p->purge_lazy(p, addr, size, off, len, arena);
}
bool advise_purge_forced(ExtentHooks* h, void* addr, size_t size, size_t off, size_t len,
                         unsigned arena) {
  ExtentHooks* p = previous_of(h);
  return p->purge_forced == nullptr || p->purge_forced(p, addr, size, off, len, arena);
}
bool advise_split(ExtentHooks* h, void* addr, size_t size, size_t a, size_t b, bool committed,
                  unsigned arena) {
  ExtentHooks* p = previous_of(h);
  return p->split == nullptr || p->split(p, addr, size, a, b, committed, arena);
}
bool advise_merge(ExtentHooks* h, void* a, size_t a_size, void* b, size_t b_size, bool committed,
                  unsigned arena) {
  ExtentHooks* p = previous_of(h);
  return p->merge == nullptr || p->merge(p, a, a_size, b, b_size, committed, arena);
}

bool install() {
  if (mallctl == nullptr) return false;
  unsigned narenas = 0;
  size_t len = sizeof narenas;
  if (mallctl("arenas.narenas", &narenas, &len, nullptr, 0) != 0) return false;
  size_t installed = 0;
  for (unsigned i = 0; i < narenas; ++i) {
    std::string name = "arena." + std::to_string(i) + ".extent_hooks";
    ExtentHooks* previous = nullptr;
    len = sizeof previous;
    if (mallctl(name.c_str(), &previous, &len, nullptr, 0) != 0 || previous == nullptr) continue;
    if (previous->alloc == advise_alloc) continue;
    // Never freed: jemalloc keeps calling an arena's hooks for the process's life.
    auto* hooks = new AdvisingHooks{
        {advise_alloc, advise_dalloc, advise_destroy, advise_commit, advise_decommit,
         advise_purge_lazy, advise_purge_forced, advise_split, advise_merge},
        previous};
    // A hook jemalloc's previous set did not have stays absent (null means "not supported").
    if (previous->dalloc == nullptr) hooks->hooks.dalloc = nullptr;
    if (previous->destroy == nullptr) hooks->hooks.destroy = nullptr;
    if (previous->commit == nullptr) hooks->hooks.commit = nullptr;
    if (previous->decommit == nullptr) hooks->hooks.decommit = nullptr;
    if (previous->purge_lazy == nullptr) hooks->hooks.purge_lazy = nullptr;
    if (previous->purge_forced == nullptr) hooks->hooks.purge_forced = nullptr;
    if (previous->split == nullptr) hooks->hooks.split = nullptr;
    if (previous->merge == nullptr) hooks->hooks.merge = nullptr;
    ExtentHooks* mine = &hooks->hooks;
    if (mallctl(name.c_str(), nullptr, nullptr, &mine, sizeof mine) == 0) ++installed;
  }
  SPDLOG_INFO("http: huge pages for new allocator memory in {} of {} arenas", installed, narenas);
  return installed > 0;
}

}  // namespace

bool use_huge_pages_for_new_memory() {
  static std::once_flag once;
  static bool result = false;
  std::call_once(once, [] { result = install(); });
  return result;
}

}  // namespace bosun::apiserver
