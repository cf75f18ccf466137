// Pod volumes on the node, as the kubelet's volume plugins set them up: emptyDir (disk, or tmpfs
// for medium Memory), hostPath with its type checks, configMap, secret, downwardAPI and projected
// volumes written by the atomic writer, and persistentVolumeClaims bound to a hostPath or local
// PersistentVolume; plus the bind mounts a container's volumeMounts ask for. Pod workers call it
// (setup before the first container, refresh while the pod runs, teardown when it is gone). A
// VolumeManager holds only its options: calls for different pods may run concurrently; calls for
// one pod must be serialised by its worker.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "client/rest_client.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"
#include "runtime/bundle_spec.h"

namespace bosun::agent {

// The kubelet's plugin directory names under <data-dir>/pods/<uid>/volumes/.
inline constexpr const char* kEmptyDirPluginDir = "kubernetes.io~empty-dir";
inline constexpr const char* kConfigMapPluginDir = "kubernetes.io~configmap";
inline constexpr const char* kSecretPluginDir = "kubernetes.io~secret";
inline constexpr const char* kDownwardApiPluginDir = "kubernetes.io~downward-api";
inline constexpr const char* kProjectedPluginDir = "kubernetes.io~projected";

// Volume name → the host path a container's volumeMount binds.
using VolumePaths = std::map<std::string, std::string>;

struct VolumeManagerOptions {
  std::string data_dir;
  // Reads ConfigMaps, Secrets, PersistentVolumeClaims and PersistentVolumes. May be null for pods
  // without such volumes (their setup then fails with an Internal error).
  client::RestClient* client = nullptr;
  Clock* clock = nullptr;  // the real clock when null
  // Memory-medium emptyDirs and secret volumes on tmpfs, as the kubelet keeps secrets off disk.
  // Needs CAP_SYS_ADMIN; false gives plain directories (tests as non-root, hollow nodes).
  bool use_tmpfs = true;
  // Node allocatable, for resourceFieldRef on a container without a limit (the kubelet's default)
  // and for the size of a memory emptyDir without sizeLimit. 0: unknown.
  int64_t node_allocatable_cpu_milli = 0;
  int64_t node_allocatable_memory_bytes = 0;
  int64_t node_allocatable_ephemeral_storage_bytes = 0;
};

class VolumeManager {
 public:
  explicit VolumeManager(VolumeManagerOptions options);

  // Sets up every volume of the pod (a v1 Pod as JSON) and returns where each one is on the host.
  // Idempotent: a second call finds what the first made (and rewrites changed contents). The error
  // is the first volume's that failed, worded as the kubelet's MountVolume.SetUp errors are.
  Result<VolumePaths> setup(const Json& pod);

  // Rewrites the configMap, secret, downwardAPI and projected volumes whose sources changed (the
  // kubelet's periodic resync). Returns whether anything was rewritten.
  Result<bool> refresh(const Json& pod);

  // Unmounts every tmpfs under the pod's directory and removes its volume directories. hostPath
  // and PersistentVolume data are never touched: they live outside the pod's directory.
  Result<void> teardown(std::string_view pod_uid);

  // <data-dir>/pods/<uid>/volumes
  std::string pod_volumes_dir(std::string_view pod_uid) const;

 private:
  Result<std::string> setup_volume(const Json& pod, const Json& volume, bool refresh_only,
                                   bool* changed);

  VolumeManagerOptions options_;
  Clock& clock_;
};

// The bind mounts for one container (a v1 Container as JSON) from its volumeMounts: subPath
// (created when missing, and never escaping the volume, through `..` or a symlink), readOnly and
// mountPropagation. Errors are the kubelet's: `cannot find volume "x" to mount into container
// "c"`, "error SubPath `/a` must not be an absolute path", "unable to provision SubPath `../a`:
// must not contain '..'".
Result<std::vector<runtime::BindMount>> container_mounts(const Json& container,
                                                         const VolumePaths& volumes);

// The hostPath type check (pkg/volume/hostpath checkType): "", DirectoryOrCreate, Directory,
// FileOrCreate, File, Socket, CharDevice, BlockDevice; creating what the *OrCreate types create.
Result<void> check_host_path_type(const std::string& path, std::string_view type);

// The text a downwardAPI file holds for a pod fieldPath: metadata.name, .namespace, .uid,
// .labels, .annotations (key="value" lines, sorted, as fieldpath.FormatMap writes them), and
// metadata.labels['k'] / metadata.annotations['k'].
Result<std::string> downward_field_value(const Json& pod, std::string_view field_path);

// The text for a resourceFieldRef (limits.cpu, requests.memory, ... with a divisor), rounded up
// as the kubelet rounds; a missing limit falls back to the node's allocatable.
Result<std::string> downward_resource_value(const Json& pod, const Json& resource_field_ref,
                                            const VolumeManagerOptions& node);

}  // namespace bosun::agent
