#include "store/store.h"

namespace bosun::store {

std::string_view event_type_name(EventType type) {
  switch (type) {
    case EventType::kAdded:
      return "ADDED";
    case EventType::kModified:
      return "MODIFIED";
    case EventType::kDeleted:
      return "DELETED";
  }
  return "UNKNOWN";
}

std::string directory_prefix(std::string_view prefix) {
  std::string out(prefix);
  if (out.empty() || out.back() != '/') out.push_back('/');
  return out;
}

std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto last = static_cast<unsigned char>(end.back());
    if (last < 0xff) {
      end.back() = static_cast<char>(last + 1);
      return end;
    }
    end.pop_back();
  }
  return end;  // only for a prefix of all 0xff bytes; directory prefixes end in '/'
}

Result<void> validate_key(std::string_view key) {
  if (key.empty() || key.front() != '/') {
    return make_error(ErrorCode::kBadRequest,
                      "invalid key \"" + std::string(key) + "\": must start with '/'");
  }
  if (key.find('\0') != std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest, "invalid key: contains a NUL byte");
  }
  return ok_result();
}

Result<KeyValue> Store::guaranteed_update(std::string_view key, const TryUpdate& try_update) {
  for (;;) {
    BOSUN_ASSIGN_OR_RETURN(KeyValue current, get(key));
    BOSUN_ASSIGN_OR_RETURN(std::optional<std::string> next, try_update(current));
    // Kubernetes' GuaranteedUpdate skips the write when the new bytes equal the stored ones, so a
    // no-op update neither bumps the resourceVersion nor wakes watchers.
    if (!next.has_value() || *next == current.value) return current;
    Result<KeyValue> written = update(key, std::move(*next), current.mod_revision);
    if (written.ok() || written.error().code != ErrorCode::kConflict) return written;
  }
}

}  // namespace bosun::store
