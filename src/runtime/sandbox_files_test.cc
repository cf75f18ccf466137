// The sandbox's /etc files as the kubelet words them (no root needed).
#include "runtime/sandbox_files.h"

#include <gtest/gtest.h>

namespace bosun::runtime {
namespace {

constexpr const char* kLocal =
    "# Kubernetes-managed hosts file.\n"
    "127.0.0.1\tlocalhost\n"
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\n"
    "fe00::0\tip6-mcastprefix\n"
    "fe00::1\tip6-allnodes\n"
    "fe00::2\tip6-allrouters\n";

TEST(ManagedHostsFile, LocalhostOnlyWithoutPodIPs) {
  EXPECT_EQ(managed_hosts_file({}, "web", "", {}), kLocal);
}

TEST(ManagedHostsFile, PodIPsSubdomainAndAliases) {
  EXPECT_EQ(managed_hosts_file({"10.1.0.5"}, "web", "", {}),
            std::string(kLocal) + "10.1.0.5\tweb\n");
  EXPECT_EQ(managed_hosts_file({"10.1.0.5", "fd00::5"}, "web-0", "db.prod.svc.cluster.local",
                               {{"1.2.3.4", {"foo.local", "bar.local"}}}),
            std::string(kLocal) +
                "10.1.0.5\tweb-0.db.prod.svc.cluster.local\tweb-0\n"
                "fd00::5\tweb-0.db.prod.svc.cluster.local\tweb-0\n"
                "\n# Entries added by HostAliases.\n"
                "1.2.3.4\tfoo.local\n"
                "1.2.3.4\tbar.local\n");
}

TEST(ResolvConf, ClusterFirst) {
  DnsConfig dns = cluster_first_dns("prod", "cluster.local", {"10.96.0.10"}, {"example.com"});
  EXPECT_EQ(resolv_conf(dns),
            "search prod.svc.cluster.local svc.cluster.local cluster.local example.com\n"
            "nameserver 10.96.0.10\n"
            "options ndots:5\n");
  // A node search domain equal to one of the cluster's is not repeated.
  EXPECT_EQ(cluster_first_dns("a", "cluster.local", {}, {"cluster.local"}).searches.size(), 3u);
}

TEST(ResolvConf, OnlyWhatIsSet) {
  EXPECT_EQ(resolv_conf({{"1.1.1.1", "8.8.8.8"}, {}, {}}),
            "nameserver 1.1.1.1\nnameserver 8.8.8.8\n");
}

TEST(PodHostname, SpecHostnameOrPodNameCutTo63) {
  EXPECT_EQ(pod_hostname("web-abc"), "web-abc");
  EXPECT_EQ(pod_hostname("web-abc", "custom"), "custom");
  std::string long_name = std::string(62, 'a') + "-b-c";
  EXPECT_EQ(pod_hostname(long_name), std::string(62, 'a'));  // cut at 63, trailing '-' trimmed
  EXPECT_EQ(pod_hostname(std::string(70, 'x')), std::string(63, 'x'));
}

}  // namespace
}  // namespace bosun::runtime
