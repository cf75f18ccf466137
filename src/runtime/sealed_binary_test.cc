#include "runtime/sealed_binary.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace bosun::runtime {
namespace {

// Runs `sh -c <script>` from `path` and returns its exit status, or -1 when it did not run.
int run_shell(const std::string& path, const char* script) {
  pid_t pid = ::fork();
  if (pid == 0) {
    ::execl(path.c_str(), "sh", "-c", script, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

TEST(SealedBinaryTest, RunsAndCarriesRuncsSeals) {
  auto sealed = SealedBinary::copy_of("/bin/sh");
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  EXPECT_EQ(sealed->path().rfind("/proc/" + std::to_string(::getpid()) + "/fd/", 0), 0u);
  EXPECT_EQ(run_shell(sealed->path(), "exit 7"), 7);

  int fd = ::open(sealed->path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  // What runc's is_self_cloned() asks of /proc/self/exe before it skips its own copy.
  EXPECT_EQ(::fcntl(fd, F_GET_SEALS), runc_memfd_seals());
  struct stat copy {
  }, original{};
  ASSERT_EQ(::fstat(fd, &copy), 0);
  ASSERT_EQ(::stat("/bin/sh", &original), 0);
  EXPECT_EQ(copy.st_size, original.st_size);
  EXPECT_EQ(copy.st_mode & 0777, original.st_mode & 0755);
  ::close(fd);
}

TEST(SealedBinaryTest, CannotBeWrittenOrResized) {
  auto sealed = SealedBinary::copy_of("/bin/sh");
  ASSERT_TRUE(sealed.ok()) << sealed.error().message;
  int fd = ::open(sealed->path().c_str(), O_RDWR | O_CLOEXEC);
  if (fd >= 0) {
    errno = 0;
    EXPECT_EQ(::pwrite(fd, "x", 1, 0), -1);
    EXPECT_EQ(errno, EPERM);
    EXPECT_NE(::ftruncate(fd, 0), 0);
    EXPECT_NE(::fcntl(fd, F_ADD_SEALS, 0), 0);  // F_SEAL_SEAL: the seals cannot change
    ::close(fd);
  } else {
    EXPECT_EQ(errno, EACCES);
  }
}

TEST(SealedBinaryTest, PathGoesAwayWithTheObject) {
  std::string path;
  {
    auto sealed = SealedBinary::copy_of("/bin/sh");
    ASSERT_TRUE(sealed.ok()) << sealed.error().message;
    SealedBinary moved = std::move(sealed).value();
    path = moved.path();
    EXPECT_EQ(::access(path.c_str(), X_OK), 0);
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
}

TEST(SealedBinaryTest, MissingOrOddSourceIsAnError) {
  auto missing = SealedBinary::copy_of("/nonexistent/runc");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/runc"), std::string::npos);
  EXPECT_FALSE(SealedBinary::copy_of("/tmp").ok());
}

}  // namespace
}  // namespace bosun::runtime
