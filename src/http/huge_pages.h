// Transparent huge pages for the memory the allocator maps from now on: the HTTPS server asks for
// them once it holds thousands of connections, whose fan-out reads one TLS state per connection and
// otherwise misses the TLB on nearly every one (bench/results.md, session 8). Thread-safe; the
// first call does the work, later ones return its result.
#pragma once

namespace bosun::apiserver {

// Makes jemalloc advise the kernel (madvise MADV_HUGEPAGE) on every extent it maps from now on, in
// each of its arenas; memory already mapped keeps its pages. True when the allocator took it;
// false without jemalloc (glibc's or a sanitizer's allocator) or when jemalloc refused.
bool use_huge_pages_for_new_memory();

}  // namespace bosun::apiserver
