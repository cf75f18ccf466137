#include "agent/agent.h"

#include <gtest/gtest.h>

#include <thread>

#include "agent/fake_runtime.h"
#include "client/test_config.h"
#include "common/metrics.h"
#include "common/time_format.h"

namespace bosun::agent {
namespace {

using apiserver::testing::RestTestServer;
using std::chrono::seconds;

MachineInfo test_machine() {
  MachineInfo m;
  m.cpu_milli = 4000;
  m.memory_bytes = int64_t{8} << 30;
  m.ephemeral_storage_bytes = int64_t{100} << 30;
  m.hostname = "host-a";
  m.internal_ip = "10.0.0.7";
  m.kernel_version = "6.1.0-test";
  m.os_image = "Debian GNU/Linux 12 (bookworm)";
  m.runtime_version = "fake://0.1.0";
  return m;
}

// Polls `pred` in real time (the API server and the agent's workers run on their own threads).
template <typename F>
bool eventually(F pred, std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return pred();
}

class AgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
    FakeRuntimeOptions ro;
    ro.clock = &clock_;
    ro.record_calls = true;
    runtime_ = std::make_unique<FakeRuntime>(ro);
  }

  void start_agent() {
    AgentPoolOptions po;
    po.client = client_.get();
    po.clock = &clock_;
    po.workers = 2;
    pool_ = std::make_unique<AgentPool>(po);
    AgentConfig config;
    config.node.node_name = "node-a";
    config.machine = test_machine();
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

  Json create_pod(const std::string& name, Json spec) {
    spec["nodeName"] = "node-a";
    Json pod = {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", name}, {"namespace", "default"}}},
                {"spec", spec}};
    auto r = client_->create(client::kPods, "default", pod);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Json();
  }

  Json get_pod(const std::string& name) {
    auto r = client_->get(client::kPods, "default", name);
    return r.ok() ? *r : Json();
  }

  static Json simple_spec(const std::string& restart_policy = "Always") {
    return Json{
        {"restartPolicy", restart_policy},
        {"containers",
         Json::array(
             {{{"name", "app"}, {"image", "busybox:1.36"}, {"imagePullPolicy", "IfNotPresent"}}})}};
  }

  static std::string phase_of(const Json& pod) {
    if (!pod.is_object() || !pod.contains("status")) return "";
    return pod["status"].value("phase", "");
  }

  // The first container's status (an empty object until there is one), as a copy so that tests
  // may index it freely.
  static Json container_status(const Json& pod) {
    Json empty = {{"state", Json::object()}, {"lastState", Json::object()}};
    if (!pod.is_object() || !pod.contains("status")) return empty;
    const Json& st = pod["status"];
    if (!st.contains("containerStatuses") || st["containerStatuses"].empty()) return empty;
    return st["containerStatuses"][0];
  }

  FakeClock clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<FakeRuntime> runtime_;
  std::unique_ptr<AgentPool> pool_;
  std::unique_ptr<Agent> agent_;
};

TEST_F(AgentTest, APodBoundToTheNodeRunsWithTheStatusTheKubeletWrites) {
  start_agent();
  Json created = create_pod("web", simple_spec());
  const std::string uid = created["metadata"]["uid"];
  ASSERT_TRUE(eventually([&] {
    Json p = get_pod("web");
    return phase_of(p) == "Running" && container_status(p).value("ready", false);
  })) << get_pod("web").dump(2);
  Json pod = get_pod("web");
  const Json& st = pod["status"];
  EXPECT_EQ(st["hostIP"], "10.0.0.7");
  EXPECT_EQ(st["hostIPs"][0]["ip"], "10.0.0.7");
  EXPECT_EQ(st["qosClass"], "BestEffort");
  EXPECT_EQ(st["startTime"], format_rfc3339(clock_.now()));
  EXPECT_FALSE(st.contains("podIP"));
  std::vector<std::string> types;
  for (const Json& c : st["conditions"]) {
    types.push_back(c["type"]);
    if (c["type"] != "PodScheduled") {
      EXPECT_EQ(c["status"], "True") << c.dump();
    }
  }
  EXPECT_EQ(types[0], "PodReadyToStartContainers");
  EXPECT_EQ(types[1], "Initialized");
  EXPECT_EQ(types[2], "Ready");
  EXPECT_EQ(types[3], "ContainersReady");
  Json cs = container_status(pod);
  EXPECT_EQ(cs["name"], "app");
  EXPECT_EQ(cs["restartCount"], 0);
  EXPECT_EQ(cs["started"], true);
  EXPECT_EQ(cs["image"], "busybox:1.36");
  EXPECT_TRUE(cs["imageID"].get<std::string>().starts_with("busybox@sha256:"));
  EXPECT_TRUE(cs["containerID"].get<std::string>().starts_with("fake://"));
  EXPECT_TRUE(cs["state"].contains("running"));

  // The node is registered and Ready; the kubelet's events were posted.
  auto node = client_->get(client::kNodes, "", "node-a");
  ASSERT_TRUE(node.ok());
  EXPECT_EQ((*node)["status"]["nodeInfo"]["containerRuntimeVersion"], "fake://0.1.0");
  ASSERT_TRUE(eventually([&] {
    auto events = client_->list(client::core_resource("events"), "default");
    if (!events.ok()) return false;
    std::set<std::string> reasons;
    for (const Json& e : (*events)["items"]) {
      if (e["involvedObject"]["uid"] == uid) reasons.insert(e["reason"].get<std::string>());
    }
    return reasons.count("Pulled") && reasons.count("Created") && reasons.count("Started");
  }));
}

// The API server's count of PATCHes of pods/status (the server of these tests counts into the
// global registry).
int64_t pod_status_patches() {
  const std::string text = MetricsRegistry::global().expose();
  const std::string series =
      "apiserver_request_total{code=\"200\",resource=\"pods\",subresource=\"status\","
      "verb=\"PATCH\"} ";
  const size_t at = text.find(series);
  return at == std::string::npos ? 0 : std::stoll(text.substr(at + series.size()));
}

TEST_F(AgentTest, AStartedPodsStatusIsWrittenOnce) {
  start_agent();
  // Bound as the scheduler binds: pods/binding adds PodScheduled with "lastProbeTime": null, which
  // the stored status drops once the agent's patch has replaced the conditions.
  Json spec = simple_spec();
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec", spec}};
  ASSERT_TRUE(client_->create(client::kPods, "default", pod).ok());
  const int64_t before = pod_status_patches();
  Json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", "web"}}},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", "node-a"}}}};
  auto bound = client_->create_subresource(client::kPods, "default", "web", "binding", binding);
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  ASSERT_TRUE(eventually([&] { return phase_of(get_pod("web")) == "Running"; }));
  // The agent's informer delivers the Running pod and the agent syncs it again; the status it
  // computes then is the one it wrote, so nothing more is written.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(pod_status_patches() - before, 1);
}

TEST_F(AgentTest, ACrashingContainerRestartsWithBackOff) {
  start_agent();
  Json created = create_pod("crash", simple_spec());
  const std::string uid = created["metadata"]["uid"];
  ASSERT_TRUE(eventually([&] { return container_status(get_pod("crash")).value("ready", false); }));
  ASSERT_TRUE(runtime_->exit_container(uid, "app", 1).ok());
  ASSERT_TRUE(eventually([&] {
    Json cs = container_status(get_pod("crash"));
    return cs.value("restartCount", 0) == 1 && cs["state"].contains("running");
  })) << get_pod("crash").dump(2);
  EXPECT_EQ(container_status(get_pod("crash"))["lastState"]["terminated"]["exitCode"], 1);

  ASSERT_TRUE(runtime_->exit_container(uid, "app", 1).ok());
  ASSERT_TRUE(eventually([&] {
    Json cs = container_status(get_pod("crash"));
    return cs["state"].contains("waiting") &&
           cs["state"]["waiting"].value("reason", "") == "CrashLoopBackOff";
  })) << get_pod("crash").dump(2);
  Json pod = get_pod("crash");
  EXPECT_EQ(container_status(pod)["state"]["waiting"]["message"],
            "back-off 10s restarting failed container=app pod=crash_default(" + uid + ")");
  EXPECT_EQ(pod["status"]["phase"], "Running");
  EXPECT_EQ(container_status(pod)["ready"], false);

  clock_.advance(seconds(10));
  ASSERT_TRUE(eventually([&] {
    Json cs = container_status(get_pod("crash"));
    return cs.value("restartCount", 0) == 2 && cs["state"].contains("running");
  })) << get_pod("crash").dump(2);
}

TEST_F(AgentTest, DeletionStopsThePodThenRemovesTheObject) {
  start_agent();
  Json created = create_pod("doomed", simple_spec());
  ASSERT_TRUE(
      eventually([&] { return container_status(get_pod("doomed")).value("ready", false); }));
  ASSERT_TRUE(client_->remove(client::kPods, "default", "doomed").ok());
  ASSERT_TRUE(eventually([&] {
    auto r = client_->get(client::kPods, "default", "doomed");
    return !r.ok() && r.error().code == ErrorCode::kNotFound;
  }));
  EXPECT_EQ(runtime_->sandbox_count(), 0u);
  EXPECT_EQ(runtime_->container_count(), 0u);
  ASSERT_TRUE(eventually([&] { return agent_->pod_count() == 0; }));
}

// The kubelet stops each deleted pod in a goroutine of its own. Here the containers ignore SIGTERM,
// so each stop waits out the 30 s grace period: the three stops wait together (two pod workers
// here), and neither a new pod nor the node's lease waits for them.
TEST_F(AgentTest, PodsWaitingOutTheirGracePeriodHoldUpNeitherOtherPodsNorTheLease) {
  start_agent();
  const std::vector<std::string> names = {"slow-a", "slow-b", "slow-c"};
  for (const std::string& name : names) create_pod(name, simple_spec());
  ASSERT_TRUE(eventually([&] {
    for (const std::string& name : names) {
      if (!container_status(get_pod(name)).value("ready", false)) return false;
    }
    return true;
  }));
  runtime_->set_ignore_sigterm(true);
  for (const std::string& name : names) {
    ASSERT_TRUE(client_->remove(client::kPods, "default", name).ok());
  }
  // Each stop sleeps on the clock until its grace period is over: all three at once.
  ASSERT_TRUE(eventually([&] { return clock_.sleepers() == 3; })) << clock_.sleepers();

  create_pod("newcomer", simple_spec());
  ASSERT_TRUE(
      eventually([&] { return container_status(get_pod("newcomer")).value("ready", false); }));

  auto lease = client_->get(client::kLeases, "kube-node-lease", "node-a");
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  const std::string before = (*lease)["spec"]["renewTime"];
  clock_.advance(seconds(10));
  ASSERT_TRUE(eventually([&] {
    auto l = client_->get(client::kLeases, "kube-node-lease", "node-a");
    return l.ok() && (*l)["spec"]["renewTime"] != before;
  }));
  for (const std::string& name : names) {
    EXPECT_TRUE(client_->get(client::kPods, "default", name).ok()) << name << " went early";
  }

  clock_.advance(seconds(20));  // the grace period is over: SIGKILL, then the objects go
  ASSERT_TRUE(eventually([&] {
    for (const std::string& name : names) {
      auto r = client_->get(client::kPods, "default", name);
      if (r.ok() || r.error().code != ErrorCode::kNotFound) return false;
    }
    return true;
  }));
  ASSERT_TRUE(eventually([&] { return agent_->pod_count() == 1; }));
}

TEST_F(AgentTest, PodsWaitingOnASlowPullHoldUpNoOtherPod) {
  start_agent();  // two pod workers
  const std::string slow_image = "registry.example/slow:1";
  runtime_->hold_pulls(slow_image, true);
  // Let go however the test ends, so that the pool's stop does not wait on a held pull.
  struct LetGo {
    FakeRuntime& runtime;
    const std::string& image;
    ~LetGo() { runtime.hold_pulls(image, false); }
  } let_go{*runtime_, slow_image};
  Json slow_spec = simple_spec();
  slow_spec["containers"][0]["image"] = slow_image;
  slow_spec["containers"][0]["imagePullPolicy"] = "Always";
  const std::vector<std::string> names = {"slow-a", "slow-b", "slow-c"};
  for (const std::string& name : names) create_pod(name, slow_spec);
  auto pulls_of_slow = [&] {
    size_t n = 0;
    for (const std::string& call : runtime_->calls()) n += call == "pull_image " + slow_image;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return pulls_of_slow() == names.size(); })) << pulls_of_slow();

  // More pods than workers wait on the registry, and a pod of a present image still starts.
  create_pod("newcomer", simple_spec());
  ASSERT_TRUE(
      eventually([&] { return container_status(get_pod("newcomer")).value("ready", false); }));
  for (const std::string& name : names) {
    Json pod = get_pod(name);
    EXPECT_EQ(phase_of(pod), "Pending") << name;
    EXPECT_EQ(container_status(pod)["state"]["waiting"]["reason"], "ContainerCreating") << name;
  }

  // One is deleted during its pull: it goes, and its pull's end changes nothing.
  ASSERT_TRUE(client_->remove(client::kPods, "default", "slow-c").ok());
  ASSERT_TRUE(eventually([&] {
    auto r = client_->get(client::kPods, "default", "slow-c");
    return !r.ok() && r.error().code == ErrorCode::kNotFound;
  }));

  runtime_->hold_pulls(slow_image, false);
  ASSERT_TRUE(eventually([&] {
    return container_status(get_pod("slow-a")).value("ready", false) &&
           container_status(get_pod("slow-b")).value("ready", false);
  })) << get_pod("slow-a").dump(2);
  ASSERT_TRUE(eventually([&] { return agent_->pod_count() == 3; })) << agent_->pod_count();
  EXPECT_EQ(pulls_of_slow(), names.size());  // each pod pulled once
}

TEST_F(AgentTest, NeverAndOnFailurePodsComplete) {
  start_agent();
  Json never = create_pod("never", simple_spec("Never"));
  Json on_failure = create_pod("onfailure", simple_spec("OnFailure"));
  ASSERT_TRUE(eventually([&] {
    return container_status(get_pod("never")).value("ready", false) &&
           container_status(get_pod("onfailure")).value("ready", false);
  }));
  ASSERT_TRUE(runtime_->exit_container(never["metadata"]["uid"].get<std::string>(), "app", 2).ok());
  ASSERT_TRUE(
      runtime_->exit_container(on_failure["metadata"]["uid"].get<std::string>(), "app", 2).ok());
  ASSERT_TRUE(eventually([&] { return phase_of(get_pod("never")) == "Failed"; }))
      << get_pod("never").dump(2);
  EXPECT_EQ(container_status(get_pod("never"))["state"]["terminated"]["reason"], "Error");
  EXPECT_EQ(container_status(get_pod("never"))["restartCount"], 0);
  ASSERT_TRUE(eventually([&] {
    Json cs = container_status(get_pod("onfailure"));
    return cs.value("restartCount", 0) == 1 && cs["state"].contains("running");
  }));
  ASSERT_TRUE(
      runtime_->exit_container(on_failure["metadata"]["uid"].get<std::string>(), "app", 0).ok());
  ASSERT_TRUE(eventually([&] { return phase_of(get_pod("onfailure")) == "Succeeded"; }))
      << get_pod("onfailure").dump(2);
  EXPECT_EQ(container_status(get_pod("onfailure"))["state"]["terminated"]["reason"], "Completed");
}

TEST_F(AgentTest, InitContainersRunBeforeTheApp) {
  start_agent();
  Json spec = simple_spec();
  spec["initContainers"] = Json::array(
      {{{"name", "setup"}, {"image", "busybox:1.36"}, {"imagePullPolicy", "IfNotPresent"}}});
  Json created = create_pod("init", spec);
  const std::string uid = created["metadata"]["uid"];
  ASSERT_TRUE(eventually([&] {
    Json p = get_pod("init");
    return p["status"].contains("initContainerStatuses") &&
           p["status"]["initContainerStatuses"][0]["state"].contains("running");
  })) << get_pod("init").dump(2);
  Json pod = get_pod("init");
  EXPECT_EQ(pod["status"]["phase"], "Pending");
  EXPECT_EQ(container_status(pod)["state"]["waiting"]["reason"], "PodInitializing");
  ASSERT_TRUE(runtime_->exit_container(uid, "setup", 0).ok());
  ASSERT_TRUE(eventually([&] { return phase_of(get_pod("init")) == "Running"; }))
      << get_pod("init").dump(2);
  pod = get_pod("init");
  EXPECT_EQ(pod["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"],
            "Completed");
}

TEST_F(AgentTest, SandboxesOfPodsDeletedWhileTheAgentWasDownAreRemoved) {
  runtime::SandboxConfig orphan;
  orphan.pod_uid = "gone-uid";
  orphan.pod_name = "gone";
  orphan.pod_namespace = "default";
  ASSERT_TRUE(runtime_->run_pod_sandbox(orphan).ok());
  start_agent();
  // The agent looks for orphans once its pods are known.
  ASSERT_TRUE(eventually([&] {
    clock_.advance(std::chrono::milliseconds(200));
    return runtime_->sandbox_count() == 0;
  }));
}

TEST_F(AgentTest, TheLeaseIsRenewedEveryTenSeconds) {
  start_agent();
  auto lease = client_->get(client::kLeases, "kube-node-lease", "node-a");
  ASSERT_TRUE(lease.ok()) << lease.error().message;
  const std::string first = (*lease)["spec"]["renewTime"];
  clock_.advance(seconds(10));
  ASSERT_TRUE(eventually([&] {
    auto l = client_->get(client::kLeases, "kube-node-lease", "node-a");
    return l.ok() && (*l)["spec"]["renewTime"] != first;
  }));
  auto renewed = client_->get(client::kLeases, "kube-node-lease", "node-a");
  EXPECT_EQ((*renewed)["spec"]["renewTime"], format_rfc3339_micro(clock_.now()));
}

TEST_F(AgentTest, ContainersGetTheServiceVariablesOfTheirNamespace) {
  Json service = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "web-db"}, {"namespace", "default"}}},
      {"spec",
       {{"ports", Json::array({{{"name", "sql"}, {"port", 5432}}})}}}};  // an allocated cluster IP
  auto created_service = client_->create(client::core_resource("services"), "default", service);
  ASSERT_TRUE(created_service.ok()) << created_service.error().message;
  const std::string ip = (*created_service)["spec"]["clusterIP"];
  start_agent();
  Json created = create_pod("web", simple_spec());
  const std::string uid = created["metadata"]["uid"];
  ASSERT_TRUE(eventually([&] { return phase_of(get_pod("web")) == "Running"; }));
  auto containers = runtime_->list_pod_containers(uid);
  ASSERT_TRUE(containers.ok());
  ASSERT_EQ(containers->size(), 1u);
  auto config = runtime_->container_config((*containers)[0].id);
  ASSERT_TRUE(config.ok());
  auto has = [&](const std::string& var) {
    return std::find(config->env.begin(), config->env.end(), var) != config->env.end();
  };
  EXPECT_TRUE(has("WEB_DB_SERVICE_HOST=" + ip));
  EXPECT_TRUE(has("WEB_DB_SERVICE_PORT_SQL=5432"));
  EXPECT_TRUE(has("WEB_DB_PORT=tcp://" + ip + ":5432"));
}

}  // namespace
}  // namespace bosun::agent
