// Internal pieces of PodSpec validation shared by pod_volume_validation.cc,
// pod_container_validation.cc and pod_spec_validation.cc. Not for use outside those files; the
// public surface is pod_spec.h. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/field_errors.h"
#include "common/json.h"

namespace bosun::api::resources::podval {

// The volumes that validated cleanly, by name (ValidateVolumes' result map).
using VolumeMap = std::map<std::string, const Json*, std::less<>>;

// ValidateVolumes over spec.volumes at `path`.
VolumeMap validate_volumes(const Json& volumes, const Json* pod_meta, const std::string& path,
                           FieldErrors& errs);

// validateLocalDescendingPath / validatePathNoBacksteps / ValidateLocalNonReservedPath.
void validate_local_descending_path(std::string_view target, const std::string& path,
                                    FieldErrors& errs);
bool has_backsteps(std::string_view target);
void validate_local_non_reserved_path(std::string_view target, const std::string& path,
                                      FieldErrors& errs);

// Field-level container checks (pod_container_field_validation.cc).
void validate_port_num_or_name(const Json* port, const std::string& path, FieldErrors& errs);
void validate_ports(const Json& ports, const std::string& path, FieldErrors& errs);
// AccumulateUniqueHostPorts over containers[i] (indexes[i] is its position in the list at `path`).
void check_host_port_conflicts(const std::vector<const Json*>& containers,
                               const std::vector<size_t>& indexes, const std::string& path,
                               FieldErrors& errs);
void validate_env(const Json& env, const std::string& path, FieldErrors& errs);
void validate_env_from(const Json& env_from, const std::string& path, FieldErrors& errs);
void validate_volume_mounts(const Json& container, const VolumeMap& volumes,
                            const std::string& path, FieldErrors& errs);
void validate_volume_devices(const Json& container, const VolumeMap& volumes,
                             const std::string& path, FieldErrors& errs);

// The state the container validators need from the pod.
struct ContainerContext {
  const VolumeMap* volumes = nullptr;
  const Json* grace_period = nullptr;  // spec.terminationGracePeriodSeconds
  std::string_view restart_policy;     // spec.restartPolicy
  bool host_users = true;              // securityContext.hostUsers (default true)
};

// validateContainers, validateInitContainers and validateEphemeralContainers.
void validate_containers(const Json& containers, const ContainerContext& ctx,
                         const std::string& path, FieldErrors& errs);
void validate_init_containers(const Json& init_containers, const Json& containers,
                              const ContainerContext& ctx, const std::string& path,
                              FieldErrors& errs);
void validate_ephemeral_containers(const Json& ephemeral, const Json& containers,
                                   const Json& init_containers, const ContainerContext& ctx,
                                   const std::string& path, FieldErrors& errs);

// validateResourceRequirements with the container resource-name rules, at `path`
// (".../resources", or "spec.overhead" with only limits).
void validate_resource_requirements(const Json& requirements, const std::string& path,
                                    FieldErrors& errs);

// validateSeccompProfileField and ValidateAppArmorProfileField.
void validate_seccomp_profile(const Json& profile, const std::string& path, FieldErrors& errs);
void validate_apparmor_profile(const Json& profile, const std::string& path, FieldErrors& errs);

// The int value of a JSON integer, or nullopt.
std::optional<int64_t> as_int(const Json* v);

// The names of a container list, for lookups.
std::vector<std::string_view> container_names(const Json& containers);

}  // namespace bosun::api::resources::podval
