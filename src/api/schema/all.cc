// The registration list of schema texts: every API group/version's text, in one array the SchemaSet
// parses. Adding a group/version means adding its text file in this folder and one line here.
#include <iterator>
#include <span>

#include "api/schema.h"
#include "api/schema/core_v1.h"

namespace bosun::api::schema {

extern const char kMetaV1[];
extern const char kAppsV1[];
extern const char kAutoscalingV1[];
extern const char kCoordinationV1[];
extern const char kDiscoveryV1[];
extern const char kEventsV1[];
extern const char kPolicyV1[];
extern const char kRbacV1[];

}  // namespace bosun::api::schema

namespace bosun::api {

std::span<const SchemaSource> builtin_schema_sources() {
  static const SchemaSource kSources[] = {
      {"meta_v1", schema::kMetaV1},
      {"core_v1", schema::kCoreV1},
      {"core_v1_pod", schema::kCoreV1Pod},
      {"core_v1_volume", schema::kCoreV1Volume},
      {"apps_v1", schema::kAppsV1},
      {"autoscaling_v1", schema::kAutoscalingV1},
      {"coordination_v1", schema::kCoordinationV1},
      {"discovery_v1", schema::kDiscoveryV1},
      {"events_v1", schema::kEventsV1},
      {"policy_v1", schema::kPolicyV1},
      {"rbac_v1", schema::kRbacV1},
  };
  return std::span<const SchemaSource>(std::begin(kSources), std::end(kSources));
}

}  // namespace bosun::api
