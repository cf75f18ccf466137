#include "agent/container_config.h"
#include "common/json_fields.h"

#include <cctype>
#include <optional>

#include "api/quantity.h"

namespace bosun::agent {
namespace {

using json_fields::member;

std::optional<api::Quantity> quantity(const Json& resources, const char* kind, const char* name) {
  const Json& v = member(member(resources, kind), name);
  if (v.is_null()) return std::nullopt;
  auto q = api::Quantity::from_json(v);
  if (!q.ok()) return std::nullopt;
  return *q;
}

// The container-level value if set, else the pod-level one (the kubelet's
// DetermineEffectiveSecurityContext).
const Json& effective(const Json& pod_sc, const Json& container_sc, const char* key) {
  const Json& c = member(container_sc, key);
  return c.is_null() ? member(pod_sc, key) : c;
}

// Whether capabilities.add grants CAP_SYS_ADMIN, by any of the spellings containerd accepts
// ("CAP_SYS_ADMIN", "SYS_ADMIN", "ALL", in any case).
bool adds_sys_admin(const std::vector<std::string>& add) {
  for (std::string name : add) {
    for (char& ch : name) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    if (name.starts_with("CAP_")) name.erase(0, 4);
    if (name == "SYS_ADMIN" || name == "ALL") return true;
  }
  return false;
}

}  // namespace

runtime::QosClass pod_qos_class(const Json& pod) {
  bool any_set = false;
  bool guaranteed = true;
  const Json& spec = member(pod, "spec");
  for (const char* list : {"initContainers", "containers"}) {
    const Json& cs = member(spec, list);
    if (!cs.is_array()) continue;
    for (const Json& c : cs) {
      const Json& res = member(c, "resources");
      for (const char* name : {"cpu", "memory"}) {
        auto req = quantity(res, "requests", name);
        auto lim = quantity(res, "limits", name);
        if ((req && !req->is_zero()) || (lim && !lim->is_zero())) any_set = true;
        if (!lim || lim->is_zero()) {
          guaranteed = false;
        } else if (req && *req != *lim) {
          guaranteed = false;
        }
      }
    }
  }
  if (!any_set) return runtime::QosClass::kBestEffort;
  return guaranteed ? runtime::QosClass::kGuaranteed : runtime::QosClass::kBurstable;
}

std::string_view qos_class_name(runtime::QosClass qos) {
  switch (qos) {
    case runtime::QosClass::kGuaranteed:
      return "Guaranteed";
    case runtime::QosClass::kBurstable:
      return "Burstable";
    case runtime::QosClass::kBestEffort:
      return "BestEffort";
  }
  return "BestEffort";
}

std::string pod_log_directory(std::string_view data_dir, std::string_view ns, std::string_view name,
                              std::string_view uid) {
  std::string out(data_dir);
  out += "/pods/";
  out += ns;
  out += '_';
  out += name;
  out += '_';
  out += uid;
  return out;
}

std::string container_log_path(std::string_view data_dir, std::string_view ns,
                               std::string_view name, std::string_view uid,
                               std::string_view container, int attempt) {
  return pod_log_directory(data_dir, ns, name, uid) + "/" + std::string(container) + "/" +
         std::to_string(attempt) + ".log";
}

void apply_security_context(const Json& pod, const Json& container, ContainerConfig* config) {
  const Json& pod_sc = member(member(pod, "spec"), "securityContext");
  const Json& sc = member(container, "securityContext");
  if (const Json& u = effective(pod_sc, sc, "runAsUser"); u.is_number_integer()) {
    config->run_as_user = u.get<int64_t>();
  }
  if (const Json& g = effective(pod_sc, sc, "runAsGroup"); g.is_number_integer()) {
    config->run_as_group = g.get<int64_t>();
  }
  config->supplemental_groups.clear();
  if (const Json& groups = member(pod_sc, "supplementalGroups"); groups.is_array()) {
    for (const Json& g : groups) {
      if (g.is_number_integer()) config->supplemental_groups.push_back(g.get<uint32_t>());
    }
  }
  // fsGroup owns the pod's volumes; every container gets it as a supplemental group.
  if (const Json& fs = member(pod_sc, "fsGroup"); fs.is_number_integer()) {
    config->supplemental_groups.push_back(fs.get<uint32_t>());
  }
  config->capabilities = {};
  if (const Json& caps = member(sc, "capabilities"); caps.is_object()) {
    for (const char* key : {"add", "drop"}) {
      const Json& names = member(caps, key);
      if (!names.is_array()) continue;
      auto& dest =
          std::string_view(key) == "add" ? config->capabilities.add : config->capabilities.drop;
      for (const Json& n : names) {
        if (n.is_string()) dest.push_back(n.get<std::string>());
      }
    }
  }
  config->privileged = member(sc, "privileged").is_boolean() && sc["privileged"].get<bool>();
  config->read_only_root_filesystem =
      member(sc, "readOnlyRootFilesystem").is_boolean() && sc["readOnlyRootFilesystem"].get<bool>();
  // Secure by default: no_new_privs unless allowPrivilegeEscalation is true (Kubernetes sets it
  // only for an explicit false). Escalation stays allowed, as Kubernetes requires, for a privileged
  // container and one granted CAP_SYS_ADMIN (its validation refuses false with either).
  const Json& escalation = member(sc, "allowPrivilegeEscalation");
  bool allowed = escalation.is_boolean() && escalation.get<bool>();
  config->no_new_privileges =
      !allowed && !config->privileged && !adds_sys_admin(config->capabilities.add);
}

Result<void> apply_resources(const Json& pod, const Json& container, int64_t node_memory_bytes,
                             ContainerConfig* config) {
  const Json& res = member(container, "resources");
  for (const char* kind : {"requests", "limits"}) {
    const Json& m = member(res, kind);
    if (!m.is_object()) continue;
    for (const auto& [name, v] : m.items()) {
      if (!api::Quantity::from_json(v).ok()) {
        return make_error(ErrorCode::kBadRequest,
                          "invalid quantity for resources." + std::string(kind) + "." + name);
      }
    }
  }
  auto cpu_req = quantity(res, "requests", "cpu");
  auto cpu_lim = quantity(res, "limits", "cpu");
  auto mem_req = quantity(res, "requests", "memory");
  auto mem_lim = quantity(res, "limits", "memory");
  // A limit without a request requests the limit (the API server defaults it so, too).
  if (!cpu_req && cpu_lim) cpu_req = cpu_lim;
  if (!mem_req && mem_lim) mem_req = mem_lim;
  config->resources.cpu_request_milli = cpu_req ? cpu_req->milli_value() : 0;
  config->resources.cpu_limit_milli = cpu_lim ? cpu_lim->milli_value() : 0;
  config->resources.memory_limit_bytes = mem_lim ? mem_lim->value() : 0;
  config->oom_score_adj = runtime::container_oom_score_adj(
      pod_qos_class(pod), mem_req ? mem_req->value() : 0, node_memory_bytes);
  return {};
}

int64_t pod_termination_grace_seconds(const Json& pod) {
  const Json& deletion = member(member(pod, "metadata"), "deletionGracePeriodSeconds");
  if (deletion.is_number_integer()) return std::max<int64_t>(0, deletion.get<int64_t>());
  const Json& spec_grace = member(member(pod, "spec"), "terminationGracePeriodSeconds");
  if (spec_grace.is_number_integer()) return std::max<int64_t>(0, spec_grace.get<int64_t>());
  return 30;
}

}  // namespace bosun::agent
