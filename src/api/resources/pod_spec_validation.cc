// ValidatePodSpec and ValidatePodTemplateSpec of pkg/apis/core/validation: the pod-level fields,
// scheduling constraints (affinity, tolerations, topology spread), DNS and security settings.
// Containers and volumes are in pod_container_validation.cc and pod_volume_validation.cc.
#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "api/label_selector.h"
#include "api/labels.h"
#include "api/object_meta.h"
#include "api/registry.h"
#include "api/resources/pod_spec.h"
#include "api/resources/pod_validation_internal.h"
#include "api/resources/strategy_util.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

using podval::as_int;

bool in(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

void validate_string_labels(const Json& map, const std::string& path, FieldErrors& errs) {
  if (!map.is_object() || map.empty()) return;
  Labels labels;
  for (auto& [k, v] : map.items()) labels.emplace(k, v.is_string() ? v.get<std::string>() : "");
  errs.append(validate_labels(labels, path));
}

void validate_name_with(std::string_view value, const std::string& path,
                        std::vector<std::string> (*fn)(std::string_view, bool), FieldErrors& errs) {
  for (auto& msg : fn(value, false)) errs.invalid(path, std::string(value), std::move(msg));
}

// ---- Affinity ---------------------------------------------------------------------------------

void validate_node_selector_requirement(const Json& rq, bool check_values, const std::string& path,
                                        FieldErrors& errs) {
  std::string_view op = get_string(rq, "operator");
  size_t nvalues = get_array(rq, "values").size();
  if (op == "In" || op == "NotIn") {
    if (nvalues == 0) {
      errs.required(child_path(path, "values"),
                    "must be specified when `operator` is 'In' or 'NotIn'");
    }
  } else if (op == "Exists" || op == "DoesNotExist") {
    if (nvalues > 0) {
      errs.forbidden(child_path(path, "values"),
                     "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
    }
  } else if (op == "Gt" || op == "Lt") {
    if (nvalues != 1) {
      errs.required(child_path(path, "values"),
                    "must be specified single value when `operator` is 'Lt' or 'Gt'");
    }
  } else {
    errs.invalid(child_path(path, "operator"), std::string(op), "not a valid selector operator");
  }
  validate_label_name(get_string(rq, "key"), child_path(path, "key"), errs);
  if (check_values) {
    const Json& values = get_array(rq, "values");
    for (size_t i = 0; i < values.size(); ++i) {
      std::string_view v = as_string(&values[i]);
      for (auto& m : is_valid_label_value(v)) {
        errs.invalid(index_path(child_path(path, "values"), i), std::string(v), std::move(m));
      }
    }
  }
}

void validate_node_selector_term(const Json& term, bool check_values, const std::string& path,
                                 FieldErrors& errs) {
  const Json& exprs = get_array(term, "matchExpressions");
  for (size_t j = 0; j < exprs.size(); ++j) {
    validate_node_selector_requirement(exprs[j], check_values,
                                       index_path(child_path(path, "matchExpressions"), j), errs);
  }
  const Json& fields = get_array(term, "matchFields");
  for (size_t j = 0; j < fields.size(); ++j) {
    std::string fpath = index_path(child_path(path, "matchFields"), j);
    std::string_view op = get_string(fields[j], "operator");
    if (op == "In" || op == "NotIn") {
      if (get_array(fields[j], "values").size() != 1) {
        errs.required(child_path(fpath, "values"),
                      "must be only one value when `operator` is 'In' or 'NotIn' for node field "
                      "selector");
      }
    } else {
      errs.invalid(child_path(fpath, "operator"), std::string(op), "not a valid selector operator");
    }
    std::string_view key = get_string(fields[j], "key");
    if (key != "metadata.name") {
      errs.invalid(child_path(fpath, "key"), std::string(key), "not a valid field selector key");
    } else {
      const Json& values = get_array(fields[j], "values");
      for (size_t i = 0; i < values.size(); ++i) {
        validate_name_with(as_string(&values[i]), index_path(child_path(fpath, "values"), i),
                           name_is_dns_subdomain, errs);
      }
    }
  }
}

void validate_pod_affinity_term(const Json& term, const std::string& path, FieldErrors& errs) {
  if (const Json* sel = get(term, "labelSelector")) {
    errs.append(validate_label_selector(*sel, child_path(path, "labelSelector")));
  }
  if (const Json* sel = get(term, "namespaceSelector")) {
    errs.append(validate_label_selector(*sel, child_path(path, "namespaceSelector")));
  }
  for (const Json& ns : get_array(term, "namespaces")) {
    // Upstream names the field in the singular here.
    validate_name_with(as_string(&ns), child_path(path, "namespace"), name_is_dns_label, errs);
  }
  std::string_view key = get_string(term, "topologyKey");
  if (key.empty()) errs.required(child_path(path, "topologyKey"), "can not be empty");
  validate_label_name(key, child_path(path, "topologyKey"), errs);
}

void validate_weight(const Json& term, const std::string& path, FieldErrors& errs) {
  int64_t w = as_int(get(term, "weight")).value_or(0);
  if (w <= 0 || w > 100) errs.invalid(child_path(path, "weight"), w, "must be in the range 1-100");
}

void validate_pod_affinity(const Json& aff, const std::string& path, FieldErrors& errs) {
  const Json& required = get_array(aff, "requiredDuringSchedulingIgnoredDuringExecution");
  std::string rpath = child_path(path, "requiredDuringSchedulingIgnoredDuringExecution");
  for (size_t i = 0; i < required.size(); ++i) {
    validate_pod_affinity_term(required[i], index_path(rpath, i), errs);
  }
  const Json& preferred = get_array(aff, "preferredDuringSchedulingIgnoredDuringExecution");
  std::string ppath = child_path(path, "preferredDuringSchedulingIgnoredDuringExecution");
  for (size_t i = 0; i < preferred.size(); ++i) {
    std::string ip = index_path(ppath, i);
    validate_weight(preferred[i], ip, errs);
    validate_pod_affinity_term(get_object(preferred[i], "podAffinityTerm"),
                               child_path(ip, "podAffinityTerm"), errs);
  }
}

void validate_affinity(const Json& affinity, const std::string& path, FieldErrors& errs) {
  if (const Json* na = get(affinity, "nodeAffinity")) {
    std::string np = child_path(path, "nodeAffinity");
    if (const Json* req = get(*na, "requiredDuringSchedulingIgnoredDuringExecution")) {
      std::string tp = child_path(child_path(np, "requiredDuringSchedulingIgnoredDuringExecution"),
                                  "nodeSelectorTerms");
      const Json& terms = get_array(*req, "nodeSelectorTerms");
      if (terms.empty()) errs.required(tp, "must have at least one node selector term");
      for (size_t i = 0; i < terms.size(); ++i) {
        validate_node_selector_term(terms[i], true, index_path(tp, i), errs);
      }
    }
    const Json& pref = get_array(*na, "preferredDuringSchedulingIgnoredDuringExecution");
    std::string pp = child_path(np, "preferredDuringSchedulingIgnoredDuringExecution");
    for (size_t i = 0; i < pref.size(); ++i) {
      std::string ip = index_path(pp, i);
      validate_weight(pref[i], ip, errs);
      // Preferred terms may name label values that exist nowhere yet.
      validate_node_selector_term(get_object(pref[i], "preference"), false,
                                  child_path(ip, "preference"), errs);
    }
  }
  if (const Json* pa = get(affinity, "podAffinity")) {
    validate_pod_affinity(*pa, child_path(path, "podAffinity"), errs);
  }
  if (const Json* paa = get(affinity, "podAntiAffinity")) {
    validate_pod_affinity(*paa, child_path(path, "podAntiAffinity"), errs);
  }
}

// ---- Topology spread, DNS, security -----------------------------------------------------------

void validate_topology_spread(const Json& constraints, const std::string& path, FieldErrors& errs) {
  for (size_t i = 0; i < constraints.size(); ++i) {
    const Json& c = constraints[i];
    std::string cp = index_path(path, i);
    int64_t skew = as_int(get(c, "maxSkew")).value_or(0);
    if (skew <= 0) errs.invalid(child_path(cp, "maxSkew"), skew, "must be greater than zero");
    std::string_view key = get_string(c, "topologyKey");
    if (key.empty()) errs.required(child_path(cp, "topologyKey"), "can not be empty");
    std::string_view action = get_string(c, "whenUnsatisfiable");
    if (!in(action, {"DoNotSchedule", "ScheduleAnyway"})) {
      errs.not_supported(child_path(cp, "whenUnsatisfiable"), std::string(action),
                         {"DoNotSchedule", "ScheduleAnyway"});
    }
    for (size_t j = i + 1; j < constraints.size(); ++j) {
      if (get_string(constraints[j], "topologyKey") == key &&
          get_string(constraints[j], "whenUnsatisfiable") == action) {
        errs.duplicate(child_path(cp, "{topologyKey, whenUnsatisfiable}"),
                       fmt::format("{{{}, {}}}", key, action));
        break;
      }
    }
    if (auto md = as_int(get(c, "minDomains"))) {
      if (*md <= 0) errs.invalid(child_path(cp, "minDomains"), *md, "must be greater than zero");
      if (action != "DoNotSchedule") {
        errs.invalid(
            child_path(cp, "minDomains"), *md,
            fmt::format("can only use minDomains if whenUnsatisfiable=DoNotSchedule, not {}",
                        action));
      }
    }
    for (const char* policy : {"nodeAffinityPolicy", "nodeTaintsPolicy"}) {
      if (const Json* p = get(c, policy); p && !in(as_string(p), {"Honor", "Ignore"})) {
        errs.not_supported(child_path(cp, policy), *p, {"Honor", "Ignore"});
      }
    }
    if (const Json* sel = get(c, "labelSelector")) {
      errs.append(validate_label_selector(*sel, child_path(cp, "labelSelector")));
    }
  }
}

void validate_dns_config(const Json* config, std::string_view dns_policy, const std::string& path,
                         FieldErrors& errs) {
  if (dns_policy == "None") {
    if (config == nullptr) {
      errs.required(path, "must provide `dnsConfig` when `dnsPolicy` is None");
      return;
    }
    if (get_array(*config, "nameservers").empty()) {
      errs.required(child_path(path, "nameservers"),
                    "must provide at least one DNS nameserver when `dnsPolicy` is None");
      return;
    }
  }
  if (config == nullptr) return;
  const Json& ns = get_array(*config, "nameservers");
  if (ns.size() > 3) {
    errs.invalid(child_path(path, "nameservers"), ns, "must not have more than 3 nameservers");
  }
  for (size_t i = 0; i < ns.size(); ++i) {
    std::string_view ip = as_string(&ns[i]);
    for (auto& m : is_valid_ip(ip)) {
      errs.invalid(index_path(child_path(path, "nameservers"), i), std::string(ip), std::move(m));
    }
  }
  const Json& searches = get_array(*config, "searches");
  if (searches.size() > 32) {
    errs.invalid(child_path(path, "searches"), searches, "must not have more than 32 search paths");
  }
  size_t total = 0;
  for (const Json& s : searches) total += as_string(&s).size() + 1;
  if (total > 0 && total - 1 > 2048) {
    errs.invalid(child_path(path, "searches"), searches,
                 "must not have more than 2048 characters (including spaces) in the search list");
  }
  for (size_t i = 0; i < searches.size(); ++i) {
    std::string_view s = as_string(&searches[i]);
    // RelaxedDNSSearchValidation (on in 1.33) accepts "." and a trailing dot.
    if (s == ".") continue;
    if (!s.empty() && s.back() == '.') s.remove_suffix(1);
    validate_dns1123_subdomain(s, index_path(child_path(path, "searches"), i), errs);
  }
  const Json& options = get_array(*config, "options");
  for (size_t i = 0; i < options.size(); ++i) {
    if (get_string(options[i], "name").empty()) {
      errs.required(index_path(child_path(path, "options"), i), "must not be empty");
    }
  }
}

void validate_pod_security_context(const Json& spec, const Json& sc, const std::string& spec_path,
                                   FieldErrors& errs) {
  std::string path = child_path(spec_path, "securityContext");
  auto check_id = [&](const char* key) {
    if (auto id = as_int(get(sc, key))) {
      for (auto& m : is_in_range(*id, 0, std::numeric_limits<int32_t>::max())) {
        errs.invalid(child_path(path, key), *id, std::move(m));
      }
    }
  };
  check_id("fsGroup");
  check_id("runAsUser");
  check_id("runAsGroup");
  const Json& groups = get_array(sc, "supplementalGroups");
  for (size_t g = 0; g < groups.size(); ++g) {
    int64_t gid = as_int(&groups[g]).value_or(0);
    for (auto& m : is_in_range(gid, 0, std::numeric_limits<int32_t>::max())) {
      errs.invalid(index_path(child_path(path, "supplementalGroups"), g), gid, std::move(m));
    }
  }
  const Json* share = get(spec, "shareProcessNamespace");
  if (share != nullptr && share->is_boolean() && share->get<bool>() && get_bool(spec, "hostPID")) {
    errs.invalid(child_path(path, "shareProcessNamespace"), true,
                 "ShareProcessNamespace and HostPID cannot both be enabled");
  }
  const Json& sysctls = get_array(sc, "sysctls");
  std::set<std::string_view> seen;
  for (size_t i = 0; i < sysctls.size(); ++i) {
    std::string npath = child_path(index_path(child_path(path, "sysctls"), i), "name");
    std::string_view name = get_string(sysctls[i], "name");
    if (name.empty()) {
      errs.required(npath);
    } else if (seen.count(name)) {
      errs.duplicate(npath, std::string(name));
    }
    seen.insert(name);
  }
  if (const Json* p = get(sc, "fsGroupChangePolicy");
      p && !in(as_string(p), {"Always", "OnRootMismatch"})) {
    errs.not_supported(child_path(path, "fsGroupChangePolicy"), *p, {"Always", "OnRootMismatch"});
  }
  if (const Json* sp = get(sc, "seccompProfile")) {
    podval::validate_seccomp_profile(*sp, child_path(path, "seccompProfile"), errs);
  }
  if (const Json* ap = get(sc, "appArmorProfile")) {
    podval::validate_apparmor_profile(*ap, child_path(path, "appArmorProfile"), errs);
  }
  if (const Json* p = get(sc, "supplementalGroupsPolicy");
      p && !in(as_string(p), {"Merge", "Strict"})) {
    errs.not_supported(child_path(path, "supplementalGroupsPolicy"), *p, {"Merge", "Strict"});
  }
  if (const Json* p = get(sc, "seLinuxChangePolicy");
      p && !in(as_string(p), {"MountOption", "Recursive"})) {
    errs.not_supported(child_path(path, "seLinuxChangePolicy"), *p, {"MountOption", "Recursive"});
  }
}

void validate_os(const Json& spec, const std::string& path, FieldErrors& errs) {
  const Json* os = get(spec, "os");
  if (os == nullptr) return;
  std::string os_path = child_path(path, "os");
  std::string_view name = get_string(*os, "name");
  if (name.empty()) {
    errs.required(child_path(os_path, "name"));
    return;
  }
  if (!in(name, {"linux", "windows"})) {
    errs.not_supported(child_path(os_path, "name"), std::string(name), {"linux", "windows"});
    return;
  }
  const Json& sc = get_object(spec, "securityContext");
  auto each_container = [&](auto fn) {
    for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
      const Json& cs = get_array(spec, list);
      for (size_t i = 0; i < cs.size(); ++i) fn(cs[i], index_path(child_path(path, list), i));
    }
  };
  if (name == "linux") {
    if (get(sc, "windowsOptions") != nullptr) {
      errs.forbidden(child_path(child_path(path, "securityContext"), "windowsOptions"),
                     "windows options cannot be set for a linux pod");
    }
    each_container([&](const Json& c, const std::string& cpath) {
      if (get_path(c, {"securityContext", "windowsOptions"}) != nullptr) {
        errs.forbidden(child_path(child_path(cpath, "securityContext"), "windowsOptions"),
                       "windows options cannot be set for a linux pod");
      }
    });
    return;
  }
  std::string sc_path = child_path(path, "securityContext");
  for (const char* key :
       {"appArmorProfile", "seLinuxOptions", "seccompProfile", "fsGroup", "fsGroupChangePolicy",
        "sysctls", "runAsUser", "runAsGroup", "supplementalGroups", "supplementalGroupsPolicy",
        "seLinuxChangePolicy"}) {
    if (get(sc, key) != nullptr)
      errs.forbidden(child_path(sc_path, key), "cannot be set for a windows pod");
  }
  for (const char* key : {"hostUsers", "hostPID", "hostIPC", "shareProcessNamespace"}) {
    const Json* v = get(spec, key);
    bool set = v != nullptr && (std::string_view(key) == "hostUsers" ||
                                std::string_view(key) == "shareProcessNamespace" ||
                                (v->is_boolean() && v->get<bool>()));
    if (set) errs.forbidden(child_path(path, key), "cannot be set for a windows pod");
  }
  each_container([&](const Json& c, const std::string& cpath) {
    const Json* csc = get(c, "securityContext");
    if (csc == nullptr) return;
    for (const char* key : {"appArmorProfile", "seLinuxOptions", "seccompProfile", "capabilities",
                            "readOnlyRootFilesystem", "privileged", "allowPrivilegeEscalation",
                            "procMount", "runAsUser", "runAsGroup"}) {
      if (get(*csc, key) != nullptr) {
        errs.forbidden(child_path(child_path(cpath, "securityContext"), key),
                       "cannot be set for a windows pod");
      }
    }
  });
}

}  // namespace

void validate_tolerations(const Json& tolerations, std::string_view path, FieldErrors& errs) {
  if (!tolerations.is_array()) return;
  for (size_t i = 0; i < tolerations.size(); ++i) {
    const Json& t = tolerations[i];
    std::string idx = index_path(path, i);
    std::string_view key = get_string(t, "key");
    std::string_view op = get_string(t, "operator");
    std::string_view value = get_string(t, "value");
    std::string_view effect = get_string(t, "effect");
    if (!key.empty()) validate_label_name(key, child_path(idx, "key"), errs);
    if (key.empty() && op != "Exists") {
      errs.invalid(child_path(idx, "operator"), std::string(op),
                   "operator must be Exists when `key` is empty, which means \"match all values "
                   "and all keys\"");
    }
    if (get(t, "tolerationSeconds") != nullptr && effect != "NoExecute") {
      errs.invalid(child_path(idx, "effect"), std::string(effect),
                   "effect must be 'NoExecute' when `tolerationSeconds` is set");
    }
    if (op == "Equal" || op.empty()) {
      auto msgs = is_valid_label_value(value);
      if (!msgs.empty()) {
        std::string joined;
        for (size_t m = 0; m < msgs.size(); ++m) joined += (m ? ";" : "") + msgs[m];
        errs.invalid(child_path(idx, "operator"), std::string(value), joined);
      }
    } else if (op == "Exists") {
      if (!value.empty()) {
        errs.invalid(child_path(idx, "operator"), std::string(value),
                     "value must be empty when `operator` is 'Exists'");
      }
    } else {
      errs.not_supported(child_path(idx, "operator"), std::string(op), {"Equal", "Exists"});
    }
    if (!effect.empty() && !in(effect, {"NoSchedule", "PreferNoSchedule", "NoExecute"})) {
      errs.not_supported(child_path(idx, "effect"), std::string(effect),
                         {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    }
  }
}

void validate_pod_specific_annotations(const Json& annotations, const Json& spec,
                                       std::string_view path, FieldErrors& errs) {
  if (!annotations.is_object()) return;
  constexpr std::string_view kMirror = "kubernetes.io/config.mirror";
  constexpr std::string_view kDeletionCost = "controller.kubernetes.io/pod-deletion-cost";
  if (const Json* v = get(annotations, kMirror); v && get_string(spec, "nodeName").empty()) {
    errs.invalid(key_path(path, kMirror), *v,
                 "must set spec.nodeName if mirror pod annotation is set");
  }
  if (const Json* v = get(annotations, kDeletionCost)) {
    std::string_view s = as_string(v);
    int64_t n = 0;
    bool ok = !s.empty();
    size_t i = (ok && (s[0] == '+' || s[0] == '-')) ? 1 : 0;
    ok = ok && i < s.size();
    for (; ok && i < s.size(); ++i) {
      ok = std::isdigit(static_cast<unsigned char>(s[i])) && n < (int64_t{1} << 40);
      if (ok) n = n * 10 + (s[i] - '0');
    }
    if (!ok || n > (s[0] == '-' ? int64_t{1} << 31 : (int64_t{1} << 31) - 1)) {
      errs.invalid(key_path(path, kDeletionCost), *v, "must be a 32bit integer");
    }
  }
}

void validate_pod_spec(const Json& spec, const Json* pod_meta, std::string_view spec_path,
                       const PodValidationOptions& opts, FieldErrors& errs) {
  std::string path(spec_path);
  const Json* grace = get(spec, "terminationGracePeriodSeconds");
  if (grace == nullptr) errs.required(child_path(path, "terminationGracePeriodSeconds"));
  const Json* host_users_v = get(spec, "hostUsers");
  bool host_users =
      host_users_v == nullptr || !host_users_v->is_boolean() || host_users_v->get<bool>();

  podval::VolumeMap vols = podval::validate_volumes(get_array(spec, "volumes"), pod_meta,
                                                    child_path(path, "volumes"), errs);
  podval::ContainerContext ctx;
  ctx.volumes = &vols;
  ctx.grace_period = grace;
  ctx.restart_policy = get_string(spec, "restartPolicy");
  ctx.host_users = host_users;
  const Json* containers_v = get(spec, "containers");
  const Json& containers = containers_v != nullptr ? *containers_v : empty_array();
  podval::validate_containers(containers, ctx, child_path(path, "containers"), errs);
  podval::validate_init_containers(get_array(spec, "initContainers"), containers, ctx,
                                   child_path(path, "initContainers"), errs);
  podval::validate_ephemeral_containers(get_array(spec, "ephemeralContainers"), containers,
                                        get_array(spec, "initContainers"), ctx,
                                        child_path(path, "ephemeralContainers"), errs);

  // validatePodHostNetworkDeps: a pod's host ports must equal its container ports; a template
  // may leave them 0, to be defaulted when the pod is created.
  if (get_bool(spec, "hostNetwork")) {
    for (size_t i = 0; i < containers.size(); ++i) {
      const Json& ports = get_array(containers[i], "ports");
      for (size_t j = 0; j < ports.size(); ++j) {
        int64_t hp = as_int(get(ports[j], "hostPort")).value_or(0);
        int64_t cp = as_int(get(ports[j], "containerPort")).value_or(0);
        if ((opts.resource_is_pod || hp != 0) && hp != cp) {
          errs.invalid(
              child_path(
                  index_path(child_path(index_path(child_path(path, "containers"), i), "ports"), j),
                  "hostPort"),
              hp, "must match `containerPort` when `hostNetwork` is true");
        }
      }
    }
  }

  std::string_view restart = get_string(spec, "restartPolicy");
  if (restart.empty()) {
    errs.required(child_path(path, "restartPolicy"));
  } else if (!in(restart, {"Always", "OnFailure", "Never"})) {
    errs.not_supported(child_path(path, "restartPolicy"), std::string(restart),
                       {"Always", "OnFailure", "Never"});
  }
  std::string_view dns = get_string(spec, "dnsPolicy");
  if (dns.empty()) {
    errs.required(child_path(path, "dnsPolicy"));
  } else if (!in(dns, {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"})) {
    errs.not_supported(child_path(path, "dnsPolicy"), std::string(dns),
                       {"ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"});
  }
  validate_string_labels(get_object(spec, "nodeSelector"), child_path(path, "nodeSelector"), errs);
  if (const Json* sc = get(spec, "securityContext")) {
    validate_pod_security_context(spec, *sc, path, errs);
  }
  const Json& pull_secrets = get_array(spec, "imagePullSecrets");
  for (size_t i = 0; i < pull_secrets.size(); ++i) {
    for (auto it = pull_secrets[i].begin();
         pull_secrets[i].is_object() && it != pull_secrets[i].end(); ++it) {
      if (it.key() != "name" && !it->is_null()) {
        errs.invalid(index_path(child_path(path, "imagePullSecrets"), i), pull_secrets[i],
                     "only name may be set");
        break;
      }
    }
  }
  if (const Json* aff = get(spec, "affinity"))
    validate_affinity(*aff, child_path(path, "affinity"), errs);
  validate_dns_config(get(spec, "dnsConfig"), dns, child_path(path, "dnsConfig"), errs);
  const Json& gates = get_array(spec, "readinessGates");
  for (size_t i = 0; i < gates.size(); ++i) {
    validate_qualified_name(
        get_string(gates[i], "conditionType"),
        child_path(index_path(child_path(path, "readinessGates"), i), "conditionType"), errs);
  }
  const Json& sgates = get_array(spec, "schedulingGates");
  std::set<std::string_view> seen_gates;
  for (size_t i = 0; i < sgates.size(); ++i) {
    std::string gp = index_path(child_path(path, "schedulingGates"), i);
    std::string_view name = get_string(sgates[i], "name");
    validate_qualified_name(name, gp, errs);
    if (!seen_gates.insert(name).second) errs.duplicate(gp, std::string(name));
  }
  validate_topology_spread(get_array(spec, "topologySpreadConstraints"),
                           child_path(path, "topologySpreadConstraints"), errs);
  if (!host_users) {
    // validateHostUsers; upstream capitalises two of these paths.
    if (get_bool(spec, "hostNetwork")) {
      errs.forbidden(child_path(path, "hostNetwork"), "when `pod.Spec.HostUsers` is false");
    }
    if (get_bool(spec, "hostPID"))
      errs.forbidden(child_path(path, "HostPID"), "when `pod.Spec.HostUsers` is false");
    if (get_bool(spec, "hostIPC"))
      errs.forbidden(child_path(path, "HostIPC"), "when `pod.Spec.HostUsers` is false");
  }
  if (std::string_view sa = get_string(spec, "serviceAccountName"); !sa.empty()) {
    validate_name_with(sa, child_path(path, "serviceAccountName"), name_is_dns_subdomain, errs);
  }
  if (std::string_view node = get_string(spec, "nodeName"); !node.empty()) {
    validate_name_with(node, child_path(path, "nodeName"), name_is_dns_subdomain, errs);
  }
  if (auto ads = as_int(get(spec, "activeDeadlineSeconds"))) {
    if (*ads < 1 || *ads > std::numeric_limits<int32_t>::max()) {
      errs.invalid(child_path(path, "activeDeadlineSeconds"), *ads,
                   inclusive_range_error(1, std::numeric_limits<int32_t>::max()));
    }
  }
  if (std::string_view h = get_string(spec, "hostname"); !h.empty()) {
    validate_dns1123_label(h, child_path(path, "hostname"), errs);
  }
  if (std::string_view s = get_string(spec, "subdomain"); !s.empty()) {
    validate_dns1123_label(s, child_path(path, "subdomain"), errs);
  }
  validate_tolerations(get_array(spec, "tolerations"), child_path(path, "tolerations"), errs);
  const Json& aliases = get_array(spec, "hostAliases");
  for (size_t i = 0; i < aliases.size(); ++i) {
    std::string ap = index_path(child_path(path, "hostAliases"), i);
    std::string_view ip = get_string(aliases[i], "ip");
    for (auto& m : is_valid_ip(ip))
      errs.invalid(child_path(ap, "ip"), std::string(ip), std::move(m));
    const Json& names = get_array(aliases[i], "hostnames");
    for (size_t j = 0; j < names.size(); ++j) {
      validate_dns1123_subdomain(as_string(&names[j]), index_path(child_path(ap, "hostnames"), j),
                                 errs);
    }
  }
  if (std::string_view pc = get_string(spec, "priorityClassName"); !pc.empty()) {
    validate_name_with(pc, child_path(path, "priorityClassName"), name_is_dns_subdomain, errs);
  }
  if (const Json* rc = get(spec, "runtimeClassName")) {
    validate_name_with(as_string(rc), child_path(path, "runtimeClassName"), name_is_dns_subdomain,
                       errs);
  }
  if (const Json* pp = get(spec, "preemptionPolicy")) {
    std::string_view v = as_string(pp);
    if (v.empty()) {
      errs.required(child_path(path, "preemptionPolicy"));
    } else if (!in(v, {"PreemptLowerPriority", "Never"})) {
      errs.not_supported(child_path(path, "preemptionPolicy"), *pp,
                         {"PreemptLowerPriority", "Never"});
    }
  }
  if (const Json* overhead = get(spec, "overhead")) {
    podval::validate_resource_requirements(Json{{"limits", *overhead}},
                                           child_path(path, "overhead"), errs);
  }
  validate_os(spec, path, errs);
}

void validate_pod_template_spec(const Json& pod_template, std::string_view path,
                                FieldErrors& errs) {
  std::string p(path);
  const Json& meta = get_object(pod_template, "metadata");
  validate_string_labels(get_object(meta, "labels"), child_path(p, "labels"), errs);
  if (const Json* ann = get(meta, "annotations")) {
    validate_annotations(*ann, child_path(p, "annotations"), errs);
  }
  const Json& spec = get_object(pod_template, "spec");
  validate_pod_specific_annotations(get_object(meta, "annotations"), spec,
                                    child_path(p, "annotations"), errs);
  validate_pod_spec(spec, nullptr, child_path(p, "spec"), PodValidationOptions{}, errs);
  if (!get_array(spec, "ephemeralContainers").empty()) {
    errs.forbidden(child_path(child_path(p, "spec"), "ephemeralContainers"),
                   "ephemeral containers not allowed in pod template");
  }
}

}  // namespace bosun::api::resources
