// The Role strategy (rbac.authorization.k8s.io/v1) and the policy-rule validation it shares with
// ClusterRole. Kubernetes has no printer for roles: `kubectl get roles` shows the default Name and
// Created At columns, which the registry entry already has.
#include "api/resources/rbac_internal.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"

namespace bosun::api::resources {
namespace rbac {

void default_rules(Json& role) {
  if (role.is_object() && !role.contains("rules")) role["rules"] = nullptr;
}

void validate_rules(const Json& role, bool namespaced, FieldErrors& errs) {
  validate_kube_finalizer_names(role, errs);
  const Json& rules = get_array(role, "rules");
  for (size_t i = 0; i < rules.size(); ++i) {
    const Json& rule = rules[i];
    std::string path = index_path("rules", i);
    if (get_array(rule, "verbs").empty()) {
      errs.required(child_path(path, "verbs"), "verbs must contain at least one value");
    }
    const Json& urls = get_array(rule, "nonResourceURLs");
    if (!urls.empty()) {
      if (namespaced) {
        errs.invalid(child_path(path, "nonResourceURLs"), urls,
                     "namespaced rules cannot apply to non-resource URLs");
      }
      if (!get_array(rule, "apiGroups").empty() || !get_array(rule, "resources").empty() ||
          !get_array(rule, "resourceNames").empty()) {
        errs.invalid(child_path(path, "nonResourceURLs"), urls,
                     "rules cannot apply to both regular resources and non-resource URLs");
      }
      continue;
    }
    if (get_array(rule, "apiGroups").empty()) {
      errs.required(child_path(path, "apiGroups"),
                    "resource rules must supply at least one api group");
    }
    if (get_array(rule, "resources").empty()) {
      errs.required(child_path(path, "resources"),
                    "resource rules must supply at least one resource");
    }
    if (!get_array(rule, "resourceNames").empty() && get_array(rule, "resources").size() > 1) {
      errs.required(child_path(path, "resourceNames"),
                    "resource names cannot apply to multiple resources");
    }
  }
}

}  // namespace rbac

void install_role(ResourceType& t, const Clock&) {
  t.strategy.default_fields = rbac::default_rules;
  t.strategy.validate_create = [](const Json& role) {
    FieldErrors errs;
    rbac::validate_rules(role, true, errs);
    return errs;
  };
  t.strategy.validate_update = [](const Json& role, const Json&) {
    FieldErrors errs;
    rbac::validate_rules(role, true, errs);
    return errs;
  };
}

}  // namespace bosun::api::resources
