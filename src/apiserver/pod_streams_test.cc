// The pieces of the pods/log and pods/exec proxy: Kubernetes' container and status messages, the
// upstream client's streamed body and its relay of an upgraded connection (through the HTTP
// server's Exchange::upgrade), and the client certificate the upstream requires.
#include "apiserver/pod_streams.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "apiserver/apiserver.h"
#include "http/websocket.h"

namespace bosun::apiserver {
namespace {

Json two_container_pod() {
  return Json::parse(R"({
    "metadata": {"name": "web", "namespace": "default"},
    "spec": {"nodeName": "n1", "containers": [{"name": "a"}, {"name": "b"}]},
    "status": {"containerStatuses": [
      {"name": "a", "state": {"running": {}}, "lastState": {}},
      {"name": "b", "state": {"waiting": {"reason": "CrashLoopBackOff"}},
       "lastState": {"terminated": {"exitCode": 1}}}]}
  })");
}

TEST(PodStreamContainer, NeedsANameWhenThePodHasSeveral) {
  auto r = pod_stream_container(two_container_pod(), "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(r.error().message,
            "a container name must be specified for pod web, choose one of: [a b]");
}

TEST(PodStreamContainer, ListsInitContainersToo) {
  Json pod = two_container_pod();
  pod["spec"]["initContainers"] = Json::array({{{"name", "setup"}}});
  auto r = pod_stream_container(pod, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "a container name must be specified for pod web, choose one of: [a b] or one of the "
            "init containers: [setup]");
  EXPECT_EQ(*pod_stream_container(pod, "setup"), "setup");
}

TEST(PodStreamContainer, TheOnlyContainerIsTheDefault) {
  Json pod = two_container_pod();
  pod["spec"]["containers"].erase(1);
  EXPECT_EQ(*pod_stream_container(pod, ""), "a");
}

TEST(PodStreamContainer, UnknownContainer) {
  auto r = pod_stream_container(two_container_pod(), "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "container x is not valid for pod web");
}

TEST(CheckLogStatus, WaitingContainerGivesItsReason) {
  auto r = check_log_status(two_container_pod(), "b", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(r.error().message,
            "container \"b\" in pod \"web\" is waiting to start: CrashLoopBackOff");
  // Its previous run is there.
  EXPECT_TRUE(check_log_status(two_container_pod(), "b", true).ok());
}

TEST(CheckLogStatus, NoStatusYetIsContainerCreating) {
  Json pod = two_container_pod();
  pod.erase("status");
  auto r = check_log_status(pod, "a", false);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "container \"a\" in pod \"web\" is waiting to start: ContainerCreating");
}

TEST(CheckLogStatus, PreviousNeedsATerminatedLastState) {
  EXPECT_TRUE(check_log_status(two_container_pod(), "a", false).ok());
  auto r = check_log_status(two_container_pod(), "a", true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "previous terminated container \"a\" in pod \"web\" not found");
}

// Waits for a condition set from callbacks on other threads.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<Result<UpstreamHead>> head;
  std::string data;
  std::optional<bool> ended_ok;

  template <typename Pred>
  bool wait(Pred pred) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return pred(); });
  }
  UpstreamHandlers handlers() {
    UpstreamHandlers h;
    h.on_head = [this](Result<UpstreamHead> r) {
      std::lock_guard lock(mu);
      head = std::move(r);
      cv.notify_all();
    };
    h.on_data = [this](std::string_view d) {
      std::lock_guard lock(mu);
      data.append(d);
      cv.notify_all();
    };
    h.on_end = [this](Result<void> r) {
      std::lock_guard lock(mu);
      ended_ok = r.ok();
      cv.notify_all();
    };
    return h;
  }
};

// An upstream standing in for the agent: a streamed log and an upgrade that echoes.
class UpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-upstream-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ApiServerOptions o;
    o.data_dir = dir_;
    o.listen = "127.0.0.1:0";
    o.io_threads = 1;
    o.worker_threads = 2;
    o.metrics = &metrics_;
    o.install_routes = [](Router& r, HealthChecks&) -> Result<void> {
      r.handle_prefix("/containerLogs/", Route{[](const std::shared_ptr<Exchange>& ex) {
                        StreamHead h;
                        h.content_type = "text/plain";
                        auto s = ex->start_stream(h);
                        s->write("line 1\n");
                        s->write("line 2\n");
                        s->write(std::string(ex->request().target) + "\n");
                        s->finish();
                      }});
      r.handle_prefix("/exec/", Route{[](const std::shared_ptr<Exchange>& ex) {
                        if (!ex->request().wants_websocket()) {
                          return ex->respond(Response::text(400, "upgrade required"));
                        }
                        Response sw;
                        sw.status = 101;
                        sw.headers.add("Upgrade", "websocket");
                        sw.headers.add("Connection", "Upgrade");
                        sw.headers.add("Sec-WebSocket-Protocol", "v5.channel.k8s.io");
                        auto up = ex->upgrade(std::move(sw));
                        std::weak_ptr<UpgradedStream> weak = up;
                        up->start(
                            [weak](std::string_view d) {
                              auto u = weak.lock();
                              if (!u) return;
                              if (d.find("bye") != std::string_view::npos) {
                                u->write("closing");
                                u->close();
                                return;
                              }
                              u->write("echo:" + std::string(d));
                            },
                            [] {});
                      }});
      return ok_result();
    };
    auto s = ApiServer::start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = UpstreamClient::create(
        {server_->pki().admin.cert_pem, server_->pki().admin.key_pem, server_->pki().ca.cert_pem});
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  void TearDown() override {
    client_.reset();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }
  UpstreamRequest request(std::string target) {
    UpstreamRequest r;
    r.host = "127.0.0.1";
    r.port = server_->port();
    r.target = std::move(target);
    return r;
  }

  std::string dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<ApiServer> server_;
  std::unique_ptr<UpstreamClient> client_;
};

TEST_F(UpstreamTest, StreamsAChunkedBodyDechunked) {
  Collector c;
  auto call = client_->call(request("/containerLogs/default/web/a?follow=true"), c.handlers());
  ASSERT_TRUE(c.wait([&] { return c.ended_ok.has_value(); }));
  ASSERT_TRUE(c.head && c.head->ok());
  EXPECT_EQ((*c.head)->status, 200);
  EXPECT_TRUE(*c.ended_ok);
  EXPECT_EQ(c.data, "line 1\nline 2\n/containerLogs/default/web/a?follow=true\n");
}

TEST_F(UpstreamTest, RelaysAnUpgradedConnectionBothWays) {
  Collector c;
  auto req = request("/exec/default/web/a?command=sh");
  req.headers.add("Connection", "Upgrade");
  req.headers.add("Upgrade", "websocket");
  req.headers.add("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");
  req.headers.add("Sec-WebSocket-Version", "13");
  auto call = client_->call(req, c.handlers());
  ASSERT_TRUE(c.wait([&] { return c.head.has_value(); }));
  ASSERT_TRUE(c.head->ok()) << c.head->error().message;
  EXPECT_EQ((*c.head)->status, 101);
  EXPECT_EQ((*c.head)->headers.get("Sec-WebSocket-Protocol").value_or(""), "v5.channel.k8s.io");
  ASSERT_TRUE(call->write("hello"));
  ASSERT_TRUE(c.wait([&] { return c.data == "echo:hello"; })) << c.data;
  call->write("bye");
  ASSERT_TRUE(c.wait([&] { return c.ended_ok.has_value(); }));
  EXPECT_EQ(c.data, "echo:helloclosing");
}

TEST_F(UpstreamTest, WithoutAClientCertificateTheUpstreamSays401) {
  auto anonymous = UpstreamClient::create({});
  ASSERT_TRUE(anonymous.ok());
  Collector c;
  auto call = (*anonymous)->call(request("/containerLogs/default/web/a"), c.handlers());
  ASSERT_TRUE(c.wait([&] { return c.ended_ok.has_value(); }));
  ASSERT_TRUE(c.head->ok());
  EXPECT_EQ((*c.head)->status, 401);
  EXPECT_NE(c.data.find("Unauthorized"), std::string::npos) << c.data;
}

TEST_F(UpstreamTest, AnUnreachableUpstreamIsServiceUnavailable) {
  Collector c;
  UpstreamRequest r = request("/containerLogs/default/web/a");
  r.port = 1;  // nothing listens there
  auto call = client_->call(r, c.handlers());
  ASSERT_TRUE(c.wait([&] { return c.head.has_value(); }));
  ASSERT_FALSE(c.head->ok());
  EXPECT_EQ(c.head->error().code, ErrorCode::kServiceUnavailable);
  EXPECT_NE(c.head->error().message.find("error dialing backend"), std::string::npos);
}

}  // namespace
}  // namespace bosun::apiserver
