// libFuzzer target for the scheduler's decoding of informer JSON: any text that parses as JSON
// decodes to a PodInfo/Node or to an Error, never a crash; a decoded pod can be scheduled against
// a small cluster (also as a node of it), and assuming then forgetting it leaves the node's
// requests as they were. Single-threaded.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/clock.h"
#include "scheduler/cache.h"
#include "scheduler/framework.h"
#include "scheduler/plugins.h"

namespace {

bosun::Json node_object(const char* name, const char* zone) {
  return {{"metadata",
           {{"name", name},
            {"labels", {{"kubernetes.io/hostname", name}, {"topology.kubernetes.io/zone", zone}}}}},
          {"status", {{"allocatable", {{"cpu", "4"}, {"memory", "8Gi"}, {"pods", "110"}}}}}};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bosun::scheduler;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bosun::Json json = bosun::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return 0;
  auto node = decode_node(json);
  auto pod = decode_pod(json);
  if (!pod.ok()) return 0;

  bosun::FakeClock clock;
  Cache cache(clock);
  cache.add_node(*decode_node(node_object("a", "z1")));
  cache.add_node(*decode_node(node_object("b", "z2")));
  if (node.ok()) cache.add_node(*node);
  FrameworkOptions options;
  options.seed = 1;
  options.spread_selector = [](const PodInfo& p) {
    return bosun::api::LabelSelector::from_set(p.labels);
  };
  auto framework = make_default_framework(options);
  Snapshot snapshot;
  cache.update_snapshot(snapshot);
  ScheduleResult result = framework->schedule_one(**pod, snapshot);
  int outcomes = (result.ok() ? 1 : 0) + (result.fit_error ? 1 : 0) + (result.error ? 1 : 0);
  if (outcomes != 1) __builtin_trap();
  if (result.fit_error) (void)result.fit_error->message();
  if (!result.ok()) return 0;
  const int64_t before = snapshot.get(result.node)->requested().milli_cpu;
  if (!cache.assume_pod(*pod, result.node).ok()) return 0;  // a uid the cache already holds
  if (!cache.forget_pod((*pod)->uid).ok()) __builtin_trap();
  cache.update_snapshot(snapshot);
  if (snapshot.get(result.node)->requested().milli_cpu != before) __builtin_trap();
  return 0;
}
