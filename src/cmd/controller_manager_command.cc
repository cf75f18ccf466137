#include "cmd/controller_manager_command.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "client/kubeconfig.h"
#include "common/go_duration.h"
#include "common/log.h"
#include "controller/controller_manager.h"

namespace bosun::cmd {
namespace {

struct ControllerManagerFlags {
  std::string kubeconfig;
  bool leader_elect = false;
  std::string lease_duration = "15s";
  std::string renew_deadline = "10s";
  std::string retry_period = "2s";
  std::vector<std::string> controllers = {"*"};
  int concurrent_replicaset_syncs = 5;
  int concurrent_rc_syncs = 5;
  int concurrent_deployment_syncs = 5;
  int concurrent_gc_syncs = 20;
  int concurrent_namespace_syncs = 10;
  std::string node_monitor_grace_period = "40s";
  std::string pod_eviction_timeout = "5m0s";
  int terminated_pod_gc_threshold = 12500;
  double node_eviction_rate = 0.1;
  double secondary_node_eviction_rate = 0.01;
  double unhealthy_zone_threshold = 0.55;
  int large_cluster_size_threshold = 50;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bosun controller-manager: %s\n", message.c_str());
  throw CLI::RuntimeError(1);
}

std::string check_duration(const std::string& v) {
  auto d = parse_go_duration(v);
  return d.ok() ? "" : d.error().message;
}

std::chrono::milliseconds millis(const std::string& v) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(parse_go_duration(v).value());
}

void run(const ControllerManagerFlags& f) {
  // Only sigwait() below sees the stop signals: every thread started later inherits the mask.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto config = client::load_kubeconfig(f.kubeconfig);
  if (!config.ok()) fail(f.kubeconfig + ": " + config.error().message);
  config->user_agent = "bosun/controller-manager";

  controller::ControllerManagerOptions options;
  options.controllers = f.controllers;
  options.workers = {{"replicaset-controller", f.concurrent_replicaset_syncs},
                     {"replicationcontroller-controller", f.concurrent_rc_syncs},
                     {"deployment-controller", f.concurrent_deployment_syncs},
                     {"garbage-collector-controller", f.concurrent_gc_syncs},
                     {"namespace-controller", f.concurrent_namespace_syncs}};
  options.leader_elect = f.leader_elect;
  options.lease_duration = millis(f.lease_duration);
  options.renew_deadline = millis(f.renew_deadline);
  options.retry_period = millis(f.retry_period);
  options.node_monitor_grace_period = parse_go_duration(f.node_monitor_grace_period).value();
  options.pod_eviction_timeout = parse_go_duration(f.pod_eviction_timeout).value();
  options.terminated_pod_gc_threshold = f.terminated_pod_gc_threshold;
  options.node_eviction_rate = f.node_eviction_rate;
  options.secondary_node_eviction_rate = f.secondary_node_eviction_rate;
  options.unhealthy_zone_threshold = f.unhealthy_zone_threshold;
  options.large_cluster_size_threshold = f.large_cluster_size_threshold;
  if (auto selected = controller::select_controllers(options.controllers); !selected.ok()) {
    fail(selected.error().message);
  }

  auto manager = controller::ControllerManager::create(std::move(*config), std::move(options));
  if (!manager.ok()) fail(manager.error().message);
  auto started = (*manager)->start();
  if (!started.ok()) fail(started.error().message);
  SPDLOG_INFO("controller-manager: started{}",
              f.leader_elect ? " (campaigning for the lease)" : "");

  // A signal stops the manager; a lost lease or a failed start ends wait() on its own.
  std::thread signals([&stop_signals, m = manager->get()] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    SPDLOG_INFO("controller-manager: received {}, shutting down", strsignal(sig));
    m->stop();
  });
  bool clean = (*manager)->wait();
  if (!clean) {
    // The signal thread is still waiting: end it with the signal it waits for.
    pthread_kill(signals.native_handle(), SIGTERM);
  }
  signals.join();
  (*manager)->stop();
  if (!clean) fail("stopped: leadership lost or the controllers could not start");
}

}  // namespace

void add_controller_manager_command(CLI::App& app) {
  auto flags = std::make_shared<ControllerManagerFlags>();
  auto* cmd = app.add_subcommand("controller-manager",
                                 "Run the controllers (kube-controller-manager) against a server");
  cmd->add_option("--kubeconfig", flags->kubeconfig, "Kubeconfig naming the API server")
      ->required();
  cmd->add_flag("--leader-elect", flags->leader_elect,
                "Run only while holding the Lease kube-system/kube-controller-manager");
  cmd->add_option("--leader-elect-lease-duration", flags->lease_duration,
                  "How long a non-leader waits after the last renewal before taking over")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option("--leader-elect-renew-deadline", flags->renew_deadline,
                  "How long the leader keeps trying to renew before stepping down")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option("--leader-elect-retry-period", flags->retry_period,
                  "How often candidates try to acquire or renew the Lease")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option(
         "--controllers", flags->controllers,
         "Controllers to run: '*' for the defaults, 'foo' to add one, '-foo' to remove one")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--concurrent-replicaset-syncs", flags->concurrent_replicaset_syncs,
                  "ReplicaSets synced at once")
      ->capture_default_str();
  cmd->add_option("--concurrent-rc-syncs", flags->concurrent_rc_syncs,
                  "ReplicationControllers synced at once")
      ->capture_default_str();
  cmd->add_option("--concurrent-deployment-syncs", flags->concurrent_deployment_syncs,
                  "Deployments synced at once")
      ->capture_default_str();
  cmd->add_option("--concurrent-gc-syncs", flags->concurrent_gc_syncs, "Garbage collector workers")
      ->capture_default_str();
  cmd->add_option("--concurrent-namespace-syncs", flags->concurrent_namespace_syncs,
                  "Namespaces synced at once")
      ->capture_default_str();
  cmd->add_option("--node-monitor-grace-period", flags->node_monitor_grace_period,
                  "How long a node may go without renewing its Lease before it is Unknown")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option("--pod-eviction-timeout", flags->pod_eviction_timeout,
                  "Toleration assumed for pods that have none for unreachable or not-ready nodes "
                  "(the API server adds one: see its --default-*-toleration-seconds)")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option("--terminated-pod-gc-threshold", flags->terminated_pod_gc_threshold,
                  "Terminated pods kept before the oldest are deleted; 0 or less: none deleted")
      ->capture_default_str();
  cmd->add_option("--node-eviction-rate", flags->node_eviction_rate,
                  "Nodes per second given NoExecute taints in a healthy zone")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--secondary-node-eviction-rate", flags->secondary_node_eviction_rate,
                  "The same in an unhealthy zone of more than --large-cluster-size-threshold nodes")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--unhealthy-zone-threshold", flags->unhealthy_zone_threshold,
                  "Share of not-ready nodes (at least 3) that makes a zone unhealthy")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option(
         "--large-cluster-size-threshold", flags->large_cluster_size_threshold,
         "Nodes above which an unhealthy zone is still evicted from, at the secondary rate")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([flags] { run(*flags); });
}

}  // namespace bosun::cmd
