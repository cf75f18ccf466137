// The EndpointSlice strategy (pkg/registry/discovery/endpointslice): SetDefaults_EndpointPort,
// generation on create and on any non-metadata change, ValidateEndpointSlice* and
// printEndpointSlice.
#include <set>

#include <fmt/format.h>

#include "api/labels.h"
#include "api/object_meta.h"
#include "api/registry.h"
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"
#include "api/validation.h"

namespace bosun::api::resources {
namespace {

constexpr size_t kMaxEndpoints = 1000;
constexpr size_t kMaxAddresses = 100;
constexpr size_t kMaxPorts = 100;
constexpr size_t kMaxTopologyLabels = 16;

void default_endpoint_slice(Json& slice) {
  if (!slice.is_object()) return;
  // endpoints and ports have no omitempty: Kubernetes prints null for an empty list.
  if (!slice.contains("endpoints")) slice["endpoints"] = nullptr;
  if (!slice.contains("ports")) slice["ports"] = nullptr;
  if (slice["endpoints"].is_array()) {
    for (Json& e : slice["endpoints"]) {
      if (e.is_object()) set_default(e, "conditions", Json::object());  // a struct
    }
  }
  if (slice["ports"].is_array()) {
    for (Json& p : slice["ports"]) {
      if (!p.is_object()) continue;
      set_default(p, "name", "");
      set_default(p, "protocol", "TCP");
    }
  }
}

void validate_address(std::string_view type, const Json& address, const std::string& path,
                      FieldErrors& errs) {
  std::string_view a = as_string(&address);
  if (type == "IPv4" || type == "IPv6") {
    bool v4 = false;
    auto bytes = parse_ip(a, &v4);
    if (!bytes || v4 != (type == "IPv4")) {
      errs.invalid(path, std::string(a), fmt::format("must be a valid {} address", type));
    }
    validate_non_special_ip(a, path, errs);
  } else if (type == "FQDN") {
    if (a.empty()) {
      errs.required(path);
      return;
    }
    std::string_view name = a;
    if (name.back() == '.') name.remove_suffix(1);
    validate_dns1123_subdomain(name, path, errs);
    if (name.find('.') == std::string_view::npos) {
      errs.invalid(path, std::string(a),
                   "should be a domain with at least two segments separated by dots");
    }
  }
}

FieldErrors validate_slice(const Json& slice, bool allow_deprecated_ip) {
  FieldErrors errs;
  validate_kube_finalizer_names(slice, errs);
  std::string_view type = get_string(slice, "addressType");
  if (type.empty()) {
    errs.required("addressType");
  } else if (type != "IPv4" && type != "IPv6" && type != "FQDN" &&
             !(allow_deprecated_ip && type == "IP")) {
    std::vector<std::string> valid = {"FQDN", "IPv4", "IPv6"};
    if (allow_deprecated_ip) valid = {"FQDN", "IP", "IPv4", "IPv6"};
    errs.not_supported("addressType", std::string(type), valid);
  }
  const Json& endpoints = get_array(slice, "endpoints");
  if (endpoints.size() > kMaxEndpoints) {
    errs.too_many("endpoints", endpoints.size(), kMaxEndpoints);
  } else {
    for (size_t i = 0; i < endpoints.size(); ++i) {
      const Json& e = endpoints[i];
      std::string idx = index_path("endpoints", i);
      std::string addr_path = child_path(idx, "addresses");
      const Json& addrs = get_array(e, "addresses");
      if (addrs.empty()) {
        errs.required(addr_path, "must contain at least 1 address");
      } else if (addrs.size() > kMaxAddresses) {
        errs.too_many(addr_path, addrs.size(), kMaxAddresses);
      }
      for (size_t a = 0; a < addrs.size(); ++a) {
        validate_address(type, addrs[a], index_path(addr_path, a), errs);
      }
      const Json& topology = get_object(e, "deprecatedTopology");
      std::string topo_path = child_path(idx, "deprecatedTopology");
      if (topology.size() > kMaxTopologyLabels) {
        errs.too_many(topo_path, topology.size(), kMaxTopologyLabels);
      }
      Labels labels;
      for (auto& [k, v] : topology.items())
        labels.emplace(k, v.is_string() ? v.get<std::string>() : "");
      errs.append(validate_labels(labels, topo_path));
      if (const Json* h = get(e, "hostname")) {
        validate_dns1123_label(as_string(h), child_path(idx, "hostname"), errs);
      }
      if (const Json* node = get(e, "nodeName")) {
        for (auto& m : name_is_dns_subdomain(as_string(node), false)) {
          errs.invalid(child_path(idx, "nodeName"), *node, std::move(m));
        }
      }
    }
  }
  const Json& ports = get_array(slice, "ports");
  if (ports.size() > kMaxPorts) {
    errs.too_many("ports", ports.size(), kMaxPorts);
  } else {
    std::set<std::string_view> names;
    for (size_t i = 0; i < ports.size(); ++i) {
      const Json& p = ports[i];
      std::string idx = index_path("ports", i);
      std::string_view name = get_string(p, "name");
      if (!name.empty()) validate_dns1123_label(name, child_path(idx, "name"), errs);
      if (!names.insert(name).second) errs.duplicate(child_path(idx, "name"), std::string(name));
      const Json* proto = get(p, "protocol");
      if (proto == nullptr) {
        errs.required(child_path(idx, "protocol"));
      } else if (std::string_view v = as_string(proto); v != "TCP" && v != "UDP" && v != "SCTP") {
        errs.not_supported(child_path(idx, "protocol"), *proto, {"SCTP", "TCP", "UDP"});
      }
      if (const Json* ap = get(p, "appProtocol")) {
        validate_qualified_name(as_string(ap), child_path(idx, "appProtocol"), errs);
      }
    }
  }
  return errs;
}

// "<unset>" for an empty list, else up to three items and "+ N more...".
std::string list_with_more(const std::vector<std::string>& list, size_t count) {
  constexpr size_t kMax = 3;
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) out += (i ? "," : "") + list[i];
  if (count > kMax) return fmt::format("{} + {} more...", out, count - kMax);
  return out.empty() ? "<unset>" : out;
}

Json slice_cells(const Json& slice, std::chrono::system_clock::time_point now) {
  std::vector<std::string> ports;
  size_t port_count = 0;
  for (const Json& p : get_array(slice, "ports")) {
    if (ports.size() < 3) {
      if (auto n = get_int(p, "port")) {
        ports.push_back(std::to_string(*n));
      } else if (const Json* name = get(p, "name")) {
        ports.emplace_back(as_string(name));
      } else {
        ports.emplace_back("*");
      }
    }
    ++port_count;
  }
  std::vector<std::string> addrs;
  size_t addr_count = 0;
  for (const Json& e : get_array(slice, "endpoints")) {
    for (const Json& a : get_array(e, "addresses")) {
      if (addrs.size() < 3) addrs.emplace_back(as_string(&a));
      ++addr_count;
    }
  }
  return Json::array({name_cell(slice), std::string(get_string(slice, "addressType")),
                      list_with_more(ports, port_count), list_with_more(addrs, addr_count),
                      age_cell(slice, now)});
}

}  // namespace

void install_endpoint_slice(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_endpoint_slice;
  t.strategy.prepare_for_create = [](Json& slice) { set_generation(slice, 1); };
  t.strategy.prepare_for_update = [](Json& slice, const Json& old) {
    // Any change outside metadata is a new generation.
    Json a = slice, b = old;
    if (a.is_object()) a.erase("metadata");
    if (b.is_object()) b.erase("metadata");
    set_generation(slice, generation(old) + (semantic_equal(a, b) ? 0 : 1));
  };
  t.strategy.validate_create = [](const Json& s) { return validate_slice(s, false); };
  t.strategy.validate_update = [](const Json& s, const Json& old) {
    // Slices stored with the deprecated "IP" type stay updatable.
    FieldErrors errs = validate_slice(s, true);
    validate_immutable(get(s, "addressType"), get(old, "addressType"), "addressType", errs);
    return errs;
  };
  t.strategy.table_columns = {
      name_column(),
      string_column("AddressType",
                    "addressType specifies the type of address carried by this EndpointSlice. All "
                    "addresses in this slice must be the same type. This field is immutable after "
                    "creation. The following address types are currently supported: * IPv4: "
                    "Represents an IPv4 Address. * IPv6: Represents an IPv6 Address. * FQDN: "
                    "Represents a Fully Qualified Domain Name."),
      string_column("Ports",
                    "ports specifies the list of network ports exposed by each endpoint in this "
                    "slice. Each port must have a unique name. When ports is empty, it indicates "
                    "that there are no defined ports. When a port is defined with a nil port "
                    "value, it indicates \"all ports\". Each slice may include a maximum of 100 "
                    "ports."),
      string_column("Endpoints",
                    "endpoints is a list of unique endpoints in this slice. Each slice may include "
                    "a maximum of 1000 endpoints."),
      age_column()};
  t.strategy.table_cells = [c](const Json& s) { return slice_cells(s, c->now()); };
}

}  // namespace bosun::api::resources
