// ReplicaSetController: Kubernetes' pkg/controller/replicaset, which also serves
// ReplicationControllers (pkg/controller/replication wraps the same code): keeps `replicas` active
// pods matching the selector, creating them from the template in slow-start batches and deleting
// the lowest-ranked ones (at most burstReplicas per sync), adopts matching orphans and releases
// pods that stop matching, and writes status (replicas, fullyLabeledReplicas, readyReplicas,
// availableReplicas, observedGeneration, the ReplicaFailure condition) through /status when it
// changes. Expectations keep a sync from acting on a cache that has not yet seen its own writes.
// Thread-safe: handlers run on the informers' threads, reconcile on the workers.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/label_selector.h"
#include "client/event_recorder.h"
#include "controller/controller.h"
#include "controller/controller_utils.h"

namespace bosun::controller {

// Which of the two kinds a controller instance serves.
struct ReplicaSetKind {
  client::GroupVersionResource resource;
  std::string api_version;
  std::string kind;
  std::string controller_name;
  // ReplicationControllers select with a plain label map; ReplicaSets with a metav1.LabelSelector.
  bool map_selector = false;
  // The event source: "replicaset-controller", or "replication-controller" as
  // pkg/controller/replication names its recorder.
  std::string event_component;
};
const ReplicaSetKind& replica_set_kind();
const ReplicaSetKind& replication_controller_kind();

struct ReplicaSetControllerOptions {
  // BurstReplicas: the most pods one sync creates or deletes.
  int burst_replicas = 500;
  // How many creates or deletes of one batch are in flight at once.
  int parallelism = 16;
};

class ReplicaSetController final : public Controller {
 public:
  // Registers its handlers on the ReplicaSet (or ReplicationController) and pod informers, so it
  // must be built before the informers start.
  ReplicaSetController(ControllerContext context, const ReplicaSetKind& kind,
                       ReplicaSetControllerOptions options = {});
  ~ReplicaSetController() override;

  std::string_view name() const override { return kind_.controller_name; }
  ControllerExpectations& expectations() { return expectations_; }
  // SuccessfulCreate / FailedCreate / SuccessfulDelete / FailedDelete about the owner.
  client::EventRecorder& events() { return events_; }

  // The selector of a ReplicaSet or ReplicationController object (BadRequest when malformed).
  Result<api::LabelSelector> selector_of(const Json& owner) const;

  Result<void> reconcile(const std::string& key) override;

 private:
  // What a sync reads from a pod, computed once per pod version (on its informer event) instead
  // of on every sync of its owner: the views point into the immutable cached object.
  struct PodFacts {
    std::string_view ns;
    std::string_view controller_uid;
    const Json* labels = nullptr;
    bool active = false;
    bool ready = false;
    std::optional<Clock::WallTime> ready_since;
  };
  static PodFacts facts_of(const Json& pod);
  void remember(const client::ObjectPtr& pod);
  void forget_pod(const client::ObjectPtr& pod);

  void on_pod_add(const client::ObjectPtr& pod);
  void on_pod_update(const client::ObjectPtr& old_pod, const client::ObjectPtr& cur_pod);
  void on_pod_delete(const client::ObjectPtr& pod);
  // The owner a controller reference names, if it is one of ours and still the same object.
  client::ObjectPtr resolve_controller_ref(std::string_view ns, const api::OwnerReference& ref);
  // Every owner in the pod's namespace whose selector matches the pod's labels.
  std::vector<client::ObjectPtr> owners_selecting(const Json& pod);

  // The pods that can belong to `owner`: those it controls and those its selector may match (some
  // perhaps in other namespaces: the caller filters).
  std::vector<client::ObjectPtr> candidate_pods(const Json& owner,
                                                const api::LabelSelector& selector);
  // Pods controlled by the owner's siblings under the same controller (getIndirectlyRelatedPods).
  std::vector<client::ObjectPtr> related_pods(const Json& owner,
                                              const std::vector<client::ObjectPtr>& own);
  Result<void> manage_replicas(const std::string& key, const Json& owner,
                               const std::vector<client::ObjectPtr>& pods);
  Json calculate_status(const Json& owner, const std::vector<PodFacts>& pods,
                        const Result<void>& manage_error) const;
  // Writes `status` through /status unless it equals the current one; returns the object as
  // written (or as it was).
  Result<Json> update_status(const Json& owner, const Json& status);

  const ReplicaSetKind kind_;
  const ReplicaSetControllerOptions options_;
  client::Informer& owners_;
  client::Informer& pods_;
  ControllerExpectations expectations_;
  client::EventRecorder events_;

  std::mutex facts_mu_;  // guards facts_
  // By object identity; the entry holds the object so the pointer cannot be reused meanwhile.
  std::unordered_map<const Json*, std::pair<client::ObjectPtr, PodFacts>> facts_;
};

}  // namespace bosun::controller
