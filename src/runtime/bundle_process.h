// How a container's process is assembled from its image config and its Pod spec, as the kubelet and
// containerd's CRI plugin do it: $(VAR) expansion, entrypoint/cmd merging, environment order, the
// working directory. Used by the agent before it builds a ContainerSpec. Pure functions; safe from
// any thread.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace bosun::runtime {

// One `env` entry of a container, already resolved from valueFrom when it had one.
struct EnvVar {
  std::string name;
  std::string value;
};

// Kubernetes' $(VAR_NAME) expansion (third_party/forked/golang/expansion): a defined reference is
// replaced, `$$` is an escaped `$`, an undefined or unterminated reference stays as written.
std::string expand_kubernetes_vars(std::string_view input,
                                   const std::map<std::string, std::string>& vars);

// The container's env with each value expanded against the variables defined before it, as the
// kubelet's makeEnvironmentVariables does; later duplicates replace earlier ones in place.
std::vector<EnvVar> resolve_container_env(const std::vector<EnvVar>& env);

// The process's args: command/args expanded with the container's env, then merged with the image's
// Entrypoint/Cmd (neither set: Entrypoint+Cmd; command only: command; args only: Entrypoint+args;
// both: command+args). Nothing at all to run is an Invalid error ("no command specified").
Result<std::vector<std::string>> merge_command(const std::vector<std::string>& image_entrypoint,
                                               const std::vector<std::string>& image_cmd,
                                               const std::vector<std::string>& command,
                                               const std::vector<std::string>& args,
                                               const std::vector<EnvVar>& container_env = {});

// The process's environment: the image's "NAME=value" entries in order, each replaced by a
// container variable of the same name, then the container's other variables in their order
// (containerd's WithEnv).
std::vector<std::string> merge_env(const std::vector<std::string>& image_env,
                                   const std::vector<EnvVar>& container_env);

// workingDir if set, else the image's WorkingDir, else "/".
std::string working_dir(std::string_view container_working_dir, std::string_view image_working_dir);

}  // namespace bosun::runtime
