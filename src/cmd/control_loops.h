// ControlLoops: the scheduler and the controllers `bosun server` runs in its own process, as
// clients of its API server over loopback HTTPS with the admin kubeconfig, exactly as the
// standalone `bosun scheduler` and `bosun controller-manager` do, except that they share one
// informer per resource (pods, nodes, replication controllers and replica sets are watched by
// both: one list+watch, connection and cache each instead of two). Used by main.cc; start() and
// stop() from one thread.
#pragma once

#include <memory>
#include <string>

#include "client/rest_client.h"
#include "client/shared_informer_factory.h"
#include "cmd/scheduler_command.h"
#include "common/result.h"
#include "controller/controller_manager.h"
#include "scheduler/scheduler.h"

namespace bosun::cmd {

class ControlLoops {
 public:
  // Builds the scheduler and the controllers (each registering its informers and handlers), then
  // starts the shared informers, the controllers once the informers synced, and the scheduler.
  static Result<std::unique_ptr<ControlLoops>> start(const std::string& kubeconfig,
                                                     const SchedulerFlags& scheduler_flags);
  ~ControlLoops();  // stop()s

  // Stops the informers first (no handler of a stopped component runs afterwards), then the
  // controllers and the scheduler.
  void stop();

 private:
  ControlLoops() = default;

  std::unique_ptr<client::RestClient> client_;  // the controllers' and the shared informers'
  std::unique_ptr<client::SharedInformerFactory> informers_;
  std::unique_ptr<scheduler::Scheduler> scheduler_;
  std::unique_ptr<controller::ControllerManager> controllers_;
};

}  // namespace bosun::cmd
