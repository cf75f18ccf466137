#include "apiserver/pki.h"

#include "common/file_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "common/log.h"
#include "common/openssl_init.h"

namespace bosun::apiserver {

namespace {

struct OpenSslFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(GENERAL_NAMES* p) const { GENERAL_NAMES_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
  void operator()(ASN1_TIME* p) const { ASN1_TIME_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, OpenSslFree>;

Error openssl_error(std::string_view what) {
  std::string msg(what);
  unsigned long e = ERR_get_error();
  if (e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    msg += ": ";
    msg += buf;
  }
  ERR_clear_error();
  return make_error(ErrorCode::kInternal, msg);
}

std::string bio_contents(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return std::string(mem->data, mem->length);
}

Result<Ptr<EVP_PKEY>> generate_key() {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("generating an EC P-256 key");
  return key;
}

Result<std::string> cert_to_pem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    return openssl_error("encoding a certificate");
  return bio_contents(bio.get());
}

Result<std::string> key_to_pem(EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("encoding a private key");
  }
  return bio_contents(bio.get());
}

Result<Ptr<X509>> parse_cert(std::string_view pem) {
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Ptr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return openssl_error("parsing a PEM certificate");
  return cert;
}

Result<Ptr<EVP_PKEY>> parse_key(std::string_view pem) {
  Ptr<BIO> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  Ptr<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return openssl_error("parsing a PEM private key");
  return key;
}

// IP addresses in their canonical text form (so "::0001" and "::1" compare equal), DNS names in
// lower case.
std::string normalize_host(std::string_view host) {
  std::string h(host);
  unsigned char buf[sizeof(struct in6_addr)];
  char text[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, h.c_str(), buf) == 1) return inet_ntop(AF_INET, buf, text, sizeof text);
  if (inet_pton(AF_INET6, h.c_str(), buf) == 1) return inet_ntop(AF_INET6, buf, text, sizeof text);
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  return h;
}

bool is_ip(const std::string& host) {
  unsigned char buf[sizeof(struct in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::vector<std::string> normalized_set(const std::vector<std::string>& hosts) {
  std::vector<std::string> out;
  for (const auto& h : hosts) {
    if (!h.empty()) out.push_back(normalize_host(h));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::vector<std::string> cert_sans(X509* cert) {
  std::vector<std::string> out;
  Ptr<GENERAL_NAMES> names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type == GEN_DNS) {
      const ASN1_STRING* s = name->d.dNSName;
      out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                       ASN1_STRING_length(s));
    } else if (name->type == GEN_IPADD) {
      const ASN1_OCTET_STRING* s = name->d.iPAddress;
      char text[INET6_ADDRSTRLEN];
      int len = ASN1_STRING_length(s);
      int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : 0;
      if (family != 0 && inet_ntop(family, ASN1_STRING_get0_data(s), text, sizeof text))
        out.emplace_back(text);
    }
  }
  return normalized_set(out);
}

std::vector<std::string> subject_entries(X509* cert, int nid) {
  std::vector<std::string> out;
  X509_NAME* name = X509_get_subject_name(cert);
  for (int i = X509_NAME_get_index_by_NID(name, nid, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(name, nid, i)) {
    const ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     ASN1_STRING_length(s));
  }
  return out;
}

Result<Clock::WallTime> not_after(X509* cert) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return openssl_error("reading notAfter");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

enum class CertKind { kCa, kServer, kClient };

struct CertSpec {
  CertKind kind;
  std::string common_name;
  std::vector<std::string> organizations;
  std::vector<std::string> sans;
  Clock::WallTime not_before;
  Clock::WallTime not_after;
};

Result<void> add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    return openssl_error("adding a certificate extension");
  return ok_result();
}

Result<void> add_sans(X509* cert, const std::vector<std::string>& sans) {
  Ptr<GENERAL_NAMES> names(sk_GENERAL_NAME_new_null());
  for (const auto& san : sans) {
    GENERAL_NAME* name = GENERAL_NAME_new();
    if (is_ip(san)) {
      ASN1_OCTET_STRING* ip = a2i_IPADDRESS(san.c_str());
      if (!ip) {
        GENERAL_NAME_free(name);
        return openssl_error("encoding IP SAN " + san);
      }
      GENERAL_NAME_set0_value(name, GEN_IPADD, ip);
    } else {
      ASN1_IA5STRING* dns = ASN1_IA5STRING_new();
      ASN1_STRING_set(dns, san.data(), static_cast<int>(san.size()));
      GENERAL_NAME_set0_value(name, GEN_DNS, dns);
    }
    sk_GENERAL_NAME_push(names.get(), name);
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return openssl_error("adding subjectAltName");
  }
  return ok_result();
}

// issuer == nullptr makes a self-signed certificate.
Result<Ptr<X509>> make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer,
                            EVP_PKEY* issuer_key) {
  Ptr<X509> cert(X509_new());
  if (!cert) return openssl_error("allocating a certificate");
  X509_set_version(cert.get(), 2);  // v3

  // A random 127-bit serial: unique without bookkeeping, and positive (Go rejects negative
  // serials).
  Ptr<BIGNUM> serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()))) {
    return openssl_error("making a serial number");
  }

  X509_NAME* subject = X509_get_subject_name(cert.get());
  for (const auto& o : spec.organizations) {
    X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(o.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(spec.common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject);

  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                     std::chrono::system_clock::to_time_t(spec.not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()),
                     std::chrono::system_clock::to_time_t(spec.not_after))) {
    return openssl_error("setting the validity period");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return openssl_error("setting the public key");

  X509* issuer_cert = issuer ? issuer : cert.get();
  BOSUN_RETURN_IF_ERROR(add_ext(cert.get(), issuer_cert, NID_subject_key_identifier, "hash"));
  switch (spec.kind) {
    case CertKind::kCa:
      BOSUN_RETURN_IF_ERROR(
          add_ext(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:TRUE"));
      BOSUN_RETURN_IF_ERROR(add_ext(cert.get(), issuer_cert, NID_key_usage,
                                    "critical,digitalSignature,keyCertSign,cRLSign"));
      break;
    case CertKind::kServer:
    case CertKind::kClient:
      BOSUN_RETURN_IF_ERROR(
          add_ext(cert.get(), issuer_cert, NID_basic_constraints, "critical,CA:FALSE"));
      BOSUN_RETURN_IF_ERROR(add_ext(cert.get(), issuer_cert, NID_key_usage,
                                    "critical,digitalSignature,keyEncipherment"));
      BOSUN_RETURN_IF_ERROR(add_ext(cert.get(), issuer_cert, NID_ext_key_usage,
                                    spec.kind == CertKind::kServer ? "serverAuth" : "clientAuth"));
      BOSUN_RETURN_IF_ERROR(
          add_ext(cert.get(), issuer_cert, NID_authority_key_identifier, "keyid:always"));
      break;
  }
  if (!spec.sans.empty()) BOSUN_RETURN_IF_ERROR(add_sans(cert.get(), spec.sans));

  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
    return openssl_error("signing a certificate");
  }
  return cert;
}

Result<Credential> to_credential(X509* cert, EVP_PKEY* key) {
  Credential c;
  BOSUN_ASSIGN_OR_RETURN(c.cert_pem, cert_to_pem(cert));
  BOSUN_ASSIGN_OR_RETURN(c.key_pem, key_to_pem(key));
  return c;
}

Result<Credential> issue_leaf(const Credential& ca, CertKind kind, std::string cn,
                              std::vector<std::string> orgs, std::vector<std::string> sans,
                              Clock& clock, std::chrono::seconds validity) {
  BOSUN_ASSIGN_OR_RETURN(auto ca_cert, parse_cert(ca.cert_pem));
  BOSUN_ASSIGN_OR_RETURN(auto ca_key, parse_key(ca.key_pem));
  BOSUN_ASSIGN_OR_RETURN(auto key, generate_key());
  auto now = clock.now();
  CertSpec spec{
      kind,          std::move(cn), std::move(orgs), std::move(sans), now - std::chrono::hours(1),
      now + validity};
  BOSUN_ASSIGN_OR_RETURN(auto cert, make_cert(spec, key.get(), ca_cert.get(), ca_key.get()));
  return to_credential(cert.get(), key.get());
}

// Whether an existing leaf credential can be kept: it parses, the key matches, this CA signed it,
// it has more than kRenewBefore left, and (when given) it names exactly these subject and SANs.
bool leaf_reusable(const Credential& leaf, X509* ca_cert, Clock& clock,
                   const std::vector<std::string>* sans, std::string_view common_name,
                   const std::vector<std::string>* orgs) {
  auto cert = parse_cert(leaf.cert_pem);
  auto key = parse_key(leaf.key_pem);
  if (!cert.ok() || !key.ok()) return false;
  if (X509_check_private_key(cert->get(), key->get()) != 1) return false;
  if (X509_check_issued(ca_cert, cert->get()) != X509_V_OK) return false;
  if (X509_verify(cert->get(), X509_get0_pubkey(ca_cert)) != 1) return false;
  auto expiry = not_after(cert->get());
  if (!expiry.ok() || *expiry - clock.now() < kRenewBefore) return false;
  if (sans && cert_sans(cert->get()) != *sans) return false;
  if (subject_entries(cert->get(), NID_commonName) !=
      std::vector<std::string>{std::string(common_name)}) {
    return false;
  }
  if (orgs && subject_entries(cert->get(), NID_organizationName) != *orgs) return false;
  ERR_clear_error();
  return true;
}

bool exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

// Reads a credential if both files exist; NotFound if neither does.
Result<Credential> read_credential(const std::string& cert_path, const std::string& key_path) {
  bool have_cert = exists(cert_path);
  bool have_key = exists(key_path);
  if (!have_cert && !have_key)
    return make_error(ErrorCode::kNotFound, "no credential at " + cert_path);
  if (!have_cert || !have_key) {
    return make_error(ErrorCode::kInternal,
                      "only one of " + cert_path + " and " + key_path + " exists");
  }
  Credential c;
  BOSUN_ASSIGN_OR_RETURN(c.cert_pem, read_file(cert_path));
  BOSUN_ASSIGN_OR_RETURN(c.key_pem, read_file(key_path));
  return c;
}

Result<void> write_credential(const Credential& c, const std::string& cert_path,
                              const std::string& key_path) {
  BOSUN_RETURN_IF_ERROR(write_file_atomic(key_path, c.key_pem, {.mode = 0600}));
  return write_file_atomic(cert_path, c.cert_pem, {.mode = 0644});
}

// n characters from [a-z0-9], uniformly (bytes past the largest multiple of 36 are rejected, not
// folded).
Result<std::string> random_token_chars(size_t n) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  while (out.size() < n) {
    unsigned char buf[32];
    if (RAND_bytes(buf, sizeof buf) != 1) return openssl_error("reading random bytes");
    for (unsigned char b : buf) {
      if (b < 252 && out.size() < n) out.push_back(kAlphabet[b % 36]);
    }
  }
  return out;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

std::string base64(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(n);
  return out;
}

Result<void> make_private_dir(const std::string& dir) {
  std::error_code ec;
  if (!std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) return make_error(ErrorCode::kInternal, "creating " + dir + ": " + ec.message());
    ::chmod(dir.c_str(), 0700);
  }
  return ok_result();
}

void add_interface_addresses(std::vector<std::string>& hosts) {
  struct ifaddrs* addrs = nullptr;
  if (getifaddrs(&addrs) != 0) return;
  for (struct ifaddrs* a = addrs; a; a = a->ifa_next) {
    if (!a->ifa_addr || !(a->ifa_flags & IFF_UP)) continue;
    char text[INET6_ADDRSTRLEN];
    if (a->ifa_addr->sa_family == AF_INET) {
      auto* sin = reinterpret_cast<struct sockaddr_in*>(a->ifa_addr);
      if (inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text)) hosts.emplace_back(text);
    } else if (a->ifa_addr->sa_family == AF_INET6) {
      auto* sin6 = reinterpret_cast<struct sockaddr_in6*>(a->ifa_addr);
      // Link-local addresses need a zone to be dialled, which a certificate cannot name.
      if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) continue;
      if (inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text)) hosts.emplace_back(text);
    }
  }
  freeifaddrs(addrs);
}

}  // namespace

PkiPaths::PkiPaths(const std::string& data_dir)
    : tls_dir(data_dir + "/tls"),
      ca_cert(tls_dir + "/ca.crt"),
      ca_key(tls_dir + "/ca.key"),
      serving_cert(tls_dir + "/serving.crt"),
      serving_key(tls_dir + "/serving.key"),
      admin_cert(tls_dir + "/admin.crt"),
      admin_key(tls_dir + "/admin.key"),
      node_token(data_dir + "/node-token"),
      kubeconfig(data_dir + "/kubeconfig") {}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    ErrorCode code = errno == ENOENT ? ErrorCode::kNotFound : ErrorCode::kInternal;
    return make_error(code, "reading " + path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> default_serving_hosts(std::string_view listen_host) {
  std::vector<std::string> hosts = {"localhost",
                                    "127.0.0.1",
                                    "::1",
                                    "kubernetes",
                                    "kubernetes.default",
                                    "kubernetes.default.svc",
                                    "kubernetes.default.svc.cluster.local"};
  std::string host = normalize_host(listen_host);
  bool wildcard = host.empty() || host == "0.0.0.0" || host == "::";
  if (wildcard) {
    // Listening on every address: agents may dial any of them.
    add_interface_addresses(hosts);
  } else {
    hosts.push_back(host);
  }
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') hosts.emplace_back(name);
  return normalized_set(hosts);
}

Result<Credential> generate_ca(std::string_view common_name, Clock& clock) {
  BOSUN_ASSIGN_OR_RETURN(auto key, generate_key());
  auto now = clock.now();
  CertSpec spec{CertKind::kCa,    std::string(common_name), {}, {}, now - std::chrono::hours(1),
                now + kCaValidity};
  BOSUN_ASSIGN_OR_RETURN(auto cert, make_cert(spec, key.get(), nullptr, nullptr));
  return to_credential(cert.get(), key.get());
}

Result<Credential> issue_client_certificate(const Credential& ca, std::string_view common_name,
                                            const std::vector<std::string>& organizations,
                                            Clock& clock, std::chrono::seconds validity) {
  return issue_leaf(ca, CertKind::kClient, std::string(common_name), organizations, {}, clock,
                    validity);
}

Result<Pki> ensure_pki(const PkiOptions& options) {
  Clock& clock = options.clock ? *options.clock : Clock::real();
  PkiPaths paths(options.data_dir);
  BOSUN_RETURN_IF_ERROR(make_private_dir(options.data_dir));
  BOSUN_RETURN_IF_ERROR(make_private_dir(paths.tls_dir));
  Pki pki;

  // The CA is never replaced silently: every agent and kubeconfig trusts it.
  auto ca = read_credential(paths.ca_cert, paths.ca_key);
  if (ca.ok()) {
    auto cert = parse_cert(ca->cert_pem);
    auto key = parse_key(ca->key_pem);
    if (!cert.ok() || !key.ok() || X509_check_private_key(cert->get(), key->get()) != 1) {
      ERR_clear_error();
      return make_error(ErrorCode::kInternal,
                        "the CA in " + paths.tls_dir +
                            " is unreadable or its key does not match; remove the directory "
                            "to create a new cluster CA");
    }
    pki.ca = std::move(ca).value();
  } else if (ca.error().code == ErrorCode::kNotFound) {
    std::string cn =
        "bosun-ca@" + std::to_string(std::chrono::system_clock::to_time_t(clock.now()));
    BOSUN_ASSIGN_OR_RETURN(pki.ca, generate_ca(cn, clock));
    BOSUN_RETURN_IF_ERROR(write_credential(pki.ca, paths.ca_cert, paths.ca_key));
    SPDLOG_INFO("pki: created cluster CA {} in {}", cn, paths.tls_dir);
  } else {
    return std::move(ca).error();
  }
  BOSUN_ASSIGN_OR_RETURN(auto ca_cert, parse_cert(pki.ca.cert_pem));

  pki.serving_sans = normalized_set(options.serving_hosts);
  if (pki.serving_sans.empty()) pki.serving_sans = default_serving_hosts("127.0.0.1");
  static constexpr std::string_view kServingName = "kube-apiserver";
  auto serving = read_credential(paths.serving_cert, paths.serving_key);
  if (serving.ok() &&
      leaf_reusable(*serving, ca_cert.get(), clock, &pki.serving_sans, kServingName, nullptr)) {
    pki.serving = std::move(serving).value();
  } else {
    BOSUN_ASSIGN_OR_RETURN(pki.serving,
                           issue_leaf(pki.ca, CertKind::kServer, std::string(kServingName), {},
                                      pki.serving_sans, clock, kLeafValidity));
    BOSUN_RETURN_IF_ERROR(write_credential(pki.serving, paths.serving_cert, paths.serving_key));
    SPDLOG_INFO("pki: issued the serving certificate for {} names", pki.serving_sans.size());
  }

  // The admin is a member of system:masters, the group Kubernetes' RBAC bootstrap policy binds to
  // cluster-admin.
  static constexpr std::string_view kAdminName = "admin";
  const std::vector<std::string> admin_orgs = {"system:masters"};
  auto admin = read_credential(paths.admin_cert, paths.admin_key);
  if (admin.ok() && leaf_reusable(*admin, ca_cert.get(), clock, nullptr, kAdminName, &admin_orgs)) {
    pki.admin = std::move(admin).value();
  } else {
    BOSUN_ASSIGN_OR_RETURN(pki.admin, issue_leaf(pki.ca, CertKind::kClient, std::string(kAdminName),
                                                 admin_orgs, {}, clock, kLeafValidity));
    BOSUN_RETURN_IF_ERROR(write_credential(pki.admin, paths.admin_cert, paths.admin_key));
    SPDLOG_INFO("pki: issued the admin client certificate");
  }

  auto token = read_file(paths.node_token);
  if (token.ok() && !trim(*token).empty()) {
    pki.node_token = trim(*token);
  } else if (!token.ok() && token.error().code != ErrorCode::kNotFound) {
    return std::move(token).error();
  } else {
    // The shape of a Kubernetes bootstrap token: a public id and a secret.
    BOSUN_ASSIGN_OR_RETURN(std::string id, random_token_chars(6));
    BOSUN_ASSIGN_OR_RETURN(std::string secret, random_token_chars(16));
    pki.node_token = id + "." + secret;
    BOSUN_RETURN_IF_ERROR(
        write_file_atomic(paths.node_token, pki.node_token + "\n", {.mode = 0600}));
    SPDLOG_INFO("pki: created the node join token in {}", paths.node_token);
  }
  return pki;
}

std::string kubeconfig_yaml(std::string_view server_url, const Pki& pki) {
  std::string y;
  y += "apiVersion: v1\n";
  y += "kind: Config\n";
  y += "clusters:\n";
  y += "- name: bosun\n";
  y += "  cluster:\n";
  y += "    server: " + std::string(server_url) + "\n";
  y += "    certificate-authority-data: " + base64(pki.ca.cert_pem) + "\n";
  y += "contexts:\n";
  y += "- name: bosun\n";
  y += "  context:\n";
  y += "    cluster: bosun\n";
  y += "    user: admin\n";
  y += "current-context: bosun\n";
  y += "preferences: {}\n";
  y += "users:\n";
  y += "- name: admin\n";
  y += "  user:\n";
  y += "    client-certificate-data: " + base64(pki.admin.cert_pem) + "\n";
  y += "    client-key-data: " + base64(pki.admin.key_pem) + "\n";
  return y;
}

Result<void> write_kubeconfig(const std::string& path, std::string_view server_url,
                              const Pki& pki) {
  return write_file_atomic(path, kubeconfig_yaml(server_url, pki), {.mode = 0600});
}

}  // namespace bosun::apiserver
