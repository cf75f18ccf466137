// Attaching to real containers through their monitor's socket (root and runc only): stdin with
// stdinOnce reaches the container and its end is the container's EOF; a terminal (tty) gets its
// size from a resize and its output both in the attach stream and, as stdout, in the CRI log;
// without stdinOnce an attach that ends its input leaves stdin open for the container, and
// output-only clients see what the container prints until it exits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "runtime/bundle_spec.h"
#include "runtime/cgroup.h"
#include "runtime/container_attach.h"
#include "runtime/runc.h"
#include "runtime/runc_testing.h"

namespace bosun::runtime {
namespace {

using namespace std::chrono_literals;
using runc_testing::ScratchDir;
using SteadyClock = std::chrono::steady_clock;

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class RuncAttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = runc_testing::container_test_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    scratch_ = std::make_unique<ScratchDir>("bosun-runc-attach-");
    ASSERT_FALSE(scratch_->path().empty());
    rootfs_ = scratch_->path() + "/rootfs";
    ASSERT_TRUE(runc_testing::make_busybox_rootfs(rootfs_).ok());
    runc_ =
        std::make_unique<Runc>(RuncOptions{runc_testing::kRuncPath, scratch_->path() + "/state"});
    pod_uid_ = "attach" + std::to_string(::getpid());
  }

  void TearDown() override {
    if (!runc_) return;
    auto list = runc_->list();
    if (list.ok()) {
      for (const ContainerState& c : *list) (void)runc_->remove(c.id, true);
    }
    (void)remove_cgroup_tree(pod_cgroup_parent(pod_uid_));
  }

  std::string log_path(const std::string& id) { return scratch_->path() + "/logs/" + id + ".log"; }

  // Writes the bundle and runs the container at once; returns the bundle directory.
  std::string start(const std::string& id, std::vector<std::string> args, AttachOptions stdio) {
    ContainerSpec s;
    s.args = std::move(args);
    s.env = {"PATH=/bin", "TERM=xterm"};
    s.rootfs = rootfs_;
    s.terminal = stdio.tty;
    std::string bundle = scratch_->path() + "/bundles/" + id;
    s.cgroups_path = container_cgroup_path(pod_uid_, id);
    auto w = write_bundle(bundle, s);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    CreateOptions options{id, bundle, log_path(id)};
    options.start = true;
    options.stdin = stdio.stdin;
    options.stdin_once = stdio.stdin_once;
    options.tty = stdio.tty;
    auto pid = runc_->create(options);
    EXPECT_TRUE(pid.ok()) << (pid.ok() ? "" : pid.error().message);
    return bundle;
  }

  // Everything the connection receives until its session ends (or 20 s pass).
  static std::string drain(AttachConnection& c, std::string* err = nullptr) {
    std::string out;
    for (auto end = SteadyClock::now() + 20s; SteadyClock::now() < end;) {
      if (!c.flush()) break;
      pollfd p{c.fd(), static_cast<short>(POLLIN | (c.has_pending() ? POLLOUT : 0)), 0};
      ::poll(&p, 1, 100);
      AttachConnection::Output o;
      AttachConnection::ReadResult r;
      while ((r = c.read(&o)) == AttachConnection::ReadResult::kData) {
        (o.stream == kAttachStderr && err ? *err : out) += o.data;
      }
      if (r == AttachConnection::ReadResult::kEnd) return out;
    }
    ADD_FAILURE() << "the attach session did not end; got [" << out << "]";
    return out;
  }

  std::unique_ptr<ScratchDir> scratch_;
  std::string rootfs_;
  std::unique_ptr<Runc> runc_;
  std::string pod_uid_;
};

TEST_F(RuncAttachTest, StdinOnceInputReachesTheContainerAndItsEndIsEof) {
  std::string bundle =
      start("cat", {"sh", "-c", "cat; echo done >&2"}, {.stdin = true, .stdin_once = true});
  auto c = AttachConnection::connect(bundle, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  (*c)->write_stdin("hello\nworld\n");
  (*c)->close_stdin();
  std::string err;
  EXPECT_EQ(drain(**c, &err), "hello\nworld\n");
  EXPECT_EQ(err, "done\n");
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 0);
  // The log has it all too, and the socket is gone with the container.
  std::string log = read_file(log_path("cat"));
  EXPECT_NE(log.find(" stdout F hello\n"), std::string::npos) << log;
  EXPECT_NE(log.find(" stderr F done\n"), std::string::npos) << log;
  EXPECT_FALSE(std::filesystem::exists(bundle + "/" + kAttachSocketFile));
  auto late = AttachConnection::connect(bundle, false);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kNotFound);
}

TEST_F(RuncAttachTest, TerminalTakesItsSizeAndLogsAsStdout) {
  std::string bundle = start("tty", {"sh"}, {.stdin = true, .stdin_once = true, .tty = true});
  auto c = AttachConnection::connect(bundle, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  (*c)->resize(123, 45);
  (*c)->write_stdin("busybox stty size; tty; exit 3\n");
  std::string out = drain(**c);
  EXPECT_NE(out.find("45 123"), std::string::npos) << out;
  EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 3);
  std::string log = read_file(log_path("tty"));
  EXPECT_NE(log.find(" stdout F 45 123"), std::string::npos) << log;
  EXPECT_EQ(log.find(" stderr "), std::string::npos) << log;
}

TEST_F(RuncAttachTest, WithoutStdinOnceTheNextAttachTypesIntoTheSameStdin) {
  std::string bundle =
      start("reader", {"sh", "-c", "read a; echo got $a; read b; echo got $b; echo bye >&2"},
            {.stdin = true});
  auto watcher = AttachConnection::connect(bundle, false);
  ASSERT_TRUE(watcher.ok()) << watcher.error().message;
  {
    auto first = AttachConnection::connect(bundle, true);
    ASSERT_TRUE(first.ok()) << first.error().message;
    (*first)->write_stdin("one\n");
    (*first)->close_stdin();
    // Its session ends with its input; the container's stdin stays open.
    drain(**first);
  }
  auto second = AttachConnection::connect(bundle, true);
  ASSERT_TRUE(second.ok()) << second.error().message;
  (*second)->write_stdin("two\n");
  ASSERT_TRUE((*second)->flush());
  std::string err;
  EXPECT_EQ(drain(**watcher, &err), "got one\ngot two\n");
  EXPECT_EQ(err, "bye\n");
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 0);
}

}  // namespace
}  // namespace bosun::runtime
