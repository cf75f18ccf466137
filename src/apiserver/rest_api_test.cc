// The REST layer end to end over HTTPS: routing, get/list/create/update/delete and the Status
// errors kubectl prints, against an in-process server on port 0 over a temporary store.
#include "apiserver/rest_api.h"

#include <gtest/gtest.h>

#include "apiserver/rest_test_server.h"

namespace bosun::apiserver {
namespace {

using testing::body_json;
using testing::Reply;
using testing::RestTestServer;
using testing::TestClient;

Json pod(std::string_view name, Json labels = Json::object()) {
  return Json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"labels", std::move(labels)}}},
      {"spec", {{"containers", Json::array({{{"name", "app"}, {"image", "nginx:1.25"}}})}}}};
}

Json config_map(std::string_view name, Json data = Json::object()) {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}}},
              {"data", std::move(data)}};
}

class RestApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = server_->connect();
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }

  Reply must(Result<Reply> r) {
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(r).value() : Reply{};
  }
  Reply get(std::string_view target, std::string_view accept = "application/json") {
    return must(testing::get(*client_, target, accept));
  }
  Reply post(std::string_view target, const Json& body) {
    return must(testing::post(*client_, target, body));
  }
  Reply put(std::string_view target, const Json& body) {
    return must(testing::put(*client_, target, body));
  }
  Reply del(std::string_view target, std::string_view body = "") {
    return must(testing::del(*client_, target, body));
  }

  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<TestClient> client_;
};

TEST_F(RestApiTest, SystemNamespacesAndKubernetesServiceExistFromTheStart) {
  Reply r = get("/api/v1/namespaces");
  ASSERT_EQ(r.status, 200) << r.body;
  Json list = body_json(r);
  EXPECT_EQ(list["kind"], "NamespaceList");
  EXPECT_EQ(list["apiVersion"], "v1");
  std::vector<std::string> names;
  for (const Json& ns : list["items"]) names.push_back(ns["metadata"]["name"]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"default", "kube-node-lease", "kube-public", "kube-system"}));
  Reply svc = get("/api/v1/namespaces/default/services/kubernetes");
  ASSERT_EQ(svc.status, 200) << svc.body;
  Json s = body_json(svc);
  EXPECT_EQ(s["spec"]["clusterIP"], "10.43.0.1");
  EXPECT_EQ(s["spec"]["ports"][0]["port"], 443);
  EXPECT_EQ(s["spec"]["ports"][0]["targetPort"], server_->port());
}

TEST_F(RestApiTest, CreateGetAndListAPod) {
  Reply created = post("/api/v1/namespaces/default/pods", pod("web", {{"app", "web"}}));
  ASSERT_EQ(created.status, 201) << created.body;
  Json obj = body_json(created);
  EXPECT_EQ(obj["metadata"]["namespace"], "default");
  EXPECT_FALSE(obj["metadata"]["uid"].get<std::string>().empty());
  EXPECT_TRUE(obj["metadata"]["creationTimestamp"].is_string());
  std::string rv = obj["metadata"]["resourceVersion"];
  EXPECT_GT(std::stoull(rv), 0u);

  Reply got = get("/api/v1/namespaces/default/pods/web");
  ASSERT_EQ(got.status, 200) << got.body;
  Json g = body_json(got);
  EXPECT_EQ(g["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(g["metadata"]["uid"], obj["metadata"]["uid"]);
  EXPECT_EQ(g["spec"]["containers"][0]["image"], "nginx:1.25");

  Reply listed = get("/api/v1/namespaces/default/pods?limit=500");
  ASSERT_EQ(listed.status, 200) << listed.body;
  Json l = body_json(listed);
  EXPECT_EQ(l["kind"], "PodList");
  ASSERT_EQ(l["items"].size(), 1u);
  EXPECT_EQ(l["items"][0]["metadata"]["name"], "web");
  EXPECT_GE(std::stoull(l["metadata"]["resourceVersion"].get<std::string>()), std::stoull(rv));
  EXPECT_FALSE(l["metadata"].contains("continue"));

  // All namespaces, and another namespace that has none.
  EXPECT_EQ(body_json(get("/api/v1/pods"))["items"].size(), 1u);
  EXPECT_EQ(body_json(get("/api/v1/namespaces/kube-system/pods"))["items"].size(), 0u);
}

TEST_F(RestApiTest, AlreadyExistsAndNotFoundAreKubernetesStatuses) {
  ASSERT_EQ(post("/api/v1/namespaces/default/pods", pod("web")).status, 201);
  Reply again = post("/api/v1/namespaces/default/pods", pod("web"));
  EXPECT_EQ(again.status, 409);
  Json st = body_json(again);
  EXPECT_EQ(st["kind"], "Status");
  EXPECT_EQ(st["status"], "Failure");
  EXPECT_EQ(st["reason"], "AlreadyExists");
  EXPECT_EQ(st["message"], "pods \"web\" already exists");
  EXPECT_EQ(st["details"], (Json{{"name", "web"}, {"kind", "pods"}}));
  EXPECT_EQ(st["code"], 409);

  Reply missing = get("/api/v1/namespaces/default/pods/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body_json(missing)["message"], "pods \"nope\" not found");

  Reply deploy = get("/apis/apps/v1/namespaces/default/deployments/nginx");
  EXPECT_EQ(deploy.status, 404);
  Json d = body_json(deploy);
  EXPECT_EQ(d["message"], "deployments.apps \"nginx\" not found");
  EXPECT_EQ(d["details"], (Json{{"name", "nginx"}, {"group", "apps"}, {"kind", "deployments"}}));
}

TEST_F(RestApiTest, UnknownResourcesAndMethodsAre404And405) {
  Reply r = get("/api/v1/namespaces/default/widgets");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(body_json(r)["message"], "the server could not find the requested resource");
  EXPECT_EQ(get("/apis/nope.example.com/v1/things").status, 404);
  // A namespaced object outside a namespace, and a cluster-scoped one inside one.
  EXPECT_EQ(get("/api/v1/pods/web").status, 404);
  EXPECT_EQ(get("/api/v1/namespaces/default/nodes").status, 404);

  Reply put_collection = put("/api/v1/namespaces/default/pods", pod("web"));
  EXPECT_EQ(put_collection.status, 405);
  Json st = body_json(put_collection);
  EXPECT_EQ(st["reason"], "MethodNotAllowed");
  EXPECT_EQ(st["message"], "the server does not allow this method on the requested resource");
  // Namespaces have no deletecollection; pods cannot be created across namespaces.
  EXPECT_EQ(del("/api/v1/namespaces").status, 405);
  EXPECT_EQ(post("/api/v1/pods", pod("web")).status, 405);
}

TEST_F(RestApiTest, UpdateWithAStaleResourceVersionConflicts) {
  Reply created = post("/api/v1/namespaces/default/configmaps", config_map("c", {{"a", "1"}}));
  ASSERT_EQ(created.status, 201) << created.body;
  Json obj = body_json(created);
  obj["data"]["a"] = "2";
  Reply updated = put("/api/v1/namespaces/default/configmaps/c", obj);
  ASSERT_EQ(updated.status, 200) << updated.body;
  Json u = body_json(updated);
  EXPECT_EQ(u["data"]["a"], "2");
  EXPECT_NE(u["metadata"]["resourceVersion"], obj["metadata"]["resourceVersion"]);

  // The first object's resourceVersion is stale now.
  obj["data"]["a"] = "3";
  Reply stale = put("/api/v1/namespaces/default/configmaps/c", obj);
  EXPECT_EQ(stale.status, 409);
  Json st = body_json(stale);
  EXPECT_EQ(st["reason"], "Conflict");
  EXPECT_EQ(st["message"],
            "Operation cannot be fulfilled on configmaps \"c\": the object has been modified; "
            "please apply your changes to the latest version and try again");
  EXPECT_EQ(body_json(get("/api/v1/namespaces/default/configmaps/c"))["data"]["a"], "2");

  // Writing the same object again changes nothing, not even the resourceVersion.
  Reply noop = put("/api/v1/namespaces/default/configmaps/c", u);
  ASSERT_EQ(noop.status, 200) << noop.body;
  EXPECT_EQ(body_json(noop)["metadata"]["resourceVersion"], u["metadata"]["resourceVersion"]);
}

TEST_F(RestApiTest, UpdateChecksNameAndNamespaceAgainstTheUrl) {
  ASSERT_EQ(post("/api/v1/namespaces/default/configmaps", config_map("c")).status, 201);
  Reply wrong_name = put("/api/v1/namespaces/default/configmaps/c", config_map("d"));
  EXPECT_EQ(wrong_name.status, 400);
  EXPECT_EQ(body_json(wrong_name)["message"],
            "the name of the object (d) does not match the name on the URL (c)");
  Json other_ns = config_map("c");
  other_ns["metadata"]["namespace"] = "kube-system";
  Reply wrong_ns = put("/api/v1/namespaces/default/configmaps/c", other_ns);
  EXPECT_EQ(wrong_ns.status, 400);
  EXPECT_EQ(body_json(wrong_ns)["message"],
            "the namespace of the object (kube-system) does not match the namespace on the "
            "request (default)");
  Reply create_other = post("/api/v1/namespaces/default/configmaps", other_ns);
  EXPECT_EQ(create_other.status, 400);
  EXPECT_EQ(body_json(create_other)["message"],
            "the namespace of the provided object does not match the namespace sent on the "
            "request");
  Reply missing = put("/api/v1/namespaces/default/configmaps/zzz", config_map("zzz"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body_json(missing)["message"], "configmaps \"zzz\" not found");
}

TEST_F(RestApiTest, CreateInAMissingNamespaceIsNotFound) {
  Reply r = post("/api/v1/namespaces/nope/configmaps", config_map("c"));
  EXPECT_EQ(r.status, 404);
  Json st = body_json(r);
  EXPECT_EQ(st["message"], "namespaces \"nope\" not found");
  EXPECT_EQ(st["details"], (Json{{"name", "nope"}, {"kind", "namespaces"}}));
}

TEST_F(RestApiTest, StrictFieldValidationRejectsUnknownFieldsAndWarnWarns) {
  Json bad = pod("web");
  bad["spec"]["foo"] = 1;
  Reply strict = must(testing::call(
      *client_, {"POST", "/api/v1/namespaces/default/pods?fieldValidation=Strict", bad.dump()}));
  EXPECT_EQ(strict.status, 400);
  EXPECT_EQ(body_json(strict)["message"],
            "Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown "
            "field \"spec.foo\"");
  EXPECT_EQ(get("/api/v1/namespaces/default/pods/web").status, 404);

  // The server's default is Warn: created, with a Warning header.
  Reply warned = post("/api/v1/namespaces/default/pods", bad);
  ASSERT_EQ(warned.status, 201) << warned.body;
  EXPECT_EQ(warned.headers.get("Warning").value_or(""), "299 - \"unknown field \\\"spec.foo\\\"\"");
  EXPECT_FALSE(body_json(warned)["spec"].contains("foo"));

  Json wrong_type = pod("typed");
  wrong_type["spec"]["containers"][0]["ports"] = Json::array({{{"containerPort", "eighty"}}});
  Reply type_error = post("/api/v1/namespaces/default/pods?fieldValidation=Ignore", wrong_type);
  EXPECT_EQ(type_error.status, 400);
  EXPECT_EQ(body_json(type_error)["message"],
            "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal string into "
            "Go struct field ContainerPort.spec.containers.ports.containerPort of type int32");
}

TEST_F(RestApiTest, TheBodyMustBeTheEndpointsKind) {
  Reply cm_to_pods = post("/api/v1/namespaces/default/pods", config_map("c"));
  EXPECT_EQ(cm_to_pods.status, 400);
  EXPECT_EQ(body_json(cm_to_pods)["message"],
            "ConfigMap in version \"v1\" cannot be handled as a Pod: converting (v1.ConfigMap) to "
            "(core.Pod): unknown conversion");
  Json wrong_group = config_map("c");
  wrong_group["apiVersion"] = "apps/v1";
  Reply unregistered = post("/api/v1/namespaces/default/configmaps", wrong_group);
  EXPECT_EQ(unregistered.status, 400);
  EXPECT_EQ(body_json(unregistered)["message"],
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: no kind \"ConfigMap\" "
            "is registered for version \"apps/v1\" in scheme "
            "\"pkg/api/legacyscheme/scheme.go:30\"");
  // apiVersion and kind default to the endpoint's.
  Json bare = config_map("bare");
  bare.erase("apiVersion");
  bare.erase("kind");
  Reply defaulted = post("/api/v1/namespaces/default/configmaps", bare);
  ASSERT_EQ(defaulted.status, 201) << defaulted.body;
  EXPECT_EQ(body_json(defaulted)["kind"], "ConfigMap");
}

TEST_F(RestApiTest, InvalidObjectsAre422WithCauses) {
  Reply r = post("/api/v1/namespaces/default/configmaps", config_map("Bad_Name"));
  EXPECT_EQ(r.status, 422);
  Json st = body_json(r);
  EXPECT_EQ(st["reason"], "Invalid");
  EXPECT_EQ(st["message"],
            "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a "
            "lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' "
            "or '.', and must start and end with an alphanumeric character (e.g. 'example.com', "
            "regex used for validation is "
            "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')");
  EXPECT_EQ(st["details"]["name"], "Bad_Name");
  EXPECT_EQ(st["details"]["kind"], "ConfigMap");
  ASSERT_EQ(st["details"]["causes"].size(), 1u);
  EXPECT_EQ(st["details"]["causes"][0]["field"], "metadata.name");
  EXPECT_EQ(st["details"]["causes"][0]["reason"], "FieldValueInvalid");
}

TEST_F(RestApiTest, GenerateNameAndDryRun) {
  Json cm = config_map("");
  cm["metadata"].erase("name");
  cm["metadata"]["generateName"] = "gen-";
  Reply r = post("/api/v1/namespaces/default/configmaps", cm);
  ASSERT_EQ(r.status, 201) << r.body;
  std::string name = body_json(r)["metadata"]["name"];
  EXPECT_EQ(name.size(), 9u);
  EXPECT_TRUE(name.starts_with("gen-"));
  EXPECT_EQ(get("/api/v1/namespaces/default/configmaps/" + name).status, 200);

  Reply dry = post("/api/v1/namespaces/default/configmaps?dryRun=All", config_map("dry"));
  ASSERT_EQ(dry.status, 201) << dry.body;
  EXPECT_EQ(body_json(dry)["metadata"]["name"], "dry");
  EXPECT_EQ(get("/api/v1/namespaces/default/configmaps/dry").status, 404);
}

TEST_F(RestApiTest, DeleteAnsweresWithAStatusOrTheObject) {
  ASSERT_EQ(post("/api/v1/namespaces/default/configmaps", config_map("c")).status, 201);
  Reply d = del("/api/v1/namespaces/default/configmaps/c", R"({"propagationPolicy":"Background"})");
  ASSERT_EQ(d.status, 200) << d.body;
  Json st = body_json(d);
  EXPECT_EQ(st["kind"], "Status");
  EXPECT_EQ(st["status"], "Success");
  EXPECT_EQ(st["details"]["name"], "c");
  EXPECT_EQ(st["details"]["kind"], "configmaps");
  EXPECT_EQ(get("/api/v1/namespaces/default/configmaps/c").status, 404);
  EXPECT_EQ(del("/api/v1/namespaces/default/configmaps/c").status, 404);

  // An unscheduled pod goes at once, and the reply is the pod.
  ASSERT_EQ(post("/api/v1/namespaces/default/pods", pod("web")).status, 201);
  Reply pd = del("/api/v1/namespaces/default/pods/web");
  ASSERT_EQ(pd.status, 200) << pd.body;
  EXPECT_EQ(body_json(pd)["kind"], "Pod");
  EXPECT_EQ(get("/api/v1/namespaces/default/pods/web").status, 404);
}

TEST_F(RestApiTest, LabelAndFieldSelectorsFilterLists) {
  ASSERT_EQ(
      post("/api/v1/namespaces/default/pods", pod("a", {{"env", "dev"}, {"tier", "back"}})).status,
      201);
  ASSERT_EQ(post("/api/v1/namespaces/default/pods", pod("b", {{"env", "prod"}, {"tier", "front"}}))
                .status,
            201);
  Reply created_c = post("/api/v1/namespaces/default/pods", pod("c", {{"env", "test"}}));
  ASSERT_EQ(created_c.status, 201);
  const std::string c_rv = body_json(created_c)["metadata"]["resourceVersion"];
  auto names = [&](std::string_view target) {
    std::vector<std::string> out;
    Reply r = get(target);
    EXPECT_EQ(r.status, 200) << r.body;
    Json list = body_json(r);
    for (const Json& i : list["items"]) out.push_back(i["metadata"]["name"]);
    return out;
  };
  EXPECT_EQ(
      names("/api/v1/namespaces/default/pods?labelSelector=env%20in%20(dev,prod),tier!=front"),
      (std::vector<std::string>{"a"}));
  EXPECT_EQ(names("/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3Db"),
            (std::vector<std::string>{"b"}));
  EXPECT_EQ(names("/api/v1/pods?fieldSelector=metadata.namespace%3Ddefault,metadata.name!%3Db"),
            (std::vector<std::string>{"a", "c"}));
  // From the watch cache too, once it holds c's revision ("0" alone may be served before the cache
  // has seen c, as in Kubernetes).
  EXPECT_EQ(names("/api/v1/namespaces/default/pods?resourceVersion=" + c_rv +
                  "&resourceVersionMatch=NotOlderThan&labelSelector=env%3Dtest"),
            (std::vector<std::string>{"c"}));

  Reply bad_field = get("/api/v1/namespaces/default/configmaps?fieldSelector=data.x%3Dy");
  EXPECT_EQ(bad_field.status, 400);
  EXPECT_EQ(body_json(bad_field)["message"],
            "\"data.x\" is not a known field selector: only \"metadata.name\", "
            "\"metadata.namespace\"");
}

TEST_F(RestApiTest, ListsPageWithLimitAndContinue) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(
        post("/api/v1/namespaces/default/configmaps", config_map("c" + std::to_string(i))).status,
        201);
  }
  std::vector<std::string> seen;
  std::string target = "/api/v1/namespaces/default/configmaps?limit=2";
  std::string first_rv;
  for (int page = 0; page < 5; ++page) {
    Json l = body_json(get(target));
    for (const Json& i : l["items"]) seen.push_back(i["metadata"]["name"]);
    if (first_rv.empty()) {
      first_rv = l["metadata"]["resourceVersion"];
      EXPECT_EQ(l["metadata"]["remainingItemCount"], 3);
    } else {
      // Every page is read at the first page's revision.
      EXPECT_EQ(l["metadata"]["resourceVersion"], first_rv);
    }
    if (!l["metadata"].contains("continue")) break;
    target = "/api/v1/namespaces/default/configmaps?limit=2&continue=" +
             l["metadata"]["continue"].get<std::string>();
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"c0", "c1", "c2", "c3", "c4"}));
}

TEST_F(RestApiTest, ClusterScopedResourcesAndGroups) {
  Json node = {{"apiVersion", "v1"}, {"kind", "Node"}, {"metadata", {{"name", "node-1"}}}};
  Reply r = post("/api/v1/nodes", node);
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(body_json(r)["metadata"].contains("namespace"));
  EXPECT_EQ(get("/api/v1/nodes/node-1").status, 200);

  Json role = {{"apiVersion", "rbac.authorization.k8s.io/v1"},
               {"kind", "ClusterRole"},
               {"metadata", {{"name", "reader"}}},
               {"rules", Json::array()}};
  Reply cr = post("/apis/rbac.authorization.k8s.io/v1/clusterroles", role);
  ASSERT_EQ(cr.status, 201) << cr.body;
  Reply again = post("/apis/rbac.authorization.k8s.io/v1/clusterroles", role);
  EXPECT_EQ(body_json(again)["message"],
            "clusterroles.rbac.authorization.k8s.io \"reader\" already exists");
}

TEST_F(RestApiTest, TheServerKeepsEverythingAcrossARestart) {
  ASSERT_EQ(post("/api/v1/namespaces/default/configmaps", config_map("keep", {{"k", "v"}})).status,
            201);
  Json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", "web"}}},
              {"spec", {{"ports", Json::array({{{"port", 80}}})}, {"selector", {{"app", "web"}}}}}};
  Reply created = post("/api/v1/namespaces/default/services", svc);
  ASSERT_EQ(created.status, 201) << created.body;
  std::string ip = body_json(created)["spec"]["clusterIP"];
  std::string dir = server_->data_dir();
  client_.reset();
  server_->stop();

  testing::RestTestServerOptions o;
  o.data_dir = dir;
  auto again = RestTestServer::start(o);
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto client = (*again)->connect();
  ASSERT_TRUE(client.ok());
  Reply r = must(testing::get(**client, "/api/v1/namespaces/default/configmaps/keep"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(body_json(r)["data"]["k"], "v");
  // The allocator remembers the address: asking for it again fails.
  svc["metadata"]["name"] = "web2";
  svc["spec"]["clusterIP"] = ip;
  Reply taken = must(testing::post(**client, "/api/v1/namespaces/default/services", svc));
  EXPECT_EQ(taken.status, 422);
  EXPECT_EQ(body_json(taken)["message"],
            "Service \"web2\" is invalid: spec.clusterIPs: Invalid value: []string{\"" + ip +
                "\"}: failed to allocate IP " + ip + ": provided IP is already allocated");
  client->reset();
  again->reset();
}

}  // namespace
}  // namespace bosun::apiserver
