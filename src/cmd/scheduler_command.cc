#include "cmd/scheduler_command.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <charconv>
#include <cstdio>
#include <optional>

#include "client/kubeconfig.h"
#include "common/go_duration.h"
#include "common/log.h"

namespace bosun::cmd {
namespace {

std::string check_duration(const std::string& v) {
  auto d = parse_go_duration(v);
  return d.ok() ? "" : d.error().message;
}

std::chrono::milliseconds millis(const std::string& v) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(parse_go_duration(v).value());
}

int run_scheduler(const SchedulerFlags& flags) {
  // The stop signals are blocked before any thread starts, so only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  auto s = start_scheduler(flags);
  if (!s.ok()) {
    std::fprintf(stderr, "bosun scheduler: %s\n", s.error().message.c_str());
    return 1;
  }
  SPDLOG_INFO("scheduler: {} running{}", flags.scheduler_name,
              flags.leader_elect
                  ? " (leader election on " + flags.lease_namespace + "/" + flags.lease_name + ")"
                  : "");
  int sig = 0;
  sigwait(&stop_signals, &sig);
  SPDLOG_INFO("scheduler: received {}, stopping", strsignal(sig));
  (*s)->stop();
  return 0;
}

std::optional<std::pair<std::string, int64_t>> parse_weight(const std::string& v) {
  auto eq = v.find('=');
  if (eq == 0 || eq == std::string::npos || eq + 1 == v.size()) return std::nullopt;
  int64_t w = 0;
  const char* end = v.data() + v.size();
  auto [p, ec] = std::from_chars(v.data() + eq + 1, end, w);
  if (ec != std::errc() || p != end || w < 0) return std::nullopt;
  return std::make_pair(v.substr(0, eq), w);
}

}  // namespace

void add_scheduler_flags(CLI::App* cmd, SchedulerFlags& f) {
  cmd->add_option("--kubeconfig", f.kubeconfig,
                  "Path to a kubeconfig with the API server's address and credentials");
  cmd->add_flag("--leader-elect", f.leader_elect,
                "Take part in leader election through a Lease; only the leader schedules");
  cmd->add_option("--leader-elect-lease-duration", f.lease_duration,
                  "How long other candidates wait after the last renewal before taking over")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option("--leader-elect-renew-deadline", f.renew_deadline,
                  "How long the leader keeps trying to renew before it steps down")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option("--leader-elect-retry-period", f.retry_period,
                  "How often candidates try to acquire or renew the Lease")
      ->capture_default_str()
      ->check(check_duration);
  cmd->add_option("--leader-elect-resource-name", f.lease_name, "Name of the Lease")
      ->capture_default_str();
  cmd->add_option("--leader-elect-resource-namespace", f.lease_namespace, "Namespace of the Lease")
      ->capture_default_str();
  cmd->add_option("--scheduler-name", f.scheduler_name,
                  "Schedule the pods whose spec.schedulerName is this")
      ->capture_default_str();
  cmd->add_option("--kube-api-qps", f.kube_api_qps, "Requests per second to the API server")
      ->capture_default_str();
  cmd->add_option("--kube-api-burst", f.kube_api_burst, "Burst of requests to the API server")
      ->capture_default_str();
  cmd->add_option("--parallelism", f.parallelism, "Bindings and status writes in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  cmd->add_option("--percentage-of-nodes-to-score", f.percentage_of_nodes_to_score,
                  "Stop filtering once this percentage of nodes fits (0: adaptive, as Kubernetes)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100));
  cmd->add_option("--score-weight", f.score_weights,
                  "Weight of a score plugin, e.g. NodeResourcesBalancedAllocation=2 (repeatable)")
      ->check([](const std::string& v) -> std::string {
        return parse_weight(v) ? "" : "want PluginName=weight, got " + v;
      });
}

Result<std::unique_ptr<scheduler::Scheduler>> make_scheduler(
    const SchedulerFlags& f, const std::string& kubeconfig,
    client::SharedInformerFactory* informers) {
  const std::string& path = kubeconfig.empty() ? f.kubeconfig : kubeconfig;
  if (path.empty()) return make_error(ErrorCode::kBadRequest, "--kubeconfig is required");
  BOSUN_ASSIGN_OR_RETURN(client::ClientConfig config, client::load_kubeconfig(path));
  config.user_agent = "bosun/scheduler";
  config.qps = f.kube_api_qps;
  config.burst = f.kube_api_burst;
  scheduler::SchedulerOptions options;
  options.scheduler_name = f.scheduler_name;
  options.parallelism = f.parallelism;
  options.framework.percentage_of_nodes_to_score = f.percentage_of_nodes_to_score;
  for (const std::string& w : f.score_weights) {
    if (auto pw = parse_weight(w)) options.framework.score_weights[pw->first] = pw->second;
  }
  options.leader_elect = f.leader_elect;
  options.leader_election.lease_name = f.lease_name;
  options.leader_election.lease_namespace = f.lease_namespace;
  options.leader_election.lease_duration = millis(f.lease_duration);
  options.leader_election.renew_deadline = millis(f.renew_deadline);
  options.leader_election.retry_period = millis(f.retry_period);
  options.informers = informers;
  return scheduler::Scheduler::create(std::move(config), options);
}

Result<std::unique_ptr<scheduler::Scheduler>> start_scheduler(const SchedulerFlags& f,
                                                              const std::string& kubeconfig) {
  BOSUN_ASSIGN_OR_RETURN(auto s, make_scheduler(f, kubeconfig));
  s->start();
  return s;
}

void add_scheduler_command(CLI::App& app) {
  auto flags = std::make_shared<SchedulerFlags>();
  auto* cmd = app.add_subcommand("scheduler", "Run the scheduler alone");
  add_scheduler_flags(cmd, *flags);
  cmd->get_option("--kubeconfig")->required();
  cmd->callback([flags] {
    int rc = run_scheduler(*flags);
    if (rc != 0) throw CLI::RuntimeError(rc);
  });
}

}  // namespace bosun::cmd
