// The ClusterRoleBinding strategy (rbac.authorization.k8s.io/v1): only ClusterRoles may be bound,
// service account subjects need a namespace; shares rolebinding.cc's defaults and printer.
#include "api/resources/rbac_internal.h"
#include "api/resources/resources.h"

namespace bosun::api::resources {

void install_cluster_role_binding(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = rbac::default_binding;
  t.strategy.validate_create = [](const Json& b) { return rbac::validate_binding(b, false); };
  t.strategy.validate_update = [](const Json& b, const Json& old) {
    return rbac::validate_binding_update(b, old, false);
  };
  t.strategy.table_columns = rbac::binding_columns(true);
  t.strategy.table_cells = [c](const Json& b) { return rbac::binding_cells(b, c->now()); };
}

}  // namespace bosun::api::resources
