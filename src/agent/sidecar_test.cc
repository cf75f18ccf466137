// Sidecar containers (init containers with restartPolicy Always, KEP-753): PodSyncer's start order,
// restarts and termination order, and the status the kubelet reports for them.
#include <gtest/gtest.h>

#include "agent/fake_runtime.h"
#include "agent/pod_status.h"
#include "agent/pod_sync.h"
#include "agent/probe_results.h"

namespace bosun::agent {
namespace {

using std::chrono::seconds;

class Events : public EventRecorder {
 public:
  void record(const Json&, std::string_view field_path, std::string_view, std::string_view reason,
              std::string message) override {
    all.push_back(std::string(reason) + " " + std::string(field_path) + ": " + message);
  }
  std::vector<std::string> all;
};

// init: proxy (a sidecar), setup (a regular init container); app: main.
Json make_pod(const std::string& restart_policy = "Always", bool startup_probe = false) {
  Json pod = Json::parse(R"js({
    "metadata": {"name": "web", "namespace": "prod", "uid": "uid-1"},
    "spec": {"nodeName": "node-a", "terminationGracePeriodSeconds": 30,
      "initContainers": [
        {"name": "proxy", "image": "busybox:1.36", "restartPolicy": "Always",
         "readinessProbe": {"exec": {"command": ["true"]}}},
        {"name": "setup", "image": "busybox:1.36"}],
      "containers": [{"name": "main", "image": "busybox:1.36"}]}
  })js");
  pod["spec"]["restartPolicy"] = restart_policy;
  if (startup_probe) {
    pod["spec"]["initContainers"][0]["startupProbe"] = {{"exec", {{"command", {"true"}}}}};
  }
  return pod;
}

class SidecarTest : public ::testing::Test {
 protected:
  SidecarTest() {
    FakeRuntimeOptions o;
    o.clock = &clock_;
    o.record_calls = true;
    runtime_ = std::make_unique<FakeRuntime>(o);
    node_.node_name = "node-a";
    node_.create_log_directories = false;
    syncer_ =
        std::make_unique<PodSyncer>(*runtime_, clock_, node_, &events_, ObjectLookup{}, &probes_);
  }

  const ContainerStatus* newest(const std::string& name) {
    view_ = *observe_pod(*runtime_, "uid-1");
    return view_.newest(name);
  }
  ContainerState state_of(const std::string& name) {
    const ContainerStatus* c = newest(name);
    return c ? c->state : ContainerState::kUnknown;
  }
  Json status(const Json& pod) {
    view_ = *observe_pod(*runtime_, "uid-1");
    PodStatusInput in;
    in.pod = &pod;
    in.view = &view_;
    in.state = &state_;
    in.node = &node_;
    in.probes = &probes_;
    in.runtime_prefix = runtime_->id_prefix();
    in.now = clock_.now();
    return generate_pod_status(in);
  }
  static const Json& condition(const Json& status, const std::string& type) {
    for (const Json& c : status["conditions"]) {
      if (c["type"] == type) return c;
    }
    static const Json kNone;
    return kNone;
  }
  // Runs the regular init container to completion.
  void complete_setup() { ASSERT_TRUE(runtime_->exit_container("uid-1", "setup", 0).ok()); }

  FakeClock clock_;
  std::unique_ptr<FakeRuntime> runtime_;
  NodeContext node_;
  Events events_;
  ProbeResults probes_;
  std::unique_ptr<PodSyncer> syncer_;
  PodSyncState state_;
  PodRuntimeView view_;
};

TEST_F(SidecarTest, StartsInOrderWithoutWaitingForItToExitAndKeepsRunningBesideTheApp) {
  Json pod = make_pod();
  syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("proxy"), ContainerState::kRunning);
  EXPECT_EQ(newest("setup"), nullptr);  // one init container at a time
  Json s = status(pod);
  EXPECT_EQ(s["phase"], "Pending");
  EXPECT_EQ(s["initContainerStatuses"][0]["started"], true);

  // The sidecar has started: the next init container runs although the sidecar never exits.
  syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("setup"), ContainerState::kRunning);
  EXPECT_EQ(newest("main"), nullptr);
  s = status(pod);
  EXPECT_EQ(condition(s, "Initialized")["status"], "False");
  EXPECT_EQ(condition(s, "Initialized")["message"], "containers with incomplete status: [setup]");

  complete_setup();
  syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("main"), ContainerState::kRunning);
  EXPECT_EQ(state_of("proxy"), ContainerState::kRunning);
  s = status(pod);
  EXPECT_EQ(s["phase"], "Running");
  EXPECT_EQ(condition(s, "Initialized")["status"], "True");
  // The sidecar's readiness counts for the pod's: its readiness probe has not passed yet.
  EXPECT_EQ(condition(s, "ContainersReady")["status"], "False");
  EXPECT_EQ(condition(s, "ContainersReady")["message"], "containers with unready status: [proxy]");
  const Json& proxy = s["initContainerStatuses"][0];
  EXPECT_EQ(proxy["name"], "proxy");
  EXPECT_TRUE(proxy["state"].contains("running"));
  EXPECT_EQ(proxy["started"], true);
  EXPECT_EQ(proxy["ready"], false);
  EXPECT_EQ(s["initContainerStatuses"][1]["state"]["terminated"]["reason"], "Completed");

  probes_.set(ProbeKind::kReadiness, "uid-1", newest("proxy")->id, true);
  s = status(pod);
  EXPECT_EQ(s["initContainerStatuses"][0]["ready"], true);
  EXPECT_EQ(condition(s, "Ready")["status"], "True");
}

TEST_F(SidecarTest, TheNextInitContainerWaitsForTheStartupProbe) {
  Json pod = make_pod("Always", /*startup_probe=*/true);
  syncer_->sync_pod(pod, state_);
  syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("proxy"), ContainerState::kRunning);
  EXPECT_EQ(newest("setup"), nullptr);
  Json s = status(pod);
  EXPECT_EQ(s["initContainerStatuses"][0]["started"], false);
  EXPECT_EQ(s["phase"], "Pending");
  EXPECT_EQ(condition(s, "Initialized")["message"],
            "containers with incomplete status: [proxy setup]");

  probes_.set(ProbeKind::kStartup, "uid-1", newest("proxy")->id, true);
  syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("setup"), ContainerState::kRunning);
  EXPECT_EQ(status(pod)["initContainerStatuses"][0]["started"], true);
}

TEST_F(SidecarTest, RestartedWhenItExitsEvenUnderRestartPolicyNever) {
  Json pod = make_pod("Never");
  syncer_->sync_pod(pod, state_);
  syncer_->sync_pod(pod, state_);
  complete_setup();
  syncer_->sync_pod(pod, state_);
  ASSERT_EQ(state_of("main"), ContainerState::kRunning);
  const std::string main_id = newest("main")->id;

  ASSERT_TRUE(runtime_->exit_container("uid-1", "proxy", 1).ok());
  syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("proxy"), ContainerState::kRunning);
  EXPECT_EQ(newest("proxy")->attempt, 1);
  EXPECT_EQ(newest("main")->id, main_id);  // the app is left alone
  Json s = status(pod);
  EXPECT_EQ(s["initContainerStatuses"][0]["restartCount"], 1);
  EXPECT_EQ(s["initContainerStatuses"][0]["lastState"]["terminated"]["exitCode"], 1);

  // A second exit waits out the back-off; the pod stays Running and initialized meanwhile.
  ASSERT_TRUE(runtime_->exit_container("uid-1", "proxy", 1).ok());
  auto r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("proxy"), ContainerState::kExited);
  EXPECT_EQ(state_.waiting["proxy"].reason, "CrashLoopBackOff");
  ASSERT_TRUE(r.resync_after.has_value());
  s = status(pod);
  EXPECT_EQ(s["phase"], "Running");
  EXPECT_EQ(condition(s, "Initialized")["status"], "True");
  EXPECT_EQ(s["initContainerStatuses"][0]["state"]["waiting"]["reason"], "CrashLoopBackOff");
  clock_.advance(*r.resync_after);
  syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_of("proxy"), ContainerState::kRunning);
  EXPECT_EQ(newest("proxy")->attempt, 2);
}

TEST_F(SidecarTest, StoppedOnceTheAppContainersAreDoneAndThePodSucceeds) {
  Json pod = make_pod("Never");
  syncer_->sync_pod(pod, state_);
  syncer_->sync_pod(pod, state_);
  complete_setup();
  syncer_->sync_pod(pod, state_);
  ASSERT_TRUE(runtime_->exit_container("uid-1", "main", 0).ok());
  events_.all.clear();
  syncer_->sync_pod(pod, state_);
  EXPECT_TRUE(state_.terminal);
  EXPECT_EQ(state_of("proxy"), ContainerState::kExited);  // stopped, not restarted
  EXPECT_NE(std::find(events_.all.begin(), events_.all.end(),
                      "Killing spec.initContainers{proxy}: Stopping container proxy"),
            events_.all.end());
  // The sidecar's exit code (143 from SIGTERM) does not make the pod fail.
  Json s = status(pod);
  EXPECT_EQ(s["phase"], "Succeeded");
  EXPECT_EQ(s["initContainerStatuses"][0]["state"]["terminated"]["exitCode"], 143);
}

TEST_F(SidecarTest, KillPodStopsTheAppFirstAndSidecarsLastInReverseOrder) {
  Json pod = make_pod();
  pod["spec"]["initContainers"][1] = {
      {"name", "logger"}, {"image", "busybox:1.36"}, {"restartPolicy", "Always"}};
  syncer_->sync_pod(pod, state_);
  syncer_->sync_pod(pod, state_);
  syncer_->sync_pod(pod, state_);
  ASSERT_EQ(state_of("main"), ContainerState::kRunning);
  ASSERT_EQ(state_of("logger"), ContainerState::kRunning);
  const std::string proxy = newest("proxy")->id, logger = newest("logger")->id,
                    main = newest("main")->id;
  ASSERT_TRUE(syncer_->kill_pod("uid-1", &pod, seconds(30)).ok());
  std::vector<std::string> stops;
  for (const auto& call : runtime_->calls()) {
    if (call.rfind("stop_container ", 0) == 0) stops.push_back(call.substr(15));
  }
  EXPECT_EQ(stops, (std::vector<std::string>{main, logger, proxy}));
}

}  // namespace
}  // namespace bosun::agent
