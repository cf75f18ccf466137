// A shared library opened at run time with dlopen, for the optional libraries only some agents need
// (libcurl for registry pulls, libarchive for layers), as systemd loads its optional libraries: an
// agent that never pulls nor unpacks maps neither them nor the ~30 libraries they bring. Opening
// and resolving are thread-safe (dlopen and dlsym are); a DynamicLibrary is an immutable handle.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace bosun::runtime {

class DynamicLibrary {
 public:
  // dlopen(soname) with every symbol bound now. `used_for` says what needs it ("to pull images from
  // registries"), so that a node without the library gets an error naming what failed and why. The
  // library is never closed: libcurl and libarchive register process-wide state (OpenSSL, locale)
  // that does not survive an unload.
  static Result<DynamicLibrary> open(const std::string& soname, std::string_view used_for);

  // The function `name`, or an Error naming the library and the symbol.
  template <typename F>
  Result<void> resolve(const char* name, F*& out) const {
    BOSUN_ASSIGN_OR_RETURN(void* p, symbol(name));
    out = reinterpret_cast<F*>(p);
    return ok_result();
  }

  const std::string& soname() const { return soname_; }

 private:
  DynamicLibrary(void* handle, std::string soname, std::string used_for)
      : handle_(handle), soname_(std::move(soname)), used_for_(std::move(used_for)) {}
  Result<void*> symbol(const char* name) const;

  void* handle_;
  std::string soname_;
  std::string used_for_;
};

}  // namespace bosun::runtime
