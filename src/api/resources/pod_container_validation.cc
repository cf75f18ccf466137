// Container validation of pkg/apis/core/validation: validateContainerCommon and what it calls
// (ports, env, mounts, pull policy, resources, security context), probes and lifecycle handlers,
// and the rules of regular, init and ephemeral containers.
#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "api/labels.h"
#include "api/quantity.h"
#include "api/registry.h"
#include "api/resources/pod_spec.h"
#include "api/resources/pod_validation_internal.h"
#include "api/resources/strategy_util.h"
#include "api/validation.h"

namespace bosun::api::resources::podval {
namespace {

bool in(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

// An error whose value Go prints without quotes (a fmt.Stringer such as a Quantity).
void invalid_unquoted(FieldErrors& errs, std::string path, std::string_view value,
                      std::string_view detail) {
  errs.add({FieldErrorType::kInvalid, std::move(path), nullptr,
            fmt::format("{}: {}", value, detail), true});
}

// ---- Resources --------------------------------------------------------------------------------

bool is_hugepages(std::string_view name) { return name.substr(0, 10) == "hugepages-"; }

bool is_native_resource(std::string_view name) {
  return name.find('/') == std::string_view::npos ||
         name.find("kubernetes.io/") != std::string_view::npos;
}

bool is_extended_resource(std::string_view name) {
  if (is_native_resource(name) || name.substr(0, 9) == "requests.") return false;
  return qualified_name_ok(std::string("requests.") + std::string(name));
}

// helper.IsStandardResourceName: the resource names Kubernetes itself defines.
bool is_standard_resource(std::string_view name) {
  static const std::set<std::string_view> kStandard = {"cpu",
                                                       "memory",
                                                       "ephemeral-storage",
                                                       "requests.cpu",
                                                       "requests.memory",
                                                       "requests.ephemeral-storage",
                                                       "limits.cpu",
                                                       "limits.memory",
                                                       "limits.ephemeral-storage",
                                                       "pods",
                                                       "services",
                                                       "replicationcontrollers",
                                                       "resourcequotas",
                                                       "secrets",
                                                       "configmaps",
                                                       "persistentvolumeclaims",
                                                       "storage",
                                                       "requests.storage",
                                                       "services.nodeports",
                                                       "services.loadbalancers"};
  return kStandard.count(name) > 0 || is_hugepages(name) ||
         name.substr(0, 19) == "requests.hugepages-";
}

void validate_container_resource_name(std::string_view name, const std::string& path,
                                      FieldErrors& errs) {
  FieldErrors local;
  validate_qualified_name(name, path, local);
  if (local.empty() && name.find('/') == std::string_view::npos && !is_standard_resource(name)) {
    local.invalid(path, std::string(name), "must be a standard resource type or fully qualified");
  }
  if (name.find('/') == std::string_view::npos) {
    if (!in(name, {"cpu", "memory", "ephemeral-storage"}) && !is_hugepages(name)) {
      local.invalid(path, std::string(name), "must be a standard resource for containers");
    }
  } else if (!is_native_resource(name) && !is_extended_resource(name)) {
    local.invalid(path, std::string(name), "doesn't follow extended resource name standard");
  }
  errs.append(local);
}

std::optional<Quantity> validate_quantity(std::string_view name, const Json& value,
                                          const std::string& path, FieldErrors& errs) {
  auto q = Quantity::from_json(value);
  if (!q.ok()) {
    errs.invalid(path, value, q.error().message);
    return std::nullopt;
  }
  if (q->sign() < 0) errs.invalid(path, q->to_string(), "must be greater than or equal to 0");
  if (is_extended_resource(name) && q->milli_value() % 1000 != 0) {
    invalid_unquoted(errs, path, q->to_string(), "must be an integer");
  }
  return *q;
}

}  // namespace

void validate_resource_requirements(const Json& requirements, const std::string& path,
                                    FieldErrors& errs) {
  std::string lim_path = child_path(path, "limits");
  std::string req_path = child_path(path, "requests");
  const Json& limits = get_object(requirements, "limits");
  const Json& requests = get_object(requirements, "requests");
  bool lim_cpu_mem = false, req_cpu_mem = false, lim_huge = false, req_huge = false;
  std::map<std::string, Quantity, std::less<>> parsed_limits;
  for (auto& [name, value] : limits.items()) {
    std::string p = key_path(lim_path, name);
    validate_container_resource_name(name, p, errs);
    if (auto q = validate_quantity(name, value, p, errs)) parsed_limits.emplace(name, *q);
    if (is_hugepages(name)) lim_huge = true;
    if (name == "cpu" || name == "memory") lim_cpu_mem = true;
  }
  for (auto& [name, value] : requests.items()) {
    std::string p = key_path(req_path, name);
    validate_container_resource_name(name, p, errs);
    auto q = validate_quantity(name, value, p, errs);
    bool overcommit = is_native_resource(name) && !is_hugepages(name);
    if (auto lit = parsed_limits.find(name); lit != parsed_limits.end()) {
      if (q) {
        // Resources that cannot be overcommitted must request exactly their limit.
        if (q->cmp(lit->second) != 0 && !overcommit) {
          errs.invalid(
              req_path, q->to_string(),
              fmt::format("must be equal to {} limit of {}", name, lit->second.to_string()));
        } else if (q->cmp(lit->second) > 0) {
          errs.invalid(req_path, q->to_string(),
                       fmt::format("must be less than or equal to {} limit of {}", name,
                                   lit->second.to_string()));
        }
      }
    } else if (!overcommit && !limits.contains(name)) {
      errs.required(lim_path, "Limit must be set for non overcommitable resources");
    }
    if (is_hugepages(name)) req_huge = true;
    if (name == "cpu" || name == "memory") req_cpu_mem = true;
  }
  if (!lim_cpu_mem && !req_cpu_mem && (req_huge || lim_huge)) {
    errs.forbidden(path, "HugePages require cpu or memory");
  }
}

namespace {

void validate_resize_policy(const Json& policies, const std::string& path,
                            std::string_view restart_policy, FieldErrors& errs) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < policies.size(); ++i) {
    std::string_view res = get_string(policies[i], "resourceName");
    std::string_view rp = get_string(policies[i], "restartPolicy");
    if (!seen.insert(res).second) errs.duplicate(index_path(path, i), std::string(res));
    if (res.empty()) {
      errs.required(path);
    } else if (!in(res, {"cpu", "memory"})) {
      errs.not_supported(path, std::string(res), {"cpu", "memory"});
    }
    if (rp.empty()) {
      errs.required(path);
    } else if (!in(rp, {"NotRequired", "RestartContainer"})) {
      errs.not_supported(path, std::string(rp), {"NotRequired", "RestartContainer"});
    }
    if (restart_policy == "Never" && rp != "NotRequired") {
      errs.invalid(path, std::string(rp), "must be 'NotRequired' when `restartPolicy` is 'Never'");
    }
  }
}

// ---- Security context -------------------------------------------------------------------------

void validate_id(const Json& sc, std::string_view key, const std::string& path, FieldErrors& errs) {
  if (auto id = as_int(get(sc, key))) {
    for (auto& m : is_in_range(*id, 0, std::numeric_limits<int32_t>::max())) {
      errs.invalid(child_path(path, key), *id, std::move(m));
    }
  }
}

void validate_security_context(const Json& sc, const std::string& path, bool host_users,
                               FieldErrors& errs) {
  validate_id(sc, "runAsUser", path, errs);
  validate_id(sc, "runAsGroup", path, errs);
  if (const Json* pm = get(sc, "procMount")) {
    std::string_view v = as_string(pm);
    if (!in(v, {"Default", "Unmasked"})) {
      errs.not_supported(child_path(path, "procMount"), *pm, {"Default", "Unmasked"});
    }
    if (host_users && v == "Unmasked") {
      errs.invalid(child_path(path, "procMount"), *pm,
                   "`hostUsers` must be false to use `Unmasked`");
    }
  }
  if (const Json* sp = get(sc, "seccompProfile")) {
    validate_seccomp_profile(*sp, child_path(path, "seccompProfile"), errs);
  }
  const Json* ape = get(sc, "allowPrivilegeEscalation");
  if (ape != nullptr && ape->is_boolean() && !ape->get<bool>()) {
    if (get_bool(sc, "privileged")) {
      errs.invalid(path, sc,
                   "cannot set `allowPrivilegeEscalation` to false and `privileged` to true");
    }
    for (const Json& cap : get_array(get_object(sc, "capabilities"), "add")) {
      if (as_string(&cap) == "CAP_SYS_ADMIN") {
        errs.invalid(
            path, sc,
            "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN");
      }
    }
  }
  if (const Json* ap = get(sc, "appArmorProfile")) {
    validate_apparmor_profile(*ap, child_path(path, "appArmorProfile"), errs);
  }
}

// ---- Probes and handlers ----------------------------------------------------------------------

void validate_handler(const Json& handler, bool allow_grpc, bool allow_sleep,
                      const Json* grace_period, const std::string& path, FieldErrors& errs) {
  int num = 0;
  auto one = [&](const char* key) -> const Json* {
    const Json* h = get(handler, key);
    if (h == nullptr) return nullptr;
    if (num > 0) {
      errs.forbidden(child_path(path, key), "may not specify more than 1 handler type");
      return nullptr;
    }
    ++num;
    return h;
  };
  if (const Json* exec = one("exec")) {
    if (get_array(*exec, "command").empty())
      errs.required(child_path(child_path(path, "exec"), "command"));
  }
  if (const Json* http = one("httpGet")) {
    std::string hp = child_path(path, "httpGet");
    if (get_string(*http, "path").empty()) errs.required(child_path(hp, "path"));
    validate_port_num_or_name(get(*http, "port"), child_path(hp, "port"), errs);
    std::string_view scheme = get_string(*http, "scheme");
    if (!in(scheme, {"HTTP", "HTTPS"})) {
      errs.not_supported(child_path(hp, "scheme"), std::string(scheme), {"HTTP", "HTTPS"});
    }
    for (const Json& h : get_array(*http, "httpHeaders")) {
      std::string_view name = get_string(h, "name");
      bool ok = !name.empty();
      for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-');
      if (!ok) {
        errs.invalid(
            child_path(hp, "httpHeaders"), std::string(name),
            regex_error("a valid HTTP header must consist of alphanumeric characters or '-'",
                        "[-A-Za-z0-9]+", {"X-Header-Name"}));
      }
    }
  }
  if (const Json* tcp = one("tcpSocket")) {
    validate_port_num_or_name(get(*tcp, "port"), child_path(child_path(path, "tcpSocket"), "port"),
                              errs);
  }
  if (allow_grpc) {
    if (const Json* grpc = one("grpc")) {
      int64_t port = as_int(get(*grpc, "port")).value_or(0);
      for (auto& m : is_valid_port_num(port)) {
        errs.invalid(child_path(child_path(path, "grpc"), "port"), port, std::move(m));
      }
    }
  }
  if (allow_sleep) {
    if (const Json* sleep = one("sleep")) {
      int64_t secs = as_int(get(*sleep, "seconds")).value_or(0);
      if (auto grace = as_int(grace_period); grace && (secs < 0 || secs > *grace)) {
        errs.invalid(
            child_path(path, "sleep"), secs,
            fmt::format("must be non-negative and less than terminationGracePeriodSeconds ({})",
                        *grace));
      }
    }
  }
  if (num == 0) errs.required(path, "must specify a handler type");
}

void validate_probe(const Json& probe, const Json* grace_period, const std::string& path,
                    FieldErrors& errs) {
  validate_handler(probe, true, false, grace_period, path, errs);
  for (const char* key : {"initialDelaySeconds", "timeoutSeconds", "periodSeconds",
                          "successThreshold", "failureThreshold"}) {
    validate_nonnegative(as_int(get(probe, key)).value_or(0), child_path(path, key), errs);
  }
  if (auto tg = as_int(get(probe, "terminationGracePeriodSeconds")); tg && *tg <= 0) {
    errs.invalid(child_path(path, "terminationGracePeriodSeconds"), *tg, "must be greater than 0");
  }
}

void validate_probes(const Json& c, const Json* grace_period, const std::string& path,
                     FieldErrors& errs) {
  for (const char* kind : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    const Json* probe = get(c, kind);
    if (probe == nullptr) continue;
    std::string ppath = child_path(path, kind);
    validate_probe(*probe, grace_period, ppath, errs);
    std::string_view k = kind;
    if (k == "readinessProbe") {
      if (const Json* tg = get(*probe, "terminationGracePeriodSeconds")) {
        errs.invalid(child_path(ppath, "terminationGracePeriodSeconds"), *tg,
                     "must not be set for readinessProbes");
      }
    } else if (int64_t st = as_int(get(*probe, "successThreshold")).value_or(0); st != 1) {
      errs.invalid(child_path(ppath, "successThreshold"), st, "must be 1");
    }
  }
}

void validate_lifecycle(const Json& lc, const Json* grace_period, const std::string& path,
                        FieldErrors& errs) {
  for (const char* h : {"postStart", "preStop"}) {
    if (const Json* handler = get(lc, h)) {
      validate_handler(*handler, false, true, grace_period, child_path(path, h), errs);
    }
  }
}

// ---- Containers -------------------------------------------------------------------------------

void validate_container_common(const Json& c, const ContainerContext& ctx, const std::string& path,
                               FieldErrors& errs) {
  std::string_view name = get_string(c, "name");
  if (name.empty()) {
    errs.required(child_path(path, "name"));
  } else {
    validate_dns1123_label(name, child_path(path, "name"), errs);
  }
  if (get_string(c, "image").empty()) errs.required(child_path(path, "image"));
  std::string_view tmp = get_string(c, "terminationMessagePolicy");
  if (tmp.empty()) {
    errs.required(child_path(path, "terminationMessagePolicy"));
  } else if (!in(tmp, {"File", "FallbackToLogsOnError"})) {
    errs.not_supported(child_path(path, "terminationMessagePolicy"), std::string(tmp),
                       {"File", "FallbackToLogsOnError"});
  }
  validate_ports(get_array(c, "ports"), child_path(path, "ports"), errs);
  validate_env(get_array(c, "env"), child_path(path, "env"), errs);
  validate_env_from(get_array(c, "envFrom"), child_path(path, "envFrom"), errs);
  validate_volume_mounts(c, *ctx.volumes, child_path(path, "volumeMounts"), errs);
  validate_volume_devices(c, *ctx.volumes, child_path(path, "volumeDevices"), errs);
  std::string_view pull = get_string(c, "imagePullPolicy");
  if (pull.empty()) {
    errs.required(child_path(path, "imagePullPolicy"));
  } else if (!in(pull, {"Always", "IfNotPresent", "Never"})) {
    errs.not_supported(child_path(path, "imagePullPolicy"), std::string(pull),
                       {"Always", "IfNotPresent", "Never"});
  }
  validate_resource_requirements(get_object(c, "resources"), child_path(path, "resources"), errs);
  validate_resize_policy(get_array(c, "resizePolicy"), child_path(path, "resizePolicy"),
                         ctx.restart_policy, errs);
  if (const Json* sc = get(c, "securityContext")) {
    validate_security_context(*sc, child_path(path, "securityContext"), ctx.host_users, errs);
  }
}

}  // namespace

void validate_containers(const Json& containers, const ContainerContext& ctx,
                         const std::string& path, FieldErrors& errs) {
  if (!containers.is_array() || containers.empty()) {
    errs.required(path);
    return;
  }
  std::set<std::string_view> names;
  std::vector<const Json*> all;
  std::vector<size_t> indexes;
  for (size_t i = 0; i < containers.size(); ++i) {
    const Json& c = containers[i];
    std::string cpath = index_path(path, i);
    validate_container_common(c, ctx, cpath, errs);
    std::string_view name = get_string(c, "name");
    if (!names.insert(name).second) errs.duplicate(child_path(cpath, "name"), std::string(name));
    if (const Json* lc = get(c, "lifecycle")) {
      validate_lifecycle(*lc, ctx.grace_period, child_path(cpath, "lifecycle"), errs);
    }
    validate_probes(c, ctx.grace_period, cpath, errs);
    if (get(c, "restartPolicy") != nullptr) {
      errs.forbidden(child_path(cpath, "restartPolicy"), "may not be set for non-init containers");
    }
    all.push_back(&c);
    indexes.push_back(i);
  }
  check_host_port_conflicts(all, indexes, path, errs);
}

void validate_init_containers(const Json& init_containers, const Json& containers,
                              const ContainerContext& ctx, const std::string& path,
                              FieldErrors& errs) {
  if (!init_containers.is_array()) return;
  std::set<std::string_view> names;
  for (std::string_view n : container_names(containers)) names.insert(n);
  for (size_t i = 0; i < init_containers.size(); ++i) {
    const Json& c = init_containers[i];
    std::string cpath = index_path(path, i);
    validate_container_common(c, ctx, cpath, errs);
    bool restart_always = false;
    if (const Json* rp = get(c, "restartPolicy")) {
      if (as_string(rp) == "Always") {
        restart_always = true;
      } else {
        errs.not_supported(child_path(cpath, "restartPolicy"), *rp, {"Always"});
      }
    }
    std::string_view name = get_string(c, "name");
    if (names.count(name)) {
      errs.duplicate(child_path(cpath, "name"), std::string(name));
    } else if (!name.empty()) {
      names.insert(name);
    }
    // Init containers run one at a time, so host ports only conflict within one of them.
    check_host_port_conflicts({&c}, {i}, path, errs);
    if (restart_always) {
      if (const Json* lc = get(c, "lifecycle")) {
        validate_lifecycle(*lc, ctx.grace_period, child_path(cpath, "lifecycle"), errs);
      }
      validate_probes(c, ctx.grace_period, cpath, errs);
    } else {
      for (const char* key : {"lifecycle", "livenessProbe", "readinessProbe", "startupProbe"}) {
        if (get(c, key) != nullptr) {
          errs.forbidden(child_path(cpath, key),
                         "may not be set for init containers without restartPolicy=Always");
        }
      }
    }
  }
}

void validate_ephemeral_containers(const Json& ephemeral, const Json& containers,
                                   const Json& init_containers, const ContainerContext& ctx,
                                   const std::string& path, FieldErrors& errs) {
  if (!ephemeral.is_array() || ephemeral.empty()) return;
  std::set<std::string_view> others, all;
  for (std::string_view n : container_names(containers)) others.insert(n);
  for (std::string_view n : container_names(init_containers)) others.insert(n);
  all = others;
  for (size_t i = 0; i < ephemeral.size(); ++i) {
    const Json& ec = ephemeral[i];
    std::string cpath = index_path(path, i);
    validate_container_common(ec, ctx, cpath, errs);
    std::string_view image = get_string(ec, "image");
    auto trimmed = image;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front())))
      trimmed.remove_prefix(1);
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.back())))
      trimmed.remove_suffix(1);
    if (trimmed.size() != image.size()) {
      errs.invalid(child_path(cpath, "image"), std::string(image),
                   "must not have leading or trailing whitespace");
    }
    std::string_view name = get_string(ec, "name");
    if (!all.insert(name).second) errs.duplicate(child_path(cpath, "name"), std::string(name));
    std::string_view target = get_string(ec, "targetContainerName");
    if (!target.empty() && !others.count(target)) {
      errs.add({FieldErrorType::kNotFound, child_path(cpath, "targetContainerName"),
                std::string(target), ""});
    }
    // Ephemeral containers may not carry what makes a container part of the workload.
    for (const char* key : {"ports", "resources", "resizePolicy", "restartPolicy", "livenessProbe",
                            "readinessProbe", "startupProbe", "lifecycle"}) {
      const Json* v = get(ec, key);
      if (v != nullptr && !(v->is_object() && v->empty()) && !(v->is_array() && v->empty())) {
        errs.forbidden(child_path(cpath, key), "cannot be set for an Ephemeral Container");
      }
    }
    const Json& mounts = get_array(ec, "volumeMounts");
    for (size_t m = 0; m < mounts.size(); ++m) {
      std::string mpath = index_path(child_path(cpath, "volumeMounts"), m);
      if (!get_string(mounts[m], "subPath").empty()) {
        errs.forbidden(child_path(mpath, "subPath"), "cannot be set for an Ephemeral Container");
      }
      if (!get_string(mounts[m], "subPathExpr").empty()) {
        errs.forbidden(child_path(mpath, "subPathExpr"),
                       "cannot be set for an Ephemeral Container");
      }
    }
  }
}

void validate_seccomp_profile(const Json& profile, const std::string& path, FieldErrors& errs) {
  std::string_view type = get_string(profile, "type");
  if (type.empty()) {
    errs.required(child_path(path, "type"), "type is required when seccompProfile is set");
  } else if (!in(type, {"Localhost", "RuntimeDefault", "Unconfined"})) {
    errs.not_supported(child_path(path, "type"), std::string(type),
                       {"Localhost", "RuntimeDefault", "Unconfined"});
  }
  const Json* local = get(profile, "localhostProfile");
  if (type == "Localhost") {
    if (local == nullptr) {
      errs.required(child_path(path, "localhostProfile"),
                    "must be set when seccomp type is Localhost");
    } else {
      validate_local_descending_path(as_string(local), child_path(path, "localhostProfile"), errs);
    }
  } else if (local != nullptr) {
    errs.invalid(child_path(path, "localhostProfile"), profile,
                 "can only be set when seccomp type is Localhost");
  }
}

void validate_apparmor_profile(const Json& profile, const std::string& path, FieldErrors& errs) {
  std::string_view type = get_string(profile, "type");
  const Json* local = get(profile, "localhostProfile");
  if (type == "Localhost") {
    if (local == nullptr || as_string(local).empty()) {
      errs.required(child_path(path, "localhostProfile"),
                    "must be set when AppArmor type is Localhost");
    } else {
      std::string_view lp = as_string(local);
      if (std::isspace(static_cast<unsigned char>(lp.front())) ||
          std::isspace(static_cast<unsigned char>(lp.back()))) {
        errs.invalid(child_path(path, "localhostProfile"), std::string(lp),
                     "must not be padded with whitespace");
      }
      if (lp.size() > 4095) errs.too_long(child_path(path, "localhostProfile"), "", 4095);
    }
  } else if (type == "RuntimeDefault" || type == "Unconfined") {
    if (local != nullptr) {
      errs.invalid(child_path(path, "localhostProfile"), *local,
                   "can only be set when AppArmor type is Localhost");
    }
  } else if (type.empty()) {
    errs.required(child_path(path, "type"), "type is required when appArmorProfile is set");
  } else {
    errs.not_supported(child_path(path, "type"), std::string(type),
                       {"Localhost", "RuntimeDefault", "Unconfined"});
  }
}

}  // namespace bosun::api::resources::podval
