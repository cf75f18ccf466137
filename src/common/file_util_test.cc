#include "common/file_util.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace bosun {
namespace {

namespace fs = std::filesystem;

class FileUtilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("file_util_test." + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  fs::path dir_;
};

TEST_F(FileUtilTest, ReplacesContentAndSetsMode) {
  auto path = (dir_ / "a").string();
  ASSERT_TRUE(write_file_atomic(path, "one").ok());
  ASSERT_TRUE(write_file_atomic(path, "two", {.mode = 0600}).ok());
  EXPECT_EQ(read(path), "two");
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  // Only the target remains: no temporary files.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(FileUtilTest, NotDurableStillAtomic) {
  auto path = (dir_ / "b").string();
  ASSERT_TRUE(write_file_atomic(path, "x", {.durable = false}).ok());
  EXPECT_EQ(read(path), "x");
}

TEST_F(FileUtilTest, FailureLeavesOldFileAndNoTemporary) {
  auto path = (dir_ / "c").string();
  ASSERT_TRUE(write_file_atomic(path, "old").ok());
  // The target is now a non-empty directory: the rename fails.
  auto blocked = (dir_ / "d").string();
  fs::create_directories(dir_ / "d" / "inner");
  auto r = write_file_atomic(blocked, "new");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("rename to " + blocked), std::string::npos) << r.error().message;
  EXPECT_EQ(read(path), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 2);
}

TEST_F(FileUtilTest, MissingDirectoryIsAnError) {
  auto r = write_file_atomic((dir_ / "no" / "such").string(), "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("create "), std::string::npos);
}

}  // namespace
}  // namespace bosun
