// apps/v1 Deployment: SetDefaults_Deployment, the deployment strategy (status reset, generation
// bumped by spec and annotation changes, immutable selector), ValidateDeploymentSpec and
// printDeployment.
#include <fmt/format.h>

#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/table_util.h"
#include "api/resources/workloads_common.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

void default_deployment(Json& obj) {
  schema_defaults(obj, "apps", "Deployment");
  Json& spec = object_member(obj, "spec");
  if (!is_set(member(spec, "replicas"))) spec["replicas"] = 1;
  Json& strategy = object_member(spec, "strategy");
  if (str(member(strategy, "type")).empty()) strategy["type"] = "RollingUpdate";
  if (str(member(strategy, "type")) == "RollingUpdate") {
    // apps/v1 raised both limits from extensions' 1 to 25%.
    Json& rolling = object_member(strategy, "rollingUpdate");
    if (!is_set(member(rolling, "maxUnavailable"))) rolling["maxUnavailable"] = "25%";
    if (!is_set(member(rolling, "maxSurge"))) rolling["maxSurge"] = "25%";
  }
  if (!is_set(member(spec, "revisionHistoryLimit"))) spec["revisionHistoryLimit"] = 10;
  if (!is_set(member(spec, "progressDeadlineSeconds"))) spec["progressDeadlineSeconds"] = 600;
  default_pod_template(object_member(spec, "template"));
}

void prepare_create(Json& obj) {
  obj["status"] = Json::object();
  set_generation(obj, 1);
}

void prepare_update(Json& obj, const Json& old) {
  if (const Json* status = member(old, "status")) {
    obj["status"] = *status;
  } else if (obj.is_object()) {
    obj.erase("status");
  }
  // Annotation changes bump the generation too: the controller copies them to the ReplicaSets.
  bool changed = !semantically_equal(member(obj, "spec"), member(old, "spec")) ||
                 !semantically_equal(member(member(obj, "metadata"), "annotations"),
                                     member(member(old, "metadata"), "annotations"));
  set_generation(obj, changed ? generation(old) + 1 : generation(old));
}

// The value of an int-or-percent: the percentage for a valid "N%", else the integer (a string
// that is neither reads as 0, as IntOrString.IntValue does).
int int_or_percent_value(const Json* v, bool* is_percent) {
  *is_percent = false;
  if (v && v->is_string()) {
    const std::string& s = v->get_ref<const std::string&>();
    bool digits = s.size() >= 2 && s.back() == '%';
    for (size_t i = 0; digits && i + 1 < s.size(); ++i) digits = s[i] >= '0' && s[i] <= '9';
    if (digits) {
      *is_percent = true;
      long long n = 0;
      for (size_t i = 0; i + 1 < s.size() && n < 1000000000; ++i) n = n * 10 + (s[i] - '0');
      return static_cast<int>(n);
    }
    try {
      size_t used = 0;
      int n = std::stoi(s, &used);
      return used == s.size() ? n : 0;
    } catch (const std::exception&) {
      return 0;
    }
  }
  return static_cast<int>(int_or_zero(v));
}

void validate_positive_int_or_percent(FieldErrors& errs, const Json* v, const std::string& path) {
  if (v && v->is_string()) {
    bool percent = false;
    int_or_percent_value(v, &percent);
    if (!percent) {
      invalid_go(errs, path, go_int_or_string(v),
                 regex_error("a valid percent string must be a numeric string followed by an "
                             "ending '%'",
                             "[0-9]+%", {"1%", "93%"}));
    }
  } else {
    check_nonnegative(errs, v, path);
  }
}

void validate_strategy(FieldErrors& errs, const Json* strategy) {
  const std::string path = "spec.strategy";
  std::string_view type = str(member(strategy, "type"));
  const Json* rolling = member(strategy, "rollingUpdate");
  if (type == "Recreate") {
    if (is_set(rolling)) {
      errs.forbidden(path + ".rollingUpdate",
                     "may not be specified when strategy `type` is 'Recreate'");
    }
  } else if (type == "RollingUpdate") {
    if (!is_set(rolling)) {
      errs.required(path + ".rollingUpdate", "this should be defaulted and never be nil");
      return;
    }
    const std::string rpath = path + ".rollingUpdate";
    const Json* max_unavailable = member(rolling, "maxUnavailable");
    const Json* max_surge = member(rolling, "maxSurge");
    validate_positive_int_or_percent(errs, max_unavailable, rpath + ".maxUnavailable");
    validate_positive_int_or_percent(errs, max_surge, rpath + ".maxSurge");
    bool unavailable_percent = false;
    bool surge_percent = false;
    int unavailable = int_or_percent_value(max_unavailable, &unavailable_percent);
    int surge = int_or_percent_value(max_surge, &surge_percent);
    if (unavailable == 0 && surge == 0) {
      invalid_go(errs, rpath + ".maxUnavailable", go_int_or_string(max_unavailable),
                 "may not be 0 when `maxSurge` is 0");
    }
    if (unavailable_percent && unavailable > 100) {
      invalid_go(errs, rpath + ".maxUnavailable", go_int_or_string(max_unavailable),
                 "must not be greater than 100%");
    }
  } else {
    // Kubernetes prints the whole strategy struct; the rolling update pointer is an address, so
    // only its nil-ness can be reproduced.
    std::string value = fmt::format(
        "apps.DeploymentStrategy{{Type:{}, RollingUpdate:(*apps.RollingUpdateDeployment)({})}}",
        go_quote(type), is_set(rolling) ? "0xc000000000" : "nil");
    FieldError e;
    e.type = FieldErrorType::kNotSupported;
    e.field = path;
    e.omit_value = true;
    e.detail = value + ": supported values: \"Recreate\", \"RollingUpdate\"";
    errs.add(std::move(e));
  }
}

FieldErrors validate_deployment(const Json& obj) {
  FieldErrors errs;
  const Json* spec = member(obj, "spec");
  check_nonnegative(errs, member(spec, "replicas"), "spec.replicas");
  validate_selector_and_template(errs, spec, "Deployment");
  validate_strategy(errs, member(spec, "strategy"));
  check_nonnegative(errs, member(spec, "minReadySeconds"), "spec.minReadySeconds");
  if (is_set(member(spec, "revisionHistoryLimit"))) {
    check_nonnegative(errs, member(spec, "revisionHistoryLimit"), "spec.revisionHistoryLimit");
  }
  if (const Json* deadline = member(spec, "progressDeadlineSeconds"); is_set(deadline)) {
    check_nonnegative(errs, deadline, "spec.progressDeadlineSeconds");
    int64_t d = int_or_zero(deadline);
    if (d <= int_or_zero(member(spec, "minReadySeconds"))) {
      errs.invalid("spec.progressDeadlineSeconds", d, "must be greater than minReadySeconds");
    }
  }
  return errs;
}

FieldErrors validate_deployment_update(const Json& obj, const Json& old) {
  FieldErrors errs = validate_deployment(obj);
  // apps/v1 made the selector immutable (extensions/v1beta1 and apps/v1beta1 allowed changes).
  const Json* selector = member(member(obj, "spec"), "selector");
  const Json* old_selector = member(member(old, "spec"), "selector");
  if (!semantically_equal(selector, old_selector)) {
    if (is_set(selector)) {
      invalid_go(errs, "spec.selector", go_label_selector(*selector), kFieldImmutable);
    } else {
      errs.invalid("spec.selector", "null", std::string(kFieldImmutable));
    }
  }
  return errs;
}

// deploymentStatusStrategy: the status endpoint cannot change spec or labels.
void prepare_status_update(Json& obj, const Json& old) {
  keep_from_old(obj, old, "spec");
  keep_metadata_from_old(obj, old, "labels");
}

FieldErrors validate_status_update(const Json& obj, const Json& old) {
  FieldErrors errs;
  const Json* status = member(obj, "status");
  validate_replica_status(errs, status,
                          {"observedGeneration", "replicas", "updatedReplicas", "readyReplicas",
                           "availableReplicas", "unavailableReplicas", "collisionCount"},
                          {"updatedReplicas", "readyReplicas", "availableReplicas"});
  // collisionCount only grows: the controller derives ReplicaSet names from it.
  const Json* before = member(member(old, "status"), "collisionCount");
  const Json* now = member(status, "collisionCount");
  if (is_set(before) && (!is_set(now) || int_or_zero(now) < int_or_zero(before))) {
    errs.invalid("status.collisionCount", int_or_zero(now), "cannot be decremented");
  }
  return errs;
}

std::vector<TableColumn> columns() {
  return {
      name_column(),
      {"Ready", "string", "", "Number of the pod with ready state", 0},
      {"Up-to-date", "string", "",
       "Total number of non-terminated pods targeted by this deployment that have the desired "
       "template spec.",
       0},
      {"Available", "string", "",
       "Total number of available pods (ready for at least minReadySeconds) targeted by this "
       "deployment.",
       0},
      age_column(),
      {"Containers", "string", "", "Names of each container in the template.", 1},
      {"Images", "string", "", "Images referenced by each container in the template.", 1},
      {"Selector", "string", "",
       "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the "
       "ones affected by this deployment.",
       1},
  };
}

Json cells(const Json& obj, const Clock& clock) {
  const Json* spec = member(obj, "spec");
  const Json* status = member(obj, "status");
  auto [names, images] = container_cells(member(member(spec, "template"), "spec"));
  const Json* selector = member(spec, "selector");
  Result<LabelSelector> parsed = LabelSelector::from_json(selector ? *selector : Json());
  std::string selector_text = parsed.ok() ? parsed->to_string() : "<invalid>";
  return Json::array({
      str(member(member(obj, "metadata"), "name")),
      fmt::format("{}/{}", int_or_zero(member(status, "readyReplicas")),
                  int_or_zero(member(spec, "replicas"))),
      int_or_zero(member(status, "updatedReplicas")),
      int_or_zero(member(status, "availableReplicas")),
      age_cell(obj, clock.now()),
      names,
      images,
      selector_text,
  });
}

}  // namespace

SubresourceStrategy deployment_status_strategy() {
  return {guarded(prepare_status_update), guarded(validate_status_update)};
}

void install_deployment(ResourceType& t, const Clock& clock) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_deployment);
  s.prepare_for_create = guarded(prepare_create);
  s.prepare_for_update = guarded(prepare_update);
  s.validate_create = guarded(validate_deployment);
  s.validate_update = guarded(validate_deployment_update);
  s.table_columns = columns();
  s.table_cells = guarded([&clock](const Json& obj) { return cells(obj, clock); });
}

}  // namespace bosun::api::resources
