#include "agent/probe_results.h"

namespace bosun::agent {

void ProbeResults::set(ProbeKind kind, const std::string& pod_uid, const std::string& container_id,
                       bool success) {
  bool changed = false;
  {
    std::lock_guard lock(mu_);
    auto [it, inserted] = results_.try_emplace({container_id, kind}, success);
    changed = inserted || it->second != success;
    it->second = success;
  }
  if (changed && listener_) listener_(pod_uid);
}

std::optional<bool> ProbeResults::get(ProbeKind kind, const std::string& container_id) const {
  std::lock_guard lock(mu_);
  auto it = results_.find({container_id, kind});
  if (it == results_.end()) return std::nullopt;
  return it->second;
}

void ProbeResults::remove(const std::string& container_id) {
  std::lock_guard lock(mu_);
  for (ProbeKind k : {ProbeKind::kReadiness, ProbeKind::kLiveness, ProbeKind::kStartup}) {
    results_.erase({container_id, k});
  }
}

void ProbeResults::set_listener(std::function<void(const std::string& pod_uid)> listener) {
  listener_ = std::move(listener);
}

}  // namespace bosun::agent
