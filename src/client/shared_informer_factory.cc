#include "client/shared_informer_factory.h"

#include <algorithm>
#include <vector>

namespace bosun::client {

namespace {

std::string key_of(const GroupVersionResource& gvr) {
  return gvr.group + "/" + gvr.version + "/" + gvr.resource;
}

Json without_managed_fields(Json object) {
  if (auto m = object.find("metadata"); m != object.end() && m->is_object()) {
    m->erase("managedFields");
  }
  return object;
}

}  // namespace

SharedInformerFactory::~SharedInformerFactory() { stop(); }

Informer& SharedInformerFactory::informer(const GroupVersionResource& gvr) {
  std::lock_guard lock(mu_);
  auto& slot = informers_[key_of(gvr)];
  if (!slot) {
    InformerOptions options;
    options.resource = gvr;
    options.transform = without_managed_fields;
    slot = std::make_unique<Informer>(client_, std::move(options));
  }
  return *slot;
}

void SharedInformerFactory::start() {
  std::lock_guard lock(mu_);
  for (auto& [key, informer] : informers_) {
    if (started_[key]) continue;
    started_[key] = true;
    informer->start();
  }
}

bool SharedInformerFactory::wait_for_sync(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<Informer*> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [key, informer] : informers_) all.push_back(informer.get());
  }
  for (auto* informer : all) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (!informer->wait_for_sync(std::max(left, std::chrono::milliseconds(0)))) return false;
  }
  return true;
}

void SharedInformerFactory::stop() {
  std::lock_guard lock(mu_);
  for (auto& [key, informer] : informers_) informer->stop();
}

EventHandler filtering_handler(std::function<bool(const Json&)> keep, EventHandler inner) {
  auto shared_keep = std::make_shared<std::function<bool(const Json&)>>(std::move(keep));
  auto shared_inner = std::make_shared<EventHandler>(std::move(inner));
  EventHandler h;
  h.on_add = [shared_keep, shared_inner](const ObjectPtr& o) {
    if ((*shared_keep)(*o) && shared_inner->on_add) shared_inner->on_add(o);
  };
  h.on_update = [shared_keep, shared_inner](const ObjectPtr& old_object,
                                            const ObjectPtr& new_object) {
    const bool was_in = (*shared_keep)(*old_object);
    const bool is_in = (*shared_keep)(*new_object);
    if (was_in && is_in) {
      if (shared_inner->on_update) shared_inner->on_update(old_object, new_object);
    } else if (was_in) {
      if (shared_inner->on_delete) shared_inner->on_delete(old_object);
    } else if (is_in) {
      if (shared_inner->on_add) shared_inner->on_add(new_object);
    }
  };
  h.on_delete = [shared_keep, shared_inner](const ObjectPtr& o) {
    if ((*shared_keep)(*o) && shared_inner->on_delete) shared_inner->on_delete(o);
  };
  return h;
}

}  // namespace bosun::client
