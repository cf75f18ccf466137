// ValidatePodCreate, ValidatePodUpdate and ValidatePodStatusUpdate of
// pkg/apis/core/validation, without the generic ObjectMeta checks the API server runs itself.
#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "api/registry.h"
#include "api/resources/pod_internal.h"
#include "api/resources/pod_spec.h"
#include "api/resources/strategy_util.h"
#include "api/validation.h"

namespace bosun::api::resources::pod {
namespace {

constexpr std::string_view kMirrorAnnotation = "kubernetes.io/config.mirror";
constexpr std::string_view kAppArmorPrefix = "container.apparmor.security.beta.kubernetes.io/";

// The fields a pod update may change, in ValidatePodUpdate's wording.
constexpr std::string_view kUpdatableFields =
    "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,"
    "`spec.tolerations` (only additions to existing tolerations),"
    "`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously "
    "negative)";

bool has_surrounding_space(std::string_view s) {
  return !s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) ||
                        std::isspace(static_cast<unsigned char>(s.back())));
}

void check_image_whitespace(const Json& containers, const std::string& path, FieldErrors& errs) {
  for (size_t i = 0; i < containers.size(); ++i) {
    std::string_view image = get_string(containers[i], "image");
    if (has_surrounding_space(image)) {
      errs.invalid(child_path(index_path(path, i), "image"), std::string(image),
                   "must not have leading or trailing whitespace");
    }
  }
}

// A line-per-difference rendering of what changed, in place of the cmp.Diff Kubernetes appends
// (which prints Go structs): "- <path>: <old>" / "+ <path>: <new>".
void diff_lines(const Json& a, const Json& b, const std::string& path, std::string& out) {
  if (semantic_equal(a, b)) return;
  if (a.is_object() && b.is_object()) {
    std::set<std::string> keys;
    for (auto it = a.begin(); it != a.end(); ++it) keys.insert(it.key());
    for (auto it = b.begin(); it != b.end(); ++it) keys.insert(it.key());
    for (const std::string& k : keys) {
      diff_lines(a.contains(k) ? a[k] : Json(), b.contains(k) ? b[k] : Json(), child_path(path, k),
                 out);
    }
    return;
  }
  if (a.is_array() && b.is_array() && a.size() == b.size()) {
    for (size_t i = 0; i < a.size(); ++i) diff_lines(a[i], b[i], index_path(path, i), out);
    return;
  }
  out += fmt::format("- \t{}: {}\n+ \t{}: {}\n", path, a.is_null() ? "nil" : a.dump(), path,
                     b.is_null() ? "nil" : b.dump());
}

std::string spec_diff(const Json& old_spec, const Json& new_spec) {
  std::string out = "  core.PodSpec{\n";
  diff_lines(old_spec, new_spec, "spec", out);
  out += "  }\n";
  return out;
}

void validate_annotation_updates(const Json& pod, const Json& old, FieldErrors& errs) {
  const Json& na = get_object(get_object(pod, "metadata"), "annotations");
  const Json& oa = get_object(get_object(old, "metadata"), "annotations");
  const std::string path = "metadata.annotations";
  for (auto& [k, v] : oa.items()) {
    auto it = na.find(k);
    if (it != na.end() && *it == v) continue;
    if (std::string_view(k).substr(0, kAppArmorPrefix.size()) == kAppArmorPrefix) {
      errs.forbidden(key_path(path, k), "may not remove or update AppArmor annotations");
    }
    if (k == kMirrorAnnotation) {
      errs.forbidden(key_path(path, k), "may not remove or update mirror pod annotation");
    }
  }
  for (auto& [k, v] : na.items()) {
    if (oa.contains(k)) continue;
    if (std::string_view(k).substr(0, kAppArmorPrefix.size()) == kAppArmorPrefix) {
      errs.forbidden(key_path(path, k), "may not add AppArmor annotations");
    }
    if (k == kMirrorAnnotation)
      errs.forbidden(key_path(path, k), "may not add mirror pod annotation");
  }
}

Json without(const Json& obj, std::string_view key) {
  Json copy = obj;
  if (copy.is_object()) copy.erase(std::string(key));
  return copy;
}

}  // namespace

FieldErrors validate_metadata_and_spec(const Json& pod) {
  FieldErrors errs;
  validate_kube_finalizer_names(pod, errs);
  const Json& meta = get_object(pod, "metadata");
  const Json& spec = get_object(pod, "spec");
  validate_pod_specific_annotations(get_object(meta, "annotations"), spec, "metadata.annotations",
                                    errs);
  PodValidationOptions opts;
  opts.resource_is_pod = true;
  validate_pod_spec(spec, &meta, "spec", opts, errs);
  if (get_string(spec, "serviceAccountName").empty()) {
    const Json& volumes = get_array(spec, "volumes");
    for (size_t v = 0; v < volumes.size(); ++v) {
      const Json* projected = get(volumes[v], "projected");
      if (projected == nullptr) continue;
      const Json& sources = get_array(*projected, "sources");
      for (size_t s = 0; s < sources.size(); ++s) {
        if (get(sources[s], "serviceAccountToken") == nullptr) continue;
        errs.forbidden(
            child_path(index_path(fmt::format("spec.volumes[{}].projected.sources", v), s),
                       "serviceAccountToken"),
            "must not be specified when serviceAccountName is not set");
      }
    }
  }
  check_image_whitespace(get_array(spec, "containers"), "spec.containers", errs);
  check_image_whitespace(get_array(spec, "initContainers"), "spec.initContainers", errs);
  return errs;
}

FieldErrors validate_create(const Json& pod) {
  FieldErrors errs = validate_metadata_and_spec(pod);
  const Json& spec = get_object(pod, "spec");
  // Ephemeral containers arrive only through the ephemeralcontainers subresource.
  if (!get_array(spec, "ephemeralContainers").empty()) {
    errs.forbidden("spec.ephemeralContainers", "cannot be set on create");
  }
  if (!get_string(spec, "nodeName").empty() && !get_array(spec, "schedulingGates").empty()) {
    errs.forbidden("spec.nodeName", "cannot be set until all schedulingGates have been cleared");
  }
  return errs;
}

FieldErrors validate_update(const Json& pod, const Json& old) {
  FieldErrors errs;
  validate_annotation_updates(pod, old, errs);
  errs.append(validate_metadata_and_spec(pod));
  const Json& spec = get_object(pod, "spec");
  const Json& old_spec = get_object(old, "spec");
  for (const char* list : {"containers", "initContainers"}) {
    if (get_array(spec, list).size() != get_array(old_spec, list).size()) {
      errs.forbidden(child_path("spec", list), "pod updates may not add or remove containers");
      return errs;
    }
  }
  // activeDeadlineSeconds may be set, or lowered, but not raised or removed.
  if (const Json* ads = get(spec, "activeDeadlineSeconds")) {
    int64_t v = json_int(*ads).value_or(0);
    if (v < 0 || v > std::numeric_limits<int32_t>::max()) {
      errs.invalid("spec.activeDeadlineSeconds", v,
                   inclusive_range_error(0, std::numeric_limits<int32_t>::max()));
      return errs;
    }
    if (auto old_v = get_int(old_spec, "activeDeadlineSeconds"); old_v && *old_v < v) {
      errs.invalid("spec.activeDeadlineSeconds", v, "must be less than or equal to previous value");
      return errs;
    }
  } else if (get(old_spec, "activeDeadlineSeconds") != nullptr) {
    // Go prints the nil pointer as the string "null".
    errs.invalid("spec.activeDeadlineSeconds", "null",
                 "must not update from a positive integer to nil value");
  }
  // Existing tolerations may only change their tolerationSeconds.
  const Json& new_tols = get_array(spec, "tolerations");
  for (const Json& old_tol : get_array(old_spec, "tolerations")) {
    Json stripped = without(old_tol, "tolerationSeconds");
    bool found = std::any_of(new_tols.begin(), new_tols.end(), [&](const Json& t) {
      return semantic_equal(stripped, without(t, "tolerationSeconds"));
    });
    if (!found) {
      errs.forbidden("spec.tolerations",
                     "existing toleration can not be modified except its tolerationSeconds");
      break;
    }
  }
  // Scheduling gates may only be removed.
  const Json& new_gates = get_array(spec, "schedulingGates");
  const Json& old_gates = get_array(old_spec, "schedulingGates");
  for (size_t i = 0; i < new_gates.size(); ++i) {
    std::string_view name = get_string(new_gates[i], "name");
    bool existed = std::any_of(old_gates.begin(), old_gates.end(),
                               [&](const Json& g) { return get_string(g, "name") == name; });
    if (!existed) {
      errs.forbidden(
          child_path(index_path("spec.schedulingGates", i), "name"),
          fmt::format("only deletion is allowed, but found new scheduling gate '{}'", name));
    }
  }
  if (semantic_equal(spec, old_spec)) return errs;

  // Put back what may change and compare the rest.
  Json munged = spec;
  for (const char* list : {"containers", "initContainers"}) {
    if (!munged.contains(list) || !munged[list].is_array()) continue;
    const Json& old_list = get_array(old_spec, list);
    for (size_t i = 0; i < munged[list].size() && i < old_list.size(); ++i) {
      if (!munged[list][i].is_object()) continue;
      if (const Json* img = get(old_list[i], "image")) {
        munged[list][i]["image"] = *img;
      } else {
        munged[list][i].erase("image");
      }
    }
  }
  for (const char* key : {"activeDeadlineSeconds", "schedulingGates", "tolerations"}) {
    if (const Json* v = get(old_spec, key)) {
      munged[key] = *v;
    } else {
      munged.erase(key);
    }
  }
  auto old_grace = get_int(old_spec, "terminationGracePeriodSeconds");
  if (old_grace && *old_grace < 0 && get_int(munged, "terminationGracePeriodSeconds") == 1) {
    munged["terminationGracePeriodSeconds"] = *old_grace;
  }
  // A pod still gated by scheduling gates may gain node selector terms and node affinity.
  if (!old_gates.empty()) {
    for (const char* key : {"nodeSelector", "affinity"}) {
      if (const Json* v = get(old_spec, key)) {
        munged[key] = *v;
      } else {
        munged.erase(key);
      }
    }
  }
  if (!semantic_equal(munged, old_spec)) {
    errs.forbidden("spec", fmt::format("pod updates may not change fields other than {}\n{}",
                                       kUpdatableFields, spec_diff(old_spec, munged)));
  }
  return errs;
}

FieldErrors validate_ephemeral_containers_update(const Json& pod, const Json& old) {
  FieldErrors errs;
  validate_annotation_updates(pod, old, errs);
  errs.append(validate_metadata_and_spec(pod));
  // Static pods are run by a kubelet from a file: nothing can be added to them.
  if (get(get_object(get_object(old, "metadata"), "annotations"), kMirrorAnnotation) != nullptr) {
    FieldErrors only;
    only.forbidden("", "static pods do not support ephemeral containers");
    return only;
  }
  // Existing ephemeral containers may be neither removed nor changed; order does not matter.
  const Json& now = get_array(get_object(pod, "spec"), "ephemeralContainers");
  for (const Json& before : get_array(get_object(old, "spec"), "ephemeralContainers")) {
    std::string_view name = get_string(before, "name");
    const Json* found = nullptr;
    for (const Json& c : now) {
      if (get_string(c, "name") == name) found = &c;
    }
    if (found == nullptr) {
      errs.forbidden(
          "spec.ephemeralContainers",
          fmt::format("existing ephemeral containers {} may not be removed\n", go_quote(name)));
    } else if (!semantic_equal(before, *found)) {
      std::string diff;
      diff_lines(before, *found, "ephemeralContainer", diff);
      errs.forbidden("spec.ephemeralContainers",
                     fmt::format("existing ephemeral containers {} may not be changed\n{}",
                                 go_quote(name), diff));
    }
  }
  return errs;
}

FieldErrors validate_status_update(const Json& pod, const Json& old) {
  FieldErrors errs;
  validate_annotation_updates(pod, old, errs);
  const Json& spec = get_object(pod, "spec");
  validate_pod_specific_annotations(get_object(get_object(pod, "metadata"), "annotations"), spec,
                                    "metadata.annotations", errs);
  const Json& status = get_object(pod, "status");
  const Json& old_status = get_object(old, "status");
  // Upstream reports custom condition types under metadata.conditions[i].Type.
  const Json& conditions = get_array(status, "conditions");
  for (size_t i = 0; i < conditions.size(); ++i) {
    std::string_view type = get_string(conditions[i], "type");
    if (type == "PodScheduled" || type == "Ready" || type == "Initialized") continue;
    validate_qualified_name(type, child_path(index_path("metadata.conditions", i), "Type"), errs);
  }
  if (get_string(spec, "nodeName") != get_string(get_object(old, "spec"), "nodeName")) {
    errs.forbidden("status.nodeName", "may not be changed directly");
  }
  std::string_view nominated = get_string(status, "nominatedNodeName");
  if (nominated != get_string(old_status, "nominatedNodeName") && !nominated.empty()) {
    for (auto& m : name_is_dns_subdomain(nominated, false)) {
      errs.invalid("status.nominatedNodeName", std::string(nominated), std::move(m));
    }
  }
  validate_immutable(get(status, "qosClass"), get(old_status, "qosClass"), "status.qosClass", errs);
  // A container that may not restart may not leave the terminated state.
  std::string_view restart = get_string(get_object(old, "spec"), "restartPolicy");
  auto check_transitions = [&](const char* list, std::string_view policy, bool init) {
    if (policy == "Always") return;
    const Json& old_list = get_array(old_status, list);
    const Json& new_list = get_array(status, list);
    for (size_t i = 0; i < old_list.size(); ++i) {
      const Json* term = get_path(old_list[i], {"state", "terminated"});
      if (term == nullptr) continue;
      if (get_int(*term, "exitCode").value_or(0) != 0 && policy == "OnFailure") continue;
      std::string_view name = get_string(old_list[i], "name");
      if (init) {
        bool sidecar = false;
        for (const Json& c : get_array(get_object(old, "spec"), "initContainers")) {
          if (get_string(c, "name") == name) sidecar = is_restartable_init_container(c);
        }
        if (sidecar) continue;
      }
      for (const Json& n : new_list) {
        if (get_string(n, "name") == name && get_path(n, {"state", "terminated"}) == nullptr) {
          errs.forbidden(child_path(index_path(child_path("status", list), i), "state"),
                         "may not be transitioned to non-terminated state");
        }
      }
    }
  };
  check_transitions("containerStatuses", restart, false);
  check_transitions("initContainerStatuses", restart, true);
  check_transitions("ephemeralContainerStatuses", "Never", false);
  const Json& pod_ips = get_array(status, "podIPs");
  for (size_t i = 0; i < pod_ips.size(); ++i) {
    std::string_view ip = get_string(pod_ips[i], "ip");
    for (auto& m : is_valid_ip(ip))
      errs.invalid(index_path("status.podIPs", i), std::string(ip), m);
  }
  const Json& host_ips = get_array(status, "hostIPs");
  if (!host_ips.empty()) {
    if (get_string(host_ips[0], "ip") != get_string(status, "hostIP")) {
      errs.invalid("status.hostIPs[0].ip", std::string(get_string(host_ips[0], "ip")),
                   "must be equal to `hostIP`");
    }
    for (size_t i = 0; i < host_ips.size(); ++i) {
      std::string_view ip = get_string(host_ips[i], "ip");
      for (auto& m : is_valid_ip(ip))
        errs.invalid(index_path("status.hostIPs", i), std::string(ip), m);
    }
  }
  return errs;
}

}  // namespace bosun::api::resources::pod
