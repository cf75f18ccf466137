#include "controller/replica_set.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "common/log.h"
#include "common/time_format.h"

namespace bosun::controller {

namespace {

constexpr std::string_view kReplicaFailure = "ReplicaFailure";

// Runs fn(i) for i in [0, n) on at most `parallelism` threads.
void run_parallel(int n, int parallelism, const std::function<void(int)>& fn) {
  int threads = std::min(n, std::max(parallelism, 1));
  if (threads <= 1) {
    for (int i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  pool.reserve(threads);
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
    });
  }
  for (auto& t : pool) t.join();
}

int64_t desired_replicas(const Json& owner) {
  // Both kinds default spec.replicas to 1; a cached object always has it.
  return int_at(owner, {"spec", "replicas"}, 1);
}

const Json& labels_of(const Json& obj) {
  static const Json kEmpty = Json::object();
  const Json* labels = find_path(obj, {"metadata", "labels"});
  return labels != nullptr && labels->is_object() ? *labels : kEmpty;
}

}  // namespace

const ReplicaSetKind& replica_set_kind() {
  static const ReplicaSetKind k{{"apps", "v1", "replicasets"}, "apps/v1", "ReplicaSet",
                                "replicaset-controller",       false,     "replicaset-controller"};
  return k;
}

const ReplicaSetKind& replication_controller_kind() {
  static const ReplicaSetKind k{
      {"", "v1", "replicationcontrollers"}, "v1", "ReplicationController",
      "replicationcontroller-controller",   true, "replication-controller"};
  return k;
}

ReplicaSetController::ReplicaSetController(ControllerContext context, const ReplicaSetKind& kind,
                                           ReplicaSetControllerOptions options)
    : Controller(context),
      kind_(kind),
      options_(options),
      owners_(context.informers.informer(kind.resource)),
      pods_(context.informers.informer(client::kPods)),
      expectations_(context.clock),
      events_(context.client, context.clock, client::recorder_options(kind.event_component)) {
  client::EventHandler owner_handler;
  owner_handler.on_add = [this](const client::ObjectPtr& o) { enqueue(object_key(*o)); };
  owner_handler.on_update = [this](const client::ObjectPtr& old_o, const client::ObjectPtr& cur) {
    // A recreated object under the same name: the old one's expectations are void.
    if (api::uid(*old_o) != api::uid(*cur)) expectations_.remove(object_key(*old_o));
    enqueue(object_key(*cur));
  };
  owner_handler.on_delete = [this](const client::ObjectPtr& o) {
    std::string key = object_key(*o);
    expectations_.remove(key);
    enqueue(key);
  };
  owners_.add_event_handler(std::move(owner_handler));

  client::EventHandler pod_handler;
  pod_handler.on_add = [this](const client::ObjectPtr& p) {
    remember(p);
    on_pod_add(p);
  };
  pod_handler.on_update = [this](const client::ObjectPtr& o, const client::ObjectPtr& c) {
    forget_pod(o);
    remember(c);
    on_pod_update(o, c);
  };
  pod_handler.on_delete = [this](const client::ObjectPtr& p) {
    forget_pod(p);
    on_pod_delete(p);
  };
  pods_.add_event_handler(std::move(pod_handler));
}

ReplicaSetController::~ReplicaSetController() { stop(); }

ReplicaSetController::PodFacts ReplicaSetController::facts_of(const Json& pod) {
  PodFacts f;
  f.ns = api::namespace_of(pod);
  f.controller_uid = controller_uid(pod);
  f.labels = &labels_of(pod);
  f.active = is_pod_active(pod);
  f.ready = is_pod_ready(pod);
  if (f.ready) f.ready_since = pod_ready_time(pod);
  return f;
}

void ReplicaSetController::remember(const client::ObjectPtr& pod) {
  PodFacts f = facts_of(*pod);
  std::lock_guard lock(facts_mu_);
  facts_.insert_or_assign(pod.get(), std::make_pair(pod, f));
}

void ReplicaSetController::forget_pod(const client::ObjectPtr& pod) {
  std::lock_guard lock(facts_mu_);
  facts_.erase(pod.get());
}

Result<api::LabelSelector> ReplicaSetController::selector_of(const Json& owner) const {
  const Json* selector = find_path(owner, {"spec", "selector"});
  if (!kind_.map_selector) return api::LabelSelector::from_json(selector ? *selector : Json());
  // A ReplicationController's map converts to matchLabels, as the replication controller's
  // conversion to a ReplicaSet does.
  if (selector == nullptr || !selector->is_object()) return api::LabelSelector::from_set({});
  BOSUN_ASSIGN_OR_RETURN(api::Labels set, api::labels_from_json(*selector));
  return api::LabelSelector::from_set(set);
}

client::ObjectPtr ReplicaSetController::resolve_controller_ref(std::string_view ns,
                                                               const api::OwnerReference& ref) {
  // Only the kind is compared, as resolveControllerRef does: a wrong group cannot have our uid.
  if (ref.kind != kind_.kind) return nullptr;
  auto owner = owners_.get(fmt::format("{}/{}", ns, ref.name));
  if (!owner || api::uid(*owner) != ref.uid) return nullptr;
  return owner;
}

std::vector<client::ObjectPtr> ReplicaSetController::owners_selecting(const Json& pod) {
  std::vector<client::ObjectPtr> out;
  const Json& labels = labels_of(pod);
  for (const auto& owner :
       owners_.by_index(client::Informer::kNamespaceIndex, api::namespace_of(pod))) {
    auto selector = selector_of(*owner);
    // An empty selector would select everything; GetPodReplicaSets never lets it.
    if (!selector.ok() || selector->empty() || !selector->matches(labels)) continue;
    out.push_back(owner);
  }
  return out;
}

void ReplicaSetController::on_pod_add(const client::ObjectPtr& pod) {
  // A pod that is already being deleted when first seen (a controller restart): count it as a
  // deletion so that expectations are not left waiting for it.
  if (!api::deletion_timestamp(*pod).empty()) {
    on_pod_delete(pod);
    return;
  }
  if (auto ref = api::controller_of(*pod)) {
    auto owner = resolve_controller_ref(api::namespace_of(*pod), *ref);
    if (!owner) return;
    std::string key = object_key(*owner);
    expectations_.creation_observed(key);
    enqueue(key);
    return;
  }
  // An orphan: every matching owner gets a chance to adopt it.
  for (const auto& owner : owners_selecting(*pod)) enqueue(object_key(*owner));
}

void ReplicaSetController::on_pod_update(const client::ObjectPtr& old_pod,
                                         const client::ObjectPtr& cur_pod) {
  // Periodic re-lists deliver unchanged objects.
  if (api::resource_version(*old_pod) == api::resource_version(*cur_pod)) return;
  const bool labels_changed = labels_of(*old_pod) != labels_of(*cur_pod);
  if (!api::deletion_timestamp(*cur_pod).empty()) {
    // A graceful deletion started: the pod no longer counts, so act at once rather than when
    // its node finally removes it.
    on_pod_delete(cur_pod);
    if (labels_changed) on_pod_delete(old_pod);
    return;
  }
  auto cur_ref = api::controller_of(*cur_pod);
  auto old_ref = api::controller_of(*old_pod);
  const bool ref_changed = cur_ref.has_value() != old_ref.has_value() ||
                           (cur_ref && old_ref && cur_ref->uid != old_ref->uid);
  if (ref_changed && old_ref) {
    if (auto owner = resolve_controller_ref(api::namespace_of(*old_pod), *old_ref)) {
      enqueue(object_key(*owner));
    }
  }
  if (cur_ref) {
    auto owner = resolve_controller_ref(api::namespace_of(*cur_pod), *cur_ref);
    if (!owner) return;
    std::string key = object_key(*owner);
    enqueue(key);
    // Availability is a matter of time once a pod turns ready: look again after minReadySeconds
    // (plus a second against millisecond skew, as upstream).
    int64_t min_ready = int_at(*owner, {"spec", "minReadySeconds"});
    if (!is_pod_ready(*old_pod) && is_pod_ready(*cur_pod) && min_ready > 0) {
      queue().add_after(key, std::chrono::seconds(min_ready + 1));
    }
    return;
  }
  if (labels_changed || ref_changed) {
    for (const auto& owner : owners_selecting(*cur_pod)) enqueue(object_key(*owner));
  }
}

void ReplicaSetController::on_pod_delete(const client::ObjectPtr& pod) {
  auto ref = api::controller_of(*pod);
  if (!ref) return;
  auto owner = resolve_controller_ref(api::namespace_of(*pod), *ref);
  if (!owner) return;
  std::string key = object_key(*owner);
  expectations_.deletion_observed(key, object_key(*pod));
  enqueue(key);
}

std::vector<client::ObjectPtr> ReplicaSetController::candidate_pods(
    const Json& owner, const api::LabelSelector& selector) {
  // An equality requirement narrows the candidates to one label-index lookup plus the pods the
  // owner already controls (which may have stopped matching and need releasing); other selectors
  // look at the whole namespace, as the pod lister does.
  for (const auto& req : selector.requirements()) {
    auto value = selector.requires_exact_match(req.key());
    if (!value) continue;
    // The label index spans namespaces; the sync's pass drops other namespaces' pods.
    std::vector<client::ObjectPtr> out =
        pods_.by_index(client::Informer::kLabelIndex, fmt::format("{}={}", req.key(), *value));
    // Controlled pods that carry the label are listed already; only those that lost it are new.
    // Cached objects are shared, so the pointer is the identity: no second look into each pod.
    std::vector<const Json*> seen;
    seen.reserve(out.size());
    for (const auto& p : out) seen.push_back(p.get());
    std::sort(seen.begin(), seen.end());
    for (auto& p : pods_.by_index(client::Informer::kOwnerUidIndex, api::uid(owner))) {
      if (!std::binary_search(seen.begin(), seen.end(), p.get())) out.push_back(std::move(p));
    }
    return out;
  }
  return pods_.by_index(client::Informer::kNamespaceIndex, api::namespace_of(owner));
}

std::vector<client::ObjectPtr> ReplicaSetController::related_pods(
    const Json& owner, const std::vector<client::ObjectPtr>& own) {
  auto controller = api::controller_of(owner);
  if (!controller) return own;
  std::vector<client::ObjectPtr> out;
  for (const auto& sibling : owners_.by_index(client::Informer::kOwnerUidIndex, controller->uid)) {
    if (api::namespace_of(*sibling) != api::namespace_of(owner)) continue;
    for (auto& p : pods_.by_index(client::Informer::kOwnerUidIndex, api::uid(*sibling))) {
      if (is_controlled_by(*p, api::uid(*sibling))) out.push_back(std::move(p));
    }
  }
  return out;
}

Result<void> ReplicaSetController::manage_replicas(const std::string& key, const Json& owner,
                                                   const std::vector<client::ObjectPtr>& pods) {
  int64_t diff = static_cast<int64_t>(pods.size()) - desired_replicas(owner);
  std::string_view ns = api::namespace_of(owner);
  if (diff < 0) {
    int count = static_cast<int>(std::min<int64_t>(-diff, options_.burst_replicas));
    // Expect them all before the first create: the informer may see a pod before create returns.
    expectations_.expect_creations(key, count);
    api::OwnerReference ref = new_controller_ref(owner, kind_.api_version, kind_.kind);
    const Json* tmpl = find_path(owner, {"spec", "template"});
    static const Json kNoTemplate = Json::object();
    const Json& pod_template = tmpl ? *tmpl : kNoTemplate;
    const client::ObjectReference owner_ref =
        client::ObjectReference::of(owner, kind_.api_version, kind_.kind);
    // RealPodControl.createPods refuses a template without labels before any request, and
    // without an event.
    const Json* tmpl_labels = find_path(pod_template, {"metadata", "labels"});
    const bool has_labels =
        tmpl_labels != nullptr && tmpl_labels->is_object() && !tmpl_labels->empty();
    // Every pod of the sync is the same request (generateName names them): built once, not a
    // copy of the template per create.
    const Json pod = pod_from_template(pod_template, owner, &ref);
    auto batch = slow_start_batch(
        count, kSlowStartInitialBatchSize,
        [&]() -> Result<void> {
          auto created = has_labels
                             ? ctx_.client.create(client::kPods, ns, pod)
                             : create_pod_from_template(ctx_.client, ns, pod_template, owner, &ref);
          // Nothing can be created in a terminating namespace; that is not a failure to report.
          if (!created.ok() && has_status_cause(created.error(), kNamespaceTerminatingCause)) {
            return ok_result();
          }
          if (!created.ok()) {
            if (has_labels) {
              events_.event(owner_ref, "Warning", "FailedCreate",
                            "Error creating: " + created.error().message);
            }
            return std::move(created).error();
          }
          events_.event(owner_ref, "Normal", "SuccessfulCreate",
                        "Created pod: " + std::string(api::name(*created)));
          return ok_result();
        },
        options_.parallelism);
    // The pods never attempted (and the failed ones) will not be observed: stop expecting them.
    for (int skipped = count - batch.successes; skipped > 0; --skipped) {
      expectations_.creation_observed(key);
    }
    if (batch.error) {
      SPDLOG_WARN("{}: {}: creating pods: {}", name(), key, batch.error->message);
      return *batch.error;
    }
    return ok_result();
  }
  if (diff > 0) {
    int count = static_cast<int>(std::min<int64_t>(diff, options_.burst_replicas));
    auto victims = pods_to_delete(pods, related_pods(owner, pods), count, ctx_.clock.now());
    std::vector<std::string> keys;
    keys.reserve(victims.size());
    for (const auto& p : victims) keys.push_back(object_key(*p));
    expectations_.expect_deletions(key, keys);
    std::mutex mu;  // guards first_error
    std::optional<Error> first_error;
    const client::ObjectReference owner_ref =
        client::ObjectReference::of(owner, kind_.api_version, kind_.kind);
    run_parallel(static_cast<int>(victims.size()), options_.parallelism, [&](int i) {
      std::string_view pod_name = api::name(*victims[i]);
      auto removed = ctx_.client.remove(client::kPods, ns, pod_name);
      if (removed.ok()) {
        events_.event(owner_ref, "Normal", "SuccessfulDelete",
                      "Deleted pod: " + std::string(pod_name));
        return;
      }
      // The informer will not see this deletion.
      expectations_.deletion_observed(key, keys[i]);
      // RealPodControl.DeletePod: a pod already gone is no failure worth an event.
      if (removed.error().code == ErrorCode::kNotFound) return;
      events_.event(owner_ref, "Warning", "FailedDelete",
                    "Error deleting: " + removed.error().message);
      std::lock_guard lock(mu);
      if (!first_error) first_error = std::move(removed).error();
    });
    if (first_error) return *first_error;
  }
  return ok_result();
}

Json ReplicaSetController::calculate_status(const Json& owner, const std::vector<PodFacts>& pods,
                                            const Result<void>& manage_error) const {
  const Json* old_status = find_path(owner, {"status"});
  Json status = old_status && old_status->is_object() ? *old_status : Json::object();
  const Json* tmpl_labels = find_path(owner, {"spec", "template", "metadata", "labels"});
  api::LabelSelector template_selector;  // everything, for a template without labels
  if (tmpl_labels != nullptr) {
    if (auto set = api::labels_from_json(*tmpl_labels); set.ok()) {
      template_selector = api::LabelSelector::from_set(*set);
    }
  }
  int64_t min_ready = int_at(owner, {"spec", "minReadySeconds"});
  Clock::WallTime now = ctx_.clock.now();
  int64_t fully_labeled = 0, ready = 0, available = 0;
  for (const PodFacts& p : pods) {
    if (template_selector.matches(*p.labels)) ++fully_labeled;
    if (!p.ready) continue;
    ++ready;
    // IsPodAvailable.
    if (min_ready == 0 ||
        (p.ready_since && *p.ready_since + std::chrono::seconds(min_ready) < now)) {
      ++available;
    }
  }

  Json conditions = Json::array();
  bool had_failure = false;
  if (auto it = status.find("conditions"); it != status.end() && it->is_array()) {
    for (const Json& c : *it) {
      if (c.is_object() && c.value("type", std::string()) == kReplicaFailure) had_failure = true;
    }
    conditions = *it;
  }
  if (!manage_error.ok() && !had_failure) {
    int64_t diff = static_cast<int64_t>(pods.size()) - desired_replicas(owner);
    std::string reason = diff < 0 ? "FailedCreate" : diff > 0 ? "FailedDelete" : "";
    conditions.push_back({{"type", kReplicaFailure},
                          {"status", "True"},
                          {"lastTransitionTime", format_rfc3339(now)},
                          {"reason", reason},
                          {"message", manage_error.error().message}});
  } else if (manage_error.ok() && had_failure) {
    Json kept = Json::array();
    for (const Json& c : conditions) {
      if (!(c.is_object() && c.value("type", std::string()) == kReplicaFailure)) kept.push_back(c);
    }
    conditions = std::move(kept);
  }
  if (conditions.empty()) {
    status.erase("conditions");
  } else {
    status["conditions"] = std::move(conditions);
  }
  // The API's omitempty fields are left out when zero, as the Go client writes them.
  status["replicas"] = static_cast<int64_t>(pods.size());
  auto set_or_erase = [&](const char* field, int64_t v) {
    if (v != 0) {
      status[field] = v;
    } else {
      status.erase(field);
    }
  };
  set_or_erase("fullyLabeledReplicas", fully_labeled);
  set_or_erase("readyReplicas", ready);
  set_or_erase("availableReplicas", available);
  return status;
}

Result<Json> ReplicaSetController::update_status(const Json& owner, const Json& status) {
  const Json* old_status = find_path(owner, {"status"});
  static const Json kEmpty = Json::object();
  const Json& old = old_status && old_status->is_object() ? *old_status : kEmpty;
  auto same = [&](const char* field) { return int_at(old, {field}) == int_at(status, {field}); };
  const Json* old_conditions = find_path(old, {"conditions"});
  const Json* new_conditions = find_path(status, {"conditions"});
  bool conditions_same = (old_conditions ? *old_conditions : Json::array()) ==
                         (new_conditions ? *new_conditions : Json::array());
  int64_t generation = api::generation(owner);
  if (same("replicas") && same("fullyLabeledReplicas") && same("readyReplicas") &&
      same("availableReplicas") && int_at(old, {"observedGeneration"}) == generation &&
      conditions_same) {
    return owner;
  }
  // The generation acted on, so a retry does not claim to have seen a newer spec.
  Json next_status = status;
  if (generation != 0) next_status["observedGeneration"] = generation;
  Json obj = owner;
  obj["status"] = next_status;
  auto written = ctx_.client.update_status(kind_.resource, api::namespace_of(owner), obj);
  if (written.ok()) return written;
  // statusUpdateRetries = 1: one more try on the latest version.
  BOSUN_ASSIGN_OR_RETURN(
      Json fresh, ctx_.client.get(kind_.resource, api::namespace_of(owner), api::name(owner)));
  fresh["status"] = next_status;
  return ctx_.client.update_status(kind_.resource, api::namespace_of(owner), fresh);
}

Result<void> ReplicaSetController::reconcile(const std::string& key) {
  auto owner = owners_.get(key);
  if (!owner) {
    expectations_.remove(key);
    return ok_result();
  }
  const bool needs_sync = expectations_.satisfied(key);
  auto selector = selector_of(*owner);
  if (!selector.ok()) {
    // Retrying cannot fix a bad selector; the next update of the object brings us back.
    SPDLOG_ERROR("{}: {}: invalid selector: {}", name(), key, selector.error().message);
    return ok_result();
  }
  auto candidates = candidate_pods(*owner, *selector);

  // One pass over the candidates on their precomputed facts: the owner's pods that still match
  // are kept without further ado; only adoptions and releases go to claim_objects (API calls).
  std::string_view ns = api::namespace_of(*owner);
  std::string_view uid = api::uid(*owner);
  const bool owner_deleting = !api::deletion_timestamp(*owner).empty();
  std::vector<client::ObjectPtr> owned;
  std::vector<PodFacts> owned_facts;
  std::vector<client::ObjectPtr> to_claim;
  owned.reserve(candidates.size());
  owned_facts.reserve(candidates.size());
  {
    std::lock_guard lock(facts_mu_);
    for (auto& p : candidates) {
      PodFacts computed;
      const PodFacts* f = &computed;
      if (auto it = facts_.find(p.get()); it != facts_.end()) {
        f = &it->second.second;
      } else {
        computed = facts_of(*p);  // cached before its event reached us
      }
      if (f->ns != ns || !f->active) continue;
      if (!f->controller_uid.empty()) {
        if (f->controller_uid != uid) continue;  // someone else's
        if (selector->matches(*f->labels)) {
          owned_facts.push_back(*f);
          owned.push_back(std::move(p));
        } else if (!owner_deleting) {
          to_claim.push_back(std::move(p));  // to release
        }
      } else if (!owner_deleting && selector->matches(*f->labels)) {
        to_claim.push_back(std::move(p));  // to adopt
      }
    }
  }

  if (!to_claim.empty()) {
    ClaimContext claim;
    claim.client = &ctx_.client;
    claim.owner = owner.get();
    claim.ref = new_controller_ref(*owner, kind_.api_version, kind_.kind);
    claim.selector = &*selector;
    claim.dependent_resource = client::kPods;
    claim.can_adopt = [&]() {
      return recheck_owner(ctx_.client, kind_.resource, kind_.kind, *owner);
    };
    ClaimResult claimed = claim_objects(claim, to_claim);
    if (claimed.error) return *claimed.error;
    for (auto& p : claimed.claimed) {
      owned_facts.push_back(facts_of(*p));
      owned.push_back(std::move(p));
    }
  }

  Result<void> managed;
  if (needs_sync && api::deletion_timestamp(*owner).empty()) {
    managed = manage_replicas(key, *owner, owned);
  }
  Json status = calculate_status(*owner, owned_facts, managed);
  BOSUN_ASSIGN_OR_RETURN(Json updated, update_status(*owner, status));

  // A last line of defence against clock skew: look again once the ready pods should be
  // available.
  int64_t min_ready = int_at(updated, {"spec", "minReadySeconds"});
  int64_t replicas = desired_replicas(updated);
  if (managed.ok() && min_ready > 0 && int_at(updated, {"status", "readyReplicas"}) == replicas &&
      int_at(updated, {"status", "availableReplicas"}) != replicas) {
    queue().add_after(key, std::chrono::seconds(min_ready));
  }
  return managed;
}

}  // namespace bosun::controller
