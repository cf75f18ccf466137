// Builders of pods, nodes and snapshots for the scheduler's unit tests and benchmarks: v1 JSON in,
// decoded views out (decoding failures abort the test program). Not thread-safe; test code only.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/json.h"
#include "scheduler/cache.h"
#include "scheduler/node_info.h"
#include "scheduler/pod_info.h"

namespace bosun::scheduler::testing {

// A pod in namespace "default" (uid = name) with one container requesting cpu/memory (empty: no
// request).
Json pod_json(const std::string& name, const std::string& cpu = "", const std::string& memory = "");
// A node with allocatable cpu, memory and pods, labelled kubernetes.io/hostname=<name>.
Json node_json(const std::string& name, const std::string& cpu = "4",
               const std::string& memory = "32Gi", int pods = 110);

std::shared_ptr<const PodInfo> pod(const Json& json);
std::shared_ptr<const Node> node(const Json& json);
// A NodeInfo holding `pods` (bound to it).
std::shared_ptr<const NodeInfo> node_info(const Json& node, const std::vector<Json>& pods = {});
Snapshot snapshot(const std::vector<std::shared_ptr<const NodeInfo>>& nodes);

}  // namespace bosun::scheduler::testing
