// Real containers through runc (root only): exit codes and CRI log lines, signals, security
// settings visible from inside, the OOM killer, cgroup settings and stats, and that nothing is
// left behind.
#include "runtime/runc.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "runtime/bundle_spec.h"
#include "runtime/cgroup.h"
#include "runtime/runc_monitor_program.h"
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

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

// The message part of each CRI log line, prefixed by its stream: "stdout hello".
std::vector<std::string> log_messages(const std::string& path) {
  static const std::regex kLine(
      R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z (stdout|stderr) (F|P) (.*)$)");
  std::vector<std::string> out;
  for (const std::string& line : lines_of(read_file(path))) {
    std::smatch m;
    if (!std::regex_match(line, m, kLine)) {
      out.push_back("MALFORMED: " + line);
      continue;
    }
    out.push_back(m[1].str() + " " + m[3].str());
  }
  return out;
}

class RuncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = runc_testing::container_test_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    scratch_ = std::make_unique<ScratchDir>("bosun-runc-test-");
    ASSERT_FALSE(scratch_->path().empty());
    rootfs_ = scratch_->path() + "/rootfs";
    ASSERT_TRUE(runc_testing::make_busybox_rootfs(rootfs_).ok());
    runc_ =
        std::make_unique<Runc>(RuncOptions{runc_testing::kRuncPath, scratch_->path() + "/state"});
    pod_uid_ = "test" + std::to_string(::getpid());
  }

  void TearDown() override {
    if (!runc_) return;
    auto list = runc_->list();
    if (list.ok()) {
      for (const ContainerState& c : *list) (void)runc_->remove(c.id, true);
    }
    (void)remove_cgroup_tree(pod_cgroup_parent(pod_uid_));
  }

  ContainerSpec spec(std::vector<std::string> args) {
    ContainerSpec s;
    s.args = std::move(args);
    s.env = {"PATH=/bin"};
    s.rootfs = rootfs_;
    s.hostname = "runc-test";
    return s;
  }

  // Writes the bundle and runs create; returns the bundle directory.
  std::string create(const std::string& id, ContainerSpec s) {
    std::string bundle = scratch_->path() + "/bundles/" + id;
    s.cgroups_path = container_cgroup_path(pod_uid_, id);
    auto w = write_bundle(bundle, s);
    EXPECT_TRUE(w.ok()) << (w.ok() ? "" : w.error().message);
    auto pid = runc_->create({id, bundle, log_path(id)});
    EXPECT_TRUE(pid.ok()) << (pid.ok() ? "" : pid.error().message);
    if (pid.ok()) {
      EXPECT_GT(*pid, 0);
    }
    return bundle;
  }

  std::string log_path(const std::string& id) { return scratch_->path() + "/logs/" + id + ".log"; }

  // Create, start, wait for the exit.
  ExitStatus run(const std::string& id, ContainerSpec s) {
    std::string bundle = create(id, std::move(s));
    auto started = runc_->start(id);
    EXPECT_TRUE(started.ok()) << (started.ok() ? "" : started.error().message);
    auto exit = Runc::wait(bundle, 20s);
    EXPECT_TRUE(exit.ok()) << (exit.ok() ? "" : exit.error().message);
    if (exit.ok()) return *exit;
    ExitStatus failed;
    failed.exit_code = -1;
    return failed;
  }

  std::unique_ptr<ScratchDir> scratch_;
  std::string rootfs_;
  std::unique_ptr<Runc> runc_;
  std::string pod_uid_;
};

TEST_F(RuncTest, EchoesAndExitsZeroWithCriLogLines) {
  ExitStatus exit =
      run("echo0", spec({"sh", "-c", "echo hello; echo oops >&2; printf 'no newline'"}));
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_EQ(exit.signal, 0);
  EXPECT_FALSE(exit.oom_killed);
  EXPECT_GT(exit.pid, 0);
  auto since = std::chrono::system_clock::now() - exit.finished_at;
  EXPECT_LT(since, std::chrono::minutes(1));
  auto msgs = log_messages(log_path("echo0"));
  // Lines of one stream keep their order; the two streams interleave as they were read.
  std::vector<std::string> out, err;
  for (const std::string& m : msgs) (m.rfind("stdout", 0) == 0 ? out : err).push_back(m);
  EXPECT_EQ(out, (std::vector<std::string>{"stdout hello", "stdout no newline"}));
  EXPECT_EQ(err, (std::vector<std::string>{"stderr oops"}));
}

TEST_F(RuncTest, CreateWithStartRunsAtOnce) {
  std::string id = "runnow";
  std::string bundle = scratch_->path() + "/bundles/" + id;
  ContainerSpec s = spec({"sh", "-c", "echo started; exit 7"});
  s.cgroups_path = container_cgroup_path(pod_uid_, id);
  ASSERT_TRUE(write_bundle(bundle, s).ok());
  CreateOptions options{id, bundle, log_path(id)};
  options.start = true;
  auto pid = runc_->create(options);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 7);
  EXPECT_FALSE(exit->oom_killed);
  EXPECT_EQ(log_messages(log_path(id)), std::vector<std::string>{"stdout started"});
}

// Whether a container monitor for `bundle` runs (its command line names the bundle).
bool monitor_running_for(const std::string& bundle) {
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string cmdline = read_file(entry.path().string() + "/cmdline");
    if (cmdline.rfind(std::string(kRuncMonitorProgramName) + '\0', 0) == 0 &&
        cmdline.find(std::string(1, '\0') + bundle + '\0') != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST_F(RuncTest, APreparedMonitorRunsTheBundleWrittenAfterIt) {
  // The agent starts the monitor before it has mounted the root filesystem and written
  // config.json; runc reads them only at start().
  std::string id = "prepared";
  std::string bundle = scratch_->path() + "/bundles/" + id;
  std::filesystem::create_directories(bundle);
  CreateOptions options{id, bundle, log_path(id)};
  options.start = true;
  auto prepared = runc_->prepare(options);
  ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  ContainerSpec s = spec({"sh", "-c", "echo prepared; exit 3"});
  s.cgroups_path = container_cgroup_path(pod_uid_, id);
  ASSERT_TRUE(write_bundle(bundle, s).ok());
  auto pid = prepared->start();
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  EXPECT_GT(*pid, 0);
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 3);
  EXPECT_EQ(log_messages(log_path(id)), std::vector<std::string>{"stdout prepared"});
  auto again = prepared->start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_F(RuncTest, APreparedMonitorDroppedUnstartedRunsNothingAndExits) {
  std::string id = "dropped";
  std::string bundle = scratch_->path() + "/bundles/" + id;
  ContainerSpec s = spec({"sh", "-c", "echo ran"});
  s.cgroups_path = container_cgroup_path(pod_uid_, id);
  ASSERT_TRUE(write_bundle(bundle, s).ok());
  {
    auto prepared = runc_->prepare({id, bundle, log_path(id)});
    ASSERT_TRUE(prepared.ok()) << prepared.error().message;
  }
  bool gone = false;
  for (int i = 0; i < 1000 && !gone; ++i) {
    gone = !monitor_running_for(bundle);
    if (!gone) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(gone) << "the unstarted monitor is still running";
  EXPECT_EQ(runc_->state(id).error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(Runc::monitor_pid(bundle).has_value());
  EXPECT_FALSE(std::filesystem::exists(bundle + "/" + kExitFile));
  // The same container is created normally afterwards.
  auto pid = runc_->create({id, bundle, log_path(id)});
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  ASSERT_TRUE(runc_->start(id).ok());
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 0);
}

TEST_F(RuncTest, ExecRunsCommandsInTheContainer) {
  std::string bundle = create("execd", spec({"sleep", "1000"}));
  ASSERT_TRUE(runc_->start("execd").ok());
  auto ok = runc_->exec("execd", {"sh", "-c", "hostname; echo err >&2; exit 4"}, 10s);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->exit_code, 4);
  EXPECT_EQ(ok->stdout_text, "runc-test\n");
  EXPECT_EQ(ok->stderr_text, "err\n");

  auto slow = runc_->exec("execd", {"sleep", "100"}, 300ms);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.error().code, ErrorCode::kTimeout);
  // A timeout shorter than runc takes to start the process: the process is killed once it is
  // there, not left to run.
  auto early = runc_->exec("execd", {"sleep", "100"}, 1ms);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::kTimeout);
  // The timed-out commands were killed in the container, not left running: only the container's
  // own sleep is left once the kills have landed (a loaded machine may take a moment).
  Result<ExecResult> ps = make_error(ErrorCode::kInternal, "not run");
  for (int i = 0; i < 100; ++i) {
    ps = runc_->exec("execd", {"sh", "-c", "ps -o stat,comm | grep -v '^Z' | grep -c sleep"}, 10s);
    if (!ps.ok() || ps->stdout_text == "1\n") break;
    std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(ps.ok()) << ps.error().message;
  EXPECT_EQ(ps->stdout_text, "1\n");

  auto missing = runc_->exec("no-such-container", {"true"}, 10s);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound) << missing.error().message;
  ASSERT_TRUE(runc_->kill("execd", SIGKILL).ok());
  ASSERT_TRUE(Runc::wait(bundle, 20s).ok());
}

TEST_F(RuncTest, LogIsReopenedAfterRotation) {
  std::string go = rootfs_ + "/tmp/go";
  std::string bundle = create(
      "rotated",
      spec({"sh", "-c", "echo first; while [ ! -f /tmp/go ]; do sleep 0.05; done; echo second"}));
  ASSERT_TRUE(runc_->start("rotated").ok());
  std::string log = log_path("rotated");
  for (int i = 0; i < 200 && log_messages(log).empty(); ++i) ::usleep(10000);
  ASSERT_EQ(log_messages(log), std::vector<std::string>{"stdout first"});
  std::filesystem::rename(log, log + ".1");
  ASSERT_TRUE(Runc::reopen_log(bundle).ok());
  for (int i = 0; i < 200 && !std::filesystem::exists(log); ++i) ::usleep(10000);
  ASSERT_TRUE(std::filesystem::exists(log));
  std::ofstream(go) << "";
  ASSERT_TRUE(Runc::wait(bundle, 20s).ok());
  EXPECT_EQ(log_messages(log + ".1"), std::vector<std::string>{"stdout first"});
  EXPECT_EQ(log_messages(log), std::vector<std::string>{"stdout second"});
  auto gone = Runc::reopen_log(bundle);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(RuncTest, AKilledMonitorMeansTheExitStatusIsUnknown) {
  std::string bundle = create("orphan", spec({"sleep", "1000"}));
  ASSERT_TRUE(runc_->start("orphan").ok());
  auto monitor = Runc::monitor_pid(bundle);
  ASSERT_TRUE(monitor.has_value());
  ASSERT_EQ(::kill(*monitor, SIGKILL), 0);
  for (int i = 0; i < 500 && runc_testing::process_running(*monitor); ++i) ::usleep(10000);
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_FALSE(exit.ok());
  EXPECT_EQ(exit.error().code, ErrorCode::kNotFound) << exit.error().message;
  // The container itself still runs; the agent can still stop and remove it.
  auto st = runc_->state("orphan");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, "running");
  ASSERT_TRUE(runc_->remove("orphan", true).ok());
}

TEST_F(RuncTest, RelativePathsWork) {
  std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(scratch_->path());
  std::string bundle = "bundles/relative";
  ContainerSpec s = spec({"echo", "relative"});
  s.cgroups_path = container_cgroup_path(pod_uid_, "relative");
  ASSERT_TRUE(write_bundle(bundle, s).ok());
  CreateOptions options{"relative", bundle, "logs/relative.log"};
  options.start = true;
  auto pid = runc_->create(options);
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  auto exit = Runc::wait(scratch_->path() + "/" + bundle, 20s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(log_messages(log_path("relative")), std::vector<std::string>{"stdout relative"});
}

TEST_F(RuncTest, CreateAndRunReturnTheContainerInitsPid) {
  // The monitor reads the pid from runc's state rather than a --pid-file (which runc writes with
  // O_SYNC): what create returns is the process runc and the kernel know as the container's init,
  // and the bundle's init.pid record says the same.
  for (bool start : {false, true}) {
    const std::string id = start ? "pid-run" : "pid-create";
    std::string bundle = scratch_->path() + "/bundles/" + id;
    ContainerSpec s = spec({"sleep", "1000"});
    s.cgroups_path = container_cgroup_path(pod_uid_, id);
    ASSERT_TRUE(write_bundle(bundle, s).ok());
    CreateOptions options{id, bundle, log_path(id)};
    options.start = start;
    auto pid = runc_->create(options);
    ASSERT_TRUE(pid.ok()) << pid.error().message;
    auto state = runc_->state(id);
    ASSERT_TRUE(state.ok());
    EXPECT_EQ(state->status, start ? "running" : "created");
    EXPECT_EQ(*pid, state->pid);
    auto monitor = Runc::monitor_pid(bundle);
    ASSERT_TRUE(monitor.has_value());
    // The init is the monitor's child (runc has exited; the monitor is its subreaper).
    const std::string stat = read_file("/proc/" + std::to_string(*pid) + "/stat");
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    char state_char = 0;
    int ppid = 0;
    fields >> state_char >> ppid;
    EXPECT_EQ(ppid, *monitor);
    bool recorded = false;
    for (int i = 0; i < 200 && !recorded; ++i) {
      recorded = read_file(bundle + "/" + kInitPidFile) == std::to_string(*pid);
      if (!recorded) std::this_thread::sleep_for(10ms);
    }
    EXPECT_TRUE(recorded);
    ASSERT_TRUE(runc_->remove(id, true).ok());
    EXPECT_TRUE(Runc::wait(bundle, 20s).ok());
  }
}

TEST_F(RuncTest, ExitCodeThree) {
  ExitStatus exit = run("exit3", spec({"sh", "-c", "echo bye; exit 3"}));
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_EQ(log_messages(log_path("exit3")), std::vector<std::string>{"stdout bye"});
  // runc keeps a stopped container until it is deleted.
  auto st = runc_->state("exit3");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->status, "stopped");
}

TEST_F(RuncTest, LongSleeperStopsOnSigtermAndSigkill) {
  // As pid 1 of its namespace the shell only sees signals it handles; the trap makes SIGTERM count.
  std::string bundle = create(
      "sleeper", spec({"sh", "-c", "trap 'echo terminated; exit 143' TERM; sleep 1000 & wait"}));
  auto created = runc_->state("sleeper");
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->status, "created");
  ASSERT_TRUE(runc_->start("sleeper").ok());
  auto running = runc_->state("sleeper");
  ASSERT_TRUE(running.ok());
  EXPECT_EQ(running->status, "running");
  EXPECT_GT(running->pid, 0);
  EXPECT_FALSE(Runc::read_exit(bundle)->has_value());
  auto early = Runc::wait(bundle, 200ms);
  ASSERT_FALSE(early.ok());
  EXPECT_EQ(early.error().code, ErrorCode::kTimeout);

  ASSERT_TRUE(runc_->kill("sleeper", SIGTERM).ok());
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->exit_code, 143);
  EXPECT_EQ(exit->signal, 0);
  EXPECT_EQ(log_messages(log_path("sleeper")), std::vector<std::string>{"stdout terminated"});

  // A process without a handler dies only by SIGKILL; its status is 128 + 9.
  std::string bundle2 = create("stubborn", spec({"sleep", "1000"}));
  ASSERT_TRUE(runc_->start("stubborn").ok());
  ASSERT_TRUE(runc_->kill("stubborn", SIGKILL).ok());
  auto killed = Runc::wait(bundle2, 20s);
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->exit_code, 137);
  EXPECT_EQ(killed->signal, SIGKILL);
}

TEST_F(RuncTest, CapabilitiesAndNoNewPrivsAreVisibleInside) {
  ContainerSpec s = spec({"sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status"});
  s.no_new_privileges = true;
  ASSERT_EQ(run("caps", s).exit_code, 0);
  // containerd's (and Docker's) default set is 0xa80425fb.
  EXPECT_EQ(
      log_messages(log_path("caps")),
      (std::vector<std::string>{"stdout CapEff:\t00000000a80425fb",
                                "stdout CapBnd:\t00000000a80425fb", "stdout NoNewPrivs:\t1"}));

  ContainerSpec dropped = spec({"sh", "-c", "grep -E '^(CapEff|NoNewPrivs)' /proc/self/status"});
  dropped.capabilities = {{"NET_BIND_SERVICE"}, {"ALL"}};
  ASSERT_EQ(run("dropped", dropped).exit_code, 0);
  EXPECT_EQ(
      log_messages(log_path("dropped")),
      (std::vector<std::string>{"stdout CapEff:\t0000000000000400", "stdout NoNewPrivs:\t0"}));
}

TEST_F(RuncTest, ProcPathsAreMaskedAndReadOnly) {
  ContainerSpec s = spec({"sh", "-c",
                          "test -s /proc/kcore; echo kcore=$?; "
                          "ls /sys/firmware | wc -l; "
                          "(echo 1 > /proc/sys/vm/drop_caches) 2>/dev/null; echo sys=$?"});
  ASSERT_EQ(run("masked", s).exit_code, 0);
  EXPECT_EQ(log_messages(log_path("masked")),
            (std::vector<std::string>{"stdout kcore=1", "stdout 0", "stdout sys=1"}));
}

TEST_F(RuncTest, MemoryLimitOomKillIsDetected) {
  // dd's 64 MiB buffer cannot fit in 16 MiB.
  ContainerSpec s = spec({"dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"});
  s.resources.memory_limit_bytes = 16 << 20;
  ExitStatus exit = run("oom", s);
  EXPECT_TRUE(exit.oom_killed);
  EXPECT_EQ(exit.exit_code, 137);
  EXPECT_EQ(exit.signal, SIGKILL);
}

TEST_F(RuncTest, CgroupSettingsAndStats) {
  ContainerSpec s =
      spec({"sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000"});
  s.resources = {250, 500, 64 << 20, 50};
  std::string bundle = create("limits", s);
  CgroupPaths cg = cgroup_paths_of(container_cgroup_path(pod_uid_, "limits"));
  auto shares = read_cpu_shares(cg);
  ASSERT_TRUE(shares.ok()) << shares.error().message;
  EXPECT_EQ(*shares, 256u);
  EXPECT_EQ(read_file(cg.cpu_dir + "/cpu.cfs_quota_us"), "50000\n");
  EXPECT_EQ(read_file(cg.cpu_dir + "/cpu.cfs_period_us"), "100000\n");
  EXPECT_EQ(read_file(cg.memory_dir + "/memory.limit_in_bytes"), std::to_string(64 << 20) + "\n");
  EXPECT_EQ(
      read_file("/sys/fs/cgroup/pids" + container_cgroup_path(pod_uid_, "limits") + "/pids.max"),
      "50\n");

  // The init's own view of its cgroup agrees with the path we asked for.
  auto state = runc_->state("limits");
  ASSERT_TRUE(state.ok());
  auto by_pid = cgroup_paths_of_pid(state->pid);
  ASSERT_TRUE(by_pid.ok());
  EXPECT_EQ(by_pid->memory_dir, cg.memory_dir);

  ASSERT_TRUE(runc_->start("limits").ok());
  CgroupStats stats;
  for (int i = 0; i < 100; ++i) {
    auto st = read_cgroup_stats(cg);
    ASSERT_TRUE(st.ok()) << st.error().message;
    stats = *st;
    if (stats.cpu_usage_ns > 0 && stats.memory_working_set_bytes > 0) break;
    ::usleep(20000);
  }
  EXPECT_GT(stats.cpu_usage_ns, 0u);
  EXPECT_GT(stats.memory_working_set_bytes, 0u);
  EXPECT_LE(stats.memory_working_set_bytes, stats.memory_usage_bytes);
  auto oom = read_oom_kill_count(cg);
  ASSERT_TRUE(oom.ok());
  EXPECT_EQ(*oom, 0u);
  ASSERT_TRUE(runc_->kill("limits", SIGKILL).ok());
  ASSERT_TRUE(Runc::wait(bundle, 20s).ok());
}

TEST_F(RuncTest, ExitIsReadByALaterAgentAndCleanupLeavesNothing) {
  std::string bundle = create("survivor", spec({"sleep", "1000"}));
  ASSERT_TRUE(runc_->start("survivor").ok());
  auto monitor = Runc::monitor_pid(bundle);
  ASSERT_TRUE(monitor.has_value());
  // The monitor is not the agent's child: it outlives an agent restart.
  std::string stat = read_file("/proc/" + std::to_string(*monitor) + "/stat");
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string state_char;
  int ppid = 0;
  fields >> state_char >> ppid;
  EXPECT_NE(ppid, ::getpid());

  auto listed = runc_->list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, "survivor");
  EXPECT_EQ((*listed)[0].status, "running");

  // "Restart": a new driver over the same state learns the exit from the monitor's record.
  runc_ = std::make_unique<Runc>(RuncOptions{runc_testing::kRuncPath, scratch_->path() + "/state"});
  ASSERT_TRUE(runc_->kill("survivor", SIGKILL).ok());
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 137);
  for (int i = 0; i < 500 && runc_testing::process_running(*monitor); ++i) ::usleep(10000);
  EXPECT_FALSE(runc_testing::process_running(*monitor)) << "monitor still running";
  EXPECT_FALSE(Runc::monitor_pid(bundle).has_value());

  ASSERT_TRUE(runc_->remove("survivor", false).ok());
  EXPECT_TRUE(runc_->list()->empty());
  EXPECT_FALSE(cgroup_exists(container_cgroup_path(pod_uid_, "survivor")));
  auto gone = runc_->state("survivor");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(runc_testing::mounts_under(scratch_->path()), 0);
  ASSERT_TRUE(remove_cgroup_tree(pod_cgroup_parent(pod_uid_)).ok());
  EXPECT_FALSE(cgroup_exists(pod_cgroup_parent(pod_uid_)));
}

TEST_F(RuncTest, ForceRemovingACreatedContainerRecordsItsDeath) {
  std::string bundle = create("never-started", spec({"true"}));
  ASSERT_TRUE(runc_->remove("never-started", true).ok());
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->signal, SIGKILL);
}

TEST_F(RuncTest, ErrorsAreKubernetesCodes) {
  create("dup", spec({"sleep", "1000"}));
  std::string bundle = scratch_->path() + "/bundles/dup";
  auto again = runc_->create({"dup", bundle, log_path("dup2")});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists) << again.error().message;

  auto missing = runc_->state("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound) << missing.error().message;

  std::string bad_bundle = scratch_->path() + "/bundles/bad";
  ContainerSpec s = spec({"/no/such/binary"});
  s.cgroups_path = container_cgroup_path(pod_uid_, "bad");
  ASSERT_TRUE(write_bundle(bad_bundle, s).ok());
  auto bad = runc_->create({"bad", bad_bundle, log_path("bad")});
  if (bad.ok()) {
    // Some runc versions only find out at start.
    auto started = runc_->start("bad");
    EXPECT_FALSE(started.ok());
  } else {
    EXPECT_NE(bad.error().message.find("no such file or directory"), std::string::npos)
        << bad.error().message;
  }

  Runc absent(RuncOptions{"/no/runc", scratch_->path() + "/state"});
  auto no_runc = absent.create({"x", bad_bundle, log_path("x")});
  ASSERT_FALSE(no_runc.ok());
  EXPECT_EQ(no_runc.error().message, "runc not found at /no/runc");
}

}  // namespace
}  // namespace bosun::runtime
