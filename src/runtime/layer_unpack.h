// Unpacking one image layer (a tar, gzip-compressed or not) into its own directory with libarchive,
// in the form overlayfs stacks: whiteouts `.wh.<name>` become character devices 0/0 and opaque
// markers `.wh..wh..opq` become the `trusted.overlay.opaque=y` xattr (as containerd's overlayfs
// snapshotter does). Entries that would escape the directory are refused. Used by the image store;
// each call is independent and thread-safe (it never changes the working directory).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "common/result.h"

namespace bosun::runtime {

struct UnpackedLayer {
  std::string diff_id;  // sha256 of the uncompressed tar
  uint64_t entries = 0;
  uint64_t bytes = 0;  // uncompressed tar bytes
};

// dest must exist (normally empty). Modes, ownership, times, xattrs, hardlinks and symlinks are
// preserved; ".." components, absolute paths made relative, and writes through symlinks are
// refused with kBadRequest naming the entry. The process must be root to set ownership, create
// whiteouts and set trusted.* xattrs.
Result<UnpackedLayer> unpack_layer(const std::filesystem::path& layer_file,
                                   const std::filesystem::path& dest);

// The uncompressed digest of a layer file without unpacking it.
Result<std::string> layer_diff_id(const std::filesystem::path& layer_file);

}  // namespace bosun::runtime
