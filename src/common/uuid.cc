#include "common/uuid.h"

#include <pthread.h>
#include <sys/random.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>

namespace bosun {
namespace {

// libuuid's uuid_generate_random made ~6 system calls per UUID (getrandom plus the getpid,
// getuid, gettid... of its seeding), one per created object. Here one getrandom fills a thread's
// buffer for 32 UUIDs; the bytes are still the kernel's CSPRNG output, never a PRNG's expansion,
// so UIDs stay as unguessable as Kubernetes'.
constexpr size_t kPoolBytes = 512;

// A child of fork() inherits its parent's buffers; without this it would hand out the UUIDs the
// parent hands out too.
std::atomic<uint64_t> fork_generation{0};

void after_fork_in_child() { fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct RandomPool {
  unsigned char bytes[kPoolBytes];
  size_t used = kPoolBytes;
  uint64_t generation = 0;
};

void fill(unsigned char* out, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = getrandom(out + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR) {
      // Only a kernel without getrandom (before 3.17) gets here: random_device reads
      // /dev/urandom instead.
      std::random_device device;
      for (; got < size; ++got) out[got] = static_cast<unsigned char>(device());
    }
  }
}

// The calling thread's pool; threads that never make a UUID hold only a null pointer (static TLS
// is paid by every thread at start, see common/thread_random.h).
RandomPool& thread_pool() {
  static const bool registered = pthread_atfork(nullptr, nullptr, after_fork_in_child) == 0;
  (void)registered;
  thread_local std::unique_ptr<RandomPool> pool;
  if (pool == nullptr) pool = std::make_unique<RandomPool>();
  return *pool;
}

}  // namespace

std::string new_uuid() {
  RandomPool& pool = thread_pool();
  const uint64_t generation = fork_generation.load(std::memory_order_relaxed);
  if (pool.used + 16 > kPoolBytes || pool.generation != generation) {
    fill(pool.bytes, kPoolBytes);
    pool.used = 0;
    pool.generation = generation;
  }
  unsigned char b[16];
  std::memcpy(b, pool.bytes + pool.used, 16);
  pool.used += 16;
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // variant 10 (RFC 9562)
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(36, '-');
  size_t pos = 0;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) ++pos;
    text[pos++] = kHex[b[i] >> 4];
    text[pos++] = kHex[b[i] & 0x0f];
  }
  return text;
}

}  // namespace bosun
