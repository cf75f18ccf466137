// The RoleBinding strategy (rbac.authorization.k8s.io/v1) and the binding defaults, validation
// and printer it shares with ClusterRoleBinding.
#include <fmt/format.h>

#include "api/registry.h"
#include "api/resources/rbac_internal.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"

namespace bosun::api::resources {
namespace rbac {
namespace {

// %#v of rbac.RoleRef, as `cannot change roleRef` prints it.
std::string go_role_ref(const Json& ref) {
  return fmt::format("rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}",
                     go_quote(get_string(ref, "apiGroup")), go_quote(get_string(ref, "kind")),
                     go_quote(get_string(ref, "name")));
}

void validate_subject(const Json& subject, bool namespaced, const std::string& path,
                      FieldErrors& errs) {
  std::string_view name = get_string(subject, "name");
  std::string_view group = get_string(subject, "apiGroup");
  if (name.empty()) errs.required(child_path(path, "name"));
  std::string_view kind = get_string(subject, "kind");
  if (kind == "ServiceAccount") {
    if (!name.empty()) {
      for (auto& m : name_is_dns_subdomain(name, false)) {
        errs.invalid(child_path(path, "name"), std::string(name), std::move(m));
      }
    }
    if (!group.empty()) errs.not_supported(child_path(path, "apiGroup"), std::string(group), {""});
    if (!namespaced && get_string(subject, "namespace").empty()) {
      errs.required(child_path(path, "namespace"));
    }
  } else if (kind == "User" || kind == "Group") {
    if (name.empty()) {
      errs.invalid(child_path(path, "name"), "",
                   kind == "User" ? "user name cannot be empty" : "group name cannot be empty");
    }
    if (group != kGroupName) {
      errs.not_supported(child_path(path, "apiGroup"), std::string(group),
                         {std::string(kGroupName)});
    }
  } else {
    errs.not_supported(child_path(path, "kind"), std::string(kind),
                       {"ServiceAccount", "User", "Group"});
  }
}

}  // namespace

void default_binding(Json& binding) {
  if (!binding.is_object()) return;
  set_default_string(ensure_object(binding, "roleRef"), "apiGroup", kGroupName);
  if (!binding.contains("subjects") || !binding["subjects"].is_array()) return;
  for (Json& s : binding["subjects"]) {
    if (!s.is_object() || !get_string(s, "apiGroup").empty()) continue;
    std::string_view kind = get_string(s, "kind");
    if (kind == "User" || kind == "Group") s["apiGroup"] = std::string(kGroupName);
  }
}

FieldErrors validate_binding(const Json& binding, bool namespaced) {
  FieldErrors errs;
  validate_kube_finalizer_names(binding, errs);
  const Json& ref = get_object(binding, "roleRef");
  std::string_view group = get_string(ref, "apiGroup");
  if (group != kGroupName) {
    errs.not_supported("roleRef.apiGroup", std::string(group), {std::string(kGroupName)});
  }
  std::string_view kind = get_string(ref, "kind");
  if (namespaced ? (kind != "Role" && kind != "ClusterRole") : kind != "ClusterRole") {
    errs.not_supported("roleRef.kind", std::string(kind),
                       namespaced ? std::vector<std::string>{"Role", "ClusterRole"}
                                  : std::vector<std::string>{"ClusterRole"});
  }
  std::string_view name = get_string(ref, "name");
  if (name.empty()) {
    errs.required("roleRef.name");
  } else {
    for (auto& m : validate_path_segment_name(name, false)) {
      errs.invalid("roleRef.name", std::string(name), std::move(m));
    }
  }
  const Json& subjects = get_array(binding, "subjects");
  for (size_t i = 0; i < subjects.size(); ++i) {
    validate_subject(subjects[i], namespaced, index_path("subjects", i), errs);
  }
  return errs;
}

FieldErrors validate_binding_update(const Json& binding, const Json& old, bool namespaced) {
  FieldErrors errs = validate_binding(binding, namespaced);
  const Json& ref = get_object(binding, "roleRef");
  const Json& old_ref = get_object(old, "roleRef");
  for (const char* key : {"apiGroup", "kind", "name"}) {
    if (get_string(ref, key) != get_string(old_ref, key)) {
      errs.add({FieldErrorType::kInvalid, "roleRef", nullptr,
                go_role_ref(ref) + ": cannot change roleRef", true});
      break;
    }
  }
  return errs;
}

std::vector<TableColumn> binding_columns(bool cluster) {
  std::string_view what = cluster ? "clusterRoleBinding" : "roleBinding";
  return {
      name_column(),
      string_column("Role",
                    cluster ? "RoleRef can only reference a ClusterRole in the global namespace. "
                              "If the RoleRef cannot be resolved, the Authorizer must return an "
                              "error. This field is immutable."
                            : "RoleRef can reference a Role in the current namespace or a "
                              "ClusterRole in the global namespace. If the RoleRef cannot be "
                              "resolved, the Authorizer must return an error. This field is "
                              "immutable."),
      age_column(),
      string_column("Users", fmt::format("Users in the {}", what), 1),
      string_column("Groups", fmt::format("Groups in the {}", what), 1),
      string_column("ServiceAccounts", fmt::format("ServiceAccounts in the {}", what), 1),
  };
}

Json binding_cells(const Json& binding, std::chrono::system_clock::time_point now) {
  const Json& ref = get_object(binding, "roleRef");
  // rbac.SubjectsStrings, joined with ", ".
  std::string users, groups, sas;
  auto add = [](std::string& list, std::string_view item) {
    if (!list.empty()) list += ", ";
    list += item;
  };
  for (const Json& s : get_array(binding, "subjects")) {
    std::string_view kind = get_string(s, "kind");
    if (kind == "ServiceAccount") {
      add(sas, fmt::format("{}/{}", get_string(s, "namespace"), get_string(s, "name")));
    } else if (kind == "User") {
      add(users, get_string(s, "name"));
    } else if (kind == "Group") {
      add(groups, get_string(s, "name"));
    }
  }
  return Json::array({name_cell(binding),
                      fmt::format("{}/{}", get_string(ref, "kind"), get_string(ref, "name")),
                      age_cell(binding, now), users, groups, sas});
}

}  // namespace rbac

void install_role_binding(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = rbac::default_binding;
  t.strategy.validate_create = [](const Json& b) { return rbac::validate_binding(b, true); };
  t.strategy.validate_update = [](const Json& b, const Json& old) {
    return rbac::validate_binding_update(b, old, true);
  };
  t.strategy.table_columns = rbac::binding_columns(false);
  t.strategy.table_cells = [c](const Json& b) { return rbac::binding_cells(b, c->now()); };
}

}  // namespace bosun::api::resources
