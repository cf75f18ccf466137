// A container's environment as the kubelet computes it (kubelet_pods.go makeEnvironmentVariables):
// envFrom ConfigMaps and Secrets first, then env in order with `$(VAR)` expansion against what came
// before, valueFrom resolved (fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef with their
// `optional`), and the container's command and args expanded against the result. Used by the pod
// workers before they create a container. Pure functions over their arguments; the ConfigMap and
// Secret lookup is a callback, so thread-safety is the callback's.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun::agent {

// Fetches a ConfigMap ("configmaps") or Secret ("secrets") by namespace and name; NotFound when it
// does not exist.
using ObjectLookup = std::function<Result<Json>(std::string_view resource, std::string_view ns,
                                                std::string_view name)>;

struct EnvContext {
  const Json* pod = nullptr;
  std::vector<std::string> host_ips;
  std::vector<std::string> pod_ips;
  // Node allocatable: what resourceFieldRef reports for a limit the container does not set
  // (the kubelet's MergeContainerResourceLimits).
  int64_t node_allocatable_cpu_milli = 0;
  int64_t node_allocatable_memory_bytes = 0;
  int64_t node_allocatable_ephemeral_storage_bytes = 0;
  ObjectLookup lookup;
  // The service variables (service_env.h): a source for $(VAR) references, and added after the
  // container's own variables unless it defines them itself, as the kubelet does. May be null.
  const std::map<std::string, std::string>* service_env = nullptr;
};

struct ContainerEnv {
  std::vector<std::string> env;  // "NAME=value", first definition's position, last value wins
  std::vector<std::string> command;
  std::vector<std::string> args;
  // envFrom keys skipped as invalid variable names, as the kubelet's
  // InvalidEnvironmentVariableNames event words them.
  std::vector<std::string> warnings;
};

// Kubernetes' $(VAR) expansion (third_party/forked/golang/expansion): `$(NAME)` becomes the value
// `lookup` finds, or stays as written when it finds none; `$$` is a literal `$`.
std::string expand_env_references(
    std::string_view input,
    const std::function<std::optional<std::string>(std::string_view)>& lookup);

// A fieldRef's value: metadata.name/namespace/uid, metadata.labels['k'],
// metadata.annotations['k'], metadata.labels and metadata.annotations (all, as k="v" lines),
// spec.nodeName, spec.serviceAccountName, status.hostIP(s), status.podIP(s). BadRequest for an
// unsupported path.
Result<std::string> pod_field_value(const Json& pod, std::string_view field_path,
                                    const EnvContext& ctx);

// A resourceFieldRef's value for `container` (or the container the ref names), divided by the
// divisor and rounded up, as the kubelet's ExtractContainerResourceValue.
Result<std::string> resource_field_value(const Json& pod, const Json& container, const Json& ref,
                                         const EnvContext& ctx);

// The container's whole environment. Errors are what the kubelet reports as
// CreateContainerConfigError: `configmap "x" not found`, `couldn't find key k in ConfigMap ns/x`.
Result<ContainerEnv> resolve_container_env(const Json& container, const EnvContext& ctx);

}  // namespace bosun::agent
