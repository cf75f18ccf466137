// Kubernetes semantics the REST layer keeps, over HTTPS: generation and status subresources, scale,
// pods/binding and eviction, deletion with finalizers, graceful pod deletion and preconditions,
// namespace termination, Service ClusterIPs and NodePorts, patches and server-side apply, and the
// request metrics.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "apiserver/rest_test_server.h"

namespace bosun::apiserver {
namespace {

using testing::body_json;
using testing::Reply;
using testing::RestTestServer;
using testing::TestClient;

Json deployment(std::string_view name, int replicas = 2) {
  return Json{
      {"apiVersion", "apps/v1"},
      {"kind", "Deployment"},
      {"metadata", {{"name", name}}},
      {"spec",
       {{"replicas", replicas},
        {"selector", {{"matchLabels", {{"app", name}}}}},
        {"template",
         {{"metadata", {{"labels", {{"app", name}}}}},
          {"spec",
           {{"containers", Json::array({{{"name", "app"}, {"image", "nginx:1.25"}}})}}}}}}}};
}

Json pod(std::string_view name) {
  return Json{
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}}},
      {"spec", {{"containers", Json::array({{{"name", "app"}, {"image", "nginx:1.25"}}})}}}};
}

Json service(std::string_view name, Json spec) {
  return Json{{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}}},
              {"spec", std::move(spec)}};
}

class RestSemanticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::RestTestServerOptions o;
    o.metrics = &metrics_;
    auto s = RestTestServer::start(o);
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
  Json ok(Result<Reply> r, int status = 200) {
    Reply reply = must(std::move(r));
    EXPECT_EQ(reply.status, status) << reply.body;
    return body_json(reply);
  }
  Json get(std::string_view target) { return ok(testing::get(*client_, target)); }
  Json create(std::string_view collection, const Json& obj) {
    return ok(testing::post(*client_, collection, obj), 201);
  }
  Reply patch(std::string_view target, std::string_view type, std::string_view body) {
    return must(testing::patch(*client_, target, type, body));
  }

  MetricsRegistry metrics_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<TestClient> client_;
};

constexpr std::string_view kDeployments = "/apis/apps/v1/namespaces/default/deployments";
constexpr std::string_view kPods = "/api/v1/namespaces/default/pods";
constexpr std::string_view kServices = "/api/v1/namespaces/default/services";
constexpr std::string_view kMerge = "application/merge-patch+json";

TEST_F(RestSemanticsTest, GenerationFollowsSpecChangesOnly) {
  Json d = create(kDeployments, deployment("web"));
  EXPECT_EQ(d["metadata"]["generation"], 1);
  std::string target = std::string(kDeployments) + "/web";
  Json labeled = body_json(patch(target, kMerge, R"({"metadata":{"labels":{"a":"b"}}})"));
  EXPECT_EQ(labeled["metadata"]["generation"], 1);
  Json scaled = body_json(patch(target, kMerge, R"({"spec":{"replicas":5}})"));
  EXPECT_EQ(scaled["metadata"]["generation"], 2);
}

TEST_F(RestSemanticsTest, StatusGoesThroughTheStatusSubresourceOnly) {
  create(kDeployments, deployment("web"));
  std::string target = std::string(kDeployments) + "/web";
  // The main resource ignores status.
  Json main = body_json(patch(target, kMerge, R"({"status":{"replicas":3}})"));
  EXPECT_FALSE(main.contains("status") && main["status"].contains("replicas"));
  // /status takes the status and ignores the rest.
  Reply st = patch(target + "/status", kMerge,
                   R"({"status":{"replicas":3,"observedGeneration":1},"spec":{"replicas":9},)"
                   R"("metadata":{"labels":{"x":"y"}}})");
  ASSERT_EQ(st.status, 200) << st.body;
  Json now = get(target);
  EXPECT_EQ(now["status"]["replicas"], 3);
  EXPECT_EQ(now["spec"]["replicas"], 2);
  EXPECT_FALSE(now["metadata"].contains("labels") && now["metadata"]["labels"].contains("x"));
  EXPECT_EQ(now["metadata"]["generation"], 1);
  EXPECT_EQ(get(target + "/status")["status"]["replicas"], 3);
}

// deploymentStatusStrategy keeps only spec and labels: the deployment controller records the
// revision annotation with its status write, and the generation stays put. Other kinds' status
// writes keep every annotation as stored (ResetObjectMetaForStatus).
TEST_F(RestSemanticsTest, DeploymentStatusWritesMayChangeAnnotations) {
  create(kDeployments, deployment("web"));
  std::string target = std::string(kDeployments) + "/web";
  Reply st = patch(target + "/status", kMerge,
                   R"({"metadata":{"annotations":{"deployment.kubernetes.io/revision":"1"}},)"
                   R"("status":{"observedGeneration":1}})");
  ASSERT_EQ(st.status, 200) << st.body;
  Json now = get(target);
  EXPECT_EQ(now["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
  EXPECT_EQ(now["metadata"]["generation"], 1);

  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}}},
              {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", "busybox"}}})}}}};
  create(kPods, pod);
  Reply ps = patch(std::string(kPods) + "/p/status", kMerge,
                   R"({"metadata":{"annotations":{"a":"b"}},"status":{"phase":"Running"}})");
  ASSERT_EQ(ps.status, 200) << ps.body;
  Json p = get(std::string(kPods) + "/p");
  EXPECT_EQ(p["status"]["phase"], "Running");
  EXPECT_FALSE(p["metadata"].contains("annotations") && p["metadata"]["annotations"].contains("a"));
}

TEST_F(RestSemanticsTest, ScaleIsAnAutoscalingV1Scale) {
  create(kDeployments, deployment("web", 2));
  std::string target = std::string(kDeployments) + "/web/scale";
  Json scale = get(target);
  EXPECT_EQ(scale["kind"], "Scale");
  EXPECT_EQ(scale["apiVersion"], "autoscaling/v1");
  EXPECT_EQ(scale["metadata"]["name"], "web");
  EXPECT_EQ(scale["metadata"]["namespace"], "default");
  EXPECT_EQ(scale["spec"]["replicas"], 2);
  EXPECT_EQ(scale["status"]["replicas"], 0);
  EXPECT_EQ(scale["status"]["selector"], "app=web");
  Reply patched = patch(target, kMerge, R"({"spec":{"replicas":4}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(body_json(patched)["spec"]["replicas"], 4);
  EXPECT_EQ(get(std::string(kDeployments) + "/web")["spec"]["replicas"], 4);
  // PUT with a stale resourceVersion conflicts on the deployment.
  Json stale = scale;
  stale["spec"]["replicas"] = 1;
  Reply conflict = must(testing::put(*client_, target, stale));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(body_json(conflict)["message"],
            "Operation cannot be fulfilled on deployments.apps \"web\": the object has been "
            "modified; please apply your changes to the latest version and try again");

  Json rc = {{"apiVersion", "v1"},
             {"kind", "ReplicationController"},
             {"metadata", {{"name", "rc"}}},
             {"spec",
              {{"replicas", 1},
               {"selector", {{"app", "rc"}}},
               {"template",
                {{"metadata", {{"labels", {{"app", "rc"}}}}},
                 {"spec", {{"containers", Json::array({{{"name", "a"}, {"image", "b"}}})}}}}}}}};
  create("/api/v1/namespaces/default/replicationcontrollers", rc);
  EXPECT_EQ(get("/api/v1/namespaces/default/replicationcontrollers/rc/scale")["status"]["selector"],
            "app=rc");
}

TEST_F(RestSemanticsTest, BindingAssignsAPodOnce) {
  create(kPods, pod("web"));
  Json binding = {{"apiVersion", "v1"},
                  {"kind", "Binding"},
                  {"metadata", {{"name", "web"}}},
                  {"target", {{"kind", "Node"}, {"name", "node-1"}}}};
  Json st = ok(testing::post(*client_, std::string(kPods) + "/web/binding", binding), 201);
  EXPECT_EQ(st["status"], "Success");
  Json p = get(std::string(kPods) + "/web");
  EXPECT_EQ(p["spec"]["nodeName"], "node-1");
  bool scheduled = false;
  for (const Json& c : p["status"]["conditions"]) {
    if (c["type"] == "PodScheduled" && c["status"] == "True") scheduled = true;
  }
  EXPECT_TRUE(scheduled);
  binding["target"]["name"] = "node-2";
  Reply again = must(testing::post(*client_, std::string(kPods) + "/web/binding", binding));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(body_json(again)["message"],
            "Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to "
            "node \"node-1\"");
  // The legacy bindings resource does the same.
  create(kPods, pod("other"));
  binding["metadata"]["name"] = "other";
  ok(testing::post(*client_, "/api/v1/namespaces/default/bindings", binding), 201);
  EXPECT_EQ(get(std::string(kPods) + "/other")["spec"]["nodeName"], "node-2");
}

// The binding's first attempt runs on the watch cache's copy of the pod (Kubernetes'
// cachedExistingObject); a change the cache has not seen yet must survive it.
TEST_F(RestSemanticsTest, BindingKeepsAChangeMadeJustBefore) {
  for (int i = 0; i < 20; ++i) {
    const std::string name = "web-" + std::to_string(i);
    create(kPods, pod(name));
    const std::string target = std::string(kPods) + "/" + name;
    Reply labelled = patch(target, kMerge, R"({"metadata":{"labels":{"tier":"front"}}})");
    ASSERT_EQ(labelled.status, 200) << labelled.body;
    Json binding = {{"apiVersion", "v1"},
                    {"kind", "Binding"},
                    {"metadata", {{"name", name}}},
                    {"target", {{"kind", "Node"}, {"name", "node-1"}}}};
    ok(testing::post(*client_, target + "/binding", binding), 201);
    Json p = get(target);
    EXPECT_EQ(p["spec"]["nodeName"], "node-1");
    EXPECT_EQ(p["metadata"]["labels"]["tier"], "front") << name;
  }
}

// A status write that changes nothing writes nothing, also when its first attempt ran on the
// watch cache's copy.
TEST_F(RestSemanticsTest, AStatusWriteThatChangesNothingKeepsTheResourceVersion) {
  create(kPods, pod("web"));
  const std::string target = std::string(kPods) + "/web/status";
  Reply first = patch(target, kMerge, R"({"status":{"phase":"Running"}})");
  ASSERT_EQ(first.status, 200) << first.body;
  const Json rv = body_json(first)["metadata"]["resourceVersion"];
  // Give the watch cache time to catch up, so the next write starts from its copy.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Reply again = patch(target, kMerge, R"({"status":{"phase":"Running"}})");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(body_json(again)["metadata"]["resourceVersion"], rv);
  EXPECT_EQ(get(std::string(kPods) + "/web")["metadata"]["resourceVersion"], rv);
}

TEST_F(RestSemanticsTest, EvictionDeletesThePod) {
  create(kPods, pod("web"));
  Json eviction = {{"apiVersion", "policy/v1"},
                   {"kind", "Eviction"},
                   {"metadata", {{"name", "web"}, {"namespace", "default"}}}};
  Json st = ok(testing::post(*client_, std::string(kPods) + "/web/eviction", eviction), 201);
  EXPECT_EQ(st["status"], "Success");
  EXPECT_EQ(must(testing::get(*client_, std::string(kPods) + "/web")).status, 404);
  Reply missing = must(testing::post(*client_, std::string(kPods) + "/web/eviction", eviction));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(body_json(missing)["message"], "pods \"web\" not found");
}

TEST_F(RestSemanticsTest, FinalizersHoldDeletionUntilRemoved) {
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "held"}, {"finalizers", Json::array({"example.com/hold"})}}}};
  create("/api/v1/namespaces/default/configmaps", cm);
  std::string target = "/api/v1/namespaces/default/configmaps/held";
  Json deleting = ok(testing::del(*client_, target));
  EXPECT_EQ(deleting["kind"], "ConfigMap");
  EXPECT_TRUE(deleting["metadata"]["deletionTimestamp"].is_string());
  EXPECT_EQ(deleting["metadata"]["deletionGracePeriodSeconds"], 0);
  Json still = get(target);
  EXPECT_EQ(still["metadata"]["finalizers"], Json::array({"example.com/hold"}));
  // A new finalizer may not be added while deleting; removing the last one deletes.
  Reply more =
      patch(target, kMerge, R"({"metadata":{"finalizers":["example.com/hold","x.io/y"]}})");
  EXPECT_EQ(more.status, 422) << more.body;
  Reply released = patch(target, kMerge, R"({"metadata":{"finalizers":null}})");
  EXPECT_EQ(released.status, 200) << released.body;
  EXPECT_EQ(must(testing::get(*client_, target)).status, 404);
}

TEST_F(RestSemanticsTest, PropagationPoliciesAddTheGarbageCollectorsFinalizers) {
  for (auto [policy, finalizer] :
       {std::pair{"Foreground", "foregroundDeletion"}, std::pair{"Orphan", "orphan"}}) {
    create(kDeployments, deployment("web"));
    std::string target = std::string(kDeployments) + "/web";
    Json d = ok(
        testing::del(*client_, target, std::string(R"({"propagationPolicy":")") + policy + "\"}"));
    EXPECT_EQ(d["metadata"]["finalizers"], Json::array({finalizer})) << policy;
    EXPECT_EQ(d["metadata"]["generation"], 2) << policy;
    ASSERT_EQ(patch(target, kMerge, R"({"metadata":{"finalizers":null}})").status, 200);
    EXPECT_EQ(must(testing::get(*client_, target)).status, 404);
  }
  Reply bad = must(testing::del(*client_, std::string(kDeployments) + "/x",
                                R"({"propagationPolicy":"Sideways"})"));
  EXPECT_EQ(bad.status, 422);
  EXPECT_EQ(body_json(bad)["message"],
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: "
            "\"Sideways\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
}

TEST_F(RestSemanticsTest, BoundPodsAreDeletedGracefully) {
  Json p = pod("web");
  p["spec"]["nodeName"] = "node-1";
  create(kPods, p);
  std::string target = std::string(kPods) + "/web";
  Json deleting = ok(testing::del(*client_, target));
  EXPECT_EQ(deleting["metadata"]["deletionGracePeriodSeconds"], 30);
  EXPECT_TRUE(deleting["metadata"]["deletionTimestamp"].is_string());
  EXPECT_EQ(get(target)["metadata"]["deletionGracePeriodSeconds"], 30);
  // A longer grace period changes nothing; the agent's grace 0 removes it.
  EXPECT_EQ(
      ok(testing::del(*client_, target,
                      R"({"gracePeriodSeconds":60})"))["metadata"]["deletionGracePeriodSeconds"],
      30);
  ok(testing::del(*client_, target, R"({"gracePeriodSeconds":0})"));
  EXPECT_EQ(must(testing::get(*client_, target)).status, 404);
}

TEST_F(RestSemanticsTest, DeletePreconditions) {
  Json cm = create("/api/v1/namespaces/default/configmaps",
                   {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "c"}}}});
  std::string target = "/api/v1/namespaces/default/configmaps/c";
  Reply wrong = must(testing::del(*client_, target, R"({"preconditions":{"uid":"nope"}})"));
  EXPECT_EQ(wrong.status, 409);
  EXPECT_EQ(body_json(wrong)["message"],
            "Operation cannot be fulfilled on ConfigMap \"c\": the UID in the precondition (nope) "
            "does not match the UID in record (" +
                cm["metadata"]["uid"].get<std::string>() +
                "). The object might have been deleted and then recreated");
  ok(testing::del(*client_, target,
                  Json{{"preconditions",
                        {{"uid", cm["metadata"]["uid"]},
                         {"resourceVersion", cm["metadata"]["resourceVersion"]}}}}
                      .dump()));
  EXPECT_EQ(must(testing::get(*client_, target)).status, 404);
}

TEST_F(RestSemanticsTest, TerminatingNamespacesRefuseNewContent) {
  create("/api/v1/namespaces",
         {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "team"}}}});
  Json ns = ok(testing::del(*client_, "/api/v1/namespaces/team"));
  EXPECT_EQ(ns["status"]["phase"], "Terminating");
  EXPECT_EQ(ns["spec"]["finalizers"], Json::array({"kubernetes"}));
  Reply r = must(testing::post(*client_, "/api/v1/namespaces/team/pods", pod("web")));
  EXPECT_EQ(r.status, 403);
  Json st = body_json(r);
  EXPECT_EQ(st["reason"], "Forbidden");
  EXPECT_EQ(st["message"],
            "pods \"web\" is forbidden: unable to create new content in namespace team because it "
            "is being terminated");
  EXPECT_EQ(st["details"]["causes"],
            Json::array({{{"reason", "NamespaceTerminating"},
                          {"message", "namespace team is being terminated"},
                          {"field", "metadata.namespace"}}}));
  // Other updates leave it terminating; the namespace controller's finalize removes it.
  ok(testing::patch(*client_, "/api/v1/namespaces/team", "application/merge-patch+json",
                    R"({"metadata":{"labels":{"a":"b"}}})"));
  Json finalize = get("/api/v1/namespaces/team");
  EXPECT_EQ(finalize["status"]["phase"], "Terminating");
  finalize["spec"]["finalizers"] = Json::array();
  ok(testing::put(*client_, "/api/v1/namespaces/team/finalize", finalize));
  EXPECT_EQ(must(testing::get(*client_, "/api/v1/namespaces/team")).status, 404);

  Reply keep = must(testing::del(*client_, "/api/v1/namespaces/kube-system"));
  EXPECT_EQ(keep.status, 403);
  EXPECT_EQ(body_json(keep)["message"],
            "namespaces \"kube-system\" is forbidden: this namespace may not be deleted");
}

TEST_F(RestSemanticsTest, ServicesGetClusterIPsAndNodePorts) {
  std::set<std::string> ips = {"10.43.0.1"};
  for (int i = 0; i < 5; ++i) {
    Json s = create(kServices,
                    service("s" + std::to_string(i), {{"ports", Json::array({{{"port", 80}}})}}));
    std::string ip = s["spec"]["clusterIP"];
    EXPECT_TRUE(ip.starts_with("10.43.")) << ip;
    EXPECT_TRUE(ips.insert(ip).second) << "duplicate " << ip;
    EXPECT_EQ(s["spec"]["clusterIPs"], Json::array({ip}));
  }
  Json headless = create(
      kServices, service("h", {{"clusterIP", "None"}, {"ports", Json::array({{{"port", 80}}})}}));
  EXPECT_EQ(headless["spec"]["clusterIP"], "None");

  Json fixed = create(kServices, service("fixed", {{"clusterIP", "10.43.0.10"},
                                                   {"ports", Json::array({{{"port", 53}}})}}));
  EXPECT_EQ(fixed["spec"]["clusterIP"], "10.43.0.10");
  Reply taken = must(testing::post(
      *client_, kServices,
      service("again", {{"clusterIP", "10.43.0.10"}, {"ports", Json::array({{{"port", 53}}})}})));
  EXPECT_EQ(taken.status, 422);
  EXPECT_EQ(
      body_json(taken)["message"],
      "Service \"again\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.43.0.10\"}: "
      "failed to allocate IP 10.43.0.10: provided IP is already allocated");
  Reply outside = must(testing::post(
      *client_, kServices,
      service("outside", {{"clusterIP", "10.0.0.1"}, {"ports", Json::array({{{"port", 53}}})}})));
  EXPECT_EQ(outside.status, 422);
  EXPECT_NE(body_json(outside)["message"].get<std::string>().find(
                "the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is "
                "10.43.0.0/16"),
            std::string::npos);
  // Deleting gives the address back.
  ok(testing::del(*client_, std::string(kServices) + "/fixed"));
  create(kServices,
         service("reuse", {{"clusterIP", "10.43.0.10"}, {"ports", Json::array({{{"port", 53}}})}}));

  Json np =
      create(kServices, service("np", {{"type", "NodePort"},
                                       {"ports", Json::array({{{"port", 80}, {"name", "a"}},
                                                              {{"port", 443}, {"name", "b"}}})}}));
  int p0 = np["spec"]["ports"][0]["nodePort"];
  int p1 = np["spec"]["ports"][1]["nodePort"];
  EXPECT_GE(p0, 30000);
  EXPECT_LE(p0, 32767);
  EXPECT_NE(p0, p1);
  Reply dup = must(testing::post(
      *client_, kServices,
      service("np2",
              {{"type", "NodePort"}, {"ports", Json::array({{{"port", 80}, {"nodePort", p0}}})}})));
  EXPECT_EQ(dup.status, 422);
  EXPECT_EQ(body_json(dup)["message"],
            "Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: " +
                std::to_string(p0) + ": provided port is already allocated");
  // Changing the type to ClusterIP drops and releases the node ports.
  Reply changed = patch(std::string(kServices) + "/np", kMerge, R"({"spec":{"type":"ClusterIP"}})");
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_FALSE(body_json(changed)["spec"]["ports"][0].contains("nodePort"));
  create(kServices, service("np3", {{"type", "NodePort"},
                                    {"ports", Json::array({{{"port", 80}, {"nodePort", p0}}})}}));
}

TEST_F(RestSemanticsTest, ServerSideApplyCreatesAndTracksManagers) {
  std::string target = std::string(kDeployments) + "/web";
  Json config = deployment("web", 3);
  Reply created = must(testing::call(*client_, {"PATCH", target + "?fieldManager=alice",
                                                config.dump(), "application/apply-patch+yaml"}));
  ASSERT_EQ(created.status, 201) << created.body;
  Json d = body_json(created);
  ASSERT_TRUE(d["metadata"]["managedFields"].is_array());
  EXPECT_EQ(d["metadata"]["managedFields"][0]["manager"], "alice");
  EXPECT_EQ(d["metadata"]["managedFields"][0]["operation"], "Apply");

  config["spec"]["replicas"] = 4;
  Reply conflict = must(testing::call(*client_, {"PATCH", target + "?fieldManager=bob",
                                                 config.dump(), "application/apply-patch+yaml"}));
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(body_json(conflict)["message"],
            "Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas");
  Reply forced = must(testing::call(*client_, {"PATCH", target + "?fieldManager=bob&force=true",
                                               config.dump(), "application/apply-patch+yaml"}));
  ASSERT_EQ(forced.status, 200) << forced.body;
  EXPECT_EQ(body_json(forced)["spec"]["replicas"], 4);
  Reply no_manager = must(
      testing::call(*client_, {"PATCH", target, config.dump(), "application/apply-patch+yaml"}));
  EXPECT_EQ(no_manager.status, 422);
  EXPECT_EQ(body_json(no_manager)["message"],
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required "
            "for apply patch");
}

TEST_F(RestSemanticsTest, PatchTypesAndStrictValidation) {
  create(kDeployments, deployment("web"));
  std::string target = std::string(kDeployments) + "/web";
  Reply smp = patch(
      target, "application/strategic-merge-patch+json",
      R"({"spec":{"template":{"spec":{"containers":[{"name":"app","image":"nginx:1.26"}]}}}})");
  ASSERT_EQ(smp.status, 200) << smp.body;
  EXPECT_EQ(body_json(smp)["spec"]["template"]["spec"]["containers"].size(), 1u);
  Reply jp = patch(target, "application/json-patch+json",
                   R"([{"op":"add","path":"/metadata/labels","value":{"x":"1"}}])");
  ASSERT_EQ(jp.status, 200) << jp.body;
  EXPECT_EQ(body_json(jp)["metadata"]["labels"]["x"], "1");
  Reply strict = patch(target + "?fieldValidation=Strict", kMerge, R"({"spec":{"bogus":1}})");
  EXPECT_EQ(strict.status, 422);
  EXPECT_NE(body_json(strict)["message"].get<std::string>().find(
                "strict decoding error: unknown field \"spec.bogus\""),
            std::string::npos);
  Reply warned = patch(target, kMerge, R"({"spec":{"bogus":1}})");
  EXPECT_EQ(warned.status, 200);
  EXPECT_EQ(warned.headers.get("Warning").value_or(""),
            "299 - \"unknown field \\\"spec.bogus\\\"\"");
  EXPECT_FALSE(body_json(warned)["spec"].contains("bogus"));
  Reply renamed = patch(target, kMerge, R"({"metadata":{"name":"other"}})");
  EXPECT_EQ(renamed.status, 400);
  EXPECT_EQ(
      must(testing::patch(*client_, std::string(kDeployments) + "/nope", kMerge, "{}")).status,
      404);
  Reply unsupported = patch(target, "application/x-weird", "{}");
  EXPECT_EQ(unsupported.status, 415);
}

TEST_F(RestSemanticsTest, EventsOfBothApisShareOneStorage) {
  Json core = {{"apiVersion", "v1"},
               {"kind", "Event"},
               {"metadata", {{"name", "e1"}}},
               {"involvedObject", {{"kind", "Pod"}, {"name", "web"}, {"namespace", "default"}}},
               {"reason", "Started"},
               {"message", "started"},
               {"type", "Normal"},
               {"source", {{"component", "kubelet"}}},
               {"count", 1}};
  create("/api/v1/namespaces/default/events", core);
  Json v1 = {{"apiVersion", "events.k8s.io/v1"},
             {"kind", "Event"},
             {"metadata", {{"name", "e2"}}},
             {"regarding", {{"kind", "Pod"}, {"name", "web"}, {"namespace", "default"}}},
             {"reason", "Pulled"},
             {"note", "pulled"},
             {"type", "Normal"},
             {"eventTime", "2024-05-01T12:00:00.000000Z"},
             {"reportingController", "example.com/puller"},
             {"reportingInstance", "puller-1"},
             {"action", "Pull"}};
  Json created = create("/apis/events.k8s.io/v1/namespaces/default/events", v1);
  // The answer is the stored event as events.k8s.io serves it.
  EXPECT_EQ(created["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(created["note"], "pulled");
  EXPECT_EQ(created["regarding"]["name"], "web");
  EXPECT_FALSE(created.contains("message"));
  EXPECT_EQ(
      created["metadata"]["resourceVersion"],
      get("/apis/events.k8s.io/v1/namespaces/default/events/e2")["metadata"]["resourceVersion"]);
  // The core API sees the new-style event in its own shape, and the reverse.
  Json as_core = get("/api/v1/namespaces/default/events/e2");
  EXPECT_EQ(as_core["apiVersion"], "v1");
  EXPECT_EQ(as_core["message"], "pulled");
  EXPECT_EQ(as_core["involvedObject"]["name"], "web");
  Json as_v1 = get("/apis/events.k8s.io/v1/namespaces/default/events/e1");
  EXPECT_EQ(as_v1["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(as_v1["note"], "started");
  EXPECT_EQ(as_v1["regarding"]["kind"], "Pod");
  Json quorum = get("/api/v1/namespaces/default/events");
  EXPECT_EQ(quorum["items"].size(), 2u);
  // From the watch cache once it has the quorum list's revision ("0" alone may be served before).
  Json listed = get("/apis/events.k8s.io/v1/namespaces/default/events?resourceVersion=" +
                    quorum["metadata"]["resourceVersion"].get<std::string>() +
                    "&resourceVersionMatch=NotOlderThan");
  ASSERT_EQ(listed["items"].size(), 2u);
  EXPECT_EQ(listed["items"][0]["apiVersion"], "events.k8s.io/v1");
  // describe's field selector reads the core names.
  Json selected = get(
      "/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dweb,reason%3DPulled");
  ASSERT_EQ(selected["items"].size(), 1u);
  EXPECT_EQ(selected["items"][0]["metadata"]["name"], "e2");
  // So does the core watch cache, which took the event written through events.k8s.io from its
  // writer (resourceVersion=0 lists are served from it once it has caught up).
  Json cached;
  for (int i = 0; i < 200; ++i) {
    cached =
        get("/api/v1/namespaces/default/events?resourceVersion=0&fieldSelector="
            "involvedObject.name%3Dweb,reason%3DPulled");
    if (!cached["items"].empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(cached["items"].size(), 1u);
  EXPECT_EQ(cached["items"][0]["metadata"]["name"], "e2");
  EXPECT_EQ(cached["items"][0]["message"], "pulled");
}

TEST_F(RestSemanticsTest, RequestsAreCountedByVerbAndResource) {
  create(kPods, pod("web"));
  get(std::string(kPods) + "/web");
  get(kPods);
  // A request is counted once its response has been written, which may be just after the client
  // has read it: wait (bounded) for the last one.
  std::string text = metrics_.expose();
  for (int i = 0; i < 500 && text.find("verb=\"LIST\"") == std::string::npos; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    text = metrics_.expose();
  }
  EXPECT_NE(text.find("verb=\"CREATE\""), std::string::npos);
  EXPECT_NE(text.find("resource=\"pods\""), std::string::npos);
  EXPECT_NE(text.find("verb=\"LIST\""), std::string::npos);
  EXPECT_NE(text.find("etcd_request_duration_seconds_bucket"), std::string::npos);
  EXPECT_NE(text.find("type=\"/registry/pods\""), std::string::npos);
}

}  // namespace
}  // namespace bosun::apiserver
