#include "apiserver/event_ttl.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "common/json.h"
#include "common/time_format.h"
#include "store/sqlite_store.h"

namespace bosun::apiserver {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class EventTtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-event-ttl-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    store::SqliteOptions o;
    o.path = dir_ + "/state.db";
    o.durable = false;
    auto s = store::Store::open_sqlite(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s).value();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // A core/v1 Event created at `created` and last seen at `last` (when given).
  void put(const std::string& name, Clock::WallTime created,
           std::optional<Clock::WallTime> last = std::nullopt) {
    Json e = {{"apiVersion", "v1"},
              {"kind", "Event"},
              {"metadata",
               {{"name", name},
                {"namespace", "default"},
                {"creationTimestamp", format_rfc3339(created)}}},
              {"reason", "Pulled"}};
    if (last) e["lastTimestamp"] = format_rfc3339(*last);
    ASSERT_TRUE(store_->create("/registry/events/default/" + name, e.dump()).ok());
  }
  bool exists(const std::string& name) {
    return store_->get("/registry/events/default/" + name).ok();
  }

  std::string dir_;
  std::unique_ptr<store::Store> store_;
  FakeClock clock_;
};

TEST(EventLastChange, TakesTheNewestTimeTheEventCarries) {
  Json e = {{"metadata", {{"creationTimestamp", "2024-01-01T00:00:00Z"}}},
            {"lastTimestamp", "2024-01-01T02:00:00Z"},
            {"eventTime", "2024-01-01T01:00:00.000000Z"},
            {"series", {{"lastObservedTime", "2024-01-01T03:00:00.000000Z"}}}};
  auto t = event_last_change(e.dump());
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_rfc3339(*t), "2024-01-01T03:00:00Z");
  EXPECT_FALSE(event_last_change(R"({"metadata":{}})").has_value());
  EXPECT_FALSE(event_last_change("not json").has_value());
  EXPECT_FALSE(event_last_change(R"({"lastTimestamp": 5})").has_value());
}

TEST_F(EventTtlTest, DeletesEventsUnchangedForLongerThanTheTtl) {
  const auto now = clock_.now();
  put("old", now - hours(3));
  put("renewed", now - hours(3), now - minutes(10));  // created long ago, seen again lately
  put("fresh", now - minutes(59));
  EventReaper reaper(*store_, "/registry/events/", hours(1), clock_, hours(24));
  auto swept = reaper.sweep();
  ASSERT_TRUE(swept.ok()) << swept.error().message;
  EXPECT_EQ(*swept, 1u);
  EXPECT_FALSE(exists("old"));
  EXPECT_TRUE(exists("renewed"));
  EXPECT_TRUE(exists("fresh"));

  clock_.advance(minutes(2));  // "fresh" is now 61 minutes old
  swept = reaper.sweep();
  ASSERT_TRUE(swept.ok());
  EXPECT_EQ(*swept, 1u);
  EXPECT_FALSE(exists("fresh"));
  EXPECT_TRUE(exists("renewed"));
}

TEST_F(EventTtlTest, SweepsEveryPageAndKeepsEventsWithoutTimes) {
  const auto now = clock_.now();
  for (int i = 0; i < 1203; ++i) put("e" + std::to_string(i), now - hours(2));
  ASSERT_TRUE(store_->create("/registry/events/default/timeless", R"({"metadata":{}})").ok());
  EventReaper reaper(*store_, "/registry/events/", hours(1), clock_, hours(24));
  auto swept = reaper.sweep();
  ASSERT_TRUE(swept.ok()) << swept.error().message;
  EXPECT_EQ(*swept, 1203u);
  EXPECT_TRUE(exists("timeless"));
  auto rest = store_->list("/registry/events/", {});
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(rest->items.size(), 1u);
}

}  // namespace
}  // namespace bosun::apiserver
