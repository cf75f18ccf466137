#include "agent/pull_progress.h"

#include <gtest/gtest.h>

#include "agent/fake_runtime.h"
#include "agent/pod_sync.h"

namespace bosun::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

struct Event {
  std::string field_path, type, reason, message;
};

class Events : public EventRecorder {
 public:
  void record(const Json&, std::string_view field_path, std::string_view type,
              std::string_view reason, std::string message) override {
    events.push_back({std::string(field_path), std::string(type), std::string(reason), message});
  }
  std::vector<std::string> messages(std::string_view reason) const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      if (e.reason == reason) out.push_back(e.message);
    }
    return out;
  }
  std::vector<Event> events;
};

TEST(PullProgress, Wording) {
  EXPECT_EQ(format_pull_progress("registry.local/big:1", 13107200, 42048307, seconds(20)),
            "Still pulling image \"registry.local/big:1\" after 20s: 12.5 MiB of 40.1 MiB (31%)");
  EXPECT_EQ(format_pull_progress("big:1", 1048576, 0, milliseconds(70400)),
            "Still pulling image \"big:1\" after 1m10s: 1.0 MiB");
}

TEST(PullProgress, OneEventPerPeriodOnlyAfterTheFirstPeriod) {
  FakeClock clock;
  std::vector<std::string> out;
  PullProgressEvents p(clock, "big:1", clock.monotonic(),
                       [&](std::string m) { out.push_back(std::move(m)); });
  p(100, 1000);
  clock.advance(seconds(9));
  p(200, 1000);
  EXPECT_TRUE(out.empty());  // a pull under 10 s shows only the kubelet's events
  clock.advance(seconds(1));
  p(300, 1000);
  clock.advance(seconds(5));
  p(400, 1000);
  clock.advance(seconds(5));
  p(500, 1000);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0], "Still pulling image \"big:1\" after 10s: 0.0 MiB of 0.0 MiB (30%)");
  EXPECT_EQ(out[1], "Still pulling image \"big:1\" after 20s: 0.0 MiB of 0.0 MiB (50%)");
}

Json pod_with(const std::string& image, const std::string& policy) {
  Json pod = {
      {"metadata", {{"name", "web"}, {"namespace", "prod"}, {"uid", "uid-1"}}},
      {"spec",
       {{"nodeName", "node-a"},
        {"containers",
         Json::array({{{"name", "app"}, {"image", image}, {"imagePullPolicy", policy}}})}}}};
  return pod;
}

class PullEventsTest : public ::testing::Test {
 protected:
  void make(std::function<void(const PullRequest&)> on_pull) {
    FakeRuntimeOptions o;
    o.clock = &clock_;
    o.images = std::set<std::string>{"busybox:1.36"};
    o.on_pull = std::move(on_pull);
    runtime_ = std::make_unique<FakeRuntime>(o);
    NodeContext node;
    node.node_name = "node-a";
    node.create_log_directories = false;
    syncer_ = std::make_unique<PodSyncer>(*runtime_, clock_, node, &events_);
  }
  FakeClock clock_;
  Events events_;
  std::unique_ptr<FakeRuntime> runtime_;
  std::unique_ptr<PodSyncer> syncer_;
  PodSyncState state_;
};

TEST_F(PullEventsTest, ASlowPullReportsProgressBetweenPullingAndPulled) {
  // 25 s of download in 5 s steps of 4 MiB each, out of 20 MiB.
  make([this](const PullRequest& r) {
    for (int i = 1; i <= 5; ++i) {
      clock_.advance(seconds(5));
      r.progress(int64_t{i} * 4 << 20, int64_t{20} << 20);
    }
  });
  syncer_->sync_pod(pod_with("big:1", "IfNotPresent"), state_);
  EXPECT_EQ(events_.messages("Pulling"),
            (std::vector<std::string>{
                "Pulling image \"big:1\"",
                "Still pulling image \"big:1\" after 10s: 8.0 MiB of 20.0 MiB (40%)",
                "Still pulling image \"big:1\" after 20s: 16.0 MiB of 20.0 MiB (80%)"}));
  for (const auto& e : events_.events) {
    if (e.reason == "Pulling") {
      EXPECT_EQ(e.type, "Normal");
      EXPECT_EQ(e.field_path, "spec.containers{app}");
    }
  }
  // The kubelet's closing event, with the duration and the image's size.
  EXPECT_EQ(events_.messages("Pulled"),
            std::vector<std::string>{"Successfully pulled image \"big:1\" in 25s (25s including "
                                     "waiting). Image size: 1048576 bytes."});
}

TEST_F(PullEventsTest, AQuickPullAndAPresentImageShowOnlyTheKubeletsEvents) {
  make(nullptr);
  syncer_->sync_pod(pod_with("quick:1", "Always"), state_);
  EXPECT_EQ(events_.messages("Pulling"), std::vector<std::string>{"Pulling image \"quick:1\""});
  EXPECT_EQ(events_.messages("Pulled"),
            std::vector<std::string>{"Successfully pulled image \"quick:1\" in 0s (0s including "
                                     "waiting). Image size: 1048576 bytes."});

  events_.events.clear();
  PodSyncState other;
  Json pod = pod_with("busybox:1.36", "IfNotPresent");
  pod["metadata"]["uid"] = "uid-2";
  syncer_->sync_pod(pod, other);
  EXPECT_TRUE(events_.messages("Pulling").empty());
  EXPECT_EQ(
      events_.messages("Pulled"),
      std::vector<std::string>{"Container image \"busybox:1.36\" already present on machine"});
}

}  // namespace
}  // namespace bosun::agent
