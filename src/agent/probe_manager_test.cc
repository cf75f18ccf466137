#include "agent/probe_manager.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "agent/agent.h"
#include "agent/fake_runtime.h"
#include "agent/pod_status.h"
#include "client/test_config.h"

namespace bosun::agent {
namespace {

using std::chrono::seconds;

struct RecordedEvent {
  std::string field_path, type, reason, message;
};

class Events : public EventRecorder {
 public:
  void record(const Json&, std::string_view field_path, std::string_view type,
              std::string_view reason, std::string message) override {
    std::lock_guard lock(mu_);
    events_.push_back({std::string(field_path), std::string(type), std::string(reason), message});
  }
  bool has(std::string_view type, std::string_view reason, std::string_view message) {
    std::lock_guard lock(mu_);
    for (auto& e : events_) {
      if (e.type == type && e.reason == reason && e.message == message) return true;
    }
    return false;
  }
  int count(std::string_view reason) {
    std::lock_guard lock(mu_);
    int n = 0;
    for (auto& e : events_) n += e.reason == reason;
    return n;
  }

 private:
  std::mutex mu_;
  std::vector<RecordedEvent> events_;
};

Json exec_probe(int failure_threshold = 3) {
  return Json{{"exec", {{"command", {"cat", "/tmp/healthy"}}}},
              {"periodSeconds", 10},
              {"failureThreshold", failure_threshold}};
}

Json make_pod(Json container_extra) {
  Json container = {
      {"name", "app"}, {"image", "busybox:1.36"}, {"imagePullPolicy", "IfNotPresent"}};
  container.update(container_extra);
  return Json{{"metadata", {{"name", "web"}, {"namespace", "prod"}, {"uid", "uid-1"}}},
              {"spec",
               {{"nodeName", "node-a"},
                {"restartPolicy", "Always"},
                {"containers", Json::array({container})}}}};
}

const Json* condition(const Json& status, const char* type) {
  for (const Json& c : status["conditions"]) {
    if (c["type"] == type) return &c;
  }
  return nullptr;
}

// PodSyncer, ProbeManager and status generation wired as the Agent wires them, with the probe
// workers stepped by the test (no threads) on a fake clock.
class ProbeManagerTest : public ::testing::Test {
 protected:
  ProbeManagerTest() {
    FakeRuntimeOptions o;
    o.clock = &clock_;
    o.record_calls = true;
    o.images = std::set<std::string>{"busybox:1.36"};
    runtime_ = std::make_unique<FakeRuntime>(o);
    node_.node_name = "node-a";
    node_.create_log_directories = false;
    syncer_ =
        std::make_unique<PodSyncer>(*runtime_, clock_, node_, &events_, ObjectLookup{}, &results_);
    ProbeManagerOptions po;
    po.worker_threads = false;
    manager_ = std::make_unique<ProbeManager>(clock_, *runtime_, results_, &events_, po);
    results_.set_listener([this](const std::string& uid) {
      std::lock_guard lock(mu_);
      notified_.push_back(uid);
    });
  }

  // One pod worker pass: sync, then tell the prober what runs.
  void sync(const Json& pod) {
    syncer_->sync_pod(pod, state_);
    auto view = observe_pod(*runtime_, "uid-1");
    ASSERT_TRUE(view.ok());
    manager_->update_pod(pod, *view);
  }

  Json status(const Json& pod) {
    auto view = observe_pod(*runtime_, "uid-1");
    EXPECT_TRUE(view.ok());
    PodStatusInput in;
    in.pod = &pod;
    in.view = &*view;
    in.state = &state_;
    in.node = &node_;
    in.probes = &results_;
    in.runtime_prefix = runtime_->id_prefix();
    in.now = clock_.now();
    return generate_pod_status(in);
  }

  std::string container_id() {
    auto view = observe_pod(*runtime_, "uid-1");
    const ContainerStatus* c = view.ok() ? view->newest("app") : nullptr;
    return c ? c->id : "";
  }

  size_t notifications() {
    std::lock_guard lock(mu_);
    return notified_.size();
  }

  FakeClock clock_;
  std::unique_ptr<FakeRuntime> runtime_;
  Events events_;
  NodeContext node_;
  ProbeResults results_;
  std::unique_ptr<PodSyncer> syncer_;
  std::unique_ptr<ProbeManager> manager_;
  PodSyncState state_;
  std::mutex mu_;
  std::vector<std::string> notified_;
};

TEST_F(ProbeManagerTest, ReadinessGatesReadyUntilTheFirstSuccess) {
  Json pod = make_pod({{"readinessProbe", exec_probe()}});
  sync(pod);
  EXPECT_EQ(manager_->worker_count(), 1u);
  Json s = status(pod);
  ASSERT_EQ(s["containerStatuses"][0]["state"].count("running"), 1u) << s.dump();
  // Not ready before any probe ran.
  EXPECT_EQ(s["containerStatuses"][0]["ready"], false);
  EXPECT_EQ((*condition(s, "Ready"))["status"], "False");

  runtime_->set_exec_result(0);
  manager_->step_all();
  EXPECT_EQ(results_.get(ProbeKind::kReadiness, container_id()), std::optional(true));
  EXPECT_GE(notifications(), 1u);  // the pod's sync is re-queued
  s = status(pod);
  EXPECT_EQ(s["containerStatuses"][0]["ready"], true);
  EXPECT_EQ((*condition(s, "Ready"))["status"], "True");
  EXPECT_EQ((*condition(s, "ContainersReady"))["status"], "True");
  bool probed = false;
  for (const auto& call : runtime_->calls()) {
    probed |= call == "exec_sync " + container_id() + " cat /tmp/healthy";
  }
  EXPECT_TRUE(probed);

  // Three failures in a row (failureThreshold) make it unready; each one is an event.
  runtime_->set_exec_result(1, "cat: can't open '/tmp/healthy': No such file or directory\n");
  manager_->step_all();
  manager_->step_all();
  EXPECT_EQ(status(pod)["containerStatuses"][0]["ready"], true);
  manager_->step_all();
  s = status(pod);
  EXPECT_EQ(s["containerStatuses"][0]["ready"], false);
  EXPECT_EQ((*condition(s, "Ready"))["status"], "False");
  EXPECT_TRUE(events_.has(
      "Warning", "Unhealthy",
      "Readiness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n"));
  EXPECT_EQ(events_.count("Unhealthy"), 3);
}

TEST_F(ProbeManagerTest, LivenessFailureRestartsTheContainer) {
  Json pod = make_pod({{"livenessProbe", exec_probe(1)}});
  sync(pod);
  const std::string first = container_id();
  ASSERT_FALSE(first.empty());
  EXPECT_EQ(results_.get(ProbeKind::kLiveness, first), std::nullopt);
  runtime_->set_exec_result(0);
  manager_->step_all();
  EXPECT_EQ(results_.get(ProbeKind::kLiveness, first), std::optional(true));

  runtime_->set_exec_result(1, "unhealthy");
  manager_->step_all();
  EXPECT_EQ(results_.get(ProbeKind::kLiveness, first), std::optional(false));
  EXPECT_TRUE(events_.has("Warning", "Unhealthy", "Liveness probe failed: unhealthy"));

  // The re-queued sync kills and restarts it (restartPolicy Always; the first restart has no
  // back-off).
  sync(pod);
  EXPECT_TRUE(
      events_.has("Normal", "Killing", "Container app failed liveness probe, will be restarted"));
  const std::string second = container_id();
  EXPECT_NE(second, first);
  Json s = status(pod);
  EXPECT_EQ(s["containerStatuses"][0]["restartCount"], 1);
  EXPECT_EQ(s["containerStatuses"][0]["state"].count("running"), 1u) << s.dump();
  EXPECT_EQ(s["containerStatuses"][0]["lastState"]["terminated"]["exitCode"], 143);
  // The old container's result is forgotten; the new one starts from liveness success.
  EXPECT_EQ(results_.get(ProbeKind::kLiveness, first), std::nullopt);
  runtime_->set_exec_result(0);
  manager_->step_all();
  EXPECT_EQ(results_.get(ProbeKind::kLiveness, second), std::optional(true));
  sync(pod);
  EXPECT_EQ(container_id(), second);
  EXPECT_EQ(status(pod)["containerStatuses"][0]["restartCount"], 1);
}

TEST_F(ProbeManagerTest, StartupProbeGatesLivenessAndReadiness) {
  Json pod = make_pod({{"startupProbe", exec_probe(30)},
                       {"readinessProbe", exec_probe()},
                       {"livenessProbe", exec_probe(1)}});
  sync(pod);
  EXPECT_EQ(manager_->worker_count(), 3u);
  runtime_->set_exec_result(1, "starting");
  manager_->step_all();
  manager_->step_all();
  // Only the startup probe ran (twice); a failing liveness probe would have restarted it.
  int execs = 0;
  for (const auto& call : runtime_->calls()) execs += call.rfind("exec_sync", 0) == 0;
  EXPECT_EQ(execs, 2);
  EXPECT_EQ(results_.get(ProbeKind::kLiveness, container_id()), std::optional(true));
  Json s = status(pod);
  EXPECT_EQ(s["containerStatuses"][0]["started"], false);
  EXPECT_EQ(s["containerStatuses"][0]["ready"], false);
  EXPECT_TRUE(events_.has("Warning", "Unhealthy", "Startup probe failed: starting"));

  runtime_->set_exec_result(0);
  manager_->step_all();  // the startup probe passes
  s = status(pod);
  EXPECT_EQ(s["containerStatuses"][0]["started"], true);
  manager_->step_all();  // now readiness runs
  s = status(pod);
  EXPECT_EQ(s["containerStatuses"][0]["ready"], true);
  EXPECT_EQ((*condition(s, "Ready"))["status"], "True");
}

TEST_F(ProbeManagerTest, RemovedPodsAndContainersStopTheirWorkers) {
  Json pod = make_pod({{"readinessProbe", exec_probe()}, {"livenessProbe", exec_probe()}});
  sync(pod);
  runtime_->set_exec_result(0);
  manager_->step_all();
  const std::string id = container_id();
  EXPECT_EQ(results_.get(ProbeKind::kReadiness, id), std::optional(true));
  // The liveness probe is taken out of the spec: its worker goes, readiness stays.
  pod["spec"]["containers"][0].erase("livenessProbe");
  sync(pod);
  EXPECT_EQ(manager_->worker_count(), 1u);
  manager_->remove_pod("uid-1");
  EXPECT_EQ(manager_->worker_count(), 0u);
  EXPECT_EQ(results_.get(ProbeKind::kReadiness, id), std::nullopt);
  EXPECT_EQ(results_.get(ProbeKind::kLiveness, id), std::nullopt);
}

TEST_F(ProbeManagerTest, PodsWithoutProbesCostNothing) {
  Json pod = make_pod(Json::object());
  sync(pod);
  EXPECT_EQ(manager_->worker_count(), 0u);
  EXPECT_EQ(status(pod)["containerStatuses"][0]["ready"], true);
}

TEST_F(ProbeManagerTest, AssumedSuccessRunsNoProbe) {
  ProbeManagerOptions po;
  po.assume_success = true;
  manager_ = std::make_unique<ProbeManager>(clock_, *runtime_, results_, &events_, po);
  Json pod = make_pod({{"readinessProbe", exec_probe()}, {"startupProbe", exec_probe()}});
  sync(pod);
  EXPECT_EQ(manager_->worker_count(), 0u);
  Json s = status(pod);
  EXPECT_EQ(s["containerStatuses"][0]["started"], true);
  EXPECT_EQ(s["containerStatuses"][0]["ready"], true);
  for (const auto& call : runtime_->calls()) EXPECT_NE(call.rfind("exec_sync", 0), 0u) << call;
  const std::string id = container_id();
  manager_->remove_pod("uid-1");
  EXPECT_EQ(results_.get(ProbeKind::kReadiness, id), std::nullopt);
}

// ---- lifecycle hooks ----

TEST_F(ProbeManagerTest, PostStartHookRunsAfterStartAndItsFailureKillsTheContainer) {
  Json pod = make_pod(
      {{"lifecycle", {{"postStart", {{"exec", {{"command", {"sh", "-c", "echo hi"}}}}}}}}});
  runtime_->set_exec_result(0);
  sync(pod);
  const std::string id = container_id();
  auto calls = runtime_->calls();
  auto start = std::find(calls.begin(), calls.end(), "start_container " + id);
  auto hook = std::find(calls.begin(), calls.end(), "exec_sync " + id + " sh -c echo hi");
  ASSERT_NE(start, calls.end());
  ASSERT_NE(hook, calls.end());
  EXPECT_LT(start, hook);
  EXPECT_EQ(status(pod)["containerStatuses"][0]["state"].count("running"), 1u);

  // A failing hook: the next container is killed and waits as PostStartHookError.
  Json failing =
      make_pod({{"lifecycle", {{"postStart", {{"exec", {{"command", {"sh", "-c", "exit 3"}}}}}}}}});
  failing["metadata"]["uid"] = "uid-1";
  runtime_->set_exec_result(3, "no");
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 1).ok());
  sync(failing);
  EXPECT_TRUE(events_.has("Warning", "FailedPostStartHook", "PostStartHook failed"));
  EXPECT_TRUE(events_.has("Normal", "Killing", "FailedPostStartHook"));
  Json s = status(failing);
  const Json& st = s["containerStatuses"][0];
  ASSERT_EQ(st["state"].count("waiting"), 1u) << s.dump();
  EXPECT_EQ(st["state"]["waiting"]["reason"], "PostStartHookError");
  EXPECT_EQ(st["state"]["waiting"]["message"],
            "Exec lifecycle hook ([sh -c exit 3]) for Container \"app\" in Pod "
            "\"web_prod(uid-1)\" failed - error: command 'sh -c exit 3' exited with 3: no, "
            "message: \"no\"");
  EXPECT_EQ(st["restartCount"], 1);
}

TEST_F(ProbeManagerTest, PreStopHookRunsBeforeTheStopSignal) {
  Json pod =
      make_pod({{"lifecycle", {{"preStop", {{"exec", {{"command", {"nginx", "-s", "quit"}}}}}}}}});
  sync(pod);
  const std::string id = container_id();
  runtime_->set_exec_result(0);
  ASSERT_TRUE(syncer_->kill_pod("uid-1", &pod, seconds(30)).ok());
  auto calls = runtime_->calls();
  auto hook = std::find(calls.begin(), calls.end(), "exec_sync " + id + " nginx -s quit");
  auto stop = std::find(calls.begin(), calls.end(), "stop_container " + id);
  ASSERT_NE(hook, calls.end());
  ASSERT_NE(stop, calls.end());
  EXPECT_LT(hook, stop);
  EXPECT_EQ(events_.count("FailedPreStopHook"), 0);
}

TEST_F(ProbeManagerTest, AFailedPreStopHookIsAnEventAndTheStopGoesOn) {
  Json pod = make_pod({{"lifecycle", {{"preStop", {{"exec", {{"command", {"false"}}}}}}}}});
  sync(pod);
  const std::string id = container_id();
  runtime_->set_exec_result(1);
  ASSERT_TRUE(syncer_->kill_pod("uid-1", &pod, seconds(30)).ok());
  EXPECT_TRUE(events_.has("Warning", "FailedPreStopHook", "PreStopHook failed"));
  auto calls = runtime_->calls();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "stop_container " + id), calls.end());
}

TEST_F(ProbeManagerTest, NoPreStopHookWithoutAGracePeriod) {
  Json pod =
      make_pod({{"lifecycle", {{"preStop", {{"exec", {{"command", {"nginx", "-s", "quit"}}}}}}}}});
  sync(pod);
  ASSERT_TRUE(syncer_->kill_pod("uid-1", &pod, seconds(0)).ok());
  for (const auto& call : runtime_->calls()) EXPECT_NE(call.rfind("exec_sync", 0), 0u) << call;
}

// Answers one HTTP request on 127.0.0.1 with `status` and keeps the request line.
class OneShotHttpServer {
 public:
  explicit OneShotHttpServer(int status) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 4) != 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len)) {
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this, status] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string req;
      char buf[1024];
      while (req.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::read(c, buf, sizeof(buf));
        if (n <= 0) break;
        req.append(buf, static_cast<size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        request_line_ = req.substr(0, req.find("\r\n"));
      }
      std::string resp = "HTTP/1.1 " + std::to_string(status) +
                         " X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
      (void)!::write(c, resp.data(), resp.size());
      ::close(c);
    });
  }
  ~OneShotHttpServer() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }
  std::string request_line() {
    std::lock_guard lock(mu_);
    return request_line_;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::string request_line_;
};

TEST_F(ProbeManagerTest, HttpPostStartHook) {
  OneShotHttpServer ok(200);
  ASSERT_NE(ok.port(), 0);
  Json pod = make_pod(
      {{"lifecycle", {{"postStart", {{"httpGet", {{"path", "/hook"}, {"port", ok.port()}}}}}}}});
  pod["spec"]["hostNetwork"] = true;  // the fake sandbox's namespace is not real: connect here
  sync(pod);
  EXPECT_EQ(ok.request_line(), "GET /hook HTTP/1.1");
  EXPECT_EQ(status(pod)["containerStatuses"][0]["state"].count("running"), 1u);

  OneShotHttpServer failing(500);
  Json bad =
      make_pod({{"lifecycle",
                 {{"postStart", {{"httpGet", {{"path", "/hook"}, {"port", failing.port()}}}}}}}});
  bad["spec"]["hostNetwork"] = true;
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 1).ok());
  sync(bad);
  EXPECT_TRUE(events_.has("Warning", "FailedPostStartHook", "PostStartHook failed"));
  const Json st = status(bad)["containerStatuses"][0];
  ASSERT_EQ(st["state"].count("waiting"), 1u) << st.dump();
  EXPECT_EQ(st["state"]["waiting"]["reason"], "PostStartHookError");
  EXPECT_EQ(st["state"]["waiting"]["message"],
            "HTTP lifecycle hook (/hook) for Container \"app\" in Pod \"web_prod(uid-1)\" "
            "failed - error: HTTP probe failed with statuscode: 500");
}

TEST_F(ProbeManagerTest, ALivenessKillRunsThePreStopHookFirst) {
  Json probe = exec_probe(1);
  probe["terminationGracePeriodSeconds"] = 3;
  Json pod = make_pod({{"livenessProbe", probe}});
  pod["spec"]["terminationGracePeriodSeconds"] = 60;
  Json pre_stop = {{"exec", {{"command", {"sleep", "1"}}}}};
  pod["spec"]["containers"][0]["lifecycle"] = {{"preStop", pre_stop}};
  sync(pod);
  runtime_->set_exec_result(1, "unhealthy");
  manager_->step_all();
  runtime_->set_exec_result(0);
  sync(pod);
  EXPECT_EQ(status(pod)["containerStatuses"][0]["restartCount"], 1);
  // The preStop hook ran (exec sleep 1) before the liveness kill's stop. (The probe's
  // terminationGracePeriodSeconds is what the stop gets; the fake runtime does not keep it.)
  auto calls = runtime_->calls();
  auto hook = std::find_if(calls.begin(), calls.end(), [](const std::string& call) {
    return call.find(" sleep 1") != std::string::npos;
  });
  auto stop = std::find_if(calls.begin(), calls.end(), [](const std::string& call) {
    return call.rfind("stop_container", 0) == 0;
  });
  ASSERT_NE(hook, calls.end());
  ASSERT_NE(stop, calls.end());
  EXPECT_LT(hook, stop);
}

// ---- the Agent wired end to end (API server in process, workers on their own threads) ----

template <typename F>
bool eventually(F pred, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class AgentProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = apiserver::testing::RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
    FakeRuntimeOptions ro;
    ro.clock = &clock_;
    runtime_ = std::make_unique<FakeRuntime>(ro);
    AgentPoolOptions po;
    po.client = client_.get();
    po.clock = &clock_;
    po.workers = 2;
    po.post_events = false;
    pool_ = std::make_unique<AgentPool>(po);
    AgentConfig config;
    config.node.node_name = "node-a";
    config.machine.cpu_milli = 4000;
    config.machine.memory_bytes = int64_t{8} << 30;
    config.machine.internal_ip = "10.0.0.7";
    config.data_dir = "/nonexistent";
    config.create_log_directories = false;
    agent_ = std::make_unique<Agent>(*pool_, config, *runtime_);
    pool_->add(agent_.get());
    auto started = agent_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    pool_->start();
  }

  void TearDown() override {
    if (pool_) pool_->stop();
    agent_.reset();
    pool_.reset();
  }

  void create_pod(Json container_extra) {
    Json container = {
        {"name", "app"}, {"image", "busybox:1.36"}, {"imagePullPolicy", "IfNotPresent"}};
    container.update(container_extra);
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", "web"}, {"namespace", "default"}}},
                {"spec", {{"nodeName", "node-a"}, {"containers", Json::array({container})}}}};
    auto r = client_->create(client::kPods, "default", pod);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }

  Json container_status() {
    auto r = client_->get(client::kPods, "default", "web");
    if (!r.ok() || !r->contains("status")) return Json::object();
    const Json& st = (*r)["status"];
    if (!st.contains("containerStatuses") || st["containerStatuses"].empty()) {
      return Json::object();
    }
    return st["containerStatuses"][0];
  }

  std::string ready_condition() {
    auto r = client_->get(client::kPods, "default", "web");
    if (!r.ok()) return "";
    for (const Json& c : (*r)["status"].value("conditions", Json::array())) {
      if (c["type"] == "Ready") return c.value("status", "");
    }
    return "";
  }

  FakeClock clock_;
  std::unique_ptr<apiserver::testing::RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<FakeRuntime> runtime_;
  std::unique_ptr<AgentPool> pool_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(AgentProbeTest, ReadinessProbeDecidesTheWrittenReadyCondition) {
  runtime_->set_exec_result(1, "not yet");
  create_pod({{"readinessProbe", exec_probe(1)}});
  ASSERT_TRUE(eventually([&] { return container_status().value("started", false); }));
  EXPECT_EQ(ready_condition(), "False");
  EXPECT_EQ(container_status()["ready"], false);
  // The next probe (one period later on the fake clock) passes: the pod becomes Ready.
  runtime_->set_exec_result(0);
  clock_.advance(seconds(10));
  EXPECT_TRUE(eventually([&] { return ready_condition() == "True"; }));
  EXPECT_EQ(container_status()["ready"], true);
}

TEST_F(AgentProbeTest, LivenessFailureRestartsOnce) {
  runtime_->set_exec_result(1, "dead");
  create_pod({{"livenessProbe", exec_probe(1)}});
  EXPECT_TRUE(eventually([&] { return container_status().value("restartCount", 0) == 1; }));
  // The new container is not probed before its first period: it keeps running.
  EXPECT_TRUE(eventually([&] { return container_status()["state"].contains("running"); }));
  EXPECT_EQ(container_status()["restartCount"], 1);
}

}  // namespace
}  // namespace bosun::agent
