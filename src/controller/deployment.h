// DeploymentController: Kubernetes' deployment controller (pkg/controller/deployment) over the
// shared informers. Each Deployment owns ReplicaSets named <deployment>-<pod-template-hash>; a
// template change rolls out a new one by RollingUpdate (maxSurge/maxUnavailable) or Recreate;
// scaling mid-rollout is proportional; paused Deployments only scale; the revision, desired and
// max replicas annotations, revisionHistoryLimit and the Available/Progressing conditions
// (progressDeadlineSeconds on the injected clock) are kept as `kubectl rollout` reads them.
// Built by the controller-manager; thread-safety as Controller (workers never share a key).
#pragma once

#include <string>
#include <string_view>

#include "client/event_recorder.h"
#include "client/informer.h"
#include "controller/controller.h"

namespace bosun::controller {

class DeploymentController final : public Controller {
 public:
  // Registers handlers on the deployments, replicasets and pods informers of ctx.informers; start
  // the informers after constructing every controller.
  explicit DeploymentController(ControllerContext ctx);
  ~DeploymentController() override;

  std::string_view name() const override { return "deployment-controller"; }
  // ScalingReplicaSet, FailedCreate, SelectingAll and the DeploymentRollback family.
  client::EventRecorder& events() { return events_; }

  // The resources it reads and writes.
  static const client::GroupVersionResource& deployments_resource();
  static const client::GroupVersionResource& replica_sets_resource();

 protected:
  Result<void> reconcile(const std::string& key) override;

 private:
  struct Sync;  // one reconcile's state and steps (deployment.cc)

  void enqueue_object(const Json& deployment);
  // The owner of a ReplicaSet, or every Deployment whose selector matches an orphan.
  void enqueue_for_replica_set(const Json& rs, bool orphans_too);
  void on_pod_deleted(const Json& pod);

  client::Informer& deployments_;
  client::Informer& replica_sets_;
  client::Informer& pods_;
  client::EventRecorder events_;
};

}  // namespace bosun::controller
