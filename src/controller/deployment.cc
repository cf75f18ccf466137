#include "controller/deployment.h"

#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "api/label_selector.h"
#include "api/object_meta.h"
#include "common/log.h"
#include "common/time_format.h"
#include "controller/controller_utils.h"
#include "controller/deployment_util.h"

namespace bosun::controller {

using namespace deployment_util;  // NOLINT: this file is the deployment controller

namespace {

const client::GroupVersionResource kDeploymentsGvr{"apps", "v1", "deployments"};
const client::GroupVersionResource kReplicaSetsGvr{"apps", "v1", "replicasets"};

std::string str_at(const Json& obj, std::string_view a, std::string_view b) {
  if (!obj.is_object()) return {};
  auto outer = obj.find(a);
  if (outer == obj.end() || !outer->is_object()) return {};
  auto inner = outer->find(b);
  return inner != outer->end() && inner->is_string() ? inner->get<std::string>() : std::string();
}

std::string name_of(const Json& obj) { return str_at(obj, "metadata", "name"); }
std::string uid_of(const Json& obj) { return str_at(obj, "metadata", "uid"); }

const Json& spec_field(const Json& obj, std::string_view field) {
  static const Json kNull;
  if (!obj.is_object() || !obj.contains("spec") || !obj["spec"].is_object()) return kNull;
  auto it = obj["spec"].find(field);
  return it == obj["spec"].end() ? kNull : *it;
}

Result<api::LabelSelector> selector_of(const Json& d) {
  return api::LabelSelector::from_json(spec_field(d, "selector"));
}

const Json& labels_of(const Json& obj) {
  static const Json kEmpty = Json::object();
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return kEmpty;
  auto it = obj["metadata"].find("labels");
  return it == obj["metadata"].end() ? kEmpty : *it;
}

Json controller_ref(const Json& d) {
  return Json{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"name", name_of(d)},
              {"uid", uid_of(d)},        {"controller", true},   {"blockOwnerDeletion", true}};
}

bool is_not_found(const Error& e) { return e.code == ErrorCode::kNotFound; }

}  // namespace

const client::GroupVersionResource& DeploymentController::deployments_resource() {
  return kDeploymentsGvr;
}
const client::GroupVersionResource& DeploymentController::replica_sets_resource() {
  return kReplicaSetsGvr;
}

// ---- One reconcile -----------------------------------------------------------------------------

struct DeploymentController::Sync {
  DeploymentController& c;
  client::RestClient& client;
  Clock& clock;
  std::string key;
  Json d;  // our copy of the Deployment; refreshed from every status write
  std::string ns;

  Clock::WallTime now() const { return clock.now(); }

  // The revision annotation goes with the status, as Kubernetes writes it: a Deployment's status
  // writes may change its annotations (deploymentStatusStrategy), and cost no generation.
  Result<void> update_status() {
    BOSUN_ASSIGN_OR_RETURN(Json updated, client.update_status(kDeploymentsGvr, ns, d));
    d = std::move(updated);
    return {};
  }

  // ---- ReplicaSets of the Deployment: adopt matching orphans, release owned ones that stopped
  // matching (ControllerRefManager.ClaimReplicaSets).
  Result<RsList> claim_replica_sets(const api::LabelSelector& selector) {
    RsList owned;
    std::optional<bool> can_adopt;  // checked against a fresh read, once (RecheckDeletionTimestamp)
    for (const auto& cached : c.replica_sets_.by_index(client::Informer::kNamespaceIndex, ns)) {
      const Json& rs = *cached;
      bool matches = selector.matches(labels_of(rs));
      auto ref = api::controller_of(rs);
      if (ref) {
        if (ref->uid != uid_of(d)) continue;
        if (matches) {
          owned.push_back(std::make_shared<Json>(rs));
          continue;
        }
        if (being_deleted(d)) continue;
        Json copy = rs;
        Json kept = Json::array();
        for (const Json& r : copy["metadata"]["ownerReferences"]) {
          if (r.value("uid", "") != uid_of(d)) kept.push_back(r);
        }
        copy["metadata"]["ownerReferences"] = std::move(kept);
        auto released = client.update(kReplicaSetsGvr, ns, copy);
        if (!released.ok() && !is_not_found(released.error())) return released.error();
        continue;
      }
      if (!matches || being_deleted(d) || being_deleted(rs)) continue;
      if (!can_adopt) {
        auto fresh = client.get(kDeploymentsGvr, ns, name_of(d));
        if (!fresh.ok()) return fresh.error();
        can_adopt = uid_of(*fresh) == uid_of(d) && !being_deleted(*fresh);
      }
      if (!*can_adopt) continue;
      Json copy = rs;
      Json& refs = copy["metadata"]["ownerReferences"];
      if (!refs.is_array()) refs = Json::array();
      refs.push_back(controller_ref(d));
      auto adopted = client.update(kReplicaSetsGvr, ns, copy);
      if (!adopted.ok()) {
        if (is_not_found(adopted.error())) continue;
        return adopted.error();
      }
      owned.push_back(std::make_shared<Json>(std::move(adopted).value()));
    }
    return owned;
  }

  // ---- Scaling one ReplicaSet (scaleReplicaSet): the size and the desired/max annotations.
  Result<bool> scale_rs(const RsPtr& rs, int32_t new_scale) {
    int32_t replicas = spec_replicas(d);
    int32_t max = replicas + max_surge(d);
    bool size_changes = spec_replicas(*rs) != new_scale;
    if (!size_changes && !replicas_annotations_need_update(*rs, replicas, max)) return false;
    Json copy = *rs;
    copy["spec"]["replicas"] = new_scale;
    set_replicas_annotations(copy, replicas, max);
    BOSUN_ASSIGN_OR_RETURN(Json updated, client.update(kReplicaSetsGvr, ns, copy));
    if (size_changes) scaling_event(name_of(*rs), spec_replicas(*rs), new_scale);
    *rs = std::move(updated);
    return size_changes;
  }

  // The events `kubectl describe deployment` lists, about the Deployment as last read.
  void event(std::string_view type, std::string_view reason, std::string message) {
    c.events_.event(client::ObjectReference::of(d, "apps/v1", "Deployment"), type, reason,
                    std::move(message));
  }
  // scaleReplicaSet's ScalingReplicaSet, worded as the deployment controller words it.
  void scaling_event(const std::string& rs_name, int32_t from, int32_t to) {
    event("Normal", "ScalingReplicaSet",
          fmt::format("Scaled {} replica set {} from {} to {}", to > from ? "up" : "down", rs_name,
                      from, to));
  }

  Result<bool> scale_rs_if_needed(const RsPtr& rs, int32_t new_scale) {
    if (spec_replicas(*rs) == new_scale) return false;
    return scale_rs(rs, new_scale);
  }

  // ---- The new ReplicaSet (getNewReplicaSet) and the revision bookkeeping.
  Result<RsPtr> new_replica_set(const RsList& rss, const RsList& old_rss, bool create) {
    RsPtr existing = find_new_rs(d, rss);
    int64_t new_revision = max_revision(old_rss) + 1;
    if (existing) {
      Json copy = *existing;
      bool annotations_changed = set_new_rs_annotations(d, copy, new_revision, true);
      int64_t min_ready = int_at(d, "spec", "minReadySeconds");
      if (annotations_changed || int_at(copy, "spec", "minReadySeconds") != min_ready) {
        copy["spec"]["minReadySeconds"] = min_ready;
        BOSUN_ASSIGN_OR_RETURN(Json updated, client.update(kReplicaSetsGvr, ns, copy));
        *existing = std::move(updated);
        return existing;
      }
      // The Deployment takes the ReplicaSet's revision, which a rollback may have raised.
      bool needs_update =
          set_deployment_revision(d, annotation_or_empty(copy, kRevisionAnnotation));
      if (has_progress_deadline(d) && !get_condition(d["status"], kProgressing)) {
        set_condition(
            d["status"],
            new_condition(kProgressing, "True", kFoundNewRSReason,
                          fmt::format("Found new replica set \"{}\"", name_of(copy)), now()));
        needs_update = true;
      }
      if (needs_update) BOSUN_RETURN_IF_ERROR(update_status());
      return existing;
    }
    if (!create) return RsPtr();

    std::optional<int32_t> collision_count;
    if (const Json& cc = d["status"]["collisionCount"]; cc.is_number()) {
      collision_count = cc.get<int32_t>();
    }
    Json tmpl = spec_field(d, "template");
    if (!tmpl.is_object()) tmpl = Json::object();
    std::string hash = compute_hash(tmpl, collision_count);
    Json& tmpl_labels = tmpl["metadata"]["labels"];
    if (!tmpl_labels.is_object()) tmpl_labels = Json::object();
    tmpl_labels[std::string(kPodTemplateHashLabel)] = hash;
    Json selector = spec_field(d, "selector");
    if (!selector.is_object()) selector = Json::object();
    if (!selector["matchLabels"].is_object()) selector["matchLabels"] = Json::object();
    selector["matchLabels"][std::string(kPodTemplateHashLabel)] = hash;

    auto rs = std::make_shared<Json>(
        Json{{"apiVersion", "apps/v1"},
             {"kind", "ReplicaSet"},
             {"metadata",
              {{"name", name_of(d) + "-" + hash},
               {"namespace", ns},
               {"labels", tmpl_labels},
               {"ownerReferences", Json::array({controller_ref(d)})}}},
             {"spec", {{"replicas", 0}, {"selector", selector}, {"template", tmpl}}}});
    if (int64_t min_ready = int_at(d, "spec", "minReadySeconds")) {
      (*rs)["spec"]["minReadySeconds"] = min_ready;
    }
    RsList all = old_rss;
    all.push_back(rs);
    BOSUN_ASSIGN_OR_RETURN(int32_t new_replicas, new_rs_new_replicas(d, all, *rs));
    (*rs)["spec"]["replicas"] = new_replicas;
    set_new_rs_annotations(d, *rs, new_revision, false);

    bool already_exists = false;
    auto created = client.create(kReplicaSetsGvr, ns, *rs);
    if (!created.ok()) {
      const Error& e = created.error();
      if (e.code == ErrorCode::kAlreadyExists) {
        // Ours (a cache that lags our own create) if we own it and its template is ours;
        // otherwise a hash collision: a new collisionCount gives the next try a new name.
        auto current = client.get(kReplicaSetsGvr, ns, name_of(*rs));
        if (!current.ok()) return current.error();
        auto ref = api::controller_of(*current);
        if (ref && ref->uid == uid_of(d) &&
            equal_ignore_hash(spec_field(d, "template"), spec_field(*current, "template"))) {
          already_exists = true;
          *rs = std::move(current).value();
        } else {
          d["status"]["collisionCount"] = collision_count.value_or(0) + 1;
          auto bumped = update_status();
          if (bumped.ok()) {
            SPDLOG_INFO("deployment {}: hash collision on {}, collisionCount now {}", key,
                        name_of(*rs), collision_count.value_or(0) + 1);
          }
          return e;
        }
      } else if (has_status_cause(e, kNamespaceTerminatingCause)) {
        return e;  // every later create fails too: nothing to report
      } else {
        std::string message =
            fmt::format("Failed to create new replica set \"{}\": {}", name_of(*rs), e.message);
        if (has_progress_deadline(d)) {
          set_condition(d["status"], new_condition(kProgressing, "False", kFailedRSCreateReason,
                                                   message, now()));
          (void)update_status();
        }
        event("Warning", std::string(kFailedRSCreateReason), std::move(message));
        return e;
      }
    } else {
      *rs = std::move(created).value();
    }
    if (!already_exists && new_replicas > 0) scaling_event(name_of(*rs), 0, new_replicas);
    bool needs_update = set_deployment_revision(d, std::to_string(new_revision));
    if (!already_exists && has_progress_deadline(d)) {
      set_condition(
          d["status"],
          new_condition(kProgressing, "True", kNewReplicaSetReason,
                        fmt::format("Created new replica set \"{}\"", name_of(*rs)), now()));
      needs_update = true;
    }
    if (needs_update) BOSUN_RETURN_IF_ERROR(update_status());
    return rs;
  }

  // getAllReplicaSetsAndSyncRevision: {new (may be null), old}.
  Result<std::pair<RsPtr, RsList>> all_rss_and_sync_revision(const RsList& rss, bool create) {
    RsPtr existing = find_new_rs(d, rss);
    RsList old_rss = find_old_rss(d, rss, existing);
    BOSUN_ASSIGN_OR_RETURN(RsPtr new_rs, new_replica_set(rss, old_rss, create));
    return std::pair{new_rs, old_rss};
  }

  static RsList with(RsList list, const RsPtr& rs) {
    if (rs) list.push_back(rs);
    return list;
  }

  // ---- Status.
  Result<void> sync_status(const RsList& all, const RsPtr& new_rs) {
    Json status = calculate_status(all, new_rs, d, now());
    if (semantic_equal(d["status"], status)) return {};
    d["status"] = std::move(status);
    return update_status();
  }

  // syncRolloutStatus: the Progressing condition judged against the deadline, ReplicaFailure
  // carried over from the ReplicaSets, and a requeue at the deadline when nothing moves.
  Result<void> sync_rollout_status(const RsList& all, const RsPtr& new_rs) {
    Json status = calculate_status(all, new_rs, d, now());
    if (!has_progress_deadline(d)) remove_condition(status, kProgressing);
    const Json* current = get_condition(d["status"], kProgressing);
    bool complete_before = current &&
                           status.value("replicas", 0) == status.value("updatedReplicas", 0) &&
                           current->value("reason", "") == kNewRSAvailableReason;
    if (has_progress_deadline(d) && !complete_before) {
      std::string subject = new_rs ? fmt::format("ReplicaSet \"{}\"", name_of(*new_rs))
                                   : fmt::format("Deployment \"{}\"", name_of(d));
      if (deployment_complete(d, status)) {
        set_condition(status, new_condition(kProgressing, "True", kNewRSAvailableReason,
                                            subject + " has successfully progressed.", now()));
      } else if (deployment_progressing(d, status)) {
        // Progress refreshes lastUpdateTime even with the same reason, which restarts the
        // deadline (the one condition SetDeploymentCondition would not touch).
        Json condition = new_condition(kProgressing, "True", kReplicaSetUpdatedReason,
                                       subject + " is progressing.", now());
        if (current) {
          if (current->value("status", "") == "True" && current->contains("lastTransitionTime")) {
            condition["lastTransitionTime"] = (*current)["lastTransitionTime"];
          }
          remove_condition(status, kProgressing);
        }
        set_condition(status, std::move(condition));
      } else if (deployment_timed_out(d, status, now())) {
        set_condition(status, new_condition(kProgressing, "False", kTimedOutReason,
                                            subject + " has timed out progressing.", now()));
      }
    }
    // The new ReplicaSet's failure first, else any ReplicaSet's (getReplicaFailures).
    std::optional<Json> failure;
    if (new_rs) failure = replica_failure(*new_rs);
    if (!failure) {
      for (const RsPtr& rs : all) {
        if (rs && !failure) failure = replica_failure(*rs);
      }
    }
    if (failure) {
      set_condition(status, std::move(*failure));
    } else {
      remove_condition(status, kReplicaFailure);
    }
    if (semantic_equal(d["status"], status)) {
      requeue_stuck(status);
      return {};
    }
    d["status"] = std::move(status);
    return update_status();
  }

  static std::optional<Json> replica_failure(const Json& rs) {
    const Json* c = rs.contains("status") ? get_condition(rs["status"], kReplicaFailure) : nullptr;
    if (!c) return std::nullopt;
    Json out = *c;
    if (c->contains("lastTransitionTime")) out["lastUpdateTime"] = (*c)["lastTransitionTime"];
    return out;
  }

  // requeueStuckDeployment: without progress, look again when the deadline passes.
  void requeue_stuck(const Json& new_status) {
    const Json* current = get_condition(d["status"], kProgressing);
    if (!has_progress_deadline(d) || !current) return;
    if (deployment_complete(d, new_status) || current->value("reason", "") == kTimedOutReason) {
      return;
    }
    auto after = time_to_deadline(d, now());
    if (!after) return;
    if (*after < std::chrono::seconds(1)) {
      c.queue().add_rate_limited(key);
      return;
    }
    c.queue().add_after(key, *after + std::chrono::seconds(1));
  }

  // ---- Paused Deployments and scaling events.

  Result<void> check_paused_conditions() {
    if (!has_progress_deadline(d)) return {};
    const Json* cond = get_condition(d["status"], kProgressing);
    std::string reason = cond ? cond->value("reason", "") : "";
    // A deadline already exceeded is not hidden by pausing.
    if (reason == kTimedOutReason) return {};
    bool paused = spec_field(d, "paused").is_boolean() && spec_field(d, "paused").get<bool>();
    bool paused_condition = reason == kPausedDeployReason;
    if (paused && !paused_condition) {
      set_condition(d["status"], new_condition(kProgressing, "Unknown", kPausedDeployReason,
                                               "Deployment is paused", now()));
    } else if (!paused && paused_condition) {
      set_condition(d["status"], new_condition(kProgressing, "Unknown", kResumedDeployReason,
                                               "Deployment is resumed", now()));
    } else {
      return {};
    }
    return update_status();
  }

  Result<bool> is_scaling_event(const RsList& rss) {
    BOSUN_ASSIGN_OR_RETURN(auto found, all_rss_and_sync_revision(rss, false));
    for (const RsPtr& rs : filter_active(with(found.second, found.first))) {
      std::string desired = annotation_or_empty(*rs, kDesiredReplicasAnnotation);
      if (desired.empty()) continue;
      if (desired != std::to_string(spec_replicas(d))) return true;
    }
    return false;
  }

  // scale: a scaling event (or a paused Deployment) spreads the change over the active
  // ReplicaSets in proportion to their size, leftovers to the largest.
  Result<void> scale(const RsPtr& new_rs, const RsList& old_rss) {
    int32_t replicas = spec_replicas(d);
    if (RsPtr one = find_active_or_latest(new_rs, old_rss)) {
      BOSUN_RETURN_IF_ERROR(scale_rs_if_needed(one, replicas));
      return {};
    }
    if (is_saturated(d, new_rs)) {
      for (const RsPtr& old : filter_active(old_rss)) {
        BOSUN_RETURN_IF_ERROR(scale_rs_if_needed(old, 0));
      }
      return {};
    }
    if (!is_rolling_update(d)) return {};
    RsList all = filter_active(with(old_rss, new_rs));
    int32_t current = total_spec_replicas(all);
    int32_t allowed = replicas > 0 ? replicas + max_surge(d) : 0;
    int32_t to_add = allowed - current;
    if (to_add > 0) sort_by_size(all, /*newer_first=*/true);
    if (to_add < 0) sort_by_size(all, /*newer_first=*/false);
    int32_t added = 0;
    std::vector<int32_t> sizes;
    for (const RsPtr& rs : all) {
      int32_t share = to_add != 0 ? proportion(*rs, d, to_add, added) : 0;
      sizes.push_back(spec_replicas(*rs) + share);
      added += share;
    }
    for (size_t i = 0; i < all.size(); ++i) {
      if (i == 0 && to_add != 0) sizes[0] = std::max(0, sizes[0] + to_add - added);
      BOSUN_RETURN_IF_ERROR(scale_rs(all[i], sizes[i]));
    }
    return {};
  }

  // cleanupDeployment: old ReplicaSets beyond revisionHistoryLimit, oldest revisions first, once
  // they are empty and their controller has seen it.
  Result<void> cleanup(const RsList& old_rss) {
    const Json& limit_json = spec_field(d, "revisionHistoryLimit");
    if (!limit_json.is_number()) return {};
    int64_t limit = limit_json.get<int64_t>();
    RsList cleanable;
    for (const RsPtr& rs : old_rss) {
      if (rs && !being_deleted(*rs)) cleanable.push_back(rs);
    }
    int64_t diff = static_cast<int64_t>(cleanable.size()) - limit;
    if (diff <= 0) return {};
    sort_by_revision(cleanable);
    for (int64_t i = 0; i < diff; ++i) {
      const Json& rs = *cleanable[static_cast<size_t>(i)];
      if (status_count(rs, "replicas") != 0 || spec_replicas(rs) != 0 ||
          int_at(rs, "metadata", "generation") > int_at(rs, "status", "observedGeneration")) {
        continue;
      }
      auto removed = client.remove(kReplicaSetsGvr, ns, name_of(rs));
      if (!removed.ok() && !is_not_found(removed.error())) return removed.error();
    }
    return {};
  }

  Result<void> sync(const RsList& rss) {
    BOSUN_ASSIGN_OR_RETURN(auto found, all_rss_and_sync_revision(rss, false));
    BOSUN_RETURN_IF_ERROR(scale(found.first, found.second));
    // A paused Deployment has its history trimmed here; a running one when its rollout completes.
    const Json& paused = spec_field(d, "paused");
    if (paused.is_boolean() && paused.get<bool>() &&
        annotation_or_empty(d, kRollbackToAnnotation).empty()) {
      BOSUN_RETURN_IF_ERROR(cleanup(found.second));
    }
    return sync_status(with(found.second, found.first), found.first);
  }

  // ---- RollingUpdate (rolling.go).

  Result<void> rollout_rolling(const RsList& rss) {
    BOSUN_ASSIGN_OR_RETURN(auto found, all_rss_and_sync_revision(rss, true));
    RsPtr new_rs = found.first;
    RsList old_rss = found.second;
    RsList all = with(old_rss, new_rs);
    BOSUN_ASSIGN_OR_RETURN(bool scaled_up, reconcile_new_rs(all, new_rs));
    if (scaled_up) return sync_rollout_status(all, new_rs);
    BOSUN_ASSIGN_OR_RETURN(bool scaled_down,
                           reconcile_old_rss(all, filter_active(old_rss), new_rs));
    if (scaled_down) return sync_rollout_status(all, new_rs);
    if (deployment_complete(d, d["status"])) BOSUN_RETURN_IF_ERROR(cleanup(old_rss));
    return sync_rollout_status(all, new_rs);
  }

  Result<bool> reconcile_new_rs(const RsList& all, const RsPtr& new_rs) {
    int32_t replicas = spec_replicas(d);
    int32_t current = spec_replicas(*new_rs);
    if (current == replicas) return false;
    if (current > replicas) return scale_rs_if_needed(new_rs, replicas);
    BOSUN_ASSIGN_OR_RETURN(int32_t target, new_rs_new_replicas(d, all, *new_rs));
    return scale_rs_if_needed(new_rs, target);
  }

  Result<bool> reconcile_old_rss(const RsList& all, RsList old_rss, const RsPtr& new_rs) {
    int32_t old_pods = total_spec_replicas(old_rss);
    if (old_pods == 0) return false;
    int32_t all_pods = total_spec_replicas(all);
    int32_t min_available = spec_replicas(d) - max_unavailable(d);
    int32_t new_unavailable = spec_replicas(*new_rs) - status_count(*new_rs, "availableReplicas");
    int32_t max_scaled_down = all_pods - min_available - new_unavailable;
    if (max_scaled_down <= 0) return false;
    // Unhealthy old replicas go first: they count against availability without serving, and
    // would otherwise block the rollout.
    BOSUN_ASSIGN_OR_RETURN(int32_t cleaned, cleanup_unhealthy(old_rss, max_scaled_down));
    BOSUN_ASSIGN_OR_RETURN(int32_t scaled,
                           scale_down_old_for_rolling(with(old_rss, new_rs), old_rss));
    return cleaned + scaled > 0;
  }

  Result<int32_t> cleanup_unhealthy(RsList& old_rss, int32_t max_cleanup) {
    sort_by_creation(old_rss);
    int32_t total = 0;
    for (const RsPtr& rs : old_rss) {
      if (total >= max_cleanup) break;
      int32_t replicas = spec_replicas(*rs);
      int32_t available = status_count(*rs, "availableReplicas");
      if (replicas == 0 || replicas == available) continue;
      int32_t count = std::min(max_cleanup - total, replicas - available);
      if (count <= 0) continue;
      BOSUN_RETURN_IF_ERROR(scale_rs_if_needed(rs, replicas - count));
      total += count;
    }
    return total;
  }

  Result<int32_t> scale_down_old_for_rolling(const RsList& all, RsList old_rss) {
    int32_t min_available = spec_replicas(d) - max_unavailable(d);
    // A ReplicaSet just scaled down may still report the pods it is about to delete; counting
    // at most spec.replicas of them keeps a stale status from letting availability dip.
    int32_t available = 0;
    for (const RsPtr& rs : all) {
      if (rs) available += std::min(status_count(*rs, "availableReplicas"), spec_replicas(*rs));
    }
    if (available <= min_available) return 0;
    sort_by_creation(old_rss);
    int32_t total = 0;
    int32_t target_total = available - min_available;
    for (const RsPtr& rs : old_rss) {
      if (total >= target_total) break;
      int32_t replicas = spec_replicas(*rs);
      if (replicas == 0) continue;
      int32_t count = std::min(replicas, target_total - total);
      BOSUN_RETURN_IF_ERROR(scale_rs_if_needed(rs, replicas - count));
      total += count;
    }
    return total;
  }

  // ---- Recreate (recreate.go): every old pod gone before the new ReplicaSet scales up.

  Result<void> rollout_recreate(const RsList& rss) {
    BOSUN_ASSIGN_OR_RETURN(auto found, all_rss_and_sync_revision(rss, false));
    RsPtr new_rs = found.first;
    RsList old_rss = found.second;
    RsList all = with(old_rss, new_rs);
    bool scaled_down = false;
    for (const RsPtr& rs : filter_active(old_rss)) {
      BOSUN_ASSIGN_OR_RETURN(bool scaled, scale_rs_if_needed(rs, 0));
      scaled_down = scaled_down || scaled;
    }
    if (scaled_down) return sync_rollout_status(all, new_rs);
    if (old_pods_running(new_rs, old_rss)) return sync_rollout_status(all, new_rs);
    if (!new_rs) {
      BOSUN_ASSIGN_OR_RETURN(found, all_rss_and_sync_revision(rss, true));
      new_rs = found.first;
      old_rss = found.second;
      all = with(old_rss, new_rs);
    }
    BOSUN_RETURN_IF_ERROR(scale_rs_if_needed(new_rs, spec_replicas(d)));
    if (deployment_complete(d, d["status"])) BOSUN_RETURN_IF_ERROR(cleanup(old_rss));
    return sync_rollout_status(all, new_rs);
  }

  bool old_pods_running(const RsPtr& new_rs, const RsList& old_rss) {
    if (total_status(old_rss, "replicas") > 0) return true;
    for (const RsPtr& rs : old_rss) {
      for (const auto& pod : c.pods_.by_index(client::Informer::kOwnerUidIndex, uid_of(*rs))) {
        auto ref = api::controller_of(*pod);
        if (!ref || ref->uid != uid_of(*rs) || (new_rs && ref->uid == uid_of(*new_rs))) continue;
        std::string phase = str_at(*pod, "status", "phase");
        if (phase == "Failed" || phase == "Succeeded") continue;
        return true;
      }
    }
    return false;
  }

  // ---- The deprecated in-controller rollback (the deprecated.deployment.rollback.to
  // annotation): the template of the ReplicaSet of that revision (0: the previous one).
  Result<bool> rollback_if_asked(const RsList& rss) {
    std::string to = annotation_or_empty(d, kRollbackToAnnotation);
    if (to.empty()) return false;
    BOSUN_ASSIGN_OR_RETURN(auto found, all_rss_and_sync_revision(rss, true));
    RsList all = with(found.second, found.first);
    int64_t revision = 0;
    try {
      revision = std::stoll(to);
    } catch (const std::exception&) {
      revision = -1;
    }
    if (revision == 0) {
      // LastRevision: the second-highest revision.
      int64_t max = 0, second = 0;
      for (const RsPtr& rs : all) {
        int64_t r = revision_of(*rs);
        if (r >= max) {
          second = max;
          max = r;
        } else if (r > second) {
          second = r;
        }
      }
      revision = second;
    }
    const bool asked_last = to == "0";
    Json copy = d;
    copy["metadata"]["annotations"].erase(std::string(kRollbackToAnnotation));
    bool revision_found = false;
    bool performed = false;
    for (const RsPtr& rs : all) {
      if (revision <= 0 || revision_of(*rs) != revision) continue;
      revision_found = true;
      if (equal_ignore_hash(spec_field(d, "template"), spec_field(*rs, "template"))) {
        // rollbackToTemplate's warning: nothing to roll back to.
        event("Warning", "DeploymentRollbackTemplateUnchanged",
              fmt::format("The rollback revision contains the same template as current "
                          "deployment \"{}\"",
                          name_of(d)));
      } else {
        performed = true;
        Json tmpl = spec_field(*rs, "template");
        if (tmpl["metadata"]["labels"].is_object()) {
          tmpl["metadata"]["labels"].erase(std::string(kPodTemplateHashLabel));
        }
        copy["spec"]["template"] = std::move(tmpl);
        Json& annotations = copy["metadata"]["annotations"];
        const Json rs_annotations = (*rs)["metadata"].value("annotations", Json::object());
        for (const auto& [k, v] : rs_annotations.items()) {
          if (k == kRevisionAnnotation || k == kRevisionHistoryAnnotation ||
              k == kDesiredReplicasAnnotation || k == kMaxReplicasAnnotation ||
              k == kLastAppliedAnnotation) {
            continue;
          }
          annotations[k] = v;
        }
      }
      break;
    }
    if (!revision_found) {
      event("Warning", "DeploymentRollbackRevisionNotFound",
            asked_last && revision <= 0 ? "Unable to find last revision."
                                        : "Unable to find the revision to rollback to.");
    }
    BOSUN_RETURN_IF_ERROR(client.update(kDeploymentsGvr, ns, copy));
    if (performed) {
      event("Normal", "DeploymentRollback",
            fmt::format("Rolled back deployment \"{}\" to revision {}", name_of(d), revision));
    }
    return true;
  }
};

// ---- The controller ----------------------------------------------------------------------------

DeploymentController::DeploymentController(ControllerContext ctx)
    : Controller(ctx),
      deployments_(ctx.informers.informer(kDeploymentsGvr)),
      replica_sets_(ctx.informers.informer(kReplicaSetsGvr)),
      pods_(ctx.informers.informer(client::kPods)),
      events_(ctx.client, ctx.clock, client::recorder_options("deployment-controller")) {
  client::EventHandler deployments;
  deployments.on_add = [this](const client::ObjectPtr& d) { enqueue_object(*d); };
  deployments.on_update = [this](const client::ObjectPtr&, const client::ObjectPtr& d) {
    enqueue_object(*d);
  };
  deployments.on_delete = [this](const client::ObjectPtr& d) { enqueue_object(*d); };
  deployments_.add_event_handler(std::move(deployments));

  client::EventHandler replica_sets;
  replica_sets.on_add = [this](const client::ObjectPtr& rs) {
    enqueue_for_replica_set(*rs, !being_deleted(*rs));
  };
  replica_sets.on_update = [this](const client::ObjectPtr& old_rs, const client::ObjectPtr& rs) {
    if (str_at(*old_rs, "metadata", "resourceVersion") ==
        str_at(*rs, "metadata", "resourceVersion")) {
      return;
    }
    auto old_ref = api::controller_of(*old_rs);
    auto new_ref = api::controller_of(*rs);
    bool ref_changed = (old_ref ? old_ref->uid : "") != (new_ref ? new_ref->uid : "");
    if (ref_changed && old_ref) enqueue_for_replica_set(*old_rs, false);
    bool labels_changed = labels_of(*old_rs) != labels_of(*rs);
    enqueue_for_replica_set(*rs, !new_ref && (labels_changed || ref_changed));
  };
  replica_sets.on_delete = [this](const client::ObjectPtr& rs) {
    enqueue_for_replica_set(*rs, false);
  };
  replica_sets_.add_event_handler(std::move(replica_sets));

  client::EventHandler pods;
  pods.on_delete = [this](const client::ObjectPtr& pod) { on_pod_deleted(*pod); };
  pods_.add_event_handler(std::move(pods));
}

DeploymentController::~DeploymentController() { stop(); }

void DeploymentController::enqueue_object(const Json& deployment) {
  enqueue(client::Informer::key_of(deployment));
}

void DeploymentController::enqueue_for_replica_set(const Json& rs, bool orphans_too) {
  std::string ns = str_at(rs, "metadata", "namespace");
  if (auto ref = api::controller_of(rs)) {
    if (ref->kind != "Deployment") return;
    auto d = deployments_.get(ns + "/" + ref->name);
    if (d && uid_of(*d) == ref->uid) enqueue_object(*d);
    return;
  }
  if (!orphans_too) return;
  for (const auto& d : deployments_.by_index(client::Informer::kNamespaceIndex, ns)) {
    auto selector = selector_of(*d);
    if (!selector.ok() || selector->empty()) continue;
    if (selector->matches(labels_of(rs))) enqueue_object(*d);
  }
}

void DeploymentController::on_pod_deleted(const Json& pod) {
  // Only Recreate waits for pods to disappear (oldPodsRunning).
  auto ref = api::controller_of(pod);
  if (!ref || ref->kind != "ReplicaSet") return;
  std::string ns = str_at(pod, "metadata", "namespace");
  auto rs = replica_sets_.get(ns + "/" + ref->name);
  if (!rs) return;
  auto owner = api::controller_of(*rs);
  if (!owner || owner->kind != "Deployment") return;
  auto d = deployments_.get(ns + "/" + owner->name);
  if (!d) return;
  const Json& strategy = spec_field(*d, "strategy");
  if (strategy.is_object() && strategy.value("type", "") == "Recreate") enqueue_object(*d);
}

Result<void> DeploymentController::reconcile(const std::string& key) {
  auto cached = deployments_.get(key);
  if (!cached) return {};  // deleted: the garbage collector removes its ReplicaSets
  Sync s{*this, ctx_.client, ctx_.clock, key, *cached, str_at(*cached, "metadata", "namespace")};
  if (!s.d["status"].is_object()) s.d["status"] = Json::object();

  auto selector = selector_of(s.d);
  if (!selector.ok()) {
    SPDLOG_WARN("deployment {}: invalid selector: {}", key, selector.error().message);
    return {};
  }
  if (selector->empty()) {
    // SelectingAll: a Deployment that selects every pod is not acted on.
    s.event("Warning", "SelectingAll",
            "This deployment is selecting all pods. A non-empty selector is required.");
    int64_t generation = int_at(s.d, "metadata", "generation");
    if (int_at(s.d, "status", "observedGeneration") < generation) {
      s.d["status"]["observedGeneration"] = generation;
      return s.update_status();
    }
    return {};
  }
  BOSUN_ASSIGN_OR_RETURN(RsList rss, s.claim_replica_sets(*selector));

  if (being_deleted(s.d)) {
    BOSUN_ASSIGN_OR_RETURN(auto found, s.all_rss_and_sync_revision(rss, false));
    return s.sync_status(Sync::with(found.second, found.first), found.first);
  }
  BOSUN_RETURN_IF_ERROR(s.check_paused_conditions());
  const Json& paused = spec_field(s.d, "paused");
  if (paused.is_boolean() && paused.get<bool>()) return s.sync(rss);
  BOSUN_ASSIGN_OR_RETURN(bool rolled_back, s.rollback_if_asked(rss));
  if (rolled_back) return {};
  BOSUN_ASSIGN_OR_RETURN(bool scaling, s.is_scaling_event(rss));
  if (scaling) return s.sync(rss);
  const Json& strategy = spec_field(s.d, "strategy");
  std::string type = strategy.is_object() ? strategy.value("type", "") : "";
  if (type == "Recreate") return s.rollout_recreate(rss);
  if (type == "RollingUpdate") return s.rollout_rolling(rss);
  SPDLOG_WARN("deployment {}: unexpected strategy type {}", key, type);
  return {};
}

}  // namespace bosun::controller
