#include "runtime/image_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "runtime/image_digest.h"
#include "runtime/image_testlib.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;
using testing::LayerEntry;
using testing::TempDir;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

class ImageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ImageStore::open(dir_.path() / "images");
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  bool root() const { return geteuid() == 0; }
  TempDir dir_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(ImageStoreTest, CreatesAnOciLayout) {
  fs::path root = store_->root();
  EXPECT_EQ(slurp(root / "oci-layout"), R"({"imageLayoutVersion":"1.0.0"})");
  Json index = Json::parse(slurp(root / "index.json"));
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_TRUE(index["manifests"].empty());
  EXPECT_TRUE(fs::is_directory(root / "blobs" / "sha256"));
}

TEST_F(ImageStoreTest, BlobsAreVerifiedAndContentAddressed) {
  auto digest = store_->write_blob("hello");
  ASSERT_TRUE(digest.ok());
  EXPECT_EQ(*digest, "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_EQ(slurp(*store_->blob_path(*digest)), "hello");
  EXPECT_EQ(*store_->read_blob(*digest), "hello");

  auto wrong = store_->write_blob("tampered", *digest);
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message,
            "digest mismatch: expected " + *digest + ", got " + sha256_digest("tampered"));
  EXPECT_FALSE(store_->has_blob(sha256_digest("tampered")));

  auto bad = store_->read_blob("sha256:abc");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "invalid digest \"sha256:abc\": invalid checksum digest length");
  EXPECT_EQ(store_->read_blob(sha256_digest("absent")).error().code, ErrorCode::kNotFound);
}

TEST_F(ImageStoreTest, PutGetListByNameAndId) {
  auto image = testing::image_of_layers({{{.path = "hello.txt", .data = "hi"}}});
  image.config["config"]["Entrypoint"] = {"/bin/hello"};
  image.config["config"]["Cmd"] = {"--loud"};
  image.config["config"]["WorkingDir"] = "/work";
  image.config["config"]["User"] = "1000:1000";
  image.config["config"]["StopSignal"] = "SIGQUIT";
  image.config["config"]["ExposedPorts"] = {{"8080/tcp", Json::object()},
                                            {"53/udp", Json::object()}};
  auto stored = testing::store_image(*store_, image, "example.com/hello:v1", /*unpack=*/false);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  EXPECT_EQ(stored->name, "example.com/hello:v1");
  EXPECT_EQ(stored->id, sha256_digest(image.config_bytes()));

  for (std::string ref :
       std::vector<std::string>{"example.com/hello:v1", stored->id, stored->id.substr(7, 12),
                                "example.com/hello@" + stored->target.digest}) {
    SCOPED_TRACE(ref);
    auto got = store_->get(ref);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->name, "example.com/hello:v1");
    EXPECT_EQ(got->config.entrypoint, std::vector<std::string>{"/bin/hello"});
    EXPECT_EQ(got->config.cmd, std::vector<std::string>{"--loud"});
    EXPECT_EQ(got->config.working_dir, "/work");
    EXPECT_EQ(got->config.user, "1000:1000");
    EXPECT_EQ(got->config.stop_signal, "SIGQUIT");
    EXPECT_EQ(got->config.exposed_ports, (std::vector<std::string>{"53/udp", "8080/tcp"}));
    EXPECT_EQ(got->chain_ids, image.diff_ids);
  }
  auto missing = store_->get("example.com/hello:v2");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "image \"example.com/hello:v2\" not found");

  // index.json carries both naming annotations, like containerd's export.
  Json index = Json::parse(slurp(store_->root() / "index.json"));
  ASSERT_EQ(index["manifests"].size(), 1u);
  EXPECT_EQ(index["manifests"][0]["annotations"]["io.containerd.image.name"],
            "example.com/hello:v1");
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "v1");

  // A second store on the same root (another process) sees the image.
  auto other = ImageStore::open(store_->root());
  ASSERT_TRUE(other.ok());
  ASSERT_EQ((*other)->list()->size(), 1u);
}

TEST_F(ImageStoreTest, PutRefusesIncompleteImages) {
  auto image = testing::image_of_layers({{{.path = "a", .data = "a"}}});
  std::string m = image.manifest();
  ASSERT_TRUE(store_->write_blob(m).ok());
  Descriptor d{
      std::string(kMediaTypeOciManifest), sha256_digest(m), static_cast<int64_t>(m.size()), {}, {}};
  auto put = store_->put_image("a:1", d);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().code, ErrorCode::kNotFound);  // the config blob is missing
  ASSERT_TRUE(store_->write_blob(image.config_bytes()).ok());
  put = store_->put_image("a:1", d);
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.error().message,
            "layer " + sha256_digest(image.layers[0]) + " of docker.io/library/a:1 is missing");
  EXPECT_TRUE(store_->list()->empty());
}

TEST_F(ImageStoreTest, RemoveDropsUnreferencedBlobsAndLayers) {
  if (!root()) GTEST_SKIP() << "unpacking layers needs root (ownership, whiteouts)";
  std::vector<LayerEntry> base = {{.path = "base.txt", .data = "base"}};
  std::vector<LayerEntry> top1 = {{.path = "one.txt", .data = "1"}};
  std::vector<LayerEntry> top2 = {{.path = "two.txt", .data = "2"}};
  auto one = testing::store_image(*store_, testing::image_of_layers({base, top1}), "one:latest");
  auto two = testing::store_image(*store_, testing::image_of_layers({base, top2}), "two:latest");
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_TRUE(two.ok()) << two.error().message;
  ASSERT_EQ(one->chain_ids[0], two->chain_ids[0]);  // the shared base layer is unpacked once
  ASSERT_TRUE(fs::exists(store_->layer_dir(one->chain_ids[1]) / "fs" / "one.txt"));

  ASSERT_TRUE(store_->remove("one").ok());
  EXPECT_EQ(store_->get("one").error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(store_->has_blob(one->target.digest));
  EXPECT_FALSE(store_->has_blob(one->id));
  EXPECT_FALSE(fs::exists(store_->layer_dir(one->chain_ids[1])));
  EXPECT_TRUE(fs::exists(store_->layer_dir(two->chain_ids[0]) / "fs" / "base.txt"));
  EXPECT_TRUE(store_->has_blob(two->manifest.layers[0].digest));

  ASSERT_TRUE(store_->remove(two->id).ok());  // by image ID
  EXPECT_TRUE(store_->list()->empty());
  EXPECT_TRUE(fs::is_empty(store_->root() / "blobs" / "sha256"));
  EXPECT_TRUE(fs::is_empty(store_->root() / "layers"));
  EXPECT_EQ(store_->remove("two").error().code, ErrorCode::kNotFound);
}

TEST_F(ImageStoreTest, RetaggingMovesTheName) {
  auto a = testing::store_image(*store_, testing::image_of_layers({{{.path = "a", .data = "a"}}}),
                                "app:v1", false);
  auto b = testing::store_image(*store_, testing::image_of_layers({{{.path = "b", .data = "b"}}}),
                                "app:v1", false);
  ASSERT_TRUE(a.ok() && b.ok());
  auto list = store_->list();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, b->id);
}

TEST_F(ImageStoreTest, ConcurrentReadersSeeWholeIndexes) {
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::thread reader([&] {
    auto other = ImageStore::open(store_->root());
    while (!stop) {
      auto list = (*other)->list();
      if (!list.ok()) ++bad;
    }
  });
  for (int i = 0; i < 20; ++i) {
    auto img = testing::image_of_layers({{{.path = "f", .data = std::to_string(i)}}});
    ASSERT_TRUE(testing::store_image(*store_, img, "app:v" + std::to_string(i), false).ok());
  }
  stop = true;
  reader.join();
  EXPECT_EQ(bad, 0);
  EXPECT_EQ(store_->list()->size(), 20u);
}

// Two stores on one root stand for two processes (the agent and `bosun image import`): both unpack
// the same layers at once; one rename wins, the other's copy is dropped, and both get lowerdirs.
TEST_F(ImageStoreTest, ConcurrentUnpacksOfOneLayerFromTwoStores) {
  if (!root()) GTEST_SKIP() << "unpacking layers needs root (ownership, whiteouts)";
  std::vector<LayerEntry> files;
  for (int i = 0; i < 200; ++i)
    files.push_back({.path = "d/f" + std::to_string(i), .data = std::to_string(i)});
  auto stored =
      testing::store_image(*store_, testing::image_of_layers({files}, true), "race:1", false);
  ASSERT_TRUE(stored.ok()) << stored.error().message;
  auto other = ImageStore::open(store_->root());
  ASSERT_TRUE(other.ok());
  for (int round = 0; round < 5; ++round) {
    Result<std::vector<fs::path>> a = std::vector<fs::path>{};
    Result<std::vector<fs::path>> b = std::vector<fs::path>{};
    std::thread t([&] { a = store_->unpack(*stored); });
    b = (*other)->unpack(*stored);
    t.join();
    ASSERT_TRUE(a.ok()) << a.error().message;
    ASSERT_TRUE(b.ok()) << b.error().message;
    EXPECT_EQ(*a, *b);
    EXPECT_TRUE(fs::exists((*a)[0] / "d/f199"));
    int dirs = 0;
    for (const auto& e : fs::directory_iterator(store_->root() / "layers")) {
      ++dirs;
      EXPECT_FALSE(e.path().filename().string().starts_with("tmp-")) << e.path();
    }
    EXPECT_EQ(dirs, 1);
    fs::remove_all(store_->layer_dir(stored->chain_ids[0]));
  }
}

}  // namespace
}  // namespace bosun::runtime
