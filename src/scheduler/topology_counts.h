// Counts per topology pair (a node label key and value), the bookkeeping of InterPodAffinity and
// PodTopologySpread. Looked up by string_view so that filtering a node allocates nothing. Plain
// value; not synchronised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace bosun::scheduler {

struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, TransparentStringHash, std::equal_to<>>;

class TopologyCounts {
 public:
  void add(std::string_view key, std::string_view value, int64_t n) {
    auto k = counts_.find(key);
    if (k == counts_.end()) k = counts_.emplace(std::string(key), StringMap<int64_t>()).first;
    auto v = k->second.find(value);
    if (v == k->second.end()) v = k->second.emplace(std::string(value), 0).first;
    v->second += n;
    ++entries_;
  }
  int64_t get(std::string_view key, std::string_view value) const {
    auto k = counts_.find(key);
    if (k == counts_.end()) return 0;
    auto v = k->second.find(value);
    return v == k->second.end() ? 0 : v->second;
  }
  // True when nothing was ever added since clear().
  bool empty() const { return entries_ == 0; }
  void clear() {
    counts_.clear();
    entries_ = 0;
  }
  const StringMap<StringMap<int64_t>>& by_key() const { return counts_; }

 private:
  StringMap<StringMap<int64_t>> counts_;
  int64_t entries_ = 0;
};

}  // namespace bosun::scheduler
