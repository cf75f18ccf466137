// PodInfo: the scheduler's compact, typed view of a core/v1 Pod, decoded once from the API's JSON
// (an informer hands the JSON over; nothing on the scheduling hot path touches JSON again). Holds
// what the filter and score plugins read: requests computed as Kubernetes' resourcehelper does,
// host ports, node selection, pod (anti-)affinity terms, tolerations, topology spread constraints.
// Immutable once decoded and shared as std::shared_ptr<const PodInfo>: safe to read from any
// thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/label_selector.h"
#include "api/labels.h"
#include "common/json.h"
#include "common/result.h"
#include "scheduler/node_selector.h"
#include "scheduler/resources.h"
#include "scheduler/taints.h"

namespace bosun::scheduler {

inline constexpr std::string_view kDefaultSchedulerName = "default-scheduler";
inline constexpr std::string_view kLabelHostname = "kubernetes.io/hostname";
inline constexpr std::string_view kLabelZone = "topology.kubernetes.io/zone";

// One hostPort a pod claims on its node. ip "0.0.0.0" (also what an empty hostIP means) conflicts
// with every address, as Kubernetes' HostPortInfo does.
struct HostPort {
  std::string ip;
  std::string protocol;  // TCP (the default), UDP, SCTP
  int32_t port = 0;
  bool conflicts_with(const HostPort& other) const;
  bool operator==(const HostPort&) const = default;
};

// Looks up a namespace's labels for namespaceSelector (nullptr: unknown namespace, no labels).
using NamespaceLabels = std::function<const api::Labels*(std::string_view ns)>;

// A PodAffinityTerm with its namespaces resolved as Kubernetes' framework.AffinityTerm: an empty
// namespaces list and no namespaceSelector mean the pod's own namespace; matchLabelKeys and
// mismatchLabelKeys are already merged into the selector.
struct AffinityTerm {
  api::LabelSelector selector;
  std::vector<std::string> namespaces;                   // sorted
  std::optional<api::LabelSelector> namespace_selector;  // set and non-nothing: also these
  std::string topology_key;

  // Whether `pod_labels` in `pod_namespace` is selected by this term.
  bool matches(std::string_view pod_namespace, const api::Labels& pod_labels,
               const api::Labels* namespace_labels) const;
  bool namespace_matches(std::string_view pod_namespace, const api::Labels* namespace_labels) const;
};

struct WeightedAffinityTerm {
  int32_t weight = 0;
  AffinityTerm term;
};

enum class NodeInclusionPolicy : uint8_t { kHonor, kIgnore };

struct TopologySpreadConstraint {
  int32_t max_skew = 1;
  std::string topology_key;
  bool do_not_schedule = true;  // whenUnsatisfiable: DoNotSchedule; false = ScheduleAnyway
  api::LabelSelector selector;
  int32_t min_domains = 1;
  // Kubernetes' defaults: nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore.
  NodeInclusionPolicy node_affinity_policy = NodeInclusionPolicy::kHonor;
  NodeInclusionPolicy node_taints_policy = NodeInclusionPolicy::kIgnore;
};

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
};

struct PodInfo {
  std::string ns;
  std::string name;
  std::string uid;
  std::string node_name;
  std::string scheduler_name;
  api::Labels labels;
  int32_t priority = 0;
  bool terminating = false;  // metadata.deletionTimestamp is set

  // resourcehelper.PodRequests: containers summed, the max with each init container (restartable
  // init containers, i.e. sidecars, add up and stay), plus spec.overhead.
  Resources requests;
  // The same with 100m cpu / 200Mi memory for each container that names no request: what the
  // scoring plugins and NodeInfo.NonZeroRequested use.
  int64_t non_zero_milli_cpu = 0;
  int64_t non_zero_memory = 0;

  std::vector<HostPort> host_ports;
  api::Labels node_selector;  // spec.nodeSelector
  std::optional<NodeSelector> required_node_affinity;
  std::vector<PreferredSchedulingTerm> preferred_node_affinity;
  std::vector<AffinityTerm> required_affinity;
  std::vector<AffinityTerm> required_anti_affinity;
  std::vector<WeightedAffinityTerm> preferred_affinity;
  std::vector<WeightedAffinityTerm> preferred_anti_affinity;
  std::vector<Toleration> tolerations;
  std::vector<TopologySpreadConstraint> topology_spread;
  std::optional<OwnerReference> controller;  // the ownerReference with controller: true
  std::vector<std::string> images;

  std::string key() const { return ns + "/" + name; }
  bool has_affinity_terms() const {
    return !required_affinity.empty() || !required_anti_affinity.empty() ||
           !preferred_affinity.empty() || !preferred_anti_affinity.empty();
  }
  // spec.nodeSelector and the required node affinity together (GetRequiredNodeAffinity).
  bool matches_node_selection(std::string_view node_name, const api::Labels& node_labels) const;
};

// Decodes a v1 Pod. BadRequest on a malformed object (a field of the wrong type, a bad quantity or
// label selector); never throws.
Result<std::shared_ptr<const PodInfo>> decode_pod(const Json& pod);

}  // namespace bosun::scheduler
