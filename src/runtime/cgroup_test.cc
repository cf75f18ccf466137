// cgroup v1 and v2 files read from a fake cgroup root (no root needed): the figures `kubectl top`
// shows and the OOM counter behind OOMKilled.
#include "runtime/cgroup.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;

class CgroupFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::path(::testing::TempDir()) / ("cgroup_test_" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void put(const std::string& rel, const std::string& text) {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << text;
  }
  CgroupRoot root() const { return CgroupRoot{root_.string()}; }
  fs::path root_;
};

TEST_F(CgroupFilesTest, V1StatsWorkingSetAndOom) {
  const std::string c = "/bosun/pod1/c1";
  put("memory" + c + "/memory.usage_in_bytes", "10485760\n");
  put("memory" + c + "/memory.stat", "cache 100\ntotal_inactive_file 4194304\ntotal_rss 1\n");
  put("memory" + c + "/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
  put("cpuacct" + c + "/cpuacct.usage", "123456789\n");
  put("cpu" + c + "/cpu.shares", "256\n");
  CgroupPaths p = cgroup_paths_of(c, root());
  EXPECT_FALSE(p.unified);
  EXPECT_EQ(p.memory_dir, root_.string() + "/memory" + c);
  auto stats = read_cgroup_stats(p);
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->cpu_usage_ns, 123456789u);
  EXPECT_EQ(stats->memory_usage_bytes, 10485760u);
  EXPECT_EQ(stats->memory_working_set_bytes, 10485760u - 4194304u);
  EXPECT_EQ(*read_oom_kill_count(p), 2u);
  EXPECT_EQ(*read_cpu_shares(p), 256u);
  EXPECT_TRUE(cgroup_exists(c, root()));
}

TEST_F(CgroupFilesTest, OldKernelsWithoutTheOomCounterUseUnderOom) {
  put("memory/c/memory.oom_control", "oom_kill_disable 0\nunder_oom 1\n");
  EXPECT_EQ(*read_oom_kill_count(cgroup_paths_of("/c", root())), 1u);
}

TEST_F(CgroupFilesTest, V2) {
  put("cgroup.controllers", "cpu memory pids\n");
  const std::string c = "/bosun/pod1/c1";
  put(c.substr(1) + "/cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
  put(c.substr(1) + "/memory.current", "8192\n");
  put(c.substr(1) + "/memory.stat", "anon 4096\ninactive_file 1024\n");
  put(c.substr(1) + "/memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  CgroupPaths p = cgroup_paths_of(c, root());
  EXPECT_TRUE(p.unified);
  auto stats = read_cgroup_stats(p);
  ASSERT_TRUE(stats.ok()) << stats.error().message;
  EXPECT_EQ(stats->cpu_usage_ns, 2500000u);
  EXPECT_EQ(stats->memory_working_set_bytes, 8192u - 1024u);
  EXPECT_EQ(*read_oom_kill_count(p), 1u);
}

TEST_F(CgroupFilesTest, MissingCgroupIsNotFound) {
  fs::create_directories(root_ / "memory");
  auto oom = read_oom_kill_count(cgroup_paths_of("/gone", root()));
  ASSERT_FALSE(oom.ok());
  EXPECT_EQ(oom.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(cgroup_exists("/gone", root()));
}

TEST_F(CgroupFilesTest, RemoveTreeDeepestFirstAndNeverTheRoot) {
  for (const char* h : {"memory", "cpu", "pids"})
    fs::create_directories(root_ / h / "bosun/pod1/c1");
  ASSERT_TRUE(remove_cgroup_tree("/bosun/pod1", root()).ok());
  EXPECT_FALSE(cgroup_exists("/bosun/pod1", root()));
  EXPECT_TRUE(fs::exists(root_ / "memory/bosun"));
  auto refused = remove_cgroup_tree("/", root());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kBadRequest);
}

}  // namespace
}  // namespace bosun::runtime
