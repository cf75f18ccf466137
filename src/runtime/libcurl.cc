#include "runtime/libcurl.h"

#include "runtime/dynamic_library.h"

namespace bosun::runtime {

Result<Libcurl> load_libcurl(const std::string& soname) {
  BOSUN_ASSIGN_OR_RETURN(DynamicLibrary lib,
                         DynamicLibrary::open(soname, "to pull images from registries"));
  Libcurl c;
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_global_init", c.global_init));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_init", c.easy_init));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_cleanup", c.easy_cleanup));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_reset", c.easy_reset));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_setopt", c.easy_setopt));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_getinfo", c.easy_getinfo));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_perform", c.easy_perform));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_strerror", c.easy_strerror));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_easy_escape", c.easy_escape));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_free", c.free));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_slist_append", c.slist_append));
  BOSUN_RETURN_IF_ERROR(lib.resolve("curl_slist_free_all", c.slist_free_all));
  return c;
}

Result<const Libcurl*> libcurl() {
  // A function-local static: loaded once, by whichever thread pulls first, the others waiting.
  static const Result<Libcurl> loaded = [] {
    Result<Libcurl> c = load_libcurl(kLibcurlSoname);
    if (!c.ok()) return c;
    if (CURLcode rc = c->global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
      return Result<Libcurl>(make_error(ErrorCode::kInternal,
                                        std::string("curl_global_init: ") + c->easy_strerror(rc)));
    }
    return c;
  }();
  if (!loaded.ok()) return loaded.error();
  return &loaded.value();
}

}  // namespace bosun::runtime
