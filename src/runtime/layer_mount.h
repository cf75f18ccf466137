// A container's root filesystem: an overlayfs mount of the image's unpacked layers (read-only
// lowerdirs) with a per-container upperdir and workdir. Used by the agent/runc driver when it
// creates a container and when it removes one. Stateless functions; safe from any thread.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"

namespace bosun::runtime {

// The overlayfs mount data for these lowerdirs (topmost first); kBadRequest when it would not fit
// the kernel's one-page limit for mount options.
Result<std::string> overlay_mount_options(const std::vector<std::filesystem::path>& lowerdirs,
                                          const std::filesystem::path& upper,
                                          const std::filesystem::path& work);

// Creates rw_dir/{upper,work} and container_dir/rootfs and mounts the overlay on the latter,
// which it returns. rw_dir (the container's writable layer, kept on disk) may be container_dir
// itself, or empty for that. Mounting an already mounted rootfs is an error (kAlreadyExists).
Result<std::filesystem::path> mount_container_rootfs(
    const std::vector<std::filesystem::path>& lowerdirs, const std::filesystem::path& container_dir,
    const std::filesystem::path& rw_dir = {});

// Unmounts container_dir/rootfs if mounted and removes it and rw_dir's upper and work (rw_dir
// empty: container_dir's). Idempotent.
Result<void> unmount_container_rootfs(const std::filesystem::path& container_dir,
                                      const std::filesystem::path& rw_dir = {});

// True when path is a mount point (its device differs from its parent's, or it is in
// /proc/self/mountinfo).
bool is_mount_point(const std::filesystem::path& path);

}  // namespace bosun::runtime
