// Logging through spdlog. Components log with SPDLOG_INFO(...) etc.; init_logging() sets the level
// and format once at start-up (from `--v`/`--log-level`). spdlog's default logger is thread-safe.
#pragma once

#include <spdlog/spdlog.h>

#include <string_view>

namespace bosun {
// level: trace, debug, info, warn, error, off.
void init_logging(std::string_view level);
}  // namespace bosun
