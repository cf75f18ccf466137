// `bosun hollow-nodes`: N simulated nodes (agent::HollowNodes, Kubernetes' kubemark) joined to a
// server, for scale tests of the scheduler and controllers. Used by main.cc; command-line set-up
// only (not thread-safe).
#pragma once

#include <CLI/CLI.hpp>

namespace bosun::cmd {

// Adds `bosun hollow-nodes --server URL --token-file F --count N --cpu C --memory M --pods P
// [--startup-latency D] [--name-prefix hollow-]` (or --kubeconfig F instead of server and token);
// it runs until SIGTERM or SIGINT.
void add_hollow_nodes_command(CLI::App& app);

}  // namespace bosun::cmd
