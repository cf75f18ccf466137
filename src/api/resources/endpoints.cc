// The Endpoints strategy: SetDefaults_Endpoints (port protocol TCP), ValidateEndpoints and
// printEndpoints (formatEndpoints: up to three ip:port pairs and "+ N more...").
#include <fmt/format.h>

#include "api/registry.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

void default_endpoints(Json& ep) {
  if (!ep.is_object() || !ep.contains("subsets") || !ep["subsets"].is_array()) return;
  for (Json& ss : ep["subsets"]) {
    if (!ss.is_object() || !ss.contains("ports") || !ss["ports"].is_array()) continue;
    for (Json& p : ss["ports"]) {
      if (p.is_object()) set_default_string(p, "protocol", "TCP");
    }
  }
}

void validate_address(const Json& addr, const std::string& path, FieldErrors& errs) {
  std::string_view ip = get_string(addr, "ip");
  for (auto& m : is_valid_ip(ip))
    errs.invalid(child_path(path, "ip"), std::string(ip), std::move(m));
  if (std::string_view h = get_string(addr, "hostname"); !h.empty()) {
    validate_dns1123_label(h, child_path(path, "hostname"), errs);
  }
  if (const Json* node = get(addr, "nodeName")) {
    for (auto& m : name_is_dns_subdomain(as_string(node), false)) {
      errs.invalid(child_path(path, "nodeName"), *node, std::move(m));
    }
  }
  validate_non_special_ip(ip, child_path(path, "ip"), errs);
}

void validate_port(const Json& port, bool require_name, const std::string& path,
                   FieldErrors& errs) {
  std::string_view name = get_string(port, "name");
  if (require_name && name.empty()) {
    errs.required(child_path(path, "name"));
  } else if (!name.empty()) {
    validate_dns1123_label(name, child_path(path, "name"), errs);
  }
  int64_t p = get_int(port, "port").value_or(0);
  for (auto& m : is_valid_port_num(p)) errs.invalid(child_path(path, "port"), p, std::move(m));
  std::string_view proto = get_string(port, "protocol");
  if (proto.empty()) {
    errs.required(child_path(path, "protocol"));
  } else if (proto != "TCP" && proto != "UDP" && proto != "SCTP") {
    errs.not_supported(child_path(path, "protocol"), std::string(proto), {"SCTP", "TCP", "UDP"});
  }
  if (const Json* ap = get(port, "appProtocol")) {
    validate_qualified_name(as_string(ap), child_path(path, "appProtocol"), errs);
  }
}

FieldErrors validate_endpoints(const Json& ep) {
  FieldErrors errs;
  validate_kube_finalizer_names(ep, errs);
  const Json& subsets = get_array(ep, "subsets");
  for (size_t i = 0; i < subsets.size(); ++i) {
    const Json& ss = subsets[i];
    std::string idx = index_path("subsets", i);
    const Json& ready = get_array(ss, "addresses");
    const Json& not_ready = get_array(ss, "notReadyAddresses");
    if (ready.empty() && not_ready.empty()) {
      errs.required(idx, "must specify `addresses` or `notReadyAddresses`");
    }
    for (size_t a = 0; a < ready.size(); ++a) {
      validate_address(ready[a], index_path(child_path(idx, "addresses"), a), errs);
    }
    for (size_t a = 0; a < not_ready.size(); ++a) {
      validate_address(not_ready[a], index_path(child_path(idx, "notReadyAddresses"), a), errs);
    }
    const Json& ports = get_array(ss, "ports");
    for (size_t p = 0; p < ports.size(); ++p) {
      validate_port(ports[p], ports.size() > 1, index_path(child_path(idx, "ports"), p), errs);
    }
  }
  return errs;
}

// net.JoinHostPort: IPv6 hosts are bracketed.
std::string join_host_port(std::string_view host, int64_t port) {
  if (host.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::string format_endpoints(const Json& ep) {
  const Json& subsets = get_array(ep, "subsets");
  if (subsets.empty()) return "<none>";
  constexpr size_t kMax = 3;
  std::vector<std::string> list;
  bool more = false;
  size_t count = 0;
  for (const Json& ss : subsets) {
    const Json& addrs = get_array(ss, "addresses");
    const Json& ports = get_array(ss, "ports");
    if (ports.empty()) {
      // Headless services may have no ports.
      count += addrs.size();
      for (const Json& a : addrs) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        list.emplace_back(get_string(a, "ip"));
      }
      continue;
    }
    for (const Json& p : ports) {
      count += addrs.size();
      for (const Json& a : addrs) {
        if (list.size() == kMax) {
          more = true;
          break;
        }
        list.push_back(join_host_port(get_string(a, "ip"), get_int(p, "port").value_or(0)));
      }
    }
  }
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + list[i];
  if (more) return fmt::format("{} + {} more...", out, count - kMax);
  return out;
}

}  // namespace

void install_endpoints(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_endpoints;
  t.strategy.validate_create = validate_endpoints;
  t.strategy.validate_update = [](const Json& ep, const Json&) { return validate_endpoints(ep); };
  t.strategy.table_columns = {
      name_column(),
      string_column("Endpoints",
                    "The set of all endpoints is the union of all subsets. Addresses are placed "
                    "into subsets according to the IPs they share. A single address with multiple "
                    "ports, some of which are ready and some of which are not (because they come "
                    "from different containers) will result in the address being displayed in "
                    "different subsets for the different ports. No address will appear in both "
                    "Addresses and NotReadyAddresses in the same subset. Sets of addresses and "
                    "ports that comprise a service."),
      age_column()};
  t.strategy.table_cells = [c](const Json& ep) {
    return Json::array({name_cell(ep), format_endpoints(ep), age_cell(ep, c->now())});
  };
}

}  // namespace bosun::api::resources
