#include "common/openssl_init.h"

#include <openssl/crypto.h>

namespace bosun {

bool init_openssl_without_atexit() {
  // The first OPENSSL_init_crypto call decides whether the atexit handler is registered; later
  // calls (OpenSSL's own implicit ones included) do not change it.
  return OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, nullptr) == 1;
}

}  // namespace bosun
