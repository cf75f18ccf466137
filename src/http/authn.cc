#include "http/authn.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <algorithm>

#include "common/log.h"
#include "common/openssl_init.h"

namespace bosun::apiserver {

namespace {

struct OpenSslFree {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  void operator()(X509_STORE_CTX* p) const { X509_STORE_CTX_free(p); }
  void operator()(STACK_OF(X509) * p) const { sk_X509_pop_free(p, X509_free); }
  void operator()(BIO* p) const { BIO_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, OpenSslFree>;

Error unauthorized() { return make_error(ErrorCode::kUnauthorized, "Unauthorized"); }

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

Ptr<X509> from_der(const std::string& der) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  return Ptr<X509>(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals_ascii(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

UserInfo with_authenticated_group(UserInfo u) {
  if (!u.in_group(kAllAuthenticatedGroup)) u.groups.emplace_back(kAllAuthenticatedGroup);
  return u;
}

}  // namespace

struct Authenticator::Impl {
  Ptr<X509_STORE> store;
  std::vector<BearerToken> tokens;
  Clock* clock;
};

Authenticator::Authenticator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Authenticator::~Authenticator() = default;

Result<std::unique_ptr<Authenticator>> Authenticator::create(AuthnOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->store.reset(X509_STORE_new());
  impl->clock = options.clock ? options.clock : &Clock::real();
  Ptr<BIO> bio(BIO_new_mem_buf(options.client_ca_pem.data(),
                               static_cast<int>(options.client_ca_pem.size())));
  int loaded = 0;
  while (Ptr<X509> ca{PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)}) {
    if (X509_STORE_add_cert(impl->store.get(), ca.get()) != 1) break;
    ++loaded;
  }
  ERR_clear_error();  // the loop ends on a "no start line" error, which is how PEM reading reports
                      // the end
  if (loaded == 0)
    return make_error(ErrorCode::kInternal, "authn: no CA certificate in the client CA bundle");
  for (auto& t : options.tokens) {
    if (t.token.empty())
      return make_error(ErrorCode::kInternal, "authn: an empty bearer token was configured");
  }
  impl->tokens = std::move(options.tokens);
  return std::unique_ptr<Authenticator>(new Authenticator(std::move(impl)));
}

CertificateOutcome Authenticator::authenticate_certificate(
    const std::vector<std::string>& der_chain) const {
  if (der_chain.empty()) return std::optional<UserInfo>();
  Ptr<X509> leaf = from_der(der_chain[0]);
  if (!leaf) {
    ERR_clear_error();
    return unauthorized();
  }
  Ptr<STACK_OF(X509)> intermediates(sk_X509_new_null());
  for (size_t i = 1; i < der_chain.size(); ++i) {
    if (Ptr<X509> c = from_der(der_chain[i])) sk_X509_push(intermediates.get(), c.release());
  }
  Ptr<X509_STORE_CTX> ctx(X509_STORE_CTX_new());
  if (!ctx ||
      X509_STORE_CTX_init(ctx.get(), impl_->store.get(), leaf.get(), intermediates.get()) != 1) {
    ERR_clear_error();
    return make_error(ErrorCode::kInternal, "authn: cannot set up certificate verification");
  }
  // Kubernetes' x509 authenticator requires ExtKeyUsageClientAuth.
  X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_CLIENT);
  X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx.get()),
                             std::chrono::system_clock::to_time_t(impl_->clock->now()));
  if (X509_verify_cert(ctx.get()) != 1) {
    SPDLOG_DEBUG("authn: client certificate rejected: {}",
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())));
    ERR_clear_error();
    return unauthorized();
  }
  std::vector<std::string> cns = subject_entries(leaf.get(), NID_commonName);
  if (cns.empty() || cns.front().empty()) return std::optional<UserInfo>();
  UserInfo user;
  user.name = cns.front();
  user.groups = subject_entries(leaf.get(), NID_organizationName);
  return std::optional<UserInfo>(std::move(user));
}

Result<std::optional<UserInfo>> Authenticator::authenticate_bearer(
    std::string_view authorization) const {
  std::string_view auth = trim(authorization);
  if (auth.empty()) return std::optional<UserInfo>();
  size_t space = auth.find(' ');
  if (space == std::string_view::npos || !iequals_ascii(auth.substr(0, space), "bearer")) {
    return std::optional<UserInfo>();
  }
  std::string_view token = auth.substr(space + 1);
  // strings.SplitN(auth, " ", 3)[1]: the token ends at the next space.
  token = token.substr(0, token.find(' '));
  if (token.empty()) return std::optional<UserInfo>();
  const BearerToken* match = nullptr;
  for (const auto& t : impl_->tokens) {
    // Compared in constant time so that response timing does not leak how much of a token matched.
    if (t.token.size() == token.size() &&
        CRYPTO_memcmp(t.token.data(), token.data(), token.size()) == 0) {
      match = &t;
    }
  }
  if (!match) return unauthorized();
  return std::optional<UserInfo>(match->user);
}

Result<UserInfo> Authenticator::authenticate(const CertificateOutcome& certificate,
                                             std::string_view authorization) const {
  if (certificate.ok() && certificate->has_value()) return with_authenticated_group(**certificate);
  auto bearer = authenticate_bearer(authorization);
  if (bearer.ok() && bearer->has_value()) return with_authenticated_group(**bearer);
  if (!certificate.ok() || !bearer.ok()) return unauthorized();
  return anonymous_user();
}

bool is_public_path(std::string_view path) {
  for (std::string_view p : {"/healthz", "/livez", "/readyz", "/version"}) {
    if (path == p || (path.starts_with(p) && path.size() > p.size() && path[p.size()] == '/'))
      return true;
  }
  return false;
}

UserInfo anonymous_user() {
  return UserInfo{std::string(kAnonymousUser), "", {std::string(kAllUnauthenticatedGroup)}};
}

UserInfo node_token_user(std::string_view token) {
  // Only the id before the dot may be shown; a token of another shape must not leak into the user
  // name.
  size_t dot = token.find('.');
  std::string_view id =
      dot == std::string_view::npos || dot == 0 ? "node-token" : token.substr(0, dot);
  return UserInfo{"system:bootstrap:" + std::string(id),
                  "",
                  {"system:bootstrappers", std::string(kNodesGroup)}};
}

}  // namespace bosun::apiserver
