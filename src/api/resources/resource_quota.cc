// core/v1 ResourceQuota: SetDefaults_ResourceList on its lists, the quota strategy (status reset
// on create, kept on update), ValidateResourceQuota/ValidateResourceQuotaUpdate (resource names,
// quantities, scopes and scope selectors) and printResourceQuota.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "api/quantity.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/table_util.h"
#include "api/resources/workloads_common.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

void default_resource_quota(Json& obj) {
  object_member(obj, "spec");
  schema_defaults(obj, "", "ResourceQuota");
}

void prepare_create(Json& obj) { obj["status"] = Json::object(); }

void prepare_update(Json& obj, const Json& old) {
  if (const Json* status = member(old, "status")) {
    obj["status"] = *status;
  } else if (obj.is_object()) {
    obj.erase("status");
  }
}

// ---- Scopes (pkg/apis/core/helper) --------------------------------------------------------------

bool is_standard_scope(std::string_view scope) {
  for (std::string_view s :
       {"Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass",
        "CrossNamespacePodAffinity", "VolumeAttributesClass"}) {
    if (scope == s) return true;
  }
  return false;
}

bool is_pod_count_or_compute(std::string_view r) {
  for (std::string_view s : {"pods", "cpu", "memory", "limits.cpu", "limits.memory", "requests.cpu",
                             "requests.memory"}) {
    if (r == s) return true;
  }
  return false;
}

// IsResourceQuotaScopeValidForResource.
bool scope_valid_for(std::string_view scope, std::string_view resource) {
  if (scope == "Terminating" || scope == "NotTerminating" || scope == "NotBestEffort" ||
      scope == "PriorityClass" || scope == "CrossNamespacePodAffinity") {
    return is_pod_count_or_compute(resource);
  }
  if (scope == "BestEffort") return resource == "pods";
  if (scope == "VolumeAttributesClass") {
    return resource == "persistentvolumeclaims" || resource == "requests.storage";
  }
  return true;
}

// []core.ResourceQuotaScope{"BestEffort"} as %#v prints spec.scopes.
std::string go_scopes(const Json* scopes) {
  if (!scopes || !scopes->is_array()) return "[]core.ResourceQuotaScope(nil)";
  std::string out = "[]core.ResourceQuotaScope{";
  for (size_t i = 0; i < scopes->size(); ++i) {
    if (i) out += ", ";
    out += go_quote(str(&(*scopes)[i]));
  }
  return out + "}";
}

// &core.ScopeSelector{...} as %#v prints it (field errors dereference the pointer).
std::string go_scope_selector(const Json* selector) {
  if (!is_set(selector)) return "\"null\"";
  std::string out = "core.ScopeSelector{MatchExpressions:";
  const Json* exprs = member(selector, "matchExpressions");
  if (!exprs || !exprs->is_array()) {
    out += "[]core.ScopedResourceSelectorRequirement(nil)";
  } else {
    out += "[]core.ScopedResourceSelectorRequirement{";
    for (size_t i = 0; i < exprs->size(); ++i) {
      const Json& e = (*exprs)[i];
      if (i) out += ", ";
      out += fmt::format(
          "core.ScopedResourceSelectorRequirement{{ScopeName:{}, Operator:{}, Values:{}}}",
          go_quote(str(member(e, "scopeName"))), go_quote(str(member(e, "operator"))),
          go_string_slice(member(e, "values")));
    }
    out += "}";
  }
  return out + "}";
}

std::vector<std::string> hard_names(const Json* spec) {
  std::vector<std::string> out;
  const Json* hard = member(spec, "hard");
  if (hard && hard->is_object()) {
    for (const auto& [k, v] : hard->items()) out.push_back(k);
  }
  return out;  // sorted: JSON objects keep their keys in order
}

bool has_conflicting_scopes(const std::set<std::string>& scopes) {
  return (scopes.count("BestEffort") && scopes.count("NotBestEffort")) ||
         (scopes.count("Terminating") && scopes.count("NotTerminating"));
}

void validate_scopes(FieldErrors& errs, const Json* spec) {
  const Json* scopes = member(spec, "scopes");
  if (!non_empty(scopes) || !scopes->is_array()) return;
  std::vector<std::string> hard = hard_names(spec);
  std::set<std::string> seen;
  for (const Json& s : *scopes) {
    std::string_view scope = str(&s);
    if (!is_standard_scope(scope)) {
      invalid_go(errs, "spec.scopes", go_scopes(scopes), "unsupported scope");
    }
    for (const std::string& k : hard) {
      if (is_standard_quota_resource(k) && !scope_valid_for(scope, k)) {
        invalid_go(errs, "spec.scopes", go_scopes(scopes), "unsupported scope applied to resource");
      }
    }
    seen.emplace(scope);
  }
  if (has_conflicting_scopes(seen)) {
    invalid_go(errs, "spec.scopes", go_scopes(scopes), "conflicting scopes");
  }
}

void validate_scope_selector(FieldErrors& errs, const Json* spec) {
  const Json* selector = member(spec, "scopeSelector");
  if (!is_set(selector)) return;
  // Kubernetes names these errors by the list, without the index of the requirement.
  const std::string path = "spec.scopeSelector.matchExpressions";
  std::vector<std::string> hard = hard_names(spec);
  std::set<std::string> seen;
  const Json* exprs = member(selector, "matchExpressions");
  if (exprs && exprs->is_array()) {
    for (const Json& req : *exprs) {
      std::string_view scope = str(member(req, "scopeName"));
      std::string_view op = str(member(req, "operator"));
      const Json* values = member(req, "values");
      size_t n_values = values && values->is_array() ? values->size() : 0;
      if (!is_standard_scope(scope)) {
        errs.invalid(path + ".scopeName", scope, "unsupported scope");
      }
      for (const std::string& k : hard) {
        if (is_standard_quota_resource(k) && !scope_valid_for(scope, k)) {
          invalid_go(errs, path, go_scope_selector(selector),
                     "unsupported scope applied to resource");
        }
      }
      if ((scope == "BestEffort" || scope == "NotBestEffort" || scope == "Terminating" ||
           scope == "NotTerminating" || scope == "CrossNamespacePodAffinity") &&
          op != "Exists") {
        errs.invalid(path + ".operator", op,
                     "must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, "
                     "ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort, "
                     "ResourceQuotaScopeNotBestEffort or "
                     "ResourceQuotaScopeCrossNamespacePodAffinity");
      }
      if (op == "In" || op == "NotIn") {
        if (n_values == 0) {
          errs.required(path + ".values",
                        "must be at least one value when `operator` is 'In' or 'NotIn' for scope "
                        "selector");
        }
      } else if (op == "Exists" || op == "DoesNotExist") {
        if (n_values != 0) {
          invalid_go(errs, path + ".values", go_string_slice(values),
                     "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope "
                     "selector");
        }
      } else {
        errs.invalid(path + ".operator", op, "not a valid selector operator");
      }
      seen.emplace(scope);
    }
  }
  if (has_conflicting_scopes(seen)) {
    // Kubernetes prints spec.scopes here, not the selector.
    invalid_go(errs, path, go_scopes(member(spec, "scopes")), "conflicting scopes");
  }
}

// ValidateResourceQuotaResourceName and ValidateResourceQuantityValue over one list.
void validate_quota_list(FieldErrors& errs, const Json* list, const std::string& path) {
  if (!list || !list->is_object()) return;
  for (const auto& [name, q] : list->items()) {
    std::string rpath = at_key(path, name);
    validate_resource_name(errs, name, rpath);
    if (name.find('/') == std::string::npos && !is_standard_quota_resource(name)) {
      errs.invalid(rpath, name, "must be a standard resource for quota");
    }
    validate_resource_quantity(errs, name, q, rpath);
  }
}

FieldErrors validate_spec(const Json& obj) {
  FieldErrors errs;
  const Json* spec = member(obj, "spec");
  validate_quota_list(errs, member(spec, "hard"), "spec.hard");
  validate_scopes(errs, spec);
  validate_scope_selector(errs, spec);
  return errs;
}

FieldErrors validate_create(const Json& obj) {
  FieldErrors errs = validate_spec(obj);
  const Json* status = member(obj, "status");
  validate_quota_list(errs, member(status, "hard"), "status.hard");
  validate_quota_list(errs, member(status, "used"), "status.used");
  return errs;
}

void prepare_status_update(Json& obj, const Json& old) { keep_from_old(obj, old, "spec"); }

FieldErrors validate_status_update(const Json& obj, const Json&) {
  FieldErrors errs;
  const Json* status = member(obj, "status");
  validate_quota_list(errs, member(status, "hard"), "status.hard");
  validate_quota_list(errs, member(status, "used"), "status.used");
  return errs;
}

FieldErrors validate_update(const Json& obj, const Json& old) {
  FieldErrors errs = validate_spec(obj);
  auto scope_set = [](const Json& o) {
    std::set<std::string> out;
    const Json* scopes = member(member(o, "spec"), "scopes");
    if (scopes && scopes->is_array()) {
      for (const Json& s : *scopes) out.emplace(str(&s));
    }
    return out;
  };
  if (scope_set(obj) != scope_set(old)) {
    invalid_go(errs, "spec.scopes", go_scopes(member(member(obj, "spec"), "scopes")),
               kFieldImmutable);
  }
  return errs;
}

// ---- Table -------------------------------------------------------------------------------------

std::vector<TableColumn> columns() {
  return {
      name_column(),
      {"Request", "string", "",
       "Request represents a minimum amount of cpu/memory that a container may consume.", 0},
      {"Limit", "string", "",
       "Limits control the maximum amount of cpu/memory that a container may use independent of "
       "contention on the node.",
       0},
      age_column(),
  };
}

std::string quantity_text(const Json* v) {
  if (!v) return "0";
  Result<Quantity> q = Quantity::from_json(*v);
  return q.ok() ? q->to_string() : std::string(str(v));
}

Json cells(const Json& obj, const Clock& clock) {
  const Json* status = member(obj, "status");
  const Json* hard = member(status, "hard");
  const Json* used = member(status, "used");
  std::string request;
  std::string limit;
  if (hard && hard->is_object()) {
    for (const auto& [name, q] : hard->items()) {
      // Resources named limits.* go to the Limit column, everything else to Request.
      std::string& out = name.rfind("limits.", 0) == 0 ? limit : request;
      if (!out.empty()) out += ", ";
      out += fmt::format("{}: {}/{}", name, quantity_text(member(used, name)), quantity_text(&q));
    }
  }
  return Json::array({
      str(member(member(obj, "metadata"), "name")),
      request,
      limit,
      age_cell(obj, clock.now()),
  });
}

}  // namespace

SubresourceStrategy resource_quota_status_strategy() {
  return {guarded(prepare_status_update), guarded(validate_status_update)};
}

void install_resource_quota(ResourceType& t, const Clock& clock) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_resource_quota);
  s.prepare_for_create = guarded(prepare_create);
  s.prepare_for_update = guarded(prepare_update);
  s.validate_create = guarded(validate_create);
  s.validate_update = guarded(validate_update);
  s.table_columns = columns();
  s.table_cells = guarded([&clock](const Json& obj) { return cells(obj, clock); });
}

}  // namespace bosun::api::resources
