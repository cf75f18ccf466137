#include "runtime/image_import.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "runtime/image_digest.h"
#include "runtime/image_testlib.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

class ImageImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "importing unpacks layers, which needs root";
    if (!testing::busybox_available()) GTEST_SKIP() << "busybox-static is not installed";
    auto s = ImageStore::open(dir_.path() / "images");
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  fs::path write_archive(const std::string& bytes) {
    fs::path p = dir_.path() / ("archive-" + std::to_string(n_++) + ".tar");
    EXPECT_TRUE(testing::write_file(p, bytes).ok());
    return p;
  }
  void expect_busybox(const Image& image) {
    EXPECT_EQ(image.config.cmd, std::vector<std::string>{"sh"});
    auto lower = store_->lowerdirs(image);
    ASSERT_TRUE(lower.ok()) << lower.error().message;
    ASSERT_EQ(lower->size(), 1u);
    EXPECT_TRUE(fs::is_regular_file((*lower)[0] / "bin/busybox"));
    EXPECT_EQ(fs::read_symlink((*lower)[0] / "bin/sh"), "busybox");
  }
  TempDir dir_;
  std::unique_ptr<ImageStore> store_;
  int n_ = 0;
};

TEST_F(ImageImportTest, DockerSaveArchive) {
  testing::BusyboxImageOptions o;
  o.repo_tags = {"busybox:latest", "example.com/tools/busybox:1.35"};
  auto archive = write_archive(testing::docker_archive({testing::busybox_image(o)}));
  auto images = import_image_archive(*store_, archive);
  ASSERT_TRUE(images.ok()) << images.error().message;
  ASSERT_EQ(images->size(), 2u);
  EXPECT_EQ((*images)[0].name, "docker.io/library/busybox:latest");
  EXPECT_EQ((*images)[1].name, "example.com/tools/busybox:1.35");
  EXPECT_EQ((*images)[0].target.media_type, kMediaTypeDockerManifest);
  auto got = store_->get("busybox");
  ASSERT_TRUE(got.ok()) << got.error().message;
  expect_busybox(*got);
  // Nothing staged is left behind.
  EXPECT_TRUE(fs::is_empty(store_->root() / "ingest"));
}

TEST_F(ImageImportTest, DockerSaveArchiveWithOciBlobsAndGzipLayers) {
  testing::BusyboxImageOptions o;
  o.gzip = true;
  o.extra_layers = {{{.path = "etc/motd", .data = "hello\n"}}};
  auto archive = write_archive(testing::docker_archive({testing::busybox_image(o)},
                                                       testing::DockerArchiveLayout::kOciBlobs));
  auto images = import_image_archive(*store_, archive);
  ASSERT_TRUE(images.ok()) << images.error().message;
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].manifest.layers[0].media_type, kMediaTypeDockerLayerGzip);
  auto lower = store_->lowerdirs((*images)[0]);
  ASSERT_TRUE(lower.ok());
  ASSERT_EQ(lower->size(), 2u);
  EXPECT_TRUE(fs::exists((*lower)[0] / "etc/motd"));
}

TEST_F(ImageImportTest, OciArchive) {
  testing::BusyboxImageOptions o;
  o.gzip = true;
  auto archive = write_archive(
      testing::oci_archive({testing::busybox_image(o)}, {"registry.local/busybox:oci"}));
  auto images = import_image_archive(*store_, archive);
  ASSERT_TRUE(images.ok()) << images.error().message;
  ASSERT_EQ(images->size(), 1u);
  EXPECT_EQ((*images)[0].name, "registry.local/busybox:oci");
  EXPECT_EQ((*images)[0].target.media_type, kMediaTypeOciManifest);
  expect_busybox((*images)[0]);
}

TEST_F(ImageImportTest, GzippedArchive) {
  std::string tar = testing::docker_archive({testing::busybox_image()});
  // `docker save | gzip` is a common way to ship images.
  fs::path plain = write_archive(tar);
  fs::path zipped = dir_.path() / "archive.tar.gz";
  ASSERT_EQ(std::system(("gzip -c " + plain.string() + " > " + zipped.string()).c_str()), 0);
  auto images = import_image_archive(*store_, zipped);
  ASSERT_TRUE(images.ok()) << images.error().message;
  EXPECT_EQ(images->size(), 1u);
}

TEST_F(ImageImportTest, BadArchivesAreRefusedAndLeaveNothingNamed) {
  testing::TestImage image = testing::busybox_image();
  auto tampered = image;
  tampered.layers[0][600] ^= 1;  // still a tar, but not the layer the config names
  struct Case {
    const char* name;
    std::string bytes;
    std::string message;
  };
  std::string diff = image.diff_ids[0];
  std::vector<Case> cases = {
      {"not an image archive", testing::make_archive({{"hello.txt", "hi"}}),
       " is not a docker-archive or an OCI image archive (no manifest.json or index.json)"},
      {"manifest not JSON", testing::make_archive({{"manifest.json", "{"}}),
       "image archive manifest.json is not a JSON list"},
      {"missing layer",
       testing::make_archive(
           {{"manifest.json",
             R"([{"Config":"c.json","RepoTags":["x:1"],"Layers":["l/layer.tar"]}])"},
            {"c.json", image.config_bytes()}}),
       "image archive has no layer \"l/layer.tar\""},
      {"tampered layer", testing::docker_archive({tampered}), "but the image config says " + diff},
      {"untagged",
       [&] {
         auto untagged = image;
         untagged.repo_tags.clear();
         return testing::docker_archive({untagged});
       }(),
       "has no RepoTags; tag it before saving"},
      {"tag-only OCI name",
       [&] {
         return testing::make_archive(
             {{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
              {"index.json",
               R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
                   sha256_digest("m") +
                   R"(","size":1,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]})"}});
       }(),
       "image archive names an image only by the tag \"v1\"; give a base name"},
      {"escaping member", testing::make_archive({{"../evil", "x"}}), "escapes the archive"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto images = import_image_archive(*store_, write_archive(c.bytes));
    ASSERT_FALSE(images.ok());
    EXPECT_EQ(images.error().code, ErrorCode::kBadRequest);
    EXPECT_NE(images.error().message.find(c.message), std::string::npos) << images.error().message;
  }
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_TRUE(fs::is_empty(store_->root() / "ingest"));
}

TEST_F(ImageImportTest, MakeTestImageScriptOutputImports) {
  // CMake compiles with absolute paths: src/runtime/<this file> -> the repository root.
  fs::path script = fs::path(__FILE__).parent_path().parent_path().parent_path() / "scripts" /
                    "make-test-image.sh";
  if (!fs::exists(script)) GTEST_SKIP() << "no " << script;
  fs::path out = dir_.path() / "script-image.tar";
  ASSERT_EQ(std::system((script.string() + " " + out.string() + " >/dev/null").c_str()), 0);
  auto images = import_image_archive(*store_, out);
  ASSERT_TRUE(images.ok()) << images.error().message;
  ASSERT_EQ(images->size(), 1u);
  expect_busybox((*images)[0]);
}

}  // namespace
}  // namespace bosun::runtime
