#include "apiserver/authn.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <filesystem>

#include "apiserver/pki.h"
#include "common/clock.h"

namespace bosun::apiserver {
namespace {

std::string der_of(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  unsigned char* out = nullptr;
  int n = i2d_X509(x, &out);
  std::string der(reinterpret_cast<char*>(out), n);
  OPENSSL_free(out);
  X509_free(x);
  return der;
}

class AuthnTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = generate_ca("test-ca", clock_);
    ASSERT_TRUE(ca.ok());
    ca_ = *ca;
    AuthnOptions o;
    o.client_ca_pem = ca_.cert_pem;
    o.tokens.push_back({"abcdef.0123456789abcdef", node_token_user("abcdef.0123456789abcdef")});
    o.clock = &clock_;
    auto a = Authenticator::create(std::move(o));
    ASSERT_TRUE(a.ok()) << a.error().message;
    authn_ = std::move(a).value();
  }

  CertificateOutcome cert(const Credential& c) {
    return authn_->authenticate_certificate({der_of(c.cert_pem)});
  }

  FakeClock clock_;
  Credential ca_;
  std::unique_ptr<Authenticator> authn_;
};

TEST_F(AuthnTest, ClientCertificateGivesUserFromCnAndGroupsFromO) {
  auto admin = issue_client_certificate(ca_, "admin", {"system:masters", "ops"}, clock_);
  ASSERT_TRUE(admin.ok());
  auto user = authn_->authenticate(cert(*admin), "");
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_EQ(user->name, "admin");
  EXPECT_EQ(user->groups,
            (std::vector<std::string>{"system:masters", "ops", "system:authenticated"}));
}

TEST_F(AuthnTest, CertificateFromAnotherCaIsUnauthorized) {
  auto other = generate_ca("other", clock_);
  ASSERT_TRUE(other.ok());
  auto foreign = issue_client_certificate(*other, "admin", {"system:masters"}, clock_);
  ASSERT_TRUE(foreign.ok());
  auto outcome = cert(*foreign);
  ASSERT_FALSE(outcome.ok());
  auto user = authn_->authenticate(outcome, "");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(user.error().message, "Unauthorized");
}

TEST_F(AuthnTest, ExpiredCertificateIsUnauthorized) {
  auto shortlived = issue_client_certificate(ca_, "admin", {}, clock_, std::chrono::hours(2));
  ASSERT_TRUE(shortlived.ok());
  EXPECT_TRUE(cert(*shortlived).ok());
  clock_.advance(std::chrono::hours(3));
  EXPECT_FALSE(cert(*shortlived).ok());
}

TEST_F(AuthnTest, GarbageCertificateIsUnauthorized) {
  EXPECT_FALSE(authn_->authenticate_certificate({"not a certificate"}).ok());
}

TEST_F(AuthnTest, NoCertificateAndNoTokenIsAnonymous) {
  auto user = authn_->authenticate(authn_->authenticate_certificate({}), "");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->name, "system:anonymous");
  EXPECT_EQ(user->groups, std::vector<std::string>{"system:unauthenticated"});
  EXPECT_TRUE(user->is_anonymous());
}

TEST_F(AuthnTest, NodeTokenAuthenticatesAsBootstrapNode) {
  auto none = authn_->authenticate_certificate({});
  auto user = authn_->authenticate(none, "Bearer abcdef.0123456789abcdef");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->name, "system:bootstrap:abcdef");
  EXPECT_TRUE(user->in_group("system:nodes"));
  EXPECT_TRUE(user->in_group("system:authenticated"));
  // The scheme is case-insensitive, as in Kubernetes' bearertoken authenticator.
  EXPECT_TRUE(authn_->authenticate(none, "bearer abcdef.0123456789abcdef").ok());
}

TEST_F(AuthnTest, UnknownTokenIsUnauthorizedEvenThoughAnonymousWouldBeAllowed) {
  auto user =
      authn_->authenticate(authn_->authenticate_certificate({}), "Bearer abcdef.0123456789abcdeX");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().code, ErrorCode::kUnauthorized);
}

TEST_F(AuthnTest, OtherSchemesAndEmptyTokensAreNoCredential) {
  auto none = authn_->authenticate_certificate({});
  for (const char* header : {"Basic YWRtaW46YWRtaW4=", "Bearer", "Bearer ", "   "}) {
    auto user = authn_->authenticate(none, header);
    ASSERT_TRUE(user.ok()) << header;
    EXPECT_TRUE(user->is_anonymous()) << header;
  }
}

TEST_F(AuthnTest, ValidTokenRescuesABadCertificateAsTheUnionAuthenticatorDoes) {
  auto user = authn_->authenticate(authn_->authenticate_certificate({"junk"}),
                                   "Bearer abcdef.0123456789abcdef");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->name, "system:bootstrap:abcdef");
}

TEST_F(AuthnTest, CertificateWithoutClientAuthUsageIsRejected) {
  // A serving certificate is signed by the same CA but carries only serverAuth.
  char tmpl[] = "/tmp/bosun-authn-test-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  auto pki = ensure_pki(PkiOptions{tmpl, {"127.0.0.1"}, &clock_});
  ASSERT_TRUE(pki.ok());
  AuthnOptions o;
  o.client_ca_pem = pki->ca.cert_pem;
  o.clock = &clock_;
  auto a = Authenticator::create(std::move(o));
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE((*a)->authenticate_certificate({der_of(pki->serving.cert_pem)}).ok());
  EXPECT_TRUE((*a)->authenticate_certificate({der_of(pki->admin.cert_pem)}).ok());
  std::filesystem::remove_all(tmpl);
}

TEST_F(AuthnTest, CreateRejectsAnEmptyCaBundle) {
  AuthnOptions o;
  o.client_ca_pem = "nothing here";
  EXPECT_FALSE(Authenticator::create(std::move(o)).ok());
}

TEST(PublicPathsTest, HealthAndVersionAndTheirSubPathsArePublic) {
  for (const char* p : {"/healthz", "/livez", "/readyz", "/version", "/healthz/ping",
                        "/readyz/shutdown", "/version/"}) {
    EXPECT_TRUE(is_public_path(p)) << p;
  }
  for (const char* p : {"/", "/metrics", "/api", "/healthzz", "/versions", "/api/v1/healthz"}) {
    EXPECT_FALSE(is_public_path(p)) << p;
  }
}

TEST(NodeTokenUserTest, NeverLeaksTheSecret) {
  EXPECT_EQ(node_token_user("abcdef.secretsecret").name, "system:bootstrap:abcdef");
  EXPECT_EQ(node_token_user("customtokenwithoutdot").name, "system:bootstrap:node-token");
}

}  // namespace
}  // namespace bosun::apiserver
