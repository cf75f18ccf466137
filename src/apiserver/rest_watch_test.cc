// Watches and Tables over HTTPS, as kubectl and informers use them: the chunked event stream,
// resuming from a list's resourceVersion, 410 Expired, timeoutSeconds, Table events with column
// definitions first, Table lists and gets with includeObject, and content negotiation.
#include <gtest/gtest.h>

#include "apiserver/rest_test_server.h"

namespace bosun::apiserver {
namespace {

using testing::body_json;
using testing::Reply;
using testing::RestTestServer;
using testing::TestClient;

constexpr std::string_view kTableAccept =
    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s."
    "io,application/json";

Json pod(std::string_view name, std::string_view env = "dev") {
  return Json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"labels", {{"env", env}}}}},
      {"spec", {{"containers", Json::array({{{"name", "app"}, {"image", "nginx:1.25"}}})}}}};
}

// Reads a watch stream line by line.
class EventReader {
 public:
  explicit EventReader(TestClient& client) : client_(client) {}
  // The next event; null at the end of the stream or on a timeout.
  Json next() {
    while (true) {
      size_t nl = buffer_.find('\n');
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        if (line.empty()) continue;
        return Json::parse(line, nullptr, false);
      }
      auto chunk = client_.read_chunk();
      if (!chunk.ok() || !chunk->has_value()) {
        ended_ = chunk.ok();
        return nullptr;
      }
      buffer_ += **chunk;
    }
  }
  bool ended() const { return ended_; }

 private:
  TestClient& client_;
  std::string buffer_;
  bool ended_ = false;
};

std::string describe(const Json& e) {
  if (e.is_null()) return "<end>";
  return e["type"].get<std::string>() + " " +
         e["object"]["metadata"].value("name", std::string("?"));
}

class RestWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    client_ = connect();
    watcher_ = connect();
  }
  std::unique_ptr<TestClient> connect() {
    auto c = server_->connect();
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? std::move(c).value() : nullptr;
  }
  Reply must(Result<Reply> r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : Reply{};
  }
  Reply start_watch(std::string_view target, std::string_view accept = "application/json") {
    Headers h;
    h.add("Accept", std::string(accept));
    return must(watcher_->start_stream("GET", target, h));
  }
  void create(const Json& obj) {
    Reply r = must(testing::post(*client_, "/api/v1/namespaces/default/pods", obj));
    ASSERT_EQ(r.status, 201) << r.body;
  }

  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<TestClient> client_;
  std::unique_ptr<TestClient> watcher_;
};

TEST_F(RestWatchTest, AWatchReplaysTheCurrentStateThenStreamsChanges) {
  create(pod("a"));
  Reply head = start_watch("/api/v1/namespaces/default/pods?watch=true");
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.headers.get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(head.headers.get("Transfer-Encoding").value_or(""), "chunked");
  EventReader events(*watcher_);
  EXPECT_EQ(describe(events.next()), "ADDED a");

  create(pod("b"));
  Json added = events.next();
  EXPECT_EQ(describe(added), "ADDED b");
  Json b = added["object"];
  b["metadata"]["labels"]["env"] = "prod";
  Reply updated = must(testing::put(*client_, "/api/v1/namespaces/default/pods/b", b));
  ASSERT_EQ(updated.status, 200) << updated.body;
  Json modified = events.next();
  EXPECT_EQ(describe(modified), "MODIFIED b");
  EXPECT_EQ(modified["object"]["metadata"]["resourceVersion"],
            body_json(updated)["metadata"]["resourceVersion"]);
  ASSERT_EQ(must(testing::del(*client_, "/api/v1/namespaces/default/pods/b")).status, 200);
  EXPECT_EQ(describe(events.next()), "DELETED b");
}

TEST_F(RestWatchTest, AWatchFromAListsResourceVersionSendsOnlyLaterEvents) {
  create(pod("a"));
  Json list = body_json(must(testing::get(*client_, "/api/v1/namespaces/default/pods")));
  std::string rv = list["metadata"]["resourceVersion"];
  create(pod("b"));
  ASSERT_EQ(start_watch("/api/v1/namespaces/default/pods?watch=true&resourceVersion=" + rv).status,
            200);
  EventReader events(*watcher_);
  EXPECT_EQ(describe(events.next()), "ADDED b");
  create(pod("c"));
  EXPECT_EQ(describe(events.next()), "ADDED c");
}

TEST_F(RestWatchTest, SelectorsAndOneObjectWatches) {
  ASSERT_EQ(start_watch("/api/v1/namespaces/default/pods?watch=true&labelSelector=env%3Dprod&"
                        "fieldSelector=metadata.name%3Dweb")
                .status,
            200);
  EventReader events(*watcher_);
  create(pod("web", "dev"));
  create(pod("other", "prod"));
  create(pod("web2", "prod"));
  Json web = body_json(must(testing::get(*client_, "/api/v1/namespaces/default/pods/web")));
  web["metadata"]["labels"]["env"] = "prod";
  ASSERT_EQ(must(testing::put(*client_, "/api/v1/namespaces/default/pods/web", web)).status, 200);
  // The pod starts matching: kubectl sees it added.
  EXPECT_EQ(describe(events.next()), "ADDED web");
}

TEST_F(RestWatchTest, TimeoutSecondsEndsTheStreamCleanly) {
  ASSERT_EQ(start_watch("/api/v1/namespaces/default/pods?watch=true&timeoutSeconds=1").status, 200);
  EventReader events(*watcher_);
  EXPECT_TRUE(events.next().is_null());
  EXPECT_TRUE(events.ended());
}

TEST_F(RestWatchTest, AFutureResourceVersionIsRefused) {
  Reply r = must(
      testing::get(*client_, "/api/v1/namespaces/default/pods?watch=true&resourceVersion=999999"));
  EXPECT_EQ(r.status, 504);
  Json st = body_json(r);
  EXPECT_EQ(st["reason"], "Timeout");
  EXPECT_TRUE(st["message"].get<std::string>().starts_with("Too large resource version: 999999"));
}

TEST_F(RestWatchTest, SendInitialEventsEndsTheReplayWithABookmark) {
  create(pod("a"));
  create(pod("b"));
  ASSERT_EQ(start_watch("/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&"
                        "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true")
                .status,
            200);
  EventReader events(*watcher_);
  EXPECT_EQ(describe(events.next()), "ADDED a");
  EXPECT_EQ(describe(events.next()), "ADDED b");
  Json bookmark = events.next();
  ASSERT_EQ(bookmark["type"], "BOOKMARK");
  EXPECT_EQ(bookmark["object"]["kind"], "Pod");
  EXPECT_EQ(bookmark["object"]["metadata"]["annotations"]["k8s.io/initial-events-end"], "true");
  EXPECT_FALSE(bookmark["object"]["metadata"]["resourceVersion"].get<std::string>().empty());
  create(pod("c"));
  EXPECT_EQ(describe(events.next()), "ADDED c");
  // The watch-list parameters are checked as Kubernetes checks them.
  Reply bad = must(
      testing::get(*client_, "/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true"));
  EXPECT_EQ(bad.status, 422);
}

// NotOlderThan N: the initial events hold what N had; a revision the store has not reached is
// refused after Kubernetes' wait.
TEST_F(RestWatchTest, SendInitialEventsNotOlderThanARevision) {
  create(pod("a"));
  Reply b = must(testing::post(*client_, "/api/v1/namespaces/default/pods", pod("b")));
  ASSERT_EQ(b.status, 201) << b.body;
  const std::string rv = body_json(b)["metadata"]["resourceVersion"].get<std::string>();
  ASSERT_EQ(start_watch("/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&"
                        "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&"
                        "resourceVersion=" +
                        rv)
                .status,
            200);
  EventReader events(*watcher_);
  EXPECT_EQ(describe(events.next()), "ADDED a");
  EXPECT_EQ(describe(events.next()), "ADDED b");
  EXPECT_EQ(events.next()["type"], "BOOKMARK");

  Reply future = must(testing::get(
      *client_,
      "/api/v1/namespaces/default/pods?watch=true&sendInitialEvents=true&"
      "resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&resourceVersion=999999"));
  EXPECT_EQ(future.status, 504);
  EXPECT_EQ(body_json(future)["reason"], "Timeout");
}

TEST_F(RestWatchTest, TableWatchEventsCarryColumnsFirst) {
  create(pod("a"));
  ASSERT_EQ(start_watch("/api/v1/namespaces/default/pods?watch=true", kTableAccept).status, 200);
  EventReader events(*watcher_);
  Json first = events.next();
  ASSERT_EQ(first["type"], "ADDED");
  const Json& table = first["object"];
  EXPECT_EQ(table["kind"], "Table");
  EXPECT_EQ(table["apiVersion"], "meta.k8s.io/v1");
  ASSERT_FALSE(table["columnDefinitions"].empty());
  EXPECT_EQ(table["columnDefinitions"][0]["name"], "Name");
  ASSERT_EQ(table["rows"].size(), 1u);
  EXPECT_EQ(table["rows"][0]["cells"][0], "a");
  EXPECT_EQ(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
  EXPECT_EQ(table["rows"][0]["object"]["metadata"]["namespace"], "default");
  EXPECT_EQ(table["metadata"]["resourceVersion"],
            table["rows"][0]["object"]["metadata"]["resourceVersion"]);
  create(pod("b"));
  Json second = events.next();
  EXPECT_EQ(second["type"], "ADDED");
  EXPECT_TRUE(second["object"]["columnDefinitions"].empty());
  EXPECT_EQ(second["object"]["rows"][0]["cells"][0], "b");
}

TEST_F(RestWatchTest, WatchersOfOneEventEachGetTheLineTheyAskedFor) {
  // One event fans out as shared lines, but only to watchers that would get the same bytes: a
  // Table watcher gets the column definitions with its own first event only, never with
  // noHeaders=true, and a plain watcher gets the object.
  Headers table;
  table.add("Accept", std::string(kTableAccept));
  auto early = connect();
  ASSERT_EQ(
      must(early->start_stream("GET", "/api/v1/namespaces/default/pods?watch=true", table)).status,
      200);
  EventReader early_events(*early);
  create(pod("a"));
  ASSERT_FALSE(early_events.next()["object"]["columnDefinitions"].empty());
  std::string rv = body_json(must(
      testing::get(*client_, "/api/v1/namespaces/default/pods")))["metadata"]["resourceVersion"];
  std::string from = "/api/v1/namespaces/default/pods?watch=true&resourceVersion=" + rv;
  auto late = connect();
  ASSERT_EQ(must(late->start_stream("GET", from, table)).status, 200);
  auto bare = connect();
  ASSERT_EQ(must(bare->start_stream("GET", from + "&noHeaders=true", table)).status, 200);
  ASSERT_EQ(start_watch(from).status, 200);
  EventReader late_events(*late);
  EventReader bare_events(*bare);
  EventReader plain_events(*watcher_);

  create(pod("b"));
  Json e = early_events.next();
  Json l = late_events.next();
  Json b = bare_events.next();
  Json p = plain_events.next();
  EXPECT_EQ(e["object"]["rows"][0]["cells"][0], "b");
  EXPECT_TRUE(e["object"]["columnDefinitions"].empty());
  EXPECT_EQ(l["object"]["rows"][0]["cells"][0], "b");
  ASSERT_FALSE(l["object"]["columnDefinitions"].empty());
  EXPECT_EQ(l["object"]["columnDefinitions"][0]["name"], "Name");
  EXPECT_EQ(b["object"]["rows"][0]["cells"][0], "b");
  EXPECT_TRUE(b["object"]["columnDefinitions"].empty());
  EXPECT_EQ(describe(p), "ADDED b");
  EXPECT_EQ(p["object"]["kind"], "Pod");

  create(pod("c"));
  EXPECT_TRUE(late_events.next()["object"]["columnDefinitions"].empty());
  EXPECT_EQ(describe(plain_events.next()), "ADDED c");
}

TEST_F(RestWatchTest, TableListsAndGets) {
  create(pod("a"));
  create(pod("b", "prod"));
  Reply r = must(testing::get(*client_, "/api/v1/namespaces/default/pods?limit=500", kTableAccept));
  ASSERT_EQ(r.status, 200) << r.body;
  Json t = body_json(r);
  EXPECT_EQ(t["kind"], "Table");
  std::vector<std::string> columns;
  for (const Json& c : t["columnDefinitions"]) {
    if (c["priority"] == 0) columns.push_back(c["name"]);
  }
  EXPECT_EQ(columns, (std::vector<std::string>{"Name", "Ready", "Status", "Restarts", "Age"}));
  ASSERT_EQ(t["rows"].size(), 2u);
  EXPECT_EQ(t["rows"][1]["cells"][0], "b");
  EXPECT_EQ(t["rows"][1]["cells"][1], "0/1");
  EXPECT_EQ(t["rows"][1]["cells"][2], "Pending");
  EXPECT_EQ(t["rows"][1]["object"]["metadata"]["labels"]["env"], "prod");
  EXPECT_FALSE(t["metadata"]["resourceVersion"].get<std::string>().empty());

  Json full = body_json(must(testing::get(
      *client_, "/api/v1/namespaces/default/pods?includeObject=Object", kTableAccept)));
  EXPECT_EQ(full["rows"][0]["object"]["kind"], "Pod");
  EXPECT_TRUE(full["rows"][0]["object"].contains("spec"));
  Json none = body_json(must(
      testing::get(*client_, "/api/v1/namespaces/default/pods?includeObject=None", kTableAccept)));
  EXPECT_TRUE(none["rows"][0]["object"].is_null());
  Reply bad = must(
      testing::get(*client_, "/api/v1/namespaces/default/pods?includeObject=All", kTableAccept));
  EXPECT_EQ(bad.status, 422);

  Json one = body_json(must(testing::get(*client_, "/api/v1/namespaces/default/pods/a",
                                         "application/json;as=Table;v=v1beta1;g=meta.k8s.io")));
  EXPECT_EQ(one["apiVersion"], "meta.k8s.io/v1beta1");
  ASSERT_EQ(one["rows"].size(), 1u);
  EXPECT_EQ(one["rows"][0]["cells"][0], "a");
}

TEST_F(RestWatchTest, ContentNegotiation) {
  create(pod("a"));
  // kubectl's describe asks for protobuf first: JSON it gets.
  Reply r = must(testing::get(*client_, "/api/v1/namespaces/default/pods/a",
                              "application/vnd.kubernetes.protobuf,application/json"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(body_json(r)["kind"], "Pod");
  Reply only_pb = must(testing::get(*client_, "/api/v1/namespaces/default/pods/a",
                                    "application/vnd.kubernetes.protobuf"));
  EXPECT_EQ(only_pb.status, 406);
  EXPECT_EQ(body_json(only_pb)["reason"], "NotAcceptable");
  Reply yaml =
      must(testing::get(*client_, "/api/v1/namespaces/default/pods/a", "application/yaml"));
  EXPECT_EQ(yaml.status, 200);
  EXPECT_NE(yaml.body.find("kind: Pod"), std::string::npos);
  Reply metadata =
      must(testing::get(*client_, "/api/v1/namespaces/default/pods",
                        "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"));
  Json m = body_json(metadata);
  EXPECT_EQ(m["kind"], "PartialObjectMetadataList");
  EXPECT_EQ(m["items"][0]["kind"], "PartialObjectMetadata");
  EXPECT_FALSE(m["items"][0].contains("spec"));

  // A protobuf Pod (kubectl sends protobuf only from its create subcommands) is refused.
  std::string envelope("k8s\0\x0a\x09\x0a\x02v1\x12\x03Pod", 15);
  Reply pb_body = must(testing::call(*client_, {"POST", "/api/v1/namespaces/default/pods", envelope,
                                                "application/vnd.kubernetes.protobuf"}));
  EXPECT_EQ(pb_body.status, 415);
  EXPECT_EQ(body_json(pb_body)["reason"], "UnsupportedMediaType");
}

}  // namespace
}  // namespace bosun::apiserver
