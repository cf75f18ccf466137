// The monitor program: where the agent finds it, and that containers really run under the small
// bosun-runc-monitor program (not a re-executed copy of the agent) with their output logged and
// their exit recorded as before.
#include "runtime/runc_monitor_program.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "runtime/bundle_spec.h"
#include "runtime/cgroup.h"
#include "runtime/runc.h"
#include "runtime/runc_testing.h"

namespace bosun::runtime {
namespace {

using namespace std::chrono_literals;
using runc_testing::ScratchDir;

void write_program(const std::string& path, mode_t mode) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << "#!/bin/sh\n";
  ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string exe_of(int pid) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string();
}

TEST(RuncMonitorProgramTest, TheProgramBesideTheBinaryComesFirst) {
  ScratchDir dir("bosun-monitor-program-");
  const std::string bin = dir.path() + "/bin";
  write_program(bin + "/bosun-runc-monitor", 0755);
  write_program(dir.path() + "/build/bosun-runc-monitor", 0755);
  EXPECT_EQ(find_runc_monitor_program(bin + "/bosun", dir.path() + "/build/bosun-runc-monitor"),
            bin + "/bosun-runc-monitor");
}

TEST(RuncMonitorProgramTest, TheBuildTreesProgramWhenNoneIsBesideTheBinary) {
  ScratchDir dir("bosun-monitor-program-");
  write_program(dir.path() + "/build/bosun-runc-monitor", 0755);
  EXPECT_EQ(find_runc_monitor_program(dir.path() + "/bench/runc_bench",
                                      dir.path() + "/build/bosun-runc-monitor"),
            dir.path() + "/build/bosun-runc-monitor");
}

TEST(RuncMonitorProgramTest, WithoutAnExecutableProgramTheBinaryReExecutesItself) {
  ScratchDir dir("bosun-monitor-program-");
  // Not executable, and a directory of that name: neither is a program.
  write_program(dir.path() + "/bin/bosun-runc-monitor", 0644);
  std::filesystem::create_directories(dir.path() + "/build/bosun-runc-monitor");
  EXPECT_EQ(find_runc_monitor_program(dir.path() + "/bin/bosun",
                                      dir.path() + "/build/bosun-runc-monitor"),
            "/proc/self/exe");
  EXPECT_EQ(find_runc_monitor_program("", ""), "/proc/self/exe");
}

TEST(RuncMonitorProgramTest, ThisBuildUsesTheSmallProgram) {
  const std::string& program = runc_monitor_program();
  EXPECT_EQ(std::filesystem::path(program).filename(), kRuncMonitorProgramName) << program;
  EXPECT_EQ(::access(program.c_str(), X_OK), 0) << program;
}

// A container's monitor is the small program, and does its whole job: the output in the CRI log,
// the exit status recorded.
TEST(RuncMonitorProgramTest, ContainersRunUnderTheSmallProgram) {
  std::string why = runc_testing::container_test_skip_reason();
  if (!why.empty()) GTEST_SKIP() << why;
  ScratchDir dir("bosun-monitor-program-");
  const std::string rootfs = dir.path() + "/rootfs";
  ASSERT_TRUE(runc_testing::make_busybox_rootfs(rootfs).ok());
  Runc runc(RuncOptions{runc_testing::kRuncPath, dir.path() + "/state"});
  const std::string pod = "monitorprog" + std::to_string(::getpid());
  ContainerSpec spec;
  spec.args = {"sh", "-c", "echo started; sleep 30"};
  spec.env = {"PATH=/bin"};
  spec.rootfs = rootfs;
  spec.hostname = "monitor";
  spec.cgroups_path = container_cgroup_path(pod, "c1");
  const std::string bundle = dir.path() + "/bundles/c1";
  ASSERT_TRUE(write_bundle(bundle, spec).ok());
  CreateOptions create{"c1", bundle, dir.path() + "/c1.log"};
  create.start = true;
  auto pid = runc.create(create);
  ASSERT_TRUE(pid.ok()) << pid.error().message;
  auto monitor = Runc::monitor_pid(bundle);
  ASSERT_TRUE(monitor.has_value());
  EXPECT_EQ(std::filesystem::path(exe_of(*monitor)).filename(), kRuncMonitorProgramName);
  // The line is logged once the shell got that far; then the kill cannot overtake it.
  std::string logged;
  for (int i = 0; i < 2000 && logged.find("started") == std::string::npos; ++i) {
    std::ifstream in(dir.path() + "/c1.log");
    std::getline(in, logged);
    if (logged.find("started") == std::string::npos) ::usleep(10 * 1000);
  }
  EXPECT_NE(logged.find(" stdout F started"), std::string::npos) << logged;
  ASSERT_TRUE(runc.kill("c1", SIGKILL).ok());
  auto exit = Runc::wait(bundle, 20s);
  ASSERT_TRUE(exit.ok()) << exit.error().message;
  EXPECT_EQ(exit->signal, SIGKILL);
  EXPECT_EQ(exit->exit_code, 128 + SIGKILL);
  (void)runc.remove("c1", true);
  (void)remove_cgroup_tree(pod_cgroup_parent(pod));
}

}  // namespace
}  // namespace bosun::runtime
