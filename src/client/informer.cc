#include "client/informer.h"

#include <algorithm>
#include <utility>

#include "client/handler_pool.h"
#include "client/watch_loop.h"
#include "common/thread_util.h"

namespace bosun::client {
namespace {

std::string meta_string(const Json& object, const char* field) {
  if (!object.is_object()) return {};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  auto it = meta->find(field);
  return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> owner_uids(const Json& object) {
  std::vector<std::string> uids;
  if (!object.is_object()) return uids;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return uids;
  auto refs = meta->find("ownerReferences");
  if (refs == meta->end() || !refs->is_array()) return uids;
  for (const auto& ref : *refs) {
    if (ref.is_object() && ref.contains("uid") && ref["uid"].is_string()) {
      uids.push_back(ref["uid"].get<std::string>());
    }
  }
  return uids;
}

std::vector<std::string> label_pairs(const Json& object) {
  std::vector<std::string> pairs;
  if (!object.is_object()) return pairs;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return pairs;
  auto labels = meta->find("labels");
  if (labels == meta->end() || !labels->is_object()) return pairs;
  for (const auto& [k, v] : labels->items()) {
    if (v.is_string()) pairs.push_back(k + "=" + v.get<std::string>());
  }
  return pairs;
}

// A watch's share of the loop thread per call, checked every kWatchSliceCheck events (a clock
// read per event would cost more than many events do).
constexpr auto kWatchSliceTime = std::chrono::milliseconds(5);
constexpr int kWatchSliceCheck = 16;

// Where lists and watch requests run: each task is one request or a few pages, never a wait for
// a stream, so a few threads serve every informer; none is left once the informers have synced
// and watch quietly.
HandlerPool& reflector_pool() {
  static HandlerPool* pool = new HandlerPool(4, std::chrono::seconds(2), "inf-list");
  return *pool;
}

std::string namespace_of_key(std::string_view key) {
  size_t slash = key.find('/');
  return slash == std::string_view::npos ? std::string() : std::string(key.substr(0, slash));
}

}  // namespace

std::string Informer::key_of(const Json& object) {
  std::string ns = meta_string(object, "namespace");
  std::string name = meta_string(object, "name");
  return ns.empty() ? name : ns + "/" + name;
}

Informer::Informer(RestClient& client, InformerOptions options)
    : client_(client), options_(std::move(options)), backoff_(options_.initial_backoff) {
  index_funcs_.emplace(std::string(kOwnerUidIndex), owner_uids);
  index_funcs_.emplace(std::string(kLabelIndex), label_pairs);
}

Informer::~Informer() { stop(); }

void Informer::add_index(std::string name, IndexFunc fn) {
  std::lock_guard<std::mutex> lock(mu_);
  // Built over what is cached already (nothing before the first list), replacing an index of the
  // same name.
  auto& by_value = indices_[name];
  by_value.clear();
  for (const auto& [key, object] : items_) {
    for (auto& v : fn(*object)) by_value[std::move(v)].insert(key);
  }
  index_funcs_[std::move(name)] = std::move(fn);
}

void Informer::add_event_handler(EventHandler handler) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = std::make_shared<Handler>(Handler{std::move(handler), next_seq_});
  handlers_.push_back(h);
  // What is cached now, as adds to this handler alone; the changes queued before it joined (seq
  // below `since`) are already part of this state, so it skips them.
  for (const auto& [key, object] : items_) {
    Notification n{Notification::kAdd, nullptr, object};
    n.only = h.get();
    notify_locked(std::move(n));
  }
}

size_t Informer::handler_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return handlers_.size();
}

void Informer::start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  post_reflect_locked();
}

void Informer::stop() {
  uint64_t entry = 0;
  std::shared_ptr<Watch> watch;
  {
    std::unique_lock<std::mutex> lock(mu_);
    stopping_ = true;
    cv_.notify_all();
    // A list or watch request in flight ends within the client's timeout; no task, timer or
    // stream is set up once stopping_ is seen.
    // A count, not a flag: a watch handed to the loop can end and post the next task before the
    // task that handed it over has finished, and stop() must outwait both.
    cv_.wait(lock, [this] { return reflect_tasks_ == 0; });
    entry = std::exchange(loop_entry_, 0);
    watch = std::move(watch_);
  }
  // Waits for a callback of the entry that is running; none runs afterwards.
  if (entry != 0) WatchLoop::shared().remove(entry);
  watch.reset();
  // A drain already running finishes its current handler call; none starts after this.
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [this] { return !draining_; });
}

bool Informer::has_synced() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_;
}

bool Informer::wait_for_sync(std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [this] { return synced_ || stopping_; }) && synced_;
}

ObjectPtr Informer::get(std::string_view key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjectPtr> Informer::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, object] : items_) out.push_back(object);
  return out;
}

std::vector<std::string> Informer::keys() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, object] : items_) out.push_back(key);
  return out;
}

std::vector<ObjectPtr> Informer::by_index(std::string_view index, std::string_view value) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ObjectPtr> out;
  auto idx = indices_.find(index);
  if (idx == indices_.end()) return out;
  auto keys = idx->second.find(value);
  if (keys == idx->second.end()) return out;
  for (const auto& key : keys->second) {
    auto it = items_.find(key);
    if (it != items_.end()) out.push_back(it->second);
  }
  return out;
}

size_t Informer::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

std::string Informer::last_resource_version() const {
  std::lock_guard<std::mutex> lock(mu_);
  return resource_version_;
}

int Informer::list_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return list_count_;
}

void Informer::file_locked(std::string_view index, const std::string& key,
                           const std::vector<std::string>& values, bool add) {
  auto idx = indices_.find(index);
  if (idx == indices_.end()) idx = indices_.emplace(std::string(index), IndexMap()).first;
  auto& by_value = idx->second;
  for (const auto& v : values) {
    if (add) {
      by_value[v].insert(key);
    } else {
      auto it = by_value.find(v);
      if (it == by_value.end()) continue;
      it->second.erase(key);
      if (it->second.empty()) by_value.erase(it);
    }
  }
}

void Informer::index_locked(const std::string& key, const ObjectPtr& object, bool add) {
  std::string ns = namespace_of_key(key);
  if (!ns.empty()) file_locked(kNamespaceIndex, key, {ns}, add);
  for (const auto& [name, fn] : index_funcs_) file_locked(name, key, fn(*object), add);
}

void Informer::reindex_locked(const std::string& key, const ObjectPtr& old, const ObjectPtr& now) {
  // The namespace is part of the key, so only what the index functions give can move. Most updates
  // (a status, an annotation) move nothing, and two lookups in sets as large as a namespace are
  // skipped for each index.
  for (const auto& [name, fn] : index_funcs_) {
    std::vector<std::string> before = fn(*old);
    std::vector<std::string> after = fn(*now);
    if (before == after) continue;
    file_locked(name, key, before, false);
    file_locked(name, key, after, true);
  }
}

void Informer::notify_locked(Notification n) {
  if (handlers_.empty()) return;
  n.seq = next_seq_++;
  // The dispatcher sleeps only on an empty queue: waking it for every event of a busy watch costs
  // a futex call each while it is still working through the earlier ones.
  pending_.push_back(std::move(n));
  if (draining_ || stopping_) return;
  draining_ = true;
  HandlerPool::shared().post([this] { drain(); });
}

ObjectPtr Informer::prepare(Json object, std::string* key) const {
  *key = key_of(object);
  if (options_.transform) object = options_.transform(std::move(object));
  return std::make_shared<const Json>(std::move(object));
}

void Informer::apply(std::string_view type, Json object) {
  std::string rv = meta_string(object, "resourceVersion");
  if (type == "BOOKMARK") {
    std::lock_guard<std::mutex> lock(mu_);
    if (!rv.empty()) resource_version_ = rv;
    return;
  }
  std::string key;
  ObjectPtr ptr = prepare(std::move(object), &key);
  std::lock_guard<std::mutex> lock(mu_);
  if (!rv.empty()) resource_version_ = rv;
  auto it = items_.find(key);
  if (type == "DELETED") {
    if (it == items_.end()) return;
    ObjectPtr old = std::move(it->second);
    index_locked(key, old, false);
    items_.erase(it);
    notify_locked({Notification::kDelete, std::move(old), nullptr});
    return;
  }
  if (it == items_.end()) {
    items_.emplace(key, ptr);
    index_locked(key, ptr, true);
    notify_locked({Notification::kAdd, nullptr, std::move(ptr)});
    return;
  }
  ObjectPtr old = std::exchange(it->second, ptr);
  reindex_locked(key, old, ptr);
  notify_locked({Notification::kUpdate, std::move(old), std::move(ptr)});
}

void Informer::replace(std::vector<Json> objects, std::string resource_version) {
  std::map<std::string, ObjectPtr, std::less<>> fresh;
  for (auto& o : objects) {
    std::string key;
    ObjectPtr ptr = prepare(std::move(o), &key);
    fresh[key] = std::move(ptr);
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, old] : items_) {
    if (!fresh.count(key)) {
      index_locked(key, old, false);
      notify_locked({Notification::kDelete, old, nullptr});
    }
  }
  for (auto& [key, ptr] : fresh) {
    auto it = items_.find(key);
    if (it == items_.end()) {
      index_locked(key, ptr, true);
      notify_locked({Notification::kAdd, nullptr, ptr});
    } else {
      reindex_locked(key, it->second, ptr);
      // A re-list reports only objects that changed while the watch was away (client-go reports
      // every object as an update on re-list; handlers here never need the no-op ones).
      if (meta_string(*it->second, "resourceVersion") != meta_string(*ptr, "resourceVersion") ||
          *it->second != *ptr) {
        notify_locked({Notification::kUpdate, it->second, ptr});
      }
    }
  }
  items_ = std::move(fresh);
  resource_version_ = std::move(resource_version);
  ++list_count_;
  synced_ = true;
  cv_.notify_all();
}

void Informer::post_reflect_locked() {
  if (stopping_) return;
  ++reflect_tasks_;
  reflector_pool().post([this] { reflect(); });
}

void Informer::retry_after_backoff_locked() {
  if (stopping_) return;
  auto delay = backoff_;
  backoff_ = std::min(options_.max_backoff, backoff_ * 2);
  loop_entry_ = WatchLoop::shared().add_timer(delay, [this](bool) {
    std::lock_guard<std::mutex> lock(mu_);
    loop_entry_ = 0;
    post_reflect_locked();
    return WatchLoop::Next::kRemove;
  });
}

bool Informer::list_and_replace() {
  ListOptions o;
  o.label_selector = options_.label_selector;
  o.field_selector = options_.field_selector;
  o.limit = options_.page_size;
  std::vector<Json> objects;
  std::string rv;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return false;
    }
    auto page = client_.list(options_.resource, options_.namespace_name, o);
    if (!page.ok()) return false;
    Json& body = *page;
    auto items = body.find("items");
    if (items != body.end() && items->is_array()) {
      for (auto& item : *items) objects.push_back(std::move(item));
    }
    std::string next;
    if (body.contains("metadata") && body["metadata"].is_object()) {
      const Json& meta = body["metadata"];
      if (meta.contains("resourceVersion") && meta["resourceVersion"].is_string()) {
        rv = meta["resourceVersion"].get<std::string>();
      }
      if (meta.contains("continue") && meta["continue"].is_string()) {
        next = meta["continue"].get<std::string>();
      }
    }
    if (next.empty()) break;
    o.continue_token = next;
  }
  replace(std::move(objects), std::move(rv));
  return true;
}

void Informer::reflect() {
  for (;;) {
    bool list;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
      list = need_list_;
    }
    if (list) {
      if (!list_and_replace()) {
        std::lock_guard<std::mutex> lock(mu_);
        retry_after_backoff_locked();  // and list again
        break;
      }
      reset_backoff();
      std::lock_guard<std::mutex> lock(mu_);
      need_list_ = false;
    }
    WatchOptions o;
    o.label_selector = options_.label_selector;
    o.field_selector = options_.field_selector;
    o.timeout_seconds = options_.watch_timeout_seconds;
    o.allow_bookmarks = options_.allow_watch_bookmarks;
    o.resource_version = last_resource_version();
    auto started = Watch::start(client_, options_.resource, options_.namespace_name, o);
    std::lock_guard<std::mutex> lock(mu_);
    if (!started.ok()) {
      if (started.error().code == ErrorCode::kGone) {
        need_list_ =
            true;  // the resourceVersion was compacted away: re-list, as the reflector does
        continue;
      }
      retry_after_backoff_locked();  // and watch again from the same resourceVersion
      break;
    }
    if (stopping_) break;
    watch_ = std::shared_ptr<Watch>(std::move(started).value());
    loop_entry_ = WatchLoop::shared().add_socket(
        watch_->fd(), watch_->idle_timeout(),
        [this](bool timed_out) { return on_watch_ready(timed_out); }, watch_);
    break;
  }
  // The list and the connection's handshake were this thread's burst of allocation; what its
  // allocator cache holds now would only sit there.
  release_idle_memory();
  std::lock_guard<std::mutex> lock(mu_);
  --reflect_tasks_;
  cv_.notify_all();
}

WatchLoop::Next Informer::on_watch_ready(bool timed_out) {
  std::shared_ptr<Watch> watch;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || !watch_) return WatchLoop::Next::kRemove;
    watch = watch_;
  }
  enum { kResume, kBackoff, kRelist } next = kResume;
  if (timed_out) {
    // No event, bookmark or end for far longer than the server's bookmark interval and the
    // watch's timeout: a dead peer.
    next = kBackoff;
  } else {
    // One watch's share of the loop thread per call: a stream that keeps delivering (a re-list's
    // worth of events, a busy namespace) must not hold up every other informer's.
    const auto budget_end = std::chrono::steady_clock::now() + kWatchSliceTime;
    for (int applied = 0;; ++applied) {
      {
        // stop() waits for this callback: a stream that keeps delivering must not hold it.
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
      }
      if (applied > 0 && applied % kWatchSliceCheck == 0 &&
          std::chrono::steady_clock::now() >= budget_end) {
        return WatchLoop::Next::kAgain;
      }
      bool would_block = false;
      auto event = watch->try_next(&would_block);
      if (!event.ok()) {
        next = event.error().code == ErrorCode::kGone ? kRelist : kBackoff;
        break;
      }
      if (would_block) return WatchLoop::Next::kWait;
      if (!event->has_value()) break;  // timeoutSeconds passed: resume from the last RV
      reset_backoff();
      apply((*event)->type, std::move((*event)->object));
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  // The loop drops its reference (closing the socket) once the entry is gone.
  watch_.reset();
  loop_entry_ = 0;
  if (stopping_) return WatchLoop::Next::kRemove;
  switch (next) {
    case kRelist:
      need_list_ = true;
      post_reflect_locked();
      break;
    case kBackoff:
      retry_after_backoff_locked();
      break;
    case kResume:
      post_reflect_locked();
      break;
  }
  return WatchLoop::Next::kRemove;
}

void Informer::drain() {
  std::deque<Notification> batch;
  Handlers handlers;  // as registered when the batch was taken: a later one skips the batch
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) batch.swap(pending_);
    if (batch.empty()) {
      draining_ = false;
      cv_.notify_all();
      return;
    }
    handlers = handlers_;
  }
  for (const Notification& n : batch) {
    {
      // stop() is prompt: no handler starts once it was asked.
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) break;
    }
    dispatch(handlers, n);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_ || pending_.empty()) {
    draining_ = false;
    cv_.notify_all();
    return;
  }
  HandlerPool::shared().post([this] { drain(); });
}

void Informer::dispatch(const Handlers& handlers, const Notification& n) {
  for (const auto& handler : handlers) {
    if (n.only != nullptr ? n.only != handler.get() : n.seq < handler->since) continue;
    const EventHandler& h = handler->fns;
    switch (n.kind) {
      case Notification::kAdd:
        if (h.on_add) h.on_add(n.new_object);
        break;
      case Notification::kUpdate:
        if (h.on_update) h.on_update(n.old_object, n.new_object);
        break;
      case Notification::kDelete:
        if (h.on_delete) h.on_delete(n.old_object);
        break;
    }
  }
}

}  // namespace bosun::client
