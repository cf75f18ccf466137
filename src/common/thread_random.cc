#include "common/thread_random.h"

#include <memory>

namespace bosun {

std::mt19937_64& thread_random() {
  thread_local std::unique_ptr<std::mt19937_64> rng;
  if (rng == nullptr) {
    std::random_device device;
    const uint64_t seed = (static_cast<uint64_t>(device()) << 32) ^ device();
    rng = std::make_unique<std::mt19937_64>(seed);
  }
  return *rng;
}

}  // namespace bosun
