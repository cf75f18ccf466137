#include "common/openssl_init.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstdlib>

namespace bosun {
namespace {

// Handlers given to OPENSSL_atexit run inside OPENSSL_cleanup(); this one ends the process with a
// code of its own, so a child's exit code tells whether its exit() ran OpenSSL's clean-up.
void exit_3_from_openssl_cleanup() { _exit(3); }

// Uses OpenSSL (its random generator, as a TLS handshake does), registers the marker, then exits.
void use_openssl_then_exit(bool clean_up_explicitly) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) _exit(2);
  if (OPENSSL_atexit(exit_3_from_openssl_cleanup) != 1) _exit(2);
  if (clean_up_explicitly) OPENSSL_cleanup();
  std::exit(0);
}

class OpenSslInitTest : public ::testing::Test {
 protected:
  // Each child re-executes this program, so it starts as a process of ours does.
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(OpenSslInitTest, ExitLeavesOpenSslStateAlone) {
  EXPECT_TRUE(init_openssl_without_atexit());  // idempotent
  EXPECT_EXIT(use_openssl_then_exit(false), ::testing::ExitedWithCode(0), "");
}

// The marker does show a clean-up when one runs.
TEST_F(OpenSslInitTest, MarkerSeesAnExplicitCleanup) {
  EXPECT_EXIT(use_openssl_then_exit(true), ::testing::ExitedWithCode(3), "");
}

}  // namespace
}  // namespace bosun
