#include "runtime/sandbox_files.h"

namespace bosun::runtime {

std::string managed_hosts_file(const std::vector<std::string>& pod_ips, std::string_view hostname,
                               std::string_view host_domain,
                               const std::vector<HostAlias>& aliases) {
  std::string out = "# Kubernetes-managed hosts file.\n";
  out += "127.0.0.1\tlocalhost\n";
  out += "::1\tlocalhost ip6-localhost ip6-loopback\n";
  out += "fe00::0\tip6-localnet\n";
  out += "fe00::0\tip6-mcastprefix\n";
  out += "fe00::1\tip6-allnodes\n";
  out += "fe00::2\tip6-allrouters\n";
  for (const std::string& ip : pod_ips) {
    out += ip;
    out += '\t';
    if (!host_domain.empty()) {
      out.append(hostname);
      out += '.';
      out.append(host_domain);
      out += '\t';
    }
    out.append(hostname);
    out += '\n';
  }
  if (!aliases.empty()) {
    out += "\n# Entries added by HostAliases.\n";
    for (const HostAlias& a : aliases) {
      for (const std::string& h : a.hostnames) out += a.ip + "\t" + h + "\n";
    }
  }
  return out;
}

std::string resolv_conf(const DnsConfig& dns) {
  std::string out;
  auto joined = [](const std::vector<std::string>& v) {
    std::string s;
    for (const std::string& x : v) {
      if (!s.empty()) s += ' ';
      s += x;
    }
    return s;
  };
  if (!dns.searches.empty()) out += "search " + joined(dns.searches) + "\n";
  for (const std::string& n : dns.nameservers) out += "nameserver " + n + "\n";
  if (!dns.options.empty()) out += "options " + joined(dns.options) + "\n";
  return out;
}

DnsConfig cluster_first_dns(std::string_view pod_namespace, std::string_view cluster_domain,
                            const std::vector<std::string>& cluster_nameservers,
                            const std::vector<std::string>& node_searches) {
  DnsConfig dns;
  dns.nameservers = cluster_nameservers;
  std::string domain(cluster_domain);
  dns.searches = {std::string(pod_namespace) + ".svc." + domain, "svc." + domain, domain};
  for (const std::string& s : node_searches) {
    bool dup = false;
    for (const std::string& have : dns.searches) dup = dup || have == s;
    if (!dup) dns.searches.push_back(s);
  }
  // The kubelet caps search domains (MaxDNSSearchPaths, 32 since 1.28).
  if (dns.searches.size() > 32) dns.searches.resize(32);
  dns.options = {"ndots:5"};
  return dns;
}

std::string pod_hostname(std::string_view pod_name, std::string_view spec_hostname) {
  std::string h(spec_hostname.empty() ? pod_name : spec_hostname);
  constexpr size_t kMax = 63;
  if (h.size() <= kMax) return h;
  h.resize(kMax);
  while (!h.empty() && (h.back() == '-' || h.back() == '.')) h.pop_back();
  return h;
}

}  // namespace bosun::runtime
