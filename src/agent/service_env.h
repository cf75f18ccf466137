// Service environment variables, as the kubelet injects them (pkg/kubelet/envvars FromServices and
// kubelet_pods.go getServiceEnvVarMap): for each Service with a cluster IP, <SVC>_SERVICE_HOST,
// <SVC>_SERVICE_PORT, <SVC>_SERVICE_PORT_<PORTNAME>, and the Docker-link variables <SVC>_PORT,
// <SVC>_PORT_<port>_<PROTO>{,_PROTO,_PORT,_ADDR}; the pod's namespace's services when
// enableServiceLinks (default true), and always the `kubernetes` service of `default`. Pure
// functions; ServiceEnvSource (the agent's Service informer) is thread-safe.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun::agent {

// makeEnvVariableName: upper case with '-' as '_' (service and port names are DNS labels; a port
// named "8083" gives <SVC>_SERVICE_PORT_8083).
std::string service_env_name(std::string_view service_name);

// FromServices for one Service, in the kubelet's order; nothing for a headless (clusterIP None) or
// IP-less (ExternalName) one, or one without ports.
std::vector<std::pair<std::string, std::string>> service_env_vars(const Json& service);

// Where the agent's Services come from: the services of a namespace, and whether the first list has
// been read.
struct ServiceEnvSource {
  std::function<std::vector<std::shared_ptr<const Json>>(std::string_view ns)> list;
  std::function<bool()> synced;
};

// getServiceEnvVarMap: the variables for a pod in `ns`. The kubelet refuses to guess before its
// Service cache has been filled once (a pod would start without KUBERNETES_SERVICE_HOST):
// "services have not yet been read at least once, cannot construct envvars".
Result<std::map<std::string, std::string>> service_env_map(const ServiceEnvSource& source,
                                                           std::string_view ns,
                                                           bool enable_service_links);

// What the agent's Service informer keeps of a Service: its name, namespace, cluster IP and ports.
Json trim_service_for_env(Json service);

}  // namespace bosun::agent
