#include "agent/container_user.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace bosun::agent {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, at - start));
    start = at + 1;
  }
}

std::optional<uint32_t> parse_id(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

template <typename Fn>
void for_each_line(std::string_view text, Fn fn) {
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (!line.empty() && line[0] != '#') fn(line);
    start = end + 1;
  }
}

Error invalid(std::string message) { return make_error(ErrorCode::kInvalid, std::move(message)); }

// An absent or unreadable file reads as empty: containerd treats a missing /etc/passwd as "no
// users".
std::string read_or_empty(const std::string& rootfs, std::string_view path) {
  auto text = read_file_in_root(rootfs, path);
  return text.ok() ? std::move(*text) : std::string();
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for_each_line(text, [&](std::string_view line) {
    std::vector<std::string_view> f = split(line, ':');
    if (f.size() < 4 || f[0].empty()) return;
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) return;
    out.push_back(PasswdEntry{std::string(f[0]), *uid, *gid});
  });
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for_each_line(text, [&](std::string_view line) {
    std::vector<std::string_view> f = split(line, ':');
    if (f.size() < 3 || f[0].empty()) return;
    auto gid = parse_id(f[2]);
    if (!gid) return;
    GroupEntry g{std::string(f[0]), *gid, {}};
    if (f.size() >= 4 && !f[3].empty()) {
      for (std::string_view m : split(f[3], ',')) {
        if (!m.empty()) g.members.emplace_back(m);
      }
    }
    out.push_back(std::move(g));
  });
  return out;
}

Result<std::string> read_file_in_root(const std::string& root, std::string_view path,
                                      size_t max_bytes) {
  int root_fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root_fd < 0) {
    return make_error(errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal,
                      "open " + root + ": " + std::strerror(errno));
  }
  std::string rel(path);
  while (!rel.empty() && rel[0] == '/') rel.erase(0, 1);
  open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root_fd, rel.c_str(), &how, sizeof how));
  int err = errno;
  ::close(root_fd);
  if (fd < 0) {
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal,
                      "open " + std::string(path) + " in " + root + ": " + std::strerror(err));
  }
  std::string out;
  char buf[8192];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, std::min(sizeof buf, max_bytes - out.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<ContainerUser> resolve_container_user(const std::string& rootfs, std::string_view image_user,
                                             std::optional<int64_t> run_as_user,
                                             std::optional<int64_t> run_as_group,
                                             const std::vector<uint32_t>& supplemental_groups) {
  // containerd's generateUserString: the pod's settings as "uid[:gid]"; a group alone names no
  // user to run as.
  std::string user;
  if (run_as_user) {
    user = std::to_string(*run_as_user);
    if (run_as_group) user += ":" + std::to_string(*run_as_group);
  } else if (run_as_group) {
    return invalid("user group \"" + std::to_string(*run_as_group) +
                   "\" is specified without user");
  } else {
    user = std::string(image_user);
  }

  std::vector<PasswdEntry> passwd;
  std::vector<GroupEntry> groups;
  bool passwd_read = false, group_read = false;
  auto users = [&]() -> const std::vector<PasswdEntry>& {
    if (!passwd_read) passwd = parse_passwd(read_or_empty(rootfs, "/etc/passwd"));
    passwd_read = true;
    return passwd;
  };
  auto all_groups = [&]() -> const std::vector<GroupEntry>& {
    if (!group_read) groups = parse_group(read_or_empty(rootfs, "/etc/group"));
    group_read = true;
    return groups;
  };

  ContainerUser out;
  // containerd's oci.WithUser.
  std::string username;  // for the group memberships below
  if (!user.empty()) {
    std::vector<std::string_view> parts = split(user, ':');
    if (parts.size() > 2) return invalid("invalid USER value " + user);
    std::optional<uint32_t> uid = parse_id(parts[0]);
    if (parts.size() == 1) {
      if (uid) {
        out.uid = *uid;
        // WithUserID: the primary group from /etc/passwd, root's when the uid is not listed.
        for (const PasswdEntry& p : users()) {
          if (p.uid == *uid) {
            out.gid = p.gid;
            username = p.name;
            break;
          }
        }
      } else {
        auto it = std::find_if(users().begin(), users().end(),
                               [&](const PasswdEntry& p) { return p.name == parts[0]; });
        if (it == users().end()) return invalid("no users found");
        out.uid = it->uid;
        out.gid = it->gid;
        username = it->name;
      }
    } else {
      std::optional<uint32_t> gid = parse_id(parts[1]);
      if (uid) {
        out.uid = *uid;
        for (const PasswdEntry& p : users()) {
          if (p.uid == *uid) {
            username = p.name;
            break;
          }
        }
      } else {
        auto it = std::find_if(users().begin(), users().end(),
                               [&](const PasswdEntry& p) { return p.name == parts[0]; });
        if (it == users().end()) return invalid("no users found");
        out.uid = it->uid;
        username = it->name;
      }
      if (gid) {
        out.gid = *gid;
      } else {
        auto it = std::find_if(all_groups().begin(), all_groups().end(),
                               [&](const GroupEntry& g) { return g.name == parts[1]; });
        if (it == all_groups().end()) return invalid("no groups found");
        out.gid = it->gid;
      }
    }
  } else {
    for (const PasswdEntry& p : users()) {
      if (p.uid == 0) {
        username = p.name;
        break;
      }
    }
  }

  // containerd's WithAdditionalGIDs: the groups that list the user as a member (except one named
  // after the user), with the primary group in front; then WithSupplementalGroups.
  auto add = [&](uint32_t g) {
    if (std::find(out.additional_gids.begin(), out.additional_gids.end(), g) ==
        out.additional_gids.end()) {
      out.additional_gids.push_back(g);
    }
  };
  add(out.gid);
  if (!username.empty()) {
    for (const GroupEntry& g : all_groups()) {
      if (g.name == username) continue;
      if (std::find(g.members.begin(), g.members.end(), username) != g.members.end()) add(g.gid);
    }
  }
  for (uint32_t g : supplemental_groups) add(g);
  return out;
}

}  // namespace bosun::agent
