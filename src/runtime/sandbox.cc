#include "runtime/sandbox.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/json.h"
#include "runtime/cgroup.h"

namespace bosun::runtime {
namespace {

constexpr const char* kConfigFile = "sandbox.json";

Error internal(std::string message) { return make_error(ErrorCode::kInternal, std::move(message)); }

Result<void> write_file(const std::string& path, std::string_view content) {
  std::ofstream out(path, std::ios::trunc);
  out << content;
  out.close();
  if (!out) return internal("write " + path + ": " + std::strerror(errno));
  return ok_result();
}

Json config_to_json(const SandboxConfig& c) {
  Json aliases = Json::array();
  for (const HostAlias& a : c.host_aliases)
    aliases.push_back({{"ip", a.ip}, {"hostnames", a.hostnames}});
  return Json{{"podUID", c.pod_uid},
              {"podName", c.pod_name},
              {"podNamespace", c.pod_namespace},
              {"hostname", c.hostname},
              {"subdomain", c.subdomain},
              {"clusterDomain", c.cluster_domain},
              {"hostNetwork", c.host_network},
              {"hostIPC", c.host_ipc},
              {"podIPs", c.pod_ips},
              {"hostAliases", aliases},
              {"dns",
               {{"nameservers", c.dns.nameservers},
                {"searches", c.dns.searches},
                {"options", c.dns.options}}},
              {"shmSizeBytes", c.shm_size_bytes}};
}

SandboxConfig config_from_json(const Json& j) {
  SandboxConfig c;
  c.pod_uid = j.at("podUID").get<std::string>();
  c.pod_name = j.value("podName", "");
  c.pod_namespace = j.value("podNamespace", "");
  c.hostname = j.value("hostname", "");
  c.subdomain = j.value("subdomain", "");
  c.cluster_domain = j.value("clusterDomain", "cluster.local");
  c.host_network = j.value("hostNetwork", false);
  c.host_ipc = j.value("hostIPC", false);
  c.pod_ips = j.value("podIPs", std::vector<std::string>{});
  for (const Json& a : j.value("hostAliases", Json::array())) {
    c.host_aliases.push_back({a.value("ip", ""), a.value("hostnames", std::vector<std::string>{})});
  }
  Json dns = j.value("dns", Json::object());
  c.dns.nameservers = dns.value("nameservers", std::vector<std::string>{});
  c.dns.searches = dns.value("searches", std::vector<std::string>{});
  c.dns.options = dns.value("options", std::vector<std::string>{});
  c.shm_size_bytes = j.value("shmSizeBytes", uint64_t{64 * 1024 * 1024});
  return c;
}

bool is_mount_point(const std::string& path) {
  struct stat st, parent;
  if (::lstat(path.c_str(), &st) != 0) return false;
  std::string up = std::filesystem::path(path).parent_path().string();
  if (::lstat(up.c_str(), &parent) != 0) return false;
  if (st.st_dev != parent.st_dev) return true;
  // A bind-mounted namespace file lives on nsfs, whose st_dev differs from the directory's; a
  // regular empty file does not. Reading /proc/self/mountinfo covers the remaining cases.
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent_id, devs, root, mount_point;
    fields >> id >> parent_id >> devs >> root >> mount_point;
    if (mount_point == path) return true;
  }
  return false;
}

Result<void> unmount_all(const std::string& path) {
  // Detach, so a namespace file someone still has open does not block teardown (ip netns del
  // does the same). Loop: the same path may have been mounted over more than once.
  for (int i = 0; i < 8 && is_mount_point(path); ++i) {
    if (::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
      return internal("unmount " + path + ": " + std::strerror(errno));
    }
  }
  return ok_result();
}

// What the namespace helper needs, prepared by the agent before the child runs (the child may not
// allocate: it shares the agent's memory).
struct NamespaceJob {
  int flags = 0;
  const char* net = nullptr;
  const char* ipc = nullptr;
  const char* uts = nullptr;
  const char* hostname = nullptr;
  size_t hostname_len = 0;
};

// The helper child's body: only system calls, no allocation, no locks. Not instrumented by
// AddressSanitizer: its frames live on a heap block, whose shadow they must not leave poisoned.
__attribute__((no_sanitize_address)) int namespace_child(void* arg) {
  const NamespaceJob& job = *static_cast<const NamespaceJob*>(arg);
  if (::unshare(job.flags) != 0) return 10;
  if (job.uts && ::sethostname(job.hostname, job.hostname_len) != 0) return 11;
  if (job.net) {
    // A new network namespace starts with lo down; pods expect localhost to work.
    int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return 12;
    struct ifreq ifr;
    std::memset(&ifr, 0, sizeof ifr);
    std::memcpy(ifr.ifr_name, "lo", 3);
    if (::ioctl(s, SIOCGIFFLAGS, &ifr) != 0) return 13;
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    if (::ioctl(s, SIOCSIFFLAGS, &ifr) != 0) return 14;
    ::close(s);
    if (::mount("/proc/self/ns/net", job.net, nullptr, MS_BIND, nullptr) != 0) return 15;
  }
  if (job.ipc && ::mount("/proc/self/ns/ipc", job.ipc, nullptr, MS_BIND, nullptr) != 0) return 16;
  if (job.uts && ::mount("/proc/self/ns/uts", job.uts, nullptr, MS_BIND, nullptr) != 0) return 17;
  return 0;
}

// Creates the namespaces in a short-lived child (so no agent thread ever changes namespace) and
// bind-mounts them onto the given files. Empty paths are skipped. The child shares the agent's
// memory and the agent's thread waits until it has exited (CLONE_VM | CLONE_VFORK, as
// posix_spawn does): a fork() would copy the page tables of the whole agent and then take a
// copy-on-write fault on every page any agent thread touches, which cost more than the namespaces
// themselves once 50 pods start at once.
Result<void> make_namespaces(const std::string& net, const std::string& ipc, const std::string& uts,
                             const std::string& hostname) {
  NamespaceJob job;
  if (!net.empty()) job.flags |= CLONE_NEWNET, job.net = net.c_str();
  if (!ipc.empty()) job.flags |= CLONE_NEWIPC, job.ipc = ipc.c_str();
  if (!uts.empty()) job.flags |= CLONE_NEWUTS, job.uts = uts.c_str();
  job.hostname = hostname.data();
  job.hostname_len = hostname.size();
  if (job.flags == 0) return ok_result();
  // The child runs on its own small stack (the stack grows down: pass its top).
  constexpr size_t kStackSize = 64 * 1024;
  std::unique_ptr<char[]> stack(new char[kStackSize]);
  pid_t pid =
      ::clone(namespace_child, stack.get() + kStackSize, CLONE_VM | CLONE_VFORK | SIGCHLD, &job);
  if (pid < 0) return internal(std::string("clone: ") + std::strerror(errno));
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return ok_result();
  static const char* const kSteps[] = {"unshare namespaces",
                                       "set hostname",
                                       "open a socket",
                                       "read lo flags",
                                       "bring lo up",
                                       "bind-mount the network namespace",
                                       "bind-mount the IPC namespace",
                                       "bind-mount the UTS namespace"};
  int code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::string step = code >= 10 && code <= 17 ? kSteps[code - 10] : "run the namespace helper";
  return internal("sandbox: failed to " + step);
}

Result<void> touch(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0444);
  if (fd < 0) return internal("create " + path + ": " + std::strerror(errno));
  ::close(fd);
  return ok_result();
}

}  // namespace

std::string Sandbox::network_ns_path() const {
  return config_.host_network ? "" : dir_ + "/ns/net";
}
std::string Sandbox::ipc_ns_path() const { return config_.host_ipc ? "" : dir_ + "/ns/ipc"; }
std::string Sandbox::uts_ns_path() const { return config_.host_network ? "" : dir_ + "/ns/uts"; }
std::string Sandbox::shm_path() const { return config_.host_ipc ? "" : dir_ + "/shm"; }
std::string Sandbox::hostname() const {
  if (config_.host_network) {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
  }
  return pod_hostname(config_.pod_name, config_.hostname);
}

Result<Sandbox> Sandbox::create(const std::string& sandboxes_root, const SandboxConfig& config) {
  if (config.pod_uid.empty() || config.pod_uid.find('/') != std::string::npos ||
      config.pod_uid == "." || config.pod_uid == "..") {
    return make_error(ErrorCode::kBadRequest, "sandbox: bad pod uid \"" + config.pod_uid + "\"");
  }
  std::string dir = sandboxes_root + "/" + config.pod_uid;
  if (std::filesystem::exists(dir)) {
    return make_error(ErrorCode::kAlreadyExists, "sandbox for pod " + config.pod_uid + " exists");
  }
  Sandbox sb(dir, config);
  auto fail = [&](Error e) -> Result<Sandbox> {
    (void)sb.destroy();
    return e;
  };
  std::error_code ec;
  std::filesystem::create_directories(dir + "/ns", ec);
  if (ec) return fail(internal("create " + dir + ": " + ec.message()));
  // Written first, so a crash half-way leaves enough for open() + destroy() to clean up.
  if (auto r = write_file(dir + "/" + kConfigFile, config_to_json(config).dump()); !r.ok()) {
    return fail(r.error());
  }
  for (const std::string& p : {sb.network_ns_path(), sb.ipc_ns_path(), sb.uts_ns_path()}) {
    if (p.empty()) continue;
    if (auto r = touch(p); !r.ok()) return fail(r.error());
  }
  if (auto r =
          make_namespaces(sb.network_ns_path(), sb.ipc_ns_path(), sb.uts_ns_path(), sb.hostname());
      !r.ok()) {
    return fail(r.error());
  }
  if (!sb.shm_path().empty()) {
    std::filesystem::create_directories(sb.shm_path(), ec);
    std::string opts = "mode=1777,size=" + std::to_string(config.shm_size_bytes);
    if (::mount("shm", sb.shm_path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                opts.c_str()) != 0) {
      return fail(internal("mount shm: " + std::string(std::strerror(errno))));
    }
  }
  std::string hosts;
  if (config.host_network) {
    // hostNetwork pods see the node's hosts file (plus their aliases), as the kubelet does.
    std::ifstream in("/etc/hosts");
    std::ostringstream ss;
    ss << in.rdbuf();
    hosts = "# Kubernetes-managed hosts file (host network).\n" + ss.str();
    if (!config.host_aliases.empty()) {
      std::string aliases = managed_hosts_file({}, "", "", config.host_aliases);
      hosts += aliases.substr(aliases.find("\n# Entries added by HostAliases."));
    }
  } else {
    std::string domain;
    if (!config.subdomain.empty()) {
      domain = config.subdomain + "." + config.pod_namespace + ".svc." + config.cluster_domain;
    }
    hosts = managed_hosts_file(config.pod_ips, sb.hostname(), domain, config.host_aliases);
  }
  if (auto r = write_file(sb.hosts_path(), hosts); !r.ok()) return fail(r.error());
  std::string resolv;
  if (config.dns.nameservers.empty()) {
    std::ifstream in("/etc/resolv.conf");
    std::ostringstream ss;
    ss << in.rdbuf();
    resolv = ss.str();
  } else {
    resolv = resolv_conf(config.dns);
  }
  if (auto r = write_file(sb.resolv_conf_path(), resolv); !r.ok()) return fail(r.error());
  if (auto r = write_file(sb.hostname_path(), sb.hostname() + "\n"); !r.ok()) {
    return fail(r.error());
  }
  return sb;
}

Result<Sandbox> Sandbox::open(const std::string& sandbox_dir) {
  std::ifstream in(sandbox_dir + "/" + kConfigFile);
  if (!in) return make_error(ErrorCode::kNotFound, "no sandbox in " + sandbox_dir);
  try {
    Json j = Json::parse(in);
    return Sandbox(sandbox_dir, config_from_json(j));
  } catch (const std::exception& e) {
    return internal("sandbox " + sandbox_dir + ": bad " + kConfigFile + ": " + e.what());
  }
}

Result<void> Sandbox::destroy() {
  Result<void> first = ok_result();
  auto keep = [&](Result<void> r) {
    if (!r.ok() && first.ok()) first = std::move(r);
  };
  for (const char* name : {"/ns/net", "/ns/ipc", "/ns/uts", "/shm"}) {
    keep(unmount_all(dir_ + name));
  }
  if (first.ok()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    if (ec) keep(internal("remove " + dir_ + ": " + ec.message()));
  }
  keep(remove_cgroup_tree(cgroup_parent()));
  return first;
}

void Sandbox::apply(ContainerSpec* spec, std::string_view container_id) const {
  spec->namespaces.network_path = network_ns_path();
  spec->namespaces.ipc_path = ipc_ns_path();
  spec->namespaces.uts_path = uts_ns_path();
  spec->namespaces.host_network = config_.host_network;
  spec->namespaces.host_ipc = config_.host_ipc;
  spec->hostname = hostname();
  spec->shm_path = shm_path();
  spec->cgroups_path = container_cgroup_path(config_.pod_uid, container_id);
  // The kubelet mounts /etc/hosts writable; containerd makes hostname and resolv.conf read-only
  // only when the root filesystem is.
  spec->mounts.push_back({hosts_path(), "/etc/hosts", false, MountPropagation::kNone});
  spec->mounts.push_back(
      {resolv_conf_path(), "/etc/resolv.conf", spec->readonly_rootfs, MountPropagation::kNone});
  spec->mounts.push_back(
      {hostname_path(), "/etc/hostname", spec->readonly_rootfs, MountPropagation::kNone});
}

}  // namespace bosun::runtime
