// Leader election between two candidates on one Lease in the real API server: one wins and the
// Lease says so (holderIdentity, MicroTime acquire/renew times, leaseTransitions); the other takes
// over when the winner releases the Lease on stop, or after lease_duration when it just stops
// renewing.
#include "client/leader_election.h"

#include <gtest/gtest.h>

#include <atomic>
#include <regex>
#include <thread>

#include "client/test_config.h"

namespace bosun::client {
namespace {

using apiserver::testing::RestTestServer;
using std::chrono::milliseconds;

// Polls `condition` for up to 20 s.
template <typename F>
bool eventually(F condition) {
  for (int i = 0; i < 2000; ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return condition();
}

class LeaderElectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = RestTestServer::start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = RestClient::create(testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  LeaderElectionConfig config(std::string identity, std::atomic<int>* started,
                              std::atomic<int>* stopped) {
    LeaderElectionConfig c;
    c.lease_namespace = "kube-system";
    c.lease_name = "bosun-scheduler";
    c.identity = std::move(identity);
    // Short durations so the test runs in about a second; the ratios are client-go's.
    c.lease_duration = milliseconds(1500);
    c.renew_deadline = milliseconds(1000);
    c.retry_period = milliseconds(100);
    c.on_started_leading = [started] { ++*started; };
    c.on_stopped_leading = [stopped] { ++*stopped; };
    return c;
  }
  Json lease() {
    auto l = client_->get(kLeases, "kube-system", "bosun-scheduler");
    EXPECT_TRUE(l.ok()) << l.error().message;
    return l.ok() ? (*l)["spec"] : Json();
  }
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<RestClient> client_;
};

TEST_F(LeaderElectionTest, OneWinsAndTheOtherTakesOverWhenItReleases) {
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0}, b_stopped{0};
  LeaderElector a(*client_, config("a", &a_started, &a_stopped));
  LeaderElector b(*client_, config("b", &b_started, &b_stopped));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.is_leader(); }));
  b.start();
  ASSERT_TRUE(eventually([&] { return b.leader() == "a"; }));
  // b has seen a's Lease; while a renews, several of b's retries pass without a takeover.
  std::this_thread::sleep_for(milliseconds(500));
  EXPECT_FALSE(b.is_leader());
  EXPECT_EQ(b_started.load(), 0);

  Json spec = lease();
  EXPECT_EQ(spec["holderIdentity"], "a");
  EXPECT_EQ(spec["leaseDurationSeconds"], 2);
  EXPECT_EQ(spec["leaseTransitions"], 0);
  std::regex micro_time(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)");
  EXPECT_TRUE(std::regex_match(spec["acquireTime"].get<std::string>(), micro_time)) << spec.dump();
  EXPECT_TRUE(std::regex_match(spec["renewTime"].get<std::string>(), micro_time)) << spec.dump();

  a.stop();
  EXPECT_FALSE(a.is_leader());
  EXPECT_EQ(a_started.load(), 1);
  EXPECT_EQ(a_stopped.load(), 1);
  ASSERT_TRUE(eventually([&] { return b.is_leader(); }));
  EXPECT_EQ(b_started.load(), 1);
  spec = lease();
  EXPECT_EQ(spec["holderIdentity"], "b");
  EXPECT_EQ(spec["leaseTransitions"], 1);
  b.stop();
  EXPECT_EQ(b_stopped.load(), 1);
}

TEST_F(LeaderElectionTest, TheOtherTakesOverAfterTheLeaseExpires) {
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0}, b_stopped{0};
  auto ca = config("a", &a_started, &a_stopped);
  ca.release_on_cancel = false;  // a stops renewing but leaves its name on the Lease
  LeaderElector a(*client_, ca);
  std::string new_leader_seen;
  std::mutex seen_mu;
  auto cb = config("b", &b_started, &b_stopped);
  cb.on_new_leader = [&](const std::string& id) {
    std::lock_guard<std::mutex> lock(seen_mu);
    new_leader_seen = id;
  };
  LeaderElector b(*client_, cb);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.is_leader(); }));
  b.start();
  ASSERT_TRUE(eventually([&] { return b.leader() == "a"; }));
  a.stop();
  EXPECT_EQ(lease()["holderIdentity"], "a");
  ASSERT_TRUE(eventually([&] { return b.is_leader(); }));
  Json spec = lease();
  EXPECT_EQ(spec["holderIdentity"], "b");
  EXPECT_EQ(spec["leaseTransitions"], 1);
  {
    std::lock_guard<std::mutex> lock(seen_mu);
    EXPECT_EQ(new_leader_seen, "a");
  }
}

}  // namespace
}  // namespace bosun::client
