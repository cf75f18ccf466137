// libcurl, loaded on first use: the functions the registry client calls, resolved from
// libcurl.so.4 with dlopen/dlsym (see dynamic_library.h for why). The bosun binary does not link
// libcurl, so an agent that never pulls from a registry never maps it nor GnuTLS, Kerberos, LDAP
// and the rest of its dependencies. Thread-safe: loaded once; the table is immutable afterwards.
#pragma once

#include <curl/curl.h>

#include <string>

#include "common/result.h"

namespace bosun::runtime {

// The soname the bosun binary was built against (Debian's libcurl4 package).
inline constexpr const char* kLibcurlSoname = "libcurl.so.4";

// One member per libcurl function we call, named as the function without its curl_ prefix.
struct Libcurl {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_reset) easy_reset = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_easy_escape) easy_escape = nullptr;
  decltype(&::curl_free) free = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

// libcurl.so.4, loaded and globally initialised (curl_global_init) on the first call; every later
// call returns the same table, or the same Error (kInternal, naming the library) if it is missing.
Result<const Libcurl*> libcurl();

// Loads `soname` as libcurl and resolves every function, without initialising or caching it: for
// tests of a missing library or symbol.
Result<Libcurl> load_libcurl(const std::string& soname);

}  // namespace bosun::runtime
