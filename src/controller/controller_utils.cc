#include "controller/controller_utils.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <thread>

#include "common/time_format.h"

namespace bosun::controller {

// ---- JSON access.

const Json* find_path(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* at = &object;
  for (std::string_view part : path) {
    if (!at->is_object()) return nullptr;
    auto it = at->find(part);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

int64_t int_at(const Json& object, std::initializer_list<std::string_view> path, int64_t fallback) {
  const Json* v = find_path(object, path);
  if (v == nullptr || !v->is_number_integer()) return fallback;
  return v->get<int64_t>();
}

std::string_view string_at(const Json& object, std::initializer_list<std::string_view> path) {
  const Json* v = find_path(object, path);
  if (v == nullptr || !v->is_string()) return {};
  return v->get_ref<const std::string&>();
}

// ---- Discovery.

bool ServedResource::has_verb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

namespace {

Result<void> add_resource_list(client::RestClient& client, const std::string& path,
                               std::string_view group, std::string_view version,
                               std::vector<ServedResource>& out) {
  BOSUN_ASSIGN_OR_RETURN(Json list, client.request("GET", path));
  const Json* resources = find_path(list, {"resources"});
  if (resources == nullptr || !resources->is_array()) return ok_result();
  for (const Json& r : *resources) {
    std::string_view name = string_at(r, {"name"});
    if (name.empty() || name.find('/') != std::string_view::npos) continue;  // a subresource
    ServedResource s;
    s.gvr = {std::string(group), std::string(version), std::string(name)};
    s.api_version = group.empty() ? std::string(version) : fmt::format("{}/{}", group, version);
    s.kind = string_at(r, {"kind"});
    const Json* namespaced = find_path(r, {"namespaced"});
    s.namespaced = namespaced != nullptr && namespaced->is_boolean() && namespaced->get<bool>();
    if (const Json* verbs = find_path(r, {"verbs"}); verbs != nullptr && verbs->is_array()) {
      for (const Json& v : *verbs) {
        if (v.is_string()) s.verbs.push_back(v.get<std::string>());
      }
    }
    out.push_back(std::move(s));
  }
  return ok_result();
}

}  // namespace

Result<std::vector<ServedResource>> discover_resources(client::RestClient& client) {
  std::vector<ServedResource> out;
  BOSUN_RETURN_IF_ERROR(add_resource_list(client, "/api/v1", "", "v1", out));
  BOSUN_ASSIGN_OR_RETURN(Json groups, client.request("GET", "/apis"));
  const Json* list = find_path(groups, {"groups"});
  if (list == nullptr || !list->is_array()) return out;
  for (const Json& g : *list) {
    std::string_view group = string_at(g, {"name"});
    std::string_view version = string_at(g, {"preferredVersion", "version"});
    if (group.empty() || version.empty()) continue;
    BOSUN_RETURN_IF_ERROR(
        add_resource_list(client, fmt::format("/apis/{}/{}", group, version), group, version, out));
  }
  return out;
}

// ---- Expectations.

bool ControllerExpectations::satisfied(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  // No record: a new controller, or one whose expectations were deleted.
  if (it == records_.end()) return true;
  const Record& r = it->second;
  if (r.adds <= 0 && r.dels <= 0) return true;
  return clock_.monotonic() - r.timestamp > kExpectationsTimeout;
}

void ControllerExpectations::expect_creations(const std::string& key, int64_t adds) {
  std::lock_guard lock(mu_);
  Record& r = records_[key];
  r.adds = adds;
  r.dels = 0;
  r.deleting.clear();
  r.timestamp = clock_.monotonic();
}

void ControllerExpectations::expect_deletions(const std::string& key, int64_t dels) {
  std::lock_guard lock(mu_);
  Record& r = records_[key];
  r.adds = 0;
  r.dels = dels;
  r.deleting.clear();
  r.timestamp = clock_.monotonic();
}

void ControllerExpectations::expect_deletions(const std::string& key,
                                              const std::vector<std::string>& object_keys) {
  std::lock_guard lock(mu_);
  Record& r = records_[key];
  r.deleting = std::set<std::string>(object_keys.begin(), object_keys.end());
  r.adds = 0;
  r.dels = static_cast<int64_t>(object_keys.size());
  r.timestamp = clock_.monotonic();
}

void ControllerExpectations::deletion_observed(const std::string& key,
                                               const std::string& object_key) {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return;
  if (it->second.deleting.erase(object_key) == 0) return;
  it->second.dels -= 1;
}

void ControllerExpectations::raise(const std::string& key, int64_t adds, int64_t dels) {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return;
  it->second.adds += adds;
  it->second.dels += dels;
}

void ControllerExpectations::lower(const std::string& key, int64_t adds, int64_t dels) {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return;
  it->second.adds -= adds;
  it->second.dels -= dels;
}

void ControllerExpectations::remove(const std::string& key) {
  std::lock_guard lock(mu_);
  records_.erase(key);
}

std::optional<ControllerExpectations::Counts> ControllerExpectations::get(
    const std::string& key) const {
  std::lock_guard lock(mu_);
  auto it = records_.find(key);
  if (it == records_.end()) return std::nullopt;
  return Counts{it->second.adds, it->second.dels};
}

// ---- Owner references.

api::OwnerReference new_controller_ref(const Json& owner, std::string_view api_version,
                                       std::string_view kind) {
  api::OwnerReference ref;
  ref.api_version = api_version;
  ref.kind = kind;
  ref.name = api::name(owner);
  ref.uid = api::uid(owner);
  ref.controller = true;
  ref.block_owner_deletion = true;
  return ref;
}

void set_controller_ref(Json& object, const api::OwnerReference& ref) {
  Json& meta = api::mutable_metadata(object);
  Json refs = Json::array();
  auto it = meta.find("ownerReferences");
  if (it != meta.end() && it->is_array()) {
    for (const Json& r : *it) {
      if (r.is_object() && r.value("uid", std::string()) == ref.uid) continue;
      refs.push_back(r);
    }
  }
  refs.push_back(api::owner_reference_to_json(ref));
  meta["ownerReferences"] = std::move(refs);
}

std::string_view controller_uid(const Json& object) {
  const Json* refs = find_path(object, {"metadata", "ownerReferences"});
  if (refs == nullptr || !refs->is_array()) return {};
  for (const Json& r : *refs) {
    if (!r.is_object()) continue;
    auto c = r.find("controller");
    if (c == r.end() || !c->is_boolean() || !c->get<bool>()) continue;
    return string_at(r, {"uid"});
  }
  return {};
}

bool is_controlled_by(const Json& object, std::string_view owner_uid) {
  std::string_view uid = controller_uid(object);
  return !uid.empty() && uid == owner_uid;
}

std::string adopt_patch(const api::OwnerReference& ref, std::string_view dependent_uid) {
  Json patch = {{"metadata",
                 {{"ownerReferences", Json::array({api::owner_reference_to_json(ref)})},
                  {"uid", dependent_uid}}}};
  return patch.dump();
}

std::string release_patch(std::string_view dependent_uid,
                          const std::vector<std::string>& owner_uids) {
  Json refs = Json::array();
  for (const std::string& uid : owner_uids) refs.push_back({{"$patch", "delete"}, {"uid", uid}});
  Json patch = {{"metadata", {{"ownerReferences", std::move(refs)}, {"uid", dependent_uid}}}};
  return patch.dump();
}

ClaimResult claim_objects(const ClaimContext& ctx,
                          const std::vector<client::ObjectPtr>& candidates) {
  ClaimResult out;
  const Json& owner = *ctx.owner;
  const bool owner_deleting = !api::deletion_timestamp(owner).empty();
  std::optional<Result<void>> adoptable;  // can_adopt runs at most once (sync.Once upstream)
  auto record = [&](Error e) {
    if (!out.error) out.error = std::move(e);
  };
  auto matches = [&](const Json& obj) {
    const Json* labels = find_path(obj, {"metadata", "labels"});
    static const Json kNoLabels = Json::object();
    if (!ctx.selector->matches(labels ? *labels : kNoLabels)) return false;
    return !ctx.filter || ctx.filter(obj);
  };
  for (const client::ObjectPtr& obj : candidates) {
    std::string_view controller = controller_uid(*obj);
    if (!controller.empty()) {
      // Someone else's: never touched.
      if (controller != ctx.ref.uid) continue;
      if (matches(*obj)) {
        out.claimed.push_back(obj);
        continue;
      }
      // Ours but no longer selected: release it, unless we are going away anyway.
      if (owner_deleting) continue;
      auto released = ctx.client->patch(ctx.dependent_resource, api::namespace_of(*obj),
                                        api::name(*obj), client::PatchType::kStrategicMerge,
                                        release_patch(api::uid(*obj), {ctx.ref.uid}));
      // Gone, or recreated with another uid (the uid precondition fails as Invalid): nothing to
      // release, as ReleasePod treats both.
      if (!released.ok() && released.error().code != ErrorCode::kNotFound &&
          released.error().code != ErrorCode::kInvalid) {
        record(std::move(released).error());
      }
      continue;
    }
    // An orphan: adopt it if it matches and nobody is going away.
    if (owner_deleting || !matches(*obj)) continue;
    if (!api::deletion_timestamp(*obj).empty()) continue;
    if (!api::namespace_of(owner).empty() && api::namespace_of(owner) != api::namespace_of(*obj)) {
      continue;
    }
    if (!adoptable) adoptable = ctx.can_adopt ? ctx.can_adopt() : Result<void>();
    if (!adoptable->ok()) {
      record(make_error(adoptable->error().code,
                        fmt::format("can't adopt {} {}/{} ({}): {}",
                                    ctx.dependent_resource.resource, api::namespace_of(*obj),
                                    api::name(*obj), api::uid(*obj), adoptable->error().message)));
      continue;
    }
    auto adopted =
        ctx.client->patch(ctx.dependent_resource, api::namespace_of(*obj), api::name(*obj),
                          client::PatchType::kStrategicMerge, adopt_patch(ctx.ref, api::uid(*obj)));
    if (!adopted.ok()) {
      if (adopted.error().code != ErrorCode::kNotFound) record(std::move(adopted).error());
      continue;
    }
    out.claimed.push_back(std::make_shared<const Json>(std::move(adopted).value()));
  }
  return out;
}

Result<void> recheck_owner(client::RestClient& client, const client::GroupVersionResource& gvr,
                           std::string_view kind, const Json& owner) {
  auto fresh = client.get(gvr, api::namespace_of(owner), api::name(owner));
  if (!fresh.ok()) {
    return make_error(fresh.error().code,
                      fmt::format("can't recheck DeletionTimestamp: {}", fresh.error().message));
  }
  if (api::uid(*fresh) != api::uid(owner)) {
    return make_error(
        ErrorCode::kConflict,
        fmt::format("original {} {}/{} is gone: got uid {}, wanted {}", kind,
                    api::namespace_of(owner), api::name(owner), api::uid(*fresh), api::uid(owner)));
  }
  if (!api::deletion_timestamp(*fresh).empty()) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("{}/{} has just been deleted at {}", api::namespace_of(owner),
                                  api::name(owner), api::deletion_timestamp(*fresh)));
  }
  return ok_result();
}

// ---- Pods.

bool has_status_cause(const Error& e, std::string_view reason) {
  return std::any_of(e.causes.begin(), e.causes.end(),
                     [&](const Cause& c) { return c.reason == reason; });
}

std::string object_key(const Json& object) { return client::Informer::key_of(object); }

bool is_pod_active(const Json& pod) {
  std::string_view phase = string_at(pod, {"status", "phase"});
  return phase != "Succeeded" && phase != "Failed" && api::deletion_timestamp(pod).empty();
}

namespace {

const Json* ready_condition(const Json& pod) {
  const Json* conditions = find_path(pod, {"status", "conditions"});
  if (conditions == nullptr || !conditions->is_array()) return nullptr;
  for (const Json& c : *conditions) {
    if (string_at(c, {"type"}) == "Ready") return &c;
  }
  return nullptr;
}

std::optional<Clock::WallTime> parse_time(std::string_view s) {
  if (s.empty()) return std::nullopt;
  auto t = parse_rfc3339(s);
  if (!t.ok()) return std::nullopt;
  return *t;
}

}  // namespace

bool is_pod_ready(const Json& pod) {
  const Json* c = ready_condition(pod);
  return c != nullptr && string_at(*c, {"status"}) == "True";
}

std::optional<Clock::WallTime> pod_ready_time(const Json& pod) {
  const Json* c = ready_condition(pod);
  if (c == nullptr || string_at(*c, {"status"}) != "True") return std::nullopt;
  return parse_time(string_at(*c, {"lastTransitionTime"}));
}

bool is_pod_available(const Json& pod, int64_t min_ready_seconds, Clock::WallTime now) {
  if (min_ready_seconds == 0) return is_pod_ready(pod);
  auto since = pod_ready_time(pod);
  return since && saturating_add(*since, std::chrono::seconds(min_ready_seconds)) < now;
}

std::vector<client::ObjectPtr> filter_active_pods(const std::vector<client::ObjectPtr>& pods) {
  std::vector<client::ObjectPtr> out;
  out.reserve(pods.size());
  for (const auto& p : pods) {
    if (is_pod_active(*p)) out.push_back(p);
  }
  return out;
}

int64_t max_container_restarts(const Json& pod) {
  int64_t most = 0;
  const Json* statuses = find_path(pod, {"status", "containerStatuses"});
  if (statuses == nullptr || !statuses->is_array()) return 0;
  for (const Json& s : *statuses) most = std::max(most, int_at(s, {"restartCount"}));
  return most;
}

namespace {

// podPhaseToOrdinal: phases it does not list read as 0, as a Go map lookup does.
int phase_ordinal(std::string_view phase) {
  if (phase == "Unknown") return 1;
  if (phase == "Running") return 2;
  return 0;
}

// What the ranking reads from one pod, computed once rather than on every comparison.
struct RankKey {
  bool unassigned = false;
  std::string_view node;
  int phase = 0;
  bool ready = false;
  int64_t deletion_cost = 0;
  int rank = 0;
  std::optional<Clock::WallTime> ready_time;
  int64_t restarts = 0;
  std::optional<Clock::WallTime> created;
  std::string_view uid;
};

RankKey rank_key(const Json& pod, int rank) {
  RankKey k;
  k.node = string_at(pod, {"spec", "nodeName"});
  k.unassigned = k.node.empty();
  k.phase = phase_ordinal(string_at(pod, {"status", "phase"}));
  k.ready = is_pod_ready(pod);
  // GetDeletionCostFromPodAnnotations: an int32; anything unparsable counts as 0.
  if (auto cost = api::annotation(pod, kPodDeletionCostAnnotation)) {
    try {
      size_t used = 0;
      long long v = std::stoll(std::string(*cost), &used);
      if (used == cost->size() && v >= INT32_MIN && v <= INT32_MAX) k.deletion_cost = v;
    } catch (const std::exception&) {
    }
  }
  k.rank = rank;
  if (k.ready) k.ready_time = pod_ready_time(pod);
  k.restarts = max_container_restarts(pod);
  k.created = parse_time(api::creation_timestamp(pod));
  k.uid = api::uid(pod);
  return k;
}

// afterOrZero: a zero time sorts first, then the later time.
bool after_or_zero(const std::optional<Clock::WallTime>& a,
                   const std::optional<Clock::WallTime>& b) {
  if (!a || !b) return !a;
  return *a > *b;
}

// logarithmicRankDiff: the difference of floor(log2(age in ns)) at `now` (-1 for a non-positive
// age), so pods of about the same age rank the same and ties break randomly (by uid).
int64_t log_rank_diff(Clock::WallTime a, Clock::WallTime b, Clock::WallTime now) {
  auto rank = [&](Clock::WallTime t) -> int64_t {
    auto d = saturating_difference(now, t).count();
    return d > 0 ? static_cast<int64_t>(std::log2(static_cast<double>(d))) : -1;
  };
  return rank(a) - rank(b);
}

bool ranked_less(const RankKey& a, const RankKey& b, Clock::WallTime now) {
  if (a.node != b.node && (a.unassigned || b.unassigned)) return a.unassigned;
  if (a.phase != b.phase) return a.phase < b.phase;
  if (a.ready != b.ready) return !a.ready;
  if (a.deletion_cost != b.deletion_cost) return a.deletion_cost < b.deletion_cost;
  // Doubled up < not doubled up: more colocated related pods go first.
  if (a.rank != b.rank) return a.rank > b.rank;
  if (a.ready && b.ready && a.ready_time != b.ready_time) {
    if (!a.ready_time || !b.ready_time) return after_or_zero(a.ready_time, b.ready_time);
    int64_t diff = log_rank_diff(*a.ready_time, *b.ready_time, now);
    if (diff == 0) return a.uid < b.uid;
    return diff < 0;
  }
  if (a.restarts != b.restarts) return a.restarts > b.restarts;
  if (a.created != b.created) {
    if (!a.created || !b.created) return after_or_zero(a.created, b.created);
    int64_t diff = log_rank_diff(*a.created, *b.created, now);
    if (diff == 0) return a.uid < b.uid;
    return diff < 0;
  }
  return false;
}

}  // namespace

bool active_pods_less(const Json& a, const Json& b) {
  RankKey ka = rank_key(a, 0), kb = rank_key(b, 0);
  if (ka.node != kb.node && (ka.unassigned || kb.unassigned)) return ka.unassigned;
  if (ka.phase != kb.phase) return ka.phase < kb.phase;
  if (ka.ready != kb.ready) return !ka.ready;
  if (ka.ready && kb.ready && ka.ready_time != kb.ready_time) {
    return after_or_zero(ka.ready_time, kb.ready_time);
  }
  if (ka.restarts != kb.restarts) return ka.restarts > kb.restarts;
  if (ka.created != kb.created) return after_or_zero(ka.created, kb.created);
  return false;
}

void sort_pods_for_deletion(std::vector<client::ObjectPtr>& pods, const std::vector<int>& ranks,
                            Clock::WallTime now) {
  std::vector<std::pair<RankKey, client::ObjectPtr>> keyed;
  keyed.reserve(pods.size());
  for (size_t i = 0; i < pods.size(); ++i) {
    keyed.emplace_back(rank_key(*pods[i], i < ranks.size() ? ranks[i] : 0), pods[i]);
  }
  // Stable: Go's sort.Sort tolerates the uid tie-breaks' occasional intransitivity; std::sort
  // would not.
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    return ranked_less(a.first, b.first, now);
  });
  for (size_t i = 0; i < pods.size(); ++i) pods[i] = std::move(keyed[i].second);
}

std::vector<client::ObjectPtr> pods_to_delete(const std::vector<client::ObjectPtr>& pods,
                                              const std::vector<client::ObjectPtr>& related,
                                              int diff, Clock::WallTime now) {
  std::vector<client::ObjectPtr> out = pods;
  // Only rank when some must stay: deleting all needs no order.
  if (diff < static_cast<int>(out.size())) {
    std::map<std::string_view, int> on_node;
    for (const auto& p : related) {
      if (is_pod_active(*p)) ++on_node[string_at(*p, {"spec", "nodeName"})];
    }
    std::vector<int> ranks;
    ranks.reserve(out.size());
    for (const auto& p : out) {
      auto it = on_node.find(string_at(*p, {"spec", "nodeName"}));
      ranks.push_back(it == on_node.end() ? 0 : it->second);
    }
    sort_pods_for_deletion(out, ranks, now);
  }
  if (diff < static_cast<int>(out.size())) out.resize(std::max(diff, 0));
  return out;
}

// ---- Creation.

SlowStartResult slow_start_batch(int count, int initial_batch_size,
                                 const std::function<Result<void>()>& fn, int parallelism) {
  SlowStartResult out;
  int remaining = count;
  parallelism = std::max(parallelism, 1);
  for (int batch = std::min(remaining, initial_batch_size); batch > 0;
       batch = std::min(2 * batch, remaining)) {
    std::atomic<int> next{0};
    std::atomic<int> failures{0};
    std::mutex mu;  // guards first_error
    std::optional<Error> first_error;
    auto run = [&] {
      while (next.fetch_add(1) < batch) {
        auto r = fn();
        if (!r.ok()) {
          failures.fetch_add(1);
          std::lock_guard lock(mu);
          if (!first_error) first_error = r.error();
        }
      }
    };
    int threads = std::min(batch, parallelism);
    if (threads == 1) {
      run();
    } else {
      std::vector<std::thread> pool;
      pool.reserve(threads);
      for (int i = 0; i < threads; ++i) pool.emplace_back(run);
      for (auto& t : pool) t.join();
    }
    out.successes += batch - failures.load();
    if (first_error) {
      out.error = std::move(first_error);
      return out;
    }
    remaining -= batch;
  }
  return out;
}

Json pod_from_template(const Json& pod_template, const Json& owner,
                       const api::OwnerReference* controller_ref) {
  Json pod = {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", Json::object()}};
  Json& meta = pod["metadata"];
  for (const char* field : {"labels", "annotations", "finalizers"}) {
    const Json* v = find_path(pod_template, {"metadata", field});
    if (v != nullptr && !v->is_null() && !v->empty()) meta[field] = *v;
  }
  // getPodsPrefix: owner names are valid DNS subdomains, so "<name>-" always is one too.
  meta["generateName"] = fmt::format("{}-", api::name(owner));
  if (controller_ref != nullptr) {
    meta["ownerReferences"] = Json::array({api::owner_reference_to_json(*controller_ref)});
  }
  const Json* spec = find_path(pod_template, {"spec"});
  pod["spec"] = spec != nullptr && spec->is_object() ? *spec : Json::object();
  return pod;
}

Result<Json> create_pod_from_template(client::RestClient& client, std::string_view ns,
                                      const Json& pod_template, const Json& owner,
                                      const api::OwnerReference* controller_ref) {
  Json pod = pod_from_template(pod_template, owner, controller_ref);
  const Json* labels = find_path(pod, {"metadata", "labels"});
  if (labels == nullptr || !labels->is_object() || labels->empty()) {
    return make_error(ErrorCode::kBadRequest, "unable to create pods, no labels");
  }
  return client.create(client::kPods, ns, pod);
}

}  // namespace bosun::controller
