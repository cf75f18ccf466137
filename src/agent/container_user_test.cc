// The user a container runs as, resolved as containerd's CRI plugin does, against a root filesystem
// made here (no root privileges or runc needed).
#include "agent/container_user.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/image_testlib.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;

class ContainerUserTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = (tmp_.path() / "rootfs").string();
    fs::create_directories(root_ + "/etc");
    std::ofstream(root_ + "/etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                         << "# a comment\n"
                                         << "broken line\n"
                                         << "app:x:1000:1000::/home/app:/bin/sh\n"
                                         << "nobody:x:65534:65534:nobody:/:/bin/false\n";
    std::ofstream(root_ + "/etc/group") << "root:x:0:\n"
                                        << "app:x:1000:app\n"
                                        << "staff:x:50:\n"
                                        << "extra:x:50000:app,other\n"
                                        << "wheel:x:10:root\n"
                                        << "nogroup:x:65534:\n";
  }

  Result<ContainerUser> resolve(std::string_view image_user,
                                std::optional<int64_t> run_as_user = std::nullopt,
                                std::optional<int64_t> run_as_group = std::nullopt,
                                std::vector<uint32_t> supplemental = {}) {
    return resolve_container_user(root_, image_user, run_as_user, run_as_group, supplemental);
  }

  runtime::testing::TempDir tmp_;
  std::string root_;
};

TEST_F(ContainerUserTest, NothingSetIsRootWithItsGroups) {
  auto u = resolve("");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->uid, 0u);
  EXPECT_EQ(u->gid, 0u);
  EXPECT_EQ(u->additional_gids, (std::vector<uint32_t>{0, 10}));
}

TEST_F(ContainerUserTest, ImageUserByNameOrNumber) {
  auto by_name = resolve("nobody");
  ASSERT_TRUE(by_name.ok());
  EXPECT_EQ(by_name->uid, 65534u);
  EXPECT_EQ(by_name->gid, 65534u);

  // A uid the image does not list runs with root's group (containerd's WithUserID).
  auto unlisted = resolve("4242");
  ASSERT_TRUE(unlisted.ok());
  EXPECT_EQ(unlisted->uid, 4242u);
  EXPECT_EQ(unlisted->gid, 0u);
  EXPECT_EQ(unlisted->additional_gids, (std::vector<uint32_t>{0}));

  auto listed = resolve("1000");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->gid, 1000u);
  // The group named after the user is not a supplementary one; groups listing the user are.
  EXPECT_EQ(listed->additional_gids, (std::vector<uint32_t>{1000, 50000}));
}

TEST_F(ContainerUserTest, ImageUserWithGroup) {
  auto names = resolve("app:staff");
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(names->uid, 1000u);
  EXPECT_EQ(names->gid, 50u);
  EXPECT_EQ(names->additional_gids, (std::vector<uint32_t>{50, 50000}));

  auto numbers = resolve("7:8");
  ASSERT_TRUE(numbers.ok());
  EXPECT_EQ(numbers->uid, 7u);
  EXPECT_EQ(numbers->gid, 8u);
}

TEST_F(ContainerUserTest, UnknownNamesAreErrors) {
  auto user = resolve("ghost");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(user.error().message, "no users found");

  auto group = resolve("app:ghosts");
  ASSERT_FALSE(group.ok());
  EXPECT_EQ(group.error().message, "no groups found");

  auto bad = resolve("a:b:c");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "invalid USER value a:b:c");
}

TEST_F(ContainerUserTest, RunAsUserWinsOverTheImage) {
  auto u = resolve("nobody", 1000);
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 1000u);
}

// Kubernetes' own example (the SupplementalGroupsPolicy blog post): runAsUser 1000, runAsGroup
// 3000, supplementalGroups [4000], and an image whose /etc/group puts the user in 50000: the
// process has groups 3000, 4000 and 50000.
TEST_F(ContainerUserTest, GroupsMergeThePodsAndTheImages) {
  auto u = resolve("", 1000, 3000, {4000});
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->uid, 1000u);
  EXPECT_EQ(u->gid, 3000u);
  EXPECT_EQ(u->additional_gids, (std::vector<uint32_t>{3000, 50000, 4000}));
}

TEST_F(ContainerUserTest, RunAsGroupWithoutUserIsAnError) {
  auto u = resolve("nobody", std::nullopt, 5);
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(u.error().message, "user group \"5\" is specified without user");
}

TEST_F(ContainerUserTest, PasswdIsReadInsideTheRootfs) {
  // An absolute symlink in an image points into the image, not at the node's files.
  fs::remove(root_ + "/etc/passwd");
  fs::create_symlink("/etc/passwd.real", root_ + "/etc/passwd");
  std::ofstream(root_ + "/etc/passwd.real") << "inside:x:4242:4343::/:/bin/sh\n";
  auto u = resolve("inside");
  ASSERT_TRUE(u.ok()) << u.error().message;
  EXPECT_EQ(u->uid, 4242u);
  EXPECT_EQ(u->gid, 4343u);

  fs::remove(root_ + "/etc/passwd");
  fs::create_symlink("../../../../../../../../etc/hostname", root_ + "/etc/passwd");
  EXPECT_FALSE(read_file_in_root(root_, "/etc/passwd").ok());
}

TEST_F(ContainerUserTest, NoPasswdMeansNoUsers) {
  fs::remove(root_ + "/etc/passwd");
  auto numeric = resolve("1000");
  ASSERT_TRUE(numeric.ok());
  EXPECT_EQ(numeric->gid, 0u);
  EXPECT_FALSE(resolve("app").ok());
}

}  // namespace
}  // namespace bosun::agent
