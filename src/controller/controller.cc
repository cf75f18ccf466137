#include "controller/controller.h"

#include "common/log.h"

namespace bosun::controller {

Controller::~Controller() { stop(); }

void Controller::run(int workers) {
  for (int i = 0; i < workers; ++i) workers_.emplace_back([this] { work(); });
}

void Controller::stop() {
  queue_.shut_down();
  for (auto& t : workers_) {
    if (t.joinable()) t.join();
  }
  workers_.clear();
}

void Controller::work() {
  while (auto key = queue_.get()) {
    auto result = reconcile(*key);
    if (result.ok()) {
      queue_.forget(*key);
    } else {
      SPDLOG_DEBUG("{}: {}: {} (retrying)", name(), *key, result.error().message);
      queue_.add_rate_limited(*key);
    }
    queue_.done(*key);
  }
}

}  // namespace bosun::controller
