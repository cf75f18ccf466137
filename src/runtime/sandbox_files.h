// The files a pod sandbox gives its containers, worded as the kubelet writes them: the managed
// /etc/hosts (kubelet_pods.go managedHostsFileContent), /etc/resolv.conf (as containerd's CRI
// plugin writes the kubelet's DNS config) and the pod's hostname. Pure functions; safe from any
// thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace bosun::runtime {

struct HostAlias {
  std::string ip;
  std::vector<std::string> hostnames;
};

struct DnsConfig {
  std::vector<std::string> nameservers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

// "# Kubernetes-managed hosts file." with localhost entries, one line per pod IP naming the pod
// (with its FQDN when it has a subdomain: "<hostname>.<subdomain>.<namespace>.svc.<domain>"), then
// the hostAliases section.
std::string managed_hosts_file(const std::vector<std::string>& pod_ips, std::string_view hostname,
                               std::string_view host_domain, const std::vector<HostAlias>& aliases);

// "search ...", "nameserver ..." lines and "options ...", in containerd's order.
std::string resolv_conf(const DnsConfig& dns);

// dnsPolicy ClusterFirst: the cluster's nameservers, searches "<ns>.svc.<domain> svc.<domain>
// <domain>" followed by the node's, options ndots:5.
DnsConfig cluster_first_dns(std::string_view pod_namespace, std::string_view cluster_domain,
                            const std::vector<std::string>& cluster_nameservers,
                            const std::vector<std::string>& node_searches);

// The pod's hostname: spec.hostname or the pod name, cut to 63 characters without a trailing '-'
// or '.' (the kubelet's truncatePodHostnameIfNeeded).
std::string pod_hostname(std::string_view pod_name, std::string_view spec_hostname = "");

}  // namespace bosun::runtime
