#include "controller/namespace_controller.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "common/log.h"
#include "common/time_format.h"

namespace bosun::controller {

namespace {

const client::GroupVersionResource kNamespaces{"", "v1", "namespaces"};

// finalizerEstimateSeconds: how long content held by finalizers is given before a re-check.
constexpr int64_t kFinalizerEstimateSeconds = 5;

bool terminating(const Json& ns) { return !api::deletion_timestamp(ns).empty(); }

bool has_kubernetes_finalizer(const Json& ns) {
  const Json* f = find_path(ns, {"spec", "finalizers"});
  if (f == nullptr || !f->is_array()) return false;
  for (const Json& v : *f) {
    if (v.is_string() && v.get<std::string>() == api::kFinalizerKubernetes) return true;
  }
  return false;
}

std::string join(std::vector<std::string> parts) {
  std::sort(parts.begin(), parts.end());
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += ", ";
    out += p;
  }
  return out;
}

}  // namespace

// What one deletion pass found, for the namespace's conditions.
struct NamespaceController::Pass {
  std::vector<std::string> discovery_errors;
  std::vector<std::string> content_errors;
  std::map<std::string, int64_t> remaining;   // "resource.group" -> count
  std::map<std::string, int64_t> finalizers;  // finalizer -> count
};

NamespaceController::NamespaceController(ControllerContext context)
    : Controller(context), namespaces_(context.informers.informer(kNamespaces)) {
  client::EventHandler h;
  // Only namespaces being deleted are of interest.
  h.on_add = [this](const client::ObjectPtr& ns) {
    if (terminating(*ns)) enqueue(std::string(api::name(*ns)));
  };
  h.on_update = [this](const client::ObjectPtr&, const client::ObjectPtr& ns) {
    if (terminating(*ns)) enqueue(std::string(api::name(*ns)));
  };
  namespaces_.add_event_handler(std::move(h));
}

NamespaceController::~NamespaceController() { stop(); }

Result<void> NamespaceController::reconcile(const std::string& key) {
  // The live object, as the deleter reads it: the cache may lag behind a finalize.
  auto got = ctx_.client.get(kNamespaces, "", key);
  if (!got.ok()) {
    if (got.error().code == ErrorCode::kNotFound) return ok_result();
    return std::move(got).error();
  }
  Json ns = std::move(got).value();
  if (!terminating(ns)) return ok_result();
  if (string_at(ns, {"status", "phase"}) != "Terminating") {
    ns["status"]["phase"] = "Terminating";
    BOSUN_ASSIGN_OR_RETURN(ns, ctx_.client.update_status(kNamespaces, "", ns));
  }
  // Finalized already: the API server deletes it once the other finalizers are done.
  if (!has_kubernetes_finalizer(ns)) return ok_result();

  Pass pass;
  auto estimate = delete_all_content(ns, pass);
  auto conditions = update_conditions(ns, pass);
  if (!conditions.ok()) {
    SPDLOG_WARN("{}: {}: updating conditions: {}", name(), key, conditions.error().message);
  }
  if (!estimate.ok()) return std::move(estimate).error();
  if (*estimate > 0) {
    // ResourcesRemainingError: look again after about half the estimate (at most an hour: the
    // estimate is a pod's grace period, an int64 whose nanoseconds could overflow).
    queue().add_after(key, std::chrono::seconds(std::min<int64_t>(*estimate / 2 + 1, 3600)));
    return ok_result();
  }
  return finalize(ns);
}

Result<int64_t> NamespaceController::delete_all_content(const Json& ns, Pass& pass) {
  auto served = discover_resources(ctx_.client);
  if (!served.ok()) {
    pass.discovery_errors.push_back(served.error().message);
    return std::move(served).error();
  }
  std::vector<const ServedResource*> deletable;
  for (const auto& r : *served) {
    if (r.namespaced && r.has_verb("list") && r.has_verb("delete")) deletable.push_back(&r);
  }
  // OrderedNamespaceDeletion (on by default in 1.33): pods go first, so that nothing a pod
  // relies on (a NetworkPolicy, a Secret) disappears while it still runs.
  std::stable_partition(deletable.begin(), deletable.end(), [](const ServedResource* r) {
    return r->gvr.group.empty() && r->gvr.resource == "pods";
  });
  std::string_view name = api::name(ns);
  int64_t estimate = 0;
  for (const ServedResource* r : deletable) {
    int64_t e = 0;
    auto deleted = delete_resource(*r, name, ns, pass, &e);
    if (!deleted.ok()) pass.content_errors.push_back(deleted.error().message);
    estimate = std::max(estimate, e);
    // Nothing else goes while pods remain.
    if (r->gvr.resource == "pods" && r->gvr.group.empty() && pass.remaining.count("pods.")) break;
  }
  if (!pass.content_errors.empty()) {
    return make_error(ErrorCode::kInternal, join(pass.content_errors));
  }
  if (!pass.remaining.empty()) estimate = std::max<int64_t>(estimate, 1);
  return estimate;
}

Result<void> NamespaceController::delete_resource(const ServedResource& r, std::string_view ns,
                                                  const Json& namespace_obj, Pass& pass,
                                                  int64_t* estimate) {
  *estimate = 0;
  const bool pods = r.gvr.group.empty() && r.gvr.resource == "pods";
  if (r.has_verb("deletecollection")) {
    auto deleted = ctx_.client.request(
        "DELETE", client::resource_path(r.gvr, ns) + "?propagationPolicy=Background");
    if (!deleted.ok() && deleted.error().code != ErrorCode::kNotFound) {
      return std::move(deleted).error();
    }
  } else {
    BOSUN_ASSIGN_OR_RETURN(Json list, ctx_.client.list(r.gvr, ns));
    for (const Json& item : list.value("items", Json::array())) {
      client::DeleteOptions o;
      o.propagation_policy = "Background";
      auto deleted = ctx_.client.remove(r.gvr, ns, api::name(item), o);
      if (!deleted.ok() && deleted.error().code != ErrorCode::kNotFound) {
        return std::move(deleted).error();
      }
    }
  }
  BOSUN_ASSIGN_OR_RETURN(Json left, ctx_.client.list(r.gvr, ns));
  const Json& items =
      left.contains("items") && left["items"].is_array() ? left["items"] : Json::array();
  if (items.empty()) return ok_result();
  pass.remaining[fmt::format("{}.{}", r.gvr.resource, r.gvr.group)] +=
      static_cast<int64_t>(items.size());
  bool any_finalizer = false;
  for (const Json& item : items) {
    for (const std::string& f : api::finalizers(item)) {
      ++pass.finalizers[f];
      any_finalizer = true;
    }
  }
  if (pods) {
    // estimateGracefulTermination: the longest grace period left, counted from the namespace's
    // deletion.
    int64_t grace = 0;
    for (const Json& pod : items) {
      grace = std::max(grace, int_at(pod, {"spec", "terminationGracePeriodSeconds"}, 30));
      if (auto g = api::deletion_grace_period_seconds(pod)) grace = std::max(grace, *g);
    }
    auto since = parse_rfc3339(api::deletion_timestamp(namespace_obj));
    if (since.ok()) {
      auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(
          saturating_difference(ctx_.clock.now(), *since));
      if (elapsed.count() >= grace) grace = 0;
    }
    *estimate = grace;
  }
  if (*estimate == 0 && any_finalizer) *estimate = kFinalizerEstimateSeconds;
  if (*estimate == 0) {
    return make_error(ErrorCode::kInternal,
                      fmt::format("unexpected items still remain in namespace: {} for gvr: {}", ns,
                                  r.gvr.resource));
  }
  return ok_result();
}

Result<void> NamespaceController::update_conditions(const Json& ns, const Pass& pass) {
  struct Want {
    const char* type;
    bool status;
    std::string reason;
    std::string message;
  };
  std::vector<std::string> remaining, finalizers;
  for (const auto& [gr, n] : pass.remaining) {
    remaining.push_back(fmt::format("{} has {} resource instances", gr, n));
  }
  for (const auto& [f, n] : pass.finalizers) {
    finalizers.push_back(fmt::format("{} in {} resource instances", f, n));
  }
  std::vector<Want> want = {
      pass.discovery_errors.empty()
          ? Want{"NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered",
                 "All resources successfully discovered"}
          : Want{"NamespaceDeletionDiscoveryFailure", true, "DiscoveryFailed",
                 fmt::format("Discovery failed for some groups, {} failing: {}",
                             pass.discovery_errors.size(), join(pass.discovery_errors))},
      {"NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions",
       "All legacy kube types successfully parsed"},
      pass.content_errors.empty()
          ? Want{"NamespaceDeletionContentFailure", false, "ContentDeleted",
                 "All content successfully deleted, may be waiting on finalization"}
          : Want{"NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                 fmt::format("Failed to delete all resource types, {} remaining: {}",
                             pass.content_errors.size(), join(pass.content_errors))},
      remaining.empty() ? Want{"NamespaceContentRemaining", false, "ContentRemoved",
                               "All content successfully removed"}
                        : Want{"NamespaceContentRemaining", true, "SomeResourcesRemain",
                               "Some resources are remaining: " + join(remaining)},
      finalizers.empty()
          ? Want{"NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                 "All content-preserving finalizers finished"}
          : Want{"NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                 "Some content in the namespace has finalizers remaining: " + join(finalizers)},
  };
  const Json* old = find_path(ns, {"status", "conditions"});
  Json conditions = Json::array();
  bool changed = false;
  std::string now = format_rfc3339(ctx_.clock.now());
  for (const Want& w : want) {
    Json c = {{"type", w.type},
              {"status", w.status ? "True" : "False"},
              {"reason", w.reason},
              {"message", w.message},
              {"lastTransitionTime", now}};
    const Json* prior = nullptr;
    if (old != nullptr && old->is_array()) {
      for (const Json& o : *old) {
        if (o.is_object() && o.value("type", std::string()) == w.type) prior = &o;
      }
    }
    if (prior != nullptr && prior->value("status", std::string()) == c["status"]) {
      c["lastTransitionTime"] = prior->value("lastTransitionTime", now);
    }
    if (prior == nullptr || *prior != c) changed = true;
    conditions.push_back(std::move(c));
  }
  if (!changed) return ok_result();
  Json next = ns;
  next["status"]["conditions"] = std::move(conditions);
  auto written = ctx_.client.update_status(kNamespaces, "", next);
  if (!written.ok()) return std::move(written).error();
  return ok_result();
}

Result<void> NamespaceController::finalize(const Json& ns) {
  Json next = ns;
  Json kept = Json::array();
  for (const Json& f : next["spec"]["finalizers"]) {
    if (!(f.is_string() && f.get<std::string>() == api::kFinalizerKubernetes)) kept.push_back(f);
  }
  next["spec"]["finalizers"] = std::move(kept);
  // The write is unconditional on resourceVersion: only spec.finalizers is taken from it.
  api::mutable_metadata(next).erase("resourceVersion");
  auto done = ctx_.client.request(
      "PUT", client::resource_path(kNamespaces, "", api::name(ns), "finalize"), next.dump());
  if (!done.ok() && done.error().code != ErrorCode::kNotFound) return std::move(done).error();
  SPDLOG_INFO("{}: namespace {} finalized", name(), api::name(ns));
  return ok_result();
}

}  // namespace bosun::controller
