// The ClusterRole strategy (rbac.authorization.k8s.io/v1): policy rules and the aggregation rule.
// Like roles, cluster roles print Kubernetes' default Name and Created At columns.
#include "api/label_selector.h"
#include "api/resources/rbac_internal.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"

namespace bosun::api::resources {
namespace {

FieldErrors validate_cluster_role(const Json& role) {
  FieldErrors errs;
  rbac::validate_rules(role, false, errs);
  if (const Json* agg = get(role, "aggregationRule")) {
    const Json& selectors = get_array(*agg, "clusterRoleSelectors");
    if (selectors.empty()) {
      errs.required("aggregationRule.clusterRoleSelectors",
                    "at least one clusterRoleSelector required if aggregationRule is non-nil");
    }
    for (size_t i = 0; i < selectors.size(); ++i) {
      errs.append(validate_label_selector(selectors[i],
                                          index_path("aggregationRule.clusterRoleSelectors", i)));
    }
  }
  return errs;
}

}  // namespace

void install_cluster_role(ResourceType& t, const Clock&) {
  t.strategy.default_fields = rbac::default_rules;
  t.strategy.validate_create = validate_cluster_role;
  t.strategy.validate_update = [](const Json& role, const Json&) {
    return validate_cluster_role(role);
  };
}

}  // namespace bosun::api::resources
