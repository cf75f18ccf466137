// The Status an exec session ends with: kubectl exits with the ExitCode cause's number.
#include "agent/exec_session.h"

#include <gtest/gtest.h>

#include "agent/kubelet_server.h"
#include "common/json.h"

namespace bosun::agent {
namespace {

TEST(ExecStatus, SuccessForExitZero) {
  EXPECT_EQ(Json::parse(exec_status_json(0)), Json::parse(R"({"metadata":{},"status":"Success"})"));
}

TEST(ExecStatus, NonZeroExitCodeCarriesTheCode) {
  Json s = Json::parse(exec_status_json(3));
  EXPECT_EQ(s["status"], "Failure");
  EXPECT_EQ(s["reason"], "NonZeroExitCode");
  EXPECT_EQ(s["details"]["causes"], Json::parse(R"([{"reason":"ExitCode","message":"3"}])"));
}

TEST(KubeletAuthorization, OnlyTheApiServerClientOrAdmins) {
  apiserver::UserInfo apiserver_client{
      "kube-apiserver-kubelet-client", "", {"system:authenticated"}};
  apiserver::UserInfo admin{"admin", "", {"system:masters", "system:authenticated"}};
  apiserver::UserInfo node{"system:node:n1", "", {"system:nodes", "system:authenticated"}};
  EXPECT_TRUE(may_use_kubelet_api(apiserver_client));
  EXPECT_TRUE(may_use_kubelet_api(admin));
  EXPECT_FALSE(may_use_kubelet_api(node));
  EXPECT_FALSE(may_use_kubelet_api(apiserver::UserInfo{"system:anonymous", "", {}}));
}

TEST(SelfSignedCertificate, IsPem) {
  auto c = make_self_signed_certificate("n1@1", {"localhost", "127.0.0.1"},
                                        std::chrono::system_clock::now());
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->cert_pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_NE(c->key_pem.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace bosun::agent
