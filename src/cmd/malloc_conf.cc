// jemalloc's options for the node agent, chosen from the command line before the allocator starts.
// The bosun binary links jemalloc for the API server (many threads allocating at once: one arena
// per CPU x4 pays for itself there). A node agent allocates little, and each extra arena keeps its
// own partly used pages: `bosun agent` uses one arena, ~0.6 MB less resident at idle with no
// measurable cost in pod_sync_bench (bench/results.md). Runs once, single-threaded, before any
// constructor.
#include <cstring>

namespace {

// The subcommand is the first argument that is neither an option nor the value of the one global
// option that takes a separate value (`bosun --log-level debug agent ...`).
const char* subcommand(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "--log-level") == 0) {
      ++i;
      continue;
    }
    if (a[0] == '-') continue;
    return a;
  }
  return "";
}

}  // namespace

// Read by jemalloc when it initialises (its documented way for a program to set options); the
// MALLOC_CONF environment variable still overrides it. Unused when jemalloc is not linked (the
// sanitizer build).
extern "C" {
__attribute__((visibility("default"))) const char* malloc_conf = nullptr;
}

namespace {

void choose_malloc_conf(int argc, char** argv, char**) {
  if (argv != nullptr && std::strcmp(subcommand(argc, argv), "agent") == 0) {
    malloc_conf = "narenas:1";
  }
}

// .preinit_array runs before the initialisers of every shared library, so before libstdc++'s and
// jemalloc's own first allocation, which is when jemalloc reads malloc_conf.
__attribute__((section(".preinit_array"),
               used)) void (*const kChooseMallocConf)(int, char**, char**) = choose_malloc_conf;

}  // namespace
