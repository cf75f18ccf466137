#include "apiserver/ip_allocator.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace bosun::apiserver {

namespace {

// calculateRangeOffset: the static band is size/step clamped to [lo, hi].
uint64_t static_band(uint64_t size, uint64_t step, uint64_t lo, uint64_t hi) {
  if (size < lo) return 0;
  return std::clamp<uint64_t>(size / step, lo, hi);
}

}  // namespace

RangeAllocator::RangeAllocator(uint64_t base, uint64_t size, uint64_t band, uint64_t seed)
    : base_(base), size_(size), static_band_(band), used_(size, false), rng_(seed) {}

RangeAllocator::AllocateResult RangeAllocator::allocate(uint64_t value) {
  if (!contains(value)) return AllocateResult::kOutOfRange;
  std::lock_guard lock(mu_);
  size_t i = value - base_;
  if (used_[i]) return AllocateResult::kAllocated;
  used_[i] = true;
  ++count_;
  return AllocateResult::kOk;
}

std::optional<uint64_t> RangeAllocator::find_free_locked(uint64_t from, uint64_t to) {
  if (from >= to) return std::nullopt;
  // A random start, then a linear scan, as the bitmap allocator's random scan strategy does.
  uint64_t start = from + std::uniform_int_distribution<uint64_t>(0, to - from - 1)(rng_);
  for (uint64_t n = 0; n < to - from; ++n) {
    uint64_t i = start + n;
    if (i >= to) i -= (to - from);
    if (!used_[i]) return i;
  }
  return std::nullopt;
}

std::optional<uint64_t> RangeAllocator::allocate_next() {
  std::lock_guard lock(mu_);
  if (count_ >= size_) return std::nullopt;
  auto i = find_free_locked(static_band_, size_);
  if (!i) i = find_free_locked(0, std::min(static_band_, size_));
  if (!i) return std::nullopt;
  used_[*i] = true;
  ++count_;
  return base_ + *i;
}

void RangeAllocator::release(uint64_t value) {
  if (!contains(value)) return;
  std::lock_guard lock(mu_);
  size_t i = value - base_;
  if (used_[i]) {
    used_[i] = false;
    --count_;
  }
}

bool RangeAllocator::has(uint64_t value) const {
  if (!contains(value)) return false;
  std::lock_guard lock(mu_);
  return used_[value - base_];
}

size_t RangeAllocator::used() const {
  std::lock_guard lock(mu_);
  return count_;
}

bool Ipv4Cidr::contains(uint32_t ip) const {
  if (prefix == 0) return true;
  uint32_t mask = prefix == 32 ? 0xffffffffu : ~((1u << (32 - prefix)) - 1);
  return (ip & mask) == network;
}

std::string Ipv4Cidr::to_string() const {
  return fmt::format("{}/{}", format_ipv4(network), prefix);
}

std::optional<uint32_t> parse_ipv4(std::string_view text) {
  uint32_t out = 0;
  for (int part = 0; part < 4; ++part) {
    size_t dot = text.find('.');
    std::string_view octet = part == 3 ? text : text.substr(0, dot);
    if (part < 3 && dot == std::string_view::npos) return std::nullopt;
    if (octet.empty() || octet.size() > 3) return std::nullopt;
    // Go's netip parser rejects leading zeros, as Kubernetes' validation does.
    if (octet.size() > 1 && octet[0] == '0') return std::nullopt;
    unsigned v = 0;
    auto [p, ec] = std::from_chars(octet.data(), octet.data() + octet.size(), v);
    if (ec != std::errc() || p != octet.data() + octet.size() || v > 255) return std::nullopt;
    out = (out << 8) | v;
    if (part < 3) text = text.substr(dot + 1);
  }
  return out;
}

std::string format_ipv4(uint32_t ip) {
  return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

Result<Ipv4Cidr> parse_ipv4_cidr(std::string_view text) {
  size_t slash = text.find('/');
  auto bad = [&] {
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("invalid service CIDR {}: an IPv4 CIDR such as 10.43.0.0/16 is "
                                  "required",
                                  text));
  };
  if (slash == std::string_view::npos) return bad();
  auto ip = parse_ipv4(text.substr(0, slash));
  int prefix = 0;
  std::string_view p = text.substr(slash + 1);
  auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
  if (!ip || ec != std::errc() || end != p.data() + p.size() || prefix < 8 || prefix > 30) {
    return bad();
  }
  Ipv4Cidr c;
  c.prefix = prefix;
  c.network = *ip & ~((1u << (32 - prefix)) - 1);
  return c;
}

ClusterIpAllocator::ClusterIpAllocator(Ipv4Cidr cidr, uint64_t seed)
    // ClusterIPs: a band of size/16, between 16 and 256 addresses.
    : cidr_(cidr),
      range_(cidr.network + 1, cidr.size() - 2, static_band(cidr.size() - 2, 16, 16, 256), seed) {}

Result<std::unique_ptr<ClusterIpAllocator>> ClusterIpAllocator::create(std::string_view cidr,
                                                                       uint64_t seed) {
  BOSUN_ASSIGN_OR_RETURN(Ipv4Cidr c, parse_ipv4_cidr(cidr));
  return std::unique_ptr<ClusterIpAllocator>(new ClusterIpAllocator(c, seed));
}

std::string ClusterIpAllocator::first_address() const { return format_ipv4(cidr_.network + 1); }

Result<void> ClusterIpAllocator::allocate(std::string_view ip) {
  auto v = parse_ipv4(ip);
  if (!v || !range_.contains(*v)) {
    return make_error(ErrorCode::kInvalid,
                      fmt::format("the provided IP ({}) is not in the valid range. The range of "
                                  "valid IPs is {}",
                                  ip, cidr_.to_string()));
  }
  switch (range_.allocate(*v)) {
    case RangeAllocator::AllocateResult::kOk:
      return ok_result();
    case RangeAllocator::AllocateResult::kAllocated:
      return make_error(ErrorCode::kInvalid, "provided IP is already allocated");
    case RangeAllocator::AllocateResult::kOutOfRange:
      break;
  }
  return make_error(ErrorCode::kInvalid,
                    fmt::format("the provided IP ({}) is not in the valid range. The range of "
                                "valid IPs is {}",
                                ip, cidr_.to_string()));
}

Result<std::string> ClusterIpAllocator::allocate_next() {
  auto v = range_.allocate_next();
  if (!v) return make_error(ErrorCode::kInternal, "range is full");
  return format_ipv4(static_cast<uint32_t>(*v));
}

void ClusterIpAllocator::release(std::string_view ip) {
  if (auto v = parse_ipv4(ip)) range_.release(*v);
}

bool ClusterIpAllocator::has(std::string_view ip) const {
  auto v = parse_ipv4(ip);
  return v && range_.has(*v);
}

NodePortAllocator::NodePortAllocator(int min, int max, uint64_t seed)
    // NodePorts: a band of size/32, between 16 and 128 ports.
    : min_(min),
      max_(max),
      range_(static_cast<uint64_t>(min), static_cast<uint64_t>(max - min + 1),
             static_band(static_cast<uint64_t>(max - min + 1), 32, 16, 128), seed) {}

Result<void> NodePortAllocator::allocate(int port) {
  switch (range_.allocate(static_cast<uint64_t>(port))) {
    case RangeAllocator::AllocateResult::kOk:
      return ok_result();
    case RangeAllocator::AllocateResult::kAllocated:
      return make_error(ErrorCode::kInvalid, "provided port is already allocated");
    case RangeAllocator::AllocateResult::kOutOfRange:
      break;
  }
  return make_error(ErrorCode::kInvalid,
                    fmt::format("provided port is not in the valid range. The range of valid "
                                "ports is {}-{}",
                                min_, max_));
}

Result<int> NodePortAllocator::allocate_next() {
  auto v = range_.allocate_next();
  if (!v) return make_error(ErrorCode::kInternal, "range is full");
  return static_cast<int>(*v);
}

void NodePortAllocator::release(int port) {
  if (port >= min_ && port <= max_) range_.release(static_cast<uint64_t>(port));
}

bool NodePortAllocator::has(int port) const {
  return port >= min_ && port <= max_ && range_.has(static_cast<uint64_t>(port));
}

}  // namespace bosun::apiserver
