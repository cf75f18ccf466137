// jemalloc's options per subcommand, chosen from the command line before the allocator starts.
// The bosun binary links jemalloc for the API server (many threads allocating at once). A node
// agent allocates little, and each extra arena keeps its own partly used pages: `bosun agent` uses
// one arena, ~0.6 MB less resident at idle with no measurable cost in pod_sync_bench. `bosun
// server` and `bosun apiserver` use two arenas (one per CPU of a small control-plane machine
// instead of four per CPU) and thread caches of at most 16 objects per small size and 4 per large
// one (instead of up to 200 and 20): an idle server's ~70 threads each kept a cache full of what
// their start-up freed, -2 MB resident at idle, with no measurable cost to the API's hot path
// (bench/results.md, 2026-11-26 session 7). Runs once, single-threaded, before any constructor.
#include <cstring>

#include "cmd/early_subcommand.h"

// Read by jemalloc when it initialises (its documented way for a program to set options); the
// MALLOC_CONF environment variable still overrides it. Unused when jemalloc is not linked (the
// sanitizer build).
extern "C" {
__attribute__((visibility("default"))) const char* malloc_conf = nullptr;
}

namespace {

void choose_malloc_conf(int argc, char** argv, char**) {
  const char* subcommand = bosun::cmd::early_subcommand(argc, argv);
  if (std::strcmp(subcommand, "agent") == 0) {
    malloc_conf = "narenas:1";
  } else if (std::strcmp(subcommand, "server") == 0 || std::strcmp(subcommand, "apiserver") == 0) {
    // Not dirty_decay_ms:0, which took 1.8 MB more off an idle server but cost the API 10-20 %
    // more CPU per request (every freed page run returned to the kernel at once, and faulted back
    // on the next request).
    malloc_conf = "narenas:2,tcache_nslots_small_max:16,tcache_nslots_large:4";
  }
}

// .preinit_array runs before the initialisers of every shared library, so before libstdc++'s and
// jemalloc's own first allocation, which is when jemalloc reads malloc_conf.
__attribute__((section(".preinit_array"),
               used)) void (*const kChooseMallocConf)(int, char**, char**) = choose_malloc_conf;

}  // namespace
