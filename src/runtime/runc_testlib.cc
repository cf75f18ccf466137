#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "runtime/runc_testing.h"

namespace bosun::runtime::runc_testing {

namespace fs = std::filesystem;

std::string container_test_skip_reason() {
  if (::geteuid() != 0) return "container tests need root";
  if (::access(kRuncPath, X_OK) != 0) return std::string("runc is not installed at ") + kRuncPath;
  if (::access(kBusyboxPath, X_OK) != 0) {
    return std::string("busybox-static is not installed at ") + kBusyboxPath;
  }
  return "";
}

Result<void> make_busybox_rootfs(const std::string& dir) {
  std::error_code ec;
  for (const char* d : {"bin", "etc", "tmp", "proc", "sys", "dev", "root", "var/www"}) {
    fs::create_directories(fs::path(dir) / d, ec);
    if (ec) return make_error(ErrorCode::kInternal, "mkdir " + dir + "/" + d + ": " + ec.message());
  }
  fs::permissions(fs::path(dir) / "tmp", fs::perms::all | fs::perms::sticky_bit, ec);
  fs::copy_file(kBusyboxPath, fs::path(dir) / "bin/busybox", fs::copy_options::overwrite_existing,
                ec);
  if (ec) return make_error(ErrorCode::kInternal, "copy busybox: " + ec.message());
  for (const char* applet :
       {"sh",   "echo",     "sleep", "cat",  "ls",       "id",  "true",  "false",
        "nc",   "httpd",    "wget",  "grep", "hostname", "dd",  "head",  "tail",
        "kill", "ps",       "mount", "ip",   "printf",   "env", "touch", "seq",
        "yes",  "readlink", "wc",    "test", "[",        "stat"}) {
    fs::path link = fs::path(dir) / "bin" / applet;
    fs::remove(link, ec);
    fs::create_symlink("busybox", link, ec);
  }
  std::ofstream(fs::path(dir) / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                              << "nobody:x:65534:65534:nobody:/:/bin/false\n";
  std::ofstream(fs::path(dir) / "etc/group") << "root:x:0:\nnogroup:x:65534:\n";
  return ok_result();
}

bool process_running(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!std::getline(in, stat)) return false;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z' &&
         stat[paren + 2] != 'X';
}

int mounts_under(const std::string& dir) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devs, root, mount_point;
    f >> id >> parent >> devs >> root >> mount_point;
    if (mount_point == dir || mount_point.rfind(dir + "/", 0) == 0) ++n;
  }
  return n;
}

ScratchDir::ScratchDir(const std::string& prefix) {
  std::string tmpl = "/tmp/" + prefix + "XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) != nullptr) path_ = buf.data();
}

ScratchDir::~ScratchDir() {
  if (path_.empty()) return;
  // Deepest first, so a leaked mount cannot make remove_all delete through it into the host.
  std::vector<std::string> points;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, parent, devs, root, mount_point;
    f >> id >> parent >> devs >> root >> mount_point;
    if (mount_point.rfind(path_ + "/", 0) == 0) points.push_back(mount_point);
  }
  for (auto it = points.rbegin(); it != points.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace bosun::runtime::runc_testing
