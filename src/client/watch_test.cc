// Watch streams from the real API server: events after a list's resourceVersion, the current state
// replayed for resourceVersion "", bookmarks, timeoutSeconds ending the stream, 410 Expired as
// kGone, a refused watch, and stop() unblocking a reader.
#include "client/watch.h"

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "client/test_config.h"

namespace bosun::client {
namespace {

using apiserver::testing::RestTestServer;
using apiserver::testing::RestTestServerOptions;

Json config_map(std::string_view name, std::string_view value = "v") {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"labels", {{"app", "w"}}}}},
              {"data", {{"k", value}}}};
}

class WatchTest : public ::testing::Test {
 protected:
  void start(RestTestServerOptions options = {}) {
    auto s = RestTestServer::start(std::move(options));
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = RestClient::create(testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  void SetUp() override { start(); }
  std::string describe(const Result<std::optional<WatchEvent>>& e) {
    if (!e.ok()) return "error: " + e.error().message;
    if (!e->has_value()) return "<end>";
    return (*e)->type + " " + (*e)->object["metadata"].value("name", std::string("?"));
  }
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<RestClient> client_;
};

TEST_F(WatchTest, EventsAfterAListsResourceVersion) {
  ASSERT_TRUE(client_->create(kConfigMaps, "default", config_map("before")).ok());
  auto list = client_->list(kConfigMaps, "default");
  ASSERT_TRUE(list.ok());
  WatchOptions o;
  o.resource_version = (*list)["metadata"]["resourceVersion"];
  auto w = Watch::start(*client_, kConfigMaps, "default", o);
  ASSERT_TRUE(w.ok()) << w.error().message;

  auto created = client_->create(kConfigMaps, "default", config_map("a"));
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(
      client_->patch(kConfigMaps, "default", "a", PatchType::kMerge, R"({"data":{"k":"2"}})").ok());
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "a").ok());

  auto e1 = (*w)->next();
  EXPECT_EQ(describe(e1), "ADDED a");
  auto e2 = (*w)->next();
  EXPECT_EQ(describe(e2), "MODIFIED a");
  ASSERT_TRUE(e2.ok() && e2->has_value());
  EXPECT_EQ((**e2).object["data"]["k"], "2");
  EXPECT_EQ(describe((*w)->next()), "DELETED a");
}

TEST_F(WatchTest, EmptyResourceVersionReplaysTheCurrentStateAndSelectorsFilter) {
  ASSERT_TRUE(client_->create(kConfigMaps, "default", config_map("x")).ok());
  Json other = config_map("y");
  other["metadata"]["labels"]["app"] = "other";
  ASSERT_TRUE(client_->create(kConfigMaps, "default", other).ok());
  WatchOptions o;
  o.label_selector = "app=w";
  o.timeout_seconds = 1;
  auto w = Watch::start(*client_, kConfigMaps, "default", o);
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(describe((*w)->next()), "ADDED x");
  // The stream ends cleanly when timeoutSeconds pass (bookmarks may come first).
  for (;;) {
    auto e = (*w)->next();
    ASSERT_TRUE(e.ok()) << e.error().message;
    if (!e->has_value()) break;
    EXPECT_EQ((*e)->type, "BOOKMARK");
  }
}

TEST_F(WatchTest, BookmarksCarryTheResourceVersion) {
  RestTestServerOptions options;
  options.watch_cache.bookmark_interval = std::chrono::milliseconds(50);
  server_.reset();
  start(options);
  auto created = client_->create(kConfigMaps, "default", config_map("b"));
  ASSERT_TRUE(created.ok());
  WatchOptions o;
  o.resource_version = (*created)["metadata"]["resourceVersion"];
  auto w = Watch::start(*client_, kConfigMaps, "default", o);
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto e = (*w)->next();
  ASSERT_TRUE(e.ok() && e->has_value()) << describe(e);
  EXPECT_EQ((*e)->type, "BOOKMARK");
  EXPECT_FALSE((*e)->object["metadata"]["resourceVersion"].get<std::string>().empty());
}

TEST_F(WatchTest, ACompactedResourceVersionIsGone) {
  RestTestServerOptions options;
  options.watch_cache.ring_capacity = 4;
  server_.reset();
  start(options);
  auto first = client_->create(kConfigMaps, "default", config_map("c0"));
  ASSERT_TRUE(first.ok());
  for (int i = 1; i < 12; ++i) {
    ASSERT_TRUE(client_->create(kConfigMaps, "default", config_map("c" + std::to_string(i))).ok());
  }
  WatchOptions o;
  o.resource_version = (*first)["metadata"]["resourceVersion"];
  auto w = Watch::start(*client_, kConfigMaps, "default", o);
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto e = (*w)->next();
  ASSERT_FALSE(e.ok()) << describe(e);
  EXPECT_EQ(e.error().code, ErrorCode::kGone);
  EXPECT_EQ(e.error().message.rfind("too old resource version: ", 0), 0u) << e.error().message;
}

TEST_F(WatchTest, AFutureResourceVersionIsRefused) {
  WatchOptions o;
  o.resource_version = "999999";
  auto w = Watch::start(*client_, kConfigMaps, "default", o);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(w.error().message.rfind("Too large resource version: 999999", 0), 0u)
      << w.error().message;
}

TEST_F(WatchTest, StopUnblocksAReader) {
  auto list = client_->list(kConfigMaps, "default");
  ASSERT_TRUE(list.ok());
  WatchOptions o;
  o.resource_version = (*list)["metadata"]["resourceVersion"];
  o.allow_bookmarks = false;
  auto w = Watch::start(*client_, kConfigMaps, "default", o);
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto reader = std::async(std::launch::async, [&] { return (*w)->next(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  (*w)->stop();
  // Without stop() the reader would wait for an event that never comes; the test's own timeout
  // would catch a stop() that does not unblock it.
  auto e = reader.get();
  EXPECT_FALSE(e.ok());
  EXPECT_TRUE((*w)->stopped());
  EXPECT_FALSE((*w)->next().ok());
}

}  // namespace
}  // namespace bosun::client
