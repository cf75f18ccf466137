// Every hook of every strategy in resources.h must turn malformed objects into field errors, never
// into an exception or a crash: the API server calls them on whatever a client sent.
#include <gtest/gtest.h>

#include "api/registry.h"
#include "api/resources/resources.h"
#include "common/clock.h"

namespace bosun::api::resources {
namespace {

// Objects whose fields have the wrong JSON types at every level the strategies read.
std::vector<Json> malformed() {
  std::vector<Json> out = {Json(nullptr), Json(7), Json("pod"), Json::array({1, 2}),
                           Json::object()};
  for (const char* text : {
           R"({"metadata":5,"spec":"x","status":[1]})",
           R"({"metadata":{"name":7,"namespace":[],"labels":"a","annotations":{"a":1},
               "finalizers":"f","creationTimestamp":12,"deletionTimestamp":{}},"spec":{}})",
           R"({"spec":{"containers":{"a":1},"initContainers":"x","volumes":5,"tolerations":{},
               "nodeSelector":[],"affinity":"a","securityContext":7,"hostNetwork":"yes",
               "terminationGracePeriodSeconds":"30","activeDeadlineSeconds":1e300}})",
           R"({"spec":{"containers":[7,"c",null,[],{"name":5,"image":[],"ports":{"a":1},
               "env":"x","resources":{"limits":"1","requests":{"cpu":[]}},
               "livenessProbe":"p","readinessProbe":{"httpGet":"x"},"lifecycle":[],
               "volumeMounts":[5,{"name":1}],"securityContext":{"runAsUser":"0",
               "seccompProfile":"x","appArmorProfile":{"type":1}}},
               {"name":"a","image":"b","env":[{"name":"x","valueFrom":[]},
               {"name":"y","valueFrom":{"fieldRef":"x","configMapKeyRef":{"name":1}}}],
               "ports":[{"containerPort":"80","hostPort":-1e30,"protocol":5}],
               "resources":{"limits":{"cpu":"lots","memory":1e308},"requests":{"cpu":-1}}}],
               "volumes":[1,{"name":"v","configMap":"x","projected":{"sources":[1,{"secret":5}]}},
               {"name":"w","hostPath":{"path":1,"type":[]},"emptyDir":{"sizeLimit":"x"}}],
               "tolerations":[1,{"key":5,"operator":[],"tolerationSeconds":"x"}],
               "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":
               {"nodeSelectorTerms":[1,{"matchExpressions":[{"key":1,"operator":2,"values":3}]}]}},
               "podAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":"x"}]}},
               "dnsConfig":{"nameservers":"x","searches":[1],"options":[1]},
               "topologySpreadConstraints":[{"maxSkew":"1","labelSelector":5}]},
               "status":{"conditions":[1,"x",{"type":5}],"containerStatuses":[1,{"state":"x",
               "lastState":{"terminated":{"finishedAt":5}}}],"initContainerStatuses":"x",
               "podIPs":[1],"hostIPs":[{"ip":5}]}})",
           R"({"status":{"capacity":{"cpu":[]},"allocatable":5,"addresses":[1,{"type":2}],
               "conditions":{"a":1},"nodeInfo":"x","daemonEndpoints":[]},
               "spec":{"taints":[1,{"key":[],"effect":5}],"podCIDRs":"x"}})",
           R"({"data":{"k":5,"a b":[]},"binaryData":{"x":"!!"},"stringData":{"a":1},"type":7,
               "immutable":"yes","subsets":[1,{"addresses":[1,{"ip":5}],"ports":[{"port":"x"}]}],
               "endpoints":[1,{"addresses":"x"}],"ports":[1,{"protocol":5}],"addressType":1,
               "rules":[1,{"verbs":"x"}],"roleRef":"r","subjects":[1,{"kind":5}],
               "aggregationRule":{"clusterRoleSelectors":[1]},"secrets":5,
               "involvedObject":"x","source":[],"series":{"count":"x"},"eventTime":5,
               "regarding":1,"note":[],"count":"3"})",
       }) {
    out.push_back(Json::parse(text));
  }
  return out;
}

TEST(StrategyRobustness, MalformedObjectsNeverThrow) {
  FakeClock clock;
  ResourceRegistry registry = ResourceRegistry::make_builtin();
  install_core_resources(registry, clock);
  const std::vector<Json> objects = malformed();
  std::vector<SubresourceStrategy> subresources = {pod_status_strategy(), node_status_strategy(),
                                                   namespace_status_strategy(),
                                                   namespace_finalize_strategy()};
  for (const ResourceType& t : registry.all()) {
    const ResourceStrategy& s = t.strategy;
    for (const Json& input : objects) {
      for (const Json& old : objects) {
        SCOPED_TRACE(t.plural + " " + input.dump() + " / " + old.dump());
        EXPECT_NO_THROW({
          Json obj = input;
          s.default_fields(obj);
          s.prepare_for_create(obj);
          (void)s.validate_create(obj);
          (void)s.table_cells(obj);
          Json upd = input;
          s.default_fields(upd);
          s.prepare_for_update(upd, old);
          (void)s.validate_update(upd, old);
        });
      }
    }
  }
  for (const SubresourceStrategy& st : subresources) {
    for (const Json& input : objects) {
      for (const Json& old : objects) {
        EXPECT_NO_THROW({
          Json obj = input;
          st.prepare_for_update(obj, old);
          (void)st.validate_update(obj, old);
        });
      }
    }
  }
  for (const Json& input : objects) {
    for (const Json& binding : objects) {
      EXPECT_NO_THROW({
        (void)bind_pod(input, binding, clock.now());
        (void)event_v1_to_core(input);
        (void)event_core_to_v1(input);
      });
    }
  }
}

}  // namespace
}  // namespace bosun::api::resources
