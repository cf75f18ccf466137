// Random (version 4) UUIDs for metadata.uid, from libuuid. Thread-safe.
#pragma once

#include <string>

namespace bosun {
std::string new_uuid();
}  // namespace bosun
