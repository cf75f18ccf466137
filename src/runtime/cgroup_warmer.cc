#include "runtime/cgroup_warmer.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "common/file_util.h"

namespace bosun::runtime {

MigrationTarget migration_target(std::string_view proc_cgroup, int pid, int tid,
                                 const CgroupRoot& root) {
  // Hierarchies whose no-op migration touches no controller state worth the name; any v1
  // hierarchy takes the same machine-wide lock.
  static constexpr std::string_view kPreferred[] = {"pids", "freezer", "memory", "blkio",
                                                    "devices"};
  std::string v1_any, v1_preferred, unified;
  size_t rank = std::size(kPreferred);
  size_t at = 0;
  while (at < proc_cgroup.size()) {
    size_t end = proc_cgroup.find('\n', at);
    if (end == std::string_view::npos) end = proc_cgroup.size();
    std::string_view line = proc_cgroup.substr(at, end - at);
    at = end + 1;
    size_t c1 = line.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : line.find(':', c1 + 1);
    if (c2 == std::string_view::npos) continue;
    std::string_view controllers = line.substr(c1 + 1, c2 - c1 - 1);
    std::string path(line.substr(c2 + 1));
    if (path.empty() || path[0] != '/') continue;
    if (path == "/") path.clear();
    if (controllers.empty()) {
      // Only used without any v1 hierarchy, that is on a cgroup v2 node, where the root is it.
      unified = root.path + path;
      continue;
    }
    // Named hierarchies (name=systemd) and co-mounted controllers (cpu,cpuacct) are mounted under
    // names that differ from the field; a single controller is mounted under its own name.
    if (controllers.find(',') != std::string_view::npos ||
        controllers.find('=') != std::string_view::npos) {
      continue;
    }
    std::string dir = root.path + "/" + std::string(controllers) + path;
    if (v1_any.empty()) v1_any = dir;
    for (size_t i = 0; i < rank; ++i) {
      if (controllers == kPreferred[i]) {
        rank = i;
        v1_preferred = dir;
        break;
      }
    }
  }
  if (!v1_preferred.empty()) return {v1_preferred + "/tasks", tid};
  if (!v1_any.empty()) return {v1_any + "/tasks", tid};
  if (!unified.empty()) return {unified + "/cgroup.procs", pid};
  return {};
}

CgroupMigrationWarmer& CgroupMigrationWarmer::shared() {
  static CgroupMigrationWarmer warmer;
  return warmer;
}

CgroupMigrationWarmer::CgroupMigrationWarmer(std::chrono::milliseconds interval, CgroupRoot root)
    : interval_(interval), root_(std::move(root)) {}

CgroupMigrationWarmer::~CgroupMigrationWarmer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CgroupMigrationWarmer::warm_for(std::chrono::milliseconds span) {
  if (disabled_.load(std::memory_order_relaxed)) return;
  auto until = std::chrono::steady_clock::now() + span;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    if (until <= deadline_) return;
    deadline_ = until;
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  cv_.notify_all();
}

bool CgroupMigrationWarmer::prime(int* fd, int* id) {
  if (*fd < 0) {
    const int pid = static_cast<int>(::getpid());
    const int tid = static_cast<int>(::syscall(SYS_gettid));
    MigrationTarget target =
        migration_target(read_file_or_empty("/proc/" + std::to_string(pid) + "/task/" +
                                            std::to_string(tid) + "/cgroup"),
                         pid, tid, root_);
    if (target.file.empty()) return false;
    *fd = ::open(target.file.c_str(), O_WRONLY | O_CLOEXEC);
    if (*fd < 0) return false;
    *id = target.id;
  }
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *id);
  if (ec != std::errc()) return false;
  ssize_t n;
  do {
    n = ::write(*fd, buf, static_cast<size_t>(end - buf));
  } while (n < 0 && errno == EINTR);
  if (n < 0) return false;
  primes_.fetch_add(1);
  return true;
}

void CgroupMigrationWarmer::run() {
  int fd = -1;
  int id = 0;
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    if (std::chrono::steady_clock::now() >= deadline_) {
      cv_.wait(lock, [&] { return stop_ || std::chrono::steady_clock::now() < deadline_; });
      continue;
    }
    lock.unlock();
    // The first write after a quiet spell blocks here for the grace period; the ones that follow
    // within it return at once and keep the lock in its writer-friendly state.
    const bool ok = prime(&fd, &id);
    lock.lock();
    if (!ok) {
      // Not root, or no cgroup filesystem: runc pays the wait as before.
      disabled_ = true;
      break;
    }
    cv_.wait_for(lock, interval_, [&] { return stop_; });
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace bosun::runtime
