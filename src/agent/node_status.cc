#include "agent/node_status.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "common/time_format.h"

namespace bosun::agent {
namespace {

std::string read_trimmed(const char* path) {
  std::ifstream in(path);
  std::string s;
  std::getline(in, s);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

int64_t mem_total_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemTotal:") return kib * 1024;
  }
  return 0;
}

std::string os_pretty_name() {
  std::ifstream in("/etc/os-release");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    std::string v = line.substr(12);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    return v;
  }
  return "Linux";
}

std::string first_ipv4() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "127.0.0.1";
  std::string found;
  for (ifaddrs* a = list; a && found.empty(); a = a->ifa_next) {
    if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) continue;
    if ((a->ifa_flags & IFF_LOOPBACK) || !(a->ifa_flags & IFF_UP)) continue;
    char buf[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
    if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf)) found = buf;
  }
  freeifaddrs(list);
  return found.empty() ? "127.0.0.1" : found;
}

std::string run_and_read(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return out;
  char buf[512];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

// Quantities as the kubelet writes them: whole CPUs as "2" (else millicores), bytes as "<n>Ki".
std::string cpu_quantity(int64_t milli) {
  if (milli % 1000 == 0) return std::to_string(milli / 1000);
  return std::to_string(milli) + "m";
}
std::string kib_quantity(int64_t bytes) { return std::to_string(bytes / 1024) + "Ki"; }

Json condition(const char* type, const char* status, const char* reason, const char* message,
               const std::string& now) {
  return Json{{"type", type},
              {"status", status},
              {"lastHeartbeatTime", now},
              {"lastTransitionTime", now},
              {"reason", reason},
              {"message", message}};
}

}  // namespace

std::string runtime_version_from_runc_output(std::string_view output) {
  constexpr std::string_view kPrefix = "runc version ";
  size_t at = output.find(kPrefix);
  if (at == std::string_view::npos) return "";
  std::string_view v = output.substr(at + kPrefix.size());
  size_t end = v.find_first_of("+-~ \n");
  v = v.substr(0, end);
  if (v.empty()) return "";
  return "runc://" + std::string(v);
}

Result<MachineInfo> read_machine_info(const std::string& data_dir, const std::string& runc) {
  MachineInfo m;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus <= 0) return make_error(ErrorCode::kInternal, "cannot count the CPUs");
  m.cpu_milli = static_cast<int64_t>(cpus) * 1000;
  m.memory_bytes = mem_total_bytes();
  if (m.memory_bytes <= 0) return make_error(ErrorCode::kInternal, "cannot read /proc/meminfo");
  struct statvfs fs {};
  if (statvfs(data_dir.c_str(), &fs) != 0) {
    return make_error(ErrorCode::kInternal, "cannot stat the filesystem of " + data_dir);
  }
  m.ephemeral_storage_bytes = static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  m.hostname = host;
  m.internal_ip = first_ipv4();
  struct utsname u {};
  if (uname(&u) == 0) m.kernel_version = u.release;
  m.os_image = os_pretty_name();
  m.machine_id = read_trimmed("/etc/machine-id");
  m.system_uuid = read_trimmed("/sys/class/dmi/id/product_uuid");
  m.boot_id = read_trimmed("/proc/sys/kernel/random/boot_id");
  m.runtime_version =
      runtime_version_from_runc_output(run_and_read(runc + " --version 2>/dev/null"));
  return m;
}

Json healthy_node_conditions(Clock::WallTime now) {
  const std::string t = format_rfc3339(now);
  return Json::array(
      {condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                 "kubelet has sufficient memory available", t),
       condition("DiskPressure", "False", "KubeletHasNoDiskPressure",
                 "kubelet has no disk pressure", t),
       condition("PIDPressure", "False", "KubeletHasSufficientPID",
                 "kubelet has sufficient PID available", t),
       condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", t)});
}

Json build_node(const NodeConfig& config, const MachineInfo& machine, Clock::WallTime now) {
  Json labels = {{"kubernetes.io/hostname", config.node_name},
                 {"kubernetes.io/os", "linux"},
                 {"kubernetes.io/arch", machine.architecture},
                 {"beta.kubernetes.io/os", "linux"},
                 {"beta.kubernetes.io/arch", machine.architecture}};
  for (const auto& [k, v] : config.labels) labels[k] = v;
  const int64_t alloc_cpu = std::max<int64_t>(0, machine.cpu_milli - config.reserved_cpu_milli);
  const int64_t alloc_mem = std::max<int64_t>(
      0, machine.memory_bytes - config.reserved_memory_bytes - kEvictionHardMemoryBytes);
  const int64_t alloc_disk = std::max<int64_t>(
      0, machine.ephemeral_storage_bytes - config.reserved_ephemeral_storage_bytes -
             machine.ephemeral_storage_bytes * kEvictionHardNodefsPercent / 100);
  // The kubelet reports allocatable ephemeral storage in bytes, the rest in its capacity units.
  Json capacity = {{"cpu", cpu_quantity(machine.cpu_milli)},
                   {"memory", kib_quantity(machine.memory_bytes)},
                   {"ephemeral-storage", kib_quantity(machine.ephemeral_storage_bytes)},
                   {"pods", std::to_string(config.max_pods)}};
  Json allocatable = {{"cpu", cpu_quantity(alloc_cpu)},
                      {"memory", kib_quantity(alloc_mem)},
                      {"ephemeral-storage", std::to_string(alloc_disk)},
                      {"pods", std::to_string(config.max_pods)}};
  const std::string ip = config.internal_ip.empty() ? machine.internal_ip : config.internal_ip;
  Json node_info = {
      {"machineID", machine.machine_id},   {"systemUUID", machine.system_uuid},
      {"bootID", machine.boot_id},         {"kernelVersion", machine.kernel_version},
      {"osImage", machine.os_image},       {"containerRuntimeVersion", machine.runtime_version},
      {"kubeletVersion", kKubeletVersion}, {"kubeProxyVersion", kKubeletVersion},
      {"operatingSystem", "linux"},        {"architecture", machine.architecture}};
  return Json{{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata", {{"name", config.node_name}, {"labels", labels}}},
              {"spec", Json::object()},
              {"status",
               {{"capacity", capacity},
                {"allocatable", allocatable},
                {"conditions", healthy_node_conditions(now)},
                {"addresses", Json::array({{{"type", "InternalIP"}, {"address", ip}},
                                           {{"type", "Hostname"}, {"address", config.node_name}}})},
                {"daemonEndpoints", {{"kubeletEndpoint", {{"Port", config.agent_port}}}}},
                {"nodeInfo", node_info}}}};
}

Result<Json> register_node(client::RestClient& client, const NodeConfig& config,
                           const MachineInfo& machine, Clock::WallTime now) {
  Json desired = build_node(config, machine, now);
  auto created = client.create(client::kNodes, "", desired);
  if (created.ok() || created.error().code != ErrorCode::kAlreadyExists) return created;
  // Registered before (an agent restart): refresh labels and status, keep the spec.
  for (int attempt = 0; attempt < 5; ++attempt) {
    BOSUN_ASSIGN_OR_RETURN(Json current, client.get(client::kNodes, "", config.node_name));
    for (const auto& [k, v] : desired["metadata"]["labels"].items()) {
      current["metadata"]["labels"][k] = v;
    }
    auto updated = client.update(client::kNodes, "", current);
    if (!updated.ok()) {
      if (updated.error().code == ErrorCode::kConflict) continue;
      return updated;
    }
    Json with_status = *updated;
    with_status["status"] = desired["status"];
    auto status = client.update_status(client::kNodes, "", with_status);
    if (status.ok() || status.error().code != ErrorCode::kConflict) return status;
  }
  return make_error(ErrorCode::kConflict,
                    "node " + config.node_name + " kept changing while it was registered");
}

Result<Json> renew_node_lease(client::RestClient& client, const Json& node, Clock::WallTime now) {
  const std::string name = node["metadata"].value("name", std::string());
  const std::string renew = format_rfc3339_micro(now);
  auto current = client.get(client::kLeases, kNodeLeaseNamespace, name);
  if (!current.ok()) {
    if (current.error().code != ErrorCode::kNotFound) return current;
    Json lease = {{"apiVersion", "coordination.k8s.io/v1"},
                  {"kind", "Lease"},
                  {"metadata",
                   {{"name", name},
                    {"namespace", kNodeLeaseNamespace},
                    {"ownerReferences",
                     Json::array({{{"apiVersion", "v1"},
                                   {"kind", "Node"},
                                   {"name", name},
                                   {"uid", node["metadata"].value("uid", std::string())}}})}}},
                  {"spec",
                   {{"holderIdentity", name},
                    {"leaseDurationSeconds", kNodeLeaseDurationSeconds},
                    {"renewTime", renew}}}};
    return client.create(client::kLeases, kNodeLeaseNamespace, lease);
  }
  Json lease = std::move(current).value();
  lease["spec"]["holderIdentity"] = name;
  lease["spec"]["leaseDurationSeconds"] = kNodeLeaseDurationSeconds;
  lease["spec"]["renewTime"] = renew;
  return client.update(client::kLeases, kNodeLeaseNamespace, lease);
}

}  // namespace bosun::agent
