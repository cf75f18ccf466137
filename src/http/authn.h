// Authentication of every API request, in the order of Kubernetes' union authenticator: a TLS
// client certificate signed by the cluster CA (user = CN, groups = O, k8s.io/apiserver
// x509.CommonNameUserConversion), then a bearer token; a request with neither is anonymous
// (system:anonymous, group system:unauthenticated), which the HTTP server admits only to the public
// health and version endpoints. Presented but invalid credentials are always Unauthorized. An
// Authenticator is immutable after create() and safe for concurrent use from many threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "http/user_info.h"

namespace bosun::apiserver {

struct BearerToken {
  std::string token;
  UserInfo user;
};

struct AuthnOptions {
  std::string client_ca_pem;  // client certificates must chain to one of these certificates
  std::vector<BearerToken> tokens;
  Clock* clock = nullptr;  // Clock::real() when null; the time certificates are checked at
};

// What a connection's TLS client certificate proved, worked out once per connection: nullopt when
// the client sent none (or one without a CN, which Kubernetes treats as no identity), an
// Unauthorized error when it failed.
using CertificateOutcome = Result<std::optional<UserInfo>>;

class Authenticator {
 public:
  static Result<std::unique_ptr<Authenticator>> create(AuthnOptions options);
  ~Authenticator();
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Verifies a peer's certificate chain (DER, leaf first) against the CA at the clock's time,
  // requiring the clientAuth extended key usage.
  CertificateOutcome authenticate_certificate(const std::vector<std::string>& der_chain) const;

  // Reads `Authorization: Bearer <token>` as Kubernetes does: a missing header, another scheme or
  // an empty token is no credential (nullopt); a token nobody issued is Unauthorized.
  Result<std::optional<UserInfo>> authenticate_bearer(std::string_view authorization) const;

  // The decision for one request. Authenticated users also get the group system:authenticated, as
  // Kubernetes' AuthenticatedGroupAdder adds it. Error: Unauthorized, message "Unauthorized" (what
  // kube-apiserver sends).
  Result<UserInfo> authenticate(const CertificateOutcome& certificate,
                                std::string_view authorization) const;

 private:
  struct Impl;
  explicit Authenticator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Requests to /healthz, /livez, /readyz, /version and their sub-paths are served to anonymous
// users, as Kubernetes' system:public-info-viewer role allows.
bool is_public_path(std::string_view path);

UserInfo anonymous_user();

// The identity the node join token authenticates as until agents present their own node
// credentials: a bootstrap user named after the token's id ("system:bootstrap:<id>"), in groups
// system:bootstrappers and system:nodes.
UserInfo node_token_user(std::string_view token);

}  // namespace bosun::apiserver
