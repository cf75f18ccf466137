#include "controller/shared_informers.h"

#include <algorithm>
#include <vector>

namespace bosun::controller {

namespace {

std::string key_of(const client::GroupVersionResource& gvr) {
  return gvr.group + "/" + gvr.version + "/" + gvr.resource;
}

}  // namespace

SharedInformers::~SharedInformers() { stop(); }

client::Informer& SharedInformers::informer(const client::GroupVersionResource& gvr) {
  std::lock_guard lock(mu_);
  auto& slot = informers_[key_of(gvr)];
  if (!slot) {
    client::InformerOptions options;
    options.resource = gvr;
    slot = std::make_unique<client::Informer>(client_, std::move(options));
  }
  return *slot;
}

void SharedInformers::start() {
  std::lock_guard lock(mu_);
  for (auto& [key, informer] : informers_) {
    if (started_[key]) continue;
    started_[key] = true;
    informer->start();
  }
}

bool SharedInformers::wait_for_sync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<client::Informer*> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, informer] : informers_) all.push_back(informer.get());
  }
  for (auto* informer : all) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!informer->wait_for_sync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void SharedInformers::stop() {
  std::lock_guard lock(mu_);
  for (auto& [key, informer] : informers_) informer->stop();
}

}  // namespace bosun::controller
