#include "agent/prober.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>

#include "apiserver/rest_test_server.h"

namespace bosun::agent {
namespace {

using namespace std::chrono_literals;

bool is_root() { return ::geteuid() == 0; }

// A network namespace made for the test with only `lo` up, like a pod sandbox before the pod
// network exists. A thread stays in it so /proc/<pid>/task/<tid>/ns/net names it; it goes with
// the object.
class TestNetns {
 public:
  TestNetns() {
    std::promise<std::string> path;
    auto ready = path.get_future();
    thread_ = std::thread([this, &path] {
      if (::unshare(CLONE_NEWNET) != 0) {
        path.set_value("");
        return;
      }
      int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      ifreq ifr{};
      std::snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
      ::ioctl(s, SIOCGIFFLAGS, &ifr);
      ifr.ifr_flags |= IFF_UP;
      ::ioctl(s, SIOCSIFFLAGS, &ifr);
      ::close(s);
      path.set_value("/proc/" + std::to_string(::getpid()) + "/task/" +
                     std::to_string(::syscall(SYS_gettid)) + "/ns/net");
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return done_; });
    });
    path_ = ready.get();
  }
  ~TestNetns() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  const std::string& path() const { return path_; }

 private:
  std::thread thread_;
  std::string path_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

// A listener on 127.0.0.1:0 inside a namespace (empty path: here).
int listen_in(const std::string& netns, uint16_t* port) {
  auto fd = open_socket_in_netns(netns, AF_INET, SOCK_STREAM);
  if (!fd.ok()) return -1;
  int one = 1;
  ::setsockopt(*fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(*fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return -1;
  ::listen(*fd, 16);
  socklen_t len = sizeof addr;
  ::getsockname(*fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *port = ntohs(addr.sin_port);
  return *fd;
}

// A tiny HTTP server answering by path: /ok 200 "fine", /fail 500, /redirect 302 to /ok,
// /away 302 to another host, /loop 302 to itself, /slow never answers. It records requests.
class TestHttpServer {
 public:
  explicit TestHttpServer(const std::string& netns) {
    fd_ = listen_in(netns, &port_);
    thread_ = std::thread([this] { serve(); });
  }
  ~TestHttpServer() {
    stopping_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
    for (auto& t : slow_) t.join();
  }
  uint16_t port() const { return port_; }
  std::string last_request() {
    std::lock_guard lock(mu_);
    return requests_.empty() ? "" : requests_.back();
  }

 private:
  void serve() {
    while (!stopping_) {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[4096];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(c, buf, sizeof buf, 0);
        if (n <= 0) break;
        req.append(buf, n);
      }
      if (req.size() < 5) {  // a TCP probe: connected and closed
        ::close(c);
        continue;
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(req);
      }
      std::string path = req.substr(4, req.find(' ', 4) - 4);
      std::string resp;
      if (path == "/ok") {
        resp = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine";
      } else if (path == "/chunked") {
        resp =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
      } else if (path == "/fail") {
        resp = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 6\r\n\r\nbroken";
      } else if (path == "/redirect") {
        resp = "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\n\r\n";
      } else if (path == "/away") {
        resp =
            "HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/x\r\nContent-Length: "
            "5\r\n\r\nmoved";
      } else if (path == "/loop") {
        resp = "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n";
      } else if (path == "/slow") {
        slow_.emplace_back([c] {
          std::this_thread::sleep_for(1500ms);
          ::close(c);
        });
        continue;
      } else {
        resp = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
      }
      ::send(c, resp.data(), resp.size(), MSG_NOSIGNAL);
      ::close(c);
    }
  }
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::thread> slow_;
  std::mutex mu_;
  std::vector<std::string> requests_;
};

TEST(ProbePort, NumbersNamesAndKubernetesErrors) {
  Json container = {{"ports", Json::array({{{"name", "http"}, {"containerPort", 8080}}})}};
  EXPECT_EQ(*resolve_probe_port(80, container), 80);
  EXPECT_EQ(*resolve_probe_port("http", container), 8080);
  EXPECT_EQ(*resolve_probe_port("9090", container), 9090);  // a number written as a string
  EXPECT_EQ(resolve_probe_port("metrics", container).error().message,
            "strconv.Atoi: parsing \"metrics\": invalid syntax");
  EXPECT_EQ(resolve_probe_port(0, container).error().message, "invalid port number: 0");
  EXPECT_EQ(resolve_probe_port(70000, container).error().message, "invalid port number: 70000");
}

TEST(Probe, ExecThroughTheCallback) {
  ProbeTarget target;
  std::vector<std::string> seen;
  std::chrono::milliseconds seen_timeout{};
  target.exec = [&](const std::vector<std::string>& cmd,
                    std::chrono::milliseconds timeout) -> Result<ExecSyncResult> {
    seen = cmd;
    seen_timeout = timeout;
    if (cmd.back() == "ok") return ExecSyncResult{0, "all good\n", false};
    if (cmd.back() == "slow") return ExecSyncResult{137, "", true};
    return ExecSyncResult{1, "not ready\n", false};
  };
  auto probe = [](std::string arg) {
    return Json{{"exec", {{"command", {"check", arg}}}}, {"timeoutSeconds", 3}};
  };
  ProbeOutcome ok = run_probe(probe("ok"), target);
  EXPECT_EQ(ok.result, ProbeResult::kSuccess);
  EXPECT_EQ(ok.output, "all good\n");
  EXPECT_EQ(seen, (std::vector<std::string>{"check", "ok"}));
  EXPECT_EQ(seen_timeout, 3s);
  ProbeOutcome bad = run_probe(probe("bad"), target);
  EXPECT_EQ(bad.result, ProbeResult::kFailure);
  EXPECT_EQ(bad.output, "not ready\n");
  ProbeOutcome slow = run_probe(probe("slow"), target);
  EXPECT_EQ(slow.result, ProbeResult::kFailure);
  EXPECT_EQ(slow.output, "command \"check slow\" timed out");
  EXPECT_EQ(run_probe(probe("ok"), ProbeTarget{}).result, ProbeResult::kUnknown);
  EXPECT_EQ(run_probe({{"grpc", {{"port", 9000}}}}, target).output,
            "gRPC probes are not supported by this node");
}

TEST(Probe, TcpAndHttpInsideThePodsNetworkNamespace) {
  if (!is_root()) GTEST_SKIP() << "network namespaces need root";
  TestNetns ns;
  ASSERT_FALSE(ns.path().empty());
  TestHttpServer server(ns.path());
  ASSERT_NE(server.port(), 0);
  const int port = server.port();

  // The listener is in the pod's namespace only: the same port on the host's loopback is closed.
  EXPECT_EQ(probe_tcp("", "127.0.0.1", port, 1s).result, ProbeResult::kFailure);
  ProbeOutcome tcp = probe_tcp(ns.path(), "127.0.0.1", port, 1s);
  EXPECT_EQ(tcp.result, ProbeResult::kSuccess) << tcp.output;
  uint16_t closed_port = 0;
  ::close(listen_in(ns.path(), &closed_port));
  ProbeOutcome refused = probe_tcp(ns.path(), "127.0.0.1", closed_port, 1s);
  EXPECT_EQ(refused.result, ProbeResult::kFailure);
  EXPECT_EQ(refused.output,
            "dial tcp 127.0.0.1:" + std::to_string(closed_port) + ": connect: connection refused");

  ProbeTarget target;
  target.netns_path = ns.path();
  target.container = {{"ports", Json::array({{{"name", "web"}, {"containerPort", port}}})}};
  auto http = [&](std::string path, Json extra = Json::object()) {
    Json get = {{"path", path}, {"port", "web"}};
    get.update(extra);
    return run_probe({{"httpGet", get}, {"timeoutSeconds", 1}}, target);
  };
  ProbeOutcome ok =
      http("/ok", {{"httpHeaders", Json::array({{{"name", "X-Probe"}, {"value", "1"}}})}});
  EXPECT_EQ(ok.result, ProbeResult::kSuccess) << ok.output;
  EXPECT_EQ(ok.output, "fine");
  std::string req = server.last_request();
  EXPECT_EQ(req.rfind("GET /ok HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("Host: 127.0.0.1:" + std::to_string(port) + "\r\n"), std::string::npos);
  EXPECT_NE(req.find("User-Agent: kube-probe/1.33\r\n"), std::string::npos);
  EXPECT_NE(req.find("Accept: */*\r\n"), std::string::npos);
  EXPECT_NE(req.find("X-Probe: 1\r\n"), std::string::npos);

  ProbeOutcome host =
      http("/ok", {{"httpHeaders", Json::array({{{"name", "Host"}, {"value", "web.local"}},
                                                {{"name", "Accept"}, {"value", ""}}})}});
  EXPECT_EQ(host.result, ProbeResult::kSuccess);
  req = server.last_request();
  EXPECT_NE(req.find("Host: web.local\r\n"), std::string::npos) << req;
  EXPECT_EQ(req.find("Accept:"), std::string::npos) << req;

  EXPECT_EQ(http("/chunked").output, "abcde");
  ProbeOutcome fail = http("/fail");
  EXPECT_EQ(fail.result, ProbeResult::kFailure);
  EXPECT_EQ(fail.output, "HTTP probe failed with statuscode: 500");
  EXPECT_EQ(http("/missing").output, "HTTP probe failed with statuscode: 404");
  ProbeOutcome redirect = http("/redirect");
  EXPECT_EQ(redirect.result, ProbeResult::kSuccess);
  EXPECT_EQ(redirect.output, "fine");
  ProbeOutcome away = http("/away");
  EXPECT_EQ(away.result, ProbeResult::kWarning);
  EXPECT_EQ(away.output, "Probe terminated redirects, Response body: moved");
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  EXPECT_EQ(http("/loop").output, "Get \"" + base + "/loop\": stopped after 10 redirects");
  ProbeOutcome slow = http("/slow");
  EXPECT_EQ(slow.result, ProbeResult::kFailure);
  EXPECT_EQ(slow.output, "Get \"" + base +
                             "/slow\": context deadline exceeded (Client.Timeout exceeded while "
                             "awaiting headers)");
  ProbeOutcome via_tcp = run_probe({{"tcpSocket", {{"port", "web"}}}}, target);
  EXPECT_EQ(via_tcp.result, ProbeResult::kSuccess) << via_tcp.output;
}

TEST(Probe, HttpsWithoutCertificateVerification) {
  auto server = apiserver::testing::RestTestServer::start();
  ASSERT_TRUE(server.ok()) << server.error().message;
  HttpProbeRequest req;
  req.scheme = "https";
  req.host = "127.0.0.1";
  req.port = (*server)->port();
  req.path = "/livez";
  ProbeOutcome out = probe_http("", req, 2s);
  // The server's certificate is signed by a CA the prober does not know; like the kubelet it
  // does not verify, so the probe reaches /livez.
  EXPECT_EQ(out.result, ProbeResult::kSuccess) << out.output;
  EXPECT_EQ(out.output, "ok");
}

// ---- the worker ----

struct Script {
  std::mutex mu;
  std::deque<ProbeOutcome> outcomes;
  ProbedContainer container{.id = "c1", .running = true, .started = true};
  bool exists = true;
  std::vector<ProbeUpdate> updates;
  int failures_seen = 0;
};

ProbeWorkerConfig config_for(ProbeType type, Json probe, Script& s) {
  ProbeWorkerConfig c;
  c.type = type;
  c.probe = std::move(probe);
  c.container = [&s]() -> std::optional<ProbedContainer> {
    std::lock_guard lock(s.mu);
    if (!s.exists) return std::nullopt;
    return s.container;
  };
  c.run = [&s](const Json&) {
    std::lock_guard lock(s.mu);
    if (s.outcomes.empty()) return ProbeOutcome{ProbeResult::kSuccess, ""};
    ProbeOutcome o = s.outcomes.front();
    s.outcomes.pop_front();
    return o;
  };
  c.on_update = [&s](const ProbeUpdate& u) {
    std::lock_guard lock(s.mu);
    s.updates.push_back(u);
  };
  c.on_probe_failed = [&s](ProbeType, const ProbeOutcome&) { ++s.failures_seen; };
  return c;
}

const ProbeOutcome kOk{ProbeResult::kSuccess, ""};
const ProbeOutcome kFail{ProbeResult::kFailure, "HTTP probe failed with statuscode: 503"};

TEST(ProbeWorker, ReadinessThresholds) {
  FakeClock clock;
  Script s;
  s.container.started_at = clock.now();
  ProbeWorker w(clock, config_for(ProbeType::kReadiness,
                                  {{"successThreshold", 2}, {"failureThreshold", 2}}, s));
  s.outcomes = {kOk, kOk, kFail, kOk, kFail, kFail};
  EXPECT_TRUE(w.step());  // new container: the initial "not ready" is set, then 1 success
  ASSERT_EQ(s.updates.size(), 1u);
  EXPECT_FALSE(s.updates[0].success);
  EXPECT_EQ(s.updates[0].container_id, "c1");
  EXPECT_EQ(s.updates[0].type, ProbeType::kReadiness);
  EXPECT_EQ(w.result(), false);
  w.step();  // 2 successes: ready
  EXPECT_EQ(w.result(), true);
  w.step();  // 1 failure: below the threshold
  EXPECT_EQ(w.result(), true);
  w.step();  // a success resets the run
  w.step();
  EXPECT_EQ(w.result(), true);
  w.step();  // second failure in a row: not ready, with the probe's message
  EXPECT_EQ(w.result(), false);
  ASSERT_EQ(s.updates.size(), 3u);
  EXPECT_FALSE(s.updates[2].success);
  EXPECT_EQ(s.updates[2].message, "HTTP probe failed with statuscode: 503");
  EXPECT_EQ(s.failures_seen, 3);  // every failed run, for the Unhealthy events
}

TEST(ProbeWorker, InitialDelayAndUnknownResults) {
  FakeClock clock;
  Script s;
  s.container.started_at = clock.now();
  ProbeWorker w(clock, config_for(ProbeType::kLiveness, {{"initialDelaySeconds", 15}}, s));
  w.step();
  EXPECT_EQ(w.probes_run(), 0);
  EXPECT_EQ(w.result(), true);  // liveness starts out healthy
  clock.advance(14s);
  w.step();
  EXPECT_EQ(w.probes_run(), 0);
  clock.advance(1s);
  s.outcomes = {{ProbeResult::kUnknown, "bad spec"}, kFail, kFail, kFail};
  w.step();
  EXPECT_EQ(w.probes_run(), 1);
  EXPECT_EQ(w.result(), true);  // a prober error is thrown away
  w.step();
  w.step();
  EXPECT_EQ(w.result(), true);  // 2 of 3 failures
  w.step();
  EXPECT_EQ(w.result(), false);
}

TEST(ProbeWorker, LivenessFailureHoldsUntilANewContainer) {
  FakeClock clock;
  Script s;
  s.container.started_at = clock.now();
  ProbeWorker w(clock, config_for(ProbeType::kLiveness, {{"failureThreshold", 1}}, s));
  s.outcomes = {kFail};
  w.step();
  EXPECT_EQ(w.result(), false);
  w.step();
  w.step();
  EXPECT_EQ(w.probes_run(), 1);  // on hold: the container is about to be restarted
  s.container.id = "c2";
  w.step();
  EXPECT_EQ(w.probes_run(), 2);
  EXPECT_EQ(w.result(), true);
  ASSERT_EQ(s.updates.size(), 3u);  // true(c1), false(c1), true(c2)
  EXPECT_EQ(s.updates[2].container_id, "c2");
}

TEST(ProbeWorker, StartupProbeGatesLivenessAndReadiness) {
  FakeClock clock;
  Script s;
  s.container.started = false;
  s.container.started_at = clock.now();
  ProbeWorker liveness(clock, config_for(ProbeType::kLiveness, Json::object(), s));
  ProbeWorker startup(clock, config_for(ProbeType::kStartup, Json::object(), s));
  liveness.step();
  EXPECT_EQ(liveness.probes_run(), 0);
  EXPECT_EQ(startup.result(), std::nullopt);
  startup.step();
  EXPECT_EQ(startup.probes_run(), 1);
  EXPECT_EQ(startup.result(), true);
  s.container.started = true;  // the agent marks the container started
  startup.step();
  EXPECT_EQ(startup.probes_run(), 1);  // no more startup probing
  liveness.step();
  EXPECT_EQ(liveness.probes_run(), 1);
}

TEST(ProbeWorker, StoppedContainersAndTerminatingPods) {
  FakeClock clock;
  Script s;
  s.exists = false;
  ProbeWorker readiness(clock, config_for(ProbeType::kReadiness, Json::object(), s));
  EXPECT_TRUE(readiness.step());  // no container yet: wait
  EXPECT_EQ(readiness.result(), std::nullopt);
  s.exists = true;
  s.container.running = false;
  s.container.terminated = true;
  s.container.restart_never = true;
  EXPECT_FALSE(readiness.step());  // will never run again: the worker ends
  EXPECT_EQ(readiness.result(), false);

  Script t;
  t.container.pod_terminating = true;
  ProbeWorker liveness(clock, config_for(ProbeType::kLiveness, Json::object(), t));
  EXPECT_FALSE(liveness.step());
  EXPECT_EQ(liveness.result(), true);
  EXPECT_EQ(liveness.probes_run(), 0);
}

TEST(ProbeWorker, ThreadProbesEveryPeriodOnTheInjectedClock) {
  FakeClock clock;
  Script s;
  s.container.started_at = clock.now();
  ProbeWorker w(clock, config_for(ProbeType::kReadiness, {{"periodSeconds", 10}}, s));
  auto wait_for_probes = [&](int n) {
    for (int i = 0; i < 5000 && w.probes_run() < n; ++i) std::this_thread::sleep_for(1ms);
    return w.probes_run();
  };
  w.start();
  EXPECT_EQ(wait_for_probes(1), 1);
  clock.advance(9s);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(w.probes_run(), 1);  // not before the period
  clock.advance(1s);
  EXPECT_EQ(wait_for_probes(2), 2);
  w.trigger();
  EXPECT_EQ(wait_for_probes(3), 3);
  EXPECT_EQ(w.result(), true);
  w.stop();
}

}  // namespace
}  // namespace bosun::agent
