// RuncRuntime with real containers (root, runc and busybox-static; skipped otherwise): a pod whose
// two containers share a volume and localhost, exit codes and reasons (OOMKilled from a memory
// limit, termination messages), the image merge, stop signals and grace, recovery by a second
// runtime over the same data directory, exec, and that removing a pod leaves nothing behind.
#include "agent/runc_runtime.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "runtime/cgroup.h"
#include "runtime/image_testlib.h"
#include "runtime/runc_testing.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Whether the pod's cgroup is anywhere, the hybrid node's v2 hierarchy included.
bool pod_cgroup_left(const std::string& uid) {
  std::string parent = runtime::pod_cgroup_parent(uid);
  return runtime::cgroup_exists(parent) || fs::exists("/sys/fs/cgroup/unified" + parent);
}
using runtime::runc_testing::ScratchDir;

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

// Pod uids the exit watcher reported.
class Events {
 public:
  std::function<void(const std::string&)> listener() {
    return [this](const std::string& pod) {
      std::lock_guard<std::mutex> lock(mu_);
      pods_.push_back(pod);
      cv_.notify_all();
    };
  }
  bool wait_for(const std::string& pod, std::chrono::seconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout,
                        [&] { return std::find(pods_.begin(), pods_.end(), pod) != pods_.end(); });
  }
  void clear() {
    std::lock_guard<std::mutex> lock(mu_);
    pods_.clear();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> pods_;
};

class RuncRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = runtime::runc_testing::container_test_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    scratch_ = std::make_unique<ScratchDir>("bosun-runc-runtime-test-");
    ASSERT_FALSE(scratch_->path().empty());
    data_dir_ = scratch_->path() + "/data";
    before_open();
    if (IsSkipped()) return;
    open_runtime();
    auto image = runtime::testing::add_busybox_image(rt_->image_store(), "busybox:latest");
    ASSERT_TRUE(image.ok()) << image.error().message;
    uid_ = "rt" + std::to_string(::getpid());
  }
  // Where a fixture chooses its state directory and fills the data directory.
  virtual void before_open() {}

  void TearDown() override {
    if (!rt_) return;
    if (auto pods = rt_->list_pod_sandboxes(); pods.ok()) {
      for (const SandboxStatus& p : *pods) (void)rt_->remove_pod_sandbox(p.pod_uid);
    }
    (void)runtime::remove_cgroup_tree(runtime::pod_cgroup_parent(uid_));
    (void)runtime::remove_cgroup_tree(runtime::pod_cgroup_parent(uid_),
                                      runtime::CgroupRoot{"/sys/fs/cgroup/unified"});
    rt_.reset();
  }

  void open_runtime() {
    RuncRuntimeOptions options{data_dir_};
    options.state_dir = state_dir_;
    options.state_tmpfs = state_tmpfs_;
    auto rt = RuncRuntime::open(options);
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    rt_ = std::move(*rt);
    rt_->set_container_event_listener(events_.listener());
  }

  runtime::SandboxConfig pod(const std::string& uid, const std::string& name = "web") {
    runtime::SandboxConfig c;
    c.pod_uid = uid;
    c.pod_name = name;
    c.pod_namespace = "default";
    return c;
  }

  ContainerConfig container(const std::string& name, std::vector<std::string> command,
                            const std::string& uid = "") {
    ContainerConfig c;
    c.pod_uid = uid.empty() ? uid_ : uid;
    c.pod_name = "web";
    c.pod_namespace = "default";
    c.name = name;
    c.image = "busybox";
    c.command = std::move(command);
    c.log_path = log_path(name);
    c.labels = {{"io.kubernetes.container.name", name}};
    return c;
  }

  std::string log_path(const std::string& name) {
    return scratch_->path() + "/logs/" + name + "/0.log";
  }

  // Creates and starts; returns the id.
  std::string run(const ContainerConfig& c) {
    auto id = rt_->create_container(c);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message);
    if (!id.ok()) return "";
    auto started = rt_->start_container(*id);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    return *id;
  }

  // Waits for the container's exit and returns its status.
  ContainerStatus wait_exit(const std::string& id) {
    auto exit = runtime::Runc::wait(rt_->container_dir(id), 30s);
    EXPECT_TRUE(exit.ok()) << (exit.ok() ? "" : exit.error().message);
    auto status = rt_->container_status(id);
    EXPECT_TRUE(status.ok());
    return status.ok() ? *status : ContainerStatus{};
  }

  ContainerStatus run_to_exit(const ContainerConfig& c) { return wait_exit(run(c)); }

  std::unique_ptr<ScratchDir> scratch_;
  std::string data_dir_;
  std::string state_dir_;  // empty: the data dir
  bool state_tmpfs_ = false;
  std::string uid_;
  Events events_;
  std::unique_ptr<RuncRuntime> rt_;
};

TEST_F(RuncRuntimeTest, ImageStatusResolvesNormalisedReferences) {
  auto info = rt_->image_status("busybox");
  ASSERT_TRUE(info.ok()) << info.error().message;
  ASSERT_TRUE(info->has_value());
  const ImageInfo& image = **info;
  EXPECT_EQ(image.names, std::vector<std::string>{"docker.io/library/busybox:latest"});
  EXPECT_EQ(image.repo_digest.rfind("docker.io/library/busybox@sha256:", 0), 0u)
      << image.repo_digest;
  EXPECT_EQ(image.id.rfind("sha256:", 0), 0u);
  EXPECT_EQ(image.cmd, std::vector<std::string>{"sh"});
  EXPECT_GT(image.size, 0);

  auto same = rt_->image_status("docker.io/library/busybox:latest");
  ASSERT_TRUE(same.ok() && same->has_value());
  EXPECT_EQ((*same)->id, image.id);

  auto absent = rt_->image_status("busybox:1.0");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());

  auto bad = rt_->image_status("Busybox");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalid);
}

// runc runs from the runtime's sealed copy, which runc's init recognises (the seals of
// runtime::runc_memfd_seals) instead of bind-mounting its binary read-only for each container;
// the containers of the other tests run that way.
TEST_F(RuncRuntimeTest, RuncRunsFromASealedCopy) {
  const std::string& path = rt_->runc().options().runc_path;
  EXPECT_EQ(path.rfind("/proc/" + std::to_string(::getpid()) + "/fd/", 0), 0u) << path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0) << path;
  EXPECT_EQ(::fcntl(fd, F_GET_SEALS), runtime::runc_memfd_seals());
  ::close(fd);
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string id = run(container("app", {"sleep", "1000"}));
  auto status = rt_->container_status(id);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(status->state, ContainerState::kRunning);
}

TEST_F(RuncRuntimeTest, PodContainersShareAVolumeAndLocalhost) {
  auto sandbox = rt_->run_pod_sandbox(pod(uid_));
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().message;
  EXPECT_TRUE(sandbox->ready);
  EXPECT_FALSE(sandbox->network_ns_path.empty());
  // Idempotent: a ready sandbox is returned as it is.
  auto again = rt_->run_pod_sandbox(pod(uid_));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->created_at, sandbox->created_at);

  std::string shared = scratch_->path() + "/shared";
  fs::create_directories(shared);
  ContainerConfig server =
      container("server", {"sh", "-c",
                           "echo hello from the server > /shared/index.html && "
                           "exec httpd -f -p 127.0.0.1:8080 -h /shared"});
  server.mounts.push_back({shared, "/shared", false, runtime::MountPropagation::kNone});
  ContainerConfig client = container(
      "client", {"sh", "-c",
                 "for i in $(seq 200); do test -f /shared/index.html && break; sleep 0.05; done; "
                 "cat /shared/index.html; "
                 "for i in $(seq 200); do "
                 "  wget -q -O - http://localhost:8080/index.html && exit 0; sleep 0.05; "
                 "done; exit 1"});
  client.mounts.push_back({shared, "/shared", true, runtime::MountPropagation::kNone});
  std::string server_id = run(server);
  ContainerStatus fetched = run_to_exit(client);
  EXPECT_EQ(fetched.state, ContainerState::kExited);
  EXPECT_EQ(fetched.exit_code, 0) << log_text(log_path("client"));
  EXPECT_EQ(fetched.reason, "Completed");
  EXPECT_EQ(log_text(log_path("client")), "hello from the server\nhello from the server\n");
  EXPECT_EQ(read_file(shared + "/index.html"), "hello from the server\n");
  EXPECT_TRUE(events_.wait_for(uid_, 10s));

  auto listed = rt_->list_containers();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "server");
  EXPECT_EQ((*listed)[0].state, ContainerState::kRunning);
  EXPECT_EQ((*listed)[0].pod_uid, uid_);
  EXPECT_EQ((*listed)[0].image, "busybox");
  EXPECT_EQ((*listed)[0].image_ref.rfind("docker.io/library/busybox@sha256:", 0), 0u);
  EXPECT_EQ((*listed)[0].log_path, log_path("server"));
  EXPECT_EQ((*listed)[0].labels.at("io.kubernetes.container.name"), "server");
  EXPECT_NE((*listed)[0].started_at.time_since_epoch().count(), 0);
  EXPECT_EQ((*listed)[1].name, "client");
  EXPECT_EQ((*listed)[1].state, ContainerState::kExited);

  ASSERT_TRUE(rt_->stop_container(server_id, 0ms).ok());
  auto stopped = rt_->container_status(server_id);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->state, ContainerState::kExited);
  EXPECT_EQ(stopped->exit_code, 137);
  EXPECT_EQ(stopped->reason, "Error");
}

TEST_F(RuncRuntimeTest, ExitCodesReasonsAndTerminationMessages) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  ContainerStatus ok = run_to_exit(container("ok", {"true"}));
  EXPECT_EQ(ok.exit_code, 0);
  EXPECT_EQ(ok.reason, "Completed");
  EXPECT_NE(ok.finished_at.time_since_epoch().count(), 0);

  ContainerConfig failing =
      container("failing", {"sh", "-c", "printf bye > /dev/termination-log; exit 3"});
  failing.termination_message_host_path = scratch_->path() + "/pods/failing/termination-log";
  failing.termination_message_path = "/dev/termination-log";
  ContainerStatus failed = run_to_exit(failing);
  EXPECT_EQ(failed.exit_code, 3);
  EXPECT_EQ(failed.reason, "Error");
  EXPECT_EQ(failed.message, "bye");

  // Kubernetes keeps the last 4096 bytes of a longer message.
  ContainerConfig chatty =
      container("chatty", {"sh", "-c",
                           "i=0; while [ $i -lt 1000 ]; do printf abcde; i=$((i+1)); done > /m; "
                           "printf END >> /m; cat /m > /dev/termination-log"});
  chatty.termination_message_host_path = scratch_->path() + "/pods/chatty/termination-log";
  chatty.termination_message_path = "/dev/termination-log";
  ContainerStatus long_message = run_to_exit(chatty);
  EXPECT_EQ(long_message.exit_code, 0);
  ASSERT_EQ(long_message.message.size(), 4096u);
  EXPECT_EQ(long_message.message.substr(4093), "END");

  // dd's 64 MiB buffer cannot fit in a 16 MiB limit.
  ContainerConfig hungry =
      container("hungry", {"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  hungry.resources.memory_limit_bytes = 16 << 20;
  ContainerStatus oom = run_to_exit(hungry);
  EXPECT_EQ(oom.exit_code, 137);
  EXPECT_EQ(oom.reason, "OOMKilled");
}

TEST_F(RuncRuntimeTest, CommandArgsEnvAndUserMergeWithTheImage) {
  runtime::testing::BusyboxImageOptions options;
  options.entrypoint = {"echo", "entry"};
  options.cmd = {"image-cmd"};
  options.env = {"PATH=/bin", "FROM_IMAGE=image", "SHARED=image"};
  options.working_dir = "/tmp";
  options.user = "nobody";
  ASSERT_TRUE(
      runtime::testing::add_busybox_image(rt_->image_store(), "example.com/merge:v1", options)
          .ok());
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  auto output_of = [&](const std::string& name, std::vector<std::string> command,
                       std::vector<std::string> args, std::vector<std::string> env = {}) {
    ContainerConfig c = container(name, std::move(command));
    c.image = "example.com/merge:v1";
    c.args = std::move(args);
    c.env = std::move(env);
    ContainerStatus s = run_to_exit(c);
    EXPECT_EQ(s.exit_code, 0) << name << ": " << log_text(log_path(name));
    return log_text(log_path(name));
  };
  EXPECT_EQ(output_of("neither", {}, {}), "entry image-cmd\n");
  EXPECT_EQ(output_of("args", {}, {"a1", "$(V)"}, {"V=expanded"}), "entry a1 expanded\n");
  EXPECT_EQ(output_of("command", {"echo", "c"}, {}), "c\n");
  EXPECT_EQ(output_of("both", {"echo", "c"}, {"a1"}), "c a1\n");
  EXPECT_EQ(output_of("process", {"sh", "-c", "echo $FROM_IMAGE $SHARED $OWN; pwd; id"}, {},
                      {"SHARED=pod", "OWN=own"}),
            "image pod own\n/tmp\nuid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup)\n");

  ContainerConfig as_user = container("as-user", {"id"});
  as_user.image = "example.com/merge:v1";
  as_user.run_as_user = 1000;
  as_user.run_as_group = 3000;
  as_user.supplemental_groups = {4000};
  as_user.working_dir = "/";
  EXPECT_EQ(run_to_exit(as_user).exit_code, 0);
  EXPECT_EQ(log_text(log_path("as-user")), "uid=1000 gid=3000 groups=3000,4000\n");
}

TEST_F(RuncRuntimeTest, StopSendsTheStopSignalThenKillsAfterTheGrace) {
  runtime::testing::BusyboxImageOptions options;
  options.stop_signal = "SIGUSR1";
  ASSERT_TRUE(
      runtime::testing::add_busybox_image(rt_->image_store(), "example.com/usr1:v1", options).ok());
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  auto trapping = [&](const std::string& name, const std::string& image, const std::string& trap) {
    ContainerConfig c =
        container(name, {"sh", "-c", trap + "; echo ready; while true; do sleep 0.05; done"});
    c.image = image;
    std::string id = run(c);
    // The shell must have installed its trap before the signal comes.
    for (int i = 0; i < 400 && log_text(log_path(name)).empty(); ++i) {
      std::this_thread::sleep_for(10ms);
    }
    return id;
  };
  // The image's StopSignal when the agent names none.
  std::string usr1 = trapping("usr1", "example.com/usr1:v1", "trap 'exit 7' USR1");
  ASSERT_TRUE(rt_->stop_container(usr1, 30s).ok());
  EXPECT_EQ(rt_->container_status(usr1)->exit_code, 7);

  // SIGTERM by default; an explicit signal wins over the image's.
  std::string term = trapping("term", "busybox", "trap 'exit 5' TERM");
  ASSERT_TRUE(rt_->stop_container(term, 30s).ok());
  EXPECT_EQ(rt_->container_status(term)->exit_code, 5);
  std::string quit = trapping("quit", "example.com/usr1:v1", "trap 'exit 9' QUIT");
  ASSERT_TRUE(rt_->stop_container(quit, 30s, "SIGQUIT").ok());
  EXPECT_EQ(rt_->container_status(quit)->exit_code, 9);

  // Ignored: SIGKILL once the grace period is over.
  std::string stubborn = trapping("stubborn", "busybox", "trap '' TERM");
  ASSERT_TRUE(rt_->stop_container(stubborn, 300ms).ok());
  auto killed = rt_->container_status(stubborn);
  EXPECT_EQ(killed->state, ContainerState::kExited);
  EXPECT_EQ(killed->exit_code, 137);

  // Stopping an exited container is not an error; a bad signal name is.
  EXPECT_TRUE(rt_->stop_container(stubborn, 1s).ok());
  std::string other = trapping("other", "busybox", "true");
  auto bad = rt_->stop_container(other, 1s, "SIGNOPE");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "Invalid signal: SIGNOPE");
}

TEST_F(RuncRuntimeTest, ASecondRuntimeRecoversRunningContainers) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  ContainerConfig sleeper = container("sleeper", {"sleep", "1000"});
  sleeper.attempt = 2;
  std::string id = run(sleeper);
  std::string done = run(container("done", {"sh", "-c", "exit 4"}));
  wait_exit(done);
  // The agent restarts: this runtime goes, the containers stay.
  rt_.reset();
  open_runtime();
  auto pods = rt_->list_pod_sandboxes();
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0].pod_uid, uid_);
  EXPECT_EQ((*pods)[0].pod_name, "web");
  EXPECT_TRUE((*pods)[0].ready);
  auto listed = rt_->list_containers();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, id);
  EXPECT_EQ((*listed)[0].name, "sleeper");
  EXPECT_EQ((*listed)[0].attempt, 2);
  EXPECT_EQ((*listed)[0].state, ContainerState::kRunning);
  EXPECT_EQ((*listed)[1].state, ContainerState::kExited);
  EXPECT_EQ((*listed)[1].exit_code, 4);

  // The new runtime watches the old containers' exits too.
  events_.clear();
  ASSERT_TRUE(rt_->stop_container(id, 0ms).ok());
  EXPECT_EQ(rt_->container_status(id)->exit_code, 137);
  EXPECT_TRUE(events_.wait_for(uid_, 10s));
}

// What a pod worker's sync sees: its own pod's sandbox and containers only, the same after an
// agent restart, and nothing of a container once it is removed.
TEST_F(RuncRuntimeTest, PodSandboxStatusAndPodContainersAreThePodsOwn) {
  const std::string other = uid_ + "b";
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(other, "api")).ok());
  std::string first = run(container("first", {"sh", "-c", "exit 3"}));
  wait_exit(first);
  std::string second = run(container("second", {"sleep", "1000"}));
  std::string theirs = run(container("theirs", {"sleep", "1000"}, other));
  auto created = rt_->create_container(container("created", {"true"}));
  ASSERT_TRUE(created.ok()) << created.error().message;

  auto check = [&](const std::string& when) {
    SCOPED_TRACE(when);
    auto sandbox = rt_->pod_sandbox_status(uid_);
    ASSERT_TRUE(sandbox.ok());
    ASSERT_TRUE(sandbox->has_value());
    EXPECT_EQ((*sandbox)->pod_uid, uid_);
    EXPECT_EQ((*sandbox)->pod_name, "web");
    EXPECT_TRUE((*sandbox)->ready);
    EXPECT_FALSE((*sandbox)->network_ns_path.empty());
    auto none = rt_->pod_sandbox_status("no-such-pod");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    auto mine = rt_->list_pod_containers(uid_);
    ASSERT_TRUE(mine.ok());
    ASSERT_EQ(mine->size(), 3u);  // oldest first, as list_containers orders them
    EXPECT_EQ((*mine)[0].id, first);
    EXPECT_EQ((*mine)[0].state, ContainerState::kExited);
    EXPECT_EQ((*mine)[0].exit_code, 3);
    EXPECT_EQ((*mine)[1].id, second);
    EXPECT_EQ((*mine)[1].state, ContainerState::kRunning);
    EXPECT_EQ((*mine)[2].id, *created);
    EXPECT_EQ((*mine)[2].state, ContainerState::kCreated);
    auto others = rt_->list_pod_containers(other);
    ASSERT_TRUE(others.ok());
    ASSERT_EQ(others->size(), 1u);
    EXPECT_EQ((*others)[0].id, theirs);
    EXPECT_EQ((*others)[0].pod_uid, other);
  };
  check("running");
  // An agent restart: the new runtime knows the containers from disk.
  rt_.reset();
  open_runtime();
  check("after a restart");

  ASSERT_TRUE(rt_->remove_container(first).ok());
  auto mine = rt_->list_pod_containers(uid_);
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].id, second);
  ASSERT_TRUE(rt_->remove_pod_sandbox(other).ok());
  auto others = rt_->list_pod_containers(other);
  ASSERT_TRUE(others.ok());
  EXPECT_TRUE(others->empty());
  auto gone = rt_->pod_sandbox_status(other);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone->has_value());
}

TEST_F(RuncRuntimeTest, ExecSyncPassesExitCodesAndTimesOut) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string id = run(container("target", {"sleep", "1000"}));
  auto r = rt_->exec_sync(id, {"sh", "-c", "echo out; echo err >&2; exit 4"}, 10s);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exit_code, 4);
  EXPECT_EQ(r->output, "out\nerr\n");
  EXPECT_FALSE(r->timed_out);

  auto slow = rt_->exec_sync(id, {"sleep", "30"}, 300ms);
  ASSERT_TRUE(slow.ok());
  EXPECT_TRUE(slow->timed_out);

  auto missing = rt_->exec_sync("nope", {"true"}, 1s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

TEST_F(RuncRuntimeTest, StopAndRemoveLeaveNothingBehind) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string running = run(container("running", {"sleep", "1000"}));
  std::string exited = run(container("exited", {"true"}));
  wait_exit(exited);
  auto created = rt_->create_container(container("created", {"sleep", "1000"}));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(rt_->container_status(*created)->state, ContainerState::kCreated);
  EXPECT_GT(runtime::runc_testing::mounts_under(data_dir_), 0);

  ASSERT_TRUE(rt_->stop_pod_sandbox(uid_).ok());
  ASSERT_TRUE(rt_->stop_pod_sandbox(uid_).ok());  // idempotent
  auto pods = rt_->list_pod_sandboxes();
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_FALSE((*pods)[0].ready);
  auto listed = rt_->list_containers();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  for (const ContainerStatus& c : *listed) {
    // A container never started has nothing to stop: it stays created, as with containerd.
    EXPECT_EQ(c.state, c.name == "created" ? ContainerState::kCreated : ContainerState::kExited)
        << c.name;
  }
  EXPECT_EQ(runtime::runc_testing::mounts_under(data_dir_), 0);
  EXPECT_FALSE(pod_cgroup_left(uid_));
  // No new container in a stopped sandbox.
  auto refused = rt_->create_container(container("late", {"true"}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);

  ASSERT_TRUE(rt_->remove_pod_sandbox(uid_).ok());
  ASSERT_TRUE(rt_->remove_pod_sandbox(uid_).ok());
  EXPECT_TRUE(rt_->list_pod_sandboxes()->empty());
  EXPECT_TRUE(rt_->list_containers()->empty());
  EXPECT_TRUE(rt_->runc().list()->empty());
  EXPECT_TRUE(fs::is_empty(data_dir_ + "/containers"));
  EXPECT_TRUE(fs::is_empty(data_dir_ + "/sandboxes"));
  EXPECT_EQ(runtime::runc_testing::mounts_under(data_dir_), 0);
  EXPECT_FALSE(pod_cgroup_left(uid_));
  // The logs are the agent's.
  EXPECT_TRUE(fs::exists(log_path("running")));
}

TEST_F(RuncRuntimeTest, RemoveContainerUnmountsAndDeletes) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string id = run(container("victim", {"sleep", "1000"}));
  std::string dir = rt_->container_dir(id);
  EXPECT_EQ(runtime::runc_testing::mounts_under(dir), 1);
  // A running container is killed first, as containerd's RemoveContainer does.
  ASSERT_TRUE(rt_->remove_container(id).ok());
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(runtime::runc_testing::mounts_under(dir), 0);
  EXPECT_FALSE(runtime::cgroup_exists(runtime::container_cgroup_path(uid_, id)));
  EXPECT_FALSE(rt_->runc().state(id).ok());
  EXPECT_EQ(rt_->container_status(id).error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(rt_->remove_container(id).ok());  // unknown ids are not an error
}

TEST_F(RuncRuntimeTest, ACommandThatCannotRunIsAStartError) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  auto id = rt_->create_container(container("missing", {"/no/such/binary"}));
  ASSERT_TRUE(id.ok()) << id.error().message;
  auto started = rt_->start_container(*id);
  ASSERT_FALSE(started.ok());
  auto status = rt_->container_status(*id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, ContainerState::kExited);
  EXPECT_EQ(status->exit_code, 128);
  EXPECT_EQ(status->reason, "StartError");
  EXPECT_NE(status->message.find("/no/such/binary"), std::string::npos) << status->message;
  EXPECT_NE(status->finished_at.time_since_epoch().count(), 0);
  EXPECT_FALSE(rt_->start_container(*id).ok());
  ASSERT_TRUE(rt_->remove_container(*id).ok());
  EXPECT_TRUE(fs::is_empty(data_dir_ + "/containers"));
  EXPECT_TRUE(rt_->runc().list()->empty());
}

TEST_F(RuncRuntimeTest, FailedCreateLeavesNothing) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  auto no_image = container("no-image", {"true"});
  no_image.image = "example.com/absent:v1";
  auto absent = rt_->create_container(no_image);
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code, ErrorCode::kNotFound);
  auto nobody = container("nobody", {"true"});
  nobody.run_as_group = 5;
  auto invalid = rt_->create_container(nobody);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_TRUE(fs::is_empty(data_dir_ + "/containers"));
  EXPECT_TRUE(rt_->runc().list()->empty());
  EXPECT_EQ(runtime::runc_testing::mounts_under(data_dir_ + "/containers"), 0);
}

TEST_F(RuncRuntimeTest, PodsRunInParallel) {
  // Pod workers call in parallel for different pods.
  constexpr int kPods = 4;
  std::vector<std::thread> workers;
  std::vector<ContainerStatus> results(kPods);
  for (int i = 0; i < kPods; ++i) {
    workers.emplace_back([&, i] {
      std::string uid = uid_ + "-" + std::to_string(i);
      ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid, "pod-" + std::to_string(i))).ok());
      ContainerConfig c =
          container("c" + std::to_string(i), {"sh", "-c", "exit " + std::to_string(10 + i)}, uid);
      results[i] = run_to_exit(c);
      EXPECT_TRUE(events_.wait_for(uid, 10s));
      ASSERT_TRUE(rt_->remove_pod_sandbox(uid).ok());
      EXPECT_FALSE(pod_cgroup_left(uid));
    });
  }
  for (std::thread& t : workers) t.join();
  for (int i = 0; i < kPods; ++i) {
    EXPECT_EQ(results[i].exit_code, 10 + i);
    EXPECT_EQ(results[i].pod_uid, uid_ + "-" + std::to_string(i));
  }
  EXPECT_TRUE(rt_->list_pod_sandboxes()->empty());
  EXPECT_EQ(runtime::runc_testing::mounts_under(data_dir_), 0);
}

TEST_F(RuncRuntimeTest, HostNetworkPodsShareTheNodesNetwork) {
  runtime::SandboxConfig config = pod(uid_);
  config.host_network = true;
  auto sandbox = rt_->run_pod_sandbox(config);
  ASSERT_TRUE(sandbox.ok()) << sandbox.error().message;
  EXPECT_TRUE(sandbox->network_ns_path.empty());
  ContainerStatus s = run_to_exit(container("netns", {"readlink", "/proc/self/ns/net"}));
  EXPECT_EQ(s.exit_code, 0);
  char node_ns[64] = {};
  ASSERT_GT(::readlink("/proc/self/ns/net", node_ns, sizeof node_ns - 1), 0);
  EXPECT_EQ(log_text(log_path("netns")), std::string(node_ns) + "\n");
}

TEST_F(RuncRuntimeTest, RestartCleansUpAHalfCreatedContainer) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  auto id = rt_->create_container(container("half", {"true"}));
  ASSERT_TRUE(id.ok());
  std::string dir = rt_->container_dir(*id);
  // What a crash between mounting the root filesystem and writing the record leaves.
  fs::remove(dir + "/container.json");
  EXPECT_TRUE(rt_->list_containers()->empty());
  EXPECT_EQ(runtime::runc_testing::mounts_under(dir), 1);
  rt_.reset();
  open_runtime();
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(runtime::runc_testing::mounts_under(dir), 0);
}

TEST_F(RuncRuntimeTest, AContainerWhoseMonitorDiedIsStillTracked) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string id = run(container("orphan", {"sleep", "1000"}));
  std::string dir = rt_->container_dir(id);
  auto monitor = runtime::Runc::monitor_pid(dir);
  ASSERT_TRUE(monitor.has_value());
  ASSERT_EQ(::kill(*monitor, SIGKILL), 0);
  for (int i = 0; i < 500 && runtime::runc_testing::process_running(*monitor); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  // runc still sees the process.
  EXPECT_EQ(rt_->container_status(id)->state, ContainerState::kRunning);
  ASSERT_TRUE(rt_->runc().kill(id, SIGKILL).ok());
  ContainerStatus lost;
  for (int i = 0; i < 500; ++i) {
    lost = *rt_->container_status(id);
    if (lost.state == ContainerState::kExited) break;
    std::this_thread::sleep_for(10ms);
  }
  // containerd's answer when the exit status is gone.
  EXPECT_EQ(lost.state, ContainerState::kExited);
  EXPECT_EQ(lost.exit_code, 255);
  EXPECT_EQ(lost.reason, "Unknown");
  EXPECT_EQ(rt_->container_status(id)->finished_at, lost.finished_at);
  EXPECT_TRUE(rt_->stop_container(id, 1s).ok());
  ASSERT_TRUE(rt_->remove_container(id).ok());
  EXPECT_FALSE(fs::exists(dir));
}

TEST_F(RuncRuntimeTest, RestartRepairsAStartItDidNotRecord) {
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string id = run(container("unrecorded", {"sleep", "1000"}));
  std::string record_path = rt_->container_dir(id) + "/container.json";
  // What a crash right after `runc run`, before the record was saved, leaves.
  std::string record = read_file(record_path);
  size_t at = record.find("\"startedAt\":\"");
  ASSERT_NE(at, std::string::npos);
  size_t end = record.find('"', at + 13);
  record.replace(at, end - at + 1, "\"startedAt\":\"\"");
  std::ofstream(record_path, std::ios::trunc) << record;
  EXPECT_EQ(rt_->container_status(id)->state, ContainerState::kCreated);
  rt_.reset();
  open_runtime();
  auto status = rt_->container_status(id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->state, ContainerState::kRunning);
  EXPECT_NE(status->started_at.time_since_epoch().count(), 0);
}

// The agent's layout: the state (bundles, records, sandboxes, runc's own) on a tmpfs of its own,
// each container's writable layer in the data directory on disk.
class RuncRuntimeStateDirTest : public RuncRuntimeTest {
 protected:
  void before_open() override {
    if (on_tmpfs(scratch_->path())) GTEST_SKIP() << "the scratch directory is on a tmpfs already";
    state_dir_ = data_dir_ + "/run";
    state_tmpfs_ = true;
  }
  void TearDown() override {
    RuncRuntimeTest::TearDown();
    if (!state_dir_.empty()) ::umount2(state_dir_.c_str(), MNT_DETACH);
  }
  static bool on_tmpfs(const std::string& path) {
    struct statfs st;
    return ::statfs(path.c_str(), &st) == 0 && st.f_type == TMPFS_MAGIC;
  }
};

TEST_F(RuncRuntimeStateDirTest, StateOnItsOwnTmpfsWritableLayerOnDisk) {
  ASSERT_TRUE(on_tmpfs(state_dir_));
  EXPECT_FALSE(on_tmpfs(data_dir_));
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string id = run(container("writer", {"sh", "-c", "echo kept > /file; sleep 1000"}));
  const std::string bundle = rt_->container_dir(id);
  EXPECT_EQ(bundle, state_dir_ + "/containers/" + id);
  EXPECT_TRUE(fs::exists(bundle + "/config.json"));
  EXPECT_TRUE(fs::exists(bundle + "/container.json"));
  EXPECT_TRUE(fs::exists(state_dir_ + "/runc/" + id + "/state.json"));
  EXPECT_TRUE(fs::exists(state_dir_ + "/sandboxes/" + uid_));
  // What the container writes lands in the writable layer on disk.
  const std::string rw = data_dir_ + "/containers/" + id;
  // The shell creates the file before it writes to it: wait for the line.
  for (int i = 0; i < 500 && read_file(rw + "/upper/file") != "kept\n"; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(read_file(rw + "/upper/file"), "kept\n");
  EXPECT_FALSE(fs::exists(bundle + "/upper"));

  // A restarted runtime finds the same tmpfs (not a second one on top) and the running container.
  rt_.reset();
  open_runtime();
  EXPECT_EQ(rt_->container_status(id)->state, ContainerState::kRunning);
  int tmpfs_mounts = 0;
  std::ifstream mountinfo("/proc/self/mountinfo");
  for (std::string line; std::getline(mountinfo, line);) {
    if (line.find(" " + state_dir_ + " ") != std::string::npos) ++tmpfs_mounts;
  }
  EXPECT_EQ(tmpfs_mounts, 1);

  ASSERT_TRUE(rt_->remove_pod_sandbox(uid_).ok());
  EXPECT_FALSE(fs::exists(bundle));
  EXPECT_FALSE(fs::exists(rw));
  for (const auto& entry : fs::directory_iterator(data_dir_ + "/containers")) {
    EXPECT_EQ(entry.path().filename(), ".boot_id");
  }
  EXPECT_TRUE(fs::is_empty(state_dir_ + "/containers"));
}

TEST_F(RuncRuntimeStateDirTest, WritableLayersWithoutStateGoAfterAReboot) {
  const std::string orphan = data_dir_ + "/containers/0123456789abcdef";
  fs::create_directories(orphan + "/upper/etc");
  std::ofstream(orphan + "/upper/etc/left") << "x";
  // The same boot: a bundle missing for another reason may hide a container still running on
  // this layer, so it stays.
  rt_.reset();
  open_runtime();
  EXPECT_TRUE(fs::exists(orphan));
  // What a reboot leaves: the tmpfs is gone, the writable layers on disk are not.
  rt_.reset();
  std::ofstream(data_dir_ + "/containers/.boot_id", std::ios::trunc) << "an earlier boot";
  open_runtime();
  EXPECT_FALSE(fs::exists(orphan));
  EXPECT_TRUE(fs::exists(data_dir_ + "/containers/.boot_id"));
}

// A data directory an agent from before the state directory filled: its state stays where it is.
class RuncRuntimeLegacyStateTest : public RuncRuntimeStateDirTest {
 protected:
  void before_open() override {
    RuncRuntimeStateDirTest::before_open();
    fs::create_directories(data_dir_ + "/sandboxes/old-pod");
  }
};

TEST_F(RuncRuntimeLegacyStateTest, StateStaysInTheDataDirectory) {
  EXPECT_FALSE(on_tmpfs(state_dir_));
  ASSERT_TRUE(rt_->run_pod_sandbox(pod(uid_)).ok());
  std::string id = run(container("legacy", {"sleep", "1000"}));
  EXPECT_EQ(rt_->container_dir(id), data_dir_ + "/containers/" + id);
  EXPECT_TRUE(fs::exists(data_dir_ + "/sandboxes/" + uid_));
  EXPECT_TRUE(fs::exists(data_dir_ + "/runc/" + id + "/state.json"));
  ASSERT_TRUE(rt_->remove_pod_sandbox(uid_).ok());
  EXPECT_FALSE(fs::exists(data_dir_ + "/containers/" + id));
}

}  // namespace
}  // namespace bosun::agent
