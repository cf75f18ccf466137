// ControllerManager: what `bosun controller-manager` (and `bosun server`) runs, as
// kube-controller-manager does: one SharedInformers for all controllers, the controllers chosen by
// --controllers, each with its worker count, started once the informers have synced; with
// leader election, only while this process holds the Lease kube-system/kube-controller-manager.
// Public methods are thread-safe; start() and stop() are meant for one owning thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/leader_election.h"
#include "client/rest_client.h"
#include "common/clock.h"
#include "common/result.h"
#include "controller/controller.h"
#include "controller/shared_informers.h"

namespace bosun::controller {

struct ControllerManagerOptions {
  // kube-controller-manager's --controllers: "*" is every controller enabled by default, "name"
  // adds one, "-name" removes one. Names are the descriptors' (or their aliases).
  std::vector<std::string> controllers = {"*"};
  // Worker counts by controller name, overriding the descriptors' defaults
  // (--concurrent-replicaset-syncs and friends).
  std::map<std::string, int> workers;
  bool leader_elect = false;
  std::string lease_namespace = "kube-system";
  std::string lease_name = "kube-controller-manager";
  std::string identity;  // empty: hostname_<uuid>
  std::chrono::milliseconds lease_duration{15'000};
  std::chrono::milliseconds renew_deadline{10'000};
  std::chrono::milliseconds retry_period{2'000};
  // Node lifecycle (--node-monitor-grace-period, --pod-eviction-timeout).
  std::chrono::nanoseconds node_monitor_grace_period = std::chrono::seconds(40);
  std::chrono::nanoseconds pod_eviction_timeout = std::chrono::minutes(5);
  // Pod garbage collection (--terminated-pod-gc-threshold; 0 or less: terminated pods are kept).
  int terminated_pod_gc_threshold = 12500;
  // --node-eviction-rate, --secondary-node-eviction-rate, --unhealthy-zone-threshold,
  // --large-cluster-size-threshold (NodeLifecycleOptions).
  double node_eviction_rate = 0.1;
  double secondary_node_eviction_rate = 0.01;
  double unhealthy_zone_threshold = 0.55;
  int large_cluster_size_threshold = 50;
  // How long to wait for the informers' first lists before giving up.
  std::chrono::milliseconds sync_timeout{60'000};
  Clock* clock = nullptr;  // real when null
  // Informers shared with other components of the process (`bosun server`'s scheduler); null: the
  // manager's own. A shared factory is started by start() like the own one (after every
  // controller registered), but stopped by its owner, before stop() destroys the controllers
  // whose handlers it calls.
  SharedInformers* informers = nullptr;
};

// How the manager builds one controller. Its constructor must only register informers and
// handlers (the informers start after every controller is built).
struct ControllerDescriptor {
  std::string name;                  // e.g. "replicaset-controller"
  std::vector<std::string> aliases;  // e.g. "replicaset"
  int default_workers = 5;
  bool enabled_by_default = true;
  std::function<Result<std::unique_ptr<Controller>>(ControllerContext,
                                                    const ControllerManagerOptions&)>
      build;
};

// Every controller the manager knows: the registration point (one entry per controller, in
// controller_manager.cc).
const std::vector<ControllerDescriptor>& controller_descriptors();

// The descriptors --controllers selects, in registration order; BadRequest for an unknown name.
Result<std::vector<const ControllerDescriptor*>> select_controllers(
    const std::vector<std::string>& flags);

class ControllerManager {
 public:
  // The manager uses `client` for everything, including leader election.
  ControllerManager(client::RestClient& client, ControllerManagerOptions options);
  // A manager with its own client for `config`.
  static Result<std::unique_ptr<ControllerManager>> create(client::ClientConfig config,
                                                           ControllerManagerOptions options);
  ~ControllerManager();  // stop()s

  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Without leader election: builds the controllers, starts and syncs the informers and runs the
  // workers before returning. With it: starts campaigning and returns; the controllers start when
  // this process becomes the leader.
  Result<void> start();
  // Stops the controllers, the informers and the elector (releasing the Lease).
  void stop();
  // Blocks until stop(), or until leadership is lost or the controllers failed to start (after
  // which the process should exit, as kube-controller-manager does). False for those two.
  bool wait();

  bool running() const;
  // The running controller of that name (tests); null when absent.
  Controller* controller(std::string_view name);
  SharedInformers& informers() { return *informers_; }

 private:
  Result<void> start_controllers();
  void park(std::vector<std::pair<std::string, std::unique_ptr<Controller>>> built);
  void fail(std::string message);

  std::unique_ptr<client::RestClient> owned_client_;
  client::RestClient& client_;
  const ControllerManagerOptions options_;
  Clock& clock_;
  std::unique_ptr<SharedInformers> own_informers_;  // null when options.informers is set
  SharedInformers* informers_;
  std::unique_ptr<client::LeaderElector> elector_;
  std::thread starter_;  // starts the controllers on becoming leader; set and taken under mu_

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::vector<std::pair<std::string, std::unique_ptr<Controller>>> controllers_;
  bool running_ = false;
  bool stopped_ = false;
  bool failed_ = false;
  std::string failure_;
};

}  // namespace bosun::controller
