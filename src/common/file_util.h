// Whole-file writes that readers (other processes included) see as the old content or the new,
// never a partial file: a temporary file in the same directory, written, optionally fsynced, and
// renamed over the target. Used for certificates, the image store's index, runc monitor records
// and volume contents. Also a whole-file read for small files. Stateless functions; safe from any
// thread.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun {

struct AtomicWriteOptions {
  unsigned mode = 0644;
  // fsync the file before the rename and the directory after it, so the new content survives a
  // machine crash once the call returns. Off for state that does not outlive a reboot.
  bool durable = true;
};

// Replaces `path` with `content`. On failure the old file is untouched and no temporary is left.
Result<void> write_file_atomic(const std::string& path, std::string_view content,
                               AtomicWriteOptions options = {});

// fsyncs a directory, making renames and creations in it durable.
Result<void> fsync_directory(const std::string& dir);

// The whole content of a small file (a /proc or cgroup file, a pid or state record), or "" when
// it cannot be read: for callers to which a missing file means the same as an empty one.
std::string read_file_or_empty(const std::string& path);

}  // namespace bosun
