// A JSON reader for bytes the process already trusts to be JSON (stored values, watch event lines,
// API responses): simdjson (Debian's libsimdjson) parses, and the Json tree is built from its DOM,
// appending object members in the sorted order our own encoder writes them; about twice as fast
// as nlohmann's `Json::parse`, whose tree it builds (number types, last duplicate key wins; only
// "-0" reads as an unsigned 0, equal and printed alike). What simdjson refuses (a byte order mark,
// a NUL byte ending the input, numbers beyond 64 bits, nesting deeper than 256, invalid JSON) goes
// to nlohmann, so the verdict is always nlohmann's. Invalid input is an Error, never an exception.
// Safe from any thread (each thread reuses a parser of its own).
#pragma once

#include <string_view>

#include "common/json.h"
#include "common/result.h"

namespace bosun {

// Parses `text` as one JSON value (surrounding whitespace and a leading UTF-8 byte order mark
// allowed, as nlohmann allows them). BadRequest "json: <nlohmann's parse error>" otherwise.
Result<Json> read_json(std::string_view text);

}  // namespace bosun
