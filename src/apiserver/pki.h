// The cluster's certificates and tokens, kept in the data dir: a CA, the API server's serving
// certificate, the admin client credential (CN=admin, O=system:masters, as k3s issues it), the node
// join token and the admin kubeconfig. ensure_pki() generates them on first start and reuses them
// afterwards, re-issuing the serving and admin certificates when they are missing, no longer match
// the CA, near expiry, or (serving) must cover other names. Keys are EC P-256 through OpenSSL 3.
// Functions are thread-safe; two processes must not share one data dir.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"

namespace bosun::apiserver {

// Where the files live under the data dir D.
struct PkiPaths {
  explicit PkiPaths(const std::string& data_dir);
  std::string tls_dir;       // D/tls, mode 0700
  std::string ca_cert;       // D/tls/ca.crt
  std::string ca_key;        // D/tls/ca.key, mode 0600
  std::string serving_cert;  // D/tls/serving.crt
  std::string serving_key;   // D/tls/serving.key, mode 0600
  std::string admin_cert;    // D/tls/admin.crt
  std::string admin_key;     // D/tls/admin.key, mode 0600
  std::string node_token;    // D/node-token, mode 0600
  std::string kubeconfig;    // D/kubeconfig, mode 0600 (it embeds the admin key)
};

// A certificate and its private key, PEM.
struct Credential {
  std::string cert_pem;
  std::string key_pem;
};

struct Pki {
  Credential ca;
  Credential serving;
  Credential admin;
  std::string node_token;  // a bootstrap-token-shaped secret: [a-z0-9]{6}.[a-z0-9]{16}
  std::vector<std::string>
      serving_sans;  // the names the serving certificate covers, normalised and sorted
};

struct PkiOptions {
  std::string data_dir;
  // DNS names and IP addresses the serving certificate must cover; see default_serving_hosts().
  std::vector<std::string> serving_hosts;
  Clock* clock = nullptr;  // Clock::real() when null; sets validity periods
};

// Validity: the CA for ten years, leaf certificates for one year, re-issued at start when less than
// 90 days remain (k3s' rule). Leaf certificates start an hour in the past to tolerate clock skew
// between machines.
inline constexpr std::chrono::hours kCaValidity{24 * 365 * 10};
inline constexpr std::chrono::hours kLeafValidity{24 * 365};
inline constexpr std::chrono::hours kRenewBefore{24 * 90};

Result<Pki> ensure_pki(const PkiOptions& options);

// The names a serving certificate for listen_host covers: the host itself unless it is a wildcard
// address, localhost, 127.0.0.1, ::1, the machine's hostname, and the in-cluster names of the
// `kubernetes` Service that pods will use (kubernetes, kubernetes.default, kubernetes.default.svc,
// kubernetes.default.svc.cluster.local).
std::vector<std::string> default_serving_hosts(std::string_view listen_host);

// Issues a client certificate signed by the CA: the subject's CN is the user name and each O a
// group, which is how Kubernetes' x509 authenticator reads it. For agents (system:node:<name>,
// O=system:nodes) and tests.
Result<Credential> issue_client_certificate(const Credential& ca, std::string_view common_name,
                                            const std::vector<std::string>& organizations,
                                            Clock& clock,
                                            std::chrono::seconds validity = kLeafValidity);

// A self-signed CA, for tests that need a second, untrusted authority.
Result<Credential> generate_ca(std::string_view common_name, Clock& clock);

// A kubeconfig that the real kubectl uses as is: one cluster with the CA embedded, the admin client
// certificate and key embedded, one context, selected.
std::string kubeconfig_yaml(std::string_view server_url, const Pki& pki);
// Writes the kubeconfig atomically, mode 0600.
Result<void> write_kubeconfig(const std::string& path, std::string_view server_url, const Pki& pki);

Result<std::string> read_file(const std::string& path);

}  // namespace bosun::apiserver
