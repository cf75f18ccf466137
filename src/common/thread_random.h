// A pseudo-random generator per thread, for jitter, generated names and request ids (not for
// secrets). Every thread of a process pays for its static thread_local storage when it starts
// (glibc copies and zeroes the whole TLS block), whether it ever draws a number or not: a
// `thread_local std::mt19937_64` is 2.5 KB in each of the API server's ~170 threads. Here each
// thread holds only a pointer, and the generator is allocated on the thread's first draw.
// Thread-safe: each thread gets its own generator.
#pragma once

#include <cstdint>
#include <random>

namespace bosun {

// This thread's generator, seeded from std::random_device on first use.
std::mt19937_64& thread_random();

}  // namespace bosun
