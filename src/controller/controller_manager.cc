#include "controller/controller_manager.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "common/log.h"
#include "common/uuid.h"
#include "controller/deployment.h"
#include "controller/garbage_collector.h"
#include "controller/namespace_controller.h"
#include "controller/node_lifecycle.h"
#include "controller/pod_gc.h"
#include "controller/replica_set.h"

namespace bosun::controller {

namespace {

std::string default_identity() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}_{}", host[0] ? host : "bosun", new_uuid());
}

}  // namespace

const std::vector<ControllerDescriptor>& controller_descriptors() {
  // Register a controller here: its name as --controllers spells it (kube-controller-manager's),
  // aliases, default workers (the --concurrent-*-syncs default) and how to build it.
  static const std::vector<ControllerDescriptor> kDescriptors = {
      {"replicationcontroller-controller",
       {"replicationcontroller"},
       5,
       true,
       [](ControllerContext ctx,
          const ControllerManagerOptions&) -> Result<std::unique_ptr<Controller>> {
         return std::unique_ptr<Controller>(
             new ReplicaSetController(ctx, replication_controller_kind()));
       }},
      {"replicaset-controller",
       {"replicaset"},
       5,
       true,
       [](ControllerContext ctx,
          const ControllerManagerOptions&) -> Result<std::unique_ptr<Controller>> {
         return std::unique_ptr<Controller>(new ReplicaSetController(ctx, replica_set_kind()));
       }},
      {"deployment-controller",
       {"deployment"},
       5,
       true,
       [](ControllerContext ctx,
          const ControllerManagerOptions&) -> Result<std::unique_ptr<Controller>> {
         return std::unique_ptr<Controller>(new DeploymentController(ctx));
       }},
      {"garbage-collector-controller",
       {"garbagecollector"},
       20,
       true,
       [](ControllerContext ctx,
          const ControllerManagerOptions&) -> Result<std::unique_ptr<Controller>> {
         BOSUN_ASSIGN_OR_RETURN(auto gc, GarbageCollector::create(ctx));
         return std::unique_ptr<Controller>(std::move(gc));
       }},
      {"namespace-controller",
       {"namespace"},
       10,
       true,
       [](ControllerContext ctx,
          const ControllerManagerOptions&) -> Result<std::unique_ptr<Controller>> {
         return std::unique_ptr<Controller>(new NamespaceController(ctx));
       }},
      {"node-lifecycle-controller",
       {"nodelifecycle"},
       8,  // nodeUpdateWorkerSize
       true,
       [](ControllerContext ctx,
          const ControllerManagerOptions& o) -> Result<std::unique_ptr<Controller>> {
         NodeLifecycleOptions options;
         options.node_monitor_grace_period = o.node_monitor_grace_period;
         options.default_toleration = o.pod_eviction_timeout;
         options.node_eviction_rate = o.node_eviction_rate;
         options.secondary_node_eviction_rate = o.secondary_node_eviction_rate;
         options.unhealthy_zone_threshold = o.unhealthy_zone_threshold;
         options.large_cluster_size_threshold = o.large_cluster_size_threshold;
         return std::unique_ptr<Controller>(new NodeLifecycleController(ctx, options));
       }},
      {"pod-garbage-collector-controller",
       {"podgc"},
       1,
       true,
       [](ControllerContext ctx,
          const ControllerManagerOptions& o) -> Result<std::unique_ptr<Controller>> {
         PodGCOptions options;
         options.terminated_pod_gc_threshold = o.terminated_pod_gc_threshold;
         return std::unique_ptr<Controller>(new PodGCController(ctx, options));
       }},
  };
  return kDescriptors;
}

Result<std::vector<const ControllerDescriptor*>> select_controllers(
    const std::vector<std::string>& flags) {
  const auto& all = controller_descriptors();
  auto find = [&](std::string_view name) -> const ControllerDescriptor* {
    for (const auto& d : all) {
      if (d.name == name) return &d;
      if (std::find(d.aliases.begin(), d.aliases.end(), name) != d.aliases.end()) return &d;
    }
    return nullptr;
  };
  std::set<const ControllerDescriptor*> on, off;
  bool star = false;
  for (const std::string& flag : flags) {
    if (flag == "*") {
      star = true;
      continue;
    }
    bool disable = !flag.empty() && flag[0] == '-';
    std::string_view name = disable ? std::string_view(flag).substr(1) : std::string_view(flag);
    const ControllerDescriptor* d = find(name);
    if (d == nullptr) {
      return make_error(ErrorCode::kBadRequest,
                        fmt::format("\"{}\" is not in the list of known controllers", name));
    }
    (disable ? off : on).insert(d);
  }
  std::vector<const ControllerDescriptor*> out;
  for (const auto& d : all) {
    if (off.count(&d)) continue;
    if (on.count(&d) || (star && d.enabled_by_default)) out.push_back(&d);
  }
  return out;
}

ControllerManager::ControllerManager(client::RestClient& client, ControllerManagerOptions options)
    : client_(client),
      options_(std::move(options)),
      clock_(options_.clock ? *options_.clock : Clock::real()),
      own_informers_(options_.informers ? nullptr : std::make_unique<SharedInformers>(client)),
      informers_(options_.informers ? options_.informers : own_informers_.get()) {}

Result<std::unique_ptr<ControllerManager>> ControllerManager::create(
    client::ClientConfig config, ControllerManagerOptions options) {
  client::RestClientOptions client_options;
  client_options.clock = options.clock;
  BOSUN_ASSIGN_OR_RETURN(auto client,
                         client::RestClient::create(std::move(config), client_options));
  auto* raw = client.get();
  auto manager = std::make_unique<ControllerManager>(*raw, std::move(options));
  manager->owned_client_ = std::move(client);
  return manager;
}

ControllerManager::~ControllerManager() { stop(); }

Result<void> ControllerManager::start_controllers() {
  BOSUN_ASSIGN_OR_RETURN(auto selected, select_controllers(options_.controllers));
  std::vector<std::pair<std::string, std::unique_ptr<Controller>>> built;
  std::vector<int> workers;
  ControllerContext ctx{client_, *informers_, clock_};
  for (const ControllerDescriptor* d : selected) {
    auto c = d->build(ctx, options_);
    if (!c.ok()) {
      park(std::move(built));
      return make_error(c.error().code, fmt::format("starting {}: {}", d->name, c.error().message));
    }
    auto w = options_.workers.find(d->name);
    workers.push_back(w != options_.workers.end() ? w->second : d->default_workers);
    built.emplace_back(d->name, std::move(c).value());
  }
  informers_->start();
  if (!informers_->wait_for_sync(options_.sync_timeout)) {
    park(std::move(built));
    return make_error(ErrorCode::kTimeout, "timed out waiting for the informers to sync");
  }
  std::unique_lock lock(mu_);
  if (stopped_) {
    lock.unlock();
    park(std::move(built));
    return ok_result();
  }
  for (size_t i = 0; i < built.size(); ++i) {
    SPDLOG_INFO("controller-manager: starting {} with {} workers", built[i].first, workers[i]);
    built[i].second->run(workers[i]);
    controllers_.push_back(std::move(built[i]));
  }
  running_ = true;
  cv_.notify_all();
  return ok_result();
}

void ControllerManager::park(
    std::vector<std::pair<std::string, std::unique_ptr<Controller>>> built) {
  // Built controllers have registered handlers with informers that may run on (shared ones belong
  // to the process): they live, never run, until stop() has stopped those informers.
  std::lock_guard lock(mu_);
  for (auto& c : built) controllers_.push_back(std::move(c));
}

void ControllerManager::fail(std::string message) {
  SPDLOG_ERROR("controller-manager: {}", message);
  std::lock_guard lock(mu_);
  failed_ = true;
  failure_ = std::move(message);
  cv_.notify_all();
}

Result<void> ControllerManager::start() {
  if (!options_.leader_elect) return start_controllers();
  client::LeaderElectionConfig config;
  config.lease_namespace = options_.lease_namespace;
  config.lease_name = options_.lease_name;
  config.identity = options_.identity.empty() ? default_identity() : options_.identity;
  config.lease_duration = options_.lease_duration;
  config.renew_deadline = options_.renew_deadline;
  config.retry_period = options_.retry_period;
  config.clock = &clock_;
  config.on_started_leading = [this] {
    // Callbacks must return promptly; building and syncing takes a while.
    std::lock_guard lock(mu_);
    if (stopped_ || starter_.joinable()) return;
    starter_ = std::thread([this] {
      auto started = start_controllers();
      if (!started.ok()) fail(started.error().message);
    });
  };
  config.on_stopped_leading = [this] {
    bool stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stopped_;
    }
    // Losing the Lease means another manager may act now: this one must stop acting and exit,
    // as kube-controller-manager does ("leaderelection lost").
    if (!stopping) fail("leaderelection lost");
  };
  config.on_new_leader = [](const std::string& identity) {
    SPDLOG_INFO("controller-manager: the leader is {}", identity);
  };
  elector_ = std::make_unique<client::LeaderElector>(client_, std::move(config));
  elector_->start();
  return ok_result();
}

void ControllerManager::stop() {
  std::thread starter;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    starter = std::move(starter_);  // no new one starts once stopped_ is set
    cv_.notify_all();
  }
  if (starter.joinable()) starter.join();
  std::vector<std::pair<std::string, std::unique_ptr<Controller>>> controllers;
  {
    std::lock_guard lock(mu_);
    controllers.swap(controllers_);
    running_ = false;
  }
  for (auto& [name, c] : controllers) c->stop();
  if (own_informers_) own_informers_->stop();
  controllers.clear();
  if (elector_) elector_->stop();
}

bool ControllerManager::wait() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return stopped_ || failed_; });
  return !failed_;
}

bool ControllerManager::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

Controller* ControllerManager::controller(std::string_view name) {
  std::lock_guard lock(mu_);
  for (auto& [n, c] : controllers_) {
    if (n == name) return c.get();
  }
  return nullptr;
}

}  // namespace bosun::controller
