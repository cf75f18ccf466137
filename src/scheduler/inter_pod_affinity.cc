// InterPodAffinity: required pod affinity and anti-affinity (both the incoming pod's and existing
// pods' anti-affinity against it) filter; preferred terms, and existing pods' terms towards the
// incoming pod, score.
#include <cmath>
#include <limits>
#include <string>

#include "scheduler/plugins.h"
#include "scheduler/topology_counts.h"

namespace bosun::scheduler {
namespace {

struct AffinityFilterState : PluginState {
  TopologyCounts existing_anti_affinity;  // pairs where an existing pod's anti-affinity selects us
  TopologyCounts affinity;       // pairs with pods matching all our required affinity terms
  TopologyCounts anti_affinity;  // pairs with pods our required anti-affinity terms select
};

struct AffinityScoreState : PluginState {
  TopologyCounts scores;
};

const api::Labels* labels_of(const Snapshot& snapshot, std::string_view ns) {
  return snapshot.namespace_labels(ns);
}

bool pod_matches_all_terms(const std::vector<AffinityTerm>& terms, const PodInfo& pod,
                           const api::Labels* ns_labels) {
  if (terms.empty()) return false;
  for (const AffinityTerm& t : terms) {
    if (!t.matches(pod.ns, pod.labels, ns_labels)) return false;
  }
  return true;
}

void add_if_labelled(TopologyCounts& counts, const NodeInfo& node, const std::string& key,
                     int64_t n) {
  auto it = node.labels().find(key);
  if (it != node.labels().end()) counts.add(key, it->second, n);
}

}  // namespace

Status InterPodAffinityPlugin::pre_filter(CycleState& state, const PodInfo& pod,
                                          const Snapshot& snapshot) {
  if (pod.required_affinity.empty() && pod.required_anti_affinity.empty() &&
      snapshot.have_pods_with_required_anti_affinity().empty()) {
    return Status::skip();
  }
  auto& s = state.get_or_create<AffinityFilterState>(filter_slot());
  s.existing_anti_affinity.clear();
  s.affinity.clear();
  s.anti_affinity.clear();
  const api::Labels* own_ns_labels = labels_of(snapshot, pod.ns);
  for (const NodeInfo* node : snapshot.have_pods_with_required_anti_affinity()) {
    for (const auto& existing : node->pods()) {
      for (const AffinityTerm& term : existing->required_anti_affinity) {
        if (term.matches(pod.ns, pod.labels, own_ns_labels)) {
          add_if_labelled(s.existing_anti_affinity, *node, term.topology_key, 1);
        }
      }
    }
  }
  if (pod.required_affinity.empty() && pod.required_anti_affinity.empty()) return {};
  for (const auto& node : snapshot.nodes()) {
    for (const auto& existing : node->pods()) {
      const api::Labels* ns_labels = labels_of(snapshot, existing->ns);
      // Affinity counts a pod only when it matches every required term (updateWithAffinityTerms).
      if (pod_matches_all_terms(pod.required_affinity, *existing, ns_labels)) {
        for (const AffinityTerm& term : pod.required_affinity) {
          add_if_labelled(s.affinity, *node, term.topology_key, 1);
        }
      }
      for (const AffinityTerm& term : pod.required_anti_affinity) {
        if (term.matches(existing->ns, existing->labels, ns_labels)) {
          add_if_labelled(s.anti_affinity, *node, term.topology_key, 1);
        }
      }
    }
  }
  // The pod may be the first of a group with affinity to itself: remember whether it matches its
  // own terms (checked in filter when no other pod matches).
  return {};
}

Status InterPodAffinityPlugin::filter(const CycleState& state, const PodInfo& pod,
                                      const NodeInfo& node) const {
  const auto* s = state.get<AffinityFilterState>(filter_slot());
  if (s == nullptr) return {};
  const api::Labels& labels = node.labels();

  bool pods_exist = true;
  for (const AffinityTerm& term : pod.required_affinity) {
    auto it = labels.find(term.topology_key);
    if (it == labels.end()) {
      return Status(Code::kUnschedulableAndUnresolvable, std::string(kReasonAffinityRules));
    }
    if (s->affinity.get(term.topology_key, it->second) <= 0) pods_exist = false;
  }
  if (!pods_exist) {
    // No pod matches yet anywhere, and the pod matches its own terms: let the first of a group
    // with affinity to itself schedule instead of pending forever (satisfyPodAffinity).
    bool first_of_group =
        s->affinity.empty() && pod_matches_all_terms(pod.required_affinity, pod, nullptr);
    if (!first_of_group) {
      return Status(Code::kUnschedulableAndUnresolvable, std::string(kReasonAffinityRules));
    }
  }

  if (!s->anti_affinity.empty()) {
    for (const AffinityTerm& term : pod.required_anti_affinity) {
      auto it = labels.find(term.topology_key);
      if (it != labels.end() && s->anti_affinity.get(term.topology_key, it->second) > 0) {
        return Status(Code::kUnschedulable, std::string(kReasonAntiAffinityRules));
      }
    }
  }

  if (!s->existing_anti_affinity.empty()) {
    for (const auto& [key, value] : labels) {
      if (s->existing_anti_affinity.get(key, value) > 0) {
        return Status(Code::kUnschedulable, std::string(kReasonExistingAntiAffinityRules));
      }
    }
  }
  return {};
}

Status InterPodAffinityPlugin::pre_score(CycleState& state, const PodInfo& pod,
                                         const Snapshot& snapshot,
                                         std::span<const NodeInfo* const>) {
  const bool has_constraints =
      !pod.preferred_affinity.empty() || !pod.preferred_anti_affinity.empty();
  auto& s = state.get_or_create<AffinityScoreState>(score_slot());
  s.scores.clear();
  const api::Labels* own_ns_labels = labels_of(snapshot, pod.ns);

  auto process = [&](const NodeInfo& node, const PodInfo& existing) {
    if (node.labels().empty()) return;
    const api::Labels* existing_ns_labels = labels_of(snapshot, existing.ns);
    auto add_terms = [&](const std::vector<WeightedAffinityTerm>& terms, const PodInfo& target,
                         const api::Labels* target_ns_labels, int64_t sign) {
      for (const WeightedAffinityTerm& t : terms) {
        if (t.term.matches(target.ns, target.labels, target_ns_labels)) {
          add_if_labelled(s.scores, node, t.term.topology_key, t.weight * sign);
        }
      }
    };
    add_terms(pod.preferred_affinity, existing, existing_ns_labels, 1);
    add_terms(pod.preferred_anti_affinity, existing, existing_ns_labels, -1);
    if (hard_pod_affinity_weight_ > 0) {
      for (const AffinityTerm& term : existing.required_affinity) {
        if (term.matches(pod.ns, pod.labels, own_ns_labels)) {
          add_if_labelled(s.scores, node, term.topology_key, hard_pod_affinity_weight_);
        }
      }
    }
    add_terms(existing.preferred_affinity, pod, own_ns_labels, 1);
    add_terms(existing.preferred_anti_affinity, pod, own_ns_labels, -1);
  };

  // Unless the incoming pod has preferences, only pods with affinity terms can contribute.
  if (has_constraints) {
    for (const auto& node : snapshot.nodes()) {
      for (const auto& existing : node->pods()) process(*node, *existing);
    }
  } else {
    for (const NodeInfo* node : snapshot.have_pods_with_affinity()) {
      for (const auto& existing : node->pods()) {
        if (existing->has_affinity_terms()) process(*node, *existing);
      }
    }
  }
  return s.scores.empty() ? Status::skip() : Status();
}

int64_t InterPodAffinityPlugin::score(const CycleState& state, const PodInfo&,
                                      const NodeInfo& node) const {
  const auto* s = state.get<AffinityScoreState>(score_slot());
  if (s == nullptr) return 0;
  int64_t total = 0;
  for (const auto& [key, values] : s->scores.by_key()) {
    auto label = node.labels().find(key);
    if (label == node.labels().end()) continue;
    auto v = values.find(label->second);
    if (v != values.end()) total += v->second;
  }
  return total;
}

void InterPodAffinityPlugin::normalize(const CycleState&, const PodInfo&,
                                       std::span<NodeScore> scores) const {
  int64_t min_count = std::numeric_limits<int64_t>::max();
  int64_t max_count = std::numeric_limits<int64_t>::min();
  for (const NodeScore& s : scores) {
    min_count = std::min(min_count, s.score);
    max_count = std::max(max_count, s.score);
  }
  const int64_t diff = max_count - min_count;
  for (NodeScore& s : scores) {
    double f = 0;
    if (diff > 0) {
      f = static_cast<double>(kMaxNodeScore) *
          (static_cast<double>(s.score - min_count) / static_cast<double>(diff));
    }
    s.score = static_cast<int64_t>(f);
  }
}

}  // namespace bosun::scheduler
