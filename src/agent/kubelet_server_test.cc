// The agent's kubelet port over real HTTPS: who may call it (a client certificate of the cluster
// CA, and only the API server's client or an admin), /containerLogs with the kubelet's options
// and messages, and exec refusing a request that is not a WebSocket upgrade.
#include "agent/kubelet_server.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "agent/fake_runtime.h"
#include "apiserver/pki.h"
#include "http/upstream.h"

namespace bosun::agent {
namespace {

using apiserver::UpstreamClient;
using apiserver::UpstreamHandlers;
using apiserver::UpstreamHead;
using apiserver::UpstreamRequest;

struct Answer {
  int status = 0;
  std::string body;
  std::string error;
};

class KubeletServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-kubelet-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto ca = apiserver::generate_ca("test-ca", Clock::real());
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_ = *ca;

    runtime::SandboxConfig s;
    s.pod_uid = "u1";
    s.pod_name = "web";
    s.pod_namespace = "default";
    ASSERT_TRUE(runtime_.run_pod_sandbox(s).ok());
    log_path_ = dir_ + "/app-0.log";
    std::ofstream(log_path_) << "2026-01-01T00:00:00.000000001Z stdout F hello\n"
                                "2026-01-01T00:00:01.000000001Z stderr F world\n";
    ContainerConfig c;
    c.pod_uid = "u1";
    c.name = "app";
    c.image = "busybox:1.36";
    c.log_path = log_path_;
    auto id = runtime_.create_container(c);
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(runtime_.start_container(*id).ok());

    KubeletServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.client_ca_pem = ca_.cert_pem;
    o.node_name = "n1";
    o.runtime = &runtime_;
    o.exec = [](const ExecSpec&) -> Result<std::unique_ptr<ExecProcess>> {
      return make_error(ErrorCode::kInternal, "no process may start in this test");
    };
    auto server = KubeletServer::start(o);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(server).value();
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A GET as `user` (no certificate when empty).
  Answer get(const std::string& target, const std::string& user,
             const std::vector<std::string>& groups = {}) {
    apiserver::UpstreamTls tls;
    if (!user.empty()) {
      auto cred = apiserver::issue_client_certificate(ca_, user, groups, Clock::real());
      EXPECT_TRUE(cred.ok());
      tls.client_cert_pem = cred->cert_pem;
      tls.client_key_pem = cred->key_pem;
    }
    auto client = UpstreamClient::create(tls);
    EXPECT_TRUE(client.ok());
    std::mutex mu;
    std::condition_variable cv;
    Answer a;
    bool done = false;
    UpstreamHandlers h;
    h.on_head = [&](Result<UpstreamHead> head) {
      std::lock_guard lock(mu);
      if (!head.ok()) {
        a.error = head.error().message;
        done = true;
        cv.notify_all();
        return;
      }
      a.status = head->status;
    };
    h.on_data = [&](std::string_view d) {
      std::lock_guard lock(mu);
      a.body.append(d);
    };
    h.on_end = [&](Result<void>) {
      std::lock_guard lock(mu);
      done = true;
      cv.notify_all();
    };
    UpstreamRequest r;
    r.host = "127.0.0.1";
    r.port = server_->port();
    r.target = target;
    auto call = (*client)->call(r, h);
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return done; }));
    return a;
  }

  std::string dir_;
  std::string log_path_;
  apiserver::Credential ca_;
  FakeRuntime runtime_;
  std::unique_ptr<KubeletServer> server_;
};

TEST_F(KubeletServerTest, WithoutACertificateOnlyHealthz) {
  EXPECT_EQ(get("/healthz", "").status, 200);
  Answer a = get("/containerLogs/default/web/app", "");
  EXPECT_EQ(a.status, 401) << a.error;
  EXPECT_NE(a.body.find("Unauthorized"), std::string::npos) << a.body;
}

TEST_F(KubeletServerTest, OtherUsersOfTheClusterAreForbidden) {
  Answer a = get("/containerLogs/default/web/app", "system:node:n2", {"system:nodes"});
  EXPECT_EQ(a.status, 403) << a.error;
  EXPECT_NE(a.body.find("Forbidden (user=system:node:n2, verb=get, resource=nodes, "
                        "subresource=proxy)"),
            std::string::npos)
      << a.body;
}

TEST_F(KubeletServerTest, ServesLogsToTheApiServerAndAdmins) {
  Answer a = get("/containerLogs/default/web/app", std::string(kApiServerKubeletClientUser));
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "hello\nworld\n");
  a = get("/containerLogs/default/web/app?tailLines=1&timestamps=true", "admin",
          {"system:masters"});
  EXPECT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.body, "2026-01-01T00:00:01.000000001Z world\n");
}

TEST_F(KubeletServerTest, KubeletMessagesForMissingContainers) {
  const std::string user(kApiServerKubeletClientUser);
  Answer a = get("/containerLogs/default/web/app?previous=true", user);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("previous terminated container \\\"app\\\" in pod \\\"web\\\" not found"),
            std::string::npos)
      << a.body;
  a = get("/containerLogs/default/web/sidecar", user);
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("is waiting to start: ContainerCreating"), std::string::npos) << a.body;
  a = get("/containerLogs/default/gone/app", user);
  EXPECT_EQ(a.status, 404);
  a = get("/containerLogs/default/web/app?tailLines=x", user);
  EXPECT_EQ(a.status, 400);
}

TEST_F(KubeletServerTest, ExecNeedsAWebSocketUpgrade) {
  Answer a =
      get("/exec/default/web/app?command=ls&stdout=true", std::string(kApiServerKubeletClientUser));
  EXPECT_EQ(a.status, 400);
  EXPECT_NE(a.body.find("Upgrade request required"), std::string::npos) << a.body;
}

}  // namespace
}  // namespace bosun::agent
