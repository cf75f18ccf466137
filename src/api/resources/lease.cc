// The Lease strategy (coordination.k8s.io/v1): ValidateLeaseSpec and printLease.
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

FieldErrors validate_lease(const Json& lease) {
  FieldErrors errs;
  const Json& spec = get_object(lease, "spec");
  if (auto d = get_int(spec, "leaseDurationSeconds"); d && *d <= 0) {
    errs.invalid("spec.leaseDurationSeconds", *d, "must be greater than 0");
  }
  if (auto n = get_int(spec, "leaseTransitions"); n && *n < 0) {
    errs.invalid("spec.leaseTransitions", *n, "must be greater than or equal to 0");
  }
  const Json* strategy = get(spec, "strategy");
  if (strategy != nullptr) {
    std::string_view s = as_string(strategy);
    // Upstream appends "strategy" to a path that already ends in it.
    const std::string path = "spec.strategy.strategy";
    if (s.find('/') == std::string_view::npos) {
      if (s != "OldestEmulationVersion") {
        errs.not_supported(path, std::string(s), {"OldestEmulationVersion"});
      }
    } else {
      for (auto& m : is_qualified_name(s)) errs.invalid(path, std::string(s), std::move(m));
    }
  }
  if (!get_string(spec, "preferredHolder").empty() && as_string(strategy).empty()) {
    errs.forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined");
  }
  return errs;
}

}  // namespace

void install_lease(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  // LeaseSpec is a struct: Kubernetes always serialises it.
  t.strategy.default_fields = [](Json& lease) {
    if (lease.is_object()) set_default(lease, "spec", Json::object());
  };
  t.strategy.validate_create = validate_lease;
  t.strategy.validate_update = [](const Json& lease, const Json&) { return validate_lease(lease); };
  t.strategy.table_columns = {
      name_column(),
      string_column("Holder",
                    "holderIdentity contains the identity of the holder of a current lease. If "
                    "Coordinated Leader Election is used, the holder identity must be equal to "
                    "the elected LeaseCandidate.metadata.name field."),
      age_column()};
  t.strategy.table_cells = [c](const Json& lease) {
    return Json::array({name_cell(lease),
                        std::string(get_string(get_object(lease, "spec"), "holderIdentity")),
                        age_cell(lease, c->now())});
  };
}

}  // namespace bosun::api::resources
