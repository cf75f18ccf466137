// The pure arithmetic and bookkeeping of the Deployment controller, after Kubernetes'
// pkg/controller/deployment/util (deployment_util.go) and controller.ComputeHash: the pod template
// hash, maxSurge/maxUnavailable fenceposts, revision and replica annotations, proportional
// scaling shares, status and conditions. Used by deployment.cc and its tests. Pure functions on
// JSON values; safe from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::controller::deployment_util {

inline constexpr std::string_view kRevisionAnnotation = "deployment.kubernetes.io/revision";
inline constexpr std::string_view kRevisionHistoryAnnotation =
    "deployment.kubernetes.io/revision-history";
inline constexpr std::string_view kDesiredReplicasAnnotation =
    "deployment.kubernetes.io/desired-replicas";
inline constexpr std::string_view kMaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas";
inline constexpr std::string_view kChangeCauseAnnotation = "kubernetes.io/change-cause";
inline constexpr std::string_view kRollbackToAnnotation = "deprecated.deployment.rollback.to";
inline constexpr std::string_view kLastAppliedAnnotation =
    "kubectl.kubernetes.io/last-applied-configuration";
inline constexpr std::string_view kPodTemplateHashLabel = "pod-template-hash";
// maxRevHistoryLengthInChars of the deployment controller.
inline constexpr size_t kMaxRevisionHistoryLength = 2000;

// Condition types and reasons (deployment_util.go), as `kubectl rollout status` and describe read
// them.
inline constexpr std::string_view kAvailable = "Available";
inline constexpr std::string_view kProgressing = "Progressing";
inline constexpr std::string_view kReplicaFailure = "ReplicaFailure";
inline constexpr std::string_view kNewReplicaSetReason = "NewReplicaSetCreated";
inline constexpr std::string_view kFoundNewRSReason = "FoundNewReplicaSet";
inline constexpr std::string_view kReplicaSetUpdatedReason = "ReplicaSetUpdated";
inline constexpr std::string_view kNewRSAvailableReason = "NewReplicaSetAvailable";
inline constexpr std::string_view kTimedOutReason = "ProgressDeadlineExceeded";
inline constexpr std::string_view kPausedDeployReason = "DeploymentPaused";
inline constexpr std::string_view kResumedDeployReason = "DeploymentResumed";
inline constexpr std::string_view kFailedRSCreateReason = "ReplicaSetCreateError";
inline constexpr std::string_view kMinimumReplicasAvailable = "MinimumReplicasAvailable";
inline constexpr std::string_view kMinimumReplicasUnavailable = "MinimumReplicasUnavailable";

// A ReplicaSet the controller works on: a private, mutable copy of the cached object, shared by
// the lists (all, old, active) it appears in so that an update is seen by all of them.
using RsPtr = std::shared_ptr<Json>;
using RsList = std::vector<RsPtr>;

// ---- Reads that never throw (absent or mistyped fields read as zero / empty).
int64_t int_at(const Json& obj, std::string_view a, std::string_view b);
// spec.replicas, defaulted to 1 as the API server defaults it.
int32_t spec_replicas(const Json& obj);
int32_t status_count(const Json& obj, std::string_view field);
std::string annotation_or_empty(const Json& obj, std::string_view key);
// The revision annotation as a number; 0 when absent or unparsable (deploymentutil.Revision).
int64_t revision_of(const Json& rs);
bool is_rolling_update(const Json& d);
bool being_deleted(const Json& obj);

// ---- Hash and templates.

// rand.SafeEncodeString: each byte of `s` mapped onto the vowel-free alphabet of generated names.
std::string safe_encode_string(std::string_view s);
// controller.ComputeHash: FNV-32a over the template (our canonical, key-sorted JSON rather than
// Go's spew dump, so the value is stable but not Kubernetes' own) and, when set, the collision
// count as 8 little-endian bytes; the decimal of the sum, safely encoded.
std::string compute_hash(const Json& pod_template, std::optional<int32_t> collision_count);
// EqualIgnoreHash: the templates are semantically equal (Go zero values equal absent fields, as
// apimachinery's Semantic.DeepEqual treats nil and empty alike) once the pod-template-hash label
// is dropped from both.
bool equal_ignore_hash(const Json& t1, const Json& t2);
// Semantic equality of two JSON values with absent == null == zero value.
bool semantic_equal(const Json& a, const Json& b);

// ---- Fenceposts. Percentages: surge rounds up, unavailable rounds down.

// intstr.GetScaledValueFromIntOrPercent. A null value is 0; a string that is not "N%" is an error.
Result<int32_t> scaled_value(const Json* int_or_percent, int32_t total, bool round_up);
// ResolveFenceposts: {surge, unavailable}; both zero becomes unavailable 1.
Result<std::pair<int32_t, int32_t>> resolve_fenceposts(const Json* max_surge,
                                                       const Json* max_unavailable,
                                                       int32_t desired);
int32_t max_unavailable(const Json& d);
int32_t max_surge(const Json& d);

// ---- ReplicaSet lists.

int32_t total_spec_replicas(const RsList& rss);  // GetReplicaCountForReplicaSets
int32_t total_status(const RsList& rss, std::string_view field);
RsList filter_active(const RsList& rss);  // spec.replicas > 0
// ReplicaSetsByCreationTimestamp (name breaks ties); newest first when `newest_first`.
void sort_by_creation(RsList& rss, bool newest_first = false);
// ReplicaSetsBySizeOlder / ReplicaSetsBySizeNewer: larger first, ties by age.
void sort_by_size(RsList& rss, bool newer_first);
void sort_by_revision(RsList& rss);
// FindNewReplicaSet: the oldest ReplicaSet whose template equals the deployment's.
RsPtr find_new_rs(const Json& d, const RsList& rss);
// FindOldReplicaSets' second result: every ReplicaSet but the new one.
RsList find_old_rss(const Json& d, const RsList& rss, const RsPtr& new_rs);
int64_t max_revision(const RsList& rss);
// FindActiveOrLatest: the one active ReplicaSet, or the newest when none is active; null when
// several are active.
RsPtr find_active_or_latest(const RsPtr& new_rs, RsList old_rss);
// IsSaturated: the new ReplicaSet runs all desired replicas, all available.
bool is_saturated(const Json& d, const RsPtr& rs);

// ---- Scaling.

// NewRSNewReplicas: how big the new ReplicaSet may be now.
Result<int32_t> new_rs_new_replicas(const Json& d, const RsList& all, const Json& new_rs);
// GetProportion: the share of `to_add` a ReplicaSet gets in proportional scaling.
int32_t proportion(const Json& rs, const Json& d, int32_t to_add, int32_t added);

// ---- Annotations.

bool set_replicas_annotations(Json& rs, int32_t desired, int32_t max);
bool replicas_annotations_need_update(const Json& rs, int32_t desired, int32_t max);
// SetNewReplicaSetAnnotations: copies the deployment's annotations (not the skipped ones), raises
// the revision (keeping the old one in revision-history when this is a rollback to it), and on
// creation sets desired/max replicas. True when anything changed.
bool set_new_rs_annotations(const Json& d, Json& rs, int64_t new_revision, bool exists);
// SetDeploymentRevision: true when the annotation changed.
bool set_deployment_revision(Json& d, std::string_view revision);

// ---- Status and conditions (status is the JSON of apps/v1 DeploymentStatus).

const Json* get_condition(const Json& status, std::string_view type);
Json new_condition(std::string_view type, std::string_view status, std::string_view reason,
                   std::string_view message, Clock::WallTime now);
// SetDeploymentCondition: no change when status and reason are the same; lastTransitionTime kept
// when only the reason changes.
void set_condition(Json& status, Json condition);
void remove_condition(Json& status, std::string_view type);

bool has_progress_deadline(const Json& d);
// calculateStatus: counts from the ReplicaSets, observedGeneration, and the Available condition.
Json calculate_status(const RsList& all, const RsPtr& new_rs, const Json& d, Clock::WallTime now);
bool deployment_complete(const Json& d, const Json& status);
bool deployment_progressing(const Json& d, const Json& status);
bool deployment_timed_out(const Json& d, const Json& status, Clock::WallTime now);
// How long until the Progressing condition's lastUpdateTime + progressDeadlineSeconds.
std::optional<Clock::Duration> time_to_deadline(const Json& d, Clock::WallTime now);

}  // namespace bosun::controller::deployment_util
