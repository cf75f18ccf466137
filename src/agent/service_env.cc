#include "agent/service_env.h"

#include <cctype>

#include "common/json_fields.h"

namespace bosun::agent {
namespace {

using json_fields::member;
using json_fields::string_at;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// v1helper.IsServiceIPSet.
bool service_ip_set(const Json& service) {
  const std::string ip = string_at(member(service, "spec"), "clusterIP");
  return !ip.empty() && ip != "None";
}

// net.JoinHostPort: an IPv6 address in brackets.
std::string join_host_port(const std::string& host, int64_t port) {
  const std::string p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

}  // namespace

std::string service_env_name(std::string_view service_name) {
  std::string out(service_name);
  for (char& c : out)
    c = c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::pair<std::string, std::string>> service_env_vars(const Json& service) {
  std::vector<std::pair<std::string, std::string>> out;
  const Json& spec = member(service, "spec");
  const Json& ports = member(spec, "ports");
  if (!service_ip_set(service) || !ports.is_array() || ports.empty()) return out;
  const std::string ip = string_at(spec, "clusterIP");
  const std::string prefix = service_env_name(string_at(member(service, "metadata"), "name"));
  auto port_of = [](const Json& p) -> int64_t {
    const Json& v = member(p, "port");
    return v.is_number_integer() ? v.get<int64_t>() : 0;
  };
  out.emplace_back(prefix + "_SERVICE_HOST", ip);
  const std::string port_var = prefix + "_SERVICE_PORT";
  out.emplace_back(port_var, std::to_string(port_of(ports[0])));
  // Only the first port may be unnamed (validation): every named one gets its own variable.
  for (const Json& p : ports) {
    const std::string name = string_at(p, "name");
    if (!name.empty())
      out.emplace_back(port_var + "_" + service_env_name(name), std::to_string(port_of(p)));
  }
  // Docker links, with the first port special-cased as Docker does.
  for (size_t i = 0; i < ports.size(); ++i) {
    const Json& p = ports[i];
    std::string protocol = string_at(p, "protocol");
    if (protocol.empty()) protocol = "TCP";
    const int64_t port = port_of(p);
    const std::string url = lower(protocol) + "://" + join_host_port(ip, port);
    if (i == 0) out.emplace_back(prefix + "_PORT", url);
    const std::string pp = prefix + "_PORT_" + std::to_string(port) + "_" + upper(protocol);
    out.emplace_back(pp, url);
    out.emplace_back(pp + "_PROTO", lower(protocol));
    out.emplace_back(pp + "_PORT", std::to_string(port));
    out.emplace_back(pp + "_ADDR", ip);
  }
  return out;
}

Result<std::map<std::string, std::string>> service_env_map(const ServiceEnvSource& source,
                                                           std::string_view ns,
                                                           bool enable_service_links) {
  std::map<std::string, std::string> out;
  if (!source.list) return out;  // no API server (the kubelet's nil serviceLister)
  if (source.synced && !source.synced()) {
    return make_error(ErrorCode::kServiceUnavailable,
                      "services have not yet been read at least once, cannot construct envvars");
  }
  // By service name: the master service `kubernetes` of `default` always (in-cluster clients
  // read KUBERNETES_SERVICE_HOST), the pod's namespace's services with enableServiceLinks.
  std::map<std::string, std::shared_ptr<const Json>> chosen;
  for (const auto& s : source.list("default")) {
    if (s && string_at(member(*s, "metadata"), "name") == "kubernetes" && service_ip_set(*s)) {
      chosen["kubernetes"] = s;
    }
  }
  if (enable_service_links) {
    for (const auto& s : source.list(ns)) {
      if (!s || !service_ip_set(*s)) continue;
      const std::string name = string_at(member(*s, "metadata"), "name");
      if (ns == "default" && name == "kubernetes") continue;
      chosen[name] = s;
    }
  }
  for (const auto& [name, s] : chosen) {
    for (auto& [k, v] : service_env_vars(*s)) out[k] = std::move(v);
  }
  return out;
}

Json trim_service_for_env(Json service) {
  if (!service.is_object()) return service;
  const Json& meta = member(service, "metadata");
  const Json& spec = member(service, "spec");
  Json ports = Json::array();
  if (const Json& ps = member(spec, "ports"); ps.is_array()) {
    for (const Json& p : ps) {
      Json kept = Json::object();
      for (const char* k : {"name", "port", "protocol"}) {
        if (auto it = p.find(k); it != p.end()) kept[k] = *it;
      }
      ports.push_back(std::move(kept));
    }
  }
  return Json{{"metadata",
               {{"name", string_at(meta, "name")}, {"namespace", string_at(meta, "namespace")}}},
              {"spec", {{"clusterIP", string_at(spec, "clusterIP")}, {"ports", std::move(ports)}}}};
}

}  // namespace bosun::agent
