// `bosun scheduler`: kube-scheduler alone, reaching the API server through a kubeconfig, with
// kube-scheduler's flags (--leader-elect, --kube-api-qps, --kube-api-burst, ...). Also the pieces
// `bosun server` uses to run the same scheduler in process. Used by main.cc; not thread-safe
// (command-line set-up only).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "scheduler/scheduler.h"

namespace bosun::cmd {

struct SchedulerFlags {
  std::string kubeconfig;
  bool leader_elect = false;
  std::string lease_duration = "15s";  // client-go's leader election defaults
  std::string renew_deadline = "10s";
  std::string retry_period = "2s";
  std::string lease_name = "kube-scheduler";
  std::string lease_namespace = "kube-system";
  std::string scheduler_name = "default-scheduler";
  // KubeSchedulerConfiguration's clientConnection defaults.
  double kube_api_qps = 50;
  int kube_api_burst = 100;
  int parallelism = 16;
  int percentage_of_nodes_to_score = 0;    // 0: adaptive, as Kubernetes
  std::vector<std::string> score_weights;  // PluginName=weight
};

// Adds the scheduler's flags to `cmd` (shared by `bosun scheduler` and, if wanted, `bosun server`).
void add_scheduler_flags(CLI::App* cmd, SchedulerFlags& flags);

// Builds a Scheduler from the flags with `kubeconfig` (flags.kubeconfig when empty), not yet
// started; its informers come from `informers` when not null (`bosun server` shares them with the
// controllers).
Result<std::unique_ptr<scheduler::Scheduler>> make_scheduler(
    const SchedulerFlags& flags, const std::string& kubeconfig = "",
    client::SharedInformerFactory* informers = nullptr);

// make_scheduler() with the scheduler's own informers, then start()ed.
Result<std::unique_ptr<scheduler::Scheduler>> start_scheduler(const SchedulerFlags& flags,
                                                              const std::string& kubeconfig = "");

// Adds `bosun scheduler`; it runs until SIGTERM or SIGINT.
void add_scheduler_command(CLI::App& app);

}  // namespace bosun::cmd
