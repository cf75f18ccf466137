#include "agent/pod_sync.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "agent/container_config.h"
#include "agent/fake_runtime.h"
#include "agent/pod_status.h"

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
  std::vector<std::string> reasons() {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto& e : events_) out.push_back(e.reason);
    return out;
  }
  bool has(std::string_view reason, std::string_view message) {
    std::lock_guard lock(mu_);
    for (auto& e : events_) {
      if (e.reason == reason && e.message == message) return true;
    }
    return false;
  }
  bool has_prefix(std::string_view reason, std::string_view prefix) {
    std::lock_guard lock(mu_);
    for (auto& e : events_) {
      if (e.reason == reason && e.message.starts_with(prefix)) return true;
    }
    return false;
  }
  void clear() {
    std::lock_guard lock(mu_);
    events_.clear();
  }
  // Each release_pod as "<pod uid> after <last event's reason>, before <what the runtime did
  // next>": `runtime_calls` says how many runtime calls there were at the release.
  void release_pod(std::string_view pod_uid) override {
    std::lock_guard lock(mu_);
    releases_.push_back({std::string(pod_uid), events_.empty() ? "" : events_.back().reason,
                         runtime_calls ? runtime_calls() : 0});
  }
  struct Release {
    std::string pod_uid;
    std::string after_event;
    size_t runtime_calls;
  };
  std::vector<Release> releases() {
    std::lock_guard lock(mu_);
    return releases_;
  }
  std::function<size_t()> runtime_calls;

 private:
  std::mutex mu_;
  std::vector<RecordedEvent> events_;
  std::vector<Release> releases_;
};

Json make_pod(const std::string& restart_policy = "Always") {
  Json pod = Json::parse(R"js({
    "metadata": {"name": "web", "namespace": "prod", "uid": "uid-1"},
    "spec": {"nodeName": "node-a", "containers": [
      {"name": "app", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent",
       "command": ["/bin/sh", "-c", "echo $(GREETING)"],
       "env": [{"name": "GREETING", "value": "hi"},
               {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
       "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}},
       "securityContext": {"allowPrivilegeEscalation": false, "runAsUser": 1000,
                           "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}}
    ]}
  })js");
  pod["spec"]["restartPolicy"] = restart_policy;
  return pod;
}

class PodSyncTest : public ::testing::Test {
 protected:
  PodSyncTest() {
    FakeRuntimeOptions o;
    o.clock = &clock_;
    o.record_calls = true;
    o.images = std::set<std::string>{"busybox:1.36"};
    o.pullable = std::set<std::string>{"busybox:1.36", "nginx:1.25"};
    runtime_ = std::make_unique<FakeRuntime>(o);
    NodeContext node;
    node.node_name = "node-a";
    node.host_ips = {"10.0.0.7"};
    node.memory_capacity_bytes = int64_t{4} << 30;
    node.allocatable_cpu_milli = 2000;
    node.data_dir = "/data";
    node.create_log_directories = false;
    syncer_ = std::make_unique<PodSyncer>(*runtime_, clock_, node, &events_);
    node_ = node;
  }

  Json status(const Json& pod) {
    auto view = observe_pod(*runtime_, pod["metadata"]["uid"].get<std::string>());
    EXPECT_TRUE(view.ok());
    PodStatusInput in;
    in.pod = &pod;
    in.view = &*view;
    in.state = &state_;
    in.node = &node_;
    in.runtime_prefix = runtime_->id_prefix();
    in.now = clock_.now();
    return generate_pod_status(in);
  }

  FakeClock clock_;
  std::unique_ptr<FakeRuntime> runtime_;
  Events events_;
  NodeContext node_;
  std::unique_ptr<PodSyncer> syncer_;
  PodSyncState state_;
};

TEST_F(PodSyncTest, CreatesTheSandboxAndStartsTheContainerWithItsConfig) {
  Json pod = make_pod();
  auto r = syncer_->sync_pod(pod, state_);
  EXPECT_FALSE(r.resync_after.has_value());
  auto containers = *runtime_->list_containers();
  ASSERT_EQ(containers.size(), 1u);
  EXPECT_EQ(containers[0].state, ContainerState::kRunning);
  auto config = *runtime_->container_config(containers[0].id);
  EXPECT_EQ(config.command, (std::vector<std::string>{"/bin/sh", "-c", "echo $(GREETING)"}));
  EXPECT_EQ(config.env, (std::vector<std::string>{"GREETING=hi", "POD=web"}));
  EXPECT_EQ(config.run_as_user, 1000);
  EXPECT_TRUE(config.no_new_privileges);
  EXPECT_EQ(config.capabilities.add, (std::vector<std::string>{"NET_ADMIN"}));
  EXPECT_EQ(config.capabilities.drop, (std::vector<std::string>{"ALL"}));
  EXPECT_EQ(config.resources.cpu_limit_milli, 500);
  EXPECT_EQ(config.resources.cpu_request_milli, 500);
  EXPECT_EQ(config.resources.memory_limit_bytes, 64 << 20);
  EXPECT_EQ(config.log_path, "/data/pods/prod_web_uid-1/app/0.log");
  EXPECT_EQ(config.oom_score_adj, -997);  // Guaranteed
  EXPECT_EQ(events_.reasons(), (std::vector<std::string>{"Pulled", "Created", "Started"}));
  EXPECT_TRUE(events_.has("Pulled", "Container image \"busybox:1.36\" already present on machine"));
  EXPECT_TRUE(events_.has("Created", "Created container: app"));
  EXPECT_TRUE(events_.has("Started", "Started container app"));

  // A second sync changes nothing.
  auto calls = runtime_->calls().size();
  (void)syncer_->sync_pod(pod, state_);
  EXPECT_EQ(runtime_->calls().size(), calls);

  Json st = status(pod);
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["qosClass"], "Guaranteed");
  EXPECT_EQ(st["containerStatuses"][0]["ready"], true);
  EXPECT_EQ(st["containerStatuses"][0]["containerID"], "fake://" + containers[0].id);
  EXPECT_TRUE(st["containerStatuses"][0]["state"].contains("running"));
}

TEST_F(PodSyncTest, CrashLoopBackOffDoublesFromTenSecondsAndResetsAfterTenMinutes) {
  Json pod = make_pod();
  (void)syncer_->sync_pod(pod, state_);
  // First crash: restarted at once.
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 1).ok());
  auto r = syncer_->sync_pod(pod, state_);
  EXPECT_FALSE(r.resync_after.has_value());
  auto view = *observe_pod(*runtime_, "uid-1");
  EXPECT_EQ(view.newest("app")->attempt, 1);
  EXPECT_EQ(view.newest("app")->state, ContainerState::kRunning);

  // Second crash: back-off 10s.
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 2).ok());
  r = syncer_->sync_pod(pod, state_);
  ASSERT_TRUE(r.resync_after.has_value());
  EXPECT_EQ(*r.resync_after, seconds(10));
  ASSERT_EQ(state_.waiting["app"].reason, "CrashLoopBackOff");
  EXPECT_EQ(state_.waiting["app"].message,
            "back-off 10s restarting failed container=app pod=web_prod(uid-1)");
  Json st = status(pod);
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["containerStatuses"][0]["state"]["waiting"]["reason"], "CrashLoopBackOff");
  EXPECT_EQ(st["containerStatuses"][0]["lastState"]["terminated"]["exitCode"], 2);
  EXPECT_EQ(st["containerStatuses"][0]["lastState"]["terminated"]["reason"], "Error");
  EXPECT_EQ(st["containerStatuses"][0]["restartCount"], 1);
  EXPECT_EQ(st["conditions"][2]["type"], "Ready");
  EXPECT_EQ(st["conditions"][2]["message"], "containers with unready status: [app]");

  clock_.advance(seconds(10));
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(observe_pod(*runtime_, "uid-1")->newest("app")->attempt, 2);
  EXPECT_EQ(state_.waiting.count("app"), 0u);

  // Third crash: 20s.
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 2).ok());
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting["app"].message,
            "back-off 20s restarting failed container=app pod=web_prod(uid-1)");
  EXPECT_EQ(*r.resync_after, seconds(20));
  // Only the newest and the previous instance are kept.
  EXPECT_LE(runtime_->container_count(), 2u);

  // Up to 5m0s at most.
  for (int i = 0; i < 6; ++i) {
    clock_.advance(seconds(300));
    (void)syncer_->sync_pod(pod, state_);
    ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 2).ok());
    (void)syncer_->sync_pod(pod, state_);
  }
  EXPECT_EQ(state_.waiting["app"].message,
            "back-off 5m0s restarting failed container=app pod=web_prod(uid-1)");

  // Running for 10 minutes forgets the back-off: the next crash restarts at once.
  clock_.advance(seconds(300));
  (void)syncer_->sync_pod(pod, state_);
  ASSERT_EQ(observe_pod(*runtime_, "uid-1")->newest("app")->state, ContainerState::kRunning);
  clock_.advance(seconds(601));
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 2).ok());
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(observe_pod(*runtime_, "uid-1")->newest("app")->state, ContainerState::kRunning);
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 2).ok());
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting["app"].message,
            "back-off 10s restarting failed container=app pod=web_prod(uid-1)");
}

TEST_F(PodSyncTest, NeverAndOnFailurePolicies) {
  Json never = make_pod("Never");
  (void)syncer_->sync_pod(never, state_);
  ASSERT_TRUE(runtime_->exit_container("uid-1", "app", 3).ok());
  (void)syncer_->sync_pod(never, state_);
  EXPECT_TRUE(state_.terminal);
  EXPECT_EQ(runtime_->container_count(), 1u);
  Json st = status(never);
  EXPECT_EQ(st["phase"], "Failed");
  EXPECT_EQ(st["containerStatuses"][0]["state"]["terminated"]["exitCode"], 3);
  EXPECT_EQ(st["conditions"][0]["status"], "False");  // the sandbox is stopped

  PodSyncState on_failure_state;
  Json on_failure = make_pod("OnFailure");
  on_failure["metadata"]["uid"] = "uid-2";
  (void)syncer_->sync_pod(on_failure, on_failure_state);
  ASSERT_TRUE(runtime_->exit_container("uid-2", "app", 1).ok());
  (void)syncer_->sync_pod(on_failure, on_failure_state);
  EXPECT_EQ(observe_pod(*runtime_, "uid-2")->newest("app")->attempt, 1);
  ASSERT_TRUE(runtime_->exit_container("uid-2", "app", 0).ok());
  (void)syncer_->sync_pod(on_failure, on_failure_state);
  EXPECT_TRUE(on_failure_state.terminal);
  state_ = on_failure_state;
  st = status(on_failure);
  EXPECT_EQ(st["phase"], "Succeeded");
  EXPECT_EQ(st["containerStatuses"][0]["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(st["conditions"][2]["reason"], "PodCompleted");
}

TEST_F(PodSyncTest, InitContainersRunOneAtATimeInOrder) {
  Json pod = make_pod();
  pod["spec"]["initContainers"] = Json::parse(R"js([
    {"name": "init-a", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"},
    {"name": "init-b", "image": "busybox:1.36", "imagePullPolicy": "IfNotPresent"}])js");
  (void)syncer_->sync_pod(pod, state_);
  auto view = *observe_pod(*runtime_, "uid-1");
  ASSERT_EQ(view.containers.size(), 1u);
  EXPECT_EQ(view.containers[0].name, "init-a");
  Json st = status(pod);
  EXPECT_EQ(st["phase"], "Pending");
  EXPECT_EQ(st["containerStatuses"][0]["state"]["waiting"]["reason"], "PodInitializing");
  EXPECT_EQ(st["conditions"][1]["message"], "containers with incomplete status: [init-a init-b]");

  // A failing init container is retried (restartPolicy Always), the next one waits.
  ASSERT_TRUE(runtime_->exit_container("uid-1", "init-a", 1).ok());
  (void)syncer_->sync_pod(pod, state_);
  view = *observe_pod(*runtime_, "uid-1");
  EXPECT_EQ(view.newest("init-a")->attempt, 1);
  EXPECT_EQ(view.newest("init-b"), nullptr);

  ASSERT_TRUE(runtime_->exit_container("uid-1", "init-a", 0).ok());
  (void)syncer_->sync_pod(pod, state_);
  view = *observe_pod(*runtime_, "uid-1");
  ASSERT_NE(view.newest("init-b"), nullptr);
  EXPECT_EQ(view.newest("app"), nullptr);
  ASSERT_TRUE(runtime_->exit_container("uid-1", "init-b", 0).ok());
  (void)syncer_->sync_pod(pod, state_);
  view = *observe_pod(*runtime_, "uid-1");
  ASSERT_NE(view.newest("app"), nullptr);
  st = status(pod);
  EXPECT_EQ(st["phase"], "Running");
  EXPECT_EQ(st["conditions"][1]["status"], "True");
  EXPECT_EQ(st["initContainerStatuses"][0]["state"]["terminated"]["reason"], "Completed");
  EXPECT_EQ(st["initContainerStatuses"][0]["restartCount"], 1);
  EXPECT_EQ(st["initContainerStatuses"][1]["ready"], true);

  // With restartPolicy Never a failed init container fails the pod.
  PodSyncState never_state;
  Json never = pod;
  never["metadata"]["uid"] = "uid-2";
  never["spec"]["restartPolicy"] = "Never";
  (void)syncer_->sync_pod(never, never_state);
  ASSERT_TRUE(runtime_->exit_container("uid-2", "init-a", 1).ok());
  (void)syncer_->sync_pod(never, never_state);
  EXPECT_TRUE(never_state.terminal);
  state_ = never_state;
  EXPECT_EQ(status(never)["phase"], "Failed");
}

TEST_F(PodSyncTest, ImagePullPoliciesAndPullBackOff) {
  Json pod = make_pod();
  pod["spec"]["containers"][0]["image"] = "absent:1";
  pod["spec"]["containers"][0]["imagePullPolicy"] = "Never";
  auto r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting["app"].reason, "ErrImageNeverPull");
  EXPECT_EQ(state_.waiting["app"].message,
            "Container image \"absent:1\" is not present with pull policy of Never");
  EXPECT_EQ(status(pod)["containerStatuses"][0]["state"]["waiting"]["reason"], "ErrImageNeverPull");

  // IfNotPresent with an image the registry lacks: ErrImagePull, then ImagePullBackOff.
  pod["spec"]["containers"][0]["imagePullPolicy"] = "IfNotPresent";
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting["app"].reason, "ErrImagePull");
  EXPECT_EQ(*r.resync_after, seconds(10));
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting["app"].reason, "ImagePullBackOff");
  EXPECT_EQ(state_.waiting["app"].message, "Back-off pulling image \"absent:1\"");
  EXPECT_TRUE(events_.has("Failed", "Error: ImagePullBackOff"));
  clock_.advance(seconds(10));
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting["app"].reason, "ErrImagePull");
  EXPECT_EQ(*r.resync_after, seconds(20));

  // Always pulls even when the image is present; the pull succeeds.
  pod["spec"]["containers"][0]["image"] = "nginx:1.25";
  pod["spec"]["containers"][0]["imagePullPolicy"] = "Always";
  events_.clear();
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting.count("app"), 0u);
  EXPECT_TRUE(events_.has("Pulling", "Pulling image \"nginx:1.25\""));
  EXPECT_EQ(observe_pod(*runtime_, "uid-1")->newest("app")->state, ContainerState::kRunning);
}

// enable_async_pulls: a pull runs on a thread of its own. The sync that needs it returns at once
// (the pod's other containers start meanwhile), the pod is handed back when the pull is over, and
// the next sync takes the result: the container started, or ErrImagePull with back-off.
TEST_F(PodSyncTest, AsyncPullsHoldUpOnlyTheirContainer) {
  std::mutex mu;
  std::condition_variable pulled_cv;
  std::vector<std::string> pulled;  // the uids handed back
  syncer_->enable_async_pulls(
      [&](const std::string& uid) {
        {
          std::lock_guard lock(mu);
          pulled.push_back(uid);
        }
        pulled_cv.notify_all();
      },
      1);
  auto wait_pulled = [&](size_t n) {
    std::unique_lock lock(mu);
    return pulled_cv.wait_for(lock, seconds(30), [&] { return pulled.size() >= n; });
  };
  auto calls_of = [&](const std::string& call) {
    size_t n = 0;
    for (const std::string& c : runtime_->calls()) n += c == call;
    return n;
  };
  // Until the runtime has been asked for `call` n times (a pull thread has taken its turn).
  auto wait_calls = [&](const std::string& call, size_t n) {
    for (int i = 0; i < 3000 && calls_of(call) < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return calls_of(call) == n;
  };
  runtime_->hold_pulls("nginx:1.25", true);
  Json pod = make_pod();
  pod["spec"]["containers"][0]["image"] = "nginx:1.25";
  Json side = pod["spec"]["containers"][0];
  side["name"] = "side";
  side["image"] = "busybox:1.36";
  pod["spec"]["containers"].push_back(side);
  auto r = syncer_->sync_pod(pod, state_);
  EXPECT_FALSE(r.resync_after.has_value());
  EXPECT_TRUE(events_.has("Pulling", "Pulling image \"nginx:1.25\""));
  EXPECT_EQ(observe_pod(*runtime_, "uid-1")->newest("app"), nullptr);
  ASSERT_NE(observe_pod(*runtime_, "uid-1")->newest("side"), nullptr);  // it did not wait
  EXPECT_EQ(status(pod)["containerStatuses"][0]["state"]["waiting"]["reason"], "ContainerCreating");
  ASSERT_TRUE(wait_calls("pull_image nginx:1.25", 1));
  // Synced again while the pull runs: still waiting, and no second pull.
  (void)syncer_->sync_pod(pod, state_);
  EXPECT_EQ(observe_pod(*runtime_, "uid-1")->newest("app"), nullptr);

  // One pull at a time (max_parallel 1): another pod's pull waits its turn.
  Json other = make_pod();
  other["metadata"]["uid"] = "uid-2";
  other["spec"]["containers"][0]["image"] = "absent:1";
  PodSyncState other_state;
  (void)syncer_->sync_pod(other, other_state);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(calls_of("pull_image absent:1"), 0u);

  runtime_->hold_pulls("nginx:1.25", false);
  ASSERT_TRUE(wait_pulled(2));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(std::set<std::string>(pulled.begin(), pulled.end()),
              (std::set<std::string>{"uid-1", "uid-2"}));
  }
  r = syncer_->sync_pod(pod, state_);
  EXPECT_EQ(observe_pod(*runtime_, "uid-1")->newest("app")->state, ContainerState::kRunning);
  EXPECT_EQ(calls_of("pull_image nginx:1.25"), 1u);
  EXPECT_EQ(state_.waiting.count("app"), 0u);
  EXPECT_TRUE(events_.has_prefix(
      "Pulled", "Successfully pulled image \"nginx:1.25\" in 0s (0s including waiting)."));

  // A failed pull: ErrImagePull once it is over, then back-off without another pull.
  r = syncer_->sync_pod(other, other_state);
  EXPECT_EQ(other_state.waiting["app"].reason, "ErrImagePull");
  EXPECT_EQ(*r.resync_after, seconds(10));
  r = syncer_->sync_pod(other, other_state);
  EXPECT_EQ(other_state.waiting["app"].reason, "ImagePullBackOff");
  EXPECT_EQ(calls_of("pull_image absent:1"), 1u);

  // A pod that is gone: its pull's result is dropped, and stop_pulls() ends a pull waiting its
  // turn without pulling.
  runtime_->hold_pulls("nginx:1.25", true);
  Json gone = make_pod();
  gone["metadata"]["uid"] = "uid-3";
  gone["spec"]["containers"][0]["image"] = "nginx:1.25";
  gone["spec"]["containers"][0]["imagePullPolicy"] = "Always";
  PodSyncState gone_state;
  (void)syncer_->sync_pod(gone, gone_state);
  ASSERT_TRUE(wait_calls("pull_image nginx:1.25", 2));
  Json queued = make_pod();
  queued["metadata"]["uid"] = "uid-4";
  queued["spec"]["containers"][0]["image"] = "nginx:1.25";
  queued["spec"]["containers"][0]["imagePullPolicy"] = "Always";
  PodSyncState queued_state;
  (void)syncer_->sync_pod(queued, queued_state);
  syncer_->forget_pulls("uid-3");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    runtime_->hold_pulls("nginx:1.25", false);
  });
  syncer_->stop_pulls();
  release.join();
  EXPECT_EQ(calls_of("pull_image nginx:1.25"), 2u);  // uid-1's and uid-3's, not uid-4's
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(pulled.size(), 3u);
  }
  // Stopped: a container that needs a pull waits; nothing pulls, not even the syncing thread.
  Json late = queued;
  late["metadata"]["uid"] = "uid-5";
  PodSyncState late_state;
  (void)syncer_->sync_pod(late, late_state);
  EXPECT_EQ(calls_of("pull_image nginx:1.25"), 2u);
  EXPECT_EQ(observe_pod(*runtime_, "uid-5")->newest("app"), nullptr);
}

TEST_F(PodSyncTest, HeldEventsAreReleasedBeforeAPullAndAPostStartHook) {
  // The agent holds a pod's events while it syncs the pod and writes its status; what may take
  // long must not keep them back: users watch Pulling during a pull, and Started while the
  // postStart hook runs (the kubelet posts both at once).
  events_.runtime_calls = [this] { return runtime_->calls().size(); };
  Json pod = make_pod();
  pod["spec"]["containers"][0]["image"] = "nginx:1.25";
  pod["spec"]["containers"][0]["lifecycle"] = {
      {"postStart", {{"exec", {{"command", {"/bin/true"}}}}}}};
  (void)syncer_->sync_pod(pod, state_);
  ASSERT_EQ(observe_pod(*runtime_, "uid-1")->newest("app")->state, ContainerState::kRunning);
  const auto calls = runtime_->calls();
  auto next_call = [&](size_t at) { return at < calls.size() ? calls[at] : std::string(); };
  const auto releases = events_.releases();
  ASSERT_EQ(releases.size(), 2u);
  EXPECT_EQ(releases[0].pod_uid, "uid-1");
  EXPECT_EQ(releases[0].after_event, "Pulling");
  EXPECT_EQ(next_call(releases[0].runtime_calls), "pull_image nginx:1.25");
  EXPECT_EQ(releases[1].after_event, "Started");
  EXPECT_TRUE(next_call(releases[1].runtime_calls).starts_with("exec_sync "))
      << next_call(releases[1].runtime_calls);

  // A plain start of a present image takes no long step: nothing is released early.
  Json plain = make_pod();
  plain["metadata"]["uid"] = "uid-2";
  PodSyncState plain_state;
  (void)syncer_->sync_pod(plain, plain_state);
  EXPECT_EQ(events_.releases().size(), 2u);
}

TEST_F(PodSyncTest, MissingConfigMapIsCreateContainerConfigError) {
  Json pod = make_pod();
  pod["spec"]["containers"][0]["env"].push_back(Json::parse(
      R"js({"name": "X", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "k"}}})js"));
  (void)syncer_->sync_pod(pod, state_);
  EXPECT_EQ(state_.waiting["app"].reason, "CreateContainerConfigError");
  EXPECT_EQ(state_.waiting["app"].message, "configmap \"cfg\" not found");
  EXPECT_TRUE(events_.has("Failed", "Error: configmap \"cfg\" not found"));
  EXPECT_EQ(status(pod)["phase"], "Pending");
}

TEST_F(PodSyncTest, KillPodStopsContainersThenRemovesTheSandbox) {
  Json pod = make_pod();
  pod["spec"]["containers"].push_back(
      Json{{"name", "side"}, {"image", "busybox:1.36"}, {"imagePullPolicy", "IfNotPresent"}});
  (void)syncer_->sync_pod(pod, state_);
  ASSERT_EQ(runtime_->container_count(), 2u);
  events_.clear();
  ASSERT_TRUE(syncer_->kill_pod("uid-1", &pod, seconds(30)).ok());
  EXPECT_EQ(runtime_->container_count(), 0u);
  EXPECT_EQ(runtime_->sandbox_count(), 0u);
  EXPECT_TRUE(events_.has("Killing", "Stopping container app"));
  EXPECT_TRUE(events_.has("Killing", "Stopping container side"));
}

TEST(PodSyncHelpers, PullPolicyDefaultsAndQos) {
  EXPECT_EQ(image_pull_policy(Json{{"image", "busybox"}}), "Always");
  EXPECT_EQ(image_pull_policy(Json{{"image", "busybox:latest"}}), "Always");
  EXPECT_EQ(image_pull_policy(Json{{"image", "reg:5000/busybox"}}), "Always");
  EXPECT_EQ(image_pull_policy(Json{{"image", "reg:5000/busybox:1"}}), "IfNotPresent");
  EXPECT_EQ(image_pull_policy(Json{{"image", "busybox@sha256:abc"}}), "IfNotPresent");
  EXPECT_EQ(image_pull_policy(Json{{"image", "busybox"}, {"imagePullPolicy", "Never"}}), "Never");
  Json best = Json::parse(R"js({"spec": {"containers": [{"name": "a"}]}})js");
  EXPECT_EQ(qos_class_name(pod_qos_class(best)), "BestEffort");
  Json burst = Json::parse(
      R"js({"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": "1"}}}]}})js");
  EXPECT_EQ(qos_class_name(pod_qos_class(burst)), "Burstable");
  Json guaranteed = Json::parse(R"js({"spec": {"containers": [{"name": "a", "resources":
      {"limits": {"cpu": "1", "memory": "1Gi"}, "requests": {"cpu": "1000m"}}}]}})js");
  EXPECT_EQ(qos_class_name(pod_qos_class(guaranteed)), "Guaranteed");
  EXPECT_TRUE(should_restart("Always", 0));
  EXPECT_FALSE(should_restart("OnFailure", 0));
  EXPECT_TRUE(should_restart("OnFailure", 1));
  EXPECT_FALSE(should_restart("Never", 1));
}

TEST(PodSecurityContext, PodAndContainerLevelsMerge) {
  Json pod = Json::parse(R"js({"spec": {"securityContext": {"runAsUser": 1, "runAsGroup": 2,
      "fsGroup": 3, "supplementalGroups": [4]}}})js");
  Json c = Json::parse(R"js({"securityContext": {"runAsUser": 10, "privileged": true,
      "allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true}})js");
  ContainerConfig config;
  apply_security_context(pod, c, &config);
  EXPECT_EQ(config.run_as_user, 10);
  EXPECT_EQ(config.run_as_group, 2);
  EXPECT_EQ(config.supplemental_groups, (std::vector<uint32_t>{4, 3}));
  EXPECT_TRUE(config.privileged);
  EXPECT_FALSE(config.no_new_privileges);  // privileged wins
  EXPECT_TRUE(config.read_only_root_filesystem);
}

TEST(PodSecurityContext, NoNewPrivsUnlessEscalationIsAllowed) {
  Json pod = Json::parse(R"js({"spec": {}})js");
  auto no_new_privs = [&](const char* container) {
    ContainerConfig config;
    apply_security_context(pod, Json::parse(container), &config);
    return config.no_new_privileges;
  };
  EXPECT_TRUE(no_new_privs(R"js({})js"));
  EXPECT_TRUE(no_new_privs(R"js({"securityContext": {"runAsUser": 1000}})js"));
  EXPECT_TRUE(no_new_privs(R"js({"securityContext": {"allowPrivilegeEscalation": false}})js"));
  EXPECT_TRUE(no_new_privs(R"js({"securityContext": {"capabilities": {"add": ["NET_ADMIN"]}}})js"));
  EXPECT_FALSE(no_new_privs(R"js({"securityContext": {"allowPrivilegeEscalation": true}})js"));
  EXPECT_FALSE(no_new_privs(R"js({"securityContext": {"privileged": true}})js"));
  for (const char* cap : {"CAP_SYS_ADMIN", "SYS_ADMIN", "cap_sys_admin", "ALL"}) {
    std::string c =
        std::string(R"js({"securityContext": {"capabilities": {"add": [")js") + cap + "\"]}}}";
    EXPECT_FALSE(no_new_privs(c.c_str())) << cap;
  }
}

}  // namespace
}  // namespace bosun::agent
