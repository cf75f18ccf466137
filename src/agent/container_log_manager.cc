#include "agent/container_log_manager.h"

#include "api/quantity.h"
#include "common/log.h"

namespace bosun::agent {

Result<LogRotationPolicy> make_log_rotation_policy(std::string_view max_size, int max_files) {
  if (max_files <= 1) {
    return make_error(ErrorCode::kBadRequest,
                      "invalid MaxFiles " + std::to_string(max_files) + ", must be > 1");
  }
  const std::string quoted = "\"" + std::string(max_size) + "\"";
  auto q = api::Quantity::parse(max_size);
  if (!q.ok()) {
    return make_error(ErrorCode::kBadRequest, "failed to parse container log max size " + quoted +
                                                  ": " + q.error().message);
  }
  // resource.Quantity.AsInt64: only a whole number of bytes.
  if (q->milli_value() % 1000 != 0) {
    return make_error(ErrorCode::kBadRequest, "failed to parse container log max size " + quoted +
                                                  ": invalid max log size");
  }
  LogRotationPolicy policy;
  policy.max_size_bytes = q->value();
  policy.max_files = max_files;
  return policy;
}

size_t ContainerLogManager::rotate_logs() {
  if (policy_.max_size_bytes < 0) return 0;
  std::lock_guard lock(mu_);
  auto containers = runtime_.list_containers();
  if (!containers.ok()) {
    SPDLOG_WARN("log rotation: cannot list containers: {}", containers.error().message);
    return 0;
  }
  size_t rotated = 0;
  for (const ContainerStatus& c : *containers) {
    if (c.state != ContainerState::kRunning || c.log_path.empty()) continue;
    const std::string id = c.id;
    auto r = rotate_container_log(c.log_path, policy_, clock_.now(),
                                  [this, &id] { return runtime_.reopen_container_log(id); });
    if (!r.ok()) {
      // A container that exited meanwhile cannot reopen: nothing is lost, the rename was undone.
      SPDLOG_WARN("log rotation: container {} ({}): {}", id, c.log_path, r.error().message);
      continue;
    }
    if (*r) ++rotated;
  }
  return rotated;
}

}  // namespace bosun::agent
