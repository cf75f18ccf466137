// The core/v1 event recorder against the real API server: what `kubectl describe` lists (reason,
// type, message, involvedObject, source, count), a repeat counted on the first Event, similar
// events combined from the 10th distinct message, the spam filter's burst of 25 per object with
// one more every 5 minutes, cluster-scoped objects' events in "default", and a full queue dropping
// rather than blocking.
#include "client/event_recorder.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "client/test_config.h"

namespace bosun::client {
namespace {

using apiserver::testing::RestTestServer;

const GroupVersionResource kEventsV1{"", "v1", "events"};

class EventRecorderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = RestClient::create(testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  std::unique_ptr<EventRecorder> recorder(EventRecorderOptions options = {}) {
    if (options.component.empty()) options.component = "replicaset-controller";
    return std::make_unique<EventRecorder>(*client_, clock_, std::move(options));
  }
  std::vector<Json> events(std::string_view ns = "default") {
    auto list = client_->list(kEventsV1, ns);
    EXPECT_TRUE(list.ok()) << list.error().message;
    std::vector<Json> out;
    if (list.ok()) {
      for (const Json& e : (*list)["items"]) out.push_back(e);
    }
    std::sort(out.begin(), out.end(), [](const Json& a, const Json& b) {
      return a["metadata"]["name"].get<std::string>() < b["metadata"]["name"].get<std::string>();
    });
    return out;
  }
  static ObjectReference rs_ref() {
    Json rs = {
        {"metadata",
         {{"name", "web"}, {"namespace", "default"}, {"uid", "1234"}, {"resourceVersion", "7"}}}};
    return ObjectReference::of(rs, "apps/v1", "ReplicaSet");
  }

  FakeClock clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<RestClient> client_;
};

TEST_F(EventRecorderTest, WritesTheEventKubectlDescribeLists) {
  auto r = recorder();
  r->event(rs_ref(), "Normal", "SuccessfulCreate", "Created pod: web-abcde");
  r->flush();
  auto list = events();
  ASSERT_EQ(list.size(), 1u);
  const Json& e = list[0];
  EXPECT_EQ(e["reason"], "SuccessfulCreate");
  EXPECT_EQ(e["type"], "Normal");
  EXPECT_EQ(e["message"], "Created pod: web-abcde");
  EXPECT_EQ(e["count"], 1);
  EXPECT_EQ(e["source"]["component"], "replicaset-controller");
  EXPECT_EQ(e["reportingComponent"], "replicaset-controller");
  EXPECT_EQ(e["involvedObject"]["kind"], "ReplicaSet");
  EXPECT_EQ(e["involvedObject"]["apiVersion"], "apps/v1");
  EXPECT_EQ(e["involvedObject"]["name"], "web");
  EXPECT_EQ(e["involvedObject"]["namespace"], "default");
  EXPECT_EQ(e["involvedObject"]["uid"], "1234");
  EXPECT_EQ(e["involvedObject"]["resourceVersion"], "7");
  // makeEvent's name: <object>.<UnixNano in hex>.
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("web.", 0), 0u);
  EXPECT_EQ(e["firstTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(r->stats().written, 1u);
}

// Two controllers of one process record an event about the same object at the same instant (the
// node and taint-eviction controllers do, on an injected clock): both are written.
TEST_F(EventRecorderTest, TwoRecordersNameEventsAboutOneObjectAtOneInstantApart) {
  auto a = recorder();
  EventRecorderOptions other;
  other.component = "deployment-controller";
  auto b = recorder(other);
  a->event(rs_ref(), "Normal", "SuccessfulCreate", "Created pod: web-abcde");
  b->event(rs_ref(), "Normal", "ScalingReplicaSet", "Scaled up replica set web to 1");
  a->flush();
  b->flush();
  auto list = events();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_NE(list[0]["metadata"]["name"], list[1]["metadata"]["name"]);
  EXPECT_EQ(a->stats().written + b->stats().written, 2u);
}

TEST_F(EventRecorderTest, ARepeatCountsOnTheFirstEvent) {
  auto r = recorder();
  r->event(rs_ref(), "Warning", "FailedCreate", "Error creating: quota");
  clock_.advance(std::chrono::seconds(30));
  r->event(rs_ref(), "Warning", "FailedCreate", "Error creating: quota");
  r->event(rs_ref(), "Warning", "FailedCreate", "Error creating: quota");
  r->flush();
  auto list = events();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["count"], 3);
  EXPECT_EQ(list[0]["firstTimestamp"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(list[0]["lastTimestamp"], "2023-11-14T22:13:50Z");
}

TEST_F(EventRecorderTest, ARepeatOfADeletedEventIsWrittenAnew) {
  auto r = recorder();
  r->event(rs_ref(), "Warning", "FailedCreate", "Error creating: quota");
  r->flush();
  auto first = events();
  ASSERT_EQ(first.size(), 1u);
  ASSERT_TRUE(
      client_->remove(kEventsV1, "default", first[0]["metadata"]["name"].get<std::string>()).ok());
  r->event(rs_ref(), "Warning", "FailedCreate", "Error creating: quota");
  r->flush();
  auto list = events();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["count"], 2);
}

TEST_F(EventRecorderTest, SimilarEventsAreCombinedFromTheTenthMessage) {
  auto r = recorder();
  for (int i = 0; i < 15; ++i) {
    r->event(rs_ref(), "Normal", "SuccessfulCreate", fmt::format("Created pod: web-{}", i));
  }
  r->flush();
  auto list = events();
  // Nine single events, then one combined Event counting the other six.
  ASSERT_EQ(list.size(), 10u);
  int combined = 0;
  for (const Json& e : list) {
    std::string message = e["message"];
    if (message.rfind("(combined from similar events): ", 0) == 0) {
      ++combined;
      EXPECT_EQ(message, "(combined from similar events): Created pod: web-14");
      EXPECT_EQ(e["count"], 6);
    }
  }
  EXPECT_EQ(combined, 1);
}

TEST_F(EventRecorderTest, SpamFilterAllowsABurstOf25PerObjectThenOnePer5Minutes) {
  EventRecorderOptions options;
  options.aggregate_max_events = 1000;  // keep every message distinct to see the filter alone
  auto r = recorder(options);
  for (int i = 0; i < 30; ++i) {
    r->event(rs_ref(), "Normal", "SuccessfulDelete", fmt::format("Deleted pod: web-{}", i));
  }
  // Another object has its own bucket.
  ObjectReference other = rs_ref();
  other.name = "api";
  other.uid = "5678";
  r->event(other, "Normal", "SuccessfulDelete", "Deleted pod: api-1");
  r->flush();
  EXPECT_EQ(events().size(), 26u);
  EXPECT_EQ(r->stats().skipped, 5u);
  clock_.advance(std::chrono::minutes(5));
  r->event(rs_ref(), "Normal", "SuccessfulDelete", "Deleted pod: web-31");
  r->event(rs_ref(), "Normal", "SuccessfulDelete", "Deleted pod: web-32");
  r->flush();
  EXPECT_EQ(events().size(), 27u);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsEventsGoToDefault) {
  EventRecorderOptions options;
  options.component = "node-controller";
  auto r = recorder(options);
  Json node = {{"metadata", {{"name", "n1"}, {"uid", "u-n1"}}}};
  r->event(ObjectReference::of(node, "v1", "Node"), "Normal", "RegisteredNode",
           "Node n1 event: Registered Node n1 in Controller");
  r->flush();
  auto list = events("default");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_FALSE(list[0]["involvedObject"].contains("namespace"));
  EXPECT_EQ(list[0]["involvedObject"]["kind"], "Node");
  EXPECT_EQ(list[0]["source"]["component"], "node-controller");
}

TEST_F(EventRecorderTest, AFullQueueDropsInsteadOfBlocking) {
  EventRecorderOptions options;
  options.max_queued = 0;
  auto r = recorder(options);
  r->event(rs_ref(), "Normal", "SuccessfulCreate", "Created pod: web-1");
  r->flush();
  EXPECT_EQ(r->stats().dropped, 1u);
  EXPECT_TRUE(events().empty());
}

}  // namespace
}  // namespace bosun::client
