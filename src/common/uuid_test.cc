#include "common/uuid.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace bosun {
namespace {

// What google/uuid's String() prints and Kubernetes' validation of a UID accepts.
bool is_v4_text(const std::string& s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash != (s[i] == '-')) return false;
    if (!dash && !((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  }
  return true;
}

TEST(UuidTest, VersionFourVariantTenLowercase) {
  for (int i = 0; i < 1000; ++i) {
    const std::string id = new_uuid();
    ASSERT_TRUE(is_v4_text(id)) << id;
    EXPECT_EQ(id[14], '4') << id;
    EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
  }
}

TEST(UuidTest, EveryRandomDigitTakesEveryValue) {
  // A stuck bit (a wrong mask, a buffer reused without refill) shows as a digit that never
  // varies; 4,000 draws leave each of 16 values unseen with probability ~1e-110.
  std::vector<std::set<char>> seen(36);
  std::set<char> variant;
  for (int i = 0; i < 4000; ++i) {
    const std::string id = new_uuid();
    for (size_t p = 0; p < id.size(); ++p) seen[p].insert(id[p]);
  }
  for (size_t p = 0; p < 36; ++p) {
    if (p == 8 || p == 13 || p == 18 || p == 23) continue;
    if (p == 14) {
      EXPECT_EQ(seen[p].size(), 1u);
    } else if (p == 19) {
      EXPECT_EQ(seen[p], (std::set<char>{'8', '9', 'a', 'b'}));
    } else {
      EXPECT_EQ(seen[p].size(), 16u) << "position " << p;
    }
  }
}

TEST(UuidTest, UniqueAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kEach = 20000;  // many refills of each thread's buffer
  std::vector<std::vector<std::string>> ids(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) ids[t].push_back(new_uuid());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
}

TEST(UuidTest, ForkedChildDoesNotRepeatItsParent) {
  (void)new_uuid();  // the parent's buffer now holds unused randomness the child inherits
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::string id = new_uuid();
    ssize_t n = write(fds[1], id.data(), id.size());
    _exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  close(fds[1]);
  const std::string mine = new_uuid();
  char buf[64];
  ssize_t n = read(fds[0], buf, sizeof(buf));
  close(fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_EQ(n, 36);
  const std::string theirs(buf, 36);
  EXPECT_TRUE(is_v4_text(theirs)) << theirs;
  EXPECT_NE(mine, theirs);
}

}  // namespace
}  // namespace bosun
