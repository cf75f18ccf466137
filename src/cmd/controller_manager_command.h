// `bosun controller-manager`: the controllers alone (kube-controller-manager), against an API
// server named by a kubeconfig, optionally electing a leader through the Lease
// kube-system/kube-controller-manager so several can run for HA. Used by main.cc.
#pragma once

#include <CLI/CLI.hpp>

namespace bosun::cmd {

// Adds the `controller-manager` subcommand to `app`; it runs as the callback until SIGTERM/SIGINT
// (exit 0) or until leadership is lost or the controllers cannot start (exit 1).
void add_controller_manager_command(CLI::App& app);

}  // namespace bosun::cmd
