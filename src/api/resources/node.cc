// The Node strategy (pkg/registry/core/node/strategy.go), SetDefaults_NodeStatus, ValidateNode /
// ValidateNodeUpdate and printNode.
#include <set>

#include <fmt/format.h>

#include "api/labels.h"
#include "api/quantity.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

// NodeSystemInfo is a struct of plain strings: Kubernetes always serialises all of them.
constexpr std::string_view kNodeInfoFields[] = {
    "architecture",   "bootID",    "containerRuntimeVersion", "kernelVersion", "kubeProxyVersion",
    "kubeletVersion", "machineID", "operatingSystem",         "osImage",       "systemUUID"};

const SchemaType* node_type() {
  static const SchemaType* const kType = SchemaSet::global().find("", "v1", "Node");
  return kType;
}

void default_node(Json& node) {
  if (!node.is_object()) return;
  set_default(node, "spec", Json::object());
  Json& status = ensure_object(node, "status");
  // SetDefaults_NodeStatus: allocatable is the capacity unless reported.
  if (get(status, "allocatable") == nullptr) {
    if (const Json* cap = get(status, "capacity")) status["allocatable"] = *cap;
  }
  Json& endpoints = ensure_object(status, "daemonEndpoints");
  set_default(ensure_object(endpoints, "kubeletEndpoint"), "Port", 0);
  Json& info = ensure_object(status, "nodeInfo");
  for (std::string_view f : kNodeInfoFields) set_default(info, f, "");
  if (const SchemaType* t = node_type()) apply_schema_defaults(node, *t);
}

// %#v of core.Taint, as the duplicate-taint error prints it.
std::string go_taint(const Json& taint) {
  std::string added = "(*v1.Time)(nil)";
  if (const Json* t = get(taint, "timeAdded")) added = fmt::format("time.Date({})", t->dump());
  return fmt::format("core.Taint{{Key:{}, Value:{}, Effect:{}, TimeAdded:{}}}",
                     go_quote(get_string(taint, "key")), go_quote(get_string(taint, "value")),
                     go_quote(get_string(taint, "effect")), added);
}

// validateNodeTaints. Upstream reports them under metadata.taints, not spec.taints.
void validate_taints(const Json& taints, FieldErrors& errs) {
  const std::string path = "metadata.taints";
  std::set<std::pair<std::string_view, std::string_view>> unique;
  for (size_t i = 0; i < taints.size(); ++i) {
    const Json& t = taints[i];
    std::string idx = index_path(path, i);
    std::string_view key = get_string(t, "key");
    std::string_view value = get_string(t, "value");
    std::string_view effect = get_string(t, "effect");
    validate_label_name(key, child_path(idx, "key"), errs);
    if (auto msgs = is_valid_label_value(value); !msgs.empty()) {
      std::string joined;
      for (size_t m = 0; m < msgs.size(); ++m) joined += (m ? ";" : "") + msgs[m];
      errs.invalid(child_path(idx, "value"), std::string(value), joined);
    }
    if (effect.empty()) {
      errs.required(child_path(idx, "effect"));
    } else if (effect != "NoSchedule" && effect != "PreferNoSchedule" && effect != "NoExecute") {
      errs.not_supported(child_path(idx, "effect"), std::string(effect),
                         {"NoSchedule", "PreferNoSchedule", "NoExecute"});
    }
    if (!unique.emplace(effect, key).second) {
      errs.add({FieldErrorType::kDuplicate, idx, nullptr,
                go_taint(t) + ": taints must be unique by key and effect pair", true});
    }
  }
}

void validate_resource_values(const Json& status, const char* list, FieldErrors& errs) {
  for (auto& [name, value] : get_object(status, list).items()) {
    std::string path = fmt::format("status.{}.{}", list, name);
    auto q = Quantity::from_json(value);
    if (!q.ok()) {
      errs.invalid(path, value, q.error().message);
    } else if (q->sign() < 0) {
      errs.invalid(path, q->to_string(), "must be greater than or equal to 0");
    }
  }
}

bool valid_cidr(std::string_view cidr) {
  size_t slash = cidr.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view ip = cidr.substr(0, slash);
  std::string_view bits = cidr.substr(slash + 1);
  if (!ip_ok(ip) || bits.empty() || bits.size() > 3) return false;
  int n = 0;
  for (char c : bits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  return n <= (ip.find(':') != std::string_view::npos ? 128 : 32);
}

FieldErrors validate_node(const Json& node) {
  FieldErrors errs;
  validate_kube_finalizer_names(node, errs);
  validate_taints(get_array(get_object(node, "spec"), "taints"), errs);
  const Json& status = get_object(node, "status");
  validate_resource_values(status, "capacity", errs);
  validate_resource_values(status, "allocatable", errs);
  const Json& cidrs = get_array(get_object(node, "spec"), "podCIDRs");
  for (size_t i = 0; i < cidrs.size(); ++i) {
    std::string_view c = as_string(&cidrs[i]);
    if (!valid_cidr(c)) {
      errs.invalid(index_path("spec.podCIDRs", i), std::string(c),
                   "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    }
  }
  if (cidrs.size() > 1) {
    bool v6_first = as_string(&cidrs[0]).find(':') != std::string_view::npos;
    bool v6_second = as_string(&cidrs[1]).find(':') != std::string_view::npos;
    if (cidrs.size() > 2 || v6_first == v6_second) {
      errs.invalid("spec.podCIDRs", cidrs, "may specify no more than one CIDR for each IP family");
    }
    std::set<std::string_view> seen;
    for (size_t i = 0; i < cidrs.size(); ++i) {
      if (!seen.insert(as_string(&cidrs[i])).second) {
        errs.duplicate(index_path("spec.podCIDRs", i), cidrs[i]);
      }
    }
  }
  return errs;
}

FieldErrors validate_node_update(const Json& node, const Json& old) {
  FieldErrors errs = validate_node(node);
  const Json& addresses = get_array(get_object(node, "status"), "addresses");
  std::set<std::pair<std::string_view, std::string_view>> seen;
  for (size_t i = 0; i < addresses.size(); ++i) {
    std::string_view type = get_string(addresses[i], "type");
    std::string_view address = get_string(addresses[i], "address");
    if (!seen.emplace(type, address).second) {
      errs.add({FieldErrorType::kDuplicate, index_path("status.addresses", i), nullptr,
                fmt::format("core.NodeAddress{{Type:{}, Address:{}}}", go_quote(type),
                            go_quote(address)),
                true});
    }
  }
  const Json& spec = get_object(node, "spec");
  const Json& old_spec = get_object(old, "spec");
  // podCIDRs and providerID may be set once, by the node IPAM controller and the cloud provider.
  const Json& old_cidrs = get_array(old_spec, "podCIDRs");
  const Json& new_cidrs = get_array(spec, "podCIDRs");
  if (!old_cidrs.empty()) {
    constexpr std::string_view kMsg =
        "node updates may not change podCIDR except from \"\" to valid";
    if (old_cidrs.size() != new_cidrs.size()) {
      errs.forbidden("spec.podCIDRs", std::string(kMsg));
    } else {
      for (size_t i = 0; i < old_cidrs.size(); ++i) {
        if (old_cidrs[i] != new_cidrs[i]) errs.forbidden("spec.podCIDRs", std::string(kMsg));
      }
    }
  }
  std::string_view old_provider = get_string(old_spec, "providerID");
  if (!old_provider.empty() && old_provider != get_string(spec, "providerID")) {
    errs.forbidden("spec.providerID",
                   "node updates may not change providerID except from \"\" to valid");
  }
  if (get_string(old_spec, "externalID") != get_string(spec, "externalID")) {
    errs.forbidden("spec.externalID", "may not be updated");
  }
  return errs;
}

std::vector<TableColumn> node_columns() {
  constexpr std::string_view kAddresses =
      "List of addresses reachable to the node. Queried from cloud provider, if available. More "
      "info: https://kubernetes.io/docs/reference/node/node-status/#addresses Note: This field "
      "is defined as mergeable, but the merge key is not sufficiently unique, which can cause "
      "data corruption when it is merged. Callers should instead use a full-replacement patch. "
      "See https://pr.k8s.io/79391 for an example. Consumers should assume that addresses can "
      "change during the lifetime of a Node. However, there are some exceptions where this may "
      "not be possible, such as Pods that inherit a Node's address in its own status or "
      "consumers of the downward API (status.hostIP).";
  return {
      name_column(),
      string_column("Status", "The status of the node"),
      string_column("Roles", "The roles of the node"),
      age_column(),
      string_column("Version", "Kubelet Version reported by the node."),
      string_column("Internal-IP", std::string(kAddresses), 1),
      string_column("External-IP", std::string(kAddresses), 1),
      string_column("OS-Image",
                    "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 "
                    "(wheezy)).",
                    1),
      string_column("Kernel-Version",
                    "Kernel Version reported by the node from 'uname -r' (e.g. "
                    "3.16.0-0.bpo.4-amd64).",
                    1),
      string_column("Container-Runtime",
                    "ContainerRuntime Version reported by the node through runtime remote API "
                    "(e.g. containerd://1.4.2).",
                    1),
  };
}

std::string node_address(const Json& status, std::string_view type) {
  for (const Json& a : get_array(status, "addresses")) {
    if (get_string(a, "type") == type) return std::string(get_string(a, "address"));
  }
  return "<none>";
}

Json node_cells(const Json& node, std::chrono::system_clock::time_point now) {
  const Json& status = get_object(node, "status");
  // Only the Ready condition decides the STATUS column.
  std::string state = "Unknown";
  for (const Json& c : get_array(status, "conditions")) {
    if (get_string(c, "type") == "Ready") {
      state = get_string(c, "status") == "True" ? "Ready" : "NotReady";
    }
  }
  if (get_bool(get_object(node, "spec"), "unschedulable")) state += ",SchedulingDisabled";
  // Roles: node-role.kubernetes.io/<role> labels and the older kubernetes.io/role=<role>.
  std::set<std::string> roles;
  for (auto& [k, v] : get_object(get_object(node, "metadata"), "labels").items()) {
    constexpr std::string_view kPrefix = "node-role.kubernetes.io/";
    std::string_view key = k;
    if (key.substr(0, kPrefix.size()) == kPrefix) {
      if (key.size() > kPrefix.size()) roles.emplace(key.substr(kPrefix.size()));
    } else if (key == "kubernetes.io/role" && v.is_string() && !v.get<std::string>().empty()) {
      roles.insert(v.get<std::string>());
    }
  }
  std::string role_cell;
  for (const std::string& r : roles) role_cell += (role_cell.empty() ? "" : ",") + r;
  const Json& info = get_object(status, "nodeInfo");
  auto or_unknown = [&](std::string_view key) {
    std::string_view v = get_string(info, key);
    return v.empty() ? std::string("<unknown>") : std::string(v);
  };
  return Json::array({name_cell(node), state, role_cell.empty() ? "<none>" : role_cell,
                      age_cell(node, now), std::string(get_string(info, "kubeletVersion")),
                      node_address(status, "InternalIP"), node_address(status, "ExternalIP"),
                      or_unknown("osImage"), or_unknown("kernelVersion"),
                      or_unknown("containerRuntimeVersion")});
}

void keep_old(Json& obj, const Json& old, std::string_view key) {
  if (const Json* v = get(old, key)) {
    obj[std::string(key)] = *v;
  } else {
    obj.erase(std::string(key));
  }
}

}  // namespace

void install_node(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_node;
  // Nodes may set their status on create (the kubelet registers with it).
  t.strategy.prepare_for_create = [](Json&) {};
  t.strategy.prepare_for_update = [](Json& obj, const Json& old) {
    if (obj.is_object()) keep_old(obj, old, "status");
  };
  t.strategy.validate_create = validate_node;
  t.strategy.validate_update = validate_node_update;
  t.strategy.table_columns = node_columns();
  t.strategy.table_cells = [c](const Json& obj) { return node_cells(obj, c->now()); };
}

SubresourceStrategy node_status_strategy() {
  return {[](Json& obj, const Json& old) {
            if (obj.is_object()) keep_old(obj, old, "spec");
          },
          validate_node_update};
}

}  // namespace bosun::api::resources
