#include "agent/volumes.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/atomic_writer.h"
#include "client/test_config.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;
using apiserver::testing::RestTestServer;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

unsigned mode_of(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0;
}

bool is_root() { return ::geteuid() == 0; }

bool mounted(const std::string& path) {
  std::ifstream in("/proc/self/mounts");
  std::string dev, point;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    f >> dev >> point;
    if (point == path) return true;
  }
  return false;
}

class TempDir {
 public:
  TempDir() {
    std::string t = (fs::temp_directory_path() / "bosun-volumes-XXXXXX").string();
    path_ = ::mkdtemp(t.data());
  }
  ~TempDir() {
    // A test that failed half way may leave a tmpfs behind: detach it before removing the tree.
    std::vector<std::string> mounts;
    std::ifstream in("/proc/self/mounts");
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string dev, point;
      f >> dev >> point;
      if (point.rfind(path_ + "/", 0) == 0) mounts.push_back(point);
    }
    std::sort(mounts.rbegin(), mounts.rend());
    for (const std::string& m : mounts) ::umount2(m.c_str(), MNT_DETACH);
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Json pod_with(Json volumes, std::string uid = "uid-1") {
  return Json{
      {"metadata",
       {{"name", "web"},
        {"namespace", "default"},
        {"uid", uid},
        {"labels", {{"app", "web"}, {"tier", "front\"end"}}},
        {"annotations", {{"note", "hello"}}}}},
      {"spec",
       {{"containers",
         Json::array({{{"name", "c"},
                       {"resources",
                        {{"limits", {{"memory", "64Mi"}}}, {"requests", {{"cpu", "250m"}}}}}}})},
        {"volumes", std::move(volumes)}}}};
}

// ---- the atomic writer ----

TEST(AtomicWriter, WritesThroughDataLinkAndSkipsUnchangedPayloads) {
  TempDir dir;
  FakeClock clock;
  Payload p{{"a", {"one", 0644}}, {"sub/b", {"two", 0600}}};
  auto w = write_payload(dir.path(), p, clock);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_TRUE(*w);
  EXPECT_EQ(read_all(dir.path() + "/a"), "one");
  EXPECT_EQ(read_all(dir.path() + "/sub/b"), "two");
  EXPECT_EQ(mode_of(dir.path() + "/sub/b"), 0600u);
  EXPECT_EQ(fs::read_symlink(dir.path() + "/a").string(), "..data/a");
  std::string version = fs::read_symlink(dir.path() + "/..data").string();
  EXPECT_EQ(version.rfind("..2023_11_14_22_13_20.", 0), 0u) << version;

  auto again = write_payload(dir.path(), p, clock);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(fs::read_symlink(dir.path() + "/..data").string(), version);

  // A changed payload: a new version; names it no longer has vanish; the old version is removed.
  Payload q{{"a", {"uno", 0644}}};
  ASSERT_TRUE(*write_payload(dir.path(), q, clock));
  EXPECT_EQ(read_all(dir.path() + "/a"), "uno");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dir.path() + "/sub")));
  EXPECT_FALSE(fs::exists(dir.path() + "/" + version));
  // A mode change alone is an update too.
  Payload r{{"a", {"uno", 0400}}};
  ASSERT_TRUE(*write_payload(dir.path(), r, clock));
  EXPECT_EQ(mode_of(dir.path() + "/a"), 0400u);
}

TEST(AtomicWriter, RejectsPathsAsTheKubeletDoes) {
  TempDir dir;
  FakeClock clock;
  auto msg = [&](std::string path) {
    auto w = write_payload(dir.path(), Payload{{path, {"x", 0644}}}, clock);
    return w.ok() ? std::string("ok") : w.error().message;
  };
  EXPECT_EQ(msg("/etc/passwd"), "invalid path: must be relative path: /etc/passwd");
  EXPECT_EQ(msg("a/../../b"), "invalid path: must not contain '..': a/../../b");
  EXPECT_EQ(msg("..data"), "invalid path: must not start with '..': ..data");
  EXPECT_EQ(msg(std::string(256, 'x')),
            "invalid path: filenames must be less than or equal to 255 characters");
  EXPECT_EQ(msg("ok/./file"), "ok");
  EXPECT_EQ(read_all(dir.path() + "/ok/file"), "x");
}

TEST(AtomicWriter, ReadersNeverSeeAHalfUpdate) {
  TempDir dir;
  FakeClock clock;
  ASSERT_TRUE(write_payload(dir.path(), {{"a", {"0", 0644}}, {"b", {"0", 0644}}}, clock).ok());
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0}, reads{0};
  std::thread reader([&] {
    while (!done) {
      // One resolution of ..data, as a process that opens the directory once sees it.
      int d = ::open((dir.path() + "/..data").c_str(), O_RDONLY | O_DIRECTORY);
      if (d < 0) continue;
      auto read_at = [&](const char* name) -> std::optional<std::string> {
        int fd = ::openat(d, name, O_RDONLY);
        if (fd < 0) return std::nullopt;  // the version went away under us: look again
        char buf[64];
        ssize_t n = ::read(fd, buf, sizeof buf);
        ::close(fd);
        return std::string(buf, n > 0 ? n : 0);
      };
      auto a = read_at("a");
      auto b = read_at("b");
      ::close(d);
      if (a && b) {
        ++reads;
        if (*a != *b) ++mismatches;
      }
    }
  });
  for (int i = 1; i <= 300; ++i) {
    std::string v = std::to_string(i);
    ASSERT_TRUE(write_payload(dir.path(), {{"a", {v, 0644}}, {"b", {v, 0644}}}, clock).ok());
  }
  while (reads.load() < 50) std::this_thread::yield();
  done = true;
  reader.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(read_all(dir.path() + "/a"), "300");
  // Only the current version remains.
  int versions = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    std::string n = e.path().filename().string();
    if (n.rfind("..2", 0) == 0) ++versions;
  }
  EXPECT_EQ(versions, 1);
}

// ---- emptyDir and hostPath ----

TEST(Volumes, EmptyDirOnDiskUnderThePodsDirectory) {
  TempDir dir;
  VolumeManager vm({.data_dir = dir.path(), .use_tmpfs = false});
  auto paths =
      vm.setup(pod_with(Json::array({{{"name", "scratch"}, {"emptyDir", Json::object()}}})));
  ASSERT_TRUE(paths.ok()) << paths.error().message;
  std::string want = dir.path() + "/pods/uid-1/volumes/kubernetes.io~empty-dir/scratch";
  EXPECT_EQ(paths->at("scratch"), want);
  EXPECT_TRUE(fs::is_directory(want));
  EXPECT_EQ(mode_of(want), 0777u);
  std::ofstream(want + "/data") << "x";
  // Set up again (agent restart): the data is still there.
  ASSERT_TRUE(
      vm.setup(pod_with(Json::array({{{"name", "scratch"}, {"emptyDir", Json::object()}}}))).ok());
  EXPECT_EQ(read_all(want + "/data"), "x");
  ASSERT_TRUE(vm.teardown("uid-1").ok());
  EXPECT_FALSE(fs::exists(dir.path() + "/pods/uid-1/volumes"));
}

TEST(Volumes, MemoryEmptyDirIsATmpfsOfSizeLimitAndTeardownUnmountsIt) {
  if (!is_root()) GTEST_SKIP() << "tmpfs needs root";
  TempDir dir;
  VolumeManager vm({.data_dir = dir.path()});
  Json pod = pod_with(
      Json::array({{{"name", "mem"}, {"emptyDir", {{"medium", "Memory"}, {"sizeLimit", "8Mi"}}}}}));
  auto paths = vm.setup(pod);
  ASSERT_TRUE(paths.ok()) << paths.error().message;
  const std::string path = paths->at("mem");
  ASSERT_TRUE(mounted(path));
  std::string opts;
  {
    std::ifstream in("/proc/self/mounts");
    std::string line;
    while (std::getline(in, line)) {
      if (line.find(" " + path + " ") != std::string::npos) opts = line;
    }
  }
  EXPECT_NE(opts.find("tmpfs"), std::string::npos) << opts;
  EXPECT_NE(opts.find("size=8192k"), std::string::npos) << opts;
  ASSERT_TRUE(vm.setup(pod).ok());  // idempotent: not mounted twice
  ASSERT_TRUE(vm.teardown("uid-1").ok());
  EXPECT_FALSE(mounted(path));
  EXPECT_FALSE(fs::exists(path));
}

TEST(Volumes, HostPathTypeChecksWithKubernetesMessages) {
  TempDir dir;
  const std::string d = dir.path() + "/d", f = dir.path() + "/f", missing = dir.path() + "/m";
  fs::create_directory(d);
  std::ofstream(f) << "x";
  auto msg = [](const std::string& path, std::string_view type) {
    auto r = check_host_path_type(path, type);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(msg(d, "Directory"), "ok");
  EXPECT_EQ(msg(f, "Directory"),
            "hostPath type check failed: " + f + " is not a directory, it's a File");
  EXPECT_EQ(msg(missing, "Directory"), "hostPath " + missing + " doesn't exist");
  EXPECT_EQ(msg(f, "File"), "ok");
  EXPECT_EQ(msg(d, "File"),
            "hostPath type check failed: " + d + " is not a file, it's a Directory");
  EXPECT_EQ(msg(missing, "File"), "hostPath " + missing + " doesn't exist");
  EXPECT_EQ(msg(f, "Socket"),
            "hostPath type check failed: " + f + " is not a socket file, it's a File");
  EXPECT_EQ(msg("/dev/null", "CharDevice"), "ok");
  EXPECT_EQ(msg(f, "CharDevice"),
            "hostPath type check failed: " + f + " is not a character device, it's a File");
  EXPECT_EQ(msg("/dev/null", "BlockDevice"),
            "hostPath type check failed: /dev/null is not a block device, it's a CharDevice");
  EXPECT_EQ(msg(missing, ""), "ok");  // no type: no check
  EXPECT_EQ(msg(d, "Dir"), "Dir is an invalid volume type");

  // A socket.
  const std::string sock = dir.path() + "/s.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", sock.c_str());
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(msg(sock, "Socket"), "ok");
  ::close(fd);

  // The *OrCreate types create what is missing, and check what exists.
  EXPECT_EQ(msg(dir.path() + "/new/dir", "DirectoryOrCreate"), "ok");
  EXPECT_TRUE(fs::is_directory(dir.path() + "/new/dir"));
  EXPECT_EQ(mode_of(dir.path() + "/new/dir"), 0755u);
  EXPECT_EQ(msg(f, "DirectoryOrCreate"),
            "hostPath type check failed: " + f + " is not a directory, it's a File");
  EXPECT_EQ(msg(dir.path() + "/newfile", "FileOrCreate"), "ok");
  EXPECT_TRUE(fs::is_regular_file(dir.path() + "/newfile"));
  EXPECT_EQ(msg(d, "FileOrCreate"),
            "hostPath type check failed: " + d + " is not a file, it's a Directory");
}

TEST(Volumes, HostPathIsReturnedAsIsAndSurvivesTeardown) {
  TempDir dir;
  const std::string host = dir.path() + "/host-data";
  VolumeManager vm({.data_dir = dir.path() + "/agent", .use_tmpfs = false});
  Json pod = pod_with(Json::array(
      {{{"name", "h"}, {"hostPath", {{"path", host}, {"type", "DirectoryOrCreate"}}}}}));
  auto paths = vm.setup(pod);
  ASSERT_TRUE(paths.ok()) << paths.error().message;
  EXPECT_EQ(paths->at("h"), host);
  std::ofstream(host + "/keep") << "data";
  ASSERT_TRUE(vm.teardown("uid-1").ok());
  EXPECT_EQ(read_all(host + "/keep"), "data");

  // No type and nothing there: a directory appears, as containerd makes one.
  auto untyped = vm.setup(
      pod_with(Json::array({{{"name", "u"}, {"hostPath", {{"path", host + "/untyped"}}}}})));
  ASSERT_TRUE(untyped.ok()) << untyped.error().message;
  EXPECT_TRUE(fs::is_directory(host + "/untyped"));

  auto bad =
      vm.setup(pod_with(Json::array({{{"name", "h"}, {"hostPath", {{"path", "/a/../etc"}}}}})));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "invalid HostPath `/a/../etc`: must not contain '..'");
  auto wrong = vm.setup(pod_with(Json::array(
      {{{"name", "h"}, {"hostPath", {{"path", host + "/keep"}, {"type", "Directory"}}}}})));
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message,
            "hostPath type check failed: " + host + "/keep is not a directory, it's a File");
}

// ---- downward API ----

TEST(DownwardApi, FieldsAndResourcesAsTheKubeletWritesThem) {
  Json pod = pod_with(Json::array());
  EXPECT_EQ(*downward_field_value(pod, "metadata.name"), "web");
  EXPECT_EQ(*downward_field_value(pod, "metadata.namespace"), "default");
  EXPECT_EQ(*downward_field_value(pod, "metadata.uid"), "uid-1");
  EXPECT_EQ(*downward_field_value(pod, "metadata.labels"), "app=\"web\"\ntier=\"front\\\"end\"");
  EXPECT_EQ(*downward_field_value(pod, "metadata.annotations['note']"), "hello");
  EXPECT_EQ(*downward_field_value(pod, "metadata.labels['absent']"), "");
  EXPECT_EQ(downward_field_value(pod, "spec.nodeName").error().message,
            "unsupported fieldPath: spec.nodeName");

  VolumeManagerOptions node;
  node.node_allocatable_cpu_milli = 1500;
  auto res = [&](Json ref) {
    auto r = downward_resource_value(pod, ref, node);
    return r.ok() ? *r : r.error().message;
  };
  EXPECT_EQ(res({{"containerName", "c"}, {"resource", "limits.memory"}}), "67108864");
  EXPECT_EQ(res({{"containerName", "c"}, {"resource", "limits.memory"}, {"divisor", "1Mi"}}), "64");
  EXPECT_EQ(res({{"containerName", "c"}, {"resource", "requests.cpu"}}), "1");  // 250m rounds up
  EXPECT_EQ(res({{"containerName", "c"}, {"resource", "requests.cpu"}, {"divisor", "1m"}}), "250");
  // No CPU limit: the node's allocatable.
  EXPECT_EQ(res({{"containerName", "c"}, {"resource", "limits.cpu"}, {"divisor", "1m"}}), "1500");
}

// ---- objects from the API: configMap, secret, projected, PVC ----

class ApiVolumes : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value().release();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value().release();
  }
  static void TearDownTestSuite() {
    delete client_;
    delete server_;
  }
  void SetUp() override {
    opts_.data_dir = dir_.path();
    opts_.client = client_;
    opts_.clock = &clock_;
    opts_.use_tmpfs = is_root();
  }
  void create(const std::string& resource, Json object, const std::string& ns = "default") {
    auto r = client_->create(client::core_resource(resource), ns, object);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  static RestTestServer* server_;
  static client::RestClient* client_;
  TempDir dir_;
  FakeClock clock_;
  VolumeManagerOptions opts_;
};
RestTestServer* ApiVolumes::server_ = nullptr;
client::RestClient* ApiVolumes::client_ = nullptr;

TEST_F(ApiVolumes, ConfigMapItemsModesAndRefresh) {
  create("configmaps", {{"metadata", {{"name", "cfg"}}},
                        {"data", {{"app.conf", "a=1"}, {"other", "o"}}},
                        {"binaryData", {{"blob", "AAEC"}}}});
  VolumeManager vm(opts_);
  Json pod = pod_with(Json::array(
      {{{"name", "all"}, {"configMap", {{"name", "cfg"}}}},
       {{"name", "some"},
        {"configMap",
         {{"name", "cfg"},
          {"defaultMode", 0600},
          {"items", Json::array({{{"key", "app.conf"}, {"path", "conf/app.conf"}},
                                 {{"key", "other"}, {"path", "o"}, {"mode", 0444}}})}}}}}));
  auto paths = vm.setup(pod);
  ASSERT_TRUE(paths.ok()) << paths.error().message;
  const std::string all = paths->at("all");
  EXPECT_EQ(all, dir_.path() + "/pods/uid-1/volumes/kubernetes.io~configmap/all");
  EXPECT_EQ(read_all(all + "/app.conf"), "a=1");
  EXPECT_EQ(read_all(all + "/blob"), std::string("\0\1\2", 3));
  EXPECT_EQ(mode_of(all + "/other"), 0644u);
  const std::string some = paths->at("some");
  EXPECT_EQ(read_all(some + "/conf/app.conf"), "a=1");
  EXPECT_EQ(mode_of(some + "/conf/app.conf"), 0600u);
  EXPECT_EQ(mode_of(some + "/o"), 0444u);
  EXPECT_FALSE(fs::exists(some + "/blob"));

  auto unchanged = vm.refresh(pod);
  ASSERT_TRUE(unchanged.ok()) << unchanged.error().message;
  EXPECT_FALSE(*unchanged);
  auto cm = client_->get(client::kConfigMaps, "default", "cfg");
  ASSERT_TRUE(cm.ok());
  (*cm)["data"]["app.conf"] = "a=2";
  ASSERT_TRUE(client_->update(client::kConfigMaps, "default", *cm).ok());
  auto changed = vm.refresh(pod);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_TRUE(*changed);
  EXPECT_EQ(read_all(all + "/app.conf"), "a=2");
  EXPECT_EQ(read_all(some + "/conf/app.conf"), "a=2");
}

TEST_F(ApiVolumes, MissingConfigMapsAndKeys) {
  create("configmaps", {{"metadata", {{"name", "small"}}}, {"data", {{"k", "v"}}}});
  VolumeManager vm(opts_);
  auto missing =
      vm.setup(pod_with(Json::array({{{"name", "v"}, {"configMap", {{"name", "nope"}}}}})));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "configmap \"nope\" not found");
  auto optional = vm.setup(pod_with(
      Json::array({{{"name", "v"}, {"configMap", {{"name", "nope"}, {"optional", true}}}}})));
  ASSERT_TRUE(optional.ok()) << optional.error().message;
  EXPECT_TRUE(fs::is_directory(optional->at("v")));
  EXPECT_FALSE(fs::exists(optional->at("v") + "/k"));
  auto no_key = vm.setup(pod_with(Json::array(
      {{{"name", "v"},
        {"configMap",
         {{"name", "small"}, {"items", Json::array({{{"key", "x"}, {"path", "x"}}})}}}}})));
  ASSERT_FALSE(no_key.ok());
  EXPECT_EQ(no_key.error().message, "configmap references non-existent config key: x");
  auto secret =
      vm.setup(pod_with(Json::array({{{"name", "s"}, {"secret", {{"secretName", "nope"}}}}})));
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.error().message, "secret \"nope\" not found");
}

TEST_F(ApiVolumes, SecretDecodedOnTmpfsAndTornDown) {
  create("secrets", {{"metadata", {{"name", "creds"}}},
                     {"data", {{"password", "czNjcjN0"}, {"user", "YWRtaW4="}}}});
  VolumeManager vm(opts_);
  Json pod = pod_with(
      Json::array({{{"name", "s"},
                    {"secret",
                     {{"secretName", "creds"},
                      {"defaultMode", 0400},
                      {"items", Json::array({{{"key", "password"}, {"path", "pw"}}})}}}}}));
  auto paths = vm.setup(pod);
  ASSERT_TRUE(paths.ok()) << paths.error().message;
  const std::string path = paths->at("s");
  EXPECT_EQ(path, dir_.path() + "/pods/uid-1/volumes/kubernetes.io~secret/s");
  EXPECT_EQ(read_all(path + "/pw"), "s3cr3t");
  EXPECT_EQ(mode_of(path + "/pw"), 0400u);
  EXPECT_FALSE(fs::exists(path + "/user"));
  if (is_root()) {
    EXPECT_TRUE(mounted(path));
  }
  auto missing_key = vm.setup(
      pod_with(Json::array({{{"name", "t"},
                             {"secret",
                              {{"secretName", "creds"},
                               {"items", Json::array({{{"key", "nokey"}, {"path", "p"}}})}}}}})));
  ASSERT_FALSE(missing_key.ok());
  EXPECT_EQ(missing_key.error().message, "references non-existent secret key: nokey");
  ASSERT_TRUE(vm.teardown("uid-1").ok());
  EXPECT_FALSE(mounted(path));
  EXPECT_FALSE(fs::exists(dir_.path() + "/pods/uid-1/volumes"));
}

TEST_F(ApiVolumes, DownwardApiAndProjectedVolumes) {
  create("configmaps",
         {{"metadata", {{"name", "proj-cm"}}}, {"data", {{"c", "from-cm"}, {"shared", "cm"}}}});
  create("secrets", {{"metadata", {{"name", "proj-s"}}},
                     {"data", {{"s", "ZnJvbS1zZWNyZXQ="}, {"shared", "c2VjcmV0"}}}});
  VolumeManager vm(opts_);
  Json downward_items =
      Json::array({{{"path", "labels"}, {"fieldRef", {{"fieldPath", "metadata.labels"}}}},
                   {{"path", "mem"},
                    {"resourceFieldRef",
                     {{"containerName", "c"}, {"resource", "limits.memory"}, {"divisor", "1Mi"}}},
                    {"mode", 0400}}});
  Json pod = pod_with(Json::array(
      {{{"name", "d"}, {"downwardAPI", {{"items", downward_items}}}},
       {{"name", "p"},
        {"projected",
         {{"sources",
           Json::array(
               {{{"configMap", {{"name", "proj-cm"}}}},
                {{"secret", {{"name", "proj-s"}}}},
                {{"downwardAPI",
                  {{"items", Json::array({{{"path", "ns"},
                                           {"fieldRef",
                                            {{"fieldPath", "metadata.namespace"}}}}})}}}}})}}}}}));
  auto paths = vm.setup(pod);
  ASSERT_TRUE(paths.ok()) << paths.error().message;
  EXPECT_EQ(paths->at("d"), dir_.path() + "/pods/uid-1/volumes/kubernetes.io~downward-api/d");
  EXPECT_EQ(read_all(paths->at("d") + "/labels"), "app=\"web\"\ntier=\"front\\\"end\"");
  EXPECT_EQ(read_all(paths->at("d") + "/mem"), "64");
  EXPECT_EQ(mode_of(paths->at("d") + "/mem"), 0400u);
  const std::string p = paths->at("p");
  EXPECT_EQ(p, dir_.path() + "/pods/uid-1/volumes/kubernetes.io~projected/p");
  EXPECT_EQ(read_all(p + "/c"), "from-cm");
  EXPECT_EQ(read_all(p + "/s"), "from-secret");
  EXPECT_EQ(read_all(p + "/ns"), "default");
  EXPECT_EQ(read_all(p + "/shared"), "secret");  // a later source wins a path

  // Labels change: refresh rewrites the downward API file.
  pod["metadata"]["labels"]["app"] = "web2";
  auto changed = vm.refresh(pod);
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_TRUE(*changed);
  EXPECT_EQ(read_all(paths->at("d") + "/labels"), "app=\"web2\"\ntier=\"front\\\"end\"");

  auto token = vm.setup(pod_with(Json::array(
      {{{"name", "kube-api-access"},
        {"projected",
         {{"sources", Json::array({{{"serviceAccountToken", {{"path", "token"}}}}})}}}}})));
  ASSERT_FALSE(token.ok());
  EXPECT_EQ(
      token.error().message,
      "projected volume \"kube-api-access\": serviceAccountToken sources are not supported by "
      "this node");
  ASSERT_TRUE(vm.teardown("uid-1").ok());
}

TEST_F(ApiVolumes, PersistentVolumeClaimsResolveToTheBoundVolumesPath) {
  const std::string pv_path = dir_.path() + "/pv-data";
  fs::create_directory(pv_path);
  create("persistentvolumeclaims", {{"metadata", {{"name", "claim"}}},
                                    {"spec",
                                     {{"accessModes", {"ReadWriteOnce"}},
                                      {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}});
  VolumeManager vm(opts_);
  Json pod = pod_with(
      Json::array({{{"name", "data"}, {"persistentVolumeClaim", {{"claimName", "claim"}}}}}));
  auto unbound = vm.setup(pod);
  ASSERT_FALSE(unbound.ok());
  EXPECT_EQ(unbound.error().message,
            "error processing PVC default/claim: PVC default/claim has non-bound phase "
            "(\"Pending\") or empty pvc.Spec.VolumeName (\"\")");
  auto none = vm.setup(pod_with(
      Json::array({{{"name", "x"}, {"persistentVolumeClaim", {{"claimName", "absent"}}}}})));
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().message.rfind("error processing PVC default/absent: failed to fetch PVC "
                                       "from API server: ",
                                       0),
            0u)
      << none.error().message;

  // Bind it as the PV controller would: the PV's claimRef and the claim's volumeName and phase.
  auto pvc = client_->get(client::core_resource("persistentvolumeclaims"), "default", "claim");
  ASSERT_TRUE(pvc.ok());
  std::string claim_uid = (*pvc)["metadata"]["uid"];
  create("persistentvolumes",
         {{"metadata", {{"name", "pv1"}}},
          {"spec",
           {{"capacity", {{"storage", "1Gi"}}},
            {"accessModes", {"ReadWriteOnce"}},
            {"hostPath", {{"path", pv_path}}},
            {"claimRef", {{"namespace", "default"}, {"name", "claim"}, {"uid", claim_uid}}}}}},
         "");
  (*pvc)["spec"]["volumeName"] = "pv1";
  auto updated = client_->update(client::core_resource("persistentvolumeclaims"), "default", *pvc);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  (*updated)["status"]["phase"] = "Bound";
  auto bound =
      client_->update_status(client::core_resource("persistentvolumeclaims"), "default", *updated);
  ASSERT_TRUE(bound.ok()) << bound.error().message;

  auto paths = vm.setup(pod);
  ASSERT_TRUE(paths.ok()) << paths.error().message;
  EXPECT_EQ(paths->at("data"), pv_path);
  std::ofstream(pv_path + "/kept") << "1";
  ASSERT_TRUE(vm.teardown("uid-1").ok());
  EXPECT_EQ(read_all(pv_path + "/kept"), "1");
}

// ---- container mounts ----

TEST(ContainerMounts, SubPathsReadOnlyAndPropagation) {
  TempDir dir;
  const std::string vol = dir.path() + "/vol";
  fs::create_directory(vol);
  ::chmod(vol.c_str(), 0777);
  VolumePaths volumes{{"data", vol}};
  Json container = {
      {"name", "app"},
      {"volumeMounts", Json::array({{{"name", "data"}, {"mountPath", "/data"}, {"readOnly", true}},
                                    {{"name", "data"},
                                     {"mountPath", "/logs"},
                                     {"subPath", "logs/app"},
                                     {"mountPropagation", "HostToContainer"}}})}};
  auto mounts = container_mounts(container, volumes);
  ASSERT_TRUE(mounts.ok()) << mounts.error().message;
  ASSERT_EQ(mounts->size(), 2u);
  EXPECT_EQ((*mounts)[0].host_path, vol);
  EXPECT_EQ((*mounts)[0].container_path, "/data");
  EXPECT_TRUE((*mounts)[0].read_only);
  EXPECT_EQ((*mounts)[1].host_path, vol + "/logs/app");
  EXPECT_FALSE((*mounts)[1].read_only);
  EXPECT_EQ((*mounts)[1].propagation, runtime::MountPropagation::kHostToContainer);
  EXPECT_TRUE(fs::is_directory(vol + "/logs/app"));  // created, with the volume's mode
  EXPECT_EQ(mode_of(vol + "/logs/app"), 0777u);
}

TEST(ContainerMounts, KubernetesErrors) {
  TempDir dir;
  const std::string vol = dir.path() + "/vol";
  fs::create_directory(vol);
  fs::create_directory_symlink("/etc", vol + "/escape");
  VolumePaths volumes{{"data", vol}};
  auto msg = [&](Json mount) {
    auto r = container_mounts({{"name", "app"}, {"volumeMounts", Json::array({mount})}}, volumes);
    return r.ok() ? std::string("ok") : r.error().message;
  };
  EXPECT_EQ(msg({{"name", "nope"}, {"mountPath", "/x"}}),
            "cannot find volume \"nope\" to mount into container \"app\"");
  EXPECT_EQ(msg({{"name", "data"}, {"mountPath", "/x"}, {"subPath", "/etc"}}),
            "error SubPath `/etc` must not be an absolute path");
  EXPECT_EQ(msg({{"name", "data"}, {"mountPath", "/x"}, {"subPath", "a/../../etc"}}),
            "unable to provision SubPath `a/../../etc`: must not contain '..'");
  EXPECT_EQ(msg({{"name", "data"}, {"mountPath", "/x"}, {"subPath", "escape"}}),
            "subpath \"/etc\" not within volume path \"" + fs::canonical(vol).string() + "\"");
}

}  // namespace
}  // namespace bosun::agent
