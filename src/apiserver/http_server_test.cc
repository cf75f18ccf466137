// The HTTPS serving layer end to end, in process: a real ApiServer on port 0 with its PKI in a
// temporary directory, driven by a TLS client the way kubectl drives it.
#include "apiserver/http_server.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

#include "apiserver/apiserver.h"
#include "apiserver/gzip.h"
#include "apiserver/test_client.h"
#include "apiserver/version.h"
#include "common/json.h"

namespace bosun::apiserver {
namespace {

using testing::Reply;
using testing::TestClient;
using testing::TestClientOptions;

// A one-shot gate a handler can block on.
class Latch {
 public:
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// What the streaming handler hands over to the test.
struct StreamProbe {
  std::mutex mu;
  std::condition_variable cv;
  std::shared_ptr<ResponseStream> stream;
  std::optional<StreamEnd> ended;

  std::shared_ptr<ResponseStream> wait_stream() {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return stream != nullptr; });
    return stream;
  }
  bool ended_now() {
    std::lock_guard lock(mu);
    return ended.has_value();
  }
  std::optional<StreamEnd> wait_end() {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return ended.has_value(); });
    return ended;
  }

  // The streams of /many, in the order their requests arrived.
  std::vector<std::shared_ptr<ResponseStream>> many;
  std::vector<std::shared_ptr<ResponseStream>> wait_many(size_t n) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return many.size() >= n; });
    return many;
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/bosun-http-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    start_server();
  }
  void start_server(std::chrono::milliseconds write_timeout = std::chrono::seconds(60)) {
    ApiServerOptions o;
    o.write_timeout = write_timeout;
    o.data_dir = dir_;
    o.listen = "127.0.0.1:0";
    o.io_threads = 2;
    o.worker_threads = 4;
    o.metrics = &metrics_;
    o.install_routes = [this](Router& r, HealthChecks& h) -> Result<void> {
      install_test_routes(r, h);
      return ok_result();
    };
    auto s = ApiServer::start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
  }
  void TearDown() override {
    slow_.open();
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  void install_test_routes(Router& r, HealthChecks& h) {
    h.add("flaky", [this]() -> Result<void> {
      if (flaky_failing_.load()) return make_error(ErrorCode::kInternal, "store unreachable");
      return ok_result();
    });
    r.handle_prefix("/echo/", Route{[](const std::shared_ptr<Exchange>& ex) {
                      const Request& req = ex->request();
                      Json q = Json::array();
                      for (const auto& [k, v] : req.query.items()) q.push_back({k, v});
                      ex->respond(Response::json(200, {{"method", req.method},
                                                       {"path", req.path},
                                                       {"segments", req.segments},
                                                       {"query", q},
                                                       {"user", req.user.name},
                                                       {"groups", req.user.groups},
                                                       {"requestID", req.request_id},
                                                       {"bodyBytes", req.body.size()}}));
                    }});
    r.handle("/big", Route{[](const std::shared_ptr<Exchange>& ex) {
               size_t n = 200 * 1024;
               if (auto s = ex->request().query.get("size")) n = std::stoul(std::string(*s));
               Response resp;
               resp.content_type = "text/plain";
               resp.body.reserve(n);
               for (size_t i = 0; resp.body.size() < n; ++i) resp.body += std::to_string(i % 10);
               resp.body.resize(n);
               ex->respond(std::move(resp));
             }});
    r.handle("/stream", Route{[this](const std::shared_ptr<Exchange>& ex) {
                                auto stream = ex->start_stream(StreamHead{});
                                stream->on_close([this](StreamEnd why) {
                                  std::lock_guard lock(probe_.mu);
                                  probe_.ended = why;
                                  probe_.cv.notify_all();
                                });
                                std::lock_guard lock(probe_.mu);
                                probe_.stream = stream;
                                probe_.cv.notify_all();
                              },
                              /*may_block=*/false});
    r.handle("/many", Route{[this](const std::shared_ptr<Exchange>& ex) {
                              auto stream = ex->start_stream(StreamHead{});
                              std::lock_guard lock(probe_.mu);
                              probe_.many.push_back(stream);
                              probe_.cv.notify_all();
                            },
                            /*may_block=*/false});
    r.handle("/slow", Route{[this](const std::shared_ptr<Exchange>& ex) {
               slow_started_.open();
               slow_.wait(std::chrono::seconds(30));
               ex->respond(Response::text(200, "done"));
             }});
    r.handle("/throw",
             Route{[](const std::shared_ptr<Exchange>&) { throw std::runtime_error("boom"); }});
    r.handle("/forget", Route{[](const std::shared_ptr<Exchange>&) {}});
    r.handle("/keep", Route{[this](const std::shared_ptr<Exchange>& ex) {
               std::lock_guard lock(probe_.mu);
               kept_ = ex;
               probe_.cv.notify_all();
             }});
  }

  TestClientOptions admin() {
    TestClientOptions o;
    o.ca_pem = server_->pki().ca.cert_pem;
    o.client_cert = server_->pki().admin;
    return o;
  }
  TestClientOptions anonymous() {
    TestClientOptions o;
    o.ca_pem = server_->pki().ca.cert_pem;
    return o;
  }
  std::unique_ptr<TestClient> connect(TestClientOptions o) {
    auto c = TestClient::connect(server_->port(), std::move(o));
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? std::move(c).value() : nullptr;
  }
  Reply get(TestClient& c, std::string_view target, const Headers& h = {}) {
    auto r = c.request("GET", target, h);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? std::move(r).value() : Reply{};
  }

  std::string dir_;
  MetricsRegistry metrics_;
  std::unique_ptr<ApiServer> server_;
  StreamProbe probe_;
  Latch slow_;
  Latch slow_started_;
  std::atomic<bool> flaky_failing_{false};
  std::shared_ptr<Exchange> kept_;  // guarded by probe_.mu
};

TEST_F(HttpServerTest, TlsHandshakeVerifiesAgainstTheGeneratedCaForLoopbackNames) {
  // The client checks the certificate's IP SAN for 127.0.0.1, as kubectl does with the kubeconfig's
  // server.
  EXPECT_TRUE(TestClient::connect(server_->port(), admin()).ok());
  FakeClock clock;
  auto other = generate_ca("someone-else", clock);
  ASSERT_TRUE(other.ok());
  TestClientOptions wrong = admin();
  wrong.ca_pem = other->cert_pem;
  auto c = TestClient::connect(server_->port(), wrong);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("TLS handshake"), std::string::npos) << c.error().message;
}

TEST_F(HttpServerTest, NoCredentialsIsUnauthorizedStatus) {
  auto c = connect(anonymous());
  Reply r = get(*c, "/api");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/json");
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401})"));
}

TEST_F(HttpServerTest, PublicEndpointsAnswerAnonymousRequests) {
  auto c = connect(anonymous());
  EXPECT_EQ(get(*c, "/healthz").body, "ok");
  EXPECT_EQ(get(*c, "/livez").status, 200);
  EXPECT_EQ(get(*c, "/readyz/ping").body, "ok");
  EXPECT_EQ(get(*c, "/version").status, 200);
  EXPECT_EQ(get(*c, "/metrics").status, 401);
}

TEST_F(HttpServerTest, InvalidTokenIsUnauthorizedEvenOnPublicPaths) {
  auto c = connect(anonymous());
  Headers h;
  h.add("Authorization", "Bearer not-a-token");
  EXPECT_EQ(get(*c, "/healthz", h).status, 401);
}

TEST_F(HttpServerTest, ClientCertificateAuthenticatesAsAdmin) {
  auto c = connect(admin());
  Reply r = get(*c, "/echo/x");
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["user"], "admin");
  EXPECT_EQ(j["groups"], Json({"system:masters", "system:authenticated"}));
}

TEST_F(HttpServerTest, NodeTokenAuthenticates) {
  auto c = connect(anonymous());
  Headers h;
  h.add("Authorization", "Bearer " + server_->pki().node_token);
  Reply r = get(*c, "/echo/x", h);
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["user"], "system:bootstrap:" + server_->pki().node_token.substr(0, 6));
  EXPECT_EQ(j["groups"], Json({"system:bootstrappers", "system:nodes", "system:authenticated"}));
}

TEST_F(HttpServerTest, RequestCarriesDecodedSegmentsAndRepeatedQueryKeys) {
  auto c = connect(admin());
  Headers h;
  h.add("Audit-ID", "my-request-1");
  Reply r = get(*c, "/echo/a%2Fb/c?command=ls&command=-l&x=1+2", h);
  ASSERT_EQ(r.status, 200) << r.body;
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["path"], "/echo/a/b/c");
  EXPECT_EQ(j["segments"], Json({"echo", "a/b", "c"}));
  EXPECT_EQ(j["query"], Json::parse(R"([["command","ls"],["command","-l"],["x","1 2"]])"));
  EXPECT_EQ(j["requestID"], "my-request-1");
  EXPECT_EQ(r.headers.get("Audit-Id").value_or(""), "my-request-1");
  EXPECT_EQ(r.headers.get("Cache-Control").value_or(""), "no-cache, private");
}

TEST_F(HttpServerTest, EveryResponseGetsAnAuditId) {
  auto c = connect(admin());
  Reply a = get(*c, "/echo/x");
  Reply b = get(*c, "/echo/x");
  std::string ida(a.headers.get("Audit-Id").value_or(""));
  EXPECT_EQ(ida.size(), 36u);
  EXPECT_NE(ida, b.headers.get("Audit-Id").value_or(""));
}

TEST_F(HttpServerTest, VersionHasKubernetesShape) {
  auto c = connect(anonymous());
  Reply r = get(*c, "/version?timeout=32s");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/json");
  Json v = Json::parse(r.body);
  EXPECT_EQ(v["major"], "1");
  EXPECT_EQ(v["minor"], "33");
  EXPECT_EQ(v["gitVersion"], "v1.33.0+bosun." + bosun_version());
  EXPECT_EQ(v["platform"], "linux/amd64");
  for (const char* key :
       {"gitCommit", "gitTreeState", "buildDate", "goVersion", "compiler", "emulationMajor",
        "emulationMinor", "minCompatibilityMajor", "minCompatibilityMinor"}) {
    EXPECT_TRUE(v.contains(key) && v[key].is_string()) << key;
  }
  // kube-apiserver indents /version and keeps Go's field order.
  EXPECT_TRUE(r.body.starts_with("{\n  \"major\": \"1\",\n  \"minor\": \"33\",\n")) << r.body;
  auto post = c->request("POST", "/version", {}, "{}");
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status, 405);
}

TEST_F(HttpServerTest, UnknownPathIsKubernetesNotFound) {
  auto c = connect(admin());
  Reply r = get(*c, "/apis/nothing.example/v1");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},
      "status":"Failure","message":"the server could not find the requested resource","reason":"NotFound",
      "code":404})"));
}

TEST_F(HttpServerTest, BodyOverThreeMebibytesIs413Status) {
  auto c = connect(admin());
  auto ok = c->request("POST", "/echo/x", {}, std::string(kMaxRequestBodyBytes, 'a'));
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  ASSERT_EQ(ok->status, 200);
  EXPECT_EQ(Json::parse(ok->body)["bodyBytes"], kMaxRequestBodyBytes);

  auto too_big = c->request("POST", "/echo/x", {}, std::string(kMaxRequestBodyBytes + 1, 'a'));
  ASSERT_TRUE(too_big.ok()) << too_big.error().message;
  EXPECT_EQ(too_big->status, 413);
  EXPECT_FALSE(too_big->keep_alive);
  EXPECT_EQ(Json::parse(too_big->body),
            Json::parse(R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                "message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge",
                "code":413})"));
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIs413) {
  auto c = connect(admin());
  std::string head =
      "POST /echo/x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n";
  ASSERT_TRUE(c->write_raw(head).ok());
  std::string chunk(1 << 20, 'b');
  std::string framed = "100000\r\n" + chunk + "\r\n";
  for (int i = 0; i < 4; ++i) {
    if (!c->write_raw(framed).ok()) break;  // the server may stop reading once it has answered
  }
  auto rest = c->read_until_close();
  ASSERT_TRUE(rest.ok()) << rest.error().message;
  EXPECT_TRUE(rest->starts_with("HTTP/1.1 413 ")) << rest->substr(0, 100);
  EXPECT_NE(rest->find("Request entity too large: limit is 3145728"), std::string::npos);
}

TEST_F(HttpServerTest, OversizedHeaderIs431) {
  auto c = connect(admin());
  std::string req = "GET /echo/x HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  while (req.size() <= kMaxHeaderBytes)
    req += "X-Big-" + std::to_string(req.size()) + ": " + std::string(60000, 'h') + "\r\n";
  req += "\r\n";
  ASSERT_TRUE(c->write_raw(req).ok());
  auto reply = c->read_until_close();
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_TRUE(reply->starts_with("HTTP/1.1 431 ")) << reply->substr(0, 100);
  EXPECT_NE(reply->find("431 Request Header Fields Too Large"), std::string::npos);
}

TEST_F(HttpServerTest, LargeResponsesAreGzippedWhenAsked) {
  auto c = connect(admin());
  Headers gz;
  gz.add("Accept-Encoding", "gzip");
  Reply big = get(*c, "/big", gz);
  ASSERT_EQ(big.status, 200);
  EXPECT_EQ(big.headers.get("Content-Encoding").value_or(""), "gzip");
  EXPECT_EQ(big.headers.get("Vary").value_or(""), "Accept-Encoding");
  auto plain = gzip_decompress(big.body, 1 << 20);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), 200u * 1024);
  EXPECT_LT(big.body.size(), plain->size());

  Reply not_asked = get(*c, "/big");
  EXPECT_FALSE(not_asked.headers.has("Content-Encoding"));
  EXPECT_EQ(not_asked.body, *plain);

  // Kubernetes compresses only bodies larger than its 128 KiB threshold.
  Reply at_threshold = get(*c, "/big?size=131072", gz);
  EXPECT_FALSE(at_threshold.headers.has("Content-Encoding"));
  EXPECT_EQ(at_threshold.body.size(), 131072u);
  Reply above = get(*c, "/big?size=131073", gz);
  EXPECT_EQ(above.headers.get("Content-Encoding").value_or(""), "gzip");
}

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  auto c = connect(admin());
  for (int i = 0; i < 20; ++i) {
    Reply r = get(*c, i % 2 ? "/version" : "/echo/x");
    ASSERT_EQ(r.status, 200) << i;
    EXPECT_TRUE(r.keep_alive);
  }
  // Errors do not cost the connection either.
  EXPECT_EQ(get(*c, "/nothing").status, 404);
  EXPECT_EQ(get(*c, "/echo/y").status, 200);
}

TEST_F(HttpServerTest, HandlerExceptionsBecomeInternalErrorStatus) {
  auto c = connect(admin());
  Reply r = get(*c, "/throw");
  EXPECT_EQ(r.status, 500);
  Json j = Json::parse(r.body);
  EXPECT_EQ(j["reason"], "InternalError");
  EXPECT_EQ(j["message"], "Internal error occurred: boom");
  Reply forgotten = get(*c, "/forget");
  EXPECT_EQ(forgotten.status, 500);
  EXPECT_EQ(get(*c, "/version").status, 200);
}

TEST_F(HttpServerTest, StreamDeliversEachWriteAsItHappensAndEndsCleanly) {
  auto c = connect(admin());
  auto head = c->start_stream("GET", "/stream");
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers.get("Transfer-Encoding").value_or(""), "chunked");
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  for (int i = 0; i < 3; ++i) {
    std::string line = "{\"type\":\"ADDED\",\"n\":" + std::to_string(i) + "}\n";
    ASSERT_TRUE(stream->write(line));
    // Each line reaches the client while the stream stays open: nothing waits for more data or the
    // end.
    auto chunk = c->read_chunk();
    ASSERT_TRUE(chunk.ok()) << chunk.error().message;
    ASSERT_TRUE(chunk->has_value());
    EXPECT_EQ(**chunk, line);
  }
  stream->finish();
  auto end = c->read_chunk();
  ASSERT_TRUE(end.ok()) << end.error().message;
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kFinished);
  EXPECT_FALSE(stream->write("late\n"));
  // The connection serves the next request after the stream.
  EXPECT_EQ(get(*c, "/version").status, 200);
}

TEST_F(HttpServerTest, SharedChunksGoOutInOrderWithTheStreamsOwnWrites) {
  auto shared = SharedChunk::make("abc\n");
  EXPECT_EQ(shared->data(), "abc\n");
  EXPECT_EQ(shared->framed(), "4\r\nabc\n\r\n");
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  // Back to back, so that some of them queue behind others whichever path they take.
  ASSERT_TRUE(stream->write("one\n"));
  ASSERT_TRUE(stream->write_shared(shared));
  ASSERT_TRUE(stream->write_shared(SharedChunk::make("")));  // nothing to send
  ASSERT_TRUE(stream->write("two\n"));
  ASSERT_TRUE(stream->write_shared(shared));
  const std::string expected = "one\nabc\ntwo\nabc\n";
  std::string got;
  while (got.size() < expected.size()) {
    auto chunk = c->read_chunk();
    ASSERT_TRUE(chunk.ok()) << chunk.error().message;
    ASSERT_TRUE(chunk->has_value());
    got += **chunk;
  }
  EXPECT_EQ(got, expected);
  stream->finish();
  auto end = c->read_chunk();
  ASSERT_TRUE(end.ok()) << end.error().message;
  EXPECT_FALSE(end->has_value());
  EXPECT_FALSE(stream->write_shared(shared));
  // The connection goes back to serving requests.
  EXPECT_EQ(get(*c, "/version").status, 200);
  EXPECT_EQ(get(*c, "/version").status, 200);
}

TEST_F(HttpServerTest, ABatchOfSharedChunksGoesOutInOrderAsSeparateChunks) {
  auto abc = SharedChunk::make("abc\n");
  auto de = SharedChunk::make("de\n");
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  std::vector<SharedChunkPtr> batch = {abc, SharedChunk::make(""), de, abc};
  // On an idle stream (joined into one write), then twice back to back (the second queues).
  ASSERT_TRUE(stream->write_shared_batch(batch));
  ASSERT_TRUE(stream->write_shared_batch(batch));
  ASSERT_TRUE(stream->write("own\n"));
  ASSERT_TRUE(stream->write_shared_batch(batch));
  ASSERT_TRUE(stream->write_shared_batch({}));  // nothing to send
  // Each shared chunk keeps its own chunk framing: a watch client sees the same lines whether
  // they came one by one or together.
  const std::vector<std::string> expected = {"abc\n", "de\n",  "abc\n", "abc\n", "de\n",
                                             "abc\n", "own\n", "abc\n", "de\n",  "abc\n"};
  std::vector<std::string> got;
  while (got.size() < expected.size()) {
    auto chunk = c->read_chunk();
    ASSERT_TRUE(chunk.ok()) << chunk.error().message;
    ASSERT_TRUE(chunk->has_value());
    got.push_back(**chunk);
  }
  EXPECT_EQ(got, expected);
  stream->finish();
  auto end = c->read_chunk();
  ASSERT_TRUE(end.ok()) << end.error().message;
  EXPECT_FALSE(end->has_value());
  EXPECT_FALSE(stream->write_shared_batch(batch));
  EXPECT_EQ(get(*c, "/version").status, 200);
}

// Streams opened one after another on /many, so that client i holds stream i.
std::vector<std::unique_ptr<TestClient>> open_many(
    size_t n, const std::function<std::unique_ptr<TestClient>()>& connect, StreamProbe& probe) {
  std::vector<std::unique_ptr<TestClient>> clients;
  for (size_t i = 0; i < n; ++i) {
    clients.push_back(connect());
    if (!clients.back() || !clients.back()->start_stream("GET", "/many").ok()) return {};
    if (probe.wait_many(i + 1).size() != i + 1) return {};
  }
  return clients;
}

// Field `index` of a sysctl file of numbers (tcp_wmem: min, default, max); 0 when unreadable.
size_t sysctl_number(const std::string& path, int index) {
  std::ifstream in(path);
  size_t value = 0;
  for (int i = 0; i <= index; ++i) {
    if (!(in >> value)) return 0;
  }
  return value;
}

// Reads chunks until `n` arrived (or the stream broke); their data in order.
std::vector<std::string> read_chunks(TestClient& c, size_t n) {
  std::vector<std::string> got;
  while (got.size() < n) {
    auto chunk = c.read_chunk();
    if (!chunk.ok() || !chunk->has_value()) break;
    got.push_back(**chunk);
  }
  return got;
}

// The watch fan-out's path: writes to many streams gathered in a SendBatch (one system call per
// batch), interleaved with streams' own direct writes, reach every client whole and in order.
TEST_F(HttpServerTest, BatchedWritesReachEveryStreamInOrderWithItsOwnWrites) {
  SendBatch* batch = SendBatch::for_this_thread();
  if (batch == nullptr) {
    GTEST_SKIP() << "io_uring is not available on this kernel";
  }
  constexpr size_t kStreams = 12;
  constexpr int kRounds = 30;
  auto clients = open_many(
      kStreams, [&] { return connect(admin()); }, probe_);
  ASSERT_EQ(clients.size(), kStreams);
  auto streams = probe_.wait_many(kStreams);
  std::vector<std::vector<std::string>> expected(kStreams);
  for (int r = 0; r < kRounds; ++r) {
    auto line = SharedChunk::make("event " + std::to_string(r) + "\n");
    std::vector<SharedChunkPtr> lines = {line};
    if (r % 4 == 0) lines.push_back(SharedChunk::make("and more " + std::to_string(r) + "\n"));
    for (size_t i = 0; i < kStreams; ++i) {
      if (r % 5 == 0 && i % 3 == 0) {
        std::string own = "own " + std::to_string(r) + "/" + std::to_string(i) + "\n";
        ASSERT_TRUE(streams[i]->write(own));
        expected[i].push_back(own);
      }
      ASSERT_TRUE(streams[i]->write_shared_batch(lines, *batch));
      for (const auto& l : lines) expected[i].push_back(std::string(l->data()));
    }
    // Every other round flushes mid-way through the next one's writes instead.
    if (r % 2 == 1) batch->flush();
  }
  batch->flush();
  for (size_t i = 0; i < kStreams; ++i) {
    EXPECT_EQ(read_chunks(*clients[i], expected[i].size()), expected[i]) << "stream " << i;
  }
  for (auto& s : streams) s->finish();
  for (auto& c : clients) {
    auto end = c->read_chunk();
    ASSERT_TRUE(end.ok()) << end.error().message;
    EXPECT_FALSE(end->has_value());
    EXPECT_EQ(get(*c, "/version").status, 200);
  }
}

// A client that stops reading: its socket fills, the batch's sends take part of a write or
// nothing, and the rest waits in the stream behind whatever came later, while the batch keeps
// serving the clients that read. Once it reads again everything arrives, whole and in order.
TEST_F(HttpServerTest, BatchedWritesToAClientThatStopsReadingWaitAndArriveWhole) {
  SendBatch* batch = SendBatch::for_this_thread();
  if (batch == nullptr) {
    GTEST_SKIP() << "io_uring is not available on this kernel";
  }
  constexpr size_t kStreams = 4;  // stream 0's client reads only at the end
  // More than the socket buffers can hold: the sender's grows up to tcp_wmem's maximum, the
  // receiver's stays at tcp_rmem's default while nothing is read.
  const size_t buffers = sysctl_number("/proc/sys/net/ipv4/tcp_wmem", 2) +
                         sysctl_number("/proc/sys/net/ipv4/tcp_rmem", 1);
  ASSERT_GT(buffers, 0u);
  constexpr size_t kChunk = 64 * 1024;
  const int kRounds = static_cast<int>((buffers + (2u << 20)) / kChunk);
  auto clients = open_many(
      kStreams, [&] { return connect(admin()); }, probe_);
  ASSERT_EQ(clients.size(), kStreams);
  auto streams = probe_.wait_many(kStreams);
  std::vector<std::string> expected;
  for (int r = 0; r < kRounds; ++r) {
    expected.push_back(std::string(kChunk, static_cast<char>('a' + r % 26)) + "\n");
  }
  std::vector<std::string> all;  // what each client receives
  for (int r = 0; r < kRounds; ++r) {
    all.push_back(expected[static_cast<size_t>(r)]);
    if (r % 16 == 15) all.push_back(expected[static_cast<size_t>(r)]);
  }
  std::vector<std::vector<std::string>> got(kStreams);
  std::vector<std::thread> readers;
  for (size_t i = 1; i < kStreams; ++i) {
    readers.emplace_back([&, i] { got[i] = read_chunks(*clients[i], all.size()); });
  }
  for (int r = 0; r < kRounds; ++r) {
    auto chunk = SharedChunk::make(expected[static_cast<size_t>(r)]);
    for (size_t i = 0; i < kStreams; ++i) {
      ASSERT_TRUE(streams[i]->write_shared_batch(std::span(&chunk, 1), *batch));
      // The stream's own bytes too, now and then, behind what waits.
      if (r % 16 == 15) {
        ASSERT_TRUE(streams[i]->write_shared(chunk));
      }
    }
    batch->flush();
  }
  // What the socket buffers could not hold waits in the server.
  EXPECT_GT(streams[0]->queued_bytes(), 1u << 20);
  got[0] = read_chunks(*clients[0], all.size());
  for (auto& t : readers) t.join();
  for (size_t i = 0; i < kStreams; ++i) {
    ASSERT_EQ(got[i].size(), all.size()) << "stream " << i;
    EXPECT_TRUE(got[i] == all) << "stream " << i << " differs";
  }
}

TEST_F(HttpServerTest, StreamNoticesWhenTheClientGoesAway) {
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  ASSERT_TRUE(stream->write("one\n"));
  ASSERT_TRUE(c->read_chunk().ok());
  c->abort();
  // Without any further write from the producer, the server learns of the disconnect.
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kClientGone);
  EXPECT_TRUE(stream->ended());
  EXPECT_FALSE(stream->write("two\n"));
}

TEST_F(HttpServerTest, StreamWriteBlockingAppliesBackPressureAndWakesWhenTheClientGoes) {
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  // The client reads nothing: a producer writing 1 MiB lines must end up waiting, and wake when the
  // client goes.
  std::atomic<int> written{0};
  std::thread producer([&] {
    std::string line(1 << 20, 'x');
    while (stream->write_blocking(line)) ++written;
  });
  for (int i = 0; i < 200 && stream->queued_bytes() < (1u << 20); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(stream->queued_bytes(), 1u << 20);
  EXPECT_LT(written.load(),
            64);  // bounded by the socket buffers and the high-water mark, not unbounded
  c->abort();
  producer.join();
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kClientGone);
}

TEST_F(HttpServerTest, AStreamWhoseClientStopsReadingEndsAtTheWriteTimeout) {
  server_.reset();
  start_server(std::chrono::milliseconds(300));
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  // Chunks go out one after another while the client reads nothing: once the socket buffers are
  // full a write stays in flight, and the watchdog ends the stream after 300 ms.
  std::string line(64 * 1024, 'x');
  for (int i = 0; i < 2000 && !probe_.ended_now(); ++i) {
    if (!stream->write(line)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kWriteTimeout);
}

TEST_F(HttpServerTest, AStreamThatKeepsFlowingOutlivesTheWriteTimeout) {
  server_.reset();
  start_server(std::chrono::milliseconds(300));
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  // Small events for longer than the write timeout, each read by the client: no write is ever
  // slow, so the stream stays up.
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(stream->write("event " + std::to_string(i) + "\n"));
    auto chunk = c->read_chunk();
    ASSERT_TRUE(chunk.ok() && chunk->has_value());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(probe_.ended_now());
  stream->finish();
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kFinished);
}

TEST_F(HttpServerTest, GracefulShutdownEndsStreamsAndFinishesInFlightRequests) {
  auto streamer = connect(admin());
  ASSERT_TRUE(streamer->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  ASSERT_TRUE(stream->write("before\n"));

  auto slow_client = connect(admin());
  std::optional<Result<Reply>> slow_reply;
  std::thread slow_thread([&] { slow_reply = slow_client->request("GET", "/slow"); });
  ASSERT_TRUE(slow_started_.wait());

  std::thread stopper([&] { server_->shutdown(std::chrono::seconds(30)); });

  // The stream gets what was queued, then a clean end.
  auto first = streamer->read_chunk();
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->has_value());
  EXPECT_EQ(**first, "before\n");
  auto end = streamer->read_chunk();
  ASSERT_TRUE(end.ok()) << end.error().message;
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kServerShutdown);

  // New connections are refused while the in-flight request is still running.
  TestClientOptions o = admin();
  o.timeout = std::chrono::milliseconds(2000);
  for (int i = 0; i < 100; ++i) {
    if (!TestClient::connect(server_->port(), o).ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_FALSE(TestClient::connect(server_->port(), o).ok());

  slow_.open();
  slow_thread.join();
  stopper.join();
  ASSERT_TRUE(slow_reply.has_value());
  ASSERT_TRUE(slow_reply->ok()) << slow_reply->error().message;
  EXPECT_EQ((*slow_reply)->status, 200);
  EXPECT_EQ((*slow_reply)->body, "done");
  EXPECT_FALSE((*slow_reply)->keep_alive);
}

TEST_F(HttpServerTest, ShutdownClosesWhatOutlivesTheGracePeriod) {
  auto slow_client = connect(admin());
  std::optional<Result<Reply>> slow_reply;
  std::thread slow_thread([&] { slow_reply = slow_client->request("GET", "/slow"); });
  ASSERT_TRUE(slow_started_.wait());
  std::thread stopper([&] { server_->shutdown(std::chrono::milliseconds(100)); });
  slow_thread.join();  // the connection is closed under the request after 100 ms
  ASSERT_TRUE(slow_reply.has_value());
  EXPECT_FALSE(slow_reply->ok());
  slow_.open();  // lets the worker finish so that shutdown can join it
  stopper.join();
}

TEST_F(HttpServerTest, AStreamMayOutliveTheServer) {
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  server_.reset();
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kServerShutdown);
  EXPECT_FALSE(stream->write("after\n"));
  stream->finish();
  stream.reset();
  probe_.stream
      .reset();  // the last reference goes after the server: must not touch what the server freed
}

TEST_F(HttpServerTest, AnExchangeKeptPastTheServerIsHarmless) {
  auto c = connect(admin());
  std::thread requester([&] { (void)c->request("GET", "/keep"); });
  std::shared_ptr<Exchange> kept;
  {
    std::unique_lock lock(probe_.mu);
    probe_.cv.wait_for(lock, std::chrono::seconds(10), [&] { return kept_ != nullptr; });
    kept = std::move(kept_);
  }
  ASSERT_NE(kept, nullptr);
  server_.reset();  // the grace period is zero: the client's connection is closed under it
  requester.join();
  EXPECT_EQ(kept->request().path, "/keep");
  kept->respond(Response::text(200, "too late"));  // dropped
  kept.reset();  // the connection, and with it the io_context, go now
}

TEST_F(HttpServerTest, HealthEndpointsListChecksLikeKubernetes) {
  auto c = connect(admin());
  EXPECT_EQ(get(*c, "/readyz").body, "ok");
  Reply verbose = get(*c, "/readyz?verbose");
  EXPECT_EQ(verbose.body, "[+]ping ok\n[+]shutdown ok\n[+]flaky ok\nreadyz check passed\n");
  EXPECT_EQ(verbose.headers.get("Content-Type").value_or(""), "text/plain; charset=utf-8");
  EXPECT_EQ(get(*c, "/livez?verbose").body, "[+]ping ok\n[+]flaky ok\nlivez check passed\n");

  flaky_failing_ = true;
  Reply failing = get(*c, "/healthz");
  EXPECT_EQ(failing.status, 500);
  EXPECT_EQ(failing.body, "[+]ping ok\n[-]flaky failed: reason withheld\nhealthz check failed\n");
  Reply excluded = get(*c, "/healthz?exclude=flaky&exclude=nope");
  EXPECT_EQ(excluded.status, 200);
  EXPECT_EQ(get(*c, "/healthz/flaky").body, "internal server error: store unreachable\n");
  EXPECT_EQ(get(*c, "/healthz/nope").status, 404);
}

TEST_F(HttpServerTest, ReadyzFailsOnceShutdownBegins) {
  EXPECT_EQ(server_->health().serve("readyz", "", QueryParams{}).status, 200);
  server_->shutdown(std::chrono::seconds(0));
  Response r = server_->health().serve("readyz", "", QueryParams{});
  EXPECT_EQ(r.status, 500);
  EXPECT_NE(r.body.find("[-]shutdown failed: reason withheld"), std::string::npos);
  // Liveness is unaffected: the process is not broken, only leaving.
  EXPECT_EQ(server_->health().serve("livez", "", QueryParams{}).status, 200);
}

TEST_F(HttpServerTest, MetricsCountRequestsByVerbPathAndCode) {
  auto c = connect(admin());
  get(*c, "/version");
  get(*c, "/version");
  get(*c, "/nothing");
  Reply m = get(*c, "/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_EQ(m.headers.get("Content-Type").value_or(""), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(m.body.find("apiserver_request_total{code=\"200\",resource=\"\",subresource=\"/"
                        "version\",verb=\"GET\"} 2"),
            std::string::npos)
      << m.body;
  EXPECT_NE(
      m.body.find(
          "apiserver_request_total{code=\"404\",resource=\"\",subresource=\"\",verb=\"GET\"} 1"),
      std::string::npos);
  EXPECT_NE(
      m.body.find("apiserver_request_duration_seconds_count{resource=\"\",subresource=\"/version\","
                  "verb=\"GET\"} 2"),
      std::string::npos);
  // The /metrics request itself is in flight while the page is rendered.
  EXPECT_NE(m.body.find("apiserver_current_inflight_requests{request_kind=\"readOnly\"} 1"),
            std::string::npos);
}

TEST_F(HttpServerTest, LongRunningGaugeFollowsStreams) {
  auto c = connect(admin());
  ASSERT_TRUE(c->start_stream("GET", "/stream").ok());
  auto stream = probe_.wait_stream();
  ASSERT_NE(stream, nullptr);
  auto& gauge =
      metrics_.gauge_vec("apiserver_longrunning_requests", "", {"verb", "resource", "subresource"})
          .with({"GET", "", "/stream"});
  EXPECT_EQ(gauge.value(), 1);
  stream->finish();
  auto end = c->read_chunk();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ(probe_.wait_end(), StreamEnd::kFinished);
  for (int i = 0; i < 100 && gauge.value() != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(gauge.value(), 0);
}

TEST_F(HttpServerTest, IndexListsPaths) {
  auto c = connect(admin());
  Reply r = get(*c, "/");
  ASSERT_EQ(r.status, 200);
  Json paths = Json::parse(r.body)["paths"];
  for (const char* p : {"/healthz", "/livez", "/readyz", "/version", "/metrics"}) {
    EXPECT_NE(std::find(paths.begin(), paths.end(), p), paths.end()) << p;
  }
}

}  // namespace
}  // namespace bosun::apiserver
