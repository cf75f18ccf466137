// End to end with the real kubectl: an ApiServer on port 0 in a temporary data dir, and the
// `kubectl` on PATH (a dispatcher that reads /version to pick kubectl 1.<minor>) pointed at the
// kubeconfig the server wrote.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include "apiserver/apiserver.h"
#include "apiserver/version.h"
#include "common/json.h"

namespace bosun::apiserver {
namespace {

struct Output {
  int status = -1;
  std::string out;
};

Output run(const std::string& command) {
  Output o;
  FILE* p = popen(command.c_str(), "r");
  if (!p) return o;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) o.out.append(buf.data(), n);
  o.status = pclose(p);
  return o;
}

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("command -v kubectl >/dev/null 2>&1").status != 0)
      GTEST_SKIP() << "kubectl is not on PATH";
    char tmpl[] = "/tmp/bosun-kubectl-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ApiServerOptions o;
    o.data_dir = dir_ + "/data";
    o.listen = "127.0.0.1:0";
    o.metrics = &metrics_;
    auto s = ApiServer::start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // kubectl with everything it writes kept inside the test's directory.
  Output kubectl(const std::string& args) {
    return run("HOME=" + dir_ + " kubectl --kubeconfig " + server_->kubeconfig_path() +
               " --cache-dir " + dir_ + "/cache " + args + " 2>&1");
  }

  std::string dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<ApiServer> server_;
};

TEST_F(KubectlTest, VersionPrintsOurServerVersionAndTheDispatcherPicksKubectl133) {
  Output o = kubectl("version -o json");
  ASSERT_EQ(o.status, 0) << o.out;
  Json v = Json::parse(o.out, nullptr, /*allow_exceptions=*/false);
  ASSERT_FALSE(v.is_discarded()) << o.out;
  EXPECT_EQ(v["serverVersion"]["gitVersion"], "v1.33.0+bosun." + bosun_version());
  EXPECT_EQ(v["serverVersion"]["major"], "1");
  EXPECT_EQ(v["serverVersion"]["minor"], "33");
  EXPECT_EQ(v["serverVersion"]["platform"], "linux/amd64");
  // The dispatcher read our /version and ran kubectl 1.33.
  EXPECT_EQ(v["clientVersion"]["minor"], "33") << o.out;
}

TEST_F(KubectlTest, ReadyzThroughKubectlRaw) {
  Output o = kubectl("get --raw /readyz?verbose");
  ASSERT_EQ(o.status, 0) << o.out;
  EXPECT_EQ(o.out, "[+]ping ok\n[+]shutdown ok\nreadyz check passed\n");
}

TEST_F(KubectlTest, UnknownResourceShowsKubernetesNotFound) {
  Output o = kubectl("get --raw /apis/nothing.example/v1");
  EXPECT_NE(o.status, 0);
  EXPECT_NE(
      o.out.find("Error from server (NotFound): the server could not find the requested resource"),
      std::string::npos)
      << o.out;
}

}  // namespace
}  // namespace bosun::apiserver
