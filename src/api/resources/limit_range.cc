// core/v1 LimitRange: SetDefaults_LimitRangeItem (container defaults filled from max, default and
// min) and ValidateLimitRange. Kubernetes has no printer for LimitRanges, so `kubectl get` shows
// the default NAME / CREATED AT table the registry already provides.
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "api/quantity.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/workloads_common.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

void default_limit_range(Json& obj) {
  schema_defaults(obj, "", "LimitRange");
  Json& spec = object_member(obj, "spec");
  if (!spec.contains("limits") || !spec["limits"].is_array()) return;
  for (Json& item : spec["limits"]) {
    if (!item.is_object()) continue;
    if (str(member(item, "type")) != "Container") continue;
    // A container's default limit falls back to its max, its default request to the default
    // limit and then to its min.
    Json limit =
        member(item, "default") && item["default"].is_object() ? item["default"] : Json::object();
    Json request = member(item, "defaultRequest") && item["defaultRequest"].is_object()
                       ? item["defaultRequest"]
                       : Json::object();
    auto fill = [](Json& target, const Json* from) {
      if (!from || !from->is_object()) return;
      for (const auto& [k, v] : from->items()) {
        if (!target.contains(k)) target[k] = v;
      }
    };
    fill(limit, member(item, "max"));
    fill(request, &limit);
    fill(request, member(item, "min"));
    // Empty maps are omitted when Kubernetes serializes the item.
    if (!limit.empty()) item["default"] = limit;
    if (!request.empty()) item["defaultRequest"] = request;
  }
}

// validateLimitRangeTypeName.
void validate_type_name(FieldErrors& errs, std::string_view type, const std::string& path) {
  std::vector<std::string> msgs = is_qualified_name(type);
  if (!msgs.empty()) {
    for (auto& m : msgs) errs.invalid(path, type, std::move(m));
    return;
  }
  if (type.find('/') == std::string_view::npos && type != "Pod" && type != "Container" &&
      type != "PersistentVolumeClaim") {
    errs.invalid(path, type, "must be a standard limit type or fully qualified");
  }
}

FieldErrors validate_limit_range(const Json& obj) {
  FieldErrors errs;
  const Json* limits = member(member(obj, "spec"), "limits");
  if (!limits || !limits->is_array()) return errs;
  std::set<std::string> types;
  for (size_t i = 0; i < limits->size(); ++i) {
    const Json& item = (*limits)[i];
    const std::string path = at_index("spec.limits", i);
    std::string type(str(member(item, "type")));
    validate_type_name(errs, type, path + ".type");
    if (!types.insert(type).second) errs.duplicate(path + ".type", type);
    bool container_or_pod = type == "Pod" || type == "Container";
    auto check_names = [&](const char* list) -> std::map<std::string, Quantity> {
      std::map<std::string, Quantity> out;
      const Json* values = member(item, list);
      if (!values || !values->is_object()) return out;
      for (const auto& [k, v] : values->items()) {
        std::string kpath = at_key(path + "." + list, k);
        if (container_or_pod) {
          validate_container_resource_name(errs, k, kpath);
        } else {
          validate_resource_name(errs, k, kpath);
        }
        Result<Quantity> q = Quantity::from_json(v);
        if (!q.ok()) {
          errs.invalid(kpath, v, q.error().message);
          continue;
        }
        out.emplace(k, *q);
      }
      return out;
    };
    std::map<std::string, Quantity> max = check_names("max");
    std::map<std::string, Quantity> min = check_names("min");
    std::map<std::string, Quantity> defaults;
    std::map<std::string, Quantity> default_requests;
    if (type == "Pod") {
      if (non_empty(member(item, "default"))) {
        errs.forbidden(path + ".default", "may not be specified when `type` is 'Pod'");
      }
      if (non_empty(member(item, "defaultRequest"))) {
        errs.forbidden(path + ".defaultRequest", "may not be specified when `type` is 'Pod'");
      }
    } else {
      defaults = check_names("default");
      default_requests = check_names("defaultRequest");
    }
    if (type == "PersistentVolumeClaim" && !min.count("storage") && !max.count("storage")) {
      errs.required(path + ".limits",
                    "either minimum or maximum storage value is required, but neither was "
                    "provided");
    }
    std::map<std::string, Quantity> ratios = check_names("maxLimitRequestRatio");
    std::set<std::string> keys;
    for (const auto* m : {&max, &min, &defaults, &default_requests, &ratios}) {
      for (const auto& [k, v] : *m) keys.insert(k);
    }
    for (const std::string& k : keys) {
      const Quantity* mn = min.count(k) ? &min.at(k) : nullptr;
      const Quantity* mx = max.count(k) ? &max.at(k) : nullptr;
      const Quantity* def = defaults.count(k) ? &defaults.at(k) : nullptr;
      const Quantity* req = default_requests.count(k) ? &default_requests.at(k) : nullptr;
      const Quantity* ratio = ratios.count(k) ? &ratios.at(k) : nullptr;
      // Kubernetes prints these Quantity values with %#v; the canonical text stands in for it.
      if (mn && mx && *mn > *mx) {
        errs.invalid(at_key(path + ".min", k), mn->to_string(),
                     fmt::format("min value {} is greater than max value {}", mn->to_string(),
                                 mx->to_string()));
      }
      if (req && mn && *mn > *req) {
        errs.invalid(at_key(path + ".defaultRequest", k), req->to_string(),
                     fmt::format("min value {} is greater than default request value {}",
                                 mn->to_string(), req->to_string()));
      }
      if (req && mx && *req > *mx) {
        errs.invalid(at_key(path + ".defaultRequest", k), req->to_string(),
                     fmt::format("default request value {} is greater than max value {}",
                                 req->to_string(), mx->to_string()));
      }
      if (req && def && *req > *def) {
        errs.invalid(at_key(path + ".defaultRequest", k), req->to_string(),
                     fmt::format("default request value {} is greater than default limit value {}",
                                 req->to_string(), def->to_string()));
      }
      if (def && mn && *mn > *def) {
        errs.invalid(at_key(path + ".default", k), mn->to_string(),
                     fmt::format("min value {} is greater than default value {}", mn->to_string(),
                                 def->to_string()));
      }
      if (def && mx && *def > *mx) {
        errs.invalid(at_key(path + ".default", k), mx->to_string(),
                     fmt::format("default value {} is greater than max value {}", def->to_string(),
                                 mx->to_string()));
      }
      if (ratio && *ratio < Quantity::from_int(1)) {
        errs.invalid(at_key(path + ".maxLimitRequestRatio", k), ratio->to_string(),
                     fmt::format("ratio {} is less than 1", ratio->to_string()));
      }
      if (ratio && mn && mx) {
        // Compare in milli units when all three fit, as Kubernetes does.
        constexpr int64_t kMaxMilli = std::numeric_limits<int64_t>::max() / 1000;
        double ratio_value = static_cast<double>(ratio->value());
        double min_value = static_cast<double>(mn->value());
        double max_value = static_cast<double>(mx->value());
        if (ratio->value() < kMaxMilli && mn->value() < kMaxMilli && mx->value() < kMaxMilli) {
          ratio_value = static_cast<double>(ratio->milli_value()) / 1000;
          min_value = static_cast<double>(mn->milli_value());
          max_value = static_cast<double>(mx->milli_value());
        }
        double limit = max_value / min_value;
        if (ratio_value > limit) {
          errs.invalid(
              at_key(path + ".maxLimitRequestRatio", k), ratio->to_string(),
              fmt::format("ratio {} is greater than max/min = {:f}", ratio->to_string(), limit));
        }
      }
      // Resources that cannot be overcommitted (hugepages, extended resources) need equal
      // default limits and requests.
      if (!is_overcommit_allowed(k) && def && req && *def != *req) {
        errs.invalid(at_key(path + ".defaultRequest", k), req->to_string(),
                     fmt::format("default value {} must equal to defaultRequest value {} in {}",
                                 def->to_string(), req->to_string(), k));
      }
    }
  }
  return errs;
}

FieldErrors validate_limit_range_update(const Json& obj, const Json&) {
  return validate_limit_range(obj);
}

}  // namespace

void install_limit_range(ResourceType& t, const Clock&) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_limit_range);
  s.validate_create = guarded(validate_limit_range);
  s.validate_update = guarded(validate_limit_range_update);
}

}  // namespace bosun::api::resources
