// cgroup v1 and v2 files read from a fake cgroup root (no root needed): the figures `kubectl top`
// shows, the OOM counter behind OOMKilled, removal, and the release of a removed cgroup's charges
// (also against the real kernel when run as root).
#include "runtime/cgroup.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

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
  std::string read(const std::string& rel) const {
    std::ifstream in(root_ / rel);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
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

TEST_F(CgroupFilesTest, ChargesAreReleasedThroughEachVersionsFile) {
  const std::string c = "/bosun/pod1/c1";
  put("memory" + c + "/memory.force_empty", "");
  put("cpu" + c + "/cpu.shares", "2\n");
  release_memory_charges(c, root());
  EXPECT_EQ(read("memory" + c + "/memory.force_empty"), "0");
  EXPECT_EQ(read("cpu" + c + "/cpu.shares"), "2\n");  // other controllers untouched

  fs::remove_all(root_);
  put("cgroup.controllers", "cpu memory pids\n");  // a v2 root
  put("bosun/pod1/c1/memory.current", "8192\n");
  put("bosun/pod1/c1/memory.reclaim", "");
  release_memory_charges(c, root());
  EXPECT_EQ(read("bosun/pod1/c1/memory.reclaim"), "8192");
  release_memory_charges("/", root());  // never the root
}

// The real kernel (root and a v1 memory hierarchy): a cgroup keeps the page cache its process
// wrote charged after the process is gone, until the release reclaims it.
TEST(CgroupKernelTest, ReleaseReclaimsThePageCacheAnExitedProcessLeft) {
  const std::string memory = "/sys/fs/cgroup/memory";
  if (::geteuid() != 0 || !fs::exists(memory + "/memory.force_empty")) {
    GTEST_SKIP() << "needs root and a cgroup v1 memory hierarchy";
  }
  const std::string rel = "/bosun-cgroup-test-" + std::to_string(::getpid());
  const std::string dir = memory + rel;
  ASSERT_TRUE(fs::create_directory(dir));
  const fs::path file = fs::path(::testing::TempDir()) / ("charged-" + std::to_string(::getpid()));
  pid_t child = ::fork();
  if (child == 0) {
    std::ofstream(dir + "/cgroup.procs") << ::getpid() << std::flush;
    std::ofstream out(file);
    std::string block(1 << 20, 'x');
    for (int i = 0; i < 8; ++i) out << block;
    out.flush();
    ::_exit(out ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  auto usage = [&] {
    std::ifstream in(dir + "/memory.usage_in_bytes");
    uint64_t v = 0;
    in >> v;
    return v;
  };
  const uint64_t before = usage();
  EXPECT_GE(before, 4u << 20) << "the 8 MiB written should be charged";
  release_memory_charges(rel);
  EXPECT_LT(usage(), before / 4);
  EXPECT_TRUE(remove_cgroup_tree(rel).ok());
  EXPECT_FALSE(fs::exists(dir));
  fs::remove(file);
}

}  // namespace
}  // namespace bosun::runtime
