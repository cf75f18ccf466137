#include "runtime/layer_mount.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;

Error internal(std::string message) { return make_error(ErrorCode::kInternal, std::move(message)); }

// The kernel copies mount data into a single page.
constexpr size_t kMaxMountData = 4096 - 1;

// mountinfo escapes space, tab, newline and backslash as octal.
std::string unescape_mountinfo(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      int v = (s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0');
      out += static_cast<char>(v);
      i += 3;
    } else {
      out += s[i];
    }
  }
  return out;
}

}  // namespace

bool is_mount_point(const fs::path& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  if (ec) return false;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (!(fields >> id >> parent >> devno >> root >> mount_point)) continue;
    if (unescape_mountinfo(mount_point) == canonical.string()) return true;
  }
  return false;
}

Result<std::string> overlay_mount_options(const std::vector<fs::path>& lowerdirs,
                                          const fs::path& upper, const fs::path& work) {
  if (lowerdirs.empty()) {
    return make_error(ErrorCode::kBadRequest,
                      "an overlay root filesystem needs at least one layer");
  }
  std::string data = "lowerdir=";
  for (size_t i = 0; i < lowerdirs.size(); ++i) {
    const std::string& dir = lowerdirs[i].string();
    // ':' separates lowerdirs and ',' separates options; neither can be escaped everywhere.
    if (dir.find_first_of(":,") != std::string::npos) {
      return make_error(ErrorCode::kBadRequest, "layer path " + dir + " contains ':' or ','");
    }
    if (i > 0) data += ':';
    data += dir;
  }
  data += ",upperdir=" + upper.string() + ",workdir=" + work.string();
  if (data.size() > kMaxMountData) {
    return make_error(ErrorCode::kBadRequest,
                      "overlay mount options for " + std::to_string(lowerdirs.size()) +
                          " layers exceed one page (" + std::to_string(data.size()) + " bytes)");
  }
  return data;
}

Result<fs::path> mount_container_rootfs(const std::vector<fs::path>& lowerdirs,
                                        const fs::path& container_dir, const fs::path& rw_dir) {
  std::error_code ec;
  const fs::path& rw = rw_dir.empty() ? container_dir : rw_dir;
  fs::path upper = rw / "upper";
  fs::path work = rw / "work";
  fs::path rootfs = container_dir / "rootfs";
  bool rootfs_existed = true;
  for (const auto& d : {upper, work, rootfs}) {
    const bool created = fs::create_directories(d, ec);
    if (ec) return internal("create " + d.string() + ": " + ec.message());
    if (d == rootfs) rootfs_existed = !created;
  }
  // A directory made just now is no mount point. Not asking spares a read of the whole
  // mountinfo, which grows with every running container (each start would cost O(containers)).
  if (rootfs_existed && is_mount_point(rootfs)) {
    return make_error(ErrorCode::kAlreadyExists, rootfs.string() + " is already mounted");
  }
  BOSUN_ASSIGN_OR_RETURN(std::string data, overlay_mount_options(lowerdirs, upper, work));
  if (mount("overlay", rootfs.c_str(), "overlay", 0, data.c_str()) != 0) {
    return internal("mount overlay on " + rootfs.string() + ": " + strerror(errno));
  }
  return rootfs;
}

Result<void> unmount_container_rootfs(const fs::path& container_dir, const fs::path& rw_dir) {
  fs::path rootfs = container_dir / "rootfs";
  std::error_code ec;
  if (fs::exists(rootfs, ec)) {
    // EINVAL: not a mount point (already unmounted); anything else is real.
    while (umount2(rootfs.c_str(), 0) == 0) {
    }
    if (errno != EINVAL && errno != ENOENT) {
      if (errno == EBUSY) {
        // A process still holds the rootfs (a runc container not yet reaped): detach it so the
        // kernel frees it once the last user is gone, as containerd's cleanup does.
        if (umount2(rootfs.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
          return internal("unmount " + rootfs.string() + ": " + strerror(errno));
        }
      } else {
        return internal("unmount " + rootfs.string() + ": " + strerror(errno));
      }
    }
  }
  const fs::path& rw = rw_dir.empty() ? container_dir : rw_dir;
  for (const fs::path& d : {container_dir / "rootfs", rw / "upper", rw / "work"}) {
    fs::remove_all(d, ec);
    if (ec) return internal("remove " + d.string() + ": " + ec.message());
  }
  return ok_result();
}

}  // namespace bosun::runtime
