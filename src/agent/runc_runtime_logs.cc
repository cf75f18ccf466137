// RuncRuntime's CRI ReopenContainerLog: the container's monitor holds the log file open and
// reopens it at its path on SIGUSR1 (runtime/runc_monitor.cc).
#include <sys/stat.h>

#include <thread>

#include "agent/runc_runtime.h"

namespace bosun::agent {

Result<void> RuncRuntime::reopen_container_log(std::string_view id) {
  BOSUN_ASSIGN_OR_RETURN(ContainerRecord record, load_container(id));
  if (status_of(record).state != ContainerState::kRunning) {
    return make_error(ErrorCode::kNotFound, "container " + record.id + " is not running");
  }
  if (record.log_path.empty()) return {};
  BOSUN_RETURN_IF_ERROR(runtime::Runc::reopen_log(container_dir(record.id)));
  // The monitor reopens when it handles the signal; containerd answers ReopenContainerLog only
  // once the new file is open, so wait for it (the monitor creates it at once) rather than leave a
  // window in which the path names no file.
  for (int i = 0; i < 400; ++i) {
    struct stat st;
    if (::stat(record.log_path.c_str(), &st) == 0) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return make_error(ErrorCode::kInternal,
                    "container " + record.id + ": the log was not reopened at " + record.log_path);
}

}  // namespace bosun::agent
