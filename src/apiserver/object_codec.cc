#include "apiserver/object_codec.h"

#include <fmt/format.h>

#include "api/object_meta.h"
#include "common/json_reader.h"

namespace bosun::apiserver {

namespace {

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  return i;
}

// One past the end of the string starting at s[i] == '"'; npos if unterminated.
size_t skip_string(std::string_view s, size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// One past the end of the value starting at s[i]; npos if malformed.
size_t skip_value(std::string_view s, size_t i) {
  if (i >= s.size()) return std::string_view::npos;
  char c = s[i];
  if (c == '"') return skip_string(s, i);
  if (c == '{' || c == '[') {
    int depth = 0;
    for (; i < s.size(); ++i) {
      char d = s[i];
      if (d == '"') {
        i = skip_string(s, i);
        if (i == std::string_view::npos) return i;
        --i;
      } else if (d == '{' || d == '[') {
        ++depth;
      } else if (d == '}' || d == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return std::string_view::npos;
  }
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\n' &&
         s[i] != '\r' && s[i] != '\t') {
    ++i;
  }
  return i;
}

}  // namespace

std::string resource_prefix(const api::ResourceType& type, const api::ResourceRegistry& registry) {
  // events.k8s.io/v1 Events are core Events in another shape; they share the storage.
  if (type.group == "events.k8s.io" && type.plural == "events") return "/registry/events/";
  if (!type.group.empty()) {
    for (const api::ResourceType& other : registry.all()) {
      if (other.group.empty() && other.plural == type.plural) {
        return fmt::format("/registry/{}.{}/", type.plural, type.group);
      }
    }
  }
  return fmt::format("/registry/{}/", type.plural);
}

std::string collection_prefix(std::string_view resource_prefix, std::string_view ns) {
  if (ns.empty()) return std::string(resource_prefix);
  return fmt::format("{}{}/", resource_prefix, ns);
}

std::string object_key(std::string_view resource_prefix, std::string_view ns,
                       std::string_view name) {
  if (ns.empty()) return fmt::format("{}{}", resource_prefix, name);
  return fmt::format("{}{}/{}", resource_prefix, ns, name);
}

std::string to_json(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string encode_for_storage(const Json& obj) {
  if (obj.is_object()) {
    auto m = obj.find("metadata");
    if (m != obj.end() && m->is_object() && m->contains("resourceVersion")) {
      Json copy = obj;
      copy["metadata"].erase("resourceVersion");
      return to_json(copy);
    }
  }
  return to_json(obj);
}

std::optional<JsonSpan> find_top_level_member(std::string_view s, std::string_view key) {
  size_t i = skip_ws(s, 0);
  if (i >= s.size() || s[i] != '{') return std::nullopt;
  i = skip_ws(s, i + 1);
  while (i < s.size() && s[i] != '}') {
    if (s[i] != '"') return std::nullopt;
    size_t key_end = skip_string(s, i);
    if (key_end == std::string_view::npos) return std::nullopt;
    // Keys written by our own encoder have no escapes, so a plain comparison suffices; an escaped
    // key simply does not match and the caller falls back to parsing.
    bool match = s.substr(i + 1, key_end - i - 2) == key;
    i = skip_ws(s, key_end);
    if (i >= s.size() || s[i] != ':') return std::nullopt;
    i = skip_ws(s, i + 1);
    size_t end = skip_value(s, i);
    if (end == std::string_view::npos) return std::nullopt;
    if (match) return JsonSpan{i, end};
    i = skip_ws(s, end);
    if (i < s.size() && s[i] == ',') i = skip_ws(s, i + 1);
  }
  return std::nullopt;
}

std::string with_resource_version(std::string_view stored, uint64_t revision) {
  auto span = find_top_level_member(stored, "metadata");
  if (span && stored[span->begin] == '{') {
    std::string rv = fmt::format("\"resourceVersion\":\"{}\"", revision);
    size_t after = skip_ws(stored, span->begin + 1);
    bool empty = after < stored.size() && stored[after] == '}';
    std::string out;
    out.reserve(stored.size() + rv.size() + 1);
    out.append(stored.substr(0, span->begin + 1));
    out.append(rv);
    if (!empty) out.push_back(',');
    out.append(stored.substr(span->begin + 1));
    return out;
  }
  Json obj = parse_trusted(stored);
  if (!obj.is_object()) return std::string(stored);
  api::set_resource_version(obj, revision);
  return to_json(obj);
}

Json parse_trusted(std::string_view text) {
  auto r = read_json(text);
  return r.ok() ? std::move(r).value() : Json(Json::value_t::discarded);
}

Result<Json> decode_stored(std::string_view stored, uint64_t revision) {
  Json obj = parse_trusted(stored);
  if (!obj.is_object()) {
    return make_error(ErrorCode::kInternal, "Internal error occurred: stored object is corrupt");
  }
  api::set_resource_version(obj, revision);
  return obj;
}

}  // namespace bosun::apiserver
