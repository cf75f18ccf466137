// Informer: client-go's shared informer in one piece — a reflector that lists (paged) and then
// watches from the list's resourceVersion, re-watching from the last seen one (bookmarks advance
// it), re-listing on 410 Expired/Gone and backing off on errors; a thread-safe cache of read-only
// objects by "namespace/name" with indexes; and event handlers called in order, one notification
// at a time, on the process's HandlerPool (not the watch's thread, so a slow handler never holds
// up the watch). The reflector has no thread of its own: lists and watch requests run as short
// tasks on a small pool, and the open watch stream is read by the process's WatchLoop, which
// waits on every informer's connection at once. Used by the scheduler, controllers and agents.
// All public methods are thread-safe. A handler added after start() first gets an add for each
// object cached at that moment (client-go's AddEventHandler on a running informer), then every
// later change; an index added after start() is built over the cached objects.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/rest_client.h"
#include "client/watch.h"
#include "client/watch_loop.h"
#include "common/json.h"

namespace bosun::client {

// Cached objects are shared and immutable: copy before you modify (as client-go's cache asks).
using ObjectPtr = std::shared_ptr<const Json>;
// The values an object is filed under in one index (client-go's cache.IndexFunc).
using IndexFunc = std::function<std::vector<std::string>(const Json&)>;

struct EventHandler {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  // The last state the cache had (client-go's DeletedFinalStateUnknown is not needed: a re-list
  // reports deletions it missed with the cached object).
  std::function<void(const ObjectPtr&)> on_delete;
};

struct InformerOptions {
  GroupVersionResource resource;
  std::string namespace_name;  // "": all namespaces (or a cluster-scoped resource)
  std::string label_selector;
  std::string field_selector;  // e.g. "spec.nodeName=node-1" for an agent's pods
  int64_t page_size = 500;     // as the reflector's list pager
  // Applied to every object before it is cached, to keep only what a consumer needs (client-go's
  // TransformFunc). Keys and the namespace index come from the object before the transform.
  std::function<Json(Json)> transform;
  // Each watch asks the server to end the stream after this long, then resumes from the last
  // resourceVersion seen (the reflector picks 5-10 minutes).
  int watch_timeout_seconds = 300;
  // The reflector always asks for bookmarks, which keep its resourceVersion fresh while its
  // selector filters every event out; off only to test the re-list after a 410.
  bool allow_watch_bookmarks = true;
  std::chrono::milliseconds initial_backoff{800};  // client-go's reflector back-off manager
  std::chrono::milliseconds max_backoff{30'000};
};

class Informer {
 public:
  static constexpr std::string_view kNamespaceIndex = "namespace";
  static constexpr std::string_view kOwnerUidIndex = "owner-uid";
  // Every label as "key=value", so an equality selector's candidates are one lookup away.
  static constexpr std::string_view kLabelIndex = "labels";

  Informer(RestClient& client, InformerOptions options);
  ~Informer();  // stop()s

  void add_index(std::string name, IndexFunc fn);
  void add_event_handler(EventHandler handler);
  // How many handlers are registered.
  size_t handler_count() const;

  void start();
  // Ends the reflector (waiting for a list or watch request in flight); handlers are not called
  // after it returns (so it must not be called from one of this informer's handlers).
  void stop();

  // Whether the first list has been stored in the cache.
  bool has_synced() const;
  bool wait_for_sync(std::chrono::milliseconds timeout) const;

  ObjectPtr get(std::string_view key) const;  // null when absent
  std::vector<ObjectPtr> list() const;
  std::vector<std::string> keys() const;
  std::vector<ObjectPtr> by_index(std::string_view index, std::string_view value) const;
  size_t size() const;
  // The resourceVersion the reflector would resume from.
  std::string last_resource_version() const;
  // How many times the reflector has listed (1 after the initial sync; more after 410s).
  int list_count() const;

  // "namespace/name", or "name" for cluster-scoped objects (client-go's MetaNamespaceKeyFunc).
  static std::string key_of(const Json& object);

 private:
  // A registered handler: it is given the notifications numbered from `since` on (those queued
  // before it joined are covered by its own replay of the cache).
  struct Handler {
    EventHandler fns;
    uint64_t since = 0;
  };
  using Handlers = std::vector<std::shared_ptr<const Handler>>;
  struct Notification {
    enum Kind { kAdd, kUpdate, kDelete } kind;
    ObjectPtr old_object;
    ObjectPtr new_object;
    uint64_t seq = 0;               // set by notify_locked
    const Handler* only = nullptr;  // a replayed add for the handler that just joined
  };

  // The reflector, as a task on the reflector pool: lists when it must, then opens a watch from
  // the last resourceVersion and hands it to the WatchLoop; on an error it arms a back-off timer
  // on the loop that posts it again.
  void reflect();
  // Loop thread: reads what the watch stream has, applies the events; kRemove once the stream
  // ended (resume), failed (back off, then resume) or said 410 (re-list); kAgain when it stopped
  // at its budget with events still to read, so that the other watches get the thread meanwhile.
  WatchLoop::Next on_watch_ready(bool timed_out);
  // Callers hold mu_. Post the reflector task, or a timer that posts it after the back-off.
  void post_reflect_locked();
  void retry_after_backoff_locked();
  // Runs on the HandlerPool: hands one batch of pending notifications to the handlers, then posts
  // itself again while more are pending (other informers' handlers get their turn in between).
  void drain();
  static void dispatch(const Handlers& handlers, const Notification& n);
  // Lists every page; false when stopping or on an error.
  bool list_and_replace();
  void reset_backoff() { backoff_ = options_.initial_backoff; }
  void apply(std::string_view type, Json object);
  void replace(std::vector<Json> objects, std::string resource_version);
  // Callers hold mu_. index_locked files the object under every index (or takes it out);
  // reindex_locked moves it only in the indexes whose values differ between the two versions.
  void file_locked(std::string_view index, const std::string& key,
                   const std::vector<std::string>& values, bool add);
  void index_locked(const std::string& key, const ObjectPtr& object, bool add);
  void reindex_locked(const std::string& key, const ObjectPtr& old, const ObjectPtr& now);
  void notify_locked(Notification n);
  ObjectPtr prepare(Json object, std::string* key) const;

  RestClient& client_;
  const InformerOptions options_;

  mutable std::mutex mu_;  // guards everything below
  std::map<std::string, IndexFunc, std::less<>> index_funcs_;
  Handlers handlers_;
  uint64_t next_seq_ = 0;  // the number of the next notification
  mutable std::condition_variable cv_;
  std::map<std::string, ObjectPtr, std::less<>> items_;
  // index name -> value -> keys of the objects filed under it
  using IndexMap = std::map<std::string, std::set<std::string>, std::less<>>;
  std::map<std::string, IndexMap, std::less<>> indices_;
  std::deque<Notification> pending_;
  std::string resource_version_;
  bool synced_ = false;
  bool stopping_ = false;
  bool draining_ = false;  // a drain() is posted or running; cleared (and cv_ notified) when done
  int list_count_ = 0;
  bool started_ = false;
  bool need_list_ = true;    // the next reflector task lists first
  int reflect_tasks_ = 0;    // reflector tasks posted or running; each counts itself out at its end
  uint64_t loop_entry_ = 0;  // the WatchLoop entry (the watch stream or a back-off timer)
  std::shared_ptr<Watch> watch_;  // the open watch stream, read on the loop thread

  // Used by one task at a time (the reflector task, then the loop's callbacks, in turn; mu_ hands
  // over between them).
  std::chrono::milliseconds backoff_;
};

}  // namespace bosun::client
