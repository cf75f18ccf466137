// RuncRuntime::pull_image against Debian's docker-registry started on 127.0.0.1 (skipped without
// it, root, runc or busybox-static): the image lands in the node's store under its full name,
// progress adds up to the whole image, the pod's imagePullSecrets reach the registry, and a
// container runs from the pulled image.
#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "agent/runc_runtime.h"
#include "runtime/image_digest.h"
#include "runtime/image_manifest.h"
#include "runtime/image_testlib.h"
#include "runtime/runc_testing.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kRegistryBinary = "/usr/bin/docker-registry";

int free_port() {
  int s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(s);
  return ntohs(addr.sin_port);
}

struct Response {
  long status = 0;
  std::string location;
};

// Just enough HTTP to push test images; the code under test has its own client.
Response http(const std::string& method, const std::string& url, const std::string& body,
              const std::string& content_type, const std::string& userpwd) {
  CURL* c = curl_easy_init();
  Response r;
  curl_slist* headers = nullptr;
  if (!content_type.empty()) headers = curl_slist_append(headers, content_type.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (!userpwd.empty()) curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char*, size_t s, size_t n, void*) { return s * n; });
  curl_easy_setopt(
      c, CURLOPT_HEADERFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
        std::string line(d, s * n);
        if (line.size() > 10 && strncasecmp(line.c_str(), "location:", 9) == 0) {
          std::string v = line.substr(9);
          v.erase(0, v.find_first_not_of(' '));
          v.erase(v.find_last_not_of("\r\n ") + 1);
          *static_cast<std::string*>(u) = v;
        }
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.location);
  if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return r;
}

// htpasswd wants bcrypt; libxcrypt (Debian's libcrypt1) has it.
std::string bcrypt(const std::string& password) {
  void* lib = ::dlopen("libcrypt.so.1", RTLD_NOW);
  if (!lib) return "";
  using GenSalt = char* (*)(const char*, unsigned long, const char*, int);
  using Crypt = char* (*)(const char*, const char*);
  auto gensalt = reinterpret_cast<GenSalt>(::dlsym(lib, "crypt_gensalt"));
  auto crypt_fn = reinterpret_cast<Crypt>(::dlsym(lib, "crypt"));
  if (!gensalt || !crypt_fn) return "";
  char* salt = gensalt("$2y$", 5, nullptr, 0);
  if (!salt) return "";
  char* hashed = crypt_fn(password.c_str(), salt);
  return hashed && hashed[0] == '$' ? hashed : "";
}

class Registry {
 public:
  bool start(const fs::path& dir, const std::string& user = "", const std::string& password = "") {
    fs::create_directories(dir);
    port_ = free_port();
    std::string config =
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        "storage:\n  filesystem:\n    rootdirectory: " +
        (dir / "data").string() + "\nhttp:\n  addr: " + host() + "\n";
    if (!user.empty()) {
      std::string hashed = bcrypt(password);
      if (hashed.empty()) return false;
      std::ofstream(dir / "htpasswd") << user << ":" << hashed << "\n";
      config +=
          "auth:\n  htpasswd:\n    realm: bosun-test\n    path: " + (dir / "htpasswd").string() +
          "\n";
      userpwd_ = user + ":" + password;
    }
    std::ofstream(dir / "config.yml") << config;
    pid_ = ::fork();
    if (pid_ == 0) {
      int devnull = ::open("/dev/null", O_WRONLY);
      ::dup2(devnull, 1);
      ::dup2(devnull, 2);
      ::execl(kRegistryBinary, kRegistryBinary, "serve", (dir / "config.yml").c_str(), nullptr);
      ::_exit(127);
    }
    // Readiness, not timing: until it answers, for at most 20 s.
    for (int i = 0; i < 400; ++i) {
      auto r = http("GET", url() + "/v2/", "", "", "");
      if (r.status == 200 || r.status == 401) return true;
      std::this_thread::sleep_for(50ms);
    }
    return false;
  }
  ~Registry() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }

  // Pushes layers, config and manifest; returns the manifest digest ("" on failure).
  std::string push(const std::string& repo, const std::string& tag,
                   const runtime::testing::TestImage& image) {
    for (const std::string& layer : image.layers) {
      if (!push_blob(repo, layer)) return "";
    }
    if (!push_blob(repo, image.config_bytes())) return "";
    std::string manifest = image.manifest();
    auto r = http("PUT", url() + "/v2/" + repo + "/manifests/" + tag, manifest,
                  "Content-Type: " + std::string(runtime::kMediaTypeOciManifest), userpwd_);
    return r.status == 201 ? runtime::sha256_digest(manifest) : "";
  }

 private:
  bool push_blob(const std::string& repo, const std::string& data) {
    auto start = http("POST", url() + "/v2/" + repo + "/blobs/uploads/", "", "", userpwd_);
    if (start.status != 202 || start.location.empty()) return false;
    std::string loc = start.location.starts_with("http") ? start.location : url() + start.location;
    loc += (loc.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") +
           runtime::sha256_digest(data);
    return http("PUT", loc, data, "Content-Type: application/octet-stream", userpwd_).status == 201;
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string userpwd_;
};

class RuncRuntimePullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why = runtime::runc_testing::container_test_skip_reason();
    if (!why.empty()) GTEST_SKIP() << why;
    if (::access(kRegistryBinary, X_OK) != 0) GTEST_SKIP() << "docker-registry is not installed";
    scratch_ = std::make_unique<runtime::runc_testing::ScratchDir>("bosun-runc-pull-test-");
    auto rt = RuncRuntime::open(RuncRuntimeOptions{scratch_->path() + "/data"});
    ASSERT_TRUE(rt.ok()) << rt.error().message;
    rt_ = std::move(*rt);
    uid_ = "pull" + std::to_string(::getpid());
  }
  void TearDown() override {
    if (rt_) (void)rt_->remove_pod_sandbox(uid_);
  }

  std::unique_ptr<runtime::runc_testing::ScratchDir> scratch_;
  std::unique_ptr<RuncRuntime> rt_;
  std::string uid_;
};

TEST_F(RuncRuntimePullTest, PulledImagesAreStoredAndRun) {
  Registry registry;
  ASSERT_TRUE(registry.start(scratch_->path() + "/registry"));
  runtime::testing::BusyboxImageOptions options;
  options.gzip = true;
  options.cmd = {"echo", "pulled and running"};
  runtime::testing::TestImage image = runtime::testing::busybox_image(options);
  std::string digest = registry.push("team/app", "v1", image);
  ASSERT_FALSE(digest.empty());
  std::string ref = registry.host() + "/team/app:v1";

  auto before = rt_->image_status(ref);
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->has_value());

  int64_t last_done = 0, last_total = 0;
  int calls = 0;
  PullRequest request{ref, {}, [&](int64_t done, int64_t total) {
                        ++calls;
                        EXPECT_LE(done, total);
                        last_done = done;
                        last_total = total;
                      }};
  auto pulled = rt_->pull_image(request);
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->names, std::vector<std::string>{ref});
  EXPECT_EQ(pulled->repo_digest, registry.host() + "/team/app@" + digest);
  EXPECT_EQ(pulled->cmd, (std::vector<std::string>{"echo", "pulled and running"}));
  EXPECT_GT(calls, 0);
  // The whole image: its config and compressed layer.
  EXPECT_EQ(last_done, last_total);
  EXPECT_EQ(last_total, static_cast<int64_t>(image.layers[0].size() + image.config_bytes().size()));

  auto after = rt_->image_status(ref);
  ASSERT_TRUE(after.ok() && after->has_value());
  EXPECT_EQ((*after)->id, pulled->id);

  runtime::SandboxConfig pod;
  pod.pod_uid = uid_;
  pod.pod_name = "pulled";
  pod.pod_namespace = "default";
  ASSERT_TRUE(rt_->run_pod_sandbox(pod).ok());
  ContainerConfig c;
  c.pod_uid = uid_;
  c.name = "app";
  c.image = ref;
  c.log_path = scratch_->path() + "/logs/app.log";
  auto id = rt_->create_container(c);
  ASSERT_TRUE(id.ok()) << id.error().message;
  ASSERT_TRUE(rt_->start_container(*id).ok());
  auto exit = runtime::Runc::wait(rt_->container_dir(*id), 30s);
  ASSERT_TRUE(exit.ok());
  EXPECT_EQ(exit->exit_code, 0);
  auto status = rt_->container_status(*id);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->image_ref, registry.host() + "/team/app@" + digest);
  std::ifstream log(c.log_path);
  std::string line;
  ASSERT_TRUE(std::getline(log, line));
  EXPECT_EQ(line.substr(line.find(" F ") + 3), "pulled and running");
}

TEST_F(RuncRuntimePullTest, CredentialsFromImagePullSecrets) {
  if (bcrypt("x").empty()) GTEST_SKIP() << "no bcrypt in libcrypt for the registry's htpasswd";
  Registry registry;
  ASSERT_TRUE(registry.start(scratch_->path() + "/registry", "puller", "s3cret"));
  ASSERT_FALSE(registry.push("private/app", "v1", runtime::testing::busybox_image()).empty());
  std::string ref = registry.host() + "/private/app:v1";

  auto anonymous = rt_->pull_image({ref, {}, {}});
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code, ErrorCode::kUnauthorized);

  runtime::DockerConfig secret{{{registry.host(), {"puller", "s3cret"}}}};
  auto pulled = rt_->pull_image({ref, {secret}, {}});
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->names, std::vector<std::string>{ref});
}

}  // namespace
}  // namespace bosun::agent
