// Bitmap allocators for Services, after Kubernetes' ipallocator and portallocator: ClusterIPs from
// the service CIDR (IPv4; the network and broadcast addresses are never handed out, and the first
// usable address is reserved for the `kubernetes` Service) and NodePorts from a port range. Dynamic
// allocations are random, from the upper band of the range first, so that statically requested
// low addresses (kube-dns' 10.43.0.10) rarely collide, as Kubernetes' allocator does. Thread-safe
// (one mutex each).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bosun::apiserver {

// A set of allocatable integers [base, base + size) with a reserved low band for static requests.
class RangeAllocator {
 public:
  // `static_band`: how many of the lowest values dynamic allocation leaves to static requests
  // while the rest of the range has room.
  RangeAllocator(uint64_t base, uint64_t size, uint64_t static_band, uint64_t seed);

  // Marks `value` used. Conflict ("already allocated") if it is; BadRequest if out of range.
  enum class AllocateResult { kOk, kAllocated, kOutOfRange };
  AllocateResult allocate(uint64_t value);
  // A free value, randomly chosen (upper band first); nullopt when the range is full.
  std::optional<uint64_t> allocate_next();
  void release(uint64_t value);
  bool has(uint64_t value) const;
  bool contains(uint64_t value) const { return value >= base_ && value < base_ + size_; }
  size_t used() const;
  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }

 private:
  std::optional<uint64_t> find_free_locked(uint64_t from, uint64_t to);

  const uint64_t base_;
  const uint64_t size_;
  const uint64_t static_band_;  // values below base_ + static_band_ are left for static requests
  mutable std::mutex mu_;       // guards everything below
  std::vector<bool> used_;
  size_t count_ = 0;
  std::mt19937_64 rng_;
};

// An IPv4 CIDR: "10.43.0.0/16".
struct Ipv4Cidr {
  uint32_t network = 0;
  int prefix = 0;
  uint32_t size() const { return prefix == 0 ? 0xffffffffu : (1u << (32 - prefix)); }
  bool contains(uint32_t ip) const;
  std::string to_string() const;
};

Result<Ipv4Cidr> parse_ipv4_cidr(std::string_view text);
std::optional<uint32_t> parse_ipv4(std::string_view text);
std::string format_ipv4(uint32_t ip);

// ClusterIPs: every address of the CIDR but the network and broadcast addresses.
class ClusterIpAllocator {
 public:
  static Result<std::unique_ptr<ClusterIpAllocator>> create(std::string_view cidr, uint64_t seed);

  // The first usable address, which the `kubernetes` Service gets ("10.43.0.1").
  std::string first_address() const;
  const Ipv4Cidr& cidr() const { return cidr_; }
  // Errors in the allocator's words: "provided IP is already allocated", "the provided IP (X) is
  // not in the valid range. The range of valid IPs is C", "range is full".
  Result<void> allocate(std::string_view ip);
  Result<std::string> allocate_next();
  void release(std::string_view ip);
  bool has(std::string_view ip) const;

 private:
  ClusterIpAllocator(Ipv4Cidr cidr, uint64_t seed);
  Ipv4Cidr cidr_;
  RangeAllocator range_;
};

// NodePorts in [min, max].
class NodePortAllocator {
 public:
  NodePortAllocator(int min, int max, uint64_t seed);
  // "provided port is already allocated", "provided port is not in the valid range. The range of
  // valid ports is 30000-32767", "range is full".
  Result<void> allocate(int port);
  Result<int> allocate_next();
  void release(int port);
  bool has(int port) const;
  int min() const { return min_; }
  int max() const { return max_; }

 private:
  int min_;
  int max_;
  RangeAllocator range_;
};

}  // namespace bosun::apiserver
