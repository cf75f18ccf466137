// The Pod strategy (pkg/registry/core/pod/strategy.go and storage's BindingREST): defaulting,
// create/update preparation, the pods/status and pods/binding rules. Validation is in
// pod_update_validation.cc and pod_*_validation.cc, the table in pod_table.cc.
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "api/object_meta.h"
#include "api/resources/pod_internal.h"
#include "api/resources/pod_spec.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "common/time_format.h"

namespace bosun::api::resources {
namespace {

// The values the Priority admission plugin gives the two system classes, and a pod without a
// class when no global default PriorityClass exists.
constexpr int64_t kSystemNodeCritical = 2000001000;
constexpr int64_t kSystemClusterCritical = 2000000000;

const SchemaType* pod_status_type() {
  static const SchemaType* const kType =
      SchemaSet::global().find(std::string_view("io.k8s.api.core.v1.PodStatus"));
  return kType;
}

// podutil.UpdatePodCondition: adds or replaces the condition of that type; the transition time
// moves only when the status changes.
void update_pod_condition(Json& status, Json condition) {
  Json& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = Json::array();
  for (Json& c : conditions) {
    if (get_string(c, "type") != get_string(condition, "type")) continue;
    if (get_string(c, "status") == get_string(condition, "status") &&
        c.contains("lastTransitionTime")) {
      condition["lastTransitionTime"] = c["lastTransitionTime"];
    }
    c = std::move(condition);
    return;
  }
  conditions.push_back(std::move(condition));
}

Json pod_condition(std::string_view type, std::string_view status,
                   std::chrono::system_clock::time_point now) {
  // metav1.Time is a struct, so a zero lastProbeTime is serialised as null.
  return Json{{"type", type},
              {"status", status},
              {"lastProbeTime", nullptr},
              {"lastTransitionTime", format_rfc3339(now)}};
}

void default_pod(Json& pod) {
  if (!pod.is_object()) return;
  if (auto it = pod.find("spec"); it != pod.end() && it->is_object()) {
    default_pod_spec(*it);
    default_pod_only_fields(*it);
  }
  if (auto it = pod.find("status"); it != pod.end() && it->is_object()) {
    if (const SchemaType* t = pod_status_type()) apply_schema_defaults(*it, *t);
    // PodCondition's times are metav1.Time structs, not pointers: Kubernetes stores and serves a
    // missing one as null (`lastProbeTime: null` in every pod's conditions), even when the writer
    // left it out or a merge patch's null deleted it.
    if (auto cs = it->find("conditions"); cs != it->end() && cs->is_array()) {
      for (Json& c : *cs) {
        if (!c.is_object()) continue;
        for (const char* key : {"lastProbeTime", "lastTransitionTime"}) {
          if (!c.contains(key)) c[key] = nullptr;
        }
      }
    }
  }
}

// The DefaultTolerationSeconds admission plugin: a pod that does not tolerate the not-ready and
// unreachable NoExecute taints gets tolerations for them (of 300 s unless the API server is told
// otherwise), so the node lifecycle controller evicts its pods five minutes after a node goes away.
// An empty key or effect in an existing toleration covers the taint.
void add_default_toleration_seconds(Json& spec, const PodAdmissionOptions& admission) {
  bool not_ready = false;
  bool unreachable = false;
  for (const Json& t : get_array(spec, "tolerations")) {
    std::string_view key = get_string(t, "key");
    std::string_view effect = get_string(t, "effect");
    if (!effect.empty() && effect != "NoExecute") continue;
    if (key.empty() || key == "node.kubernetes.io/not-ready") not_ready = true;
    if (key.empty() || key == "node.kubernetes.io/unreachable") unreachable = true;
  }
  if (not_ready && unreachable) return;
  Json& tolerations = spec["tolerations"];
  if (!tolerations.is_array()) tolerations = Json::array();
  auto add = [&](const char* key, int64_t seconds) {
    tolerations.push_back({{"key", key},
                           {"operator", "Exists"},
                           {"effect", "NoExecute"},
                           {"tolerationSeconds", seconds}});
  };
  if (!not_ready) {
    add("node.kubernetes.io/not-ready", admission.default_not_ready_toleration_seconds);
  }
  if (!unreachable) {
    add("node.kubernetes.io/unreachable", admission.default_unreachable_toleration_seconds);
  }
}

void prepare_pod_for_create(Json& pod, const Clock& clock, const PodAdmissionOptions& admission) {
  if (!pod.is_object()) return;
  Json& spec = ensure_object(pod, "spec");
  add_default_toleration_seconds(spec, admission);
  // Pods carry metadata.generation since 1.33 (KEP-5067).
  set_generation(pod, 1);
  pod["status"] = Json{{"phase", "Pending"}, {"qosClass", std::string(compute_pod_qos(spec))}};
  if (!get_array(spec, "schedulingGates").empty()) {
    Json cond = pod_condition("PodScheduled", "False", clock.now());
    cond["reason"] = "SchedulingGated";
    cond["message"] = "Scheduling is blocked due to non-empty scheduling gates";
    update_pod_condition(pod["status"], std::move(cond));
  }
  // What the Priority admission plugin resolves without looking up PriorityClass objects.
  if (get(spec, "priority") == nullptr) {
    std::string_view cls = get_string(spec, "priorityClassName");
    std::optional<int64_t> priority;
    if (cls.empty()) priority = 0;
    if (cls == "system-node-critical") priority = kSystemNodeCritical;
    if (cls == "system-cluster-critical") priority = kSystemClusterCritical;
    if (priority) {
      spec["priority"] = *priority;
      set_default(spec, "preemptionPolicy", "PreemptLowerPriority");
    }
  }
}

void prepare_pod_for_update(Json& pod, const Json& old, const PodAdmissionOptions& admission) {
  if (!pod.is_object()) return;
  // The admission plugin runs on updates too, so a replaced manifest stays valid.
  add_default_toleration_seconds(ensure_object(pod, "spec"), admission);
  // The Priority admission plugin keeps what it set at create when an update leaves it out.
  if (const Json* old_spec = get(old, "spec"); old_spec && old_spec->is_object()) {
    Json& spec = ensure_object(pod, "spec");
    for (const char* key : {"priority", "preemptionPolicy"}) {
      if (const Json* v = get(*old_spec, key)) set_default(spec, key, *v);
    }
  }
  // Spec changes through the main endpoint never touch the status.
  if (const Json* s = get(old, "status")) {
    pod["status"] = *s;
  } else {
    pod.erase("status");
  }
  const Json& spec = get_object(pod, "spec");
  if (!semantic_equal(spec, get_object(old, "spec"))) {
    set_generation(pod, generation(old) + 1);
  } else {
    set_generation(pod, generation(old));
  }
}

// pods/status: preserveOldObservedGeneration and the rest of podStatusStrategy.PrepareForUpdate.
void prepare_pod_status_update(Json& pod, const Json& old) {
  if (!pod.is_object()) return;
  if (const Json* s = get(old, "spec")) {
    pod["spec"] = *s;
  } else {
    pod.erase("spec");
  }
  // Old kubelets corrupt owner references through the status endpoint; they are kept.
  Json& meta = mutable_metadata(pod);
  if (const Json* refs = get_path(old, {"metadata", "ownerReferences"})) {
    meta["ownerReferences"] = *refs;
  } else {
    meta.erase("ownerReferences");
  }
  Json& status = ensure_object(pod, "status");
  const Json& old_status = get_object(old, "status");
  // The QoS class is immutable; old kubelets dropped it when rejecting a pod.
  if (get_string(status, "qosClass").empty()) {
    if (const Json* q = get(old_status, "qosClass")) status["qosClass"] = *q;
  }
  if (get_int(status, "observedGeneration").value_or(0) == 0) {
    if (const Json* g = get(old_status, "observedGeneration")) status["observedGeneration"] = *g;
  }
  // Per condition type, in order, the old observedGeneration fills a cleared one.
  std::map<std::string, std::vector<Json>> old_gens;
  for (const Json& c : get_array(old_status, "conditions")) {
    old_gens[std::string(get_string(c, "type"))].push_back(
        get(c, "observedGeneration") ? c["observedGeneration"] : Json(0));
  }
  if (status.contains("conditions") && status["conditions"].is_array()) {
    for (Json& c : status["conditions"]) {
      if (!c.is_object()) continue;
      Json old_gen = 0;
      auto& queue = old_gens[std::string(get_string(c, "type"))];
      if (!queue.empty()) {
        old_gen = queue.front();
        queue.erase(queue.begin());
      }
      if (get_int(c, "observedGeneration").value_or(0) == 0 && old_gen != Json(0)) {
        c["observedGeneration"] = old_gen;
      }
    }
  }
}

}  // namespace

void install_pod(ResourceType& t, const Clock& clock, PodAdmissionOptions admission) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_pod;
  t.strategy.prepare_for_create = [c, admission](Json& obj) {
    prepare_pod_for_create(obj, *c, admission);
  };
  t.strategy.prepare_for_update = [admission](Json& obj, const Json& old) {
    prepare_pod_for_update(obj, old, admission);
  };
  t.strategy.validate_create = pod::validate_create;
  t.strategy.validate_update = pod::validate_update;
  t.strategy.table_columns = pod::table_columns();
  t.strategy.table_cells = [c](const Json& obj) { return pod::table_cells(obj, c->now()); };
}

SubresourceStrategy pod_status_strategy() {
  return {prepare_pod_status_update, pod::validate_status_update};
}

SubresourceStrategy pod_ephemeral_containers_strategy() {
  // dropNonEphemeralContainerUpdates: only spec.ephemeralContainers (and metadata) change.
  auto prepare = [](Json& pod, const Json& old) {
    if (!pod.is_object()) return;
    const Json* ephemeral = get_path(pod, {"spec", "ephemeralContainers"});
    Json keep = ephemeral != nullptr ? *ephemeral : Json();
    pod["spec"] = get_object(old, "spec");
    if (!keep.is_null()) pod["spec"]["ephemeralContainers"] = std::move(keep);
    if (!pod["spec"].contains("ephemeralContainers") && pod["spec"].empty()) pod.erase("spec");
    if (const Json* s = get(old, "status")) {
      pod["status"] = *s;
    } else {
      pod.erase("status");
    }
    bool changed = !semantic_equal(get_object(pod, "spec"), get_object(old, "spec"));
    set_generation(pod, generation(old) + (changed ? 1 : 0));
  };
  return {prepare, pod::validate_ephemeral_containers_update};
}

FieldErrors validate_pod_binding(const Json& binding) {
  FieldErrors errs;
  const Json& target = get_object(binding, "target");
  std::string_view kind = get_string(target, "kind");
  if (!kind.empty() && kind != "Node") {
    errs.not_supported("target.kind", std::string(kind), {"Node", "<empty>"});
  }
  if (get_string(target, "name").empty()) errs.required("target.name");
  return errs;
}

Result<Json> bind_pod(const Json& pod, const Json& binding,
                      std::chrono::system_clock::time_point now) {
  std::string_view pod_name = name(pod);
  if (name(binding) != pod_name) {
    return make_error(ErrorCode::kBadRequest, "name in URL does not match name in Binding object");
  }
  if (FieldErrors errs = validate_pod_binding(binding); !errs.empty()) {
    return errs.to_error("Binding", name(binding));
  }
  auto conflict = [&](std::string_view resource, std::string message) {
    return make_error(ErrorCode::kConflict,
                      fmt::format("Operation cannot be fulfilled on {} {}: {}", resource,
                                  go_quote(pod_name), message));
  };
  // The binding's uid and resourceVersion are preconditions on the pod (GuaranteedUpdate).
  if (std::string_view want = uid(binding); !want.empty() && want != uid(pod)) {
    return conflict("pods", fmt::format("Precondition failed: UID in precondition: {}, UID in "
                                        "object meta: {}",
                                        want, uid(pod)));
  }
  if (std::string_view want = resource_version(binding);
      !want.empty() && want != resource_version(pod)) {
    return conflict("pods", fmt::format("Precondition failed: ResourceVersion in precondition: "
                                        "{}, ResourceVersion in object meta: {}",
                                        want, resource_version(pod)));
  }
  if (!deletion_timestamp(pod).empty()) {
    return conflict("pods/binding",
                    fmt::format("pod {} is being deleted, cannot be assigned to a host", pod_name));
  }
  const Json& spec = get_object(pod, "spec");
  if (std::string_view node = get_string(spec, "nodeName"); !node.empty()) {
    return conflict("pods/binding",
                    fmt::format("pod {} is already assigned to node {}", pod_name, go_quote(node)));
  }
  Json out = pod;
  ensure_object(out, "spec")["nodeName"] =
      std::string(get_string(get_object(binding, "target"), "name"));
  if (const Json* ann = get_path(binding, {"metadata", "annotations"}); ann && ann->is_object()) {
    Json& meta = mutable_metadata(out);
    Json& dst = ensure_object(meta, "annotations");
    for (auto& [k, v] : ann->items()) dst[k] = v;
  }
  update_pod_condition(ensure_object(out, "status"), pod_condition("PodScheduled", "True", now));
  return out;
}

}  // namespace bosun::api::resources
