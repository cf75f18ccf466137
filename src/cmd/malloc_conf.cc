// jemalloc's options for the node agent, chosen from the command line before the allocator starts.
// The bosun binary links jemalloc for the API server (many threads allocating at once: one arena
// per CPU x4 pays for itself there). A node agent allocates little, and each extra arena keeps its
// own partly used pages: `bosun agent` uses one arena, ~0.6 MB less resident at idle with no
// measurable cost in pod_sync_bench (bench/results.md). Runs once, single-threaded, before any
// constructor.
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
  if (std::strcmp(bosun::cmd::early_subcommand(argc, argv), "agent") == 0) {
    malloc_conf = "narenas:1";
  }
}

// .preinit_array runs before the initialisers of every shared library, so before libstdc++'s and
// jemalloc's own first allocation, which is when jemalloc reads malloc_conf.
__attribute__((section(".preinit_array"),
               used)) void (*const kChooseMallocConf)(int, char**, char**) = choose_malloc_conf;

}  // namespace
