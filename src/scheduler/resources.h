// The resource vector the scheduler adds and compares (framework.Resource): cpu in millicores,
// memory and ephemeral-storage in bytes, a pod count, and scalar resources (extended resources such
// as example.com/gpu, hugepages-*). Used by PodInfo, NodeInfo and the NodeResourcesFit plugins.
// Plain values; not synchronised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun::scheduler {

// Kubernetes' scoring defaults for a container that requests nothing (schedutil
// DefaultMilliCPURequest, DefaultMemoryRequest), so that best-effort pods still spread.
inline constexpr int64_t kDefaultMilliCpuRequest = 100;
inline constexpr int64_t kDefaultMemoryRequest = 200 * 1024 * 1024;

struct Resources {
  int64_t milli_cpu = 0;
  int64_t memory = 0;
  int64_t ephemeral_storage = 0;
  int64_t pods = 0;  // allocatable pods on a node; unused in requests
  // Sorted by name; few entries, so a vector beats a map.
  std::vector<std::pair<std::string, int64_t>> scalar;

  int64_t scalar_value(std::string_view name) const;
  void add_scalar(std::string_view name, int64_t value);
  void add(const Resources& other);
  void subtract(const Resources& other);
  // Per resource, the larger of the two (Kubernetes' maxResourceList for init containers).
  void set_max(const Resources& other);
  bool operator==(const Resources&) const = default;
};

// Which resources a name counts as: the four named ones, or a scalar resource (an extended
// resource, hugepages-*, attachable-volumes-*). Other names in the native kubernetes.io namespace
// are ignored as Kubernetes' NewResource ignores them.
bool is_scalar_resource_name(std::string_view name);

// A ResourceList JSON object ({"cpu": "100m", "memory": "1Gi"}) added into `out`. `present_cpu` /
// `present_memory`, when given, tell whether the list named cpu / memory at all (the non-zero
// defaults apply only to a missing request, not to an explicit zero). BadRequest on a bad quantity.
Result<void> add_resource_list(const Json& list, Resources& out, bool* present_cpu = nullptr,
                               bool* present_memory = nullptr);

}  // namespace bosun::scheduler
