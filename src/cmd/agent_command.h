// `bosun agent`: the node agent (kubelet) of a real node — RuncRuntime for containers, the volume
// manager for pod volumes, one agent::Agent for the node — joined to a server with a bearer token
// or a kubeconfig. start_agent() is also what `bosun server` can call to run its local agent.
// Used by main.cc; command-line set-up only (not thread-safe).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace bosun::cmd {

struct AgentFlags {
  std::string server;
  std::string token_file;
  std::string ca_file;
  std::string kubeconfig;  // instead of server + token file
  std::string node_name;   // empty: the host name
  std::string node_ip;     // empty: the first non-loopback IPv4 address
  std::string data_dir;
  std::string reserved;  // "cpu=500m,memory=512Mi,ephemeral-storage=1Gi" (--system-reserved)
  std::string runc_path = "/usr/sbin/runc";
  std::vector<std::string> insecure_registries;
  std::vector<std::string> cluster_dns;
  int64_t max_pods = 110;
  int workers = 4;
  int max_parallel_image_pulls = 4;
  // The agent's HTTPS port for logs, exec and attach (the kubelet's --port); when the default is
  // taken (several agents on one machine) a free port is used and published in the Node.
  int kubelet_port = 10250;
  // The kubelet's containerLogMaxSize and containerLogMaxFiles.
  std::string container_log_max_size = "10Mi";
  int container_log_max_files = 5;
};

// Adds the agent's flags to `cmd`.
void add_agent_flags(CLI::App* cmd, AgentFlags& flags);
// Only --container-log-max-size and --container-log-max-files (part of add_agent_flags), for a
// command that runs an agent with a few of its flags (`bosun server`).
void add_container_log_flags(CLI::App* cmd, AgentFlags& flags);

// A started agent and everything it runs on; stop() (or destruction) stops it, leaving its
// containers running (a restarted agent re-adopts them).
class RunningAgent {
 public:
  virtual ~RunningAgent() = default;
  virtual void stop() = 0;
};

// Opens the runtime under flags.data_dir, registers the node and starts the pod workers.
// `kubeconfig`, when set, overrides the flags' server/token/kubeconfig (for `bosun server`).
Result<std::unique_ptr<RunningAgent>> start_agent(const AgentFlags& flags,
                                                  const std::string& kubeconfig = "");

// Adds `bosun agent`; it runs until SIGTERM or SIGINT.
void add_agent_command(CLI::App& app, const std::string& default_data_dir);

}  // namespace bosun::cmd
