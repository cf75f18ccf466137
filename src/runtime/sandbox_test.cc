// Pod sandboxes with real containers (root only): shared network/IPC/UTS namespaces, two
// containers talking over localhost, the /etc files, and a teardown that leaves nothing behind.
#include "runtime/sandbox.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/cgroup.h"
#include "runtime/runc.h"
#include "runtime/runc_testing.h"

namespace bosun::runtime {
namespace {

using namespace std::chrono_literals;
using runc_testing::ScratchDir;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The messages of a CRI log, one per line, without timestamps and stream tags.
std::string log_text(const std::string& path) {
  std::istringstream in(read_file(path));
  std::string line, out;
  while (std::getline(in, line)) {
    size_t tag = line.find(" F ");
    out += (tag == std::string::npos ? line : line.substr(tag + 3)) + "\n";
  }
  return out;
}

std::string ns_id(const std::string& type, const std::string& file) {
  struct stat st;
  if (::stat(file.c_str(), &st) != 0) return "missing";
  return type + ":[" + std::to_string(st.st_ino) + "]";
}

class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = runc_testing::container_test_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    scratch_ = std::make_unique<ScratchDir>("bosun-sandbox-test-");
    ASSERT_FALSE(scratch_->path().empty());
    rootfs_ = scratch_->path() + "/rootfs";
    ASSERT_TRUE(runc_testing::make_busybox_rootfs(rootfs_).ok());
    std::ofstream(rootfs_ + "/var/www/index.html") << "hello from the server container\n";
    runc_ =
        std::make_unique<Runc>(RuncOptions{runc_testing::kRuncPath, scratch_->path() + "/state"});
    config_.pod_uid = "sbx" + std::to_string(::getpid());
    config_.pod_name = "web-pod";
    config_.pod_namespace = "default";
    config_.dns = cluster_first_dns("default", "cluster.local", {"10.96.0.10"}, {});
  }

  void TearDown() override {
    if (!runc_) return;
    if (auto list = runc_->list(); list.ok()) {
      for (const ContainerState& c : *list) (void)runc_->remove(c.id, true);
    }
    if (sandbox_) (void)sandbox_->destroy();
  }

  // Runs a container of the pod; returns its bundle.
  std::string start(const std::string& id, std::vector<std::string> args) {
    ContainerSpec s;
    s.args = std::move(args);
    s.env = {"PATH=/bin"};
    s.rootfs = rootfs_;
    sandbox_->apply(&s, id);
    std::string bundle = scratch_->path() + "/bundles/" + id;
    EXPECT_TRUE(write_bundle(bundle, s).ok());
    auto pid = runc_->create({id, bundle, log(id)});
    EXPECT_TRUE(pid.ok()) << (pid.ok() ? "" : pid.error().message);
    auto started = runc_->start(id);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    bundles_.push_back(bundle);
    return bundle;
  }

  std::string log(const std::string& id) { return scratch_->path() + "/logs/" + id + ".log"; }

  std::unique_ptr<ScratchDir> scratch_;
  std::string rootfs_;
  std::unique_ptr<Runc> runc_;
  SandboxConfig config_;
  std::optional<Sandbox> sandbox_;
  std::vector<std::string> bundles_;
};

TEST_F(SandboxTest, ContainersShareNamespacesAndTalkOverLocalhost) {
  auto sb = Sandbox::create(scratch_->path() + "/sandboxes", config_);
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  sandbox_ = *sb;
  EXPECT_EQ(runc_testing::mounts_under(sandbox_->dir()), 4);  // net, ipc, uts, shm

  std::string server = start("server", {"httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/var/www"});
  std::string client =
      start("client", {"sh", "-c",
                       "for i in $(seq 100); do "
                       "  wget -q -O - http://localhost:8080/index.html && exit 0; sleep 0.05; "
                       "done; exit 1"});
  auto fetched = Runc::wait(client, 30s);
  ASSERT_TRUE(fetched.ok()) << fetched.error().message;
  EXPECT_EQ(fetched->exit_code, 0) << log_text(log("client")) << log_text(log("server"));
  EXPECT_EQ(log_text(log("client")), "hello from the server container\n");

  std::string probe = start(
      "probe",
      {"sh", "-c",
       "hostname; cat /etc/hostname; for n in net ipc uts; do readlink /proc/self/ns/$n; done; "
       "head -n 1 /etc/hosts; cat /etc/resolv.conf; "
       "ip link show lo | grep -c UP; echo shm > /dev/shm/x && cat /dev/shm/x"});
  auto probed = Runc::wait(probe, 30s);
  ASSERT_TRUE(probed.ok());
  EXPECT_EQ(probed->exit_code, 0);
  EXPECT_EQ(log_text(log("probe")),
            "web-pod\nweb-pod\n" + ns_id("net", sandbox_->network_ns_path()) + "\n" +
                ns_id("ipc", sandbox_->ipc_ns_path()) + "\n" +
                ns_id("uts", sandbox_->uts_ns_path()) + "\n" +
                "# Kubernetes-managed hosts file.\n"
                "search default.svc.cluster.local svc.cluster.local cluster.local\n"
                "nameserver 10.96.0.10\n"
                "options ndots:5\n"
                "1\n"
                "shm\n");
  // The IPC namespace's /dev/shm is the sandbox's, seen by every container of the pod.
  EXPECT_EQ(read_file(sandbox_->shm_path() + "/x"), "shm\n");

  ASSERT_TRUE(runc_->kill("server", SIGKILL).ok());
  ASSERT_TRUE(Runc::wait(server, 30s).ok());
}

TEST_F(SandboxTest, TeardownLeavesNothingBehind) {
  auto sb = Sandbox::create(scratch_->path() + "/sandboxes", config_);
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  sandbox_ = *sb;
  std::string a = start("a", {"sleep", "1000"});
  std::string b = start("b", {"sleep", "1000"});
  std::vector<int> monitors;
  for (const std::string& bundle : {a, b}) {
    auto m = Runc::monitor_pid(bundle);
    ASSERT_TRUE(m.has_value());
    monitors.push_back(*m);
  }
  EXPECT_TRUE(cgroup_exists(sandbox_->cgroup_parent()));

  // The agent stops the pod's containers before it destroys the sandbox.
  for (const char* id : {"a", "b"}) ASSERT_TRUE(runc_->remove(id, true).ok());
  for (const std::string& bundle : {a, b}) ASSERT_TRUE(Runc::wait(bundle, 30s).ok());

  // Re-opened by a "restarted agent", then destroyed.
  auto reopened = Sandbox::open(sandbox_->dir());
  ASSERT_TRUE(reopened.ok()) << reopened.error().message;
  EXPECT_EQ(reopened->config().pod_name, "web-pod");
  EXPECT_EQ(reopened->network_ns_path(), sandbox_->network_ns_path());
  auto destroyed = reopened->destroy();
  ASSERT_TRUE(destroyed.ok()) << destroyed.error().message;
  sandbox_.reset();

  EXPECT_FALSE(std::filesystem::exists(scratch_->path() + "/sandboxes/" + config_.pod_uid));
  EXPECT_EQ(runc_testing::mounts_under(scratch_->path()), 0);
  EXPECT_FALSE(cgroup_exists(pod_cgroup_parent(config_.pod_uid)));
  EXPECT_TRUE(runc_->list()->empty());
  for (int pid : monitors) {
    for (int i = 0; i < 500 && runc_testing::process_running(pid); ++i) ::usleep(10000);
    EXPECT_FALSE(runc_testing::process_running(pid)) << "monitor " << pid << " still running";
  }
  // Nothing is left for a later agent to re-open.
  EXPECT_TRUE(Sandbox::open(scratch_->path() + "/sandboxes/" + config_.pod_uid).error().code ==
              ErrorCode::kNotFound);
}

TEST_F(SandboxTest, HostNetworkSharesTheNodesNetworkAndHostname) {
  config_.host_network = true;
  auto sb = Sandbox::create(scratch_->path() + "/sandboxes", config_);
  ASSERT_TRUE(sb.ok()) << sb.error().message;
  sandbox_ = *sb;
  EXPECT_EQ(sandbox_->network_ns_path(), "");
  std::string probe = start("probe", {"sh", "-c", "hostname; readlink /proc/self/ns/net"});
  auto probed = Runc::wait(probe, 30s);
  ASSERT_TRUE(probed.ok());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(log_text(log("probe")),
            std::string(host) + "\n" + ns_id("net", "/proc/self/ns/net") + "\n");
}

TEST_F(SandboxTest, CreatingTheSameSandboxTwiceIsAlreadyExists) {
  auto sb = Sandbox::create(scratch_->path() + "/sandboxes", config_);
  ASSERT_TRUE(sb.ok());
  sandbox_ = *sb;
  auto again = Sandbox::create(scratch_->path() + "/sandboxes", config_);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  SandboxConfig bad = config_;
  bad.pod_uid = "../escape";
  EXPECT_EQ(Sandbox::create(scratch_->path() + "/sandboxes", bad).error().code,
            ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace bosun::runtime
