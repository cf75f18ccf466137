// The ServiceAccount strategy: only ObjectMeta is validated (ValidateServiceAccount), and
// printServiceAccount counts the referenced secrets.
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"

namespace bosun::api::resources {

void install_service_account(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.validate_create = [](const Json& sa) {
    FieldErrors errs;
    validate_kube_finalizer_names(sa, errs);
    return errs;
  };
  t.strategy.validate_update = [](const Json& sa, const Json&) {
    FieldErrors errs;
    validate_kube_finalizer_names(sa, errs);
    return errs;
  };
  t.strategy.table_columns = {
      name_column(),
      string_column(
          "Secrets",
          "Secrets is a list of the secrets in the same namespace that pods running "
          "using this ServiceAccount are allowed to use. Pods are only limited to this "
          "list if this service account has a \"kubernetes.io/enforce-mountable-secrets\" "
          "annotation set to \"true\". The \"kubernetes.io/enforce-mountable-secrets\" "
          "annotation is deprecated since v1.32. Prefer separate namespaces to isolate "
          "access to mounted secrets. This field should not be used to find "
          "auto-generated service account token secrets for use outside of pods. "
          "Instead, tokens can be requested directly using the TokenRequest API, or "
          "service account token secrets can be manually created. More info: "
          "https://kubernetes.io/docs/concepts/configuration/secret"),
      age_column()};
  t.strategy.table_cells = [c](const Json& sa) {
    return Json::array({name_cell(sa), static_cast<int64_t>(get_array(sa, "secrets").size()),
                        age_cell(sa, c->now())});
  };
}

}  // namespace bosun::api::resources
