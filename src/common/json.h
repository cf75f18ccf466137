// The JSON value type used everywhere (nlohmann::json: RFC 8259, with RFC 6902 JSON Patch and RFC
// 7386 merge patch built in). Objects keep keys sorted, which is also the order kubectl prints them
// in.
#pragma once

#include <nlohmann/json.hpp>

namespace bosun {
using Json = nlohmann::json;
}  // namespace bosun
