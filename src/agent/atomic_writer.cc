#include "agent/atomic_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <set>
#include <system_error>

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxFileNameLength = 255;
constexpr size_t kMaxPathLength = 4096;
constexpr const char* kNewDataDirName = "..data_tmp";

Error io_error(const std::string& what, int err) {
  return make_error(ErrorCode::kInternal, what + ": " + std::strerror(err));
}

// filepath.Clean for a relative path already known to have no `..`: "a//b/./c/" -> "a/b/c".
std::string clean(const std::string& path) {
  std::string out;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string part = path.substr(i, j - i);
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    i = j + 1;
  }
  return out.empty() ? "." : out;
}

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) return io_error("open " + path, errno);
  std::string out;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error("read " + path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Result<void> write_file(const std::string& path, const FileProjection& file) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error("open " + path, errno);
  size_t off = 0;
  while (off < file.data.size()) {
    ssize_t n = ::write(fd, file.data.data() + off, file.data.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return io_error("write " + path, err);
    }
    off += static_cast<size_t>(n);
  }
  // The mode is set explicitly: the umask must not narrow what defaultMode/mode asked for.
  if (::fchmod(fd, file.mode & 07777) != 0) {
    int err = errno;
    ::close(fd);
    return io_error("chmod " + path, err);
  }
  ::close(fd);
  return ok_result();
}

// The regular files under a version directory, relative to it, with their modes.
Result<std::map<std::string, unsigned>> list_files(const std::string& dir) {
  std::map<std::string, unsigned> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec), end;
  if (ec) return make_error(ErrorCode::kInternal, "walk " + dir + ": " + ec.message());
  for (; it != end; it.increment(ec)) {
    if (ec) return make_error(ErrorCode::kInternal, "walk " + dir + ": " + ec.message());
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (S_ISREG(st.st_mode)) {
      out[fs::relative(it->path(), dir).string()] = st.st_mode & 07777;
    }
  }
  return out;
}

// Whether the version directory already holds exactly this payload.
Result<bool> same_payload(const std::string& version_dir, const Payload& payload) {
  BOSUN_ASSIGN_OR_RETURN(auto files, list_files(version_dir));
  if (files.size() != payload.size()) return false;
  for (const auto& [path, file] : payload) {
    auto it = files.find(path);
    if (it == files.end() || it->second != (file.mode & 07777)) return false;
    BOSUN_ASSIGN_OR_RETURN(std::string content, read_file(version_dir + "/" + path));
    if (content != file.data) return false;
  }
  return true;
}

std::string top_component(const std::string& path) { return path.substr(0, path.find('/')); }

}  // namespace

Result<void> validate_payload_path(const std::string& path) {
  auto invalid = [](std::string msg) { return make_error(ErrorCode::kInvalid, std::move(msg)); };
  if (path.empty()) return invalid("invalid path: must not be empty: \"\"");
  if (path[0] == '/') return invalid("invalid path: must be relative path: " + path);
  if (path.size() > kMaxPathLength) {
    return invalid("invalid path: must be less than or equal to " + std::to_string(kMaxPathLength) +
                   " characters");
  }
  size_t i = 0;
  bool first = true;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string_view item(path.data() + i, j - i);
    if (item == "..") return invalid("invalid path: must not contain '..': " + path);
    if (item.size() > kMaxFileNameLength) {
      return invalid("invalid path: filenames must be less than or equal to " +
                     std::to_string(kMaxFileNameLength) + " characters");
    }
    // `..data` and the timestamped directories are the writer's own names.
    if (first && item.size() > 2 && item.substr(0, 2) == "..") {
      return invalid("invalid path: must not start with '..': " + path);
    }
    first = false;
    i = j + 1;
  }
  return ok_result();
}

Result<bool> write_payload(const std::string& target_dir, const Payload& payload, Clock& clock) {
  Payload clean_payload;
  for (const auto& [path, file] : payload) {
    BOSUN_RETURN_IF_ERROR(validate_payload_path(path));
    clean_payload[clean(path)] = file;
  }

  const std::string data_link = target_dir + "/" + kDataDirName;
  std::string old_version;
  {
    char buf[PATH_MAX];
    ssize_t n = ::readlink(data_link.c_str(), buf, sizeof buf - 1);
    if (n >= 0) {
      old_version.assign(buf, static_cast<size_t>(n));
    } else if (errno != ENOENT) {
      return io_error("readlink " + data_link, errno);
    }
  }

  std::set<std::string> old_top;
  if (!old_version.empty()) {
    const std::string old_dir = target_dir + "/" + old_version;
    BOSUN_ASSIGN_OR_RETURN(bool same, same_payload(old_dir, clean_payload));
    if (same) return false;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(old_dir, ec)) {
      old_top.insert(entry.path().filename().string());
    }
  }

  // The version directory is named after the time, as the kubelet's are; mkdtemp makes it unique.
  std::time_t t = Clock::WallTime::clock::to_time_t(clock.now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char stamp[64];
  std::strftime(stamp, sizeof stamp, "..%Y_%m_%d_%H_%M_%S.", &tm);
  std::string templ = target_dir + "/" + stamp + "XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) return io_error("mkdtemp in " + target_dir, errno);
  const std::string version_dir = templ;
  const std::string version_name = fs::path(version_dir).filename().string();
  auto discard = [&] {
    std::error_code ec;
    fs::remove_all(version_dir, ec);
  };
  // 0755 so that group and other can traverse it whatever the umask (the files carry the modes).
  if (::chmod(version_dir.c_str(), 0755) != 0) {
    int err = errno;
    discard();
    return io_error("chmod " + version_dir, err);
  }

  for (const auto& [path, file] : clean_payload) {
    fs::path full = fs::path(version_dir) / path;
    std::error_code ec;
    fs::create_directories(full.parent_path(), ec);
    if (ec) {
      discard();
      return make_error(ErrorCode::kInternal,
                        "mkdir " + full.parent_path().string() + ": " + ec.message());
    }
    auto w = write_file(full.string(), file);
    if (!w.ok()) {
      discard();
      return std::move(w).error();
    }
  }
  {
    std::error_code ec;
    for (fs::recursive_directory_iterator it(version_dir, ec), end; !ec && it != end;
         it.increment(ec)) {
      if (it->is_directory()) ::chmod(it->path().c_str(), 0755);
    }
  }

  // User-visible names are symlinks through ..data, so they follow the swap below.
  std::set<std::string> new_top;
  for (const auto& [path, file] : clean_payload) new_top.insert(top_component(path));
  for (const std::string& name : new_top) {
    const std::string visible = target_dir + "/" + name;
    struct stat st;
    if (::lstat(visible.c_str(), &st) == 0) continue;
    std::string dest = std::string(kDataDirName) + "/" + name;
    if (::symlink(dest.c_str(), visible.c_str()) != 0) {
      int err = errno;
      discard();
      return io_error("symlink " + visible, err);
    }
  }

  const std::string new_link = target_dir + "/" + kNewDataDirName;
  ::unlink(new_link.c_str());
  if (::symlink(version_name.c_str(), new_link.c_str()) != 0) {
    int err = errno;
    discard();
    return io_error("symlink " + new_link, err);
  }
  // rename(2) replaces the old link in one step: the moment the new version becomes visible.
  if (::rename(new_link.c_str(), data_link.c_str()) != 0) {
    int err = errno;
    ::unlink(new_link.c_str());
    discard();
    return io_error("rename " + new_link, err);
  }

  for (const std::string& name : old_top) {
    if (new_top.count(name)) continue;
    ::unlink((target_dir + "/" + name).c_str());
  }
  if (!old_version.empty()) {
    std::error_code ec;
    fs::remove_all(target_dir + "/" + old_version, ec);
  }
  return true;
}

}  // namespace bosun::agent
