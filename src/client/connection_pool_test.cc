// RestClient's keep-alive pool under a controller's parallel writes: a ReplicaSet creates up to 16
// pods at once, and every connection those writes opened must stay open for the next batch (as
// client-go's transport keeps 25 idle connections per host), or each batch pays a TLS handshake
// per connection on the client and on the API server again.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client/rest_client.h"
#include "client/test_config.h"

namespace bosun::client {
namespace {

using apiserver::testing::RestTestServer;

// TCP sockets of this host whose peer is 127.0.0.1:`port` and which the local end has closed
// (FIN_WAIT1/2, TIME_WAIT, CLOSING, LAST_ACK): connections the client dropped. /proc/net/tcp
// lists addresses as hex "0100007F:PORT" with the state in hex.
int closed_client_sockets(uint16_t port) {
  std::ifstream in("/proc/net/tcp");
  std::string line;
  std::getline(in, line);  // header
  char want[32];
  std::snprintf(want, sizeof want, "0100007F:%04X", port);
  int closed = 0;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    fields >> slot >> local >> remote >> state;
    if (remote != want) continue;
    // 04 FIN_WAIT1, 05 FIN_WAIT2, 06 TIME_WAIT, 08 CLOSE_WAIT is the server's side, 09 LAST_ACK,
    // 0B CLOSING.
    if (state == "04" || state == "05" || state == "06" || state == "09" || state == "0B") ++closed;
  }
  return closed;
}

TEST(ConnectionPoolTest, SixteenParallelWritersKeepTheirConnections) {
  auto s = RestTestServer::start();
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto server = std::move(s).value();
  auto c = RestClient::create(testing::admin_config(*server));
  ASSERT_TRUE(c.ok()) << c.error().message;
  auto& client = **c;
  ASSERT_GE(client.config().max_idle_connections, 16u);

  // Batches of 16 writers, as ReplicaSetController::manage_replicas' slow start runs them: each
  // creates config maps (a durable write, so requests overlap while the store syncs).
  std::atomic<int> failures{0};
  for (int batch = 0; batch < 4; ++batch) {
    std::vector<std::thread> writers;
    for (int w = 0; w < 16; ++w) {
      writers.emplace_back([&, batch, w] {
        for (int i = 0; i < 5; ++i) {
          Json cm = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata",
                      {{"name", "cm-" + std::to_string(batch) + "-" + std::to_string(w) + "-" +
                                    std::to_string(i)}}}};
          if (!client.create(kConfigMaps, "default", cm).ok()) failures.fetch_add(1);
        }
      });
    }
    for (auto& t : writers) t.join();
  }
  EXPECT_EQ(failures.load(), 0);
  // With a pool smaller than the writers, each batch closed what did not fit (the client closes
  // first, so its sockets linger in TIME_WAIT).
  EXPECT_EQ(closed_client_sockets(server->port()), 0);
}

}  // namespace
}  // namespace bosun::client
