#include "scheduler/node_info.h"

#include <algorithm>

namespace bosun::scheduler {
namespace {

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

const Json* find(const Json& obj, const char* key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string string_or_empty(const Json& obj, const char* key) {
  const Json* v = find(obj, key);
  return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
}

Result<std::shared_ptr<const Node>> decode_node_unchecked(const Json& json) {
  if (!json.is_object()) return bad("node: expected an object");
  auto node = std::make_shared<Node>();
  const Json* meta = find(json, "metadata");
  if (meta == nullptr || !meta->is_object()) return bad("node: metadata must be an object");
  node->name = string_or_empty(*meta, "name");
  if (node->name.empty()) return bad("node: metadata.name is required");
  if (const Json* labels = find(*meta, "labels")) {
    BOSUN_ASSIGN_OR_RETURN(node->labels, api::labels_from_json(*labels));
    if (auto zone = node->labels.find(kLabelZone); zone != node->labels.end()) {
      node->has_zone = true;
      node->zone = zone->second;
    }
  }
  if (const Json* spec = find(json, "spec")) {
    if (const Json* u = find(*spec, "unschedulable")) {
      if (!u->is_boolean()) return bad("spec.unschedulable: expected a boolean");
      node->unschedulable = u->get<bool>();
    }
    if (const Json* taints = find(*spec, "taints")) {
      if (!taints->is_array()) return bad("spec.taints: expected an array");
      for (const Json& t : *taints) {
        if (!t.is_object()) return bad("spec.taints: expected objects");
        Taint taint;
        taint.key = string_or_empty(t, "key");
        taint.value = string_or_empty(t, "value");
        std::string effect = string_or_empty(t, "effect");
        if (effect == "NoSchedule") {
          taint.effect = TaintEffect::kNoSchedule;
        } else if (effect == "PreferNoSchedule") {
          taint.effect = TaintEffect::kPreferNoSchedule;
        } else if (effect == "NoExecute") {
          taint.effect = TaintEffect::kNoExecute;
        }
        node->taints.push_back(std::move(taint));
      }
    }
  }
  if (const Json* status = find(json, "status")) {
    const Json* allocatable = find(*status, "allocatable");
    if (allocatable == nullptr) allocatable = find(*status, "capacity");
    if (allocatable != nullptr)
      BOSUN_RETURN_IF_ERROR(add_resource_list(*allocatable, node->allocatable));
    if (const Json* conditions = find(*status, "conditions");
        conditions && conditions->is_array()) {
      for (const Json& c : *conditions) {
        if (string_or_empty(c, "type") == "Ready")
          node->ready = string_or_empty(c, "status") == "True";
      }
    }
    if (const Json* images = find(*status, "images"); images && images->is_array()) {
      for (const Json& image : *images) {
        const Json* names = find(image, "names");
        if (names == nullptr || !names->is_array()) continue;
        for (const Json& n : *names) {
          if (n.is_string()) node->images.push_back(n.get<std::string>());
        }
      }
    }
  }
  return std::shared_ptr<const Node>(std::move(node));
}

}  // namespace

Result<std::shared_ptr<const Node>> decode_node(const Json& node) {
  try {
    return decode_node_unchecked(node);
  } catch (const std::exception& e) {
    return bad(std::string("node: ") + e.what());
  }
}

bool node_scheduling_changed(const Node& before, const Node& after) {
  return before.allocatable != after.allocatable || before.labels != after.labels ||
         before.taints != after.taints || before.unschedulable != after.unschedulable ||
         before.ready != after.ready;
}

void NodeInfo::add_pod(std::shared_ptr<const PodInfo> pod) {
  requested_.add(pod->requests);
  non_zero_milli_cpu_ += pod->non_zero_milli_cpu;
  non_zero_memory_ += pod->non_zero_memory;
  used_ports_.insert(used_ports_.end(), pod->host_ports.begin(), pod->host_ports.end());
  if (pod->has_affinity_terms()) ++pods_with_affinity_;
  if (!pod->required_anti_affinity.empty()) ++pods_with_required_anti_affinity_;
  pods_.push_back(std::move(pod));
}

bool NodeInfo::remove_pod(std::string_view uid) {
  auto it = std::find_if(pods_.begin(), pods_.end(), [&](const auto& p) { return p->uid == uid; });
  if (it == pods_.end()) return false;
  const PodInfo& pod = **it;
  requested_.subtract(pod.requests);
  non_zero_milli_cpu_ -= pod.non_zero_milli_cpu;
  non_zero_memory_ -= pod.non_zero_memory;
  for (const HostPort& hp : pod.host_ports) {
    auto used = std::find(used_ports_.begin(), used_ports_.end(), hp);
    if (used != used_ports_.end()) used_ports_.erase(used);
  }
  if (pod.has_affinity_terms()) --pods_with_affinity_;
  if (!pod.required_anti_affinity.empty()) --pods_with_required_anti_affinity_;
  pods_.erase(it);
  return true;
}

}  // namespace bosun::scheduler
