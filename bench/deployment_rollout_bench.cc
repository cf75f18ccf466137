// The Deployment controller with the ReplicaSet controller against an in-process API server over
// HTTPS (non-durable SQLite, no nodes; a stand-in kubelet marks each new pod Ready through
// pods/status from 4 threads): a rolling update of a 1,000-replica Deployment (maxSurge and
// maxUnavailable 25%) from the template change to what `kubectl rollout status` calls done; and
// the CPU the controller spends finding the new ReplicaSet among a full history (11 ReplicaSets,
// the template compared ignoring the hash) and hashing a template, the work of every sync.
#include <benchmark/benchmark.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "apiserver/rest_test_server.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "common/json.h"
#include "controller/deployment.h"
#include "controller/deployment_util.h"
#include "controller/replica_set.h"
#include "controller/shared_informers.h"

namespace {

using bosun::Clock;
using bosun::Json;
using bosun::apiserver::testing::RestTestServer;
using bosun::client::ClientConfig;
using bosun::client::RestClient;
using bosun::controller::ControllerContext;
using bosun::controller::DeploymentController;
using bosun::controller::ReplicaSetController;
using bosun::controller::SharedInformers;
namespace du = bosun::controller::deployment_util;

constexpr int kReplicas = 1'000;
const bosun::client::GroupVersionResource kDeployments{"apps", "v1", "deployments"};

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "deployment_rollout_bench: %s\n", what.c_str());
  std::abort();
}

ClientConfig admin(RestTestServer& server) {
  ClientConfig c;
  c.server = "https://127.0.0.1:" + std::to_string(server.port());
  c.ca_pem = server.stack().server().pki().ca.cert_pem;
  c.client_cert_pem = server.stack().server().pki().admin.cert_pem;
  c.client_key_pem = server.stack().server().pki().admin.key_pem;
  c.user_agent = "bosun/deployment-bench";
  c.max_idle_connections = 24;
  return c;
}

Json pod_template(std::string_view image) {
  return {{"metadata", {{"labels", {{"app", "bench"}}}}},
          {"spec",
           {{"containers", Json::array({{{"name", "c"}, {"image", image}}})},
            {"restartPolicy", "Always"},
            {"terminationGracePeriodSeconds", 30},
            {"dnsPolicy", "ClusterFirst"},
            {"schedulerName", "default-scheduler"}}}};
}

// Marks every new pod Ready, as kubelets would once its containers run.
class Kubelet {
 public:
  Kubelet(RestClient& client) : client_(client) {
    bosun::client::InformerOptions options;
    options.resource = bosun::client::kPods;
    informer_ = std::make_unique<bosun::client::Informer>(client, std::move(options));
    bosun::client::EventHandler h;
    h.on_add = [this](const bosun::client::ObjectPtr& pod) {
      std::lock_guard lock(mu_);
      pending_.push_back(pod);
      cv_.notify_one();
    };
    informer_->add_event_handler(std::move(h));
    informer_->start();
    for (int i = 0; i < 4; ++i) threads_.emplace_back([this] { run(); });
  }
  ~Kubelet() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
      cv_.notify_all();
    }
    for (auto& t : threads_) t.join();
    informer_->stop();
  }

 private:
  void run() {
    while (true) {
      bosun::client::ObjectPtr pod;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stop_ || !pending_.empty(); });
        if (stop_) return;
        pod = pending_.front();
        pending_.pop_front();
      }
      Json ready = *pod;
      ready["status"] = {{"phase", "Running"},
                         {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"}}})}};
      (void)client_.update_status(bosun::client::kPods, "default", ready);
    }
  }
  RestClient& client_;
  std::unique_ptr<bosun::client::Informer> informer_;
  std::mutex mu_;  // guards pending_ and stop_
  std::condition_variable cv_;
  std::deque<bosun::client::ObjectPtr> pending_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

struct Cluster {
  std::unique_ptr<RestTestServer> server;
  std::unique_ptr<RestClient> client;
  std::unique_ptr<SharedInformers> informers;
  std::unique_ptr<ReplicaSetController> replica_sets;
  std::unique_ptr<DeploymentController> deployments;
  std::unique_ptr<Kubelet> kubelet;

  Cluster() {
    auto s = RestTestServer::start();
    if (!s.ok()) die(s.error().message);
    server = std::move(s).value();
    auto c = RestClient::create(admin(*server));
    if (!c.ok()) die(c.error().message);
    client = std::move(c).value();
    informers = std::make_unique<SharedInformers>(*client);
    ControllerContext ctx{*client, *informers, Clock::real()};
    replica_sets =
        std::make_unique<ReplicaSetController>(ctx, bosun::controller::replica_set_kind());
    deployments = std::make_unique<DeploymentController>(ctx);
    informers->start();
    if (!informers->wait_for_sync(std::chrono::seconds(30))) die("informers did not sync");
    replica_sets->run(5);  // kube-controller-manager's defaults
    deployments->run(5);
    kubelet = std::make_unique<Kubelet>(*client);
  }
  ~Cluster() {
    kubelet.reset();
    deployments.reset();
    replica_sets.reset();
    informers.reset();
  }

  // kubectl rollout status' success test.
  void wait_rolled_out() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (true) {
      auto d = client->get(kDeployments, "default", "bench");
      if (!d.ok()) die(d.error().message);
      const Json& st = (*d)["status"];
      if ((*d)["metadata"].value("generation", 0) <= st.value("observedGeneration", 0) &&
          st.value("updatedReplicas", 0) == kReplicas && st.value("replicas", 0) == kReplicas &&
          st.value("availableReplicas", 0) == kReplicas) {
        return;
      }
      if (std::chrono::steady_clock::now() > deadline) die("rollout timed out: " + st.dump());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
};

void BM_DeploymentRollingUpdate1k(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto cluster = std::make_unique<Cluster>();
    Json d = {{"apiVersion", "apps/v1"},
              {"kind", "Deployment"},
              {"metadata", {{"name", "bench"}}},
              {"spec",
               {{"replicas", kReplicas},
                {"selector", {{"matchLabels", {{"app", "bench"}}}}},
                {"template", pod_template("busybox:1")}}}};
    auto created = cluster->client->create(kDeployments, "default", d);
    if (!created.ok()) die(created.error().message);
    cluster->wait_rolled_out();
    state.ResumeTiming();
    auto patched = cluster->client->patch(
        kDeployments, "default", "bench", bosun::client::PatchType::kJson,
        R"([{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"busybox:2"}])");
    if (!patched.ok()) die(patched.error().message);
    cluster->wait_rolled_out();
    state.PauseTiming();
    cluster.reset();
    state.ResumeTiming();
  }
  state.counters["pods_replaced_per_s"] = benchmark::Counter(
      static_cast<double>(kReplicas) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DeploymentRollingUpdate1k)
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1)
    ->UseRealTime();

// find_new_rs over a full history: 10 old ReplicaSets and the new one, the newest last.
void BM_FindNewReplicaSet11(benchmark::State& state) {
  Json d = {{"metadata", {{"name", "bench"}}}, {"spec", {{"template", pod_template("img:10")}}}};
  du::RsList rss;
  for (int i = 0; i <= 10; ++i) {
    Json tmpl = pod_template("img:" + std::to_string(i));
    tmpl["metadata"]["labels"]["pod-template-hash"] = du::compute_hash(tmpl, std::nullopt);
    char created[32];
    std::snprintf(created, sizeof created, "2024-01-01T00:00:%02dZ", i);
    rss.push_back(std::make_shared<Json>(
        Json{{"metadata", {{"name", "bench-" + std::to_string(i)}, {"creationTimestamp", created}}},
             {"spec", {{"replicas", 1}, {"template", tmpl}}}}));
  }
  for (auto _ : state) {
    auto found = du::find_new_rs(d, rss);
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(BM_FindNewReplicaSet11);

void BM_ComputeHash(benchmark::State& state) {
  Json tmpl = pod_template("busybox:1");
  for (auto _ : state) benchmark::DoNotOptimize(du::compute_hash(tmpl, std::nullopt));
}
BENCHMARK(BM_ComputeHash);

}  // namespace

BENCHMARK_MAIN();
