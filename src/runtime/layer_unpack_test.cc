#include "runtime/layer_unpack.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "runtime/image_digest.h"
#include "runtime/image_store.h"
#include "runtime/image_testlib.h"
#include "runtime/layer_mount.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;
using testing::LayerEntry;
using testing::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class LayerUnpackTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0)
      GTEST_SKIP() << "unpacking layers needs root (ownership, whiteouts, xattrs)";
    fs::create_directories(dir_.path() / "dest");
  }
  Result<UnpackedLayer> unpack(const std::vector<LayerEntry>& entries, bool gzip = false) {
    fs::path file = dir_.path() / "layer.tar";
    EXPECT_TRUE(testing::write_file(file, testing::make_layer_tar(entries, gzip)).ok());
    return unpack_layer(file, dest());
  }
  fs::path dest() const { return dir_.path() / "dest"; }
  TempDir dir_;
};

TEST_F(LayerUnpackTest, PreservesModesOwnershipLinksAndXattrs) {
  std::vector<LayerEntry> entries = {
      {.path = "etc", .type = 'd', .mode = 0750, .uid = 0, .gid = 42},
      {.path = "etc/conf",
       .data = "x=1\n",
       .mode = 0640,
       .uid = 1000,
       .gid = 2000,
       .xattrs = {{"user.note", "hello"}}},
      {.path = "etc/conf-link", .type = 'h', .link = "etc/conf"},
      {.path = "etc/abs", .type = 'l', .link = "/etc/conf", .mode = 0777},
      {.path = "bin/tool", .data = "#!/bin/sh\n", .mode = 04755},  // parent not listed
      {.path = "tmp", .type = 'd', .mode = 01777},
      {.path = "dev/null", .type = 'c', .mode = 0666, .devmajor = 1, .devminor = 3},
  };
  auto r = unpack(entries, /*gzip=*/true);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->diff_id, sha256_digest(testing::make_layer_tar(entries, false)));
  EXPECT_EQ(r->entries, entries.size());

  struct stat st;
  ASSERT_EQ(lstat((dest() / "etc").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_gid, 42u);
  ASSERT_EQ(lstat((dest() / "etc/conf").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0640u);
  EXPECT_EQ(st.st_uid, 1000u);
  EXPECT_EQ(st.st_gid, 2000u);
  EXPECT_EQ(st.st_nlink, 2u);  // the hardlink shares the inode
  struct stat link_st;
  ASSERT_EQ(lstat((dest() / "etc/conf-link").c_str(), &link_st), 0);
  EXPECT_EQ(link_st.st_ino, st.st_ino);
  char value[16] = {};
  EXPECT_EQ(getxattr((dest() / "etc/conf").c_str(), "user.note", value, sizeof value), 5);
  EXPECT_STREQ(value, "hello");
  EXPECT_EQ(fs::read_symlink(dest() / "etc/abs"), "/etc/conf");  // absolute targets stay as written
  ASSERT_EQ(lstat((dest() / "bin/tool").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  ASSERT_EQ(lstat((dest() / "tmp").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 01777u);
  ASSERT_EQ(lstat((dest() / "dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 1u);
  EXPECT_EQ(minor(st.st_rdev), 3u);
}

TEST_F(LayerUnpackTest, WhiteoutsBecomeOverlayfsWhiteouts) {
  auto r = unpack({
      {.path = "etc", .type = 'd', .mode = 0755},
      {.path = "etc/.wh.passwd", .data = ""},
      {.path = "var/cache/.wh..wh..opq", .data = ""},
      {.path = "var/cache/new", .data = "kept"},
  });
  ASSERT_TRUE(r.ok()) << r.error().message;
  struct stat st;
  ASSERT_EQ(lstat((dest() / "etc/passwd").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(st.st_rdev, makedev(0, 0));
  EXPECT_FALSE(fs::exists(dest() / "etc/.wh.passwd"));
  char value[4] = {};
  EXPECT_EQ(getxattr((dest() / "var/cache").c_str(), "trusted.overlay.opaque", value, sizeof value),
            1);
  EXPECT_EQ(value[0], 'y');
  EXPECT_FALSE(fs::exists(dest() / "var/cache/.wh..wh..opq"));
  EXPECT_EQ(slurp(dest() / "var/cache/new"), "kept");
}

TEST_F(LayerUnpackTest, RefusesEntriesThatEscape) {
  fs::path outside = dir_.path() / "outside";
  fs::create_directories(outside);
  struct Case {
    const char* name;
    std::vector<LayerEntry> entries;
  };
  const Case cases[] = {
      {"dotdot", {{.path = "../outside/evil", .data = "x"}}},
      {"nested dotdot", {{.path = "a/../../outside/evil", .data = "x"}}},
      {"through an absolute symlink",
       {{.path = "link", .type = 'l', .link = outside.string()},
        {.path = "link/evil", .data = "x"}}},
      {"through a relative symlink",
       {{.path = "link", .type = 'l', .link = "../outside"}, {.path = "link/evil", .data = "x"}}},
      {"whiteout through a symlink",
       {{.path = "link", .type = 'l', .link = outside.string()},
        {.path = "link/.wh.evil", .data = ""}}},
      {"hardlink out", {{.path = "h", .type = 'h', .link = "../outside/target"}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    fs::remove_all(dest());
    fs::create_directories(dest());
    auto r = unpack(c.entries);
    EXPECT_FALSE(r.ok());
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::kBadRequest) << r.error().message;
    }
    EXPECT_TRUE(fs::is_empty(outside));
  }
  // A leading "/" is taken relative to the layer, as every image tool writes and reads it.
  fs::remove_all(dest());
  fs::create_directories(dest());
  auto r = unpack({{.path = "/abs/file", .data = "in"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(slurp(dest() / "abs/file"), "in");
}

TEST_F(LayerUnpackTest, CorruptLayersAreErrors) {
  std::string tar = testing::make_layer_tar({{.path = "f", .data = std::string(5000, 'x')}}, true);
  fs::path file = dir_.path() / "layer.tar";
  ASSERT_TRUE(testing::write_file(file, tar.substr(0, tar.size() / 2)).ok());
  EXPECT_FALSE(unpack_layer(file, dest()).ok());
  ASSERT_TRUE(testing::write_file(file, "not a tar at all, definitely not").ok());
  EXPECT_FALSE(unpack_layer(file, dest()).ok());
}

// overlayfs stacks the per-layer directories: upper layers hide what whiteouts name.
TEST(LayerMountTest, OverlayRootfsOverUnpackedLayers) {
  if (geteuid() != 0) GTEST_SKIP() << "mounting overlayfs needs root";
  TempDir dir;
  auto store = ImageStore::open(dir.path() / "images");
  ASSERT_TRUE(store.ok());
  std::vector<std::vector<LayerEntry>> layers = {
      {{.path = "etc/passwd", .data = "root"},
       {.path = "data/old", .data = "old"},
       {.path = "keep", .data = "base"}},
      {{.path = "etc/.wh.passwd", .data = ""},
       {.path = "data/.wh..wh..opq", .data = ""},
       {.path = "data/new", .data = "new"},
       {.path = "keep", .data = "top"}},
  };
  auto image = testing::store_image(**store, testing::image_of_layers(layers, true), "layered:1");
  ASSERT_TRUE(image.ok()) << image.error().message;
  auto lower = (*store)->lowerdirs(*image);
  ASSERT_TRUE(lower.ok()) << lower.error().message;
  ASSERT_EQ(lower->size(), 2u);
  EXPECT_EQ((*lower)[0], (*store)->layer_dir(image->chain_ids[1]) / "fs");  // topmost first

  fs::path container = dir.path() / "containers" / "c1";
  auto rootfs = mount_container_rootfs(*lower, container);
  if (!rootfs.ok() && rootfs.error().message.find("mount overlay") != std::string::npos) {
    GTEST_SKIP() << "overlayfs is not available here: " << rootfs.error().message;
  }
  ASSERT_TRUE(rootfs.ok()) << rootfs.error().message;
  EXPECT_TRUE(is_mount_point(*rootfs));
  EXPECT_FALSE(fs::exists(*rootfs / "etc/passwd"));
  EXPECT_FALSE(fs::exists(*rootfs / "data/old"));
  EXPECT_EQ(slurp(*rootfs / "data/new"), "new");
  EXPECT_EQ(slurp(*rootfs / "keep"), "top");
  // Writes land in the container's upperdir, never in the shared layers.
  { std::ofstream(*rootfs / "written") << "w"; }
  EXPECT_TRUE(fs::exists(container / "upper" / "written"));
  EXPECT_EQ(mount_container_rootfs(*lower, container).error().code, ErrorCode::kAlreadyExists);

  ASSERT_TRUE(unmount_container_rootfs(container).ok());
  EXPECT_FALSE(is_mount_point(container / "rootfs"));
  EXPECT_FALSE(fs::exists(container / "upper"));
  EXPECT_TRUE(unmount_container_rootfs(container).ok());  // idempotent
  for (const auto& l : *lower) EXPECT_FALSE(fs::exists(l / "written"));
}

TEST(LayerMountTest, MountOptionsFitOnePage) {
  std::vector<fs::path> many(
      60, fs::path("/var/lib/bosun/images/layers/" + std::string(64, 'a') + "/fs"));
  auto opts = overlay_mount_options(many, "/u", "/w");
  ASSERT_FALSE(opts.ok());
  EXPECT_EQ(opts.error().code, ErrorCode::kBadRequest);
  auto ok = overlay_mount_options({"/l2", "/l1"}, "/u", "/w");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "lowerdir=/l2:/l1,upperdir=/u,workdir=/w");
}

}  // namespace
}  // namespace bosun::runtime
