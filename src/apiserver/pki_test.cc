#include "apiserver/pki.h"
#include "common/file_util.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "common/clock.h"

namespace bosun::apiserver {
namespace {

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-pki-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  PkiOptions options(std::vector<std::string> hosts = {"127.0.0.1", "localhost"}) {
    return PkiOptions{dir_ + "/data", std::move(hosts), &clock_};
  }

  std::string dir_;
  FakeClock clock_;
};

unsigned mode_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

X509* parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return x;
}

// Verifies leaf against ca for the given purpose at the fake clock's time; returns the X509 error
// (0 = ok).
int verify(const std::string& ca_pem, const std::string& leaf_pem, int purpose, Clock& clock,
           const char* host = nullptr) {
  X509* ca = parse(ca_pem);
  X509* leaf = parse(leaf_pem);
  X509_STORE* store = X509_STORE_new();
  X509_STORE_add_cert(store, ca);
  X509_STORE_CTX* ctx = X509_STORE_CTX_new();
  X509_STORE_CTX_init(ctx, store, leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx, purpose);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
                             std::chrono::system_clock::to_time_t(clock.now()));
  if (host) X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(ctx), host, 0);
  int rc = X509_verify_cert(ctx) == 1 ? 0 : X509_STORE_CTX_get_error(ctx);
  X509_STORE_CTX_free(ctx);
  X509_STORE_free(store);
  X509_free(leaf);
  X509_free(ca);
  return rc;
}

std::string subject(const std::string& pem) {
  X509* x = parse(pem);
  char buf[256];
  X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof buf);
  X509_free(x);
  return buf;
}

TEST_F(PkiTest, FirstStartCreatesEverythingWithPrivateKeyModes) {
  auto pki = ensure_pki(options());
  ASSERT_TRUE(pki.ok()) << pki.error().message;
  PkiPaths paths(dir_ + "/data");
  EXPECT_EQ(mode_of(paths.tls_dir), 0700u);
  EXPECT_EQ(mode_of(paths.ca_key), 0600u);
  EXPECT_EQ(mode_of(paths.serving_key), 0600u);
  EXPECT_EQ(mode_of(paths.admin_key), 0600u);
  EXPECT_EQ(mode_of(paths.node_token), 0600u);
  EXPECT_EQ(mode_of(paths.ca_cert), 0644u);
  EXPECT_EQ(
      verify(pki->ca.cert_pem, pki->serving.cert_pem, X509_PURPOSE_SSL_SERVER, clock_, "localhost"),
      0);
  EXPECT_EQ(verify(pki->ca.cert_pem, pki->admin.cert_pem, X509_PURPOSE_SSL_CLIENT, clock_), 0);
  // The admin certificate is not good for serving, nor the serving one for clients.
  EXPECT_NE(verify(pki->ca.cert_pem, pki->admin.cert_pem, X509_PURPOSE_SSL_SERVER, clock_), 0);
  EXPECT_NE(verify(pki->ca.cert_pem, pki->serving.cert_pem, X509_PURPOSE_SSL_CLIENT, clock_), 0);
  EXPECT_EQ(subject(pki->admin.cert_pem), "/O=system:masters/CN=admin");
  EXPECT_EQ(pki->serving_sans, (std::vector<std::string>{"127.0.0.1", "localhost"}));
}

TEST_F(PkiTest, NodeTokenHasTheBootstrapTokenShape) {
  auto pki = ensure_pki(options());
  ASSERT_TRUE(pki.ok());
  const std::string& t = pki->node_token;
  ASSERT_EQ(t.size(), 23u);
  EXPECT_EQ(t[6], '.');
  for (size_t i = 0; i < t.size(); ++i) {
    if (i == 6) continue;
    EXPECT_TRUE((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9')) << t;
  }
  auto file = read_file(PkiPaths(dir_ + "/data").node_token);
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, t + "\n");
}

TEST_F(PkiTest, SecondStartReusesEverything) {
  auto first = ensure_pki(options());
  ASSERT_TRUE(first.ok());
  clock_.advance(std::chrono::hours(24 * 30));
  auto second = ensure_pki(options());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->ca.cert_pem, second->ca.cert_pem);
  EXPECT_EQ(first->ca.key_pem, second->ca.key_pem);
  EXPECT_EQ(first->serving.cert_pem, second->serving.cert_pem);
  EXPECT_EQ(first->admin.cert_pem, second->admin.cert_pem);
  EXPECT_EQ(first->node_token, second->node_token);
}

TEST_F(PkiTest, ChangedNamesReissueOnlyTheServingCertificate) {
  auto first = ensure_pki(options({"127.0.0.1", "localhost"}));
  ASSERT_TRUE(first.ok());
  auto second = ensure_pki(options({"127.0.0.1", "localhost", "10.0.0.5", "node-a.example"}));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->ca.cert_pem, second->ca.cert_pem);
  EXPECT_EQ(first->admin.cert_pem, second->admin.cert_pem);
  EXPECT_NE(first->serving.cert_pem, second->serving.cert_pem);
  EXPECT_EQ(second->serving_sans,
            (std::vector<std::string>{"10.0.0.5", "127.0.0.1", "localhost", "node-a.example"}));
  EXPECT_EQ(verify(second->ca.cert_pem, second->serving.cert_pem, X509_PURPOSE_SSL_SERVER, clock_,
                   "node-a.example"),
            0);
}

TEST_F(PkiTest, IpAddressesAreComparedCanonically) {
  auto first = ensure_pki(options({"::1", "localhost"}));
  ASSERT_TRUE(first.ok());
  auto second = ensure_pki(options({"0:0:0:0:0:0:0:1", "LOCALHOST"}));
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->serving.cert_pem, second->serving.cert_pem);
}

TEST_F(PkiTest, LeafCertificatesNearExpiryAreRenewed) {
  auto first = ensure_pki(options());
  ASSERT_TRUE(first.ok());
  // 300 days later, less than 90 days of the one-year certificates remain.
  clock_.advance(std::chrono::hours(24 * 300));
  auto second = ensure_pki(options());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->ca.cert_pem, second->ca.cert_pem);
  EXPECT_NE(first->serving.cert_pem, second->serving.cert_pem);
  EXPECT_NE(first->admin.cert_pem, second->admin.cert_pem);
  EXPECT_EQ(verify(second->ca.cert_pem, second->serving.cert_pem, X509_PURPOSE_SSL_SERVER, clock_),
            0);
}

TEST_F(PkiTest, ABrokenCaIsAnErrorNotSilentlyReplaced) {
  ASSERT_TRUE(ensure_pki(options()).ok());
  PkiPaths paths(dir_ + "/data");
  ASSERT_TRUE(write_file_atomic(paths.ca_key, "garbage", {.mode = 0600}).ok());
  auto again = ensure_pki(options());
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("remove the directory"), std::string::npos);
}

TEST_F(PkiTest, ACertificateFromAnotherCaIsReplaced) {
  auto first = ensure_pki(options());
  ASSERT_TRUE(first.ok());
  auto other_ca = generate_ca("other", clock_);
  ASSERT_TRUE(other_ca.ok());
  auto foreign = issue_client_certificate(*other_ca, "admin", {"system:masters"}, clock_);
  ASSERT_TRUE(foreign.ok());
  PkiPaths paths(dir_ + "/data");
  ASSERT_TRUE(write_file_atomic(paths.admin_cert, foreign->cert_pem, {.mode = 0644}).ok());
  ASSERT_TRUE(write_file_atomic(paths.admin_key, foreign->key_pem, {.mode = 0600}).ok());
  auto second = ensure_pki(options());
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->admin.cert_pem, foreign->cert_pem);
  EXPECT_EQ(verify(second->ca.cert_pem, second->admin.cert_pem, X509_PURPOSE_SSL_CLIENT, clock_),
            0);
}

TEST_F(PkiTest, KubeconfigEmbedsCaAndAdminCredential) {
  auto pki = ensure_pki(options());
  ASSERT_TRUE(pki.ok());
  std::string path = dir_ + "/data/kubeconfig";
  ASSERT_TRUE(write_kubeconfig(path, "https://127.0.0.1:6443", *pki).ok());
  EXPECT_EQ(mode_of(path), 0600u);
  YAML::Node k = YAML::LoadFile(path);
  EXPECT_EQ(k["kind"].as<std::string>(), "Config");
  EXPECT_EQ(k["current-context"].as<std::string>(), "bosun");
  EXPECT_EQ(k["clusters"][0]["cluster"]["server"].as<std::string>(), "https://127.0.0.1:6443");
  EXPECT_EQ(k["contexts"][0]["context"]["user"].as<std::string>(), "admin");
  std::string ca_b64 = k["clusters"][0]["cluster"]["certificate-authority-data"].as<std::string>();
  std::string decoded(ca_b64.size(), '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(decoded.data()),
                          reinterpret_cast<const unsigned char*>(ca_b64.data()),
                          static_cast<int>(ca_b64.size()));
  ASSERT_GT(n, 0);
  EXPECT_EQ(decoded.substr(0, pki->ca.cert_pem.size()), pki->ca.cert_pem);
  EXPECT_FALSE(k["users"][0]["user"]["client-key-data"].as<std::string>().empty());
}

TEST_F(PkiTest, DefaultServingHostsCoverLoopbackAndTheKubernetesService) {
  auto hosts = default_serving_hosts("127.0.0.1");
  for (const char* want : {"localhost", "127.0.0.1", "::1", "kubernetes.default.svc"}) {
    EXPECT_NE(std::find(hosts.begin(), hosts.end(), want), hosts.end()) << want;
  }
  auto specific = default_serving_hosts("10.1.2.3");
  EXPECT_NE(std::find(specific.begin(), specific.end(), "10.1.2.3"), specific.end());
  auto wildcard = default_serving_hosts("0.0.0.0");
  EXPECT_EQ(std::find(wildcard.begin(), wildcard.end(), "0.0.0.0"), wildcard.end());
}

}  // namespace
}  // namespace bosun::apiserver
