#include "client/test_config.h"

namespace bosun::client::testing {

ClientConfig admin_config(apiserver::testing::RestTestServer& server, std::string user_agent) {
  ClientConfig c;
  c.server = "https://127.0.0.1:" + std::to_string(server.port());
  c.ca_pem = server.stack().server().pki().ca.cert_pem;
  c.client_cert_pem = server.stack().server().pki().admin.cert_pem;
  c.client_key_pem = server.stack().server().pki().admin.key_pem;
  c.user_agent = std::move(user_agent);
  return c;
}

}  // namespace bosun::client::testing
