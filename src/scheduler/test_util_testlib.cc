#include "scheduler/test_util.h"

#include <cstdio>
#include <cstdlib>

namespace bosun::scheduler::testing {

Json pod_json(const std::string& name, const std::string& cpu, const std::string& memory) {
  Json requests = Json::object();
  if (!cpu.empty()) requests["cpu"] = cpu;
  if (!memory.empty()) requests["memory"] = memory;
  Json container = {{"name", "c"}, {"image", "busybox"}};
  if (!requests.empty()) container["resources"] = {{"requests", requests}};
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", "default"}, {"uid", name}}},
          {"spec", {{"containers", Json::array({container})}}}};
}

Json node_json(const std::string& name, const std::string& cpu, const std::string& memory,
               int pods) {
  return {{"apiVersion", "v1"},
          {"kind", "Node"},
          {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}},
          {"status",
           {{"allocatable", {{"cpu", cpu}, {"memory", memory}, {"pods", std::to_string(pods)}}},
            {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}}}};
}

std::shared_ptr<const PodInfo> pod(const Json& json) {
  auto r = decode_pod(json);
  if (!r.ok()) {
    std::fprintf(stderr, "decode_pod: %s\n", r.error().message.c_str());
    std::abort();
  }
  return *r;
}

std::shared_ptr<const Node> node(const Json& json) {
  auto r = decode_node(json);
  if (!r.ok()) {
    std::fprintf(stderr, "decode_node: %s\n", r.error().message.c_str());
    std::abort();
  }
  return *r;
}

std::shared_ptr<const NodeInfo> node_info(const Json& node_object, const std::vector<Json>& pods) {
  auto info = std::make_shared<NodeInfo>(node(node_object));
  for (Json p : pods) {
    p["spec"]["nodeName"] = info->name();
    info->add_pod(pod(p));
  }
  return info;
}

Snapshot snapshot(const std::vector<std::shared_ptr<const NodeInfo>>& nodes) {
  return Snapshot::from(nodes);
}

}  // namespace bosun::scheduler::testing
