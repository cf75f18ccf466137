// The discovery and OpenAPI routes as kubectl's requests reach them (the Accept headers and query
// strings of kubectl-compat/requests), through the Router with an in-memory Exchange.
#include "apiserver/discovery_routes.h"

#include <gtest/gtest.h>

#include <optional>

namespace bosun::apiserver {
namespace {

class FakeExchange final : public Exchange {
 public:
  explicit FakeExchange(Request request) : request_(std::move(request)) {}
  const Request& request() const override { return request_; }
  void respond(Response response) override {
    EXPECT_FALSE(response_.has_value()) << "answered twice";
    response_ = std::move(response);
  }
  std::shared_ptr<ResponseStream> start_stream(StreamHead) override {
    ADD_FAILURE() << "discovery never streams";
    return nullptr;
  }
  void set_metrics_labels(MetricsLabels) override {}
  std::optional<Response> response_;

 private:
  Request request_;
};

class DiscoveryRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override { install(""); }

  void install(std::string server_address) {
    router_ = Router();
    // Another component owns the resource paths below /api/ and /apis/.
    router_.handle_prefix("/apis/", Route{[](const std::shared_ptr<Exchange>& ex) {
                                            Response r;
                                            r.status = 299;
                                            ex->respond(std::move(r));
                                          },
                                          false});
    DiscoveryRoutesOptions options;
    options.discovery =
        std::make_shared<const DiscoveryDocuments>(api::ResourceRegistry::builtin());
    options.openapi =
        OpenApiDocuments::build(api::ResourceRegistry::builtin(), api::SchemaSet::global()).value();
    options.server_address = std::move(server_address);
    options.clock = &clock_;
    openapi_ = options.openapi;
    register_discovery_routes(router_, std::move(options));
  }

  Response call(std::string target, Headers headers = {}, std::string method = "GET") {
    Target t = parse_target(target).value();
    Request req;
    req.method = std::move(method);
    req.target = target;
    req.path = t.path;
    req.segments = t.segments;
    req.query = t.query;
    req.headers = std::move(headers);
    auto match = router_.find(req.path);
    if (!match) {
      ADD_FAILURE() << "no route for " << target;
      return Response();
    }
    auto ex = std::make_shared<FakeExchange>(std::move(req));
    EXPECT_FALSE(match->route->may_block) << "prebuilt bodies are served on the io thread";
    match->route->handler(ex);
    if (!ex->response_) {
      ADD_FAILURE() << "no answer for " << target;
      return Response();
    }
    return *ex->response_;
  }

  static Headers accept(std::string value) {
    Headers h;
    h.add("Accept", std::move(value));
    return h;
  }

  FakeClock clock_;  // 2023-11-14T22:13:20Z
  Router router_;
  std::shared_ptr<const OpenApiDocuments> openapi_;
};

TEST_F(DiscoveryRoutesTest, AggregatedDiscoveryForKubectl133) {
  Response r = call("/api?timeout=32s",
                    accept("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
                           "application/json;g=apidiscovery.k8s.io;v=v2beta1;as="
                           "APIGroupDiscoveryList,application/json"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
  EXPECT_EQ(r.headers.get("Vary"), "Accept");
  Json body = Json::parse(r.body);
  EXPECT_EQ(body["apiVersion"], "apidiscovery.k8s.io/v2");
  EXPECT_EQ(body["items"][0]["metadata"]["name"], "");

  r = call("/apis?timeout=32s",
           accept("application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
                  "application/json"));
  EXPECT_EQ(r.content_type,
            "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList");
  EXPECT_EQ(Json::parse(r.body)["items"][0]["metadata"]["name"], "apps");
}

TEST_F(DiscoveryRoutesTest, LegacyDiscoveryNamesTheAddressTheClientUsed) {
  Headers h = accept("application/json, */*");
  h.add("Host", "10.1.2.3:6443");
  Response r = call("/api", h);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(Json::parse(r.body)["serverAddressByClientCIDRs"][0]["serverAddress"], "10.1.2.3:6443");

  install("192.168.0.10:6443");
  r = call("/api", h);
  EXPECT_EQ(Json::parse(r.body)["serverAddressByClientCIDRs"][0]["serverAddress"],
            "192.168.0.10:6443");
  EXPECT_EQ(call("/api", accept("text/html")).status, 406);
}

TEST_F(DiscoveryRoutesTest, GroupAndResourceListsWinOverTheResourcePrefix) {
  EXPECT_EQ(Json::parse(call("/api/v1?timeout=32s").body)["groupVersion"], "v1");
  EXPECT_EQ(Json::parse(call("/apis/apps/v1").body)["groupVersion"], "apps/v1");
  EXPECT_EQ(Json::parse(call("/apis/apps").body)["kind"], "APIGroup");
  // Paths discovery does not own stay with the resource handlers.
  EXPECT_EQ(call("/apis/apps/v1/namespaces/default/deployments").status, 299);
  EXPECT_EQ(call("/apis/batch/v1").status, 299);
}

TEST_F(DiscoveryRoutesTest, OnlyReadsAreAllowed) {
  Response r = call("/apis", {}, "POST");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Json::parse(r.body)["reason"], "MethodNotAllowed");
  EXPECT_EQ(call("/openapi/v3/apis/apps/v1", {}, "DELETE").status, 405);
  EXPECT_EQ(call("/api", {}, "HEAD").status, 200);
}

TEST_F(DiscoveryRoutesTest, OpenApiV3IndexAndDocuments) {
  Response root = call("/openapi/v3?timeout=32s", accept("application/json, */*"));
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.content_type, "application/json");
  std::string etag(root.headers.get("Etag").value_or(""));
  EXPECT_EQ(etag, "\"" + openapi_etag(root.body) + "\"");
  Headers again;
  again.add("If-None-Match", etag);
  Response cached = call("/openapi/v3", again);
  EXPECT_EQ(cached.status, 304);
  EXPECT_TRUE(cached.body.empty());

  // kubectl follows serverRelativeURL exactly as the index gives it.
  std::string url = Json::parse(root.body)["paths"]["apis/apps/v1"]["serverRelativeURL"];
  Response doc = call(url + "&timeout=32s", accept("application/json"));
  EXPECT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body, openapi_->v3("apis/apps/v1")->body);
  EXPECT_EQ(doc.headers.get("Etag"), "\"" + openapi_->v3("apis/apps/v1")->etag + "\"");
  EXPECT_EQ(doc.headers.get("Cache-Control"), "public, immutable");
  EXPECT_EQ(doc.headers.get("Expires"), "Thu, 14 Nov 2024 22:13:20 UTC");
  EXPECT_EQ(doc.headers.get("Vary"), "Accept");

  Response unhashed = call("/openapi/v3/api/v1", accept("application/json"));
  EXPECT_EQ(unhashed.status, 200);
  EXPECT_FALSE(unhashed.headers.has("Cache-Control"));
  EXPECT_EQ(Json::parse(unhashed.body)["openapi"], "3.0.0");
}

TEST_F(DiscoveryRoutesTest, StaleHashRedirectsToTheCurrentDocument) {
  Response r = call("/openapi/v3/apis/apps/v1?hash=0123", accept("application/json"));
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.headers.get("Location"),
            "/openapi/v3/apis/apps/v1?hash=" + openapi_->v3("apis/apps/v1")->etag);
  EXPECT_EQ(call("/openapi/v3/apis/batch/v1", accept("application/json")).status, 404);
  EXPECT_EQ(call("/openapi/v3/apis/apps/v1",
                 accept("application/com.github.proto-openapi.spec.v3@v1.0+protobuf"))
                .status,
            406);
}

TEST_F(DiscoveryRoutesTest, OpenApiV2ProtobufForKubectl127) {
  Response r = call("/openapi/v2?timeout=32s",
                    accept("application/com.github.proto-openapi.spec.v2@v1.0+protobuf"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf");
  EXPECT_EQ(r.body, openapi_->v2_protobuf());
  EXPECT_EQ(r.headers.get("Etag"), "\"" + openapi_->v2_json().etag + "\"");

  Response json = call("/openapi/v2", accept("application/json"));
  EXPECT_EQ(json.content_type, "application/json");
  EXPECT_EQ(Json::parse(json.body)["swagger"], "2.0");
  EXPECT_EQ(call("/openapi/v2", accept("text/html")).status, 406);

  Response old = call("/swagger-2.0.0.pb-v1");
  EXPECT_EQ(old.status, 200);
  EXPECT_EQ(old.body, openapi_->v2_protobuf());
}

}  // namespace
}  // namespace bosun::apiserver
