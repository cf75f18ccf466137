#include "api/resources/strategy_test_util.h"

namespace bosun::api::resources {
namespace {

class CoreEventTest : public testing::StrategyTest {
 protected:
  void SetUp() override { use("", "events", install_event); }
};

class EventsV1Test : public testing::StrategyTest {
 protected:
  void SetUp() override { use("events.k8s.io", "events", install_events_v1_event); }
};

// An event as the kubelet's recorder writes it through core/v1.
Json core_event() {
  return Json::parse(R"({"apiVersion":"v1","kind":"Event",
    "metadata":{"name":"web.17c0a1b2c3d4e5f6","namespace":"default"},
    "involvedObject":{"kind":"Pod","namespace":"default","name":"web","uid":"u1",
                      "apiVersion":"v1","fieldPath":"spec.containers{nginx}"},
    "reason":"Pulled","message":"Successfully pulled image \"nginx\"  ","type":"Normal",
    "source":{"component":"kubelet","host":"node-1"},
    "firstTimestamp":"2024-05-03T14:50:00Z","lastTimestamp":"2024-05-03T14:58:00Z","count":3})");
}

// An event as the scheduler writes it through events.k8s.io/v1.
Json v1_event() {
  return Json::parse(R"({"apiVersion":"events.k8s.io/v1","kind":"Event",
    "metadata":{"name":"web.17c0a1b2c3d4e5f7","namespace":"default"},
    "eventTime":"2024-05-03T14:59:00.000000Z","reportingController":"default-scheduler",
    "reportingInstance":"default-scheduler-node-1","action":"Binding","reason":"Scheduled",
    "regarding":{"kind":"Pod","namespace":"default","name":"web","uid":"u1","apiVersion":"v1"},
    "note":"Successfully assigned default/web to node-1","type":"Normal"})");
}

TEST_F(CoreEventTest, SerialisedZeroValues) {
  Json ev = create(Json::parse(R"({"metadata":{"name":"e","namespace":"default"},
                                   "reason":"Started"})"));
  EXPECT_EQ(ev["involvedObject"], Json::object());
  EXPECT_EQ(ev["source"], Json::object());
  EXPECT_TRUE(ev["firstTimestamp"].is_null());
  EXPECT_TRUE(ev["lastTimestamp"].is_null());
  EXPECT_TRUE(ev["eventTime"].is_null());
  EXPECT_EQ(ev["reportingComponent"], "");
  EXPECT_EQ(ev["reportingInstance"], "");
}

TEST_F(CoreEventTest, LegacyValidation) {
  EXPECT_EQ(create_errors(core_event()), "");
  Json ev = core_event();
  ev["involvedObject"]["namespace"] = "other";
  EXPECT_EQ(create_errors(ev),
            "involvedObject.namespace: Invalid value: \"other\": does not match event.namespace");
  // Events about cluster-scoped objects live in "default".
  ev["involvedObject"]["namespace"] = "";
  EXPECT_EQ(create_errors(ev), "");
  // An event with an eventTime must say who reported it and what happened.
  ev = core_event();
  ev["eventTime"] = "2024-05-03T14:59:00.000000Z";
  ev.erase("reason");
  EXPECT_EQ(create_errors(ev),
            "[reportingController: Required value, reportingController: Invalid value: \"\": "
            "name part must be non-empty, reportingController: Invalid value: \"\": name part "
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
            "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
            "used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]'), "
            "reportingInstance: Required value, action: Required value, reason: Required value]")
      << "Kubernetes runs IsQualifiedName on the empty controller too";
}

TEST_F(CoreEventTest, Table) {
  const auto& cols = s().table_columns;
  ASSERT_EQ(cols.size(), 10u);
  const char* names[] = {"Last Seen", "Type",    "Reason",     "Object", "Subobject",
                         "Source",    "Message", "First Seen", "Count",  "Name"};
  const int prio[] = {0, 0, 0, 0, 1, 1, 0, 1, 1, 1};
  for (size_t i = 0; i < cols.size(); ++i) {
    EXPECT_EQ(cols[i].name, names[i]);
    EXPECT_EQ(cols[i].priority, prio[i]) << names[i];
  }
  EXPECT_EQ(s().table_cells(create(core_event())),
            Json::parse(R"(["2m","Normal","Pulled","pod/web","spec.containers{nginx}",
              "kubelet, node-1","Successfully pulled image \"nginx\"","10m",3,
              "web.17c0a1b2c3d4e5f6"])"));
}

TEST_F(EventsV1Test, StrictValidationOfNewEvents) {
  EXPECT_EQ(create_errors(v1_event()), "");
  Json ev = v1_event();
  ev.erase("eventTime");
  ev["type"] = "Info";
  ev["deprecatedCount"] = 2;
  EXPECT_EQ(create_errors(ev),
            "[eventTime: Required value, type: Invalid value: \"\": has invalid value: Info, "
            "count: Invalid value: \"\": needs to be unset]");
}

TEST_F(EventsV1Test, UpdatesMayOnlyChangeTheSeries) {
  Json old = create(v1_event());
  Json ev = old;
  ev["series"] = {{"count", 2}, {"lastObservedTime", "2024-05-03T14:59:30.000000Z"}};
  EXPECT_EQ(update_errors(ev, old), "");
  ev["note"] = "changed";
  EXPECT_EQ(update_errors(ev, old), "message: Invalid value: \"changed\": field is immutable");
  ev = old;
  ev["series"] = {{"count", 1}};
  EXPECT_EQ(update_errors(ev, old),
            "[series.count: Invalid value: \"\": should be at least 2, series.lastObservedTime: "
            "Required value]");
}

TEST_F(EventsV1Test, ConversionAndTable) {
  Json core = event_v1_to_core(v1_event());
  EXPECT_EQ(core["apiVersion"], "v1");
  EXPECT_EQ(core["message"], "Successfully assigned default/web to node-1");
  EXPECT_EQ(core["involvedObject"]["name"], "web");
  EXPECT_EQ(core["reportingComponent"], "default-scheduler");
  EXPECT_EQ(event_core_to_v1(core), v1_event());

  // A singleton event of the new API counts once, and its age comes from eventTime.
  Json cells = s().table_cells(create(v1_event()));
  EXPECT_EQ(cells, Json::parse(R"(["60s","Normal","Scheduled","pod/web","",
    "default-scheduler, default-scheduler-node-1","Successfully assigned default/web to node-1",
    "60s",1,"web.17c0a1b2c3d4e5f7"])"));
  Json series = v1_event();
  series["series"] = {{"count", 5}, {"lastObservedTime", "2024-05-03T14:59:50.000000Z"}};
  cells = s().table_cells(series);
  EXPECT_EQ(cells[0], "10s");
  EXPECT_EQ(cells[8], 5);
}

}  // namespace
}  // namespace bosun::api::resources
