#include "runtime/cgroup.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

namespace bosun::runtime {
namespace {

bool is_dir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// One write to an existing control file (no create, no truncate); false when it failed.
bool write_text(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = ::write(fd, text.data(), text.size());
  ::close(fd);
  return n == static_cast<ssize_t>(text.size());
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

Result<std::string> read_required(const std::string& path) {
  std::string text;
  if (!read_file(path, &text)) {
    return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal,
                      "read " + path + ": " + std::strerror(errno));
  }
  return text;
}

Result<uint64_t> read_number(const std::string& path) {
  BOSUN_ASSIGN_OR_RETURN(std::string text, read_required(path));
  if (text.rfind("max", 0) == 0) return UINT64_MAX;
  try {
    return static_cast<uint64_t>(std::stoull(text));
  } catch (const std::exception&) {
    return make_error(ErrorCode::kInternal, "not a number in " + path + ": " + text);
  }
}

// "key value" lines (memory.stat, memory.oom_control, memory.events, cpu.stat).
std::optional<uint64_t> keyed_value(const std::string& text, std::string_view key) {
  std::istringstream in(text);
  std::string k;
  uint64_t v;
  while (in >> k >> v) {
    if (k == key) return v;
  }
  return std::nullopt;
}

// v1 hierarchies may be co-mounted ("cpu,cpuacct"); find the directory holding a controller.
std::string v1_hierarchy(const std::string& root, std::string_view controller) {
  std::string direct = root + "/" + std::string(controller);
  if (is_dir(direct)) return direct;
  for (const char* combo : {"cpu,cpuacct", "cpuacct,cpu"}) {
    std::string p = root + "/" + combo;
    if (is_dir(p)) return p;
  }
  return direct;
}

bool is_unified_root(const std::string& root) {
  struct stat st;
  return ::stat((root + "/cgroup.controllers").c_str(), &st) == 0;
}

std::string join(const std::string& base, std::string_view rel) {
  if (rel.empty() || rel == "/") return base;
  if (rel[0] == '/') return base + std::string(rel);
  return base + "/" + std::string(rel);
}

}  // namespace

CgroupPaths cgroup_paths_of(std::string_view cgroup_path, const CgroupRoot& root) {
  CgroupPaths p;
  if (is_unified_root(root.path)) {
    p.unified = true;
    p.memory_dir = p.cpu_dir = p.cpuacct_dir = join(root.path, cgroup_path);
    return p;
  }
  p.memory_dir = join(v1_hierarchy(root.path, "memory"), cgroup_path);
  p.cpu_dir = join(v1_hierarchy(root.path, "cpu"), cgroup_path);
  p.cpuacct_dir = join(v1_hierarchy(root.path, "cpuacct"), cgroup_path);
  return p;
}

Result<CgroupPaths> cgroup_paths_of_pid(int pid, const CgroupRoot& root) {
  BOSUN_ASSIGN_OR_RETURN(std::string text,
                         read_required("/proc/" + std::to_string(pid) + "/cgroup"));
  if (is_unified_root(root.path)) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("0::", 0) == 0) return cgroup_paths_of(line.substr(3), root);
    }
    return make_error(ErrorCode::kNotFound, "no unified cgroup for pid " + std::to_string(pid));
  }
  CgroupPaths p;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    // "4:memory:/bosun/pod1/c1"; controllers may be a comma list.
    size_t a = line.find(':');
    size_t b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1);
    std::string path = line.substr(b + 1);
    std::istringstream cs(controllers);
    std::string c;
    while (std::getline(cs, c, ',')) {
      if (c == "memory") p.memory_dir = join(v1_hierarchy(root.path, "memory"), path);
      if (c == "cpu") p.cpu_dir = join(v1_hierarchy(root.path, "cpu"), path);
      if (c == "cpuacct") p.cpuacct_dir = join(v1_hierarchy(root.path, "cpuacct"), path);
    }
  }
  if (p.memory_dir.empty()) {
    return make_error(ErrorCode::kNotFound, "no memory cgroup for pid " + std::to_string(pid));
  }
  return p;
}

Result<CgroupStats> read_cgroup_stats(const CgroupPaths& paths) {
  CgroupStats s;
  if (paths.unified) {
    BOSUN_ASSIGN_OR_RETURN(std::string cpu, read_required(paths.cpu_dir + "/cpu.stat"));
    s.cpu_usage_ns = keyed_value(cpu, "usage_usec").value_or(0) * 1000;
    BOSUN_ASSIGN_OR_RETURN(s.memory_usage_bytes, read_number(paths.memory_dir + "/memory.current"));
    BOSUN_ASSIGN_OR_RETURN(std::string stat, read_required(paths.memory_dir + "/memory.stat"));
    uint64_t inactive = keyed_value(stat, "inactive_file").value_or(0);
    s.memory_working_set_bytes =
        s.memory_usage_bytes > inactive ? s.memory_usage_bytes - inactive : 0;
    return s;
  }
  BOSUN_ASSIGN_OR_RETURN(s.cpu_usage_ns, read_number(paths.cpuacct_dir + "/cpuacct.usage"));
  BOSUN_ASSIGN_OR_RETURN(s.memory_usage_bytes,
                         read_number(paths.memory_dir + "/memory.usage_in_bytes"));
  BOSUN_ASSIGN_OR_RETURN(std::string stat, read_required(paths.memory_dir + "/memory.stat"));
  // cAdvisor's working set on v1: usage_in_bytes - total_inactive_file.
  uint64_t inactive = keyed_value(stat, "total_inactive_file").value_or(0);
  s.memory_working_set_bytes =
      s.memory_usage_bytes > inactive ? s.memory_usage_bytes - inactive : 0;
  return s;
}

Result<uint64_t> read_oom_kill_count(const CgroupPaths& paths) {
  const char* file = paths.unified ? "/memory.events" : "/memory.oom_control";
  BOSUN_ASSIGN_OR_RETURN(std::string text, read_required(paths.memory_dir + file));
  // Kernels before 4.13 have no oom_kill counter in v1; under_oom is the best they offer.
  if (auto n = keyed_value(text, "oom_kill")) return *n;
  return keyed_value(text, "under_oom").value_or(0);
}

Result<uint64_t> read_cpu_shares(const CgroupPaths& paths) {
  if (paths.unified) {
    // v2 has cpu.weight; runc converts shares with 1 + ((shares - 2) * 9999) / 262142.
    return read_number(paths.cpu_dir + "/cpu.weight");
  }
  return read_number(paths.cpu_dir + "/cpu.shares");
}

namespace {

// Which memory interface a hierarchy directory has.
enum class MemoryFiles { kNone, kV1, kV2 };

// Frees the page cache a cgroup is still charged with (files its processes read or wrote) before
// it is removed. A removed memory cgroup with charges left lingers in the kernel as a dying cgroup
// until memory pressure reclaims them, which on a node with free memory is never; hundreds of
// them slow every later cgroup operation (pods here started 20-40 % slower after a test run had
// left 500). Kubernetes' pod cgroup design asks for the same reclaim before deletion. Best effort
// and only without tasks: v1 memory.force_empty, v2 memory.reclaim of what memory.current says.
void release_charges(const std::string& dir, MemoryFiles files) {
  if (files == MemoryFiles::kV1) {
    (void)write_text(dir + "/memory.force_empty", "0");
  } else if (files == MemoryFiles::kV2) {
    auto current = read_number(dir + "/memory.current");
    if (current.ok() && *current > 0) {
      (void)write_text(dir + "/memory.reclaim", std::to_string(*current));
    }
  }
}

Result<void> remove_tree(const std::string& dir, MemoryFiles files) {
  if (!is_dir(dir)) return ok_result();
  std::vector<std::string> children;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (e->d_type != DT_DIR) continue;
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      children.push_back(dir + "/" + name);
    }
    ::closedir(d);
  }
  for (const std::string& c : children) BOSUN_RETURN_IF_ERROR(remove_tree(c, files));
  release_charges(dir, files);
  if (::rmdir(dir.c_str()) != 0 && errno != ENOENT) {
    int err = errno;
    return make_error(err == EBUSY ? ErrorCode::kConflict : ErrorCode::kInternal,
                      "remove cgroup " + dir + ": " + std::strerror(err));
  }
  return ok_result();
}

// Every hierarchy a cgroup path lives in. On a hybrid host, runc also makes the container's
// cgroup in the v2 tree mounted at <root>/unified (empty, no controllers): it is listed too when
// `with_hybrid_unified`, so removal leaves nothing behind there.
std::vector<std::string> hierarchies(const std::string& root, bool with_hybrid_unified = false) {
  std::vector<std::string> out;
  if (is_unified_root(root)) {
    out.push_back(root);
    return out;
  }
  if (with_hybrid_unified && is_unified_root(root + "/unified")) out.push_back(root + "/unified");
  if (DIR* d = ::opendir(root.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || name == "unified") continue;
      std::string p = root + "/" + name;
      struct stat st;
      // Skip the co-mount symlinks ("cpu" -> "cpu,cpuacct") so nothing is visited twice.
      if (::lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) out.push_back(p);
    }
    ::closedir(d);
  }
  return out;
}

// The v1 memory hierarchy, or the v2 root (not the empty hybrid one under <root>/unified).
MemoryFiles memory_files_of(const std::string& hierarchy, const std::string& root) {
  if (hierarchy == root) return is_unified_root(root) ? MemoryFiles::kV2 : MemoryFiles::kNone;
  return hierarchy == root + "/memory" ? MemoryFiles::kV1 : MemoryFiles::kNone;
}

}  // namespace

Result<void> remove_cgroup_tree(std::string_view cgroup_path, const CgroupRoot& root) {
  if (cgroup_path.empty() || cgroup_path == "/") {
    return make_error(ErrorCode::kBadRequest, "refusing to remove the root cgroup");
  }
  Result<void> first = ok_result();
  for (const std::string& h : hierarchies(root.path, /*with_hybrid_unified=*/true)) {
    auto r = remove_tree(join(h, cgroup_path), memory_files_of(h, root.path));
    if (!r.ok() && first.ok()) first = r;
  }
  return first;
}

void release_memory_charges(std::string_view cgroup_path, const CgroupRoot& root) {
  if (cgroup_path.empty() || cgroup_path == "/") return;
  for (const std::string& h : hierarchies(root.path)) {
    MemoryFiles files = memory_files_of(h, root.path);
    if (files != MemoryFiles::kNone) release_charges(join(h, cgroup_path), files);
  }
}

bool cgroup_exists(std::string_view cgroup_path, const CgroupRoot& root) {
  for (const std::string& h : hierarchies(root.path, /*with_hybrid_unified=*/true)) {
    if (is_dir(join(h, cgroup_path))) return true;
  }
  return false;
}

}  // namespace bosun::runtime
