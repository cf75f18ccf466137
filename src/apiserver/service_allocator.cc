#include "apiserver/service_allocator.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "api/object_meta.h"
#include "common/field_errors.h"

namespace bosun::apiserver {

namespace {

std::string service_type(const Json& svc) {
  if (!svc.is_object()) return "ClusterIP";
  auto spec = svc.find("spec");
  if (spec == svc.end() || !spec->is_object()) return "ClusterIP";
  auto t = spec->find("type");
  if (t == spec->end() || !t->is_string() || t->get<std::string>().empty()) return "ClusterIP";
  return t->get<std::string>();
}

std::string cluster_ip_of(const Json& svc) {
  if (!svc.is_object() || !svc.contains("spec") || !svc["spec"].is_object()) return "";
  const Json& spec = svc["spec"];
  if (auto ips = spec.find("clusterIPs");
      ips != spec.end() && ips->is_array() && !ips->empty() && (*ips)[0].is_string()) {
    return (*ips)[0].get<std::string>();
  }
  if (auto ip = spec.find("clusterIP"); ip != spec.end() && ip->is_string()) {
    return ip->get<std::string>();
  }
  return "";
}

bool is_real_ip(std::string_view ip) { return !ip.empty() && ip != "None"; }

bool needs_node_ports(const Json& svc) {
  std::string type = service_type(svc);
  if (type == "NodePort") return true;
  if (type != "LoadBalancer") return false;
  const Json& spec = svc["spec"];
  auto a = spec.find("allocateLoadBalancerNodePorts");
  return a == spec.end() || !a->is_boolean() || a->get<bool>();
}

int node_port_of(const Json& port) {
  if (!port.is_object()) return 0;
  auto np = port.find("nodePort");
  return np != port.end() && np->is_number_integer() ? np->get<int>() : 0;
}

std::string port_identity(const Json& port) {
  if (!port.is_object()) return "";
  std::string protocol = port.value("protocol", std::string("TCP"));
  int p = port.contains("port") && port["port"].is_number_integer() ? port["port"].get<int>() : 0;
  return fmt::format("{}/{}", p, protocol);
}

std::vector<int> node_ports_of(const Json& svc) {
  std::vector<int> out;
  if (!svc.is_object() || !svc.contains("spec") || !svc["spec"].is_object()) return out;
  const Json& spec = svc["spec"];
  if (auto ports = spec.find("ports"); ports != spec.end() && ports->is_array()) {
    for (const Json& p : *ports) {
      if (int np = node_port_of(p); np != 0) out.push_back(np);
    }
  }
  if (auto h = spec.find("healthCheckNodePort"); h != spec.end() && h->is_number_integer()) {
    if (int np = h->get<int>(); np != 0) out.push_back(np);
  }
  return out;
}

Error invalid_service(const Json& svc, FieldErrors errs) {
  return errs.to_error("Service", api::name(svc));
}

}  // namespace

ServiceAllocator::ServiceAllocator(std::unique_ptr<ClusterIpAllocator> ips,
                                   std::unique_ptr<NodePortAllocator> ports)
    : ips_(std::move(ips)), ports_(std::move(ports)) {}

void ServiceAllocator::restore(const Json& service) {
  std::string ip = cluster_ip_of(service);
  if (is_real_ip(ip)) (void)ips_->allocate(ip);
  for (int np : node_ports_of(service)) (void)ports_->allocate(np);
}

Result<void> ServiceAllocator::allocate_ips(Json& svc, const Json* old, ServiceAllocation& a) {
  Json& spec = svc["spec"];
  std::string old_ip = old ? cluster_ip_of(*old) : "";
  if (service_type(svc) == "ExternalName") {
    // ExternalName Services have no cluster IP; one held before is given back.
    if (is_real_ip(old_ip)) a.released_ips.push_back(old_ip);
    spec.erase("clusterIP");
    spec.erase("clusterIPs");
    return ok_result();
  }
  std::string ip = cluster_ip_of(svc);
  if (is_real_ip(old_ip)) {
    if (is_real_ip(ip) && ip != old_ip) {
      FieldErrors errs;
      errs.invalid("spec.clusterIPs[0]", ip, "may not change once set");
      return invalid_service(svc, std::move(errs));
    }
    ip = old_ip;
  } else if (ip.empty()) {
    auto next = ips_->allocate_next();
    if (!next.ok()) {
      return make_error(ErrorCode::kInternal,
                        fmt::format("Internal error occurred: failed to allocate a serviceIP: {}",
                                    next.error().message));
    }
    ip = *next;
    a.allocated_ips.push_back(ip);
  } else if (ip != "None") {
    if (auto r = ips_->allocate(ip); !r.ok()) {
      FieldErrors errs;
      errs.add(FieldError{FieldErrorType::kInvalid, "spec.clusterIPs", nullptr,
                          fmt::format("[]string{{{}}}: failed to allocate IP {}: {}", go_quote(ip),
                                      ip, r.error().message),
                          true});
      return invalid_service(svc, std::move(errs));
    }
    a.allocated_ips.push_back(ip);
  }
  spec["clusterIP"] = ip;
  spec["clusterIPs"] = Json::array({ip});
  if (!spec.contains("ipFamilies") || !spec["ipFamilies"].is_array() ||
      spec["ipFamilies"].empty()) {
    spec["ipFamilies"] = Json::array({"IPv4"});
  }
  if (!spec.contains("ipFamilyPolicy") || !spec["ipFamilyPolicy"].is_string()) {
    spec["ipFamilyPolicy"] = "SingleStack";
  }
  return ok_result();
}

Result<void> ServiceAllocator::allocate_ports(Json& svc, const Json* old, ServiceAllocation& a) {
  Json& spec = svc["spec"];
  std::vector<int> old_ports = old ? node_ports_of(*old) : std::vector<int>();
  std::set<int> kept;
  bool needs = needs_node_ports(svc);
  if (auto ports = spec.find("ports"); ports != spec.end() && ports->is_array()) {
    for (size_t i = 0; i < ports->size(); ++i) {
      Json& p = (*ports)[i];
      if (!p.is_object()) continue;
      if (!needs) {
        // Kubernetes drops node ports a ClusterIP Service no longer uses.
        p.erase("nodePort");
        continue;
      }
      int np = node_port_of(p);
      if (np == 0 && old && needs_node_ports(*old)) {
        // An update that left nodePort out keeps the port's old one.
        const Json& old_ports_json = (*old)["spec"]["ports"];
        if (old_ports_json.is_array()) {
          for (const Json& op : old_ports_json) {
            if (port_identity(op) == port_identity(p) && node_port_of(op) != 0) {
              np = node_port_of(op);
              break;
            }
          }
        }
      }
      if (np != 0 && std::find(old_ports.begin(), old_ports.end(), np) != old_ports.end()) {
        kept.insert(np);
      } else if (np != 0) {
        if (auto r = ports_->allocate(np); !r.ok()) {
          FieldErrors errs;
          errs.invalid(fmt::format("spec.ports[{}].nodePort", i), np, r.error().message);
          return invalid_service(svc, std::move(errs));
        }
        a.allocated_ports.push_back(np);
      } else {
        auto next = ports_->allocate_next();
        if (!next.ok()) {
          return make_error(
              ErrorCode::kInternal,
              fmt::format("Internal error occurred: failed to allocate a nodePort: {}",
                          next.error().message));
        }
        np = *next;
        a.allocated_ports.push_back(np);
      }
      p["nodePort"] = np;
    }
  }
  for (int np : old_ports) {
    if (!kept.count(np)) a.released_ports.push_back(np);
  }
  if (!needs) spec.erase("healthCheckNodePort");
  return ok_result();
}

Result<ServiceAllocation> ServiceAllocator::allocate_for_create(Json& service) {
  if (!service.contains("spec") || !service["spec"].is_object()) service["spec"] = Json::object();
  ServiceAllocation a;
  if (auto r = allocate_ips(service, nullptr, a); !r.ok()) {
    rollback(a);
    return std::move(r).error();
  }
  if (auto r = allocate_ports(service, nullptr, a); !r.ok()) {
    rollback(a);
    return std::move(r).error();
  }
  return a;
}

Result<ServiceAllocation> ServiceAllocator::allocate_for_update(Json& service, const Json& old) {
  if (!service.contains("spec") || !service["spec"].is_object()) service["spec"] = Json::object();
  ServiceAllocation a;
  if (auto r = allocate_ips(service, &old, a); !r.ok()) {
    rollback(a);
    return std::move(r).error();
  }
  if (auto r = allocate_ports(service, &old, a); !r.ok()) {
    rollback(a);
    return std::move(r).error();
  }
  return a;
}

ServiceAllocation ServiceAllocator::release_for_delete(const Json& service) {
  ServiceAllocation a;
  std::string ip = cluster_ip_of(service);
  if (is_real_ip(ip)) a.released_ips.push_back(ip);
  a.released_ports = node_ports_of(service);
  return a;
}

void ServiceAllocator::commit(const ServiceAllocation& a) {
  for (const std::string& ip : a.released_ips) ips_->release(ip);
  for (int p : a.released_ports) ports_->release(p);
}

void ServiceAllocator::rollback(const ServiceAllocation& a) {
  for (const std::string& ip : a.allocated_ips) ips_->release(ip);
  for (int p : a.allocated_ports) ports_->release(p);
}

}  // namespace bosun::apiserver
