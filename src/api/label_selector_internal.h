// Helpers shared by the label selector's source files (label_selector.cc, label_selector_parse.cc,
// label_selector_object.cc); not for use elsewhere. Pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/label_selector.h"

namespace bosun::api::selector_internal {

// field.Path rendering, enough for the paths selectors produce: child("spec", "selector") is
// "spec.selector", index_path("values", 0) "values[0]", key_path("values[0]", "app")
// "values[0][app]".
std::string child(std::string_view path, std::string_view name);
std::string index_path(std::string_view path, size_t i);
std::string key_path(std::string_view path, std::string_view key);

std::string join(const std::vector<std::string>& parts, std::string_view sep);

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, no overflow.
bool parse_go_int64(std::string_view s, int64_t* out);

// Kubernetes sorts requirements by key with sort.Sort, which is an insertion sort (stable) for the
// short lists selectors are.
void sort_by_key(std::vector<LabelRequirement>& reqs);

}  // namespace bosun::api::selector_internal
