#include <gtest/gtest.h>

#include "api/resources/workloads_test_util.h"

namespace bosun::api::resources {
namespace {

using testing::messages;
using testing::Strategies;
using Strings = std::vector<std::string>;

Json limits(Json items) {
  Json lr = Json::parse(R"({"apiVersion": "v1", "kind": "LimitRange",
      "metadata": {"name": "limits", "namespace": "team-a"}, "spec": {}})");
  lr["spec"]["limits"] = std::move(items);
  return lr;
}

class LimitRangeTest : public ::testing::Test {
 protected:
  Json create(Json obj) { return s_.create("", "limitranges", std::move(obj)); }
  Strings errors(const Json& obj) {
    return messages(s_.of("", "limitranges").validate_create(obj));
  }
  Strategies s_;
};

TEST_F(LimitRangeTest, ContainerDefaultsComeFromMaxDefaultAndMin) {
  Json lr = create(limits(Json::parse(R"([
      {"type": "Container", "max": {"cpu": "2", "memory": "1024Mi"}, "min": {"cpu": "100m"},
       "default": {"memory": "512Mi"}},
      {"type": "Pod", "max": {"cpu": "4"}}])")));
  EXPECT_EQ(lr["spec"]["limits"][0], Json::parse(R"({"type": "Container",
      "max": {"cpu": "2", "memory": "1Gi"}, "min": {"cpu": "100m"},
      "default": {"cpu": "2", "memory": "512Mi"},
      "defaultRequest": {"cpu": "2", "memory": "512Mi"}})"));
  // Pods get no defaults.
  EXPECT_EQ(lr["spec"]["limits"][1], Json::parse(R"({"type": "Pod", "max": {"cpu": "4"}})"));
  EXPECT_EQ(errors(lr), Strings{});

  Json from_min = create(limits(Json::parse(R"([{"type": "Container", "min": {"cpu": "250m"}}])")));
  EXPECT_EQ(from_min["spec"]["limits"][0],
            Json::parse(R"({"type": "Container", "min": {"cpu": "250m"},
                "defaultRequest": {"cpu": "250m"}})"));
}

TEST_F(LimitRangeTest, Validation) {
  EXPECT_EQ(errors(create(limits(Json::parse(
                R"([{"type": "Pod", "min": {"memory": "2Gi"}, "max": {"memory": "1Gi"},
                     "default": {"memory": "1Gi"}}])")))),
            (Strings{"spec.limits[0].default: Forbidden: may not be specified when `type` is 'Pod'",
                     "spec.limits[0].min[memory]: Invalid value: \"2Gi\": min value 2Gi is greater "
                     "than max value 1Gi"}));
  EXPECT_EQ(errors(create(limits(Json::parse(R"([{"type": "PersistentVolumeClaim"},
                                                 {"type": "PersistentVolumeClaim",
                                                  "max": {"storage": "10Gi"}}])")))),
            (Strings{"spec.limits[0].limits: Required value: either minimum or maximum storage "
                     "value is required, but neither was provided",
                     "spec.limits[1].type: Duplicate value: \"PersistentVolumeClaim\""}));
  EXPECT_EQ(errors(create(limits(Json::parse(
                R"([{"type": "Node"}, {"type": "Container", "max": {"gpu": "1"},
                     "maxLimitRequestRatio": {"cpu": "0.5"}}])")))),
            (Strings{"spec.limits[0].type: Invalid value: \"Node\": must be a standard limit type "
                     "or fully qualified",
                     "spec.limits[1].max[gpu]: Invalid value: \"gpu\": must be a standard resource "
                     "type or fully qualified",
                     "spec.limits[1].max[gpu]: Invalid value: \"gpu\": must be a standard resource "
                     "for containers",
                     "spec.limits[1].default[gpu]: Invalid value: \"gpu\": must be a standard "
                     "resource type or fully qualified",
                     "spec.limits[1].default[gpu]: Invalid value: \"gpu\": must be a standard "
                     "resource for containers",
                     "spec.limits[1].defaultRequest[gpu]: Invalid value: \"gpu\": must be a "
                     "standard resource type or fully qualified",
                     "spec.limits[1].defaultRequest[gpu]: Invalid value: \"gpu\": must be a "
                     "standard resource for containers",
                     "spec.limits[1].maxLimitRequestRatio[cpu]: Invalid value: \"500m\": ratio "
                     "500m is less than 1"}));
  EXPECT_EQ(errors(create(limits(Json::parse(
                R"([{"type": "Container", "min": {"cpu": "1"}, "max": {"cpu": "2"},
                     "maxLimitRequestRatio": {"cpu": "3"}}])")))),
            Strings{"spec.limits[0].maxLimitRequestRatio[cpu]: Invalid value: \"3\": ratio 3 is "
                    "greater than max/min = 2.000000"});
}

TEST_F(LimitRangeTest, KeepsTheDefaultTable) {
  const ResourceStrategy& st = s_.of("", "limitranges");
  ASSERT_EQ(st.table_columns.size(), 2u);
  EXPECT_EQ(st.table_columns[1].name, "Created At");
}

}  // namespace
}  // namespace bosun::api::resources
