// Kubeconfig loading as kubectl reads it: the current context picks a cluster and a user, inline
// (*-data) and file credentials, tokens, insecure-skip-tls-verify, and the file `bosun server`
// writes.
#include "client/kubeconfig.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "apiserver/rest_test_server.h"

namespace bosun::client {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/bosun-kubeconfig-test-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path_ + "/" + name) << text;
  }

 private:
  std::string path_;
};

constexpr char kTwoContexts[] = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://prod.example:6443
    certificate-authority-data: Q0EgUEVN
- name: dev
  cluster:
    server: https://127.0.0.1:7443/prefix
    insecure-skip-tls-verify: true
contexts:
- name: prod-admin
  context: {cluster: prod, user: admin}
- name: dev-bot
  context: {cluster: dev, user: bot}
current-context: prod-admin
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: bot
  user:
    token: abc.def
)";

TEST(KubeconfigTest, CurrentContextPicksClusterAndUser) {
  auto c = parse_kubeconfig(kTwoContexts, "/nowhere");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://prod.example:6443");
  EXPECT_EQ(c->ca_pem, "CA PEM");
  EXPECT_EQ(c->client_cert_pem, "CERT");
  EXPECT_EQ(c->client_key_pem, "KEY");
  EXPECT_FALSE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->token, "");
}

TEST(KubeconfigTest, NamedContextWithTokenAndInsecure) {
  auto c = parse_kubeconfig(kTwoContexts, "/nowhere", "dev-bot");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://127.0.0.1:7443/prefix");
  EXPECT_TRUE(c->insecure_skip_tls_verify);
  EXPECT_EQ(c->token, "abc.def");
  EXPECT_EQ(c->ca_pem, "");
}

TEST(KubeconfigTest, MissingContextIsNotFoundInKubectlWords) {
  auto c = parse_kubeconfig(kTwoContexts, "/nowhere", "staging");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(c.error().message, "context \"staging\" does not exist");
}

TEST(KubeconfigTest, MalformedInputIsAnErrorNotACrash) {
  for (const char* text : {"", "- a\n- b\n", "current-context: x\n", "{{{", "contexts: 3\n",
                           "current-context: c\ncontexts:\n- name: c\n  context: 5\n"}) {
    auto c = parse_kubeconfig(text, "/nowhere");
    EXPECT_FALSE(c.ok()) << text;
  }
  auto bad64 = parse_kubeconfig(
      "current-context: c\ncontexts:\n- name: c\n  context: {cluster: k}\nclusters:\n- name: k\n"
      "  cluster: {server: 'https://x', certificate-authority-data: '!!!'}\n",
      "/nowhere");
  ASSERT_FALSE(bad64.ok());
  EXPECT_EQ(bad64.error().code, ErrorCode::kBadRequest);
}

TEST(KubeconfigTest, RelativeFilesResolveAgainstTheKubeconfigsDirectory) {
  TempDir dir;
  dir.write("ca.crt", "FILE CA");
  dir.write("client.crt", "FILE CERT");
  dir.write("client.key", "FILE KEY");
  dir.write("token", "tok-from-file\n");
  dir.write("config", R"(current-context: c
contexts:
- name: c
  context: {cluster: k, user: u}
clusters:
- name: k
  cluster: {server: 'https://10.0.0.1', certificate-authority: ca.crt}
users:
- name: u
  user: {client-certificate: client.crt, client-key: client.key, tokenFile: token}
)");
  auto c = load_kubeconfig(dir.path() + "/config");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ca_pem, "FILE CA");
  EXPECT_EQ(c->client_cert_pem, "FILE CERT");
  EXPECT_EQ(c->client_key_pem, "FILE KEY");
  EXPECT_EQ(c->token_file, dir.path() + "/token");
}

TEST(KubeconfigTest, LoadsTheKubeconfigTheServerWrites) {
  auto server = apiserver::testing::RestTestServer::start();
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto& pki = (*server)->stack().server().pki();
  auto c = load_kubeconfig((*server)->data_dir() + "/kubeconfig");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ca_pem, pki.ca.cert_pem);
  EXPECT_EQ(c->client_cert_pem, pki.admin.cert_pem);
  EXPECT_EQ(c->client_key_pem, pki.admin.key_pem);
  EXPECT_EQ(c->server.rfind("https://", 0), 0u);
}

TEST(KubeconfigTest, TokenFileConfigForJoiningAgents) {
  TempDir dir;
  dir.write("ca.crt", "CA");
  dir.write("node-token", "abcdef.0123456789abcdef\n");
  auto c = token_file_config("https://10.0.0.1:6443", dir.path() + "/ca.crt",
                             dir.path() + "/node-token");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->ca_pem, "CA");
  EXPECT_EQ(c->token_file, dir.path() + "/node-token");
  auto missing = token_file_config("https://x", dir.path() + "/nope", dir.path() + "/node-token");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace bosun::client
