// The `bosun` binary: parses flags and wires components together.
#include <pthread.h>
#include <signal.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apiserver/api_stack.h"
#include "apiserver/version.h"
#include "client/kubeconfig.h"
#include "cmd/agent_command.h"
#include "cmd/control_loops.h"
#include "cmd/controller_manager_command.h"
#include "cmd/hollow_nodes_command.h"
#include "cmd/image_command.h"
#include "cmd/scheduler_command.h"
#include "common/go_duration.h"
#include "common/log.h"
#include "controller/controller_manager.h"

namespace {

std::string default_data_dir() {
  const char* home = std::getenv("HOME");
  return std::string(home ? home : ".") + "/.bosun";
}

struct ServeFlags {
  std::string data_dir = default_data_dir();
  std::string listen = "127.0.0.1:6443";
  std::vector<std::string> tls_sans;
  int shutdown_grace_seconds = 60;
  size_t io_threads = 0;
  size_t handler_threads = 0;
  std::string service_cidr = "10.43.0.0/16";
  std::string event_ttl = "1h0m0s";
  int64_t default_not_ready_toleration_seconds = 300;
  int64_t default_unreachable_toleration_seconds = 300;
  // `bosun server` only: the in-process scheduler and controllers, and the local agent.
  bool with_control_loops = false;
  bool disable_agent = false;
  bosun::cmd::AgentFlags agent;
};

void add_serve_flags(CLI::App* cmd, ServeFlags& f) {
  cmd->add_option("--data-dir", f.data_dir,
                  "Where state, certificates and the admin kubeconfig live")
      ->capture_default_str();
  cmd->add_option("--listen", f.listen,
                  "Address and port to serve HTTPS on (ADDR:PORT, [IPv6]:PORT)")
      ->capture_default_str();
  cmd->add_option("--tls-san", f.tls_sans,
                  "Extra DNS name or IP address for the serving certificate");
  cmd->add_option("--shutdown-grace-period", f.shutdown_grace_seconds,
                  "Seconds in-flight requests get to finish on SIGTERM/SIGINT")
      ->capture_default_str();
  cmd->add_option("--io-threads", f.io_threads, "HTTP event-loop threads (0: one per CPU)");
  cmd->add_option("--handler-threads", f.handler_threads,
                  "Threads for handlers that block (0: automatic)");
  cmd->add_option("--service-cidr", f.service_cidr, "IPv4 range Service ClusterIPs come from")
      ->capture_default_str();
  cmd->add_option("--event-ttl", f.event_ttl,
                  "How long an Event is kept after its last change (Go duration; 0 keeps them)")
      ->capture_default_str()
      ->check([](const std::string& v) -> std::string {
        auto d = bosun::parse_go_duration(v);
        return d.ok() ? "" : d.error().message;
      });
  cmd->add_option("--default-not-ready-toleration-seconds", f.default_not_ready_toleration_seconds,
                  "tolerationSeconds of the not-ready toleration added to pods without one")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--default-unreachable-toleration-seconds",
                  f.default_unreachable_toleration_seconds,
                  "tolerationSeconds of the unreachable toleration added to pods without one")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
}

// Runs the control plane until SIGTERM or SIGINT. `component` names it in messages.
int serve(const ServeFlags& f, const char* component) {
  // Block the stop signals before any thread starts, so every thread inherits the mask and only
  // sigwait() below sees them: the shutdown then runs on this thread, not inside a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  // The store (<data-dir>/state.db), the REST layer, discovery and the HTTPS server; the scheduler,
  // controllers and agent of `bosun server` start after the API server is up.
  bosun::apiserver::ApiStackOptions options;
  options.data_dir = f.data_dir;
  options.listen = f.listen;
  options.extra_sans = f.tls_sans;
  options.io_threads = f.io_threads;
  options.worker_threads = f.handler_threads;
  options.service_cidr = f.service_cidr;
  options.event_ttl = std::chrono::duration_cast<std::chrono::seconds>(
      bosun::parse_go_duration(f.event_ttl).value());
  options.pod_admission.default_not_ready_toleration_seconds =
      f.default_not_ready_toleration_seconds;
  options.pod_admission.default_unreachable_toleration_seconds =
      f.default_unreachable_toleration_seconds;
  auto server = bosun::apiserver::ApiStack::start(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "bosun %s: %s\n", component, server.error().message.c_str());
    return 1;
  }
  // `bosun server` runs the scheduler and the controllers in process, as clients of its own API
  // server over loopback HTTPS with the admin kubeconfig, exactly as the standalone commands do.
  // The scheduler and the controllers share one informer per resource (cmd/control_loops.h).
  std::unique_ptr<bosun::cmd::ControlLoops> control_loops;
  std::unique_ptr<bosun::cmd::RunningAgent> agent;
  if (f.with_control_loops) {
    const std::string& kubeconfig = (*server)->server().kubeconfig_path();
    // No client-side rate limit over loopback: kube-scheduler's 50 QPS would cap binding at 50
    // pods/s (the standalone command keeps kube-scheduler's defaults).
    bosun::cmd::SchedulerFlags scheduler_flags;
    scheduler_flags.kube_api_qps = 0;
    auto loops = bosun::cmd::ControlLoops::start(kubeconfig, scheduler_flags);
    if (!loops.ok()) {
      std::fprintf(stderr, "bosun %s: %s\n", component, loops.error().message.c_str());
      return 1;
    }
    control_loops = std::move(*loops);
    if (!f.disable_agent) {
      // The local node keeps its images and pods in the server's data dir (`bosun image import
      // --data-dir D` feeds it).
      bosun::cmd::AgentFlags agent_flags = f.agent;
      agent_flags.data_dir = f.data_dir;
      auto a = bosun::cmd::start_agent(agent_flags, kubeconfig);
      if (!a.ok()) {
        std::fprintf(stderr, "bosun %s: agent: %s\n", component, a.error().message.c_str());
        return 1;
      }
      agent = std::move(*a);
    }
  }
  std::printf(
      "bosun %s is serving on %s\n"
      "To use it with kubectl:\n"
      "  export KUBECONFIG=%s\n"
      "  kubectl version\n",
      component, (*server)->url().c_str(), (*server)->server().kubeconfig_path().c_str());
  // `make up` must say what it does not start yet.
  if (f.with_control_loops) {
    std::printf(
        "Running: the API server on the embedded store, the scheduler, the controllers%s.\n",
        agent ? " and a node agent (runc)" : "");
  }
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  SPDLOG_INFO("{}: received {}, shutting down (grace period {} s; signal again to stop at once)",
              component, strsignal(sig), f.shutdown_grace_seconds);
  // A second signal means "now": the graceful path is abandoned.
  std::thread([stop_signals] {
    int again = 0;
    sigwait(&stop_signals, &again);
    std::fprintf(stderr, "bosun: received %s again, exiting immediately\n", strsignal(again));
    std::_Exit(1);
  }).detach();
  // The control loops go first, so they do not log errors while the API server goes away.
  // The agent stops its workers but leaves containers running: a restarted server re-adopts them.
  if (agent) agent->stop();
  if (control_loops) control_loops->stop();
  (*server)->shutdown(std::chrono::seconds(f.shutdown_grace_seconds));
  SPDLOG_INFO("{}: stopped", component);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Bosun: a container orchestrator that speaks the Kubernetes API"};
  app.require_subcommand(1);
  std::string log_level = "info";
  // Applied as soon as it is parsed: subcommands run as parse callbacks and log from the start.
  bosun::init_logging(log_level);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->trigger_on_parse()
      ->each([](const std::string& level) { bosun::init_logging(level); })
      ->capture_default_str();

  app.add_subcommand("version", "Print the version")->callback([] {
    std::printf("bosun %s\n", bosun::apiserver::bosun_version().c_str());
  });

  ServeFlags server_flags;
  server_flags.with_control_loops = true;
  auto* server = app.add_subcommand("server", "Run the control plane and a local agent");
  add_serve_flags(server, server_flags);
  server->add_flag("--disable-agent", server_flags.disable_agent,
                   "Do not run a node agent in this process (a control-plane-only server)");
  server->add_option("--node-name", server_flags.agent.node_name,
                     "The local node's name (default: the host name)");
  server->add_option("--reserved", server_flags.agent.reserved,
                     "Resources kept from pods on the local node, e.g. cpu=500m,memory=512Mi");
  server->add_option("--insecure-registry", server_flags.agent.insecure_registries,
                     "Registry (host[:port]) the local agent may pull from over plain HTTP");
  server
      ->add_option("--max-parallel-image-pulls", server_flags.agent.max_parallel_image_pulls,
                   "Image pulls the local agent runs at once, apart from its pod workers")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  add_container_log_flags(server, server_flags.agent);

  ServeFlags apiserver_flags;
  auto* apiserver = app.add_subcommand("apiserver", "Run the API server alone");
  add_serve_flags(apiserver, apiserver_flags);

  bosun::cmd::add_image_command(app, default_data_dir());
  bosun::cmd::add_scheduler_command(app);
  bosun::cmd::add_controller_manager_command(app);
  bosun::cmd::add_agent_command(app, default_data_dir());
  bosun::cmd::add_hollow_nodes_command(app);

  CLI11_PARSE(app, argc, argv);
  if (server->parsed()) return serve(server_flags, "server");
  if (apiserver->parsed()) return serve(apiserver_flags, "apiserver");
  return 0;
}
