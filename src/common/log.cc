#include "common/log.h"

#include <string>

namespace bosun {

void init_logging(std::string_view level) {
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%fZ %^%L%$ %v", spdlog::pattern_time_type::utc);
  spdlog::set_level(spdlog::level::from_str(std::string(level)));
}

}  // namespace bosun
