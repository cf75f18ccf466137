// NodeResourcesFit (filter and LeastAllocated score) and NodeResourcesBalancedAllocation.
#include <cmath>
#include <string>

#include "scheduler/plugins.h"

namespace bosun::scheduler {

Status NodeResourcesFitPlugin::filter(const CycleState&, const PodInfo& pod,
                                      const NodeInfo& node) const {
  const Resources& alloc = node.node()->allocatable;
  const Resources& used = node.requested();
  const Resources& want = pod.requests;
  // Every insufficient resource is reported (fitsRequest keeps them all); the node is
  // unresolvable when the pod asks for more than the node's whole allocatable, since evicting
  // other pods cannot help then.
  std::vector<std::string> reasons;
  bool unresolvable = false;
  if (static_cast<int64_t>(node.pods().size()) + 1 > alloc.pods) {
    reasons.emplace_back(kReasonTooManyPods);
  }
  // The reason is built only for a node that fails: this runs for every node of every cycle.
  auto check = [&](int64_t request, int64_t allocatable, int64_t requested,
                   std::string_view resource) {
    if (request > 0 && request > allocatable - requested) {
      reasons.push_back("Insufficient " + std::string(resource));
      if (request > allocatable) unresolvable = true;
    }
  };
  if (want.milli_cpu != 0 || want.memory != 0 || want.ephemeral_storage != 0 ||
      !want.scalar.empty()) {
    check(want.milli_cpu, alloc.milli_cpu, used.milli_cpu, "cpu");
    check(want.memory, alloc.memory, used.memory, "memory");
    check(want.ephemeral_storage, alloc.ephemeral_storage, used.ephemeral_storage,
          "ephemeral-storage");
    for (const auto& [name, quantity] : want.scalar) {
      if (quantity == 0) continue;
      check(quantity, alloc.scalar_value(name), used.scalar_value(name), name);
    }
  }
  if (reasons.empty()) return {};
  return Status(unresolvable ? Code::kUnschedulableAndUnresolvable : Code::kUnschedulable,
                std::move(reasons));
}

namespace {
int64_t least_requested_score(int64_t requested, int64_t capacity) {
  if (capacity == 0 || requested > capacity) return 0;
  return (capacity - requested) * kMaxNodeScore / capacity;
}
}  // namespace

int64_t NodeResourcesFitPlugin::score(const CycleState&, const PodInfo& pod,
                                      const NodeInfo& node) const {
  // LeastAllocated over cpu and memory with weight 1 each, on non-zero requests so that pods
  // without requests still spread.
  const Resources& alloc = node.node()->allocatable;
  int64_t total = 0;
  int64_t weights = 0;
  if (alloc.milli_cpu != 0) {
    total +=
        least_requested_score(node.non_zero_milli_cpu() + pod.non_zero_milli_cpu, alloc.milli_cpu);
    ++weights;
  }
  if (alloc.memory != 0) {
    total += least_requested_score(node.non_zero_memory() + pod.non_zero_memory, alloc.memory);
    ++weights;
  }
  return weights == 0 ? 0 : total / weights;
}

Status BalancedAllocationPlugin::pre_score(CycleState&, const PodInfo& pod, const Snapshot&,
                                           std::span<const NodeInfo* const>) {
  // Best-effort pods are not balanced: scoring them would pile them onto one node (Kubernetes
  // issue 129138).
  if (pod.requests.milli_cpu == 0 && pod.requests.memory == 0) return Status::skip();
  return {};
}

int64_t BalancedAllocationPlugin::score(const CycleState&, const PodInfo& pod,
                                        const NodeInfo& node) const {
  // 1 - the standard deviation of the requested fractions (cpu and memory, on actual requests);
  // with two resources that is |f1 - f2| / 2.
  const Resources& alloc = node.node()->allocatable;
  double fractions[2];
  int n = 0;
  auto add = [&](int64_t requested, int64_t allocatable) {
    if (allocatable == 0) return;
    double f = static_cast<double>(requested) / static_cast<double>(allocatable);
    fractions[n++] = f > 1 ? 1 : f;
  };
  add(node.requested().milli_cpu + pod.requests.milli_cpu, alloc.milli_cpu);
  add(node.requested().memory + pod.requests.memory, alloc.memory);
  double std_dev = n == 2 ? std::abs((fractions[0] - fractions[1]) / 2) : 0;
  return static_cast<int64_t>((1 - std_dev) * static_cast<double>(kMaxNodeScore));
}

}  // namespace bosun::scheduler
