#include "controller/controller.h"

#include "common/log.h"
#include "common/thread_util.h"

namespace bosun::controller {

Controller::~Controller() { stop(); }

void Controller::run(int workers) {
  std::lock_guard lock(workers_mu_);
  if (workers <= 0 || stopping_) return;
  max_workers_ = static_cast<size_t>(workers);
  if (workers_.empty()) workers_.emplace_back([this] { work(); });
}

void Controller::add_worker_if_busy() {
  if (queue_.len() == 0) return;
  std::lock_guard lock(workers_mu_);
  if (stopping_ || workers_.size() >= max_workers_) return;
  workers_.emplace_back([this] { work(); });
}

void Controller::stop() {
  queue_.shut_down();
  std::vector<std::thread> workers;
  {
    // No worker starts another after this: the vector joined below is complete.
    std::lock_guard lock(workers_mu_);
    stopping_ = true;
    workers.swap(workers_);
  }
  for (auto& t : workers) {
    if (t.joinable()) t.join();
  }
}

void Controller::work() {
  // "replicaset-controller" -> "replicaset": the kernel keeps 15 bytes of a thread's name.
  std::string_view n = name();
  if (n.size() > 11 && n.substr(n.size() - 11) == "-controller") n.remove_suffix(11);
  set_thread_name(n);
  while (auto key = queue_.get()) {
    add_worker_if_busy();
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
