// OpenSSL without its clean-up at exit. By default OpenSSL registers an atexit handler on its first
// use, and exit() then frees its global state (providers, the random generators' tables, the
// per-thread registry) while the process's other threads may still be inside OpenSSL: a detached
// thread still writing a watch event, or one ending during exit, would use freed memory, and a
// thread that ends after the clean-up leaves its per-thread random generators unfreed, which
// LeakSanitizer reports. Servers keep OpenSSL's state to the end instead; the kernel frees it.
//
// Every file that calls OpenSSL includes this header: its inline variable runs the initialisation
// during static initialisation (before main), so it comes before any OpenSSL call that would
// register the handler.
#pragma once

namespace bosun {

// Initialises OpenSSL with OPENSSL_INIT_NO_ATEXIT; idempotent. Returns true on success.
bool init_openssl_without_atexit();

namespace detail {
inline const bool kOpenSslInitialised = init_openssl_without_atexit();
}  // namespace detail

}  // namespace bosun
