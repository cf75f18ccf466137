// Which uid, gid and supplementary groups a container's process runs with, decided as containerd's
// CRI plugin does from the securityContext (runAsUser, runAsGroup, supplementalGroups), the image's
// USER, and the container's own /etc/passwd and /etc/group. Used by RuncRuntime when it builds a
// bundle. Pure functions over a root filesystem; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bosun::agent {

struct ContainerUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  // The primary gid first (containerd's fix for CVE-2023-25173), then the groups /etc/group lists
  // the user in, then the pod's supplementalGroups; no duplicates.
  std::vector<uint32_t> additional_gids;
};

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0;
  uint32_t gid = 0;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

// Lines of /etc/passwd and /etc/group; malformed lines are skipped, as Go's user parsing does.
std::vector<PasswdEntry> parse_passwd(std::string_view text);
std::vector<GroupEntry> parse_group(std::string_view text);

// The user of a container whose root filesystem is `rootfs`:
//  - runAsUser (with runAsGroup) wins over the image's USER ("uid", "uid:gid", "name",
//    "name:group"); runAsGroup without runAsUser is an Invalid error, as in containerd;
//  - a numeric uid not in /etc/passwd runs with gid 0; a user or group name that is not there is
//    an Invalid error ("no users found", "no groups found");
//  - nothing set: root.
// /etc/passwd and /etc/group are read inside rootfs (symlinks cannot lead out of it).
Result<ContainerUser> resolve_container_user(const std::string& rootfs, std::string_view image_user,
                                             std::optional<int64_t> run_as_user,
                                             std::optional<int64_t> run_as_group,
                                             const std::vector<uint32_t>& supplemental_groups);

// A file's contents read with every path component resolved inside `root` (openat2
// RESOLVE_IN_ROOT), so an image's absolute symlinks cannot point at the node's files. NotFound when
// it does not exist.
Result<std::string> read_file_in_root(const std::string& root, std::string_view path,
                                      size_t max_bytes = 4 << 20);

}  // namespace bosun::agent
