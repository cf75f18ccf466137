// core/v1 Service: SetDefaults_Service, the service strategy and the pure part of the service REST
// storage (clusterIP/clusterIPs normalization, IP family defaults, keeping allocated values on
// update, dropping type-dependent fields), ValidateService/ValidateServiceUpdate and printService.
// Allocating cluster IPs and node ports is stateful and stays with the API server.
#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "api/labels.h"
#include "api/object_meta.h"
#include "api/resources/resources_workloads.h"
#include "api/resources/table_util.h"
#include "api/resources/workloads_common.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

using namespace workloads;

// A single-stack IPv4 cluster: the families Bosun's service IP range serves.
constexpr std::string_view kClusterFamily = "IPv4";

std::string_view type_of(const Json& svc) { return str(member(member(svc, "spec"), "type")); }

bool externally_accessible(const Json& svc) {
  std::string_view type = type_of(svc);
  return type == "LoadBalancer" || type == "NodePort" ||
         (type == "ClusterIP" && non_empty(member(member(svc, "spec"), "externalIPs")));
}

bool needs_health_check(const Json& svc) {
  return type_of(svc) == "LoadBalancer" &&
         str(member(member(svc, "spec"), "externalTrafficPolicy")) == "Local";
}

bool needs_cluster_ip(const Json& svc) { return type_of(svc) != "ExternalName"; }

bool needs_node_port(const Json& svc) {
  std::string_view type = type_of(svc);
  return type == "NodePort" || type == "LoadBalancer";
}

// len(clusterIPs) == 1 && clusterIPs[0] == "None".
bool is_headless(const Json& svc) {
  const Json* ips = member(member(svc, "spec"), "clusterIPs");
  return ips && ips->is_array() && ips->size() == 1 && str(&(*ips)[0]) == "None";
}

std::vector<std::string> strings_of(const Json* list) {
  std::vector<std::string> out;
  if (list && list->is_array()) {
    for (const Json& v : *list) out.emplace_back(str(&v));
  }
  return out;
}

// ---- IP addresses, as Go's net package classifies them (ParseIPSloppy: IPv4 octets may carry
// leading zeros; an IPv4-mapped IPv6 address counts as IPv4).

struct Ip {
  bool v4 = false;
  std::array<uint8_t, 16> b{};  // IPv4 in the last four bytes
};

std::optional<Ip> parse_ip(std::string_view s) {
  if (!ip_ok(s)) return std::nullopt;
  Ip ip;
  if (s.find(':') == std::string_view::npos) {
    ip.v4 = true;
    int part = 0;
    int value = 0;
    for (char c : s) {
      if (c == '.') {
        ip.b[12 + part++] = static_cast<uint8_t>(value);
        value = 0;
      } else {
        value = value * 10 + (c - '0');
      }
    }
    ip.b[15] = static_cast<uint8_t>(value);
    return ip;
  }
  std::string text(s);
  if (inet_pton(AF_INET6, text.c_str(), ip.b.data()) != 1) return std::nullopt;
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  ip.v4 = std::equal(std::begin(kMapped), std::end(kMapped), ip.b.begin());
  return ip;
}

bool is_ipv6(std::string_view s) {
  std::optional<Ip> ip = parse_ip(s);
  return ip && !ip->v4;
}

std::string_view family_of(std::string_view s) { return is_ipv6(s) ? "IPv6" : "IPv4"; }

bool cidr_ok(std::string_view s) {
  size_t slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view addr = s.substr(0, slash);
  std::string_view bits = s.substr(slash + 1);
  std::optional<Ip> ip = parse_ip(addr);
  if (!ip || bits.empty() || bits.size() > 3) return false;
  int n = 0;
  for (char c : bits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  // The family is the text's, not To4's: "::ffff:1.2.3.4/96" is an IPv6 CIDR.
  bool text_v4 = addr.find(':') == std::string_view::npos;
  return n <= (text_v4 ? 32 : 128);
}

void validate_ip(FieldErrors& errs, std::string_view value, const std::string& path) {
  for (auto& msg : is_valid_ip(value)) errs.invalid(path, value, std::move(msg));
}

// ValidateNonSpecialIP.
void validate_non_special_ip(FieldErrors& errs, std::string_view value, const std::string& path) {
  std::optional<Ip> ip = parse_ip(value);
  if (!ip) {
    errs.invalid(path, value, "must be a valid IP address");
    return;
  }
  const auto& b = ip->b;
  bool unspecified = true;
  for (size_t i = ip->v4 ? 12 : 0; i < 16; ++i) unspecified = unspecified && b[i] == 0;
  bool loopback = ip->v4 && b[12] == 127;
  if (!ip->v4) {
    loopback = b[15] == 1;
    for (size_t i = 0; i < 15; ++i) loopback = loopback && b[i] == 0;
  }
  bool link_local_unicast =
      ip->v4 ? (b[12] == 169 && b[13] == 254) : (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
  bool link_local_multicast =
      ip->v4 ? (b[12] == 224 && b[13] == 0 && b[14] == 0) : (b[0] == 0xff && (b[1] & 0x0f) == 0x02);
  if (unspecified) {
    errs.invalid(path, value, fmt::format("may not be unspecified ({})", value));
  }
  if (loopback) {
    errs.invalid(path, value, "may not be in the loopback range (127.0.0.0/8, ::1/128)");
  }
  if (link_local_unicast) {
    errs.invalid(path, value, "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
  }
  if (link_local_multicast) {
    errs.invalid(path, value,
                 "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
  }
}

// ---- Defaulting --------------------------------------------------------------------------------

void default_service(Json& obj) {
  schema_defaults(obj, "", "Service");
  Json& spec = object_member(obj, "spec");
  if (blank(member(spec, "sessionAffinity"))) spec["sessionAffinity"] = "None";
  std::string_view affinity = str(member(spec, "sessionAffinity"));
  if (affinity == "None") {
    spec.erase("sessionAffinityConfig");
  } else if (affinity == "ClientIP") {
    if (!is_set(
            member(member(member(spec, "sessionAffinityConfig"), "clientIP"), "timeoutSeconds"))) {
      // Three hours: DefaultClientIPServiceAffinitySeconds.
      spec["sessionAffinityConfig"] = Json{{"clientIP", {{"timeoutSeconds", 10800}}}};
    }
  }
  if (blank(member(spec, "type"))) spec["type"] = "ClusterIP";
  if (Json* ports = spec.contains("ports") ? &spec["ports"] : nullptr; ports && ports->is_array()) {
    for (Json& port : *ports) {
      if (!port.is_object()) continue;
      if (blank(member(port, "protocol"))) port["protocol"] = "TCP";
      const Json* target = member(port, "targetPort");
      bool zero = !is_set(target) || (target->is_string() && target->empty()) ||
                  (target->is_number() && integer(target) == 0);
      if (zero) port["targetPort"] = int_or_zero(member(port, "port"));
    }
  }
  if (externally_accessible(obj) && blank(member(spec, "externalTrafficPolicy"))) {
    spec["externalTrafficPolicy"] = "Cluster";
  }
  std::string_view type = type_of(obj);
  if (!is_set(member(spec, "internalTrafficPolicy")) &&
      (type == "NodePort" || type == "LoadBalancer" || type == "ClusterIP")) {
    spec["internalTrafficPolicy"] = "Cluster";
  }
  if (type == "LoadBalancer") {
    if (!is_set(member(spec, "allocateLoadBalancerNodePorts"))) {
      spec["allocateLoadBalancerNodePorts"] = true;
    }
    Json* status = obj.contains("status") ? &obj["status"] : nullptr;
    Json* lb = status && status->is_object() && status->contains("loadBalancer")
                   ? &(*status)["loadBalancer"]
                   : nullptr;
    if (lb && lb->is_object() && lb->contains("ingress") && (*lb)["ingress"].is_array()) {
      for (Json& ingress : (*lb)["ingress"]) {
        if (!str(member(ingress, "ip")).empty() && !is_set(member(ingress, "ipMode"))) {
          ingress["ipMode"] = "VIP";
        }
      }
    }
  }
}

// ---- Preparation -------------------------------------------------------------------------------

// NormalizeClusterIPs: keep clusterIP (the old clients' field) and clusterIPs in step.
void normalize_cluster_ips(Json& svc, const Json* old) {
  Json& spec = object_member(svc, "spec");
  std::string_view ip = str(member(spec, "clusterIP"));
  const Json* ips = member(spec, "clusterIPs");
  if (!old) {
    if (!ip.empty() && !non_empty(ips)) spec["clusterIPs"] = Json::array({ip});
    return;
  }
  const Json* old_spec = member(*old, "spec");
  std::string_view old_ip = str(member(old_spec, "clusterIP"));
  const Json* old_ips = member(old_spec, "clusterIPs");
  // An old client patching another field sent clusterIP but not clusterIPs.
  if (non_empty(old_ips) && !non_empty(ips) && old_ip == ip) {
    spec["clusterIPs"] = *old_ips;
    ips = member(spec, "clusterIPs");
  }
  if (old_ip != ip) {
    bool same_plural = semantically_equal(old_ips, ips);
    if (!old_ip.empty() && ip.empty()) {
      if (same_plural) spec.erase("clusterIPs");
    } else if (same_plural) {
      spec["clusterIPs"] = Json::array({ip});
    }
  }
}

// patchAllocatedValues: a client that resubmits the YAML it created the service from (without the
// clusterIP and node ports allocated then) keeps the allocated values.
void patch_allocated_values(Json& svc, const Json& old) {
  Json& spec = object_member(svc, "spec");
  const Json* old_spec = member(old, "spec");
  if (needs_cluster_ip(old) && needs_cluster_ip(svc)) {
    if (str(member(spec, "clusterIP")).empty() && is_set(member(old_spec, "clusterIP"))) {
      spec["clusterIP"] = *member(old_spec, "clusterIP");
    }
    if (!non_empty(member(spec, "clusterIPs")) && non_empty(member(old_spec, "clusterIPs"))) {
      spec["clusterIPs"] = *member(old_spec, "clusterIPs");
    }
  }
  if (needs_node_port(old) && needs_node_port(svc)) {
    const Json* old_ports = member(old_spec, "ports");
    Json* ports = spec.contains("ports") ? &spec["ports"] : nullptr;
    if (ports && ports->is_array() && old_ports && old_ports->is_array()) {
      auto used = [](const Json& list) {
        std::set<int64_t> out;
        for (const Json& p : list) {
          if (int64_t np = int_or_zero(member(p, "nodePort")); np != 0) out.insert(np);
        }
        return out;
      };
      std::set<int64_t> old_used = used(*old_ports);
      std::set<int64_t> new_used = used(*ports);
      std::map<std::string, int64_t> by_name;
      for (const Json& p : *old_ports) {
        by_name[std::string(str(member(p, "name")))] = int_or_zero(member(p, "nodePort"));
      }
      for (Json& p : *ports) {
        if (!p.is_object() || int_or_zero(member(p, "nodePort")) != 0) continue;
        auto it = by_name.find(std::string(str(member(p, "name"))));
        if (it == by_name.end() || it->second == 0) continue;
        // A port number both sides already use cannot be given to another port.
        if (old_used.count(it->second) && new_used.count(it->second)) continue;
        p["nodePort"] = it->second;
      }
    }
  }
  if (needs_health_check(old) && needs_health_check(svc) &&
      int_or_zero(member(spec, "healthCheckNodePort")) == 0 &&
      is_set(member(old_spec, "healthCheckNodePort"))) {
    spec["healthCheckNodePort"] = *member(old_spec, "healthCheckNodePort");
  }
}

std::set<int64_t> node_ports(const Json& svc) {
  std::set<int64_t> out;
  const Json* ports = member(member(svc, "spec"), "ports");
  if (ports && ports->is_array()) {
    for (const Json& p : *ports) {
      if (int64_t np = int_or_zero(member(p, "nodePort")); np != 0) out.insert(np);
    }
  }
  return out;
}

// dropTypeDependentFields: switching type clears what the old type allocated, unless the user
// changed it in the same request (then validation speaks).
void drop_type_dependent_fields(Json& svc, const Json& old) {
  Json& spec = object_member(svc, "spec");
  const Json* old_spec = member(old, "spec");
  auto same = [&](std::string_view key) {
    return semantically_equal(member(spec, key), member(old_spec, key));
  };
  if (needs_cluster_ip(old) && !needs_cluster_ip(svc)) {
    if (same("clusterIP") && same("clusterIPs")) {
      spec.erase("clusterIP");
      spec.erase("clusterIPs");
    }
    if (same("ipFamilies")) spec.erase("ipFamilies");
    if (same("ipFamilyPolicy")) spec.erase("ipFamilyPolicy");
  }
  if (needs_node_port(old) && !needs_node_port(svc)) {
    std::set<int64_t> old_ports = node_ports(old);
    std::set<int64_t> new_ports = node_ports(svc);
    if (std::includes(old_ports.begin(), old_ports.end(), new_ports.begin(), new_ports.end())) {
      if (spec.contains("ports") && spec["ports"].is_array()) {
        for (Json& p : spec["ports"]) {
          if (p.is_object()) p.erase("nodePort");
        }
      }
    }
  }
  if (needs_health_check(old) && !needs_health_check(svc) && same("healthCheckNodePort")) {
    spec.erase("healthCheckNodePort");
  }
  // loadBalancerClass and allocateLoadBalancerNodePorts only mean something for LoadBalancers.
  if (type_of(old) == "LoadBalancer" && type_of(svc) != "LoadBalancer") {
    if (same("loadBalancerClass")) spec.erase("loadBalancerClass");
    if (same("allocateLoadBalancerNodePorts")) spec.erase("allocateLoadBalancerNodePorts");
  }
  if (externally_accessible(old) && !externally_accessible(svc) && same("externalTrafficPolicy")) {
    spec.erase("externalTrafficPolicy");
  }
}

// trimFieldsForDualStackDowngrade.
void trim_for_downgrade(Json& svc, const Json& old) {
  std::string_view old_policy = str(member(member(old, "spec"), "ipFamilyPolicy"));
  Json& spec = object_member(svc, "spec");
  if ((old_policy == "RequireDualStack" || old_policy == "PreferDualStack") &&
      str(member(spec, "ipFamilyPolicy")) == "SingleStack") {
    for (const char* key : {"clusterIPs", "ipFamilies"}) {
      if (spec.contains(key) && spec[key].is_array() && spec[key].size() > 1) {
        spec[key] = Json::array({spec[key][0]});
      }
    }
  }
}

FieldErrors validate_cluster_ips_related(const Json& svc);

// initIPFamilyFields for a single-stack cluster of kClusterFamily: ipFamilyPolicy and ipFamilies
// defaults and the checks Kubernetes makes before allocating. Returns the errors; `svc` keeps
// whatever defaults were applied before the first one.
FieldErrors init_ip_families(Json& svc, const Json* old) {
  FieldErrors errs;
  if (!needs_cluster_ip(svc)) return errs;
  Json& spec = object_member(svc, "spec");
  const Json* old_spec = old ? member(*old, "spec") : nullptr;
  // A PreferDualStack service is not upgraded or downgraded behind its back when the cluster
  // changes: only an explicit policy change does that.
  if (old && str(member(old_spec, "ipFamilyPolicy")) == "PreferDualStack" &&
      needs_cluster_ip(*old) &&
      (blank(member(spec, "ipFamilyPolicy")) ||
       str(member(spec, "ipFamilyPolicy")) == "PreferDualStack") &&
      semantically_equal(member(spec, "clusterIPs"), member(old_spec, "clusterIPs")) &&
      semantically_equal(member(spec, "ipFamilies"), member(old_spec, "ipFamilies"))) {
    return errs;
  }
  if (!is_set(member(spec, "ipFamilyPolicy"))) {
    if (old && is_set(member(old_spec, "ipFamilyPolicy"))) {
      spec["ipFamilyPolicy"] = *member(old_spec, "ipFamilyPolicy");
    } else if (str(member(spec, "clusterIP")) == "None" && !non_empty(member(spec, "selector"))) {
      // Headless services without a selector default to both families.
      spec["ipFamilyPolicy"] = "RequireDualStack";
    } else {
      spec["ipFamilyPolicy"] = "SingleStack";
    }
  }
  if (FieldErrors pre = validate_cluster_ips_related(svc); !pre.empty()) return pre;
  const Json* policy = member(spec, "ipFamilyPolicy");
  bool single = str(policy) == "SingleStack";
  auto array_size = [&](std::string_view key) {
    const Json* v = member(spec, key);
    return v && v->is_array() ? v->size() : 0;
  };
  if (old) {
    if (single) {
      for (std::string_view key : {"clusterIPs", "ipFamilies"}) {
        if (semantically_equal(member(spec, key), member(old_spec, key)) && array_size(key) > 1) {
          spec[std::string(key)] = Json::array({spec[std::string(key)][0]});
        }
      }
    } else {
      auto reduced = [&](std::string_view key) {
        const Json* before = member(old_spec, key);
        size_t old_n = before && before->is_array() ? before->size() : 0;
        return array_size(key) < old_n;
      };
      if (reduced("clusterIPs")) {
        errs.invalid("spec.ipFamilyPolicy", *policy,
                     "must be 'SingleStack' to release the secondary cluster IP");
      }
      if (reduced("ipFamilies")) {
        errs.invalid("spec.ipFamilyPolicy", *policy,
                     "must be 'SingleStack' to release the secondary IP family");
      }
    }
  }
  if (single) {
    if (array_size("clusterIPs") == 2) {
      errs.invalid("spec.ipFamilyPolicy", *policy,
                   "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs "
                   "are specified");
    }
    if (array_size("ipFamilies") == 2) {
      errs.invalid("spec.ipFamilyPolicy", *policy,
                   "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families "
                   "are specified");
    }
  }
  std::vector<std::string> ips = strings_of(member(spec, "clusterIPs"));
  for (size_t i = 0; i < ips.size(); ++i) {
    if (ips[i] == "None") break;
    if (i < array_size("ipFamilies")) continue;
    std::string_view fam = family_of(ips[i]);
    if (fam != kClusterFamily) {
      invalid_go(errs, at_index("spec.clusterIPs", i), go_string_slice(member(spec, "clusterIPs")),
                 fmt::format("{} is not configured on this cluster", fam));
    } else {
      Json& families = spec["ipFamilies"];
      if (!families.is_array()) families = Json::array();
      families.push_back(fam);
    }
  }
  if (!errs.empty()) return errs;
  if (str(member(spec, "clusterIP")) == "None" && !non_empty(member(spec, "selector"))) {
    // Headless and selectorless: any family goes, there is nothing to allocate.
    if (array_size("ipFamilies") == 0) spec["ipFamilies"] = Json::array({kClusterFamily});
    if (array_size("ipFamilies") < 2 && !single) {
      spec["ipFamilies"].push_back(str(&spec["ipFamilies"][0]) == "IPv4" ? "IPv6" : "IPv4");
    }
    return errs;
  }
  if (str(policy) == "RequireDualStack") {
    errs.invalid("spec.ipFamilyPolicy", *policy,
                 "this cluster is not configured for dual-stack services");
  }
  std::vector<std::string> families = strings_of(member(spec, "ipFamilies"));
  for (size_t i = 0; i < families.size(); ++i) {
    if (families[i] != kClusterFamily) {
      errs.invalid(at_index("spec.ipFamilies", i), families[i], "not configured on this cluster");
    }
  }
  if (!errs.empty()) return errs;
  if (families.empty()) spec["ipFamilies"] = Json::array({kClusterFamily});
  return errs;
}

void prepare_create(Json& obj) {
  // ServiceStatus.loadBalancer is a struct without omitempty: an empty status prints it.
  obj["status"] = Json{{"loadBalancer", Json::object()}};
  normalize_cluster_ips(obj, nullptr);
  init_ip_families(obj, nullptr);
}

void prepare_update(Json& obj, const Json& old) {
  if (const Json* status = member(old, "status")) {
    obj["status"] = *status;
  } else if (obj.is_object()) {
    obj.erase("status");
  }
  normalize_cluster_ips(obj, &old);
  patch_allocated_values(obj, old);
  drop_type_dependent_fields(obj, old);
  trim_for_downgrade(obj, old);
  init_ip_families(obj, &old);
}

// ---- Validation --------------------------------------------------------------------------------

FieldErrors validate_cluster_ips_related(const Json& svc) {
  FieldErrors errs;
  if (!needs_cluster_ip(svc)) return errs;
  const Json* spec = member(svc, "spec");
  const Json* ips_json = member(spec, "clusterIPs");
  std::vector<std::string> ips = strings_of(ips_json);
  std::string_view ip = str(member(spec, "clusterIP"));
  if (!ip.empty()) {
    if (ips.empty()) {
      errs.required("spec.clusterIPs");
    } else if (ips[0] != ip) {
      invalid_go(errs, "spec.clusterIPs", go_string_slice(ips_json),
                 "first value must match `clusterIP`");
    }
  } else if (!ips.empty()) {
    invalid_go(errs, "spec.clusterIPs", go_string_slice(ips_json),
               "must be empty when `clusterIP` is not specified");
  }
  std::vector<std::string> families = strings_of(member(spec, "ipFamilies"));
  std::set<std::string> seen;
  for (size_t i = 0; i < families.size(); ++i) {
    if (families[i] != "IPv4" && families[i] != "IPv6") {
      errs.not_supported(at_index("spec.ipFamilies", i), families[i], {"IPv4", "IPv6"});
    }
    if (!seen.insert(families[i]).second) {
      errs.duplicate(at_index("spec.ipFamilies", i), families[i]);
    }
  }
  if (const Json* policy = member(spec, "ipFamilyPolicy"); is_set(policy)) {
    std::string_view p = str(policy);
    if (p != "SingleStack" && p != "PreferDualStack" && p != "RequireDualStack") {
      errs.not_supported("spec.ipFamilyPolicy", *policy,
                         {"PreferDualStack", "RequireDualStack", "SingleStack"});
    }
  }
  bool bad_ips = false;
  for (size_t i = 0; i < ips.size(); ++i) {
    if (i == 0 && ips[i] == "None") {
      if (ips.size() > 1) {
        bad_ips = true;
        invalid_go(errs, "spec.clusterIPs", go_string_slice(ips_json),
                   "'None' must be the first and only value");
      }
      continue;
    }
    if (!ip_ok(ips[i])) {
      bad_ips = true;
      validate_ip(errs, ips[i], at_index("spec.clusterIPs", i));
    }
  }
  if (ips.size() > 2) {
    invalid_go(errs, "spec.clusterIPs", go_string_slice(ips_json), "may only hold up to 2 values");
  }
  // A bad address would make the dual-stack checks below say misleading things.
  if (bad_ips) return errs;
  if (ips.size() > 1) {
    bool dual = ips.size() == 2 && is_ipv6(ips[0]) != is_ipv6(ips[1]);
    if (!dual) {
      invalid_go(errs, "spec.clusterIPs", go_string_slice(ips_json),
                 "may specify no more than one IP for each IP family");
    }
  }
  if (!is_headless(svc)) {
    for (size_t i = 0; i < ips.size() && i < families.size(); ++i) {
      if (families[i] == "IPv4" && is_ipv6(ips[i])) {
        errs.invalid(at_index("spec.clusterIPs", i), ips[i],
                     fmt::format("expected an IPv4 value as indicated by `ipFamilies[{}]`", i));
      }
      if (families[i] == "IPv6" && !is_ipv6(ips[i])) {
        errs.invalid(at_index("spec.clusterIPs", i), ips[i],
                     fmt::format("expected an IPv6 value as indicated by `ipFamilies[{}]`", i));
      }
    }
  }
  return errs;
}

// core.ServicePort{Protocol, Port} as %#v prints the duplicate-port key.
std::string go_service_port_key(std::string_view protocol, int64_t port) {
  return fmt::format(
      "core.ServicePort{{Name:\"\", Protocol:{}, AppProtocol:(*string)(nil), Port:{}, "
      "TargetPort:intstr.IntOrString{{Type:0, IntVal:0, StrVal:\"\"}}, NodePort:0}}",
      go_quote(protocol), port);
}

void validate_service_port(FieldErrors& errs, const Json& port, bool require_name,
                           std::set<std::string>& names, const std::string& path) {
  std::string_view name = str(member(port, "name"));
  if (require_name && name.empty()) {
    errs.required(path + ".name");
  } else if (!name.empty()) {
    for (auto& msg : is_dns1123_label(name)) errs.invalid(path + ".name", name, std::move(msg));
    if (!names.insert(std::string(name)).second) errs.duplicate(path + ".name", name);
  }
  int64_t number = int_or_zero(member(port, "port"));
  for (auto& msg : is_valid_port_num(number)) errs.invalid(path + ".port", number, std::move(msg));
  const Json* protocol = member(port, "protocol");
  if (blank(protocol)) {
    errs.required(path + ".protocol");
  } else if (std::string_view p = str(protocol); p != "TCP" && p != "UDP" && p != "SCTP") {
    errs.not_supported(path + ".protocol", *protocol, {"SCTP", "TCP", "UDP"});
  }
  // ValidatePortNumOrName.
  const Json* target = member(port, "targetPort");
  if (target && target->is_string()) {
    for (auto& msg : is_valid_port_name(str(target))) {
      errs.invalid(path + ".targetPort", *target, std::move(msg));
    }
  } else {
    int64_t t = int_or_zero(target);
    for (auto& msg : is_valid_port_num(t)) errs.invalid(path + ".targetPort", t, std::move(msg));
  }
  if (const Json* app = member(port, "appProtocol"); is_set(app)) {
    for (auto& msg : is_qualified_name(str(app))) {
      errs.invalid(path + ".appProtocol", *app, std::move(msg));
    }
  }
}

void validate_session_affinity(FieldErrors& errs, const Json* spec) {
  const Json* affinity = member(spec, "sessionAffinity");
  if (blank(affinity)) {
    errs.required("spec.sessionAffinity");
  } else if (str(affinity) != "ClientIP" && str(affinity) != "None") {
    errs.not_supported("spec.sessionAffinity", *affinity, {"ClientIP", "None"});
  }
  const Json* config = member(spec, "sessionAffinityConfig");
  if (str(affinity) == "ClientIP") {
    const std::string path = "spec.sessionAffinityConfig";
    const std::string why = "when session affinity type is ClientIP";
    const Json* client_ip = member(config, "clientIP");
    const Json* timeout = member(client_ip, "timeoutSeconds");
    if (!is_set(config)) {
      errs.required(path, why);
    } else if (!is_set(client_ip)) {
      errs.required(path + ".clientIP", why);
    } else if (!is_set(timeout)) {
      errs.required(path + ".clientIP.timeoutSeconds", why);
    } else if (int64_t t = int_or_zero(timeout); t <= 0 || t > 86400) {
      // MaxClientIPServiceAffinitySeconds: one day.
      errs.invalid(path + ".clientIP.timeoutSeconds", t,
                   "must be greater than 0 and less than 86400");
    }
  } else if (str(affinity) == "None" && is_set(config)) {
    errs.forbidden("spec.sessionAffinityConfig", "must not be set when session affinity is None");
  }
}

void validate_load_balancer_fields(FieldErrors& errs, const Json& svc) {
  const Json* spec = member(svc, "spec");
  bool lb = type_of(svc) == "LoadBalancer";
  const Json* ranges = member(spec, "loadBalancerSourceRanges");
  const Json* annotation = member(member(member(svc, "metadata"), "annotations"),
                                  "service.beta.kubernetes.io/load-balancer-source-ranges");
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) {
      s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
      s.remove_suffix(1);
    }
    return s;
  };
  auto check_cidr = [&](std::string_view value, const std::string& path) {
    if (!cidr_ok(value)) {
      errs.invalid(path, value, "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)");
    }
  };
  if (non_empty(ranges)) {
    // Kubernetes spells this path with a capital L.
    const std::string path = "spec.LoadBalancerSourceRanges";
    if (!lb) errs.forbidden(path, "may only be used when `type` is 'LoadBalancer'");
    std::vector<std::string> values = strings_of(ranges);
    for (size_t i = 0; i < values.size(); ++i) check_cidr(trim(values[i]), at_index(path, i));
  } else if (annotation) {
    const std::string path =
        "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]";
    if (!lb) errs.forbidden(path, "may only be used when `type` is 'LoadBalancer'");
    std::string_view value = trim(str(annotation));
    while (!value.empty()) {
      size_t comma = value.find(',');
      check_cidr(trim(value.substr(0, comma)), path);
      if (comma == std::string_view::npos) break;
      value.remove_prefix(comma + 1);
    }
  }
  const Json* allocate = member(spec, "allocateLoadBalancerNodePorts");
  if (is_set(allocate) && !lb) {
    errs.forbidden("spec.allocateLoadBalancerNodePorts",
                   "may only be used when `type` is 'LoadBalancer'");
  }
  if (lb && !is_set(allocate)) {
    // Kubernetes leaves "spec." off this path.
    errs.required("allocateLoadBalancerNodePorts");
  }
  const Json* lb_class = member(spec, "loadBalancerClass");
  if (lb) {
    if (is_set(lb_class)) {
      for (auto& msg : is_qualified_name(str(lb_class))) {
        errs.invalid("spec.loadBalancerClass", *lb_class, std::move(msg));
      }
    }
  } else if (is_set(lb_class)) {
    errs.forbidden("spec.loadBalancerClass", "may only be used when `type` is 'LoadBalancer'");
  }
}

void validate_traffic_policies(FieldErrors& errs, const Json& svc) {
  const Json* spec = member(svc, "spec");
  const Json* external = member(spec, "externalTrafficPolicy");
  if (!externally_accessible(svc)) {
    if (!blank(external)) {
      errs.invalid("spec.externalTrafficPolicy", *external,
                   "may only be set for externally-accessible services");
    }
  } else if (blank(external)) {
    errs.required("spec.externalTrafficPolicy");
  } else if (str(external) != "Cluster" && str(external) != "Local") {
    errs.not_supported("spec.externalTrafficPolicy", *external, {"Cluster", "Local"});
  }
  int64_t hc = int_or_zero(member(spec, "healthCheckNodePort"));
  if (!needs_health_check(svc)) {
    if (hc != 0) {
      errs.invalid("spec.healthCheckNodePort", hc,
                   "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is "
                   "'Local'");
    }
  } else if (hc != 0) {
    // Kubernetes allocates the health check port before validating and then requires it. Bosun's
    // API server allocates after validation, so 0 here means "to be allocated"; users never see
    // Kubernetes' Required error either way.
    for (auto& msg : is_valid_port_num(hc)) {
      errs.invalid("spec.healthCheckNodePort", hc, std::move(msg));
    }
  }
  const Json* internal = member(spec, "internalTrafficPolicy");
  std::string_view type = type_of(svc);
  if (!is_set(internal)) {
    if (type == "NodePort" || type == "LoadBalancer" || type == "ClusterIP") {
      errs.required("spec.internalTrafficPolicy");
    }
  } else if (str(internal) != "Cluster" && str(internal) != "Local") {
    errs.not_supported("spec.internalTrafficPolicy", *internal, {"Cluster", "Local"});
  }
  if (const Json* distribution = member(spec, "trafficDistribution");
      is_set(distribution) && str(distribution) != "PreferClose") {
    errs.not_supported("spec.trafficDistribution", *distribution, {"PreferClose"});
  }
}

FieldErrors validate_service_spec(const Json& svc) {
  FieldErrors errs;
  const Json* meta = member(svc, "metadata");
  const Json* annotations = member(meta, "annotations");
  const Json* hints = member(annotations, "service.kubernetes.io/topology-aware-hints");
  const Json* mode = member(annotations, "service.kubernetes.io/topology-mode");
  if (hints && mode && str(hints) != str(mode)) {
    errs.invalid("metadata.annotations[service.kubernetes.io/topology-mode]", *mode,
                 "must match annotations[service.kubernetes.io/topology-aware-hints] when both "
                 "are specified");
  }
  const Json* spec = member(svc, "spec");
  std::string_view type = type_of(svc);
  const Json* ports = member(spec, "ports");
  size_t n_ports = ports && ports->is_array() ? ports->size() : 0;
  if (n_ports == 0 && !is_headless(svc) && type != "ExternalName") errs.required("spec.ports");
  if (type == "LoadBalancer" || type == "NodePort") {
    if (is_headless(svc)) {
      errs.invalid("spec.clusterIPs[0]", "None",
                   fmt::format("may not be set to 'None' for {} services", type));
    }
  } else if (type == "ExternalName") {
    if (non_empty(member(spec, "clusterIPs"))) {
      errs.forbidden("spec.clusterIPs", "may not be set for ExternalName services");
    }
    if (non_empty(member(spec, "ipFamilies"))) {
      errs.forbidden("spec.ipFamilies", "may not be set for ExternalName services");
    }
    if (is_set(member(spec, "ipFamilyPolicy"))) {
      errs.forbidden("spec.ipFamilyPolicy", "may not be set for ExternalName services");
    }
    // A CNAME may end in a dot to mark it fully qualified.
    std::string_view cname = str(member(spec, "externalName"));
    if (!cname.empty() && cname.back() == '.') cname.remove_suffix(1);
    if (cname.empty()) {
      errs.required("spec.externalName");
    } else {
      for (auto& msg : is_dns1123_subdomain(cname)) {
        errs.invalid("spec.externalName", cname, std::move(msg));
      }
    }
  }
  std::set<std::string> names;
  for (size_t i = 0; i < n_ports; ++i) {
    validate_service_port(errs, (*ports)[i], n_ports > 1, names, at_index("spec.ports", i));
  }
  if (const Json* selector = member(spec, "selector"); selector && selector->is_object()) {
    Result<Labels> labels = labels_from_json(*selector);
    if (labels.ok()) errs.append(validate_labels(*labels, "spec.selector"));
  }
  validate_session_affinity(errs, spec);
  errs.append(validate_cluster_ips_related(svc));
  std::vector<std::string> external_ips = strings_of(member(spec, "externalIPs"));
  for (size_t i = 0; i < external_ips.size(); ++i) {
    std::string path = at_index("spec.externalIPs", i);
    if (!ip_ok(external_ips[i])) {
      validate_ip(errs, external_ips[i], path);
    } else {
      validate_non_special_ip(errs, external_ips[i], path);
    }
  }
  const Json* type_json = member(spec, "type");
  if (blank(type_json)) {
    errs.required("spec.type");
  } else if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
             type != "ExternalName") {
    errs.not_supported("spec.type", *type_json,
                       {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
  }
  if (type == "ClusterIP") {
    for (size_t i = 0; i < n_ports; ++i) {
      if (int_or_zero(member((*ports)[i], "nodePort")) != 0) {
        errs.forbidden(at_index("spec.ports", i) + ".nodePort",
                       "may not be used when `type` is 'ClusterIP'");
      }
    }
  }
  std::set<std::pair<std::string, int64_t>> seen_node_ports;
  for (size_t i = 0; i < n_ports; ++i) {
    int64_t np = int_or_zero(member((*ports)[i], "nodePort"));
    if (np == 0) continue;
    if (!seen_node_ports.emplace(str(member((*ports)[i], "protocol")), np).second) {
      errs.duplicate(at_index("spec.ports", i) + ".nodePort", np);
    }
  }
  std::set<std::pair<std::string, int64_t>> seen_ports;
  for (size_t i = 0; i < n_ports; ++i) {
    std::string protocol(str(member((*ports)[i], "protocol")));
    int64_t number = int_or_zero(member((*ports)[i], "port"));
    if (!seen_ports.emplace(protocol, number).second) {
      duplicate_go(errs, at_index("spec.ports", i), go_service_port_key(protocol, number));
    }
  }
  validate_load_balancer_fields(errs, svc);
  validate_traffic_policies(errs, svc);
  return errs;
}

FieldErrors validate_create(const Json& obj) {
  // The REST storage's IP family checks run before validation and stop the request on their own.
  // A dry run on a copy of the spec alone (the check reads and defaults nothing else).
  Json copy = {{"spec", member(obj, "spec") ? obj["spec"] : Json::object()}};
  if (FieldErrors errs = init_ip_families(copy, nullptr); !errs.empty()) return errs;
  return validate_service_spec(obj);
}

// validateUpgradeDowngradeClusterIPs and validateUpgradeDowngradeIPFamilies.
void validate_upgrade_downgrade(FieldErrors& errs, const Json& svc, const Json& old) {
  if (type_of(svc) == "ExternalName" || type_of(old) == "ExternalName") return;
  const Json* spec = member(svc, "spec");
  const Json* old_spec = member(old, "spec");
  bool headless = is_headless(svc);
  bool old_headless = is_headless(old);
  const Json* ips_json = member(spec, "clusterIPs");
  std::vector<std::string> ips = strings_of(ips_json);
  std::vector<std::string> old_ips = strings_of(member(old_spec, "clusterIPs"));
  const Json* policy = member(spec, "ipFamilyPolicy");
  auto policy_value = [&]() { return is_set(policy) ? *policy : Json("null"); };
  if (!(headless && old_headless)) {
    if (old_ips.size() == ips.size()) {
      for (size_t i = 0; i < old_ips.size(); ++i) {
        if (old_ips[i] != ips[i]) {
          invalid_go(errs, at_index("spec.clusterIPs", i), go_string_slice(ips_json),
                     "may not change once set");
        }
      }
    } else if (old_ips.size() > ips.size()) {
      if (ips.empty()) {
        invalid_go(errs, "spec.clusterIPs[0]", go_string_slice(ips_json),
                   "primary clusterIP can not be unset");
      }
      if (!old_ips.empty() && !ips.empty() && ips[0] != old_ips[0]) {
        invalid_go(errs, "spec.clusterIPs[0]", go_string_slice(ips_json),
                   "may not change once set");
      }
      if (ips.size() == 1 && str(policy) != "SingleStack") {
        errs.invalid("spec.ipFamilyPolicy", policy_value(),
                     "must be set to 'SingleStack' when releasing the secondary clusterIP");
      }
    } else if (!old_ips.empty() && ips[0] != old_ips[0]) {
      invalid_go(errs, "spec.clusterIPs[0]", go_string_slice(ips_json), "may not change once set");
    }
  }
  if (headless != old_headless || headless) return;
  const Json* families_json = member(spec, "ipFamilies");
  std::vector<std::string> families = strings_of(families_json);
  std::vector<std::string> old_families = strings_of(member(old_spec, "ipFamilies"));
  // Kubernetes prints clusterIPs, not ipFamilies, in two of these messages.
  if (old_families.size() == families.size()) {
    for (size_t i = 0; i < old_families.size(); ++i) {
      if (old_families[i] != families[i]) {
        invalid_go(errs, "spec.ipFamilies[0]", go_string_slice(families_json),
                   "may not change once set");
      }
    }
  } else if (old_families.size() > families.size()) {
    if (ips.empty()) {
      invalid_go(errs, "spec.ipFamilies[0]", go_string_slice(families_json),
                 "primary ipFamily can not be unset");
    }
    if (!families.empty() && families[0] != old_families[0]) {
      invalid_go(errs, "spec.ipFamilies[0]", go_string_slice(ips_json), "may not change once set");
    }
    if (families.size() == 1 && str(policy) != "SingleStack") {
      errs.invalid("spec.ipFamilyPolicy", policy_value(),
                   "must be set to 'SingleStack' when releasing the secondary ipFamily");
    }
  } else if (!old_families.empty() && !families.empty() && families[0] != old_families[0]) {
    invalid_go(errs, "spec.ipFamilies[0]", go_string_slice(ips_json), "may not change once set");
  }
}

FieldErrors validate_update(const Json& obj, const Json& old) {
  Json copy = {{"spec", member(obj, "spec") ? obj["spec"] : Json::object()}};
  if (FieldErrors errs = init_ip_families(copy, &old); !errs.empty()) return errs;
  FieldErrors errs;
  validate_upgrade_downgrade(errs, obj, old);
  if (type_of(old) == "LoadBalancer" && type_of(obj) == "LoadBalancer") {
    const Json* lb_class = member(member(obj, "spec"), "loadBalancerClass");
    if (!semantically_equal(lb_class, member(member(old, "spec"), "loadBalancerClass"))) {
      errs.invalid("spec.loadBalancerClass", is_set(lb_class) ? *lb_class : Json("null"),
                   "may not change once set");
    }
  }
  if (needs_health_check(old) && needs_health_check(obj) &&
      int_or_zero(member(member(obj, "spec"), "healthCheckNodePort")) !=
          int_or_zero(member(member(old, "spec"), "healthCheckNodePort"))) {
    errs.forbidden("spec.healthCheckNodePort", std::string(kFieldImmutable));
  }
  errs.append(validate_service_spec(obj));
  return errs;
}

// ---- Status
// ----------------------------------------------------------------------------------------

void prepare_status_update(Json& obj, const Json& old) { keep_from_old(obj, old, "spec"); }

// ValidateLoadBalancerStatus.
FieldErrors validate_status_update(const Json& obj, const Json&) {
  FieldErrors errs;
  const Json* ingress = member(member(member(obj, "status"), "loadBalancer"), "ingress");
  const std::string path = "status.loadBalancer.ingress";
  if (type_of(obj) != "LoadBalancer" && non_empty(ingress)) {
    errs.forbidden(path, "may only be used when `spec.type` is 'LoadBalancer'");
    return errs;
  }
  if (!ingress || !ingress->is_array()) return errs;
  for (size_t i = 0; i < ingress->size(); ++i) {
    const Json& in = (*ingress)[i];
    const std::string ipath = at_index(path, i);
    std::string_view ip = str(member(in, "ip"));
    if (!ip.empty()) validate_ip(errs, ip, ipath + ".ip");
    const Json* mode = member(in, "ipMode");
    if (!is_set(mode)) {
      if (!ip.empty()) errs.required(ipath + ".ipMode", "must be specified when `ip` is set");
    } else if (ip.empty()) {
      errs.forbidden(ipath + ".ipMode", "may not be specified when `ip` is not set");
    } else if (str(mode) != "VIP" && str(mode) != "Proxy") {
      errs.not_supported(ipath + ".ipMode", *mode, {"Proxy", "VIP"});
    }
    if (std::string_view host = str(member(in, "hostname")); !host.empty()) {
      for (auto& msg : is_dns1123_subdomain(host)) {
        errs.invalid(ipath + ".hostname", host, std::move(msg));
      }
      if (ip_ok(host)) {
        errs.invalid(ipath + ".hostname", host, "must be a DNS name, not an IP address");
      }
    }
  }
  return errs;
}

// ---- Table -------------------------------------------------------------------------------------

std::vector<TableColumn> columns() {
  return {
      name_column(),
      {"Type", "string", "", "type determines how the Service is exposed. Defaults to ClusterIP.",
       0},
      {"Cluster-IP", "string", "",
       "clusterIP is the IP address of the service and is usually assigned randomly.", 0},
      {"External-IP", "string", "",
       "externalIPs is a list of IP addresses for which nodes in the cluster will also accept "
       "traffic for this service.",
       0},
      {"Port(s)", "string", "", "The list of ports that are exposed by this service.", 0},
      age_column(),
      {"Selector", "string", "",
       "Route service traffic to pods with label keys and values matching this selector.", 1},
  };
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += ',';
    out += p;
  }
  return out;
}

// getServiceExternalIP with wide output (the server renders wide rows: no 16-character clipping).
std::string external_ip(const Json& svc) {
  const Json* spec = member(svc, "spec");
  std::vector<std::string> external = strings_of(member(spec, "externalIPs"));
  std::string_view type = type_of(svc);
  if (type == "ClusterIP" || type == "NodePort") {
    return external.empty() ? "<none>" : join(external);
  }
  if (type == "LoadBalancer") {
    std::set<std::string> lb;
    const Json* ingress = member(member(member(svc, "status"), "loadBalancer"), "ingress");
    if (ingress && ingress->is_array()) {
      for (const Json& i : *ingress) {
        if (!str(member(i, "ip")).empty()) {
          lb.emplace(str(member(i, "ip")));
        } else if (!str(member(i, "hostname")).empty()) {
          lb.emplace(str(member(i, "hostname")));
        }
      }
    }
    std::vector<std::string> all(lb.begin(), lb.end());
    all.insert(all.end(), external.begin(), external.end());
    return all.empty() ? "<pending>" : join(all);
  }
  if (type == "ExternalName") return std::string(str(member(spec, "externalName")));
  return "<unknown>";
}

std::string port_string(const Json* ports) {
  std::vector<std::string> pieces;
  if (ports && ports->is_array()) {
    for (const Json& p : *ports) {
      int64_t port = int_or_zero(member(p, "port"));
      int64_t node_port = int_or_zero(member(p, "nodePort"));
      std::string_view protocol = str(member(p, "protocol"));
      pieces.push_back(node_port > 0 ? fmt::format("{}:{}/{}", port, node_port, protocol)
                                     : fmt::format("{}/{}", port, protocol));
    }
  }
  std::string out = join(pieces);
  return out.empty() ? "<none>" : out;
}

Json cells(const Json& obj, const Clock& clock) {
  const Json* spec = member(obj, "spec");
  std::vector<std::string> ips = strings_of(member(spec, "clusterIPs"));
  return Json::array({
      str(member(member(obj, "metadata"), "name")),
      type_of(obj),
      ips.empty() ? "<none>" : ips[0],
      external_ip(obj),
      port_string(member(spec, "ports")),
      age_cell(obj, clock.now()),
      format_labels(member(spec, "selector")),
  });
}

}  // namespace

SubresourceStrategy service_status_strategy() {
  return {guarded(prepare_status_update), guarded(validate_status_update)};
}

void install_service(ResourceType& t, const Clock& clock) {
  ResourceStrategy& s = t.strategy;
  s.default_fields = guarded(default_service);
  s.prepare_for_create = guarded(prepare_create);
  s.prepare_for_update = guarded(prepare_update);
  s.validate_create = guarded(validate_create);
  s.validate_update = guarded(validate_update);
  s.table_columns = columns();
  s.table_cells = guarded([&clock](const Json& obj) { return cells(obj, clock); });
}

}  // namespace bosun::api::resources
