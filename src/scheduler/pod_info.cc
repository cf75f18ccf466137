#include "scheduler/pod_info.h"

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

Result<std::string> get_string(const Json& obj, const char* key) {
  const Json* v = find(obj, key);
  if (v == nullptr) return std::string();
  if (!v->is_string()) return bad(std::string(key) + ": expected a string");
  return v->get<std::string>();
}

Result<int64_t> get_int(const Json& obj, const char* key, int64_t fallback) {
  const Json* v = find(obj, key);
  if (v == nullptr) return fallback;
  if (!v->is_number_integer()) return bad(std::string(key) + ": expected an integer");
  return v->get<int64_t>();
}

Result<const Json*> get_array(const Json& obj, const char* key) {
  const Json* v = find(obj, key);
  if (v != nullptr && !v->is_array()) return bad(std::string(key) + ": expected an array");
  return v;
}

TaintEffect parse_effect(std::string_view effect) {
  if (effect == "NoSchedule") return TaintEffect::kNoSchedule;
  if (effect == "PreferNoSchedule") return TaintEffect::kPreferNoSchedule;
  if (effect == "NoExecute") return TaintEffect::kNoExecute;
  return TaintEffect::kNone;
}

// matchLabelKeys / mismatchLabelKeys: `key in (v)` / `key notin (v)` for each key the pod carries,
// as Kubernetes merges them into the selector. Merging twice (if the API server already did) is
// harmless: the requirements are the same.
Result<api::LabelSelector> merge_label_keys(api::LabelSelector selector, const Json& term,
                                            const api::Labels& pod_labels) {
  std::vector<api::LabelRequirement> extra;
  for (const char* field : {"matchLabelKeys", "mismatchLabelKeys"}) {
    BOSUN_ASSIGN_OR_RETURN(const Json* keys, get_array(term, field));
    if (keys == nullptr) continue;
    for (const Json& k : *keys) {
      if (!k.is_string()) return bad(std::string(field) + ": expected strings");
      auto it = pod_labels.find(k.get_ref<const std::string&>());
      if (it == pod_labels.end()) continue;
      auto op = field[0] == 'm' && field[1] == 'a' ? api::SelectorOperator::kIn
                                                   : api::SelectorOperator::kNotIn;
      BOSUN_ASSIGN_OR_RETURN(auto req, api::LabelRequirement::create(it->first, op, {it->second}));
      extra.push_back(std::move(req));
    }
  }
  if (extra.empty() || selector.matches_nothing()) return selector;
  return selector.add(std::move(extra));
}

Result<AffinityTerm> decode_affinity_term(const Json& json, const PodInfo& pod) {
  if (!json.is_object()) return bad("podAffinityTerm: expected an object");
  AffinityTerm term;
  const Json* sel = find(json, "labelSelector");
  BOSUN_ASSIGN_OR_RETURN(term.selector, api::LabelSelector::from_json(sel ? *sel : Json()));
  BOSUN_ASSIGN_OR_RETURN(term.selector,
                         merge_label_keys(std::move(term.selector), json, pod.labels));
  BOSUN_ASSIGN_OR_RETURN(const Json* namespaces, get_array(json, "namespaces"));
  if (namespaces != nullptr) {
    for (const Json& ns : *namespaces) {
      if (!ns.is_string()) return bad("namespaces: expected strings");
      term.namespaces.push_back(ns.get<std::string>());
    }
  }
  const Json* ns_sel = find(json, "namespaceSelector");
  if (ns_sel != nullptr) {
    BOSUN_ASSIGN_OR_RETURN(auto s, api::LabelSelector::from_json(*ns_sel));
    term.namespace_selector = std::move(s);
  }
  if (term.namespaces.empty() && ns_sel == nullptr) term.namespaces.push_back(pod.ns);
  std::sort(term.namespaces.begin(), term.namespaces.end());
  BOSUN_ASSIGN_OR_RETURN(term.topology_key, get_string(json, "topologyKey"));
  return term;
}

Result<void> decode_pod_affinity(const Json& json, const PodInfo& pod,
                                 std::vector<AffinityTerm>& required,
                                 std::vector<WeightedAffinityTerm>& preferred) {
  BOSUN_ASSIGN_OR_RETURN(const Json* req,
                         get_array(json, "requiredDuringSchedulingIgnoredDuringExecution"));
  if (req != nullptr) {
    for (const Json& t : *req) {
      BOSUN_ASSIGN_OR_RETURN(auto term, decode_affinity_term(t, pod));
      required.push_back(std::move(term));
    }
  }
  BOSUN_ASSIGN_OR_RETURN(const Json* pref,
                         get_array(json, "preferredDuringSchedulingIgnoredDuringExecution"));
  if (pref != nullptr) {
    for (const Json& t : *pref) {
      WeightedAffinityTerm w;
      BOSUN_ASSIGN_OR_RETURN(int64_t weight, get_int(t, "weight", 0));
      w.weight = static_cast<int32_t>(weight);
      const Json* inner = find(t, "podAffinityTerm");
      BOSUN_ASSIGN_OR_RETURN(w.term, decode_affinity_term(inner ? *inner : Json::object(), pod));
      preferred.push_back(std::move(w));
    }
  }
  return {};
}

Result<void> decode_affinity(const Json& affinity, PodInfo& pod) {
  if (const Json* na = find(affinity, "nodeAffinity")) {
    if (const Json* req = find(*na, "requiredDuringSchedulingIgnoredDuringExecution")) {
      BOSUN_ASSIGN_OR_RETURN(auto sel, decode_node_selector(*req));
      pod.required_node_affinity = std::move(sel);
    }
    BOSUN_ASSIGN_OR_RETURN(const Json* pref,
                           get_array(*na, "preferredDuringSchedulingIgnoredDuringExecution"));
    if (pref != nullptr) {
      for (const Json& t : *pref) {
        PreferredSchedulingTerm p;
        BOSUN_ASSIGN_OR_RETURN(int64_t weight, get_int(t, "weight", 0));
        p.weight = static_cast<int32_t>(weight);
        const Json* preference = find(t, "preference");
        BOSUN_ASSIGN_OR_RETURN(p.preference,
                               decode_node_selector_term(preference ? *preference : Json()));
        pod.preferred_node_affinity.push_back(std::move(p));
      }
    }
  }
  if (const Json* pa = find(affinity, "podAffinity")) {
    BOSUN_RETURN_IF_ERROR(
        decode_pod_affinity(*pa, pod, pod.required_affinity, pod.preferred_affinity));
  }
  if (const Json* paa = find(affinity, "podAntiAffinity")) {
    BOSUN_RETURN_IF_ERROR(
        decode_pod_affinity(*paa, pod, pod.required_anti_affinity, pod.preferred_anti_affinity));
  }
  return {};
}

Result<void> decode_spread(const Json& list, PodInfo& pod) {
  for (const Json& c : list) {
    if (!c.is_object()) return bad("topologySpreadConstraints: expected objects");
    TopologySpreadConstraint tsc;
    BOSUN_ASSIGN_OR_RETURN(int64_t skew, get_int(c, "maxSkew", 1));
    tsc.max_skew = static_cast<int32_t>(skew);
    BOSUN_ASSIGN_OR_RETURN(tsc.topology_key, get_string(c, "topologyKey"));
    BOSUN_ASSIGN_OR_RETURN(std::string when, get_string(c, "whenUnsatisfiable"));
    tsc.do_not_schedule = when != "ScheduleAnyway";
    const Json* sel = find(c, "labelSelector");
    BOSUN_ASSIGN_OR_RETURN(tsc.selector, api::LabelSelector::from_json(sel ? *sel : Json()));
    BOSUN_ASSIGN_OR_RETURN(tsc.selector, merge_label_keys(std::move(tsc.selector), c, pod.labels));
    BOSUN_ASSIGN_OR_RETURN(int64_t min_domains, get_int(c, "minDomains", 1));
    tsc.min_domains = static_cast<int32_t>(min_domains);
    BOSUN_ASSIGN_OR_RETURN(std::string affinity_policy, get_string(c, "nodeAffinityPolicy"));
    if (affinity_policy == "Ignore") tsc.node_affinity_policy = NodeInclusionPolicy::kIgnore;
    BOSUN_ASSIGN_OR_RETURN(std::string taints_policy, get_string(c, "nodeTaintsPolicy"));
    if (taints_policy == "Honor") tsc.node_taints_policy = NodeInclusionPolicy::kHonor;
    pod.topology_spread.push_back(std::move(tsc));
  }
  return {};
}

// One container's requests into the pod's exact and non-zero sums (resourcehelper with and without
// NonMissingContainerRequests).
struct ContainerRequests {
  Resources exact;
  Resources non_zero;  // only milli_cpu and memory are read
};

Result<ContainerRequests> container_requests(const Json& container) {
  ContainerRequests out;
  const Json* resources = find(container, "resources");
  const Json* requests = resources ? find(*resources, "requests") : nullptr;
  bool has_cpu = false;
  bool has_memory = false;
  if (requests != nullptr) {
    BOSUN_RETURN_IF_ERROR(add_resource_list(*requests, out.exact, &has_cpu, &has_memory));
  }
  out.non_zero.milli_cpu = has_cpu ? out.exact.milli_cpu : kDefaultMilliCpuRequest;
  out.non_zero.memory = has_memory ? out.exact.memory : kDefaultMemoryRequest;
  return out;
}

Result<void> add_host_ports(const Json& container, PodInfo& pod) {
  BOSUN_ASSIGN_OR_RETURN(const Json* ports, get_array(container, "ports"));
  if (ports == nullptr) return {};
  for (const Json& p : *ports) {
    BOSUN_ASSIGN_OR_RETURN(int64_t host_port, get_int(p, "hostPort", 0));
    if (host_port <= 0) continue;
    HostPort hp;
    hp.port = static_cast<int32_t>(host_port);
    BOSUN_ASSIGN_OR_RETURN(hp.ip, get_string(p, "hostIP"));
    if (hp.ip.empty()) hp.ip = "0.0.0.0";
    BOSUN_ASSIGN_OR_RETURN(hp.protocol, get_string(p, "protocol"));
    if (hp.protocol.empty()) hp.protocol = "TCP";
    pod.host_ports.push_back(std::move(hp));
  }
  return {};
}

Result<void> decode_spec(const Json& spec, PodInfo& pod) {
  BOSUN_ASSIGN_OR_RETURN(pod.node_name, get_string(spec, "nodeName"));
  BOSUN_ASSIGN_OR_RETURN(pod.scheduler_name, get_string(spec, "schedulerName"));
  if (pod.scheduler_name.empty()) pod.scheduler_name = kDefaultSchedulerName;
  BOSUN_ASSIGN_OR_RETURN(int64_t priority, get_int(spec, "priority", 0));
  pod.priority = static_cast<int32_t>(priority);

  Resources exact;
  Resources non_zero;
  BOSUN_ASSIGN_OR_RETURN(const Json* containers, get_array(spec, "containers"));
  if (containers != nullptr) {
    for (const Json& c : *containers) {
      if (!c.is_object()) return bad("containers: expected objects");
      BOSUN_ASSIGN_OR_RETURN(auto r, container_requests(c));
      exact.add(r.exact);
      non_zero.add(r.non_zero);
      BOSUN_RETURN_IF_ERROR(add_host_ports(c, pod));
      BOSUN_ASSIGN_OR_RETURN(std::string image, get_string(c, "image"));
      if (!image.empty()) pod.images.push_back(std::move(image));
    }
  }
  // Init containers run one after another before the app containers, so the pod needs the largest
  // of them; restartable init containers (sidecars) keep running, so they add to everything that
  // starts after them and to the app containers (KEP-753, resourcehelper.PodRequests).
  BOSUN_ASSIGN_OR_RETURN(const Json* inits, get_array(spec, "initContainers"));
  if (inits != nullptr) {
    Resources sidecars_exact, sidecars_non_zero, init_exact, init_non_zero;
    for (const Json& c : *inits) {
      if (!c.is_object()) return bad("initContainers: expected objects");
      BOSUN_ASSIGN_OR_RETURN(auto r, container_requests(c));
      BOSUN_ASSIGN_OR_RETURN(std::string restart, get_string(c, "restartPolicy"));
      if (restart == "Always") {
        exact.add(r.exact);
        non_zero.add(r.non_zero);
        sidecars_exact.add(r.exact);
        sidecars_non_zero.add(r.non_zero);
        init_exact.set_max(sidecars_exact);
        init_non_zero.set_max(sidecars_non_zero);
        BOSUN_RETURN_IF_ERROR(add_host_ports(c, pod));
      } else {
        r.exact.add(sidecars_exact);
        r.non_zero.add(sidecars_non_zero);
        init_exact.set_max(r.exact);
        init_non_zero.set_max(r.non_zero);
      }
    }
    exact.set_max(init_exact);
    non_zero.set_max(init_non_zero);
  }
  if (const Json* overhead = find(spec, "overhead")) {
    Resources o;
    BOSUN_RETURN_IF_ERROR(add_resource_list(*overhead, o));
    exact.add(o);
    non_zero.add(o);
  }
  pod.requests = std::move(exact);
  pod.non_zero_milli_cpu = non_zero.milli_cpu;
  pod.non_zero_memory = non_zero.memory;

  if (const Json* ns = find(spec, "nodeSelector")) {
    BOSUN_ASSIGN_OR_RETURN(pod.node_selector, api::labels_from_json(*ns));
  }
  if (const Json* affinity = find(spec, "affinity")) {
    if (!affinity->is_object()) return bad("affinity: expected an object");
    BOSUN_RETURN_IF_ERROR(decode_affinity(*affinity, pod));
  }
  BOSUN_ASSIGN_OR_RETURN(const Json* tolerations, get_array(spec, "tolerations"));
  if (tolerations != nullptr) {
    for (const Json& t : *tolerations) {
      Toleration tol;
      BOSUN_ASSIGN_OR_RETURN(tol.key, get_string(t, "key"));
      BOSUN_ASSIGN_OR_RETURN(std::string op, get_string(t, "operator"));
      tol.exists = op == "Exists";
      tol.unknown_operator = !op.empty() && op != "Exists" && op != "Equal";
      BOSUN_ASSIGN_OR_RETURN(tol.value, get_string(t, "value"));
      BOSUN_ASSIGN_OR_RETURN(std::string effect, get_string(t, "effect"));
      tol.effect = parse_effect(effect);
      pod.tolerations.push_back(std::move(tol));
    }
  }
  BOSUN_ASSIGN_OR_RETURN(const Json* spread, get_array(spec, "topologySpreadConstraints"));
  if (spread != nullptr) BOSUN_RETURN_IF_ERROR(decode_spread(*spread, pod));
  return {};
}

Result<std::shared_ptr<const PodInfo>> decode_pod_unchecked(const Json& json) {
  if (!json.is_object()) return bad("pod: expected an object");
  auto pod = std::make_shared<PodInfo>();
  const Json* meta = find(json, "metadata");
  if (meta == nullptr || !meta->is_object()) return bad("pod: metadata must be an object");
  BOSUN_ASSIGN_OR_RETURN(pod->ns, get_string(*meta, "namespace"));
  BOSUN_ASSIGN_OR_RETURN(pod->name, get_string(*meta, "name"));
  BOSUN_ASSIGN_OR_RETURN(pod->uid, get_string(*meta, "uid"));
  if (pod->uid.empty()) pod->uid = pod->ns + "/" + pod->name;
  if (const Json* labels = find(*meta, "labels")) {
    BOSUN_ASSIGN_OR_RETURN(pod->labels, api::labels_from_json(*labels));
  }
  pod->terminating = find(*meta, "deletionTimestamp") != nullptr;
  BOSUN_ASSIGN_OR_RETURN(const Json* owners, get_array(*meta, "ownerReferences"));
  if (owners != nullptr) {
    for (const Json& o : *owners) {
      const Json* controller = find(o, "controller");
      if (controller == nullptr || !controller->is_boolean() || !controller->get<bool>()) continue;
      OwnerReference ref;
      BOSUN_ASSIGN_OR_RETURN(ref.api_version, get_string(o, "apiVersion"));
      BOSUN_ASSIGN_OR_RETURN(ref.kind, get_string(o, "kind"));
      BOSUN_ASSIGN_OR_RETURN(ref.name, get_string(o, "name"));
      BOSUN_ASSIGN_OR_RETURN(ref.uid, get_string(o, "uid"));
      pod->controller = std::move(ref);
      break;
    }
  }
  if (const Json* spec = find(json, "spec")) {
    if (!spec->is_object()) return bad("pod: spec must be an object");
    BOSUN_RETURN_IF_ERROR(decode_spec(*spec, *pod));
  } else {
    pod->scheduler_name = kDefaultSchedulerName;
  }
  return std::shared_ptr<const PodInfo>(std::move(pod));
}

}  // namespace

bool HostPort::conflicts_with(const HostPort& other) const {
  if (port != other.port || protocol != other.protocol) return false;
  return ip == other.ip || ip == "0.0.0.0" || other.ip == "0.0.0.0";
}

bool AffinityTerm::namespace_matches(std::string_view pod_namespace,
                                     const api::Labels* namespace_labels) const {
  if (std::binary_search(namespaces.begin(), namespaces.end(), pod_namespace)) return true;
  if (!namespace_selector || namespace_selector->matches_nothing()) return false;
  static const api::Labels kNoLabels;
  return namespace_selector->matches(namespace_labels ? *namespace_labels : kNoLabels);
}

bool AffinityTerm::matches(std::string_view pod_namespace, const api::Labels& pod_labels,
                           const api::Labels* namespace_labels) const {
  return namespace_matches(pod_namespace, namespace_labels) && selector.matches(pod_labels);
}

bool PodInfo::matches_node_selection(std::string_view node, const api::Labels& node_labels) const {
  for (const auto& [k, v] : node_selector) {
    auto it = node_labels.find(k);
    if (it == node_labels.end() || it->second != v) return false;
  }
  return !required_node_affinity || required_node_affinity->matches(node, node_labels);
}

Result<std::shared_ptr<const PodInfo>> decode_pod(const Json& pod) {
  try {
    return decode_pod_unchecked(pod);
  } catch (const std::exception& e) {
    return bad(std::string("pod: ") + e.what());
  }
}

}  // namespace bosun::scheduler
