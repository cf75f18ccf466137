#include "cmd/hollow_nodes_command.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "agent/hollow_nodes.h"
#include "api/quantity.h"
#include "client/kubeconfig.h"
#include "common/go_duration.h"
#include "common/log.h"

namespace bosun::cmd {
namespace {

struct HollowFlags {
  std::string server;
  std::string token_file;
  std::string ca_file;
  std::string kubeconfig;
  int count = 1;
  std::string cpu = "4";
  std::string memory = "16Gi";
  int64_t pods = 110;
  std::string startup_latency = "0s";
  std::string name_prefix = "hollow-";
  int workers = 8;
  double kube_api_qps = 0;
  int kube_api_burst = 0;
  bool post_events = true;
};

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bosun hollow-nodes: %s\n", message.c_str());
  throw CLI::RuntimeError(1);
}

// VmRSS of this process in bytes (0 if unreadable), for the per-node memory figure.
int64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      int64_t kib = 0;
      in >> kib;
      return kib * 1024;
    }
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

client::ClientConfig client_config(const HollowFlags& f) {
  Result<client::ClientConfig> config = make_error(ErrorCode::kBadRequest, "");
  if (!f.kubeconfig.empty()) {
    config = client::load_kubeconfig(f.kubeconfig);
  } else {
    if (f.server.empty() || f.token_file.empty()) {
      fail("either --kubeconfig or both --server and --token-file are required");
    }
    if (!f.ca_file.empty()) {
      config = client::token_file_config(f.server, f.ca_file, f.token_file);
    } else {
      // Without a CA file the server's certificate cannot be checked (kubemark's test clusters
      // run so, too); say it.
      SPDLOG_WARN(
          "hollow-nodes: no --certificate-authority: the server's certificate is not verified");
      client::ClientConfig c;
      c.server = f.server;
      c.token_file = f.token_file;
      c.insecure_skip_tls_verify = true;
      config = c;
    }
  }
  if (!config.ok()) fail(config.error().message);
  config->user_agent = "bosun/hollow-nodes";
  config->qps = f.kube_api_qps;
  config->burst = f.kube_api_burst;
  // Leases, heartbeats and pod status of many nodes go through one client: keep connections.
  config->max_idle_connections = static_cast<size_t>(std::max(8, f.workers + 2));
  return *config;
}

void run(const HollowFlags& f) {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto cpu = api::Quantity::parse(f.cpu);
  if (!cpu.ok()) fail("--cpu: " + cpu.error().message);
  auto memory = api::Quantity::parse(f.memory);
  if (!memory.ok()) fail("--memory: " + memory.error().message);
  auto latency = parse_go_duration(f.startup_latency);
  if (!latency.ok()) fail("--startup-latency: " + latency.error().message);
  if (f.count < 0) fail("--count must not be negative");

  auto client = client::RestClient::create(client_config(f));
  if (!client.ok()) fail(client.error().message);

  const int64_t rss_before = rss_bytes();
  agent::HollowNodesOptions o;
  o.client = client->get();
  o.count = f.count;
  o.name_prefix = f.name_prefix;
  o.cpu_milli = cpu->milli_value();
  o.memory_bytes = memory->value();
  o.max_pods = f.pods;
  o.startup_latency = *latency;
  o.workers = f.workers;
  o.post_events = f.post_events;
  auto hollow = agent::HollowNodes::start(o);
  if (!hollow.ok()) fail(hollow.error().message);
  const int64_t rss_after = rss_bytes();
  SPDLOG_INFO("hollow-nodes: {} nodes registered ({}0 .. {}{}); RSS {} MiB ({} bytes per node)",
              f.count, f.name_prefix, f.name_prefix, f.count - 1, rss_after >> 20,
              f.count > 0 ? (rss_after - rss_before) / f.count : 0);
  std::printf("%d hollow nodes running\n", f.count);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&stop_signals, &sig);
  SPDLOG_INFO("hollow-nodes: received {}, stopping (RSS {} MiB)", strsignal(sig),
              rss_bytes() >> 20);
  (*hollow)->stop();
}

}  // namespace

void add_hollow_nodes_command(CLI::App& app) {
  auto f = std::make_shared<HollowFlags>();
  auto* cmd =
      app.add_subcommand("hollow-nodes", "Run N simulated nodes (real agent code, fake runtime)");
  cmd->add_option("--server", f->server, "API server URL (https://host:port)");
  cmd->add_option("--token-file", f->token_file, "File holding the bearer token");
  cmd->add_option("--certificate-authority", f->ca_file, "CA file to verify the server with");
  cmd->add_option("--kubeconfig", f->kubeconfig, "Kubeconfig instead of --server/--token-file");
  cmd->add_option("--count", f->count, "Number of nodes")->capture_default_str();
  cmd->add_option("--cpu", f->cpu, "CPU capacity of each node (a quantity)")->capture_default_str();
  cmd->add_option("--memory", f->memory, "Memory capacity of each node (a quantity)")
      ->capture_default_str();
  cmd->add_option("--pods", f->pods, "Pod capacity of each node")->capture_default_str();
  cmd->add_option("--startup-latency", f->startup_latency,
                  "How long a container takes to start (Go duration)")
      ->capture_default_str();
  cmd->add_option("--name-prefix", f->name_prefix, "Node names are <prefix>0 .. <prefix>N-1")
      ->capture_default_str();
  cmd->add_option("--workers", f->workers, "Pod workers shared by all nodes")
      ->capture_default_str();
  cmd->add_option("--kube-api-qps", f->kube_api_qps, "Client-side rate limit (0: none)")
      ->capture_default_str();
  cmd->add_option("--kube-api-burst", f->kube_api_burst, "Client-side burst")
      ->capture_default_str();
  cmd->add_flag("!--no-events", f->post_events, "Do not post the kubelet's events");
  cmd->callback([f] { run(*f); });
}

}  // namespace bosun::cmd
