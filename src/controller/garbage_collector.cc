#include "controller/garbage_collector.h"

#include <fmt/format.h>

#include <set>

#include "common/log.h"

namespace bosun::controller {

namespace {

constexpr int kFinalizerAttempts = 8;

std::string group_of(std::string_view api_version) {
  size_t slash = api_version.find('/');
  return slash == std::string_view::npos ? std::string()
                                         : std::string(api_version.substr(0, slash));
}

const Json& owner_refs_json(const Json& obj) {
  static const Json kNone = Json::array();
  const Json* refs = find_path(obj, {"metadata", "ownerReferences"});
  return refs != nullptr && refs->is_array() ? *refs : kNone;
}

bool deleting_dependents(const Json& obj) {
  return !api::deletion_timestamp(obj).empty() &&
         api::has_finalizer(obj, api::kFinalizerDeleteDependents);
}

std::string delete_key(std::string_view uid) { return fmt::format("d/{}", uid); }
std::string orphan_key(std::string_view uid) { return fmt::format("o/{}", uid); }

}  // namespace

Result<std::unique_ptr<GarbageCollector>> GarbageCollector::create(ControllerContext context) {
  BOSUN_ASSIGN_OR_RETURN(auto served, discover_resources(context.client));
  std::vector<ServedResource> deletable;
  for (auto& r : served) {
    // GetDeletableResources, minus the garbage collector's ignoredResources (events).
    if (!r.has_verb("list") || !r.has_verb("watch") || !r.has_verb("delete")) continue;
    if (r.gvr.resource == "events" && (r.gvr.group.empty() || r.gvr.group == "events.k8s.io")) {
      continue;
    }
    deletable.push_back(std::move(r));
  }
  return std::unique_ptr<GarbageCollector>(new GarbageCollector(context, std::move(deletable)));
}

GarbageCollector::GarbageCollector(ControllerContext context, std::vector<ServedResource> resources)
    : Controller(context), resources_(std::move(resources)) {
  for (size_t i = 0; i < resources_.size(); ++i) {
    informers_.push_back(&ctx_.informers.informer(resources_[i].gvr));
    by_group_kind_.emplace(fmt::format("{}/{}", resources_[i].gvr.group, resources_[i].kind), i);
    register_handlers(i);
  }
}

GarbageCollector::~GarbageCollector() { stop(); }

void GarbageCollector::register_handlers(size_t index) {
  client::EventHandler h;
  h.on_add = [this, index](const client::ObjectPtr& o) { on_upsert(index, nullptr, o); };
  h.on_update = [this, index](const client::ObjectPtr& old_o, const client::ObjectPtr& o) {
    on_upsert(index, old_o, o);
  };
  h.on_delete = [this, index](const client::ObjectPtr& o) { on_delete(index, o); };
  informers_[index]->add_event_handler(std::move(h));
}

void GarbageCollector::on_upsert(size_t index, const client::ObjectPtr& old_obj,
                                 const client::ObjectPtr& obj) {
  std::string uid(api::uid(*obj));
  {
    std::lock_guard lock(mu_);
    if (old_obj && api::uid(*old_obj) != uid) uids_.erase(std::string(api::uid(*old_obj)));
    uids_[uid] = {index, client::Informer::key_of(*obj)};
  }
  const Json& refs = owner_refs_json(*obj);
  const Json& old_refs = old_obj ? owner_refs_json(*old_obj) : Json::array();
  // A new dependent, or one whose owners changed: check whether its owners exist (upstream's
  // virtual nodes for owners not yet in the graph lead to the same check).
  if (!refs.empty() && (!old_obj || refs != old_refs)) enqueue(delete_key(uid));
  if (old_obj && refs != old_refs) {
    // An owner waiting for its dependents may have lost a blocking one.
    std::set<std::string> now;
    for (const Json& r : refs) now.insert(r.value("uid", std::string()));
    for (const Json& r : old_refs) {
      std::string owner = r.value("uid", std::string());
      if (!now.count(owner)) enqueue(delete_key(owner));
    }
  }
  if (!api::deletion_timestamp(*obj).empty()) {
    if (api::has_finalizer(*obj, api::kFinalizerDeleteDependents)) enqueue(delete_key(uid));
    if (api::has_finalizer(*obj, api::kFinalizerOrphanDependents)) enqueue(orphan_key(uid));
  }
}

void GarbageCollector::on_delete(size_t, const client::ObjectPtr& obj) {
  std::string uid(api::uid(*obj));
  {
    std::lock_guard lock(mu_);
    auto it = uids_.find(uid);
    if (it != uids_.end() && it->second.second == client::Informer::key_of(*obj)) uids_.erase(it);
  }
  // Its dependents may now be garbage.
  for (const Located& d : dependents_of(uid)) enqueue(delete_key(api::uid(*d.object)));
  // An owner deleting in the foreground may have been waiting for this one.
  for (const api::OwnerReference& ref : api::owner_references(*obj)) {
    auto owner = find_by_uid(ref.uid);
    if (owner && deleting_dependents(*owner->object)) enqueue(delete_key(ref.uid));
  }
}

std::optional<GarbageCollector::Located> GarbageCollector::find_by_uid(std::string_view uid) const {
  std::pair<size_t, std::string> at;
  {
    std::lock_guard lock(mu_);
    auto it = uids_.find(std::string(uid));
    if (it == uids_.end()) return std::nullopt;
    at = it->second;
  }
  auto obj = informers_[at.first]->get(at.second);
  if (!obj || api::uid(*obj) != uid) return std::nullopt;
  return Located{at.first, std::move(obj)};
}

std::vector<GarbageCollector::Located> GarbageCollector::dependents_of(std::string_view uid) const {
  std::vector<Located> out;
  for (size_t i = 0; i < informers_.size(); ++i) {
    for (auto& o : informers_[i]->by_index(client::Informer::kOwnerUidIndex, uid)) {
      out.push_back({i, std::move(o)});
    }
  }
  return out;
}

const ServedResource* GarbageCollector::resource_for(std::string_view api_version,
                                                     std::string_view kind) const {
  auto it = by_group_kind_.find(fmt::format("{}/{}", group_of(api_version), kind));
  return it == by_group_kind_.end() ? nullptr : &resources_[it->second];
}

Result<void> GarbageCollector::reconcile(const std::string& key) {
  if (key.size() < 2 || key[1] != '/') return ok_result();
  std::string_view uid = std::string_view(key).substr(2);
  if (key[0] == 'o') return attempt_to_orphan(uid);
  return attempt_to_delete(uid);
}

Result<void> GarbageCollector::attempt_to_delete(std::string_view uid) {
  auto item = find_by_uid(uid);
  // Gone already, or not (yet) cached: its own add event brings it back.
  if (!item) return ok_result();
  const Json& obj = *item->object;
  if (!api::deletion_timestamp(obj).empty()) {
    // Being deleted without waiting for dependents: its delete event will come.
    if (!api::has_finalizer(obj, api::kFinalizerDeleteDependents)) return ok_result();
    return process_deleting_dependents(*item);
  }
  auto refs = api::owner_references(obj);
  if (refs.empty()) return ok_result();

  // classifyReferences.
  std::vector<api::OwnerReference> solid, dangling, waiting;
  for (const api::OwnerReference& ref : refs) {
    client::ObjectPtr owner;
    if (auto cached = find_by_uid(ref.uid)) {
      owner = cached->object;
    } else {
      const ServedResource* r = resource_for(ref.api_version, ref.kind);
      if (r == nullptr) {
        return make_error(ErrorCode::kNotFound, fmt::format("unable to get REST mapping for {}/{}",
                                                            ref.api_version, ref.kind));
      }
      // Not in the cache: ask the API server, as isDangling does, so a just-created owner is not
      // mistaken for a missing one.
      auto live = ctx_.client.get(r->gvr, r->namespaced ? api::namespace_of(obj) : "", ref.name);
      if (!live.ok() && live.error().code != ErrorCode::kNotFound) return std::move(live).error();
      if (live.ok() && api::uid(*live) == ref.uid) {
        owner = std::make_shared<const Json>(std::move(live).value());
      }
    }
    if (!owner) {
      dangling.push_back(ref);
    } else if (deleting_dependents(*owner)) {
      waiting.push_back(ref);
    } else {
      solid.push_back(ref);
    }
  }

  const ServedResource& resource = resources_[item->resource];
  if (!solid.empty()) {
    if (dangling.empty() && waiting.empty()) return ok_result();
    // Other owners keep it alive: only the references to absent or departing owners go.
    std::vector<std::string> uids;
    for (const auto& r : dangling) uids.push_back(r.uid);
    for (const auto& r : waiting) uids.push_back(r.uid);
    return remove_owner_refs(*item, uids);
  }

  client::DeleteOptions options;
  options.precondition_uid = std::string(uid);
  if (!waiting.empty() && !dependents_of(uid).empty()) {
    // An owner waits for it and it has dependents of its own: delete it in the foreground too.
    // If one of its dependents is itself waiting (a cycle), stop blocking our owners first, as
    // upstream does, or neither could finish.
    for (const Located& d : dependents_of(uid)) {
      if (!deleting_dependents(*d.object)) continue;
      Json unblock = Json::array();
      for (const auto& r : refs) {
        if (r.block_owner_deletion)
          unblock.push_back({{"uid", r.uid}, {"blockOwnerDeletion", false}});
      }
      if (!unblock.empty()) {
        Json patch = {{"metadata", {{"ownerReferences", unblock}, {"uid", uid}}}};
        auto r = ctx_.client.patch(resource.gvr, api::namespace_of(obj), api::name(obj),
                                   client::PatchType::kStrategicMerge, patch.dump());
        if (!r.ok() && r.error().code != ErrorCode::kNotFound) return std::move(r).error();
      }
      break;
    }
    options.propagation_policy = "Foreground";
  } else if (api::has_finalizer(obj, api::kFinalizerOrphanDependents)) {
    options.propagation_policy = "Orphan";
  } else if (api::has_finalizer(obj, api::kFinalizerDeleteDependents)) {
    options.propagation_policy = "Foreground";
  } else {
    options.propagation_policy = "Background";
  }
  SPDLOG_DEBUG("{}: deleting {} {}/{} ({})", name(), resource.gvr.resource, api::namespace_of(obj),
               api::name(obj), options.propagation_policy);
  auto removed = ctx_.client.remove(resource.gvr, api::namespace_of(obj), api::name(obj), options);
  // Gone, or replaced by another object of the same name (the uid precondition): done either way.
  if (!removed.ok() && removed.error().code != ErrorCode::kNotFound &&
      removed.error().code != ErrorCode::kConflict) {
    return std::move(removed).error();
  }
  return ok_result();
}

Result<void> GarbageCollector::process_deleting_dependents(const Located& owner) {
  std::string_view uid = api::uid(*owner.object);
  bool blocked = false;
  for (const Located& d : dependents_of(uid)) {
    for (const api::OwnerReference& ref : api::owner_references(*d.object)) {
      if (ref.uid == uid && ref.block_owner_deletion) blocked = true;
    }
    // Every dependent goes; those that are themselves waiting on theirs are already on it.
    if (!deleting_dependents(*d.object)) enqueue(delete_key(api::uid(*d.object)));
  }
  if (blocked) return ok_result();
  return remove_finalizer(owner, api::kFinalizerDeleteDependents);
}

Result<void> GarbageCollector::attempt_to_orphan(std::string_view uid) {
  auto owner = find_by_uid(uid);
  if (!owner) return ok_result();
  if (api::deletion_timestamp(*owner->object).empty() ||
      !api::has_finalizer(*owner->object, api::kFinalizerOrphanDependents)) {
    return ok_result();
  }
  for (const Located& d : dependents_of(uid)) {
    BOSUN_RETURN_IF_ERROR(remove_owner_refs(d, {std::string(uid)}));
  }
  return remove_finalizer(*owner, api::kFinalizerOrphanDependents);
}

Result<void> GarbageCollector::remove_finalizer(const Located& obj, std::string_view finalizer) {
  const ServedResource& r = resources_[obj.resource];
  std::string_view ns = api::namespace_of(*obj.object);
  std::string_view name = api::name(*obj.object);
  for (int attempt = 0;; ++attempt) {
    auto fresh = ctx_.client.get(r.gvr, ns, name);
    if (!fresh.ok()) {
      if (fresh.error().code == ErrorCode::kNotFound) return ok_result();
      return std::move(fresh).error();
    }
    if (api::uid(*fresh) != api::uid(*obj.object)) return ok_result();
    std::vector<std::string> kept;
    bool found = false;
    for (std::string& f : api::finalizers(*fresh)) {
      if (f == finalizer) {
        found = true;
      } else {
        kept.push_back(std::move(f));
      }
    }
    if (!found) return ok_result();
    // The resourceVersion makes the patch conditional: a concurrent finalizer change is a 409.
    Json patch = {
        {"metadata", {{"finalizers", kept}, {"resourceVersion", api::resource_version(*fresh)}}}};
    auto patched = ctx_.client.patch(r.gvr, ns, name, client::PatchType::kMerge, patch.dump());
    if (patched.ok()) return ok_result();
    if (patched.error().code == ErrorCode::kNotFound) return ok_result();
    if (patched.error().code != ErrorCode::kConflict || attempt + 1 >= kFinalizerAttempts) {
      return std::move(patched).error();
    }
  }
}

Result<void> GarbageCollector::remove_owner_refs(const Located& dependent,
                                                 const std::vector<std::string>& owner_uids) {
  const ServedResource& r = resources_[dependent.resource];
  auto patched = ctx_.client.patch(r.gvr, api::namespace_of(*dependent.object),
                                   api::name(*dependent.object), client::PatchType::kStrategicMerge,
                                   release_patch(api::uid(*dependent.object), owner_uids));
  // Gone, or recreated (the uid precondition fails as Invalid): nothing to remove.
  if (!patched.ok() && patched.error().code != ErrorCode::kNotFound &&
      patched.error().code != ErrorCode::kInvalid) {
    return std::move(patched).error();
  }
  return ok_result();
}

}  // namespace bosun::controller
