// RuncRuntime::attach_container with real containers (root, runc and busybox-static; skipped
// otherwise): a container with stdin and stdinOnce reads what an attach sends and sees EOF when
// the attach's input ends; one with tty gets a terminal that takes an attach's size; an agent
// restart (a second runtime over the same data directory) can still attach; an exited container
// cannot be attached to (NotFound, so the kubelet server falls back to the log).
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "agent/runc_runtime.h"
#include "runtime/cgroup.h"
#include "runtime/image_testlib.h"
#include "runtime/runc_testing.h"

namespace bosun::agent {
namespace {

using namespace std::chrono_literals;
using runtime::AttachConnection;
using runtime::runc_testing::ScratchDir;

class RuncRuntimeAttachTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = runtime::runc_testing::container_test_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    scratch_ = std::make_unique<ScratchDir>("bosun-runc-attach-");
    ASSERT_FALSE(scratch_->path().empty());
    data_dir_ = scratch_->path() + "/data";
    open_runtime();
    auto image = runtime::testing::add_busybox_image(rt_->image_store(), "busybox:latest");
    ASSERT_TRUE(image.ok()) << image.error().message;
    uid_ = "at" + std::to_string(::getpid());
    runtime::SandboxConfig pod;
    pod.pod_uid = uid_;
    pod.pod_name = "attach";
    pod.pod_namespace = "default";
    auto sandbox = rt_->run_pod_sandbox(pod);
    ASSERT_TRUE(sandbox.ok()) << sandbox.error().message;
  }

  void TearDown() override {
    if (!rt_) return;
    (void)rt_->remove_pod_sandbox(uid_);
    (void)runtime::remove_cgroup_tree(runtime::pod_cgroup_parent(uid_));
    (void)runtime::remove_cgroup_tree(runtime::pod_cgroup_parent(uid_),
                                      runtime::CgroupRoot{"/sys/fs/cgroup/unified"});
    rt_.reset();
  }

  void open_runtime() {
    rt_.reset();
    auto rt = RuncRuntime::open(RuncRuntimeOptions{data_dir_});
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    rt_ = std::move(*rt);
    rt_->set_container_event_listener([](const std::string&) {});
  }

  std::string run(const std::string& name, std::vector<std::string> command, bool stdin,
                  bool stdin_once, bool tty) {
    ContainerConfig c;
    c.pod_uid = uid_;
    c.pod_name = "attach";
    c.pod_namespace = "default";
    c.name = name;
    c.image = "busybox";
    c.command = std::move(command);
    c.log_path = scratch_->path() + "/logs/" + name + "/0.log";
    c.stdin_open = stdin;
    c.stdin_once = stdin_once;
    c.tty = tty;
    auto id = rt_->create_container(c);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    if (!id.ok()) return "";
    auto started = rt_->start_container(*id);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    return *id;
  }

  // What the attach receives until the container's output ends.
  static std::string drain(AttachConnection& c) {
    std::string out;
    for (auto end = std::chrono::steady_clock::now() + 20s;
         std::chrono::steady_clock::now() < end;) {
      if (!c.flush()) break;
      pollfd p{c.fd(), static_cast<short>(POLLIN | (c.has_pending() ? POLLOUT : 0)), 0};
      ::poll(&p, 1, 100);
      AttachConnection::Output o;
      AttachConnection::ReadResult r;
      while ((r = c.read(&o)) == AttachConnection::ReadResult::kData) out += o.data;
      if (r == AttachConnection::ReadResult::kEnd) return out;
    }
    ADD_FAILURE() << "the attach did not end; got [" << out << "]";
    return out;
  }

  std::unique_ptr<ScratchDir> scratch_;
  std::string data_dir_;
  std::string uid_;
  std::unique_ptr<RuncRuntime> rt_;
};

TEST_F(RuncRuntimeAttachTest, StdinOnceReadsTheAttachedInputThenEof) {
  std::string id = run("reader", {"sh", "-c", "while read x; do echo got $x; done; echo eof"},
                       /*stdin=*/true, /*stdin_once=*/true, /*tty=*/false);
  auto c = rt_->attach_container(id, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  (*c)->write_stdin("a\nb\n");
  (*c)->close_stdin();
  EXPECT_EQ(drain(**c), "got a\ngot b\neof\n");
  auto exit = runtime::Runc::wait(rt_->container_dir(id), 20s);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 0);

  auto late = rt_->attach_container(id, true);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().code, ErrorCode::kNotFound);
}

TEST_F(RuncRuntimeAttachTest, TtyContainerGetsATerminalOfTheAttachedSize) {
  std::string id = run("term", {"sh", "-c", "read x; busybox stty size; tty"}, /*stdin=*/true,
                       /*stdin_once=*/true, /*tty=*/true);
  auto c = rt_->attach_container(id, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  (*c)->resize(91, 19);
  (*c)->write_stdin("go\n");
  std::string out = drain(**c);
  EXPECT_NE(out.find("19 91"), std::string::npos) << out;
  EXPECT_NE(out.find("/dev/pts/"), std::string::npos) << out;
}

TEST_F(RuncRuntimeAttachTest, AttachAfterAnAgentRestart) {
  std::string id = run("kept", {"sh", "-c", "read x; echo got $x"}, /*stdin=*/true,
                       /*stdin_once=*/false, /*tty=*/false);
  open_runtime();
  auto c = rt_->attach_container(id, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  (*c)->write_stdin("again\n");
  // Without stdinOnce the input stays open: the session ends with the container's output.
  EXPECT_EQ(drain(**c), "got again\n");
}

TEST_F(RuncRuntimeAttachTest, WithoutStdinInputIsDropped) {
  std::string id = run("deaf", {"sh", "-c", "read x; echo read=$? x=$x; exec sleep 100"},
                       /*stdin=*/false, /*stdin_once=*/false, /*tty=*/false);
  auto c = rt_->attach_container(id, true);
  ASSERT_TRUE(c.ok()) << c.error().message;
  (*c)->write_stdin("ignored\n");
  ASSERT_TRUE((*c)->flush());
  // The shell's line, before the stop: a container stopped right after its start can be killed
  // before its shell ran at all.
  const std::string log_path = scratch_->path() + "/logs/deaf/0.log";
  auto read_log = [&] {
    std::ifstream in(log_path);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  };
  std::string log = read_log();
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       log.find(" stdout F read=") == std::string::npos &&
       std::chrono::steady_clock::now() < deadline;
       log = read_log()) {
    ::usleep(10000);
  }
  ASSERT_TRUE(rt_->stop_container(id, 1s).ok());
  drain(**c);
  // stdin was /dev/null: read failed at once, nothing typed arrived.
  EXPECT_NE(read_log().find(" stdout F read=1 x=\n"), std::string::npos) << read_log();
}

}  // namespace
}  // namespace bosun::agent
