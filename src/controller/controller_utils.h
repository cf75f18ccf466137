// The helpers Kubernetes' workload controllers share (pkg/controller/controller_utils.go and
// controller_ref_manager.go): expectations of in-flight creates and deletes, controller owner
// references (adopt / release by patch with a uid precondition), pod readiness and availability,
// active-pod filtering, the deletion ranking of ActivePodsWithRanks, slow-start batches and pods
// from a template. Used by the ReplicaSet and Deployment controllers. ControllerExpectations is
// thread-safe; everything else is a pure function or does its own (thread-safe) API calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/label_selector.h"
#include "api/object_meta.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::controller {

// ExpectationsTimeout: expectations older than this are considered satisfied, so a lost watch
// event cannot wedge a controller forever.
inline constexpr std::chrono::minutes kExpectationsTimeout{5};
// SlowStartInitialBatchSize.
inline constexpr int kSlowStartInitialBatchSize = 1;
// The annotation GetDeletionCostFromPodAnnotations reads (PodDeletionCost, on by default).
inline constexpr std::string_view kPodDeletionCostAnnotation =
    "controller.kubernetes.io/pod-deletion-cost";

// ControllerExpectations with UIDTrackingControllerExpectations' deletion tracking: per controller
// key, how many creates and deletes it issued and has not yet seen in its informer. A key with no
// record, with every expectation met, or whose record is older than kExpectationsTimeout is
// satisfied. Thread-safe.
class ControllerExpectations {
 public:
  explicit ControllerExpectations(Clock& clock) : clock_(clock) {}

  // SatisfiedExpectations.
  bool satisfied(const std::string& key) const;
  // ExpectCreations / ExpectDeletions: replace the record (and its timestamp).
  void expect_creations(const std::string& key, int64_t adds);
  void expect_deletions(const std::string& key, int64_t dels);
  // UIDTrackingControllerExpectations.ExpectDeletions: expects the deletion of exactly these
  // objects ("namespace/name"); only their deletions lower the count.
  void expect_deletions(const std::string& key, const std::vector<std::string>& object_keys);
  // CreationObserved / DeletionObserved (untracked: always lowers).
  void creation_observed(const std::string& key) { lower(key, 1, 0); }
  void deletion_observed(const std::string& key) { lower(key, 0, 1); }
  // The tracked form: lowers only when `object_key` was expected (DeletionObserved(rcKey, podKey)).
  void deletion_observed(const std::string& key, const std::string& object_key);
  void raise(const std::string& key, int64_t adds, int64_t dels);
  void lower(const std::string& key, int64_t adds, int64_t dels);
  // DeleteExpectations: the controller is gone.
  void remove(const std::string& key);

  struct Counts {
    int64_t adds = 0;
    int64_t dels = 0;
  };
  std::optional<Counts> get(const std::string& key) const;

 private:
  struct Record {
    int64_t adds = 0;
    int64_t dels = 0;
    Clock::MonoTime timestamp{};
    std::set<std::string> deleting;  // tracked object keys
  };
  Clock& clock_;
  mutable std::mutex mu_;  // guards records_
  std::map<std::string, Record> records_;
};

// ---- Owner references.

// metav1.NewControllerRef: controller=true, blockOwnerDeletion=true.
api::OwnerReference new_controller_ref(const Json& owner, std::string_view api_version,
                                       std::string_view kind);
// Sets `ref` as the object's controller reference, replacing any reference with the same uid.
void set_controller_ref(Json& object, const api::OwnerReference& ref);
// Whether the object's controller reference names `owner_uid`.
bool is_controlled_by(const Json& object, std::string_view owner_uid);
// The uid of the object's controller reference ("" when it has none); allocation-free, for the
// per-pod paths of a sync.
std::string_view controller_uid(const Json& object);

// ownerRefControllerPatch: a strategic merge patch adding `ref`, conditional on the dependent's uid
// (a recreated object under the same name is not adopted).
std::string adopt_patch(const api::OwnerReference& ref, std::string_view dependent_uid);
// deleteOwnerRefStrategicMergePatch: removes the references to `owner_uids`, conditional on the
// dependent's uid.
std::string release_patch(std::string_view dependent_uid,
                          const std::vector<std::string>& owner_uids);

// What a controller needs to claim dependents (PodControllerRefManager / ReplicaSetControllerRef-
// Manager): its object, its controller reference to set, its selector, the dependents' resource and
// the adoption check (RecheckDeletionTimestamp), called at most once per claim.
struct ClaimContext {
  client::RestClient* client = nullptr;
  const Json* owner = nullptr;
  api::OwnerReference ref;
  const api::LabelSelector* selector = nullptr;
  client::GroupVersionResource dependent_resource;
  std::function<Result<void>()> can_adopt;
  // Extra conditions for a match beyond the selector (ClaimPods' filters); may be empty.
  std::function<bool(const Json&)> filter;
};

struct ClaimResult {
  std::vector<client::ObjectPtr> claimed;
  // The first error of any adoption or release (the rest are claimed as far as possible).
  std::optional<Error> error;
};

// ClaimObject over every candidate: keeps what the owner already controls and still matches,
// releases what it controls but no longer matches (unless the owner is being deleted), adopts
// matching orphans in its namespace (unless the owner or the orphan is being deleted). Adopted
// objects are returned with the reference added.
ClaimResult claim_objects(const ClaimContext& ctx,
                          const std::vector<client::ObjectPtr>& candidates);

// RecheckDeletionTimestamp over a fresh GET of the owner: Errors when it is gone, was recreated
// (`original ReplicaSet ns/name is gone: got uid X, wanted Y`) or is being deleted.
Result<void> recheck_owner(client::RestClient& client, const client::GroupVersionResource& gvr,
                           std::string_view kind, const Json& owner);

// errors.HasStatusCause: one of the error's causes has this reason (e.g. "NamespaceTerminating",
// v1.NamespaceTerminatingCause: creates in a namespace being deleted fail, and controllers let
// them fail quietly).
bool has_status_cause(const Error& e, std::string_view reason);
inline constexpr std::string_view kNamespaceTerminatingCause = "NamespaceTerminating";

// ---- Pods.

// "namespace/name" (controller.PodKey).
std::string object_key(const Json& object);
// IsPodActive: not Succeeded, not Failed, not being deleted.
bool is_pod_active(const Json& pod);
// IsPodReady: the Ready condition is True.
bool is_pod_ready(const Json& pod);
// The Ready condition's lastTransitionTime when the pod is ready (podReadyTime).
std::optional<Clock::WallTime> pod_ready_time(const Json& pod);
// IsPodAvailable: ready, and for minReadySeconds > 0 ready since more than that long before `now`.
bool is_pod_available(const Json& pod, int64_t min_ready_seconds, Clock::WallTime now);
// FilterActivePods.
std::vector<client::ObjectPtr> filter_active_pods(const std::vector<client::ObjectPtr>& pods);
// maxContainerRestarts.
int64_t max_container_restarts(const Json& pod);

// ActivePods.Less: whether `a` should be deleted before `b` (unassigned, Pending < Unknown <
// Running, not ready, ready for less time, more restarts, newer).
bool active_pods_less(const Json& a, const Json& b);

// ActivePodsWithRanks sorted in place (first = first to delete), as the ReplicaSet controller
// ranks on scale-down with LogarithmicScaleDown (on by default since 1.22): unassigned < assigned,
// Pending < Unknown < Running, not ready < ready, lower pod-deletion-cost, more related pods on the
// same node (the rank), then ready time and creation time compared in log2 buckets of their age at
// `now` (ties broken by uid), with more restarts deleted first in between.
void sort_pods_for_deletion(std::vector<client::ObjectPtr>& pods, const std::vector<int>& ranks,
                            Clock::WallTime now);

// getPodsToDelete: the `diff` pods to delete out of `pods`, ranked by how many active pods of
// `related` share their node (getPodsRankedByRelatedPodsOnSameNode).
std::vector<client::ObjectPtr> pods_to_delete(const std::vector<client::ObjectPtr>& pods,
                                              const std::vector<client::ObjectPtr>& related,
                                              int diff, Clock::WallTime now);

// ---- Creation.

struct SlowStartResult {
  int successes = 0;
  std::optional<Error> error;  // the first error of the first batch that had one
};

// slowStartBatch: calls `fn` `count` times in batches of 1, 2, 4, ... (from `initial_batch_size`),
// each batch's calls concurrently (at most `parallelism` at once), stopping after the first batch
// with an error, so a failing create (quota, a terminating namespace) is not repeated hundreds of
// times.
SlowStartResult slow_start_batch(int count, int initial_batch_size,
                                 const std::function<Result<void>()>& fn, int parallelism = 16);

// GetPodFromTemplate: a pod with generateName `<owner>-`, the template's labels, annotations,
// finalizers and spec, and `controller_ref` (when given).
Json pod_from_template(const Json& pod_template, const Json& owner,
                       const api::OwnerReference* controller_ref);
// RealPodControl.CreatePodsWithGenerateName: BadRequest `unable to create pods, no labels` for a
// template without labels, else the created pod.
Result<Json> create_pod_from_template(client::RestClient& client, std::string_view ns,
                                      const Json& pod_template, const Json& owner,
                                      const api::OwnerReference* controller_ref);

// ---- Discovery.

// One resource the API server serves, in its group's preferred version (discovery's
// APIResource).
struct ServedResource {
  client::GroupVersionResource gvr;
  std::string api_version;  // "v1", "apps/v1"
  std::string kind;
  bool namespaced = false;
  std::vector<std::string> verbs;
  bool has_verb(std::string_view verb) const;
};

// Every top-level resource of /api/v1 and of each group's preferred version under /apis (no
// subresources), as the garbage collector's and namespace controller's discovery sees them.
Result<std::vector<ServedResource>> discover_resources(client::RestClient& client);

// ---- JSON access that never throws (cached objects are read-only and may be malformed).

const Json* find_path(const Json& object, std::initializer_list<std::string_view> path);
int64_t int_at(const Json& object, std::initializer_list<std::string_view> path,
               int64_t fallback = 0);
std::string_view string_at(const Json& object, std::initializer_list<std::string_view> path);

}  // namespace bosun::controller
