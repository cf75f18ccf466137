#include "cmd/agent_command.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "agent/agent.h"
#include "agent/kubelet_server.h"
#include "agent/node_status.h"
#include "agent/runc_runtime.h"
#include "agent/volumes.h"
#include "api/quantity.h"
#include "client/kubeconfig.h"
#include "common/log.h"

namespace bosun::cmd {
namespace {

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "bosun agent: %s\n", message.c_str());
  throw CLI::RuntimeError(1);
}

// --reserved "cpu=500m,memory=512Mi,ephemeral-storage=1Gi", as the kubelet's --system-reserved.
Result<void> parse_reserved(const std::string& text, agent::NodeConfig* node) {
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    if (eq == std::string::npos) {
      return make_error(ErrorCode::kBadRequest, "--reserved: expected name=quantity, got " + item);
    }
    const std::string name = item.substr(0, eq);
    auto q = api::Quantity::parse(item.substr(eq + 1));
    if (!q.ok())
      return make_error(ErrorCode::kBadRequest, "--reserved " + name + ": " + q.error().message);
    if (name == "cpu") {
      node->reserved_cpu_milli = q->milli_value();
    } else if (name == "memory") {
      node->reserved_memory_bytes = q->value();
    } else if (name == "ephemeral-storage") {
      node->reserved_ephemeral_storage_bytes = q->value();
    } else {
      return make_error(ErrorCode::kBadRequest, "--reserved: unknown resource " + name);
    }
  }
  return {};
}

Result<client::ClientConfig> client_config(const AgentFlags& f, const std::string& kubeconfig) {
  if (!kubeconfig.empty()) return client::load_kubeconfig(kubeconfig);
  if (!f.kubeconfig.empty()) return client::load_kubeconfig(f.kubeconfig);
  if (f.server.empty() || f.token_file.empty()) {
    return make_error(ErrorCode::kBadRequest,
                      "either --kubeconfig or both --server and --token-file are required");
  }
  if (!f.ca_file.empty()) return client::token_file_config(f.server, f.ca_file, f.token_file);
  SPDLOG_WARN("agent: no --certificate-authority: the server's certificate is not verified");
  client::ClientConfig c;
  c.server = f.server;
  c.token_file = f.token_file;
  c.insecure_skip_tls_verify = true;
  return c;
}

class RunningAgentImpl final : public RunningAgent {
 public:
  ~RunningAgentImpl() override { stop(); }
  void stop() override {
    if (kubelet) kubelet->stop();
    if (pool) pool->stop();
    if (agent) agent->stop();
  }

  std::unique_ptr<client::RestClient> client;
  std::unique_ptr<agent::RuncRuntime> runtime;
  std::unique_ptr<agent::VolumeManager> volumes;
  std::unique_ptr<agent::AgentPool> pool;
  std::unique_ptr<agent::Agent> agent;
  std::unique_ptr<agent::KubeletServer> kubelet;
};

}  // namespace

void add_agent_flags(CLI::App* cmd, AgentFlags& f) {
  cmd->add_option("--server", f.server, "API server URL (https://host:port)");
  cmd->add_option("--token-file", f.token_file, "File holding the node's bearer token");
  cmd->add_option("--certificate-authority", f.ca_file, "CA file to verify the server with");
  cmd->add_option("--kubeconfig", f.kubeconfig, "Kubeconfig instead of --server/--token-file");
  cmd->add_option("--node-name", f.node_name, "The Node's name (default: the host name)");
  cmd->add_option("--node-ip", f.node_ip, "The node's InternalIP (default: the first IPv4)");
  cmd->add_option("--data-dir", f.data_dir, "Images, sandboxes, containers, volumes and logs")
      ->capture_default_str();
  cmd->add_option("--reserved", f.reserved,
                  "Resources kept from pods: cpu=500m,memory=512Mi,ephemeral-storage=1Gi");
  cmd->add_option("--runc", f.runc_path, "The runc binary")->capture_default_str();
  cmd->add_option("--insecure-registry", f.insecure_registries,
                  "Registry (host[:port]) pulled from over plain HTTP");
  cmd->add_option("--cluster-dns", f.cluster_dns, "Nameserver for dnsPolicy ClusterFirst pods");
  cmd->add_option("--max-pods", f.max_pods, "Pod capacity")->capture_default_str();
  cmd->add_option("--workers", f.workers, "Pods synced in parallel")->capture_default_str();
  cmd->add_option("--max-parallel-image-pulls", f.max_parallel_image_pulls,
                  "Image pulls run at once, each apart from the pod workers (1: serialized)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--kubelet-port", f.kubelet_port, "HTTPS port for logs, exec and attach (0: any)")
      ->capture_default_str();
  add_container_log_flags(cmd, f);
}

void add_container_log_flags(CLI::App* cmd, AgentFlags& f) {
  cmd->add_option("--container-log-max-size", f.container_log_max_size,
                  "Size (a quantity) at which a container's log is rotated; negative: never")
      ->capture_default_str();
  cmd->add_option("--container-log-max-files", f.container_log_max_files,
                  "Log files kept per container, the live one included (at least 2)")
      ->capture_default_str();
}

Result<std::unique_ptr<RunningAgent>> start_agent(const AgentFlags& f,
                                                  const std::string& kubeconfig) {
  auto running = std::make_unique<RunningAgentImpl>();
  BOSUN_ASSIGN_OR_RETURN(client::ClientConfig config, client_config(f, kubeconfig));
  config.user_agent = "bosun/agent";
  const std::string cluster_ca = config.ca_pem;
  BOSUN_ASSIGN_OR_RETURN(running->client, client::RestClient::create(std::move(config)));

  agent::RuncRuntimeOptions ro;
  ro.data_dir = f.data_dir;
  ro.runc_path = f.runc_path;
  ro.insecure_registries = f.insecure_registries;
  // Bundles, records, sandboxes and runc's state on a tmpfs of their own (as root, which runc
  // needs anyway): a pod start makes ~30 files there.
  ro.state_dir = f.data_dir + "/run";
  ro.state_tmpfs = geteuid() == 0;
  BOSUN_ASSIGN_OR_RETURN(running->runtime, agent::RuncRuntime::open(ro));

  agent::AgentConfig ac;
  ac.node.node_name = f.node_name;
  ac.node.internal_ip = f.node_ip;
  ac.node.max_pods = f.max_pods;
  BOSUN_RETURN_IF_ERROR(parse_reserved(f.reserved, &ac.node));
  BOSUN_ASSIGN_OR_RETURN(ac.machine, agent::read_machine_info(f.data_dir, f.runc_path));
  if (ac.node.node_name.empty()) ac.node.node_name = ac.machine.hostname;
  if (ac.machine.runtime_version.empty()) ac.machine.runtime_version = running->runtime->version();
  ac.data_dir = f.data_dir;
  ac.cluster_dns = f.cluster_dns;
  ac.max_parallel_image_pulls = f.max_parallel_image_pulls;
  BOSUN_ASSIGN_OR_RETURN(ac.log_rotation, agent::make_log_rotation_policy(
                                              f.container_log_max_size, f.container_log_max_files));

  agent::VolumeManagerOptions vo;
  vo.data_dir = f.data_dir;
  vo.client = running->client.get();
  // tmpfs needs CAP_SYS_ADMIN; without it memory-backed volumes are plain directories.
  vo.use_tmpfs = geteuid() == 0;
  vo.node_allocatable_cpu_milli = ac.machine.cpu_milli - ac.node.reserved_cpu_milli;
  vo.node_allocatable_memory_bytes = ac.machine.memory_bytes - ac.node.reserved_memory_bytes;
  vo.node_allocatable_ephemeral_storage_bytes = ac.machine.ephemeral_storage_bytes;
  running->volumes = std::make_unique<agent::VolumeManager>(vo);
  ac.volumes = running->volumes.get();

  agent::AgentPoolOptions po;
  po.client = running->client.get();
  po.workers = f.workers;
  // The kubelet port is served before the node registers, so the Node publishes the bound port.
  agent::KubeletServerOptions ko;
  ko.port = static_cast<uint16_t>(f.kubelet_port);
  ko.client_ca_pem = cluster_ca;
  ko.node_name = ac.node.node_name;
  ko.runtime = running->runtime.get();
  ko.exec = agent::runc_exec_starter(running->runtime->runc());
  auto kubelet = agent::KubeletServer::start(ko);
  if (!kubelet.ok() && f.kubelet_port == 10250) {
    SPDLOG_WARN("agent: port 10250: {}; serving logs and exec on a free port",
                kubelet.error().message);
    ko.port = 0;
    kubelet = agent::KubeletServer::start(ko);
  }
  if (!kubelet.ok()) return kubelet.error();
  running->kubelet = std::move(kubelet).value();
  ac.node.agent_port = running->kubelet->port();
  if (cluster_ca.empty()) {
    SPDLOG_WARN("agent: no cluster CA known: logs and exec requests will be refused");
  }

  running->pool = std::make_unique<agent::AgentPool>(po);
  running->agent = std::make_unique<agent::Agent>(*running->pool, std::move(ac), *running->runtime);
  running->pool->add(running->agent.get());
  BOSUN_RETURN_IF_ERROR(running->agent->start());
  running->pool->start();
  SPDLOG_INFO("agent: node {} registered ({})", running->agent->node_name(),
              running->runtime->version());
  return std::unique_ptr<RunningAgent>(std::move(running));
}

void add_agent_command(CLI::App& app, const std::string& default_data_dir) {
  auto f = std::make_shared<AgentFlags>();
  f->data_dir = default_data_dir;
  auto* cmd = app.add_subcommand("agent", "Run the node agent (kubelet) and join a server");
  add_agent_flags(cmd, *f);
  cmd->callback([f] {
    // Only sigwait() below sees the stop signals: every thread started later inherits the mask.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    auto running = start_agent(*f);
    if (!running.ok()) fail(running.error().message);
    int sig = 0;
    sigwait(&stop_signals, &sig);
    SPDLOG_INFO("agent: received {}, stopping (containers keep running)", strsignal(sig));
    (*running)->stop();
  });
}

}  // namespace bosun::cmd
