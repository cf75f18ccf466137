#include "runtime/dynamic_library.h"

#include <dlfcn.h>

namespace bosun::runtime {

Result<DynamicLibrary> DynamicLibrary::open(const std::string& soname, std::string_view used_for) {
  // RTLD_LOCAL: the library's symbols (and those of its own dependencies) stay out of the global
  // namespace, so a second copy of OpenSSL or zlib symbols never shadows the ones we link.
  void* handle = ::dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return make_error(ErrorCode::kInternal,
                      soname + " is needed " + std::string(used_for) +
                          " but cannot be loaded: " + (why ? why : "dlopen failed"));
  }
  return DynamicLibrary(handle, soname, std::string(used_for));
}

Result<void*> DynamicLibrary::symbol(const char* name) const {
  ::dlerror();  // clears a stale error, so that the one below is this lookup's
  void* p = ::dlsym(handle_, name);
  if (p == nullptr) {
    const char* why = ::dlerror();
    return make_error(ErrorCode::kInternal, soname_ + " is needed " + used_for_ +
                                                " but has no symbol " + name + ": " +
                                                (why ? why : "not found"));
  }
  return p;
}

}  // namespace bosun::runtime
