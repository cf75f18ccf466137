// JSON text byte-for-byte as Go's encoding/json writes it (sorted keys, `<>&` escaped, strconv's
// float forms), for where Kubernetes keeps JSON inside strings: fieldsV1 keys, manager identifiers
// and the last-applied-configuration annotation. Pure functions; safe from any thread.
#pragma once

#include <string>
#include <string_view>

#include "common/json.h"

namespace bosun::api {

// Appends `value` as encoding/json.Marshal would (map keys sorted, HTML characters escaped).
void append_go_json(std::string& out, const Json& value);
std::string go_json(const Json& value);

// Appends `s` as a quoted JSON string. Invalid UTF-8 becomes U+FFFD and U+2028/U+2029 are escaped,
// as Go does; with escape_html, so are `<`, `>` and `&`.
void append_go_json_string(std::string& out, std::string_view s, bool escape_html = true);

// A float64 as encoding/json writes it: shortest round-trip digits, exponent form below 1e-6 and
// from 1e21 ("1e-7", "1e+21"), no trailing ".0".
std::string go_json_float(double f);

// A float64 as fmt's %v prints it (strconv 'g', shortest): used where Kubernetes prints values in
// messages (`[containerPort=80]`).
std::string go_format_float(double f);

}  // namespace bosun::api
