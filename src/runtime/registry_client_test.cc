// The puller against a real OCI distribution registry: Debian's docker-registry, started by the
// test on a free 127.0.0.1 port with a temporary storage directory, filled by a small pusher below
// (monolithic uploads: POST, then PUT ?digest=, then PUT the manifest).
#include "runtime/registry_client.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <fstream>
#include <thread>

#include "runtime/image_digest.h"
#include "runtime/image_testlib.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;
using testing::LayerEntry;
using testing::TempDir;

constexpr const char* kRegistryBinary = "/usr/bin/docker-registry";

int free_port() {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);
  return ntohs(addr.sin_port);
}

struct HttpResult {
  long status = 0;
  std::string location;
  std::string body;
};

// Minimal HTTP for the pusher; the code under test has its own client.
HttpResult http(const std::string& method, const std::string& url, const std::string& body,
                const std::vector<std::string>& headers, const std::string& userpwd = "") {
  CURL* c = curl_easy_init();
  HttpResult r;
  curl_slist* h = nullptr;
  for (const auto& x : headers) h = curl_slist_append(h, x.c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
  if (method != "GET") {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  if (!userpwd.empty()) curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) {
        static_cast<std::string*>(u)->append(d, s * n);
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
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
  curl_slist_free_all(h);
  curl_easy_cleanup(c);
  return r;
}

// The registry's htpasswd auth wants bcrypt; libxcrypt (Debian's libcrypt1) provides it.
std::string bcrypt(const std::string& password) {
  void* lib = dlopen("libcrypt.so.1", RTLD_NOW);
  if (!lib) return "";
  using GenSalt = char* (*)(const char*, unsigned long, const char*, int);
  using Crypt = char* (*)(const char*, const char*);
  auto gensalt = reinterpret_cast<GenSalt>(dlsym(lib, "crypt_gensalt"));
  auto crypt_fn = reinterpret_cast<Crypt>(dlsym(lib, "crypt"));
  if (!gensalt || !crypt_fn) return "";
  char* salt = gensalt("$2y$", 5, nullptr, 0);
  if (!salt) return "";
  char* hashed = crypt_fn(password.c_str(), salt);
  return hashed && hashed[0] == '$' ? hashed : "";
}

class Registry {
 public:
  // Starts docker-registry; with a user, behind htpasswd basic auth.
  bool start(const fs::path& dir, const std::string& user = "", const std::string& password = "",
             const std::string& token_auth_yaml = "") {
    port_ = free_port();
    std::string config =
        "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n"
        "storage:\n  filesystem:\n    rootdirectory: " +
        (dir / "data").string() + "\n  delete:\n    enabled: true\n" +
        "http:\n  addr: 127.0.0.1:" + std::to_string(port_) + "\n";
    if (!user.empty()) {
      std::string hashed = bcrypt(password);
      if (hashed.empty()) return false;
      std::ofstream(dir / "htpasswd") << user << ":" << hashed << "\n";
      config +=
          "auth:\n  htpasswd:\n    realm: bosun-test\n    path: " + (dir / "htpasswd").string() +
          "\n";
      user_ = user + ":" + password;
    }
    config += token_auth_yaml;
    std::ofstream(dir / "config.yml") << config;
    pid_ = fork();
    if (pid_ == 0) {
      int devnull = open("/dev/null", O_WRONLY);
      dup2(devnull, 1);
      dup2(devnull, 2);
      execl(kRegistryBinary, kRegistryBinary, "serve", (dir / "config.yml").c_str(), nullptr);
      _exit(127);
    }
    // Readiness, not timing: poll until it answers, for at most 20 s.
    for (int i = 0; i < 400; ++i) {
      auto r = http("GET", url() + "/v2/", "", {});
      if (r.status == 200 || r.status == 401) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }
  ~Registry() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host(); }

  bool push_blob(const std::string& repo, const std::string& data) {
    auto start = http("POST", url() + "/v2/" + repo + "/blobs/uploads/", "", auth_headers(), user_);
    if (start.status != 202 || start.location.empty()) return false;
    std::string loc = start.location.starts_with("http") ? start.location : url() + start.location;
    loc += (loc.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") +
           sha256_digest(data);
    auto put =
        http("PUT", loc, data, auth_headers({"Content-Type: application/octet-stream"}), user_);
    return put.status == 201;
  }
  bool push_manifest(const std::string& repo, const std::string& reference, const std::string& body,
                     std::string_view media_type) {
    auto r = http("PUT", url() + "/v2/" + repo + "/manifests/" + reference, body,
                  auth_headers({"Content-Type: " + std::string(media_type)}), user_);
    return r.status == 201;
  }
  // Pushes layers, config and manifest; returns the manifest digest ("" on failure).
  std::string push_image(const std::string& repo, const std::string& tag,
                         const testing::TestImage& image, bool docker_media_types = false) {
    for (const auto& l : image.layers) {
      if (!push_blob(repo, l)) return "";
    }
    if (!push_blob(repo, image.config_bytes())) return "";
    std::string m = image.manifest(docker_media_types);
    if (!push_manifest(repo, tag, m,
                       docker_media_types ? kMediaTypeDockerManifest : kMediaTypeOciManifest)) {
      return "";
    }
    return sha256_digest(m);
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
  std::string user_;

 public:
  // The pusher's own token when the registry delegates to a token server.
  std::string bearer;

 private:
  std::vector<std::string> auth_headers(std::vector<std::string> h = {}) const {
    if (!bearer.empty()) h.push_back("Authorization: Bearer " + bearer);
    return h;
  }
};

class RegistryPullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "pulling unpacks layers, which needs root";
    if (access(kRegistryBinary, X_OK) != 0)
      GTEST_SKIP() << "Debian's docker-registry is not installed";
    auto s = ImageStore::open(dir_.path() / "images");
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
    fs::create_directories(dir_.path() / "registry");
  }
  TempDir dir_;
  std::unique_ptr<ImageStore> store_;
};

TEST_F(RegistryPullTest, PullsByTagAndByDigestWithProgress) {
  Registry registry;
  ASSERT_TRUE(registry.start(dir_.path() / "registry"));
  testing::BusyboxImageOptions o;
  o.gzip = true;
  o.cmd = {"httpd", "-f"};
  auto image = testing::busybox_image(o);
  std::string digest = registry.push_image("test/busybox", "v1", image);
  ASSERT_FALSE(digest.empty());

  std::vector<PullProgress> events;
  PullOptions options;
  options.progress = [&](const PullProgress& p) { events.push_back(p); };
  std::string ref = registry.host() + "/test/busybox:v1";
  auto pulled = pull_image(*store_, ref, options);
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->name, ref);
  EXPECT_EQ(pulled->target.digest, digest);
  EXPECT_EQ(pulled->config.cmd, (std::vector<std::string>{"httpd", "-f"}));
  auto lower = store_->lowerdirs(*pulled);
  ASSERT_TRUE(lower.ok()) << lower.error().message;
  EXPECT_TRUE(fs::is_regular_file((*lower)[0] / "bin/busybox"));
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().phase, PullProgress::Phase::kResolving);
  EXPECT_EQ(events.back().phase, PullProgress::Phase::kDone);
  EXPECT_EQ(events.back().layers_done, 1);
  bool saw_download = false;
  for (const auto& e : events) {
    if (e.phase == PullProgress::Phase::kDownloading &&
        e.digest == sha256_digest(image.layers[0]) &&
        e.bytes_done == static_cast<int64_t>(image.layers[0].size()) &&
        e.bytes_total == e.bytes_done) {
      saw_download = true;
    }
  }
  EXPECT_TRUE(saw_download);

  auto by_digest = pull_image(*store_, registry.host() + "/test/busybox@" + digest);
  ASSERT_TRUE(by_digest.ok()) << by_digest.error().message;
  EXPECT_EQ(by_digest->name, registry.host() + "/test/busybox@" + digest);
  EXPECT_EQ(by_digest->id, pulled->id);
}

TEST_F(RegistryPullTest, PicksLinuxAmd64FromAnIndexAndReadsDockerManifests) {
  Registry registry;
  ASSERT_TRUE(registry.start(dir_.path() / "registry"));
  auto amd64 = testing::image_of_layers({{{.path = "arch", .data = "amd64"}}}, true);
  auto arm64 = testing::image_of_layers({{{.path = "arch", .data = "arm64"}}}, true);
  arm64.config["architecture"] = "arm64";
  std::string amd64_digest =
      registry.push_image("multi", sha256_digest(amd64.manifest(true)), amd64, true);
  std::string arm64_digest =
      registry.push_image("multi", sha256_digest(arm64.manifest(true)), arm64, true);
  ASSERT_FALSE(amd64_digest.empty());
  ASSERT_FALSE(arm64_digest.empty());
  auto entry = [](const std::string& digest, const testing::TestImage& img, const char* arch) {
    return Json{{"mediaType", kMediaTypeDockerManifest},
                {"digest", digest},
                {"size", static_cast<int64_t>(img.manifest(true).size())},
                {"platform", {{"os", "linux"}, {"architecture", arch}}}};
  };
  Json list = {
      {"schemaVersion", 2},
      {"mediaType", kMediaTypeDockerManifestList},
      {"manifests", {entry(arm64_digest, arm64, "arm64"), entry(amd64_digest, amd64, "amd64")}}};
  ASSERT_TRUE(registry.push_manifest("multi", "latest", list.dump(), kMediaTypeDockerManifestList));

  auto pulled = pull_image(*store_, registry.host() + "/multi");
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->name, registry.host() + "/multi:latest");
  EXPECT_EQ(pulled->target.digest, amd64_digest);
  EXPECT_EQ(pulled->target.media_type, kMediaTypeDockerManifest);
  auto lower = store_->lowerdirs(*pulled);
  ASSERT_TRUE(lower.ok());
  std::ifstream in((*lower)[0] / "arch");
  std::string arch((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(arch, "amd64");

  PullOptions arm;
  arm.architecture = "riscv64";
  auto none = pull_image(*store_, registry.host() + "/multi", arm);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
}

TEST_F(RegistryPullTest, MissingImagesAreNotFound) {
  Registry registry;
  ASSERT_TRUE(registry.start(dir_.path() / "registry"));
  std::string ref = registry.host() + "/test/missing:v9";
  auto pulled = pull_image(*store_, ref);
  ASSERT_FALSE(pulled.ok());
  EXPECT_EQ(pulled.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(pulled.error().message,
            "failed to resolve reference \"" + ref + "\": " + ref + ": not found");
  auto invalid = pull_image(*store_, "Not/Valid");
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
}

TEST_F(RegistryPullTest, BasicAuthFromDockerConfigJson) {
  if (bcrypt("x").empty()) GTEST_SKIP() << "no bcrypt in libcrypt for the registry's htpasswd";
  Registry registry;
  ASSERT_TRUE(registry.start(dir_.path() / "registry", "puller", "s3cret"));
  ASSERT_FALSE(
      registry
          .push_image("private/app", "v1", testing::image_of_layers({{{.path = "p", .data = "p"}}}))
          .empty());
  std::string ref = registry.host() + "/private/app:v1";

  auto anonymous = pull_image(*store_, ref);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(anonymous.error().message,
            "failed to resolve reference \"" + ref +
                "\": pull access denied, repository does not exist or may require authorization: "
                "authorization failed: no basic auth credentials");

  auto wrong = parse_docker_config_json(R"({"auths":{")" + registry.host() +
                                        R"(":{"username":"puller","password":"nope"}}})");
  ASSERT_TRUE(wrong.ok());
  PullOptions wrong_options;
  wrong_options.credentials = {*wrong};
  auto refused = pull_image(*store_, ref, wrong_options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kUnauthorized);

  auto config =
      parse_docker_config_json(R"({"auths":{"http://)" + registry.host() + R"(/v2/":{"auth":")" +
                               base64_encode("puller:s3cret") + R"("}}})");
  ASSERT_TRUE(config.ok()) << config.error().message;
  PullOptions options;
  // The first config has nothing for this registry; the next one does (imagePullSecrets order).
  options.credentials = {DockerConfig{{{"other.example", {"x", "y"}}}}, *config};
  auto pulled = pull_image(*store_, ref, options);
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->name, ref);
}

std::string base64url(std::string_view data) {
  std::string out = base64_encode(data);
  for (char& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
  while (!out.empty() && out.back() == '=') out.pop_back();
  return out;
}

std::string url_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// A token server for the registry's `auth: token` mode (the distribution token specification):
// RS256 JWTs carrying their signing certificate in x5c, which the registry trusts through
// rootcertbundle. Credentials earn a token with pull and push on private/app; anonymous requests
// get a token with no access, as Docker Hub's auth service answers for a private repository.
class TokenServer {
 public:
  bool start(const fs::path& dir, const std::string& user, const std::string& password) {
    credentials_ = "Basic " + base64_encode(user + ":" + password);
    cert_ = dir / "token-cert.pem";
    fs::path key = dir / "token-key.pem";
    fs::path der = dir / "token-cert.der";
    std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -keyout " + key.string() + " -out " +
        cert_.string() +
        " -days 2 -subj /CN=bosun-test-token -addext basicConstraints=critical,CA:TRUE "
        "-addext keyUsage=critical,digitalSignature,keyCertSign >/dev/null 2>&1 && "
        "openssl x509 -in " +
        cert_.string() + " -outform DER -out " + der.string();
    if (std::system(cmd.c_str()) != 0) return false;
    std::ifstream in(der, std::ios::binary);
    der_.assign(std::istreambuf_iterator<char>(in), {});
    FILE* f = fopen(key.c_str(), "r");
    if (!f) return false;
    key_ = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    fclose(f);
    if (!key_ || der_.empty()) return false;
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd_, 16) != 0)
      return false;
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { serve(); });
    return true;
  }
  ~TokenServer() {
    if (fd_ >= 0) {
      shutdown(fd_, SHUT_RDWR);
      close(fd_);
    }
    if (thread_.joinable()) thread_.join();
    EVP_PKEY_free(key_);
  }
  std::string realm() const { return "http://127.0.0.1:" + std::to_string(port_) + "/token"; }
  std::string registry_config() const {
    return "auth:\n  token:\n    realm: " + realm() +
           "\n    service: bosun-test\n    issuer: bosun-test-issuer\n    rootcertbundle: " +
           cert_.string() + "\n";
  }
  std::string token(bool with_access) {
    Json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {base64_encode(der_)}}};
    int64_t now = std::time(nullptr);
    Json access = Json::array();
    if (with_access) {
      access.push_back(
          {{"type", "repository"}, {"name", "private/app"}, {"actions", {"pull", "push"}}});
    }
    Json claims = {{"iss", "bosun-test-issuer"},
                   {"sub", "puller"},
                   {"aud", "bosun-test"},
                   {"exp", now + 3600},
                   {"nbf", now - 60},
                   {"iat", now - 60},
                   {"jti", std::to_string(++jti_)},
                   {"access", access}};
    std::string signing = base64url(header.dump()) + "." + base64url(claims.dump());
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(signing.data()),
                   signing.size());
    std::string sig(len, '\0');
    EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                   reinterpret_cast<const unsigned char*>(signing.data()), signing.size());
    EVP_MD_CTX_free(ctx);
    sig.resize(len);
    return signing + "." + base64url(sig);
  }

  std::atomic<int> authenticated{0};
  std::atomic<int> anonymous{0};
  std::string last_query;  // written by the server thread before it answers

 private:
  void serve() {
    while (true) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      std::string lower = req;
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      size_t q = req.find('?');
      size_t sp = req.find(' ', req.find(' ') + 1);
      if (q != std::string::npos && q < sp) last_query = url_decode(req.substr(q + 1, sp - q - 1));
      std::string status = "200 OK";
      std::string body;
      size_t auth = lower.find("\r\nauthorization: ");
      if (auth != std::string::npos) {
        size_t start = auth + 17;
        std::string value = req.substr(start, req.find("\r\n", start) - start);
        if (value == credentials_) {
          ++authenticated;
          body = Json({{"token", token(true)}}).dump();
        } else {
          status = "401 Unauthorized";
          body = R"({"details":"incorrect username or password"})";
        }
      } else {
        ++anonymous;
        body = Json({{"token", token(false)}}).dump();
      }
      std::string resp =
          "HTTP/1.1 " + status +
          "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\nConnection: close\r\n\r\n" + body;
      (void)!write(c, resp.data(), resp.size());
      close(c);
    }
  }

  std::string credentials_;
  fs::path cert_;
  std::string der_;
  EVP_PKEY* key_ = nullptr;
  int fd_ = -1;
  int port_ = 0;
  int jti_ = 0;
  std::thread thread_;
};

TEST_F(RegistryPullTest, BearerTokenFromTheChallengedRealm) {
  TokenServer tokens;
  if (!tokens.start(dir_.path(), "puller", "s3cret"))
    GTEST_SKIP() << "cannot make a token signing key";
  Registry registry;
  ASSERT_TRUE(registry.start(dir_.path() / "registry", "", "", tokens.registry_config()));
  registry.bearer = tokens.token(true);
  ASSERT_FALSE(registry
                   .push_image("private/app", "v1",
                               testing::image_of_layers({{{.path = "t", .data = "t"}}}, true))
                   .empty());
  std::string ref = registry.host() + "/private/app:v1";

  // Anonymous: the realm's token grants nothing, and the registry still refuses.
  auto anonymous = pull_image(*store_, ref);
  ASSERT_FALSE(anonymous.ok());
  EXPECT_EQ(anonymous.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(tokens.anonymous, 1);
  EXPECT_EQ(tokens.last_query, "service=bosun-test&scope=repository:private/app:pull");

  auto config = parse_docker_config_json(R"({"auths":{")" + registry.host() +
                                         R"(":{"username":"puller","password":"s3cret"}}})");
  ASSERT_TRUE(config.ok());
  PullOptions options;
  options.credentials = {*config};
  auto pulled = pull_image(*store_, ref, options);
  ASSERT_TRUE(pulled.ok()) << pulled.error().message;
  EXPECT_EQ(pulled->name, ref);
  EXPECT_EQ(tokens.authenticated, 1);  // one token serves the manifest and every blob
}

TEST(RegistryAuth, DockerConfigJson) {
  auto config = parse_docker_config_json(R"({"auths":{
      "https://index.docker.io/v1/":{"auth":")" +
                                         base64_encode("hub:pw") + R"("},
      "registry.example.com:5000":{"username":"u","password":"p"},
      "registry.example.com:5000/team":{"username":"team","password":"tp","auth":")" +
                                         base64_encode("teamauth:pw:with:colons") + R"("},
      "*.corp.example":{"username":"glob","password":"g"}}})");
  ASSERT_TRUE(config.ok()) << config.error().message;
  std::vector<DockerConfig> configs = {*config};
  auto creds_for = [&](const char* image) -> std::string {
    auto ref = parse_image_reference(image);
    EXPECT_TRUE(ref.ok());
    auto c = find_credentials(configs, *ref);
    return c ? c->username + ":" + c->password : "-";
  };
  EXPECT_EQ(creds_for("busybox"), "hub:pw");
  EXPECT_EQ(creds_for("docker.io/someone/app"), "hub:pw");
  EXPECT_EQ(creds_for("registry.example.com:5000/app"), "u:p");
  // The auth field wins over username/password; the most specific key wins over the host alone.
  EXPECT_EQ(creds_for("registry.example.com:5000/team/app"), "teamauth:pw:with:colons");
  EXPECT_EQ(creds_for("registry.example.com:5000/teamwork/app"), "u:p");
  EXPECT_EQ(creds_for("registry.example.com/app"), "-");  // the port must match
  EXPECT_EQ(creds_for("a.corp.example/app"), "glob:g");
  EXPECT_EQ(creds_for("a.b.corp.example/app"), "-");

  // The legacy .dockercfg form is the map itself.
  auto legacy = parse_docker_config_json(R"({"quay.io":{"username":"q","password":"w"}})");
  ASSERT_TRUE(legacy.ok());
  ASSERT_EQ(legacy->auths.size(), 1u);
  EXPECT_EQ(legacy->auths[0].second.username, "q");

  auto bad =
      parse_docker_config_json(R"({"auths":{"x.io":{"auth":"bm9jb2xvbg=="}}})");  // "nocolon"
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "unable to parse auth field, must be formatted as base64(username:password)");
  EXPECT_FALSE(parse_docker_config_json("[]").ok());
}

TEST(RegistryAuth, WwwAuthenticate) {
  auto c = parse_www_authenticate(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].params["realm"], "https://auth.docker.io/token");
  EXPECT_EQ(c[0].params["service"], "registry.docker.io");
  EXPECT_EQ(c[0].params["scope"], "repository:library/busybox:pull");
  c = parse_www_authenticate(R"(Basic realm="bosun test", Bearer realm=https://t.example/token)");
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].params["realm"], "bosun test");
  EXPECT_EQ(c[1].params["realm"], "https://t.example/token");
  EXPECT_TRUE(parse_www_authenticate("").empty());
}

TEST(RegistryAuth, Base64RoundTrip) {
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "user:pa$$word", std::string("\0\xff", 2)}) {
    auto d = base64_decode(base64_encode(s));
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64_encode("puller:s3cret"), "cHVsbGVyOnMzY3JldA==");
  EXPECT_FALSE(base64_decode("!!!!").has_value());
}

TEST(RegistryClient, PlainHttpOnlyForInsecureAndLoopback) {
  EXPECT_TRUE(registry_uses_plain_http("127.0.0.1:5000", {}));
  EXPECT_TRUE(registry_uses_plain_http("127.3.2.1", {}));
  EXPECT_FALSE(registry_uses_plain_http("128.0.0.1:5000", {}));
  EXPECT_FALSE(registry_uses_plain_http("localhost:5000", {}));
  EXPECT_FALSE(registry_uses_plain_http("registry.local:5000", {}));
  EXPECT_TRUE(registry_uses_plain_http("registry.local:5000", {"registry.local:5000"}));
  EXPECT_TRUE(registry_uses_plain_http("registry.local:5000", {"registry.local"}));
  EXPECT_FALSE(registry_uses_plain_http("registry.local:5000", {"registry.local:6000"}));
  auto hub = parse_image_reference("busybox");
  EXPECT_EQ(registry_host(*hub), "registry-1.docker.io");
}

}  // namespace
}  // namespace bosun::runtime
