// core/v1 ReplicationController: SetDefaults_ReplicationController (selector and labels from the
// template), the controller strategy (status reset, generation bumped by spec changes),
// ValidateReplicationControllerSpec and printReplicationController.
#include "api/label_selector.h"
#include "api/labels.h"
#include "api/object_meta.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/table_util.h"
#include "api/resources/workloads_common.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

void default_replication_controller(Json& obj) {
  schema_defaults(obj, "", "ReplicationController");
  Json& spec = object_member(obj, "spec");
  if (!is_set(member(spec, "replicas"))) spec["replicas"] = 1;
  Json* tmpl =
      spec.contains("template") && spec["template"].is_object() ? &spec["template"] : nullptr;
  if (!tmpl) return;
  // The template's labels stand in for an unset selector and for the controller's own labels.
  if (const Json* labels = member(member(*tmpl, "metadata"), "labels");
      labels && labels->is_object()) {
    if (!non_empty(member(spec, "selector"))) spec["selector"] = *labels;
    if (!non_empty(member(member(obj, "metadata"), "labels"))) {
      mutable_metadata(obj)["labels"] = *labels;
    }
  }
  default_pod_template(*tmpl);
}

void prepare_create(Json& obj) {
  // ReplicationControllerStatus.replicas has no omitempty.
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

FieldErrors validate_replication_controller(const Json& obj) {
  FieldErrors errs;
  const Json* spec = member(obj, "spec");
  check_nonnegative(errs, member(spec, "minReadySeconds"), "spec.minReadySeconds");
  const Json* selector = member(spec, "selector");
  Labels set;
  if (selector && selector->is_object()) {
    for (const auto& [k, v] : selector->items()) {
      set.emplace(k, v.is_string() ? v.get_ref<const std::string&>() : v.dump());
    }
  }
  LabelSelector sel = LabelSelector::from_set(set);
  if (sel.empty()) errs.required("spec.selector");
  check_nonnegative(errs, member(spec, "replicas"), "spec.replicas");
  const Json* tmpl = member(spec, "template");
  std::optional<bool> matches;
  if (!sel.empty()) {
    const Json* labels = member(member(tmpl, "metadata"), "labels");
    matches = sel.matches(labels ? *labels : Json());
  }
  validate_controller_template(errs, tmpl, matches, "ReplicationController", "spec.template");
  return errs;
}

FieldErrors validate_replication_controller_update(const Json& obj, const Json&) {
  // core/v1 never made the selector immutable.
  return validate_replication_controller(obj);
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
      {"Ready", "integer", "", "The number of ready replicas for this replication controller.", 0},
      age_column(),
      {"Containers", "string", "", "Names of each container in the template.", 1},
      {"Images", "string", "", "Images referenced by each container in the template.", 1},
      {"Selector", "string", "",
       "Selector is a label query over pods that should match the Replicas count.", 1},
  };
}

Json cells(const Json& obj, const Clock& clock) {
  const Json* spec = member(obj, "spec");
  const Json* status = member(obj, "status");
  auto [names, images] = container_cells(member(member(spec, "template"), "spec"));
  return Json::array({
      str(member(member(obj, "metadata"), "name")),
      int_or_zero(member(spec, "replicas")),
      int_or_zero(member(status, "replicas")),
      int_or_zero(member(status, "readyReplicas")),
      age_cell(obj, clock.now()),
      names,
      images,
      format_labels(member(spec, "selector")),
  });
}

}  // namespace

SubresourceStrategy replication_controller_status_strategy() {
  return {guarded(prepare_status_update), guarded(validate_status_update)};
}

void install_replication_controller(ResourceType& t, const Clock& clock) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_replication_controller);
  s.prepare_for_create = guarded(prepare_create);
  s.prepare_for_update = guarded(prepare_update);
  s.validate_create = guarded(validate_replication_controller);
  s.validate_update = guarded(validate_replication_controller_update);
  s.table_columns = columns();
  s.table_cells = guarded([&clock](const Json& obj) { return cells(obj, clock); });
}

}  // namespace bosun::api::resources
