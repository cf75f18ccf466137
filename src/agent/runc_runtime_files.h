// Small file and time helpers shared by RuncRuntime's sources (runc_runtime*.cc): atomic record
// writes, RFC 3339 times in records, container ids. Internal to the agent; pure functions, safe
// from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::agent::runtime_files {

inline constexpr const char* kContainerRecordFile = "container.json";

Error internal(std::string message);

// Writes to a temporary name and renames, so a reader (or an agent restarting after a crash)
// never sees half a record.
Result<void> write_file_atomic(const std::string& path, std::string_view content);
// NotFound when the file does not exist.
Result<std::string> read_text(const std::string& path);
// The last `max_bytes` of a file (the kubelet's tail.ReadAtMost); NotFound when it does not exist.
Result<std::string> read_tail(const std::string& path, size_t max_bytes);

// RFC 3339 with nanoseconds; "" for the zero time point, and back.
std::string time_text(std::chrono::system_clock::time_point t);
std::chrono::system_clock::time_point parse_time(std::string_view text);

// A fresh container id: 64 lowercase hex digits from the kernel's random source, as containerd's.
std::string new_container_id();
// Only ids this runtime could have made name directories (no '/', no "..").
bool valid_container_id(std::string_view id);

}  // namespace bosun::agent::runtime_files
