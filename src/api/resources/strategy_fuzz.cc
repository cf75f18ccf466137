// libFuzzer target: every strategy hook of resources.h on arbitrary JSON must return (errors are
// fine), never throw, crash or trip a sanitizer. The input is a JSON object, optionally
// {"new": ..., "old": ...} to drive the update paths with two different objects.
#include <cstddef>
#include <cstdint>

#include "api/registry.h"
#include "api/resources/resources.h"
#include "common/clock.h"

namespace {

using bosun::Json;
using namespace bosun::api;

const ResourceRegistry& registry() {
  static const ResourceRegistry* const kRegistry = [] {
    static bosun::FakeClock clock;
    auto* r = new ResourceRegistry(ResourceRegistry::make_builtin());
    resources::install_core_resources(*r, clock);
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
  for (const ResourceType& t : registry().all()) {
    const ResourceStrategy& s = t.strategy;
    Json created = obj;
    s.default_fields(created);
    s.prepare_for_create(created);
    (void)s.validate_create(created);
    (void)s.table_cells(created);
    Json updated = obj;
    s.default_fields(updated);
    s.prepare_for_update(updated, old);
    (void)s.validate_update(updated, old);
  }
  for (const auto& st :
       {resources::pod_status_strategy(), resources::node_status_strategy(),
        resources::namespace_status_strategy(), resources::namespace_finalize_strategy()}) {
    Json updated = obj;
    st.prepare_for_update(updated, old);
    (void)st.validate_update(updated, old);
  }
  (void)resources::bind_pod(old, obj, std::chrono::system_clock::time_point());
  (void)resources::event_core_to_v1(resources::event_v1_to_core(obj));
  return 0;
}
