// Reading fields of API objects held as Json without throwing: a missing key, or a parent that is
// not an object, reads as null (or "" / false), as Go's zero values do. Used by the agent, the
// scheduler and the controllers on informer objects. Pure functions; safe from any thread.
#pragma once

#include <string>

#include "common/json.h"

namespace bosun::json_fields {

inline const Json& member(const Json& j, const char* key) {
  static const Json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

inline std::string string_at(const Json& j, const char* key) {
  const Json& v = member(j, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

inline bool bool_at(const Json& j, const char* key) {
  const Json& v = member(j, key);
  return v.is_boolean() && v.get<bool>();
}

}  // namespace bosun::json_fields
