// The versioned key-value store under the API server, modelled on etcd v3 and Kubernetes'
// storage.Interface: one global revision, per-key create and mod revisions, compare-and-swap
// writes, prefix lists at a revision with continue tokens, and watches from any retained revision.
// Backends: SQLite (sqlite_store.h), etcd (later); all of them pass store_conformance.h. A Store is
// safe for concurrent use from many threads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bosun::store {

// Keys are `/registry/<resource>/<namespace>/<name>`; values are opaque bytes (JSON in practice).
// Revisions are uint64_t here and become decimal `resourceVersion` strings only at the API edge.
struct KeyValue {
  std::string key;
  std::string value;
  uint64_t create_revision = 0;  // the revision that created this incarnation of the key
  uint64_t mod_revision = 0;     // the revision of the last change: the object's resourceVersion
  bool operator==(const KeyValue&) const = default;
};

struct ListOptions {
  int64_t limit = 0;           // <= 0: no limit
  std::string continue_token;  // from a previous ListResult; may not be combined with `revision`
  uint64_t revision = 0;       // 0: the newest revision
};

struct ListResult {
  std::vector<KeyValue> items;  // sorted by key
  uint64_t revision = 0;        // every page of one list is read at this one revision
  std::string continue_token;   // empty when this is the last page
  // Items after this page (Kubernetes' remainingItemCount); set only when continue_token is.
  std::optional<int64_t> remaining_count;
};

struct RemoveResult {
  KeyValue prev;  // the value that was removed
  uint64_t revision = 0;
};

enum class EventType { kAdded, kModified, kDeleted };
// "ADDED", "MODIFIED", "DELETED": the words of Kubernetes' watch.EventType.
std::string_view event_type_name(EventType type);

struct Event {
  EventType type = EventType::kAdded;
  std::string key;
  std::string value;       // empty for kDeleted
  std::string prev_value;  // the value before this change; empty for kAdded
  uint64_t revision =
      0;  // the revision of this change (the new mod_revision, or the deletion's revision)
  uint64_t create_revision = 0;
  uint64_t prev_revision = 0;  // mod_revision of prev_value; 0 for kAdded
};

// Events are shared between all watchers of a store and never change: hold them as long as you
// like.
using EventList = std::vector<std::shared_ptr<const Event>>;

// Receives each batch of matching events, in revision order, with no gaps and no duplicates. It
// runs on the store's delivery thread, one call at a time for all watches of the store, so it must
// not block: copy or post the events elsewhere (an Asio loop's post() is ideal). An Error is final:
// no call follows it. Gone (reason "Expired") means the watch fell behind a compaction;
// ServiceUnavailable means the store is closing.
using WatchCallback = std::function<void(Result<EventList>)>;

// A running watch. Destroying it stops delivery: when the destructor returns the callback is not
// running and will not run again. It waits for a running call to return, so never destroy a watch
// while holding a lock its callback takes; destroying it from inside its own (or another watch's)
// callback is fine. May outlive the Store.
class Watch {
 public:
  virtual ~Watch() = default;
};

// Computes the new value from the current one, for guaranteed_update. nullopt: no change is needed.
using TryUpdate = std::function<Result<std::optional<std::string>>(const KeyValue& current)>;

struct SqliteOptions;  // sqlite_store.h

class Store {
 public:
  virtual ~Store() = default;

  // The embedded backend: one SQLite file in WAL mode, laid out like k3s' kine.
  static Result<std::unique_ptr<Store>> open_sqlite(const SqliteOptions& options);

  // NotFound if the key does not exist.
  virtual Result<KeyValue> get(std::string_view key) = 0;

  // The keys under `prefix`, which names a directory: a missing trailing '/' is added, as
  // Kubernetes' etcd3 store does for recursive lists, so "/registry/pods/a" never lists
  // "/registry/pods/ab/x". Errors: Gone when the revision (or the continue token's) was compacted;
  // BadRequest for a malformed continue token; Timeout
  // ("Too large resource version") for a revision newer than the store's.
  virtual Result<ListResult> list(std::string_view prefix, const ListOptions& options) = 0;

  // Returns the new revision. AlreadyExists if the key exists.
  virtual Result<uint64_t> create(std::string_view key, std::string value) = 0;

  // Compare-and-swap: succeeds only if the key's mod_revision is expected_mod_revision. Conflict
  // otherwise; NotFound if the key does not exist. Returns the new KeyValue.
  virtual Result<KeyValue> update(std::string_view key, std::string value,
                                  uint64_t expected_mod_revision) = 0;

  // Deletes the key, only if its mod_revision matches when expected_mod_revision is given (Conflict
  // otherwise). NotFound if the key does not exist.
  virtual Result<RemoveResult> remove(
      std::string_view key, std::optional<uint64_t> expected_mod_revision = std::nullopt) = 0;

  // Read-modify-write that retries on Conflict, like Kubernetes' GuaranteedUpdate: reads the key,
  // calls try_update, writes with compare-and-swap, and on a conflict starts again from a fresh
  // read. nullopt or an unchanged value writes nothing and returns the current KeyValue. An Error
  // from try_update is returned as is.
  virtual Result<KeyValue> guaranteed_update(std::string_view key, const TryUpdate& try_update);

  // Watches the keys under `prefix` (a directory, as for list) for changes with revision >
  // from_revision; 0 means from now. Gone ("Expired") if from_revision is older than the compacted
  // revision.
  virtual Result<std::unique_ptr<Watch>> watch(std::string_view prefix, uint64_t from_revision,
                                               WatchCallback callback) = 0;

  // Calls `fn` on the delivery thread once `watch` (a watch of this store) has been handed every
  // change up to `revision` (at most current_revision()), including those outside its prefix, as
  // etcd's progress notification tells a watcher it is current. Whatever `fn` does is ordered
  // after the callbacks for those changes. Not called once the watch is destroyed; like a
  // callback, `fn` must not block.
  virtual void after_delivered(Watch& watch, uint64_t revision, std::function<void()> fn) = 0;

  // The revision of the newest committed change (1 for a new, empty store).
  virtual uint64_t current_revision() = 0;
  // Discards the history at and before `revision`: afterwards lists at older revisions and watches
  // from older revisions are Gone. The newest value of every key is kept. BadRequest for a revision
  // in the future.
  virtual Result<void> compact(uint64_t revision) = 0;
  virtual uint64_t compacted_revision() = 0;
};

// Kubernetes' wording for the errors a store returns that users see verbatim (k8s.io/apiserver
// storage/etcd3).
inline constexpr std::string_view kWatchExpiredMessage =
    "The resourceVersion for the provided watch is too old.";
inline constexpr std::string_view kListExpiredMessage =
    "The resourceVersion for the provided list is too old.";
inline constexpr std::string_view kContinueExpiredMessage =
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the "
    "remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that "
    "were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the "
    "list.";
// The storage layer's half of a 409: the API edge prefixes `Operation cannot be fulfilled on
// <resource> "<name>": `.
inline constexpr std::string_view kConflictMessage =
    "the object has been modified; please apply your changes to the latest version and try again";

// `prefix` with a trailing '/' (see Store::list).
std::string directory_prefix(std::string_view prefix);
// The smallest key greater than every key that starts with `prefix` (etcd's GetPrefixRangeEnd).
std::string prefix_range_end(std::string_view prefix);
// Keys are non-empty, start with '/', and contain no NUL byte. BadRequest otherwise.
Result<void> validate_key(std::string_view key);

}  // namespace bosun::store
