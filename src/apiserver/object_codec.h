// How API objects sit in the store: keys `/registry/<resource>/<namespace>/<name>` (cluster-scoped:
// `/registry/<resource>/<name>`), values the object's compact JSON without
// metadata.resourceVersion, which is the key's mod_revision and is set on every read, as
// Kubernetes' etcd3 store does. Setting it splices the number into the stored text instead of
// re-parsing it, which keeps GET and LIST cheap. Used by the REST handlers and the watch cache.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/registry.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

// The key prefix of a resource type, ending in '/': "/registry/pods/". Resources of the named
// groups share the core group's namespace of prefixes, as in Kubernetes ("/registry/deployments/");
// events.k8s.io Events share core Events' ("/registry/events/"); any other plural the core group
// also uses gets its group appended ("/registry/<plural>.<group>/").
std::string resource_prefix(const api::ResourceType& type, const api::ResourceRegistry& registry);
// "<prefix><namespace>/" for a namespaced list, "<prefix>" for all namespaces or a cluster-scoped
// type.
std::string collection_prefix(std::string_view resource_prefix, std::string_view ns);
std::string object_key(std::string_view resource_prefix, std::string_view ns,
                       std::string_view name);

// The compact JSON of `obj` for the store: metadata.resourceVersion removed (the store's revision
// is the truth), invalid UTF-8 replaced.
std::string encode_for_storage(const Json& obj);
// Compact JSON, invalid UTF-8 replaced (Go's encoder does the same).
std::string to_json(const Json& value);

// The stored text with metadata.resourceVersion set to `revision`: the number is spliced in as the
// first member of the top-level "metadata" object. Falls back to parse-and-dump when the text has
// no metadata object.
std::string with_resource_version(std::string_view stored, uint64_t revision);

// Parses text the server wrote itself (a stored value, a cached object) with the fast reader;
// a discarded Json when it is not JSON, as Json::parse(text, nullptr, false) gives.
Json parse_trusted(std::string_view text);

// Parses a stored value and sets metadata.resourceVersion. Internal error for a value that is not
// a JSON object (a corrupt store).
Result<Json> decode_stored(std::string_view stored, uint64_t revision);

// Byte offsets of the top-level member `key`'s value in a JSON object text (value_begin is its
// first byte, value_end one past its last); nullopt when absent or the text is not an object.
struct JsonSpan {
  size_t begin = 0;
  size_t end = 0;
};
std::optional<JsonSpan> find_top_level_member(std::string_view json, std::string_view key);

}  // namespace bosun::apiserver
