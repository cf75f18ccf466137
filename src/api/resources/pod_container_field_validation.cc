// Field-level container checks of pkg/apis/core/validation: ports and host-port conflicts, env
// and envFrom (downward API field paths, key selectors), volume mounts and devices.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "api/registry.h"
#include "api/resources/pod_validation_internal.h"
#include "api/resources/strategy_util.h"
#include "api/validation.h"

namespace bosun::api::resources::podval {
namespace {

const std::vector<std::string> kProtocols = {"SCTP", "TCP", "UDP"};

bool in(std::string_view v, std::initializer_list<std::string_view> set) {
  return std::find(set.begin(), set.end(), v) != set.end();
}

}  // namespace

// ---- Ports ------------------------------------------------------------------------------------

void validate_port_num_or_name(const Json* port, const std::string& path, FieldErrors& errs) {
  if (port == nullptr) {
    // A zero IntOrString is the int 0.
    for (auto& msg : is_valid_port_num(0)) errs.invalid(path, 0, std::move(msg));
    return;
  }
  if (port->is_number()) {
    int64_t n = as_int(port).value_or(0);
    for (auto& msg : is_valid_port_num(n)) errs.invalid(path, n, std::move(msg));
  } else if (port->is_string()) {
    const std::string& s = port->get_ref<const std::string&>();
    for (auto& msg : is_valid_port_name(s)) errs.invalid(path, s, std::move(msg));
  }
}

void validate_ports(const Json& ports, const std::string& path, FieldErrors& errs) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < ports.size(); ++i) {
    const Json& p = ports[i];
    std::string idx = index_path(path, i);
    std::string_view name = get_string(p, "name");
    if (!name.empty()) {
      auto msgs = is_valid_port_name(name);
      if (!msgs.empty()) {
        for (auto& m : msgs) errs.invalid(child_path(idx, "name"), std::string(name), std::move(m));
      } else if (!names.insert(name).second) {
        errs.duplicate(child_path(idx, "name"), std::string(name));
      }
    }
    int64_t cp = as_int(get(p, "containerPort")).value_or(0);
    if (cp == 0) {
      errs.required(child_path(idx, "containerPort"));
    } else {
      for (auto& m : is_valid_port_num(cp)) errs.invalid(child_path(idx, "containerPort"), cp, m);
    }
    int64_t hp = as_int(get(p, "hostPort")).value_or(0);
    if (hp != 0) {
      for (auto& m : is_valid_port_num(hp)) errs.invalid(child_path(idx, "hostPort"), hp, m);
    }
    std::string_view proto = get_string(p, "protocol");
    if (proto.empty()) {
      errs.required(child_path(idx, "protocol"));
    } else if (!in(proto, {"SCTP", "TCP", "UDP"})) {
      errs.not_supported(child_path(idx, "protocol"), std::string(proto), kProtocols);
    }
  }
}

// AccumulateUniqueHostPorts: protocol/hostIP/hostPort must be unique across `containers`.
void check_host_port_conflicts(const std::vector<const Json*>& containers,
                               const std::vector<size_t>& indexes, const std::string& path,
                               FieldErrors& errs) {
  std::set<std::string> seen;
  for (size_t ci = 0; ci < containers.size(); ++ci) {
    const Json& ports = get_array(*containers[ci], "ports");
    std::string ports_path = child_path(index_path(path, indexes[ci]), "ports");
    for (size_t pi = 0; pi < ports.size(); ++pi) {
      int64_t hp = as_int(get(ports[pi], "hostPort")).value_or(0);
      if (hp == 0) continue;
      std::string key = fmt::format("{}/{}/{}", get_string(ports[pi], "protocol"),
                                    get_string(ports[pi], "hostIP"), hp);
      if (!seen.insert(key).second) {
        errs.duplicate(child_path(index_path(ports_path, pi), "hostPort"), key);
      }
    }
  }
}

// ---- Env --------------------------------------------------------------------------------------

namespace {

const std::vector<std::string>& env_field_paths() {
  static const std::vector<std::string> kPaths = {"metadata.name",
                                                  "metadata.namespace",
                                                  "metadata.uid",
                                                  "spec.nodeName",
                                                  "spec.serviceAccountName",
                                                  "status.hostIP",
                                                  "status.hostIPs",
                                                  "status.podIP",
                                                  "status.podIPs"};
  return kPaths;
}

// The field labels podshelper.ConvertDownwardAPIFieldLabel accepts for v1.
bool downward_label_known(std::string_view label) {
  return in(label, {"metadata.annotations", "metadata.labels", "metadata.name",
                    "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.restartPolicy",
                    "spec.serviceAccountName", "spec.schedulerName", "status.phase",
                    "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"});
}

void validate_object_field_selector(const Json& fs, const std::string& path, FieldErrors& errs) {
  std::string_view api_version = get_string(fs, "apiVersion");
  std::string_view fp = get_string(fs, "fieldPath");
  if (api_version.empty()) {
    errs.required(child_path(path, "apiVersion"));
    return;
  }
  if (fp.empty()) {
    errs.required(child_path(path, "fieldPath"));
    return;
  }
  // A subscripted path: metadata.labels['key'] or metadata.annotations['key'].
  if (size_t open = fp.find('['); open != std::string_view::npos) {
    std::string_view base = fp.substr(0, open);
    std::string_view rest = fp.substr(open);
    if (rest.size() >= 4 && rest.substr(0, 2) == "['" && rest.substr(rest.size() - 2) == "']") {
      std::string sub(rest.substr(2, rest.size() - 4));
      if (base == "metadata.annotations") {
        std::string lower = sub;
        for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        validate_qualified_name(lower, path, errs);
        return;
      }
      if (base == "metadata.labels") {
        validate_qualified_name(sub, path, errs);
        return;
      }
      errs.invalid(path, std::string(base), "does not support subscript");
      return;
    }
  }
  if (api_version != "v1" || !downward_label_known(fp)) {
    errs.invalid(child_path(path, "fieldPath"), std::string(fp),
                 fmt::format("error converting fieldPath: field label not supported: {}", fp));
    return;
  }
  const auto& allowed = env_field_paths();
  if (std::find(allowed.begin(), allowed.end(), fp) == allowed.end()) {
    errs.not_supported(child_path(path, "fieldPath"), std::string(fp), allowed);
  }
}

void validate_key_selector(const Json& sel, const std::string& path, FieldErrors& errs) {
  std::string_view name = get_string(sel, "name");
  for (auto& msg : is_dns1123_subdomain(name)) {
    errs.invalid(child_path(path, "name"), std::string(name), std::move(msg));
  }
  std::string_view key = get_string(sel, "key");
  if (key.empty()) {
    errs.required(child_path(path, "key"));
  } else {
    for (auto& msg : is_config_map_key(key)) {
      errs.invalid(child_path(path, "key"), std::string(key), std::move(msg));
    }
  }
}

void validate_resource_field_selector(const Json& fs, const std::string& path, FieldErrors& errs) {
  static const std::vector<std::string> kResources = {
      "limits.cpu",   "limits.ephemeral-storage",   "limits.memory",
      "requests.cpu", "requests.ephemeral-storage", "requests.memory"};
  std::string_view res = get_string(fs, "resource");
  if (res.empty()) {
    errs.required(child_path(path, "resource"));
  } else if (std::find(kResources.begin(), kResources.end(), res) == kResources.end() &&
             res.substr(0, 19) != "requests.hugepages-" &&
             res.substr(0, 17) != "limits.hugepages-") {
    errs.not_supported(child_path(path, "resource"), std::string(res), kResources);
  }
}

}  // namespace

void validate_env(const Json& env, const std::string& path, FieldErrors& errs) {
  for (size_t i = 0; i < env.size(); ++i) {
    const Json& ev = env[i];
    std::string idx = index_path(path, i);
    std::string_view name = get_string(ev, "name");
    if (name.empty()) {
      errs.required(child_path(idx, "name"));
    } else {
      for (auto& m : is_relaxed_env_var_name(name)) {
        errs.invalid(child_path(idx, "name"), std::string(name), std::move(m));
      }
    }
    const Json* from = get(ev, "valueFrom");
    if (from == nullptr) continue;
    std::string fpath = child_path(idx, "valueFrom");
    int num = 0;
    if (const Json* f = get(*from, "fieldRef")) {
      ++num;
      validate_object_field_selector(*f, child_path(fpath, "fieldRef"), errs);
    }
    if (const Json* r = get(*from, "resourceFieldRef")) {
      ++num;
      validate_resource_field_selector(*r, child_path(fpath, "resourceFieldRef"), errs);
    }
    if (const Json* c = get(*from, "configMapKeyRef")) {
      ++num;
      validate_key_selector(*c, child_path(fpath, "configMapKeyRef"), errs);
    }
    if (const Json* s = get(*from, "secretKeyRef")) {
      ++num;
      validate_key_selector(*s, child_path(fpath, "secretKeyRef"), errs);
    }
    if (num == 0) {
      errs.invalid(fpath, "",
                   "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or "
                   "`secretKeyRef`");
    } else if (!get_string(ev, "value").empty()) {
      errs.invalid(fpath, "", "may not be specified when `value` is not empty");
    } else if (num > 1) {
      errs.invalid(fpath, "", "may not have more than one field specified at a time");
    }
  }
}

void validate_env_from(const Json& env_from, const std::string& path, FieldErrors& errs) {
  for (size_t i = 0; i < env_from.size(); ++i) {
    const Json& ef = env_from[i];
    std::string idx = index_path(path, i);
    if (std::string_view prefix = get_string(ef, "prefix"); !prefix.empty()) {
      for (auto& m : is_relaxed_env_var_name(prefix)) {
        errs.invalid(child_path(idx, "prefix"), std::string(prefix), std::move(m));
      }
    }
    int num = 0;
    for (const char* kind : {"configMapRef", "secretRef"}) {
      const Json* ref = get(ef, kind);
      if (ref == nullptr) continue;
      ++num;
      std::string npath = child_path(child_path(idx, kind), "name");
      std::string_view name = get_string(*ref, "name");
      if (name.empty()) {
        errs.required(npath);
      } else {
        for (auto& m : name_is_dns_subdomain(name, true)) errs.invalid(npath, std::string(name), m);
      }
    }
    if (num == 0) {
      errs.invalid(path, "", "must specify one of: `configMapRef` or `secretRef`");
    } else if (num > 1) {
      errs.invalid(path, "", "may not have more than one field specified at a time");
    }
  }
}

// ---- Mounts -----------------------------------------------------------------------------------

namespace {

bool is_pvc_like(const Json* volume) {
  return volume != nullptr &&
         (get(*volume, "persistentVolumeClaim") != nullptr || get(*volume, "ephemeral") != nullptr);
}

}  // namespace

void validate_volume_mounts(const Json& container, const VolumeMap& volumes,
                            const std::string& path, FieldErrors& errs) {
  const Json& mounts = get_array(container, "volumeMounts");
  const Json& devices = get_array(container, "volumeDevices");
  std::set<std::string_view> mount_points;
  auto device_has_name = [&](std::string_view n) {
    for (const Json& d : devices) {
      if (get_string(d, "name") == n) return true;
    }
    return false;
  };
  auto device_has_path = [&](std::string_view p) {
    for (const Json& d : devices) {
      if (get_string(d, "devicePath") == p) return true;
    }
    return false;
  };
  bool privileged = get_bool(get_object(container, "securityContext"), "privileged");
  for (size_t i = 0; i < mounts.size(); ++i) {
    const Json& m = mounts[i];
    std::string idx = index_path(path, i);
    std::string_view name = get_string(m, "name");
    std::string_view mount_path = get_string(m, "mountPath");
    if (name.empty()) errs.required(child_path(idx, "name"));
    auto vit = volumes.find(name);
    if (vit == volumes.end()) {
      errs.add({FieldErrorType::kNotFound, child_path(idx, "name"), std::string(name), ""});
    }
    if (mount_path.empty()) errs.required(child_path(idx, "mountPath"));
    if (!mount_points.insert(mount_path).second) {
      errs.invalid(child_path(idx, "mountPath"), std::string(mount_path), "must be unique");
    }
    if (device_has_name(name)) {
      errs.invalid(child_path(idx, "name"), std::string(name),
                   "must not already exist in volumeDevices");
    }
    if (device_has_path(mount_path)) {
      errs.invalid(child_path(idx, "mountPath"), std::string(mount_path),
                   "must not already exist as a path in volumeDevices");
    }
    std::string_view sub = get_string(m, "subPath");
    std::string_view sub_expr = get_string(m, "subPathExpr");
    if (vit != volumes.end() && get(*vit->second, "image") != nullptr) {
      if (!sub.empty()) {
        errs.invalid(child_path(idx, "subPath"), std::string(sub),
                     "not allowed in image volume sources");
      }
      if (!sub_expr.empty()) {
        errs.invalid(child_path(idx, "subPathExpr"), std::string(sub_expr),
                     "not allowed in image volume sources");
      }
    }
    // Upstream reports these two under the list's path, not the item's.
    if (!sub.empty()) validate_local_descending_path(sub, child_path(path, "subPath"), errs);
    if (!sub_expr.empty()) {
      if (!sub.empty()) {
        errs.invalid(child_path(idx, "subPathExpr"), std::string(sub_expr),
                     "subPathExpr and subPath are mutually exclusive");
      }
      validate_local_descending_path(sub_expr, child_path(path, "subPathExpr"), errs);
    }
    std::string_view prop = get_string(m, "mountPropagation");
    if (get(m, "mountPropagation") != nullptr) {
      std::string ppath = child_path(path, "mountPropagation");
      if (!in(prop, {"Bidirectional", "HostToContainer", "None"})) {
        errs.not_supported(ppath, std::string(prop), {"Bidirectional", "HostToContainer", "None"});
      }
      if (prop == "Bidirectional" && !privileged) {
        errs.forbidden(
            ppath, "Bidirectional mount propagation is available only to privileged containers");
      }
    }
    if (const Json* rro = get(m, "recursiveReadOnly")) {
      std::string rpath = child_path(path, "recursiveReadOnly");
      std::string_view v = as_string(rro);
      if (v == "Enabled" || v == "IfPossible") {
        if (!get_bool(m, "readOnly"))
          errs.forbidden(rpath, "may only be specified when readOnly is true");
        if (!prop.empty() && prop != "None") {
          errs.forbidden(rpath,
                         "may only be specified when mountPropagation is None or not specified");
        }
      } else if (v != "Disabled") {
        errs.not_supported(rpath, *rro, {"Disabled", "Enabled", "IfPossible"});
      }
    }
  }
}

void validate_volume_devices(const Json& container, const VolumeMap& volumes,
                             const std::string& path, FieldErrors& errs) {
  const Json& devices = get_array(container, "volumeDevices");
  const Json& mounts = get_array(container, "volumeMounts");
  std::set<std::string_view> names, paths;
  for (size_t i = 0; i < devices.size(); ++i) {
    const Json& d = devices[i];
    std::string idx = index_path(path, i);
    std::string_view name = get_string(d, "name");
    std::string_view dev_path = get_string(d, "devicePath");
    auto vit = volumes.find(name);
    if (name.empty()) errs.required(child_path(idx, "name"));
    if (names.count(name))
      errs.invalid(child_path(idx, "name"), std::string(name), "must be unique");
    if (vit != volumes.end() && !is_pvc_like(vit->second)) {
      errs.invalid(
          child_path(idx, "name"), std::string(name),
          "can only use volume source type of PersistentVolumeClaim or Ephemeral for block mode");
    }
    if (vit == volumes.end()) {
      errs.add({FieldErrorType::kNotFound, child_path(idx, "name"), std::string(name), ""});
    }
    if (dev_path.empty()) errs.required(child_path(idx, "devicePath"));
    if (paths.count(dev_path)) {
      errs.invalid(child_path(idx, "devicePath"), std::string(dev_path), "must be unique");
    }
    if (!dev_path.empty() && has_backsteps(dev_path)) {
      errs.invalid(child_path(idx, "devicePath"), std::string(dev_path),
                   "can not contain backsteps ('..')");
    } else {
      paths.insert(dev_path);
    }
    for (const Json& m : mounts) {
      if (get_string(m, "name") == name) {
        errs.invalid(child_path(idx, "name"), std::string(name),
                     "must not already exist in volumeMounts");
        break;
      }
    }
    for (const Json& m : mounts) {
      if (get_string(m, "mountPath") == dev_path) {
        errs.invalid(child_path(idx, "devicePath"), std::string(dev_path),
                     "must not already exist as a path in volumeMounts");
        break;
      }
    }
    if (!name.empty()) names.insert(name);
  }
}

}  // namespace bosun::api::resources::podval
