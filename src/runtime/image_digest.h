// SHA-256 content digests ("sha256:<hex>") for the image store, the importer and the puller, over
// OpenSSL's EVP interface. A Sha256 object belongs to one thread; the free functions are pure.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bosun::runtime {

// Streaming SHA-256: update() any number of times, then digest() once.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&&) noexcept;
  Sha256& operator=(Sha256&&) noexcept;

  void update(const void* data, size_t size);
  void update(std::string_view data) { update(data.data(), data.size()); }
  // "sha256:<64 lowercase hex>"; the object may not be updated afterwards.
  std::string digest();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

std::string sha256_digest(std::string_view data);

// The hex part of a valid "sha256:<hex>" digest; kBadRequest for anything else (the store holds
// only sha256 content, as containerd does by default).
Result<std::string> sha256_hex(std::string_view digest);

// OCI chain IDs: ChainID(L0) = DiffID(L0), ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
// One entry per layer; the last names the whole stack.
std::vector<std::string> chain_ids(const std::vector<std::string>& diff_ids);

}  // namespace bosun::runtime
