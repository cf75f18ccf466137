#include "runtime/bundle_spec.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace bosun::runtime {
namespace {

Error invalid(std::string message) { return make_error(ErrorCode::kInvalid, std::move(message)); }

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// Kubernetes writes capabilities without the prefix ("NET_ADMIN"); containerd prefixes CAP_. A user
// who wrote the prefix anyway gets what they meant rather than runc's "unknown capability".
std::string oci_capability_name(std::string_view k8s_name) {
  std::string name = upper(k8s_name);
  if (name.rfind("CAP_", 0) == 0) return name;
  return "CAP_" + name;
}

size_t path_depth(std::string_view p) {
  size_t depth = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '/' && i + 1 < p.size() && p[i + 1] != '/') ++depth;
  }
  return depth;
}

std::string clean_destination(std::string_view p) {
  std::string out(p);
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

Json mount_json(std::string destination, std::string type, std::string source,
                std::vector<std::string> options) {
  return Json{{"destination", std::move(destination)},
              {"type", std::move(type)},
              {"source", std::move(source)},
              {"options", std::move(options)}};
}

// containerd's default mounts (oci.populateDefaultUnixSpec), with sysfs and cgroup writable only
// for privileged containers as the CRI plugin does.
std::vector<Json> default_mounts(const ContainerSpec& spec) {
  const char* sys_mode = spec.privileged ? "rw" : "ro";
  std::vector<Json> mounts;
  mounts.push_back(mount_json("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(
      mount_json("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  mounts.push_back(
      mount_json("/dev/pts", "devpts", "devpts",
                 {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  if (spec.shm_path.empty()) {
    mounts.push_back(mount_json("/dev/shm", "tmpfs", "shm",
                                {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  } else {
    // The pod shares one IPC namespace, so POSIX shared memory must be one tmpfs too (the CRI
    // plugin mounts the sandbox's shm into every container).
    mounts.push_back(mount_json("/dev/shm", "bind", spec.shm_path, {"rbind", "rprivate", "rw"}));
  }
  mounts.push_back(mount_json("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  mounts.push_back(mount_json("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", sys_mode}));
  mounts.push_back(mount_json("/sys/fs/cgroup", "cgroup", "cgroup",
                              {"nosuid", "noexec", "nodev", "relatime", sys_mode}));
  return mounts;
}

const char* propagation_option(MountPropagation p) {
  switch (p) {
    case MountPropagation::kHostToContainer:
      return "rslave";
    case MountPropagation::kBidirectional:
      return "rshared";
    case MountPropagation::kNone:
      break;
  }
  return "rprivate";
}

Result<Json> build_mounts(const ContainerSpec& spec, std::string* rootfs_propagation) {
  std::vector<Json> user;
  bool any_shared = false;
  bool any_slave = false;
  for (const BindMount& m : spec.mounts) {
    if (m.container_path.empty() || m.container_path[0] != '/') {
      return invalid("mount destination must be an absolute path: \"" + m.container_path + "\"");
    }
    if (m.host_path.empty() || m.host_path[0] != '/') {
      return invalid("mount source must be an absolute path: \"" + m.host_path + "\"");
    }
    any_shared = any_shared || m.propagation == MountPropagation::kBidirectional;
    any_slave = any_slave || m.propagation == MountPropagation::kHostToContainer;
    user.push_back(
        mount_json(clean_destination(m.container_path), "bind", m.host_path,
                   {"rbind", propagation_option(m.propagation), m.read_only ? "ro" : "rw"}));
  }
  // A propagating volume needs the container's root mount to propagate too, as containerd sets
  // rootfsPropagation for Bidirectional (rshared) and HostToContainer (rslave) mounts.
  if (any_shared) {
    *rootfs_propagation = "rshared";
  } else if (any_slave) {
    *rootfs_propagation = "rslave";
  }

  // containerd's WithMounts: a supplied mount replaces the default at the same destination, and a
  // supplied /dev replaces every default under /dev.
  auto overridden = [&](const std::string& dest) {
    for (const Json& u : user) {
      const std::string& ud = u["destination"].get_ref<const std::string&>();
      if (ud == dest) return true;
      if (ud == "/dev" && dest.rfind("/dev/", 0) == 0) return true;
    }
    return false;
  };
  std::vector<Json> all;
  for (Json& d : default_mounts(spec)) {
    if (!overridden(d["destination"].get<std::string>())) all.push_back(std::move(d));
  }
  for (Json& u : user) all.push_back(std::move(u));
  // Parents before children (containerd's orderedMounts), stable so equal depths keep their order.
  std::stable_sort(all.begin(), all.end(), [](const Json& a, const Json& b) {
    return path_depth(a["destination"].get_ref<const std::string&>()) <
           path_depth(b["destination"].get_ref<const std::string&>());
  });
  return Json(std::move(all));
}

Json namespaces_json(const ContainerSpec& spec) {
  const NamespaceJoin& ns = spec.namespaces;
  Json out = Json::array();
  auto add = [&](const char* type, const std::string& path) {
    Json n{{"type", type}};
    if (!path.empty()) n["path"] = path;
    out.push_back(std::move(n));
  };
  if (!ns.host_pid) add("pid", "");
  if (!ns.host_ipc) add("ipc", ns.ipc_path);
  // hostNetwork pods also keep the node's UTS namespace (the kubelet asks for NODE namespace mode
  // for both), so they see the node's hostname.
  if (!ns.host_network) add("uts", ns.uts_path);
  add("mount", "");
  if (!ns.host_network) add("network", ns.network_path);
  return out;
}

Json resources_json(const ContainerSpec& spec) {
  const ContainerResources& r = spec.resources;
  Json res = Json::object();
  if (spec.privileged) {
    res["devices"] = Json::array({Json{{"allow", true}, {"access", "rwm"}}});
  } else {
    // runc adds its own allow-list of the standard devices (null, zero, tty, ...) after this.
    res["devices"] = Json::array({Json{{"allow", false}, {"access", "rwm"}}});
  }
  // The kubelet always sets shares: from the request, or from the limit when only a limit is given
  // (a best-effort container gets the minimum, 2).
  int64_t share_basis =
      r.cpu_request_milli == 0 && r.cpu_limit_milli != 0 ? r.cpu_limit_milli : r.cpu_request_milli;
  Json cpu{{"shares", milli_cpu_to_shares(share_basis)}};
  if (r.cpu_limit_milli > 0) {
    cpu["quota"] = milli_cpu_to_quota(r.cpu_limit_milli);
    cpu["period"] = kCpuPeriodUs;
  }
  res["cpu"] = std::move(cpu);
  if (r.memory_limit_bytes > 0) res["memory"] = Json{{"limit", r.memory_limit_bytes}};
  if (r.pids_limit > 0) res["pids"] = Json{{"limit", r.pids_limit}};
  return res;
}

}  // namespace

const std::vector<std::string>& default_capabilities() {
  static const std::vector<std::string> kCaps = {
      "CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
      "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
      "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
      "CAP_KILL",    "CAP_AUDIT_WRITE",
  };
  return kCaps;
}

const std::vector<std::string>& all_capabilities() {
  // In kernel order (capability.h), CAP_CHOWN = 0 to CAP_CHECKPOINT_RESTORE = 40.
  static const std::vector<std::string> kCaps = {
      "CAP_CHOWN",
      "CAP_DAC_OVERRIDE",
      "CAP_DAC_READ_SEARCH",
      "CAP_FOWNER",
      "CAP_FSETID",
      "CAP_KILL",
      "CAP_SETGID",
      "CAP_SETUID",
      "CAP_SETPCAP",
      "CAP_LINUX_IMMUTABLE",
      "CAP_NET_BIND_SERVICE",
      "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",
      "CAP_NET_RAW",
      "CAP_IPC_LOCK",
      "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",
      "CAP_SYS_RAWIO",
      "CAP_SYS_CHROOT",
      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",
      "CAP_SYS_ADMIN",
      "CAP_SYS_BOOT",
      "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE",
      "CAP_SYS_TIME",
      "CAP_SYS_TTY_CONFIG",
      "CAP_MKNOD",
      "CAP_LEASE",
      "CAP_AUDIT_WRITE",
      "CAP_AUDIT_CONTROL",
      "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE",
      "CAP_MAC_ADMIN",
      "CAP_SYSLOG",
      "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND",
      "CAP_AUDIT_READ",
      "CAP_PERFMON",
      "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  return kCaps;
}

const std::vector<std::string>& default_masked_paths() {
  static const std::vector<std::string> kPaths = {
      "/proc/asound",
      "/proc/acpi",
      "/proc/kcore",
      "/proc/keys",
      "/proc/latency_stats",
      "/proc/timer_list",
      "/proc/timer_stats",
      "/proc/sched_debug",
      "/proc/scsi",
      "/sys/firmware",
      "/sys/devices/virtual/powercap",
  };
  return kPaths;
}

const std::vector<std::string>& default_readonly_paths() {
  static const std::vector<std::string> kPaths = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                                  "/proc/sysrq-trigger"};
  return kPaths;
}

Result<std::vector<std::string>> effective_capabilities(const CapabilityChanges& changes) {
  const std::vector<std::string>& known = all_capabilities();
  for (const auto* list : {&changes.add, &changes.drop}) {
    for (const std::string& c : *list) {
      if (upper(c) == "ALL") continue;
      if (!contains(known, oci_capability_name(c))) {
        return invalid("unknown capability \"" + c + "\"");
      }
    }
  }
  auto has_all = [](const std::vector<std::string>& v) {
    return std::any_of(v.begin(), v.end(), [](const std::string& c) { return upper(c) == "ALL"; });
  };
  std::vector<std::string> caps = default_capabilities();
  if (has_all(changes.add)) caps = known;
  if (has_all(changes.drop)) caps.clear();
  for (const std::string& c : changes.add) {
    if (upper(c) == "ALL") continue;
    std::string name = oci_capability_name(c);
    if (!contains(caps, name)) caps.push_back(name);
  }
  for (const std::string& c : changes.drop) {
    if (upper(c) == "ALL") continue;
    std::string name = oci_capability_name(c);
    caps.erase(std::remove(caps.begin(), caps.end(), name), caps.end());
  }
  return caps;
}

uint64_t milli_cpu_to_shares(int64_t milli_cpu) {
  constexpr uint64_t kMinShares = 2;
  constexpr uint64_t kMaxShares = 262144;
  if (milli_cpu <= 0) return kMinShares;
  // Written as the kubelet does, (milli * 1024) / 1000, so rounding matches: 1m -> 1 -> 2.
  uint64_t shares = static_cast<uint64_t>(milli_cpu) * 1024 / 1000;
  return std::clamp(shares, kMinShares, kMaxShares);
}

int64_t milli_cpu_to_quota(int64_t milli_cpu, int64_t period_us) {
  constexpr int64_t kMinQuotaPeriod = 1000;
  if (milli_cpu <= 0) return 0;
  int64_t quota = milli_cpu * period_us / 1000;
  return std::max(quota, kMinQuotaPeriod);
}

int container_oom_score_adj(QosClass qos, int64_t memory_request_bytes,
                            int64_t memory_capacity_bytes) {
  constexpr int kGuaranteed = -997;
  constexpr int kBestEffort = 1000;
  if (qos == QosClass::kGuaranteed) return kGuaranteed;
  if (qos == QosClass::kBestEffort || memory_capacity_bytes <= 0) return kBestEffort;
  int64_t adj = 1000 - (1000 * memory_request_bytes) / memory_capacity_bytes;
  // A Burstable container must stay more killable than Guaranteed ones and less than BestEffort.
  if (adj < 1000 + kGuaranteed) return 1000 + kGuaranteed;
  if (adj >= kBestEffort) return kBestEffort - 1;
  return static_cast<int>(adj);
}

std::string pod_cgroup_parent(std::string_view pod_uid) {
  return "/bosun/pod" + std::string(pod_uid);
}

std::string container_cgroup_path(std::string_view pod_uid, std::string_view container_id) {
  return pod_cgroup_parent(pod_uid) + "/" + std::string(container_id);
}

Result<Json> build_runtime_spec(const ContainerSpec& spec) {
  if (spec.args.empty()) return invalid("no command specified");
  if (spec.rootfs.empty() || spec.rootfs[0] != '/') {
    return invalid("root path must be absolute: \"" + spec.rootfs + "\"");
  }
  if (spec.cwd.empty() || spec.cwd[0] != '/') {
    return invalid("working directory must be absolute: \"" + spec.cwd + "\"");
  }
  if (!spec.cgroups_path.empty() && spec.cgroups_path[0] != '/') {
    return invalid("cgroups path must be absolute: \"" + spec.cgroups_path + "\"");
  }
  for (const std::string& e : spec.env) {
    if (e.find('=') == std::string::npos || e[0] == '=') {
      return invalid("environment entry must be NAME=value: \"" + e + "\"");
    }
  }

  std::vector<std::string> caps;
  if (spec.privileged) {
    caps = all_capabilities();
  } else {
    BOSUN_ASSIGN_OR_RETURN(caps, effective_capabilities(spec.capabilities));
  }

  Json user{{"uid", spec.uid}, {"gid", spec.gid}};
  if (!spec.additional_gids.empty()) user["additionalGids"] = spec.additional_gids;

  Json process{
      {"terminal", spec.terminal},
      {"user", std::move(user)},
      {"args", spec.args},
      {"env", spec.env},
      {"cwd", spec.cwd},
      // No inheritable or ambient set: containerd dropped them (CVE-2022-24769), so a non-root
      // process gets no capabilities across exec unless its file says so.
      {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
      {"noNewPrivileges", spec.no_new_privileges},
  };
  if (!spec.rlimits.empty()) {
    Json rl = Json::array();
    for (const Rlimit& r : spec.rlimits) {
      if (r.type.rfind("RLIMIT_", 0) != 0) return invalid("unknown rlimit \"" + r.type + "\"");
      rl.push_back(Json{{"type", r.type}, {"soft", r.soft}, {"hard", r.hard}});
    }
    process["rlimits"] = std::move(rl);
  }
  if (spec.oom_score_adj) process["oomScoreAdj"] = *spec.oom_score_adj;

  std::string rootfs_propagation;
  BOSUN_ASSIGN_OR_RETURN(Json mounts, build_mounts(spec, &rootfs_propagation));

  Json linux_section{
      {"namespaces", namespaces_json(spec)},
      {"resources", resources_json(spec)},
  };
  if (!spec.privileged) {
    linux_section["maskedPaths"] = default_masked_paths();
    linux_section["readonlyPaths"] = default_readonly_paths();
  }
  if (!spec.cgroups_path.empty()) linux_section["cgroupsPath"] = spec.cgroups_path;
  if (!spec.sysctls.empty()) linux_section["sysctl"] = spec.sysctls;
  if (!rootfs_propagation.empty()) linux_section["rootfsPropagation"] = rootfs_propagation;

  Json out{
      {"ociVersion", "1.0.2"},
      {"process", std::move(process)},
      {"root", {{"path", spec.rootfs}, {"readonly", spec.readonly_rootfs}}},
      {"mounts", std::move(mounts)},
      {"linux", std::move(linux_section)},
  };
  // runc refuses a hostname without a UTS namespace of the container's own (or its pod's).
  if (!spec.hostname.empty() && !spec.namespaces.host_network) out["hostname"] = spec.hostname;
  if (!spec.annotations.empty()) out["annotations"] = spec.annotations;
  return out;
}

Result<void> write_bundle(const std::string& bundle_dir, const ContainerSpec& spec) {
  BOSUN_ASSIGN_OR_RETURN(Json config, build_runtime_spec(spec));
  std::error_code ec;
  std::filesystem::create_directories(bundle_dir, ec);
  if (ec) {
    return make_error(ErrorCode::kInternal,
                      "create bundle directory " + bundle_dir + ": " + ec.message());
  }
  std::string text = config.dump();
  std::string path = bundle_dir + "/config.json";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(ErrorCode::kInternal, "open " + path + ": " + std::strerror(errno));
  }
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      return make_error(ErrorCode::kInternal, "write " + path + ": " + std::strerror(err));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  return ok_result();
}

}  // namespace bosun::runtime
