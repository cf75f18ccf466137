// Small helpers for the threads a component starts: a name the kernel shows (top -H, ps -L,
// /proc/PID/task/*/comm) and a hint to the allocator that the calling thread is about to idle.
// Used by the client library, controllers and agents; both are safe to call from any thread.
#pragma once

#include <string_view>

namespace bosun {

// Names the calling thread; Linux keeps 15 bytes, so longer names are cut.
void set_thread_name(std::string_view name);

// Tells jemalloc that the calling thread will sleep for a while ("thread.idle"): it hands the
// objects its thread cache holds back to the arena, to be reused by other threads or returned to
// the kernel as the arena decays. An idle thread's cache otherwise keeps whatever its last burst
// freed for good (jemalloc collects a thread's cache only as it allocates). Call it before a wait
// likely to last seconds, not on a busy path (a full cache speeds up the thread's next
// allocations). A no-op when jemalloc is not the allocator (the sanitizer build, bosun-agent).
void release_idle_memory();

}  // namespace bosun
