// GarbageCollector: Kubernetes' pkg/controller/garbagecollector over the ownerReferences of every
// resource the cluster serves with list, watch and delete (events excepted). Dependents whose
// owners are all gone (deleted, or replaced by an object with another uid) are deleted; references
// to absent owners are removed when other owners remain. Foreground deletion: an owner carrying
// the `foregroundDeletion` finalizer has its dependents deleted, and loses the finalizer once no
// dependent with blockOwnerDeletion remains. Orphan: an owner carrying the `orphan` finalizer has
// its references removed from every dependent, then loses the finalizer. Instead of upstream's
// separate graph, the informers' owner-uid indexes are the graph and a uid -> object map finds
// owners. Queue keys are "d/<uid>" (attemptToDelete) and "o/<uid>" (attemptToOrphan).
// Thread-safe: handlers run on the informers' threads, reconcile on the workers.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controller/controller.h"
#include "controller/controller_utils.h"

namespace bosun::controller {

class GarbageCollector final : public Controller {
 public:
  // Discovers the deletable resources and registers an informer (with handlers) for each, so it
  // must be built before the informers start.
  static Result<std::unique_ptr<GarbageCollector>> create(ControllerContext context);
  ~GarbageCollector() override;

  std::string_view name() const override { return "garbage-collector-controller"; }
  // The resources whose objects the collector tracks.
  const std::vector<ServedResource>& resources() const { return resources_; }

  Result<void> reconcile(const std::string& key) override;

 private:
  struct Located {
    size_t resource = 0;
    client::ObjectPtr object;
  };

  GarbageCollector(ControllerContext context, std::vector<ServedResource> resources);
  void register_handlers(size_t index);
  void on_upsert(size_t index, const client::ObjectPtr& old_obj, const client::ObjectPtr& obj);
  void on_delete(size_t index, const client::ObjectPtr& obj);

  // The cached object with this uid, if the collector's informers hold it.
  std::optional<Located> find_by_uid(std::string_view uid) const;
  // Every cached object with an ownerReference to `uid`.
  std::vector<Located> dependents_of(std::string_view uid) const;
  // The resource a reference's apiVersion/kind names (any version of the group).
  const ServedResource* resource_for(std::string_view api_version, std::string_view kind) const;

  Result<void> attempt_to_delete(std::string_view uid);
  Result<void> process_deleting_dependents(const Located& owner);
  Result<void> attempt_to_orphan(std::string_view uid);
  // Removes `finalizer` from the object's metadata.finalizers, retrying on conflicts.
  Result<void> remove_finalizer(const Located& obj, std::string_view finalizer);
  // Removes the references to `owner_uids` from a dependent (uid precondition).
  Result<void> remove_owner_refs(const Located& dependent,
                                 const std::vector<std::string>& owner_uids);

  const std::vector<ServedResource> resources_;
  std::vector<client::Informer*> informers_;
  std::map<std::string, size_t, std::less<>> by_group_kind_;  // "group/Kind"

  mutable std::mutex mu_;  // guards uids_
  // uid -> (resource, informer key).
  std::unordered_map<std::string, std::pair<size_t, std::string>> uids_;
};

}  // namespace bosun::controller
