// The kubelet's atomic writer (pkg/volume/util/atomic_writer.go) for configMap, secret, downwardAPI
// and projected volumes: the files live in a hidden timestamped directory `..<time>.<random>`, the
// `..data` symlink points at it, and each user-visible name is a symlink through `..data`. An
// update writes a new timestamped directory and renames a new `..data` over the old one, so a
// reader in the container sees the old set of files or the new one, never a mix. Used by the
// VolumeManager. Stateless functions; calls for one target directory must not run concurrently.
#pragma once

#include <map>
#include <string>

#include "common/clock.h"
#include "common/result.h"

namespace bosun::agent {

// One file of a volume's payload: its content and permission bits.
struct FileProjection {
  std::string data;
  unsigned mode = 0644;
  bool operator==(const FileProjection&) const = default;
};

// Relative path ("key", "dir/key") → content.
using Payload = std::map<std::string, FileProjection>;

inline constexpr const char* kDataDirName = "..data";

// Checks a payload path as the kubelet does: relative, no `..` element, not starting with `..`,
// names up to 255 bytes and the whole up to 4096. The error is the kubelet's "invalid path: ...".
Result<void> validate_payload_path(const std::string& path);

// Projects `payload` into `target_dir` (which must exist). Returns false when the directory already
// held exactly this payload (nothing written), true when a new version was swapped in. Files and
// directories of the previous version that the payload no longer has disappear with the swap.
Result<bool> write_payload(const std::string& target_dir, const Payload& payload, Clock& clock);

}  // namespace bosun::agent
