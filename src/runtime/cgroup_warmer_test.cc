#include "runtime/cgroup_warmer.h"

#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "common/file_util.h"

namespace bosun::runtime {
namespace {

TEST(MigrationTargetTest, HybridNodePrefersThePidsHierarchysTasksFile) {
  const std::string text =
      "12:name=systemd:/user.slice\n"
      "11:cpu,cpuacct:/agent\n"
      "10:memory:/agent\n"
      "9:pids:/agent\n"
      "0::/agent\n";
  MigrationTarget t = migration_target(text, 100, 101);
  EXPECT_EQ(t.file, "/sys/fs/cgroup/pids/agent/tasks");
  EXPECT_EQ(t.id, 101);  // the thread alone moves
}

TEST(MigrationTargetTest, RootCgroupAndOtherSingleControllers) {
  MigrationTarget t = migration_target("4:devices:/\n3:cpuset:/\n", 7, 8, CgroupRoot{"/cg"});
  EXPECT_EQ(t.file, "/cg/devices/tasks");
  t = migration_target("3:cpuset:/a/b\n", 7, 8, CgroupRoot{"/cg"});
  EXPECT_EQ(t.file, "/cg/cpuset/a/b/tasks");
}

TEST(MigrationTargetTest, CgroupV2MovesTheProcessInItsOwnCgroup) {
  MigrationTarget t = migration_target("0::/system.slice/agent.service\n", 7, 8);
  EXPECT_EQ(t.file, "/sys/fs/cgroup/system.slice/agent.service/cgroup.procs");
  EXPECT_EQ(t.id, 7);
}

TEST(MigrationTargetTest, NothingUsableIsEmpty) {
  EXPECT_TRUE(migration_target("", 1, 1).file.empty());
  EXPECT_TRUE(
      migration_target("garbage\n5:name=systemd:/x\n6:cpu,cpuacct:/x\n", 1, 1).file.empty());
  EXPECT_TRUE(migration_target("9:pids:relative\n", 1, 1).file.empty());
}

// The warmer's migrations leave every thread of the process where it was.
TEST(CgroupMigrationWarmerTest, PrimesWithoutMovingTheProcess) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to write cgroup files";
  const std::string before = read_file_or_empty("/proc/self/cgroup");
  CgroupMigrationWarmer warmer(std::chrono::milliseconds(1));
  for (int i = 0; i < 5000 && warmer.primes() < 3 && !warmer.disabled(); ++i) {
    warmer.warm_for(std::chrono::milliseconds(50));  // kept warm however late its thread runs
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (warmer.disabled()) GTEST_SKIP() << "no writable cgroup file on this machine";
  EXPECT_GE(warmer.primes(), 3u);
  EXPECT_EQ(read_file_or_empty("/proc/self/cgroup"), before);
}

// Past its deadline the warmer writes nothing more until warmed again.
TEST(CgroupMigrationWarmerTest, StopsAfterTheSpanAndRestarts) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to write cgroup files";
  CgroupMigrationWarmer warmer(std::chrono::milliseconds(1));
  // Warmed again and again until it has primed: on a loaded machine its thread may first run only
  // after a short span is over.
  for (int i = 0; i < 5000 && warmer.primes() < 1 && !warmer.disabled(); ++i) {
    warmer.warm_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (warmer.disabled()) GTEST_SKIP() << "no writable cgroup file on this machine";
  // Once the count holds still across a wait far longer than the interval, the span is over.
  uint64_t settled = warmer.primes();
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    uint64_t now = warmer.primes();
    if (now == settled) break;
    settled = now;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(warmer.primes(), settled);
  for (int i = 0; i < 5000 && warmer.primes() == settled; ++i) {
    warmer.warm_for(std::chrono::milliseconds(20));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GT(warmer.primes(), settled);
}

TEST(CgroupMigrationWarmerTest, UnwritableRootDisablesIt) {
  CgroupMigrationWarmer warmer(std::chrono::milliseconds(1),
                               CgroupRoot{"/nonexistent-cgroup-root"});
  warmer.warm_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 5000 && !warmer.disabled(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_TRUE(warmer.disabled());
  EXPECT_EQ(warmer.primes(), 0u);
}

}  // namespace
}  // namespace bosun::runtime
