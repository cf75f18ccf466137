#include "agent/event_recorder.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "client/test_config.h"
#include "common/time_format.h"

namespace bosun::agent {
namespace {

using apiserver::testing::RestTestServer;

const client::GroupVersionResource kEvents{"", "v1", "events"};

Json pod(const std::string& name, const std::string& uid) {
  return {{"metadata", {{"name", name}, {"namespace", "default"}, {"uid", uid}}}};
}

class EventRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
    recorder_ = std::make_unique<ApiEventRecorder>(*client_, clock_);
  }

  // The posted events as "<pod>/<reason>" with their firstTimestamp.
  std::map<std::string, std::string> posted() {
    std::map<std::string, std::string> out;
    auto events = client_->list(kEvents, "default");
    EXPECT_TRUE(events.ok());
    if (!events.ok()) return out;
    for (const Json& e : (*events)["items"]) {
      out[e["involvedObject"]["name"].get<std::string>() + "/" + e["reason"].get<std::string>()] =
          e["firstTimestamp"].get<std::string>();
    }
    return out;
  }

  FakeClock clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<ApiEventRecorder> recorder_;
};

TEST_F(EventRecorderTest, AHeldPodsEventsArePostedAtItsReleaseWithTheTimeTheyHappened) {
  const std::string started_at = format_rfc3339(clock_.now());
  recorder_->hold_pod("uid-a");
  recorder_->record(pod("a", "uid-a"), "spec.containers{app}", "Normal", "Created",
                    "Created container: app");
  recorder_->record(pod("a", "uid-a"), "spec.containers{app}", "Normal", "Started",
                    "Started container app");
  // Another pod's event, recorded after the held ones, is not kept behind them.
  recorder_->record(pod("b", "uid-b"), "spec.containers{app}", "Normal", "Started",
                    "Started container app");
  recorder_->hold_pod("uid-c");
  recorder_->release_pod("uid-c");  // nothing held: nothing happens
  std::map<std::string, std::string> seen;
  for (int i = 0; i < 500 && !seen.count("b/Started"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = posted();
  }
  ASSERT_TRUE(seen.count("b/Started"));
  // The sender took the queue in order: a's events, ahead of b's, would be there if not held.
  EXPECT_FALSE(seen.count("a/Created"));
  EXPECT_FALSE(seen.count("a/Started"));

  clock_.advance(std::chrono::seconds(5));
  recorder_->release_pod("uid-a");
  recorder_->release_pod("uid-a");  // a second release does nothing
  recorder_->flush();
  seen = posted();
  ASSERT_TRUE(seen.count("a/Created"));
  ASSERT_TRUE(seen.count("a/Started"));
  EXPECT_EQ(seen["a/Created"], started_at);
  EXPECT_EQ(seen["a/Started"], started_at);
  EXPECT_EQ(recorder_->sent(), 3u);
}

TEST_F(EventRecorderTest, NodeRecordersHoldThroughTheSharedSender) {
  auto node = recorder_->for_node("node-a");
  node->hold_pod("uid-a");
  node->record(pod("a", "uid-a"), "", "Normal", "Scheduled", "held");
  node->record(pod("b", "uid-b"), "", "Normal", "Scheduled", "not held");
  std::map<std::string, std::string> seen;
  for (int i = 0; i < 500 && !seen.count("b/Scheduled"); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    seen = posted();
  }
  ASSERT_TRUE(seen.count("b/Scheduled"));
  EXPECT_FALSE(seen.count("a/Scheduled"));
  node->release_pod("uid-a");
  recorder_->flush();
  EXPECT_TRUE(posted().count("a/Scheduled"));
}

}  // namespace
}  // namespace bosun::agent
