// libFuzzer target: every hook of resources_workloads.h (the main strategies, the status
// strategies and the Scale conversions) on arbitrary JSON must return, never throw, crash or trip a
// sanitizer. The input is a JSON document, optionally {"new": ..., "old": ...} to drive the update
// paths with two different objects. Built only in build-san.
#include <cstddef>
#include <cstdint>

#include "api/registry.h"
#include "api/resources/resources_workloads.h"
#include "common/clock.h"

namespace {

using bosun::Json;
using namespace bosun::api;

bosun::FakeClock& fuzz_clock() {
  static bosun::FakeClock* const kClock = new bosun::FakeClock();
  return *kClock;
}

const ResourceRegistry& registry() {
  static const ResourceRegistry* const kRegistry = [] {
    auto* r = new ResourceRegistry(ResourceRegistry::make_builtin());
    resources::install_workloads(*r, fuzz_clock());
    return r;
  }();
  return *kRegistry;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Json input = Json::parse(data, data + size, nullptr, /*allow_exceptions=*/false);
  if (input.is_discarded()) return 0;
  Json obj = input;
  Json old = input;
  if (input.is_object() && input.contains("new") && input.contains("old")) {
    obj = input["new"];
    old = input["old"];
  }
  static const char* const kTypes[][2] = {{"", "services"},          {"", "replicationcontrollers"},
                                          {"", "resourcequotas"},    {"", "limitranges"},
                                          {"", "persistentvolumes"}, {"", "persistentvolumeclaims"},
                                          {"apps", "replicasets"},   {"apps", "deployments"}};
  for (const auto& [group, plural] : kTypes) {
    const ResourceStrategy& s = registry().find(group, "v1", plural)->strategy;
    Json created = obj;
    s.default_fields(created);
    s.prepare_for_create(created);
    (void)s.validate_create(created);
    (void)s.table_cells(created);
    Json updated = obj;
    s.default_fields(updated);
    s.prepare_for_update(updated, old);
    (void)s.validate_update(updated, old);
    (void)s.table_cells(updated);
  }
  for (const auto& st :
       {resources::deployment_status_strategy(), resources::replica_set_status_strategy(),
        resources::replication_controller_status_strategy(), resources::service_status_strategy(),
        resources::resource_quota_status_strategy(),
        resources::persistent_volume_status_strategy(fuzz_clock()),
        resources::persistent_volume_claim_status_strategy()}) {
    Json updated = obj;
    st.prepare_for_update(updated, old);
    (void)st.validate_update(updated, old);
  }
  Json scaled = old;
  (void)resources::apply_scale(scaled, resources::scale_of(obj));
  return 0;
}
