// Client configurations for tests that run the in-process API server (RestTestServer): the admin
// identity over HTTPS on the server's port, verified against its CA. Test-only; pure functions.
#pragma once

#include "apiserver/rest_test_server.h"
#include "client/kubeconfig.h"

namespace bosun::client::testing {

ClientConfig admin_config(apiserver::testing::RestTestServer& server,
                          std::string user_agent = "bosun/client-test");

}  // namespace bosun::client::testing
