#include "cmd/control_loops.h"

#include "client/kubeconfig.h"

namespace bosun::cmd {

Result<std::unique_ptr<ControlLoops>> ControlLoops::start(const std::string& kubeconfig,
                                                          const SchedulerFlags& scheduler_flags) {
  std::unique_ptr<ControlLoops> loops(new ControlLoops());
  BOSUN_ASSIGN_OR_RETURN(client::ClientConfig config, client::load_kubeconfig(kubeconfig));
  config.user_agent = "bosun/controller-manager";
  BOSUN_ASSIGN_OR_RETURN(loops->client_, client::RestClient::create(std::move(config)));
  loops->informers_ = std::make_unique<client::SharedInformerFactory>(*loops->client_);
  auto s = make_scheduler(scheduler_flags, kubeconfig, loops->informers_.get());
  if (!s.ok()) {
    return make_error(s.error().code, "scheduler: " + s.error().message);
  }
  loops->scheduler_ = std::move(s).value();
  controller::ControllerManagerOptions options;
  options.informers = loops->informers_.get();
  loops->controllers_ =
      std::make_unique<controller::ControllerManager>(*loops->client_, std::move(options));
  // The manager builds its controllers, starts every informer registered so far (the scheduler's
  // too) and runs the workers once they synced.
  if (auto started = loops->controllers_->start(); !started.ok()) {
    return make_error(started.error().code, "controllers: " + started.error().message);
  }
  loops->scheduler_->start();
  return loops;
}

ControlLoops::~ControlLoops() { stop(); }

void ControlLoops::stop() {
  if (informers_) informers_->stop();
  if (controllers_) controllers_->stop();
  if (scheduler_) scheduler_->stop();
}

}  // namespace bosun::cmd
