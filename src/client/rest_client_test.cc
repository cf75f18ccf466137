// RestClient against the real API server over HTTPS: the verbs, paths with namespaces and
// subresources, every patch type, delete options, Status errors turned into Errors with Kubernetes'
// codes and messages, concurrent use of the connection pool, tokens, and the client-side rate
// limit.
#include "client/rest_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "client/test_config.h"

namespace bosun::client {
namespace {

using apiserver::testing::RestTestServer;

Json config_map(std::string_view name, std::string_view env = "dev") {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"labels", {{"env", env}}}}},
              {"data", {{"k", "v"}}}};
}

class RestClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = RestClient::create(testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<RestClient> client_;
};

TEST(ResourcePathTest, CoreGroupNamespacesAndSubresources) {
  EXPECT_EQ(resource_path(kPods, "ns", "p", "binding"), "/api/v1/namespaces/ns/pods/p/binding");
  EXPECT_EQ(resource_path(kNodes, "", "n1"), "/api/v1/nodes/n1");
  EXPECT_EQ(resource_path(kLeases, "kube-system"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases");
  EXPECT_EQ(query_escape("spec.nodeName=n1,a!=b"), "spec.nodeName%3Dn1%2Ca%21%3Db");
}

TEST_F(RestClientTest, CreateGetUpdateAndStatusErrors) {
  auto created = client_->create(kConfigMaps, "default", config_map("cm1"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_FALSE((*created)["metadata"]["uid"].get<std::string>().empty());

  auto dup = client_->create(kConfigMaps, "default", config_map("cm1"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(dup.error().message, "configmaps \"cm1\" already exists");

  auto got = client_->get(kConfigMaps, "default", "cm1");
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["data"]["k"], "v");

  Json changed = *got;
  changed["data"]["k"] = "v2";
  auto updated = client_->update(kConfigMaps, "default", changed);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ((*updated)["data"]["k"], "v2");

  // A write based on the stale resourceVersion is the 409 every controller retries on.
  auto stale = client_->update(kConfigMaps, "default", changed);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().message,
            "Operation cannot be fulfilled on configmaps \"cm1\": the object has been modified; "
            "please apply your changes to the latest version and try again");

  auto missing = client_->get(kConfigMaps, "default", "nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message, "configmaps \"nope\" not found");

  Json invalid = config_map("Bad_Name");
  auto rejected = client_->create(kConfigMaps, "default", invalid);
  ASSERT_FALSE(rejected.ok());
  EXPECT_EQ(rejected.error().code, ErrorCode::kInvalid);
  ASSERT_FALSE(rejected.error().causes.empty());
  EXPECT_EQ(rejected.error().causes[0].field, "metadata.name");
}

TEST_F(RestClientTest, ListWithSelectorsAndPaging) {
  for (int i = 0; i < 7; ++i) {
    ASSERT_TRUE(client_
                    ->create(kConfigMaps, "default",
                             config_map("cm" + std::to_string(i), i % 2 ? "odd" : "even"))
                    .ok());
  }
  ListOptions by_label;
  by_label.label_selector = "env=odd";
  auto odd = client_->list(kConfigMaps, "default", by_label);
  ASSERT_TRUE(odd.ok()) << odd.error().message;
  EXPECT_EQ((*odd)["items"].size(), 3u);

  ListOptions by_field;
  by_field.field_selector = "metadata.name=cm4";
  auto one = client_->list(kConfigMaps, "", by_field);
  ASSERT_TRUE(one.ok()) << one.error().message;
  ASSERT_EQ((*one)["items"].size(), 1u);
  EXPECT_EQ((*one)["items"][0]["metadata"]["name"], "cm4");

  ListOptions page;
  page.limit = 3;
  page.label_selector = "env";
  std::set<std::string> names;
  int pages = 0;
  do {
    auto r = client_->list(kConfigMaps, "default", page);
    ASSERT_TRUE(r.ok()) << r.error().message;
    for (const auto& item : (*r)["items"]) names.insert(item["metadata"]["name"]);
    page.continue_token = (*r)["metadata"].value("continue", std::string());
    ++pages;
  } while (!page.continue_token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names.size(), 7u);
}

TEST_F(RestClientTest, EveryPatchType) {
  ASSERT_TRUE(client_->create(kConfigMaps, "default", config_map("p")).ok());
  auto merged =
      client_->patch(kConfigMaps, "default", "p", PatchType::kMerge, R"({"data":{"m":"1"}})");
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["data"]["m"], "1");
  auto strategic = client_->patch(kConfigMaps, "default", "p", PatchType::kStrategicMerge,
                                  R"({"data":{"s":"2"}})");
  ASSERT_TRUE(strategic.ok()) << strategic.error().message;
  EXPECT_EQ((*strategic)["data"]["s"], "2");
  auto json_patch = client_->patch(kConfigMaps, "default", "p", PatchType::kJson,
                                   R"([{"op":"remove","path":"/data/k"}])");
  ASSERT_TRUE(json_patch.ok()) << json_patch.error().message;
  EXPECT_FALSE((*json_patch)["data"].contains("k"));

  PatchOptions apply;
  apply.field_manager = "tool-a";
  std::string mine = R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p"},
                         "data":{"m":"a"}})";
  // data.m belongs to the manager the merge patch ran as: the User-Agent's product, "bosun".
  auto conflict = client_->patch(kConfigMaps, "default", "p", PatchType::kApply, mine, apply);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, ErrorCode::kConflict);
  EXPECT_EQ(conflict.error().message,
            "Apply failed with 1 conflict: conflict with \"bosun\" using v1: .data.m");
  apply.force = true;
  auto forced = client_->patch(kConfigMaps, "default", "p", PatchType::kApply, mine, apply);
  ASSERT_TRUE(forced.ok()) << forced.error().message;
  EXPECT_EQ((*forced)["data"]["m"], "a");
  EXPECT_EQ((*forced)["data"]["s"], "2");

  auto bad = client_->patch(kConfigMaps, "default", "p", PatchType::kMerge, "{not json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kBadRequest);
}

TEST_F(RestClientTest, DeleteWithPreconditionsAndOptions) {
  auto created = client_->create(kConfigMaps, "default", config_map("d"));
  ASSERT_TRUE(created.ok());
  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "not-the-uid";
  auto refused = client_->remove(kConfigMaps, "default", "d", wrong_uid);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kConflict);

  DeleteOptions ok;
  ok.precondition_uid = (*created)["metadata"]["uid"].get<std::string>();
  ok.propagation_policy = "Background";
  ok.grace_period_seconds = 0;
  auto deleted = client_->remove(kConfigMaps, "default", "d", ok);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message;
  auto gone = client_->get(kConfigMaps, "default", "d");
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, ErrorCode::kNotFound);
}

TEST_F(RestClientTest, BindingSubresourceAndStatusUpdate) {
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "web"}}},
              {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "nginx"}}})}}}};
  ASSERT_TRUE(client_->create(kPods, "default", pod).ok());
  Json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", "web"}}},
                  {"target", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", "node-1"}}}};
  auto bound = client_->create_subresource(kPods, "default", "web", "binding", binding);
  ASSERT_TRUE(bound.ok()) << bound.error().message;
  auto got = client_->get(kPods, "default", "web");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["spec"]["nodeName"], "node-1");

  Json status = *got;
  status["status"]["phase"] = "Running";
  status["spec"]["nodeName"] = "ignored-by-status";
  auto updated = client_->update_status(kPods, "default", status);
  ASSERT_TRUE(updated.ok()) << updated.error().message;
  EXPECT_EQ((*updated)["status"]["phase"], "Running");
  EXPECT_EQ((*updated)["spec"]["nodeName"], "node-1");
}

TEST_F(RestClientTest, SixteenThreadsShareThePool) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        auto r = client_->create(kConfigMaps, "default",
                                 config_map("t" + std::to_string(t) + "-" + std::to_string(i)));
        if (!r.ok()) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = client_->list(kConfigMaps, "default");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ((*all)["items"].size(), 160u);
}

TEST_F(RestClientTest, UnknownTokenIsUnauthorized) {
  ClientConfig c = testing::admin_config(*server_);
  c.client_cert_pem.clear();
  c.client_key_pem.clear();
  c.token = "abcdef.0000000000000000";
  auto client = RestClient::create(c);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->get(kConfigMaps, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kUnauthorized);
}

TEST_F(RestClientTest, AnAgentAuthenticatesWithTheNodeTokenFile) {
  // What `bosun agent --server URL --token-file D/node-token` builds: the server's CA file and the
  // join token. The server knows the token.
  auto c =
      token_file_config("https://127.0.0.1:" + std::to_string(server_->port()),
                        server_->data_dir() + "/tls/ca.crt", server_->data_dir() + "/node-token");
  ASSERT_TRUE(c.ok()) << c.error().message;
  c->user_agent = "bosun/agent";
  auto client = RestClient::create(*c);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto r = (*client)->get(kNodes, "", "node-1");
  ASSERT_FALSE(r.ok());
  // Authenticated and authorized to look for nodes: the node simply does not exist.
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound) << r.error().message;
}

TEST_F(RestClientTest, UntrustedServerCertificateFails) {
  ClientConfig c = testing::admin_config(*server_);
  c.ca_pem = server_->stack().server().pki().admin.cert_pem;  // not the CA
  auto client = RestClient::create(c);
  ASSERT_TRUE(client.ok());
  auto r = (*client)->get(kConfigMaps, "default", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("TLS handshake"), std::string::npos) << r.error().message;
}

TEST(RestClientConfigTest, BadServerUrlIsAnError) {
  ClientConfig c;
  c.server = "http://127.0.0.1:1";
  auto client = RestClient::create(c);
  ASSERT_FALSE(client.ok());
  EXPECT_EQ(client.error().code, ErrorCode::kBadRequest);
}

TEST(TokenBucketTest, BurstThenQps) {
  FakeClock clock;
  TokenBucket bucket(10, 3, clock);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.reserve(), Clock::Duration::zero());
  // The fourth and fifth wait for the refill at 10/s, in order.
  EXPECT_EQ(bucket.reserve(), std::chrono::milliseconds(100));
  EXPECT_EQ(bucket.reserve(), std::chrono::milliseconds(200));
  clock.advance(std::chrono::seconds(10));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.reserve(), Clock::Duration::zero());
  EXPECT_GT(bucket.reserve(), Clock::Duration::zero());
}

TEST(TokenBucketTest, ZeroQpsIsOff) {
  FakeClock clock;
  TokenBucket bucket(0, 0, clock);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(bucket.reserve(), Clock::Duration::zero());
}

}  // namespace
}  // namespace bosun::client
