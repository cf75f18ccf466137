// apps/v1 ReplicaSet: SetDefaults_ReplicaSet, the replica set strategy (status reset, generation
// bumped by spec changes, immutable selector), ValidateReplicaSetSpec and printReplicaSet.
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/table_util.h"
#include "api/resources/workloads_common.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

void default_replica_set(Json& obj) {
  schema_defaults(obj, "apps", "ReplicaSet");
  Json& spec = object_member(obj, "spec");
  if (!is_set(member(spec, "replicas"))) spec["replicas"] = 1;
  default_pod_template(object_member(spec, "template"));
}

void prepare_create(Json& obj) {
  // ReplicaSetStatus.replicas has no omitempty: an empty status still prints it.
  obj["status"] = Json{{"replicas", 0}};
  set_generation(obj, 1);
}

void prepare_update(Json& obj, const Json& old) {
  if (const Json* status = member(old, "status")) {
    obj["status"] = *status;
  } else if (obj.is_object()) {
    obj.erase("status");
  }
  bool changed = !semantically_equal(member(obj, "spec"), member(old, "spec"));
  set_generation(obj, changed ? generation(old) + 1 : generation(old));
}

FieldErrors validate_replica_set(const Json& obj) {
  FieldErrors errs;
  const Json* spec = member(obj, "spec");
  check_nonnegative(errs, member(spec, "replicas"), "spec.replicas");
  check_nonnegative(errs, member(spec, "minReadySeconds"), "spec.minReadySeconds");
  validate_selector_and_template(errs, spec, "ReplicaSet");
  return errs;
}

FieldErrors validate_replica_set_update(const Json& obj, const Json& old) {
  FieldErrors errs = validate_replica_set(obj);
  // apps/v1 made the selector immutable, as for Deployments.
  const Json* selector = member(member(obj, "spec"), "selector");
  if (!semantically_equal(selector, member(member(old, "spec"), "selector"))) {
    if (is_set(selector)) {
      invalid_go(errs, "spec.selector", go_label_selector(*selector), kFieldImmutable);
    } else {
      errs.invalid("spec.selector", "null", std::string(kFieldImmutable));
    }
  }
  return errs;
}

void prepare_status_update(Json& obj, const Json& old) { keep_from_old(obj, old, "spec"); }

FieldErrors validate_status_update(const Json& obj, const Json&) {
  FieldErrors errs;
  validate_replica_status(errs, member(obj, "status"),
                          {"replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas",
                           "observedGeneration"},
                          {"fullyLabeledReplicas", "readyReplicas", "availableReplicas"});
  return errs;
}

std::vector<TableColumn> columns() {
  return {
      name_column(),
      {"Desired", "integer", "", "Replicas is the number of desired replicas.", 0},
      {"Current", "integer", "", "Replicas is the most recently observed number of replicas.", 0},
      {"Ready", "integer", "", "The number of ready replicas for this replica set.", 0},
      age_column(),
      {"Containers", "string", "", "Names of each container in the template.", 1},
      {"Images", "string", "", "Images referenced by each container in the template.", 1},
      {"Selector", "string", "",
       "Selector is a label query over pods that should match the replica count.", 1},
  };
}

Json cells(const Json& obj, const Clock& clock) {
  const Json* spec = member(obj, "spec");
  const Json* status = member(obj, "status");
  auto [names, images] = container_cells(member(member(spec, "template"), "spec"));
  // metav1.FormatLabelSelector.
  const Json* selector = member(spec, "selector");
  Result<LabelSelector> parsed = LabelSelector::from_json(selector ? *selector : Json());
  std::string selector_text = "<error>";
  if (parsed.ok()) {
    selector_text = parsed->to_string();
    if (selector_text.empty()) selector_text = "<none>";
  }
  return Json::array({
      str(member(member(obj, "metadata"), "name")),
      int_or_zero(member(spec, "replicas")),
      int_or_zero(member(status, "replicas")),
      int_or_zero(member(status, "readyReplicas")),
      age_cell(obj, clock.now()),
      names,
      images,
      selector_text,
  });
}

}  // namespace

SubresourceStrategy replica_set_status_strategy() {
  return {guarded(prepare_status_update), guarded(validate_status_update)};
}

void install_replica_set(ResourceType& t, const Clock& clock) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_replica_set);
  s.prepare_for_create = guarded(prepare_create);
  s.prepare_for_update = guarded(prepare_update);
  s.validate_create = guarded(validate_replica_set);
  s.validate_update = guarded(validate_replica_set_update);
  s.table_columns = columns();
  s.table_cells = guarded([&clock](const Json& obj) { return cells(obj, clock); });
}

}  // namespace bosun::api::resources
