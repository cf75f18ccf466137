#include "apiserver/http_message.h"

#include <gtest/gtest.h>

#include "apiserver/gzip.h"
#include "apiserver/router.h"
#include "apiserver/status.h"
#include "apiserver/worker_pool.h"

namespace bosun::apiserver {
namespace {

TEST(ParseTargetTest, SplitsPathSegmentsAndQuery) {
  auto t = parse_target("/api/v1/namespaces/default/pods?limit=500&watch=true");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/api/v1/namespaces/default/pods");
  EXPECT_EQ(t->segments, (std::vector<std::string>{"api", "v1", "namespaces", "default", "pods"}));
  EXPECT_EQ(t->query.get("limit"), "500");
  EXPECT_EQ(t->query.get("watch"), "true");
  EXPECT_FALSE(t->query.get("resourceVersion").has_value());
}

TEST(ParseTargetTest, KeepsRepeatedKeysInOrder) {
  auto t = parse_target(
      "/api/v1/namespaces/d/pods/web/exec?command=ls&command=-l&container=app&stdout=true");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->query.get_all("command"), (std::vector<std::string_view>{"ls", "-l"}));
  EXPECT_EQ(t->query.get("command"), "ls");
  EXPECT_EQ(t->query.size(), 4u);
}

TEST(ParseTargetTest, DecodesQueryLikeGo) {
  // Field selectors arrive escaped: fieldSelector=metadata.name%3Dweb; '+' is a space in a query.
  auto t = parse_target(
      "/x?fieldSelector=metadata.name%3Dweb&labelSelector=app+in+%28a%2Cb%29&flag&empty=");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->query.get("fieldSelector"), "metadata.name=web");
  EXPECT_EQ(t->query.get("labelSelector"), "app in (a,b)");
  // A key without '=' is present with an empty value (url.ParseQuery), which `?verbose` relies on.
  EXPECT_TRUE(t->query.has("flag"));
  EXPECT_EQ(t->query.get("flag"), "");
  EXPECT_EQ(t->query.get("empty"), "");
}

TEST(ParseTargetTest, DropsQueryPairsWithBadEscapes) {
  auto t = parse_target("/x?a=%zz&b=2&%=3");
  ASSERT_TRUE(t.ok());
  EXPECT_FALSE(t->query.has("a"));
  EXPECT_EQ(t->query.get("b"), "2");
  EXPECT_EQ(t->query.size(), 1u);
}

TEST(ParseTargetTest, DecodesSegmentsSeparately) {
  auto t = parse_target("/api/v1/namespaces/a%2Fb/pods/c%20d");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->path, "/api/v1/namespaces/a/b/pods/c d");
  EXPECT_EQ(t->segments,
            (std::vector<std::string>{"api", "v1", "namespaces", "a/b", "pods", "c d"}));
  // '+' is literal in a path.
  EXPECT_EQ(parse_target("/a+b")->segments, std::vector<std::string>{"a+b"});
}

TEST(ParseTargetTest, TrimsOuterSlashesButKeepsInnerEmptySegments) {
  EXPECT_TRUE(parse_target("/")->segments.empty());
  EXPECT_EQ(parse_target("/api/")->segments, std::vector<std::string>{"api"});
  EXPECT_EQ(parse_target("/a//b")->segments, (std::vector<std::string>{"a", "", "b"}));
}

TEST(ParseTargetTest, RejectsBadPaths) {
  for (const char* bad : {"", "api/v1", "http://host/api", "/a%2", "/a%zz", "*"}) {
    auto t = parse_target(bad);
    ASSERT_FALSE(t.ok()) << bad;
    EXPECT_EQ(t.error().code, ErrorCode::kBadRequest);
  }
  EXPECT_EQ(parse_target("/a%zz").error().message, "invalid URL escape \"%zz\"");
}

TEST(ParseTargetTest, IgnoresAFragment) {
  auto t = parse_target("/x?a=1#frag");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->query.get("a"), "1");
}

TEST(HeadersTest, LookupIsCaseInsensitive) {
  Headers h;
  h.add("Content-Type", "application/json");
  h.add("Accept", "a");
  h.add("accept", "b");
  EXPECT_EQ(h.get("content-type"), "application/json");
  EXPECT_EQ(h.get_all("ACCEPT"), (std::vector<std::string_view>{"a", "b"}));
  h.set("ACCEPT", "c");
  EXPECT_EQ(h.get_all("accept"), std::vector<std::string_view>{"c"});
  EXPECT_FALSE(h.has("Authorization"));
}

TEST(RequestTest, WantsWebsocket) {
  Request r;
  r.headers.add("Upgrade", "websocket");
  r.headers.add("Connection", "keep-alive, Upgrade");
  EXPECT_TRUE(r.wants_websocket());
  Request spdy;
  spdy.headers.add("Upgrade", "SPDY/3.1");
  spdy.headers.add("Connection", "Upgrade");
  EXPECT_FALSE(spdy.wants_websocket());
}

TEST(AcceptsGzipTest, MatchesKubernetesTokenRule) {
  EXPECT_TRUE(accepts_gzip("gzip"));
  EXPECT_TRUE(accepts_gzip("deflate, gzip"));
  EXPECT_TRUE(accepts_gzip(" gzip ,br"));
  EXPECT_FALSE(accepts_gzip(""));
  EXPECT_FALSE(accepts_gzip("gzip;q=0.5"));  // Kubernetes compares the whole token
  EXPECT_FALSE(accepts_gzip("x-gzip"));
}

TEST(StatusTest, ErrorBecomesKubernetesStatus) {
  Error e = make_error(ErrorCode::kNotFound, "pods \"web\" not found");
  EXPECT_EQ(status_json(e),
            Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
      "message":"pods \"web\" not found","reason":"NotFound","code":404})"));
  Error invalid{ErrorCode::kInvalid,
                "Pod \"x\" is invalid",
                {{"FieldValueRequired", "Required value", "spec"}}};
  Json j = status_json(invalid);
  EXPECT_EQ(j["code"], 422);
  EXPECT_EQ(j["details"]["causes"],
            Json::parse(
                R"([{"reason":"FieldValueRequired","message":"Required value","field":"spec"}])"));
  Response r = Response::error(e);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.content_type, "application/json");
}

TEST(ResponseTest, TextIsPlainUtf8WithNoSniff) {
  Response r = Response::text(200, "ok");
  EXPECT_EQ(r.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(r.headers.get("X-Content-Type-Options"), "nosniff");
}

TEST(GzipTest, RoundTrips) {
  std::string data;
  for (int i = 0; i < 10000; ++i) data += "{\"kind\":\"Pod\",\"n\":" + std::to_string(i) + "}\n";
  auto gz = gzip_compress(data);
  ASSERT_TRUE(gz.ok());
  EXPECT_LT(gz->size(), data.size() / 4);
  EXPECT_EQ(static_cast<unsigned char>((*gz)[0]), 0x1f);  // gzip magic, not a bare zlib stream
  EXPECT_EQ(static_cast<unsigned char>((*gz)[1]), 0x8b);
  auto back = gzip_decompress(*gz, data.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, data);
  EXPECT_EQ(gzip_decompress(*gz, data.size() - 1).error().code, ErrorCode::kRequestEntityTooLarge);
  EXPECT_EQ(gzip_decompress("not gzip", 100).error().code, ErrorCode::kBadRequest);
  EXPECT_FALSE(gzip_decompress(gz->substr(0, gz->size() / 2), data.size()).ok());
  EXPECT_EQ(*gzip_decompress(*gzip_compress(""), 10), "");
}

Route named(std::string* hit, std::string name) {
  return Route{[hit, name](const std::shared_ptr<Exchange>&) { *hit = name; }};
}

TEST(RouterTest, ExactBeatsPrefixAndLongestPrefixWins) {
  Router r;
  std::string hit;
  r.handle("/api", named(&hit, "api"));
  r.handle_prefix("/api/", named(&hit, "api/"));
  r.handle_prefix("/api/v1/", named(&hit, "api/v1/"));
  r.handle("/api/v1/", named(&hit, "exact api/v1/"));

  auto m = r.find("/api");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pattern, "/api");
  EXPECT_EQ(r.find("/api/v1/pods")->pattern, "/api/v1/");
  EXPECT_EQ(r.find("/api/v2")->pattern, "/api/");
  EXPECT_EQ(r.find("/api/v1/")->pattern, "/api/v1/");
  r.find("/api/v1/")->route->handler(nullptr);
  EXPECT_EQ(hit, "exact api/v1/");
  EXPECT_FALSE(r.find("/apis"));
  EXPECT_FALSE(r.find("/"));
  EXPECT_EQ(r.paths(), (std::vector<std::string>{"/api", "/api/", "/api/v1/", "/api/v1/"}));
}

TEST(RouterTest, RegisteringTwiceAborts) {
  Router r;
  r.handle("/x", Route{});
  EXPECT_DEATH(r.handle("/x", Route{}), "registered twice");
  EXPECT_DEATH(r.handle_prefix("/noslash", Route{}), "must start and end");
}

TEST(WorkerPoolTest, RunsEverythingQueuedBeforeStopping) {
  std::atomic<int> ran{0};
  {
    WorkerPool pool(3, "test-pool");
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(pool.post([&] { ++ran; }));
    pool.stop();
    EXPECT_EQ(ran.load(), 100);
    EXPECT_FALSE(pool.post([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 100);
}

}  // namespace
}  // namespace bosun::apiserver
