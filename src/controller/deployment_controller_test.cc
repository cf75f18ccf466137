// The Deployment controller against the in-process API server. No ReplicaSet controller or nodes
// run here, so a small simulator plays both: it keeps each ReplicaSet's pods at spec.replicas
// (deleting not-ready pods first), marks pods Ready through pods/status when the test's policy
// says so, and writes the ReplicaSet status. Covered: the hash-named first ReplicaSet, rolling
// updates within maxSurge/maxUnavailable at every step, Recreate, rollback to an identical
// template, history limits, pause/resume, proportional scaling and the progress deadline on a
// FakeClock, each judged also by `kubectl rollout status`'s logic.
#include "controller/deployment.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "client/test_config.h"
#include "controller/deployment_util.h"
#include "controller/replica_set.h"

namespace bosun::controller {
namespace {

using apiserver::testing::RestTestServer;
using std::chrono::milliseconds;
namespace du = deployment_util;

const client::GroupVersionResource kDeployments{"apps", "v1", "deployments"};
const client::GroupVersionResource kReplicaSets{"apps", "v1", "replicasets"};
constexpr std::string_view kNs = "default";

std::string meta(const Json& o, const char* field) {
  return o.contains("metadata") ? o["metadata"].value(field, std::string()) : std::string();
}

bool pod_ready(const Json& pod) {
  if (!pod.contains("status") || !pod["status"].contains("conditions")) return false;
  for (const Json& c : pod["status"]["conditions"]) {
    if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
  }
  return false;
}

std::string image_of(const Json& pod) { return pod["spec"]["containers"][0].value("image", ""); }

// Plays the ReplicaSet controller and the kubelets, on its own thread.
class ReplicaSetSimulator {
 public:
  explicit ReplicaSetSimulator(client::RestClient& client) : client_(client) {
    thread_ = std::thread([this] {
      while (!stop_) {
        tick();
        std::this_thread::sleep_for(milliseconds(5));
      }
    });
  }
  ~ReplicaSetSimulator() {
    stop_ = true;
    thread_.join();
  }
  // Which pods become Ready (all by default).
  void set_ready_policy(std::function<bool(const Json& pod)> policy) {
    std::lock_guard lock(mu_);
    policy_ = std::move(policy);
  }

 private:
  void tick() {
    auto rss = client_.list(kReplicaSets, kNs);
    auto pods = client_.list(client::kPods, kNs);
    if (!rss.ok() || !pods.ok()) return;
    std::function<bool(const Json&)> policy;
    {
      std::lock_guard lock(mu_);
      policy = policy_;
    }
    for (const Json& rs : (*rss)["items"]) {
      std::string uid = meta(rs, "uid");
      std::vector<Json> owned;
      for (const Json& pod : (*pods)["items"]) {
        if (!meta(pod, "deletionTimestamp").empty()) continue;
        for (const Json& ref : pod["metadata"].value("ownerReferences", Json::array())) {
          if (ref.value("uid", "") == uid) owned.push_back(pod);
        }
      }
      int64_t want = rs["spec"].value("replicas", 1);
      // Not-ready pods go first, then the newest (Kubernetes' deletion ranking in short).
      std::stable_sort(owned.begin(), owned.end(), [](const Json& a, const Json& b) {
        if (pod_ready(a) != pod_ready(b)) return !pod_ready(a);
        return meta(a, "creationTimestamp") > meta(b, "creationTimestamp");
      });
      while (static_cast<int64_t>(owned.size()) > want) {
        client::DeleteOptions o;
        o.grace_period_seconds = 0;
        (void)client_.remove(client::kPods, kNs, meta(owned.front(), "name"), o);
        owned.erase(owned.begin());
      }
      for (int64_t i = static_cast<int64_t>(owned.size()); i < want; ++i) {
        Json pod{{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"metadata",
                  {{"name", meta(rs, "name") + "-" + std::to_string(next_++)},
                   {"labels", rs["spec"]["template"]["metadata"]["labels"]},
                   {"ownerReferences", Json::array({{{"apiVersion", "apps/v1"},
                                                     {"kind", "ReplicaSet"},
                                                     {"name", meta(rs, "name")},
                                                     {"uid", uid},
                                                     {"controller", true},
                                                     {"blockOwnerDeletion", true}}})}}},
                 {"spec", rs["spec"]["template"]["spec"]}};
        auto created = client_.create(client::kPods, kNs, pod);
        if (created.ok()) owned.push_back(*created);
      }
      int64_t ready = 0;
      for (Json& pod : owned) {
        if (!pod_ready(pod) && policy && policy(pod)) {
          pod["status"] = {{"phase", "Running"},
                           {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}};
          auto updated = client_.update_status(client::kPods, kNs, pod);
          if (updated.ok()) pod = *updated;
        }
        if (pod_ready(pod)) ++ready;
      }
      Json status = {{"replicas", owned.size()},
                     {"fullyLabeledReplicas", owned.size()},
                     {"readyReplicas", ready},
                     {"availableReplicas", ready},
                     {"observedGeneration", rs["metadata"].value("generation", 0)}};
      if (rs.value("status", Json::object()) != status) {
        Json copy = rs;
        copy["status"] = status;
        (void)client_.update_status(kReplicaSets, kNs, copy);
      }
    }
  }

  client::RestClient& client_;
  std::mutex mu_;  // guards policy_
  std::function<bool(const Json&)> policy_ = [](const Json&) { return true; };
  std::atomic<bool> stop_{false};
  int next_ = 0;
  std::thread thread_;
};

// kubectl's DeploymentStatusViewer (polymorphichelpers/rollout_status.go).
struct RolloutStatus {
  RolloutStatus(std::string m, bool d = false, std::string e = {})
      : message(std::move(m)), done(d), error(std::move(e)) {}
  std::string message;
  bool done = false;
  std::string error;
};

RolloutStatus rollout_status(const Json& d) {
  const std::string name = meta(d, "name");
  const Json status = d.value("status", Json::object());
  int64_t generation = d["metadata"].value("generation", 0);
  if (generation > status.value("observedGeneration", 0)) {
    return {"Waiting for deployment spec update to be observed...\n"};
  }
  if (const Json* c = du::get_condition(status, du::kProgressing);
      c && c->value("reason", "") == du::kTimedOutReason) {
    return {"", false, "deployment \"" + name + "\" exceeded its progress deadline"};
  }
  int64_t replicas = d["spec"].value("replicas", 1);
  int64_t updated = status.value("updatedReplicas", 0);
  int64_t total = status.value("replicas", 0);
  int64_t available = status.value("availableReplicas", 0);
  if (updated < replicas) {
    return {"Waiting for deployment \"" + name +
            "\" rollout to finish: " + std::to_string(updated) + " out of " +
            std::to_string(replicas) + " new replicas have been updated...\n"};
  }
  if (total > updated) {
    return {"Waiting for deployment \"" + name + "\" rollout to finish: " +
            std::to_string(total - updated) + " old replicas are pending termination...\n"};
  }
  if (available < updated) {
    return {"Waiting for deployment \"" + name +
            "\" rollout to finish: " + std::to_string(available) + " of " +
            std::to_string(updated) + " updated replicas are available...\n"};
  }
  return {"deployment \"" + name + "\" successfully rolled out\n", true};
}

Json deployment(std::string_view name, int replicas, std::string_view image) {
  return Json{{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", name}}},
              {"spec",
               {{"replicas", replicas},
                {"selector", {{"matchLabels", {{"app", name}}}}},
                {"template",
                 {{"metadata", {{"labels", {{"app", name}}}}},
                  {"spec", {{"containers", Json::array({{{"name", "c"}, {"image", image}}})}}}}}}}};
}

class DeploymentControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = client::RestClient::create(client::testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  void TearDown() override {
    pump_stop_ = true;
    if (pump_.joinable()) pump_.join();
    // The informers' handlers call into the controller: stop them before it is destroyed.
    if (informers_) informers_->stop();
    controller_.reset();
    simulator_.reset();
    informers_.reset();
  }
  // Starts the controller (with `clock`, real when null) and the simulator.
  void start(FakeClock* fake = nullptr) {
    Clock& clock = fake ? static_cast<Clock&>(*fake) : Clock::real();
    informers_ = std::make_unique<SharedInformers>(*client_);
    controller_ =
        std::make_unique<DeploymentController>(ControllerContext{*client_, *informers_, clock});
    informers_->start();
    ASSERT_TRUE(informers_->wait_for_sync(std::chrono::seconds(10)));
    controller_->run(2);
    simulator_ = std::make_unique<ReplicaSetSimulator>(*client_);
    if (fake) {
      // Retries back off on the controller's clock: let a little fake time pass, a tenth of the
      // real time, far below the deadlines the tests use.
      pump_ = std::thread([this, fake] {
        while (!pump_stop_) {
          fake->advance(milliseconds(1));
          std::this_thread::sleep_for(milliseconds(10));
        }
      });
    }
  }
  Json get(std::string_view name) {
    auto d = client_->get(kDeployments, kNs, name);
    EXPECT_TRUE(d.ok()) << d.error().message;
    return d.ok() ? *d : Json::object();
  }
  void create(const Json& d) {
    auto r = client_->create(kDeployments, kNs, d);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  void patch(std::string_view name, const Json& merge) {
    auto r = client_->patch(kDeployments, kNs, name, client::PatchType::kMerge, merge.dump());
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  void set_image(std::string_view name, std::string_view image) {
    auto r = client_->patch(kDeployments, kNs, name, client::PatchType::kJson,
                            Json::array({{{"op", "replace"},
                                          {"path", "/spec/template/spec/containers/0/image"},
                                          {"value", image}}})
                                .dump());
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::vector<Json> replica_sets() {
    auto l = client_->list(kReplicaSets, kNs);
    EXPECT_TRUE(l.ok());
    std::vector<Json> out;
    if (l.ok()) {
      for (const Json& rs : (*l)["items"]) out.push_back(rs);
    }
    std::sort(out.begin(), out.end(),
              [](const Json& a, const Json& b) { return du::revision_of(a) < du::revision_of(b); });
    return out;
  }
  // Polls for up to 30 s.
  template <typename F>
  bool eventually(F condition) {
    for (int i = 0; i < 3000; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return condition();
  }
  bool rolled_out(std::string_view name) { return rollout_status(get(name)).done; }
  // A copy of the Deployment's condition of `type` (empty when absent).
  Json condition(std::string_view name, std::string_view type) {
    Json status = get(name).value("status", Json::object());
    const Json* c = du::get_condition(status, type);
    return c ? *c : Json::object();
  }

  // A fake clock outlives the controller that reads it (members are destroyed in reverse order).
  FakeClock& fake_clock() {
    fake_clock_ = std::make_unique<FakeClock>();
    return *fake_clock_;
  }
  std::unique_ptr<FakeClock> fake_clock_;
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<SharedInformers> informers_;
  std::unique_ptr<DeploymentController> controller_;
  std::unique_ptr<ReplicaSetSimulator> simulator_;
  std::atomic<bool> pump_stop_{false};
  std::thread pump_;
};

TEST_F(DeploymentControllerTest, CreatesHashNamedReplicaSetAtRevisionOne) {
  start();
  Json d = deployment("web", 3, "nginx:1");
  d["metadata"]["annotations"] = {{"kubernetes.io/change-cause", "first"}};
  create(d);
  ASSERT_TRUE(eventually([&] { return rolled_out("web"); })) << get("web").dump();

  Json current = get("web");
  std::vector<Json> rss = replica_sets();
  ASSERT_EQ(rss.size(), 1u);
  const Json& rs = rss[0];
  std::string hash = du::compute_hash(current["spec"]["template"], std::nullopt);
  EXPECT_EQ(meta(rs, "name"), "web-" + hash);
  EXPECT_EQ(rs["metadata"]["labels"]["pod-template-hash"], hash);
  EXPECT_EQ(rs["spec"]["selector"]["matchLabels"]["pod-template-hash"], hash);
  EXPECT_EQ(rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"], hash);
  EXPECT_EQ(rs["spec"]["replicas"], 3);
  const Json& annotations = rs["metadata"]["annotations"];
  EXPECT_EQ(annotations["deployment.kubernetes.io/revision"], "1");
  EXPECT_EQ(annotations["deployment.kubernetes.io/desired-replicas"], "3");
  EXPECT_EQ(annotations["deployment.kubernetes.io/max-replicas"], "4");  // 25% of 3, rounded up
  EXPECT_EQ(annotations["kubernetes.io/change-cause"], "first");
  const Json& ref = rs["metadata"]["ownerReferences"][0];
  EXPECT_EQ(ref["kind"], "Deployment");
  EXPECT_EQ(ref["uid"], current["metadata"]["uid"]);
  EXPECT_EQ(ref["controller"], true);

  EXPECT_EQ(current["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "1");
  // The annotation went with a status write: only the user's writes move the generation.
  EXPECT_EQ(current["metadata"]["generation"], 1);
  EXPECT_EQ(current["status"]["observedGeneration"], 1);
  const Json& status = current["status"];
  EXPECT_EQ(status["replicas"], 3);
  EXPECT_EQ(status["updatedReplicas"], 3);
  EXPECT_EQ(status["readyReplicas"], 3);
  EXPECT_EQ(status["availableReplicas"], 3);
  EXPECT_FALSE(status.contains("unavailableReplicas"));
  EXPECT_EQ(status["observedGeneration"], current["metadata"]["generation"]);
  const Json* available = du::get_condition(status, du::kAvailable);
  ASSERT_NE(available, nullptr);
  EXPECT_EQ((*available)["status"], "True");
  EXPECT_EQ((*available)["reason"], "MinimumReplicasAvailable");
  EXPECT_EQ((*available)["message"], "Deployment has minimum availability.");
  const Json* progressing = du::get_condition(status, du::kProgressing);
  ASSERT_NE(progressing, nullptr);
  EXPECT_EQ((*progressing)["status"], "True");
  EXPECT_EQ((*progressing)["reason"], "NewReplicaSetAvailable");
  EXPECT_EQ((*progressing)["message"],
            "ReplicaSet \"web-" + hash + "\" has successfully progressed.");
  EXPECT_EQ(rollout_status(current).message, "deployment \"web\" successfully rolled out\n");

  // What `kubectl describe deployment` lists under Events.
  controller_->events().flush();
  auto events = client_->list(client::GroupVersionResource{"", "v1", "events"}, kNs);
  ASSERT_TRUE(events.ok());
  std::vector<std::string> messages;
  for (const Json& e : (*events)["items"]) {
    if (e["involvedObject"].value("name", "") == "web" &&
        e.value("reason", "") == "ScalingReplicaSet") {
      messages.push_back(e.value("message", ""));
    }
  }
  EXPECT_EQ(messages,
            std::vector<std::string>{"Scaled up replica set web-" + hash + " from 0 to 3"});
}

class RollingUpdateTest : public DeploymentControllerTest {
 public:
  // Rolls web from v1 to v2 and checks, at every sample of a watcher, the bounds the strategy
  // promises: the ReplicaSets never ask for more than replicas + maxSurge pods and Ready pods
  // never drop below replicas - maxUnavailable.
  void run(int replicas, Json max_surge, Json max_unavailable, int surge, int unavailable) {
    start();
    Json d = deployment("web", replicas, "nginx:1");
    d["spec"]["strategy"] = {
        {"type", "RollingUpdate"},
        {"rollingUpdate", {{"maxSurge", max_surge}, {"maxUnavailable", max_unavailable}}}};
    create(d);
    ASSERT_TRUE(eventually([&] { return rolled_out("web"); }));

    std::atomic<bool> stop{false};
    std::atomic<int> samples{0};
    std::atomic<int> max_requested{0};
    std::atomic<int> min_ready{replicas};
    std::thread watcher([&] {
      while (!stop) {
        auto rss = client_->list(kReplicaSets, kNs);
        auto pods = client_->list(client::kPods, kNs);
        if (!rss.ok() || !pods.ok()) continue;
        int requested = 0;
        for (const Json& rs : (*rss)["items"]) requested += rs["spec"].value("replicas", 0);
        int ready = 0;
        for (const Json& pod : (*pods)["items"]) {
          if (meta(pod, "deletionTimestamp").empty() && pod_ready(pod)) ++ready;
        }
        max_requested = std::max(max_requested.load(), requested);
        min_ready = std::min(min_ready.load(), ready);
        ++samples;
      }
    });
    // The watcher has seen the rolled-out v1 before the rollout starts; how many samples it takes
    // during the rollout depends on the machine's load (a loaded one finished it in fewer than 10).
    const bool watching = eventually([&] { return samples.load() > 0; });
    const int before_rollout = samples.load();
    set_image("web", "nginx:2");
    bool done = eventually([&] {
      Json cur = get("web");
      return rollout_status(cur).done;
    });
    const bool sampled_after = eventually([&] { return samples.load() > before_rollout + 1; });
    stop = true;
    watcher.join();
    ASSERT_TRUE(watching);
    ASSERT_TRUE(done) << get("web").dump();
    EXPECT_TRUE(sampled_after);
    EXPECT_LE(max_requested.load(), replicas + surge);
    EXPECT_GE(min_ready.load(), replicas - unavailable);

    std::vector<Json> rss = replica_sets();
    ASSERT_EQ(rss.size(), 2u);
    EXPECT_EQ(rss[0]["spec"]["replicas"], 0);
    EXPECT_EQ(rss[1]["spec"]["replicas"], replicas);
    EXPECT_EQ(rss[1]["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
    EXPECT_EQ(rss[1]["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
    Json cur = get("web");
    EXPECT_EQ(cur["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
    EXPECT_EQ(cur["status"]["updatedReplicas"], replicas);
    EXPECT_EQ(condition("web", du::kProgressing)["message"],
              "ReplicaSet \"" + meta(rss[1], "name") + "\" has successfully progressed.");
  }
};

TEST_F(RollingUpdateTest, MaxUnavailableZeroKeepsEveryReplicaReady) { run(4, 1, 0, 1, 0); }

TEST_F(RollingUpdateTest, PercentagesRoundSurgeUpAndUnavailableDown) {
  // 30% of 5: surge ceil(1.5) = 2, unavailable floor(1.5) = 1.
  run(5, "30%", "30%", 2, 1);
}

TEST_F(DeploymentControllerTest, RecreateNeverRunsOldAndNewPodsTogether) {
  start();
  Json d = deployment("web", 3, "nginx:1");
  d["spec"]["strategy"] = {{"type", "Recreate"}};
  create(d);
  ASSERT_TRUE(eventually([&] { return rolled_out("web"); }));

  std::atomic<bool> stop{false};
  std::atomic<bool> mixed{false};
  std::thread watcher([&] {
    while (!stop) {
      auto pods = client_->list(client::kPods, kNs);
      if (!pods.ok()) continue;
      std::set<std::string> images;
      for (const Json& pod : (*pods)["items"]) images.insert(image_of(pod));
      if (images.size() > 1) mixed = true;
    }
  });
  set_image("web", "nginx:2");
  bool done = eventually([&] {
    Json cur = get("web");
    return rollout_status(cur).done;
  });
  stop = true;
  watcher.join();
  ASSERT_TRUE(done) << get("web").dump();
  EXPECT_FALSE(mixed.load());
  std::vector<Json> rss = replica_sets();
  ASSERT_EQ(rss.size(), 2u);
  EXPECT_EQ(rss[0]["spec"]["replicas"], 0);
  EXPECT_EQ(rss[1]["spec"]["replicas"], 3);
  // Recreate has no surge: max-replicas is the desired count.
  EXPECT_EQ(rss[1]["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"], "3");
}

TEST_F(DeploymentControllerTest, RollbackToIdenticalTemplateReusesTheOldReplicaSet) {
  start();
  create(deployment("web", 2, "nginx:1"));
  ASSERT_TRUE(eventually([&] { return rolled_out("web"); }));
  set_image("web", "nginx:2");
  ASSERT_TRUE(eventually([&] {
    Json cur = get("web");
    return rollout_status(cur).done;
  }));
  // What `kubectl rollout undo` sends: the template of revision 1 without its hash label.
  std::vector<Json> rss = replica_sets();
  ASSERT_EQ(rss.size(), 2u);
  Json tmpl = rss[0]["spec"]["template"];
  tmpl["metadata"]["labels"].erase("pod-template-hash");
  auto r = client_->patch(
      kDeployments, kNs, "web", client::PatchType::kJson,
      Json::array({{{"op", "replace"}, {"path", "/spec/template"}, {"value", tmpl}}}).dump());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(eventually([&] {
    Json cur = get("web");
    return rollout_status(cur).done && du::annotation_or_empty(cur, du::kRevisionAnnotation) == "3";
  })) << get("web").dump();
  EXPECT_EQ(get("web")["metadata"]["generation"], 3);  // create, set_image, the undo's patch

  std::vector<Json> after = replica_sets();
  ASSERT_EQ(after.size(), 2u);  // no third ReplicaSet
  EXPECT_EQ(meta(after[1], "name"), meta(rss[0], "name"));
  EXPECT_EQ(du::annotation_or_empty(after[1], du::kRevisionAnnotation), "3");
  EXPECT_EQ(du::annotation_or_empty(after[1], du::kRevisionHistoryAnnotation), "1");
  EXPECT_EQ(after[1]["spec"]["replicas"], 2);
  EXPECT_EQ(after[0]["spec"]["replicas"], 0);
}

TEST_F(DeploymentControllerTest, HistoryIsTrimmedToRevisionHistoryLimit) {
  start();
  Json d = deployment("web", 1, "nginx:1");
  d["spec"]["revisionHistoryLimit"] = 1;
  create(d);
  ASSERT_TRUE(eventually([&] { return rolled_out("web"); }));
  for (int v = 2; v <= 4; ++v) {
    set_image("web", "nginx:" + std::to_string(v));
    ASSERT_TRUE(eventually([&] {
      Json cur = get("web");
      return rollout_status(cur).done;
    }));
  }
  ASSERT_TRUE(eventually([&] { return replica_sets().size() == 2; }));
  std::vector<Json> rss = replica_sets();
  EXPECT_EQ(du::annotation_or_empty(rss[0], du::kRevisionAnnotation), "3");
  EXPECT_EQ(du::annotation_or_empty(rss[1], du::kRevisionAnnotation), "4");
}

TEST_F(DeploymentControllerTest, PausedDeploymentScalesButDoesNotRollOut) {
  start();
  create(deployment("web", 2, "nginx:1"));
  ASSERT_TRUE(eventually([&] { return rolled_out("web"); }));
  patch("web", {{"spec", {{"paused", true}}}});
  ASSERT_TRUE(eventually([&] {
    return condition("web", du::kProgressing).value("reason", "") == "DeploymentPaused";
  }));
  Json paused = condition("web", du::kProgressing);
  EXPECT_EQ(paused["status"], "Unknown");
  EXPECT_EQ(paused["message"], "Deployment is paused");

  set_image("web", "nginx:2");
  patch("web", {{"spec", {{"replicas", 4}}}});
  ASSERT_TRUE(eventually([&] {
    std::vector<Json> rss = replica_sets();
    return rss.size() == 1 && rss[0]["spec"]["replicas"] == 4 &&
           get("web").value("status", Json::object()).value("availableReplicas", 0) == 4;
  }));
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(replica_sets().size(), 1u);  // still no rollout

  patch("web", {{"spec", {{"paused", false}}}});
  ASSERT_TRUE(eventually([&] {
    Json cur = get("web");
    return replica_sets().size() == 2 && rollout_status(cur).done;
  })) << get("web").dump();
  std::vector<Json> rss = replica_sets();
  EXPECT_EQ(rss[1]["spec"]["replicas"], 4);
  EXPECT_EQ(rss[1]["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:2");
}

TEST_F(DeploymentControllerTest, ScalingMidRolloutIsProportional) {
  start();
  simulator_->set_ready_policy([](const Json& pod) { return image_of(pod) != "bad"; });
  Json d = deployment("web", 10, "nginx:1");
  d["spec"]["strategy"] = {{"type", "RollingUpdate"},
                           {"rollingUpdate", {{"maxSurge", 3}, {"maxUnavailable", 2}}}};
  create(d);
  ASSERT_TRUE(eventually([&] { return rolled_out("web"); }));
  set_image("web", "bad");
  // The rollout stalls with 8 old and 5 new (13 = 10 + maxSurge; 8 = 10 - maxUnavailable).
  ASSERT_TRUE(eventually([&] {
    std::vector<Json> rss = replica_sets();
    return rss.size() == 2 && rss[0]["spec"]["replicas"] == 8 && rss[1]["spec"]["replicas"] == 5;
  }));
  patch("web", {{"spec", {{"replicas", 15}}}});
  // 5 more (18 allowed): 3 to the larger old ReplicaSet, 2 to the new one, as Kubernetes' docs.
  ASSERT_TRUE(eventually([&] {
    std::vector<Json> rss = replica_sets();
    return rss.size() == 2 && rss[0]["spec"]["replicas"] == 11 && rss[1]["spec"]["replicas"] == 7;
  })) << replica_sets()[0].dump();
  for (const Json& rs : replica_sets()) {
    EXPECT_EQ(du::annotation_or_empty(rs, du::kDesiredReplicasAnnotation), "15");
    EXPECT_EQ(du::annotation_or_empty(rs, du::kMaxReplicasAnnotation), "18");
  }
}

TEST_F(DeploymentControllerTest, ProgressDeadlineExceededOnTheInjectedClock) {
  FakeClock& clock = fake_clock();
  start(&clock);
  simulator_->set_ready_policy([](const Json&) { return false; });
  Json d = deployment("web", 2, "nginx:1");
  d["spec"]["progressDeadlineSeconds"] = 60;
  create(d);
  ASSERT_TRUE(eventually([&] {
    return condition("web", du::kProgressing).value("reason", "") == "ReplicaSetUpdated" &&
           get("web").value("status", Json::object()).value("replicas", 0) == 2;
  })) << get("web").dump();
  std::string rs_name = meta(replica_sets()[0], "name");
  Json progressing = condition("web", du::kProgressing);
  EXPECT_EQ(progressing["message"], "ReplicaSet \"" + rs_name + "\" is progressing.");
  EXPECT_EQ(progressing["status"], "True");
  EXPECT_EQ(rollout_status(get("web")).message,
            "Waiting for deployment \"web\" rollout to finish: 0 of 2 updated replicas are "
            "available...\n");

  std::this_thread::sleep_for(milliseconds(200));
  EXPECT_EQ(condition("web", du::kProgressing)["status"], "True");
  // The controller asked to look again at the deadline; nothing else wakes it.
  clock.advance(std::chrono::seconds(61));
  ASSERT_TRUE(eventually([&] {
    return condition("web", du::kProgressing).value("reason", "") == "ProgressDeadlineExceeded";
  })) << get("web").dump();
  Json timed_out = condition("web", du::kProgressing);
  EXPECT_EQ(timed_out["status"], "False");
  EXPECT_EQ(timed_out["message"], "ReplicaSet \"" + rs_name + "\" has timed out progressing.");
  EXPECT_EQ(rollout_status(get("web")).error, "deployment \"web\" exceeded its progress deadline");
  EXPECT_EQ(condition("web", du::kAvailable)["reason"], "MinimumReplicasUnavailable");
}

// A ReplicaSet the API server refuses (its name, the Deployment's plus "-" and the hash, is over
// 253 characters): Progressing=False with ReplicaSetCreateError and the server's message, as
// getNewReplicaSet reports it.
TEST_F(DeploymentControllerTest, AReplicaSetTheServerRefusesIsReportedAsReplicaSetCreateError) {
  start();
  const std::string name(250, 'a');
  Json d = deployment(name, 1, "nginx:1");
  d["spec"]["selector"]["matchLabels"]["app"] = "long";  // a label value stops at 63
  d["spec"]["template"]["metadata"]["labels"]["app"] = "long";
  create(d);
  ASSERT_TRUE(eventually([&] {
    return condition(name, du::kProgressing).value("reason", "") == "ReplicaSetCreateError";
  })) << get(name).dump();
  Json progressing = condition(name, du::kProgressing);
  EXPECT_EQ(progressing["status"], "False");
  const std::string rs_name =
      name + "-" + du::compute_hash(get(name)["spec"]["template"], std::nullopt);
  EXPECT_TRUE(progressing["message"].get<std::string>().starts_with(
      "Failed to create new replica set \"" + rs_name + "\": "))
      << progressing.dump();
  EXPECT_TRUE(replica_sets().empty());
}

// The same rollout with the real ReplicaSet controller in place of the simulator, and a "kubelet"
// that marks every pod Ready through pods/status: what `bosun controller-manager` runs.
TEST(DeploymentWithReplicaSetControllerTest, RollingUpdateKeepsReplicasReady) {
  auto server = RestTestServer::start();
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto client = client::RestClient::create(client::testing::admin_config(**server));
  ASSERT_TRUE(client.ok());
  SharedInformers informers(**client);
  ControllerContext ctx{**client, informers, Clock::real()};
  ReplicaSetController replica_sets(ctx, replica_set_kind());
  DeploymentController deployments(ctx);
  informers.start();
  ASSERT_TRUE(informers.wait_for_sync(std::chrono::seconds(10)));
  replica_sets.run(2);
  deployments.run(2);

  std::atomic<bool> stop{false};
  std::atomic<int> min_ready{1000};
  std::atomic<bool> rolling{false};
  std::thread kubelet([&] {
    while (!stop) {
      auto pods = (*client)->list(client::kPods, kNs);
      if (!pods.ok()) continue;
      int ready = 0;
      for (Json pod : (*pods)["items"]) {
        if (!meta(pod, "deletionTimestamp").empty()) continue;
        if (pod_ready(pod)) {
          ++ready;
          continue;
        }
        pod["status"] = {
            {"phase", "Running"},
            {"conditions", Json::array({{{"type", "Ready"},
                                         {"status", "True"},
                                         {"lastTransitionTime", "2024-01-01T00:00:00Z"}}})}};
        (void)(*client)->update_status(client::kPods, kNs, pod);
      }
      if (rolling) min_ready = std::min(min_ready.load(), ready);
      std::this_thread::sleep_for(milliseconds(2));
    }
  });
  auto get = [&] {
    auto d = (*client)->get(kDeployments, kNs, "web");
    return d.ok() ? *d : Json::object();
  };
  auto wait_rolled_out = [&] {
    for (int i = 0; i < 3000; ++i) {
      if (rollout_status(get()).done) return true;
      std::this_thread::sleep_for(milliseconds(10));
    }
    return false;
  };
  Json d = deployment("web", 3, "nginx:1");
  d["spec"]["strategy"] = {{"type", "RollingUpdate"},
                           {"rollingUpdate", {{"maxSurge", 1}, {"maxUnavailable", 0}}}};
  ASSERT_TRUE((*client)->create(kDeployments, kNs, d).ok());
  EXPECT_TRUE(wait_rolled_out()) << get().dump();
  rolling = true;
  auto patched = (*client)->patch(
      kDeployments, kNs, "web", client::PatchType::kJson,
      R"([{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"nginx:2"}])");
  ASSERT_TRUE(patched.ok());
  EXPECT_TRUE(wait_rolled_out()) << get().dump();
  rolling = false;
  stop = true;
  kubelet.join();
  EXPECT_GE(min_ready.load(), 3);
  auto pods = (*client)->list(client::kPods, kNs);
  ASSERT_TRUE(pods.ok());
  int running = 0;
  for (const Json& pod : (*pods)["items"]) {
    if (meta(pod, "deletionTimestamp").empty()) {
      ++running;
      EXPECT_EQ(image_of(pod), "nginx:2");
    }
  }
  EXPECT_EQ(running, 3);
  deployments.stop();
  replica_sets.stop();
  informers.stop();
}

}  // namespace
}  // namespace bosun::controller
