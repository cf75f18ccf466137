#include "apiserver/version.h"

#include <nlohmann/json.hpp>

// Set by src/apiserver/CMakeLists.txt when the build is configured.
#ifndef BOSUN_VERSION
#define BOSUN_VERSION "0.0.0"
#endif
#ifndef BOSUN_GIT_COMMIT
#define BOSUN_GIT_COMMIT ""
#endif
#ifndef BOSUN_GIT_TREE_STATE
#define BOSUN_GIT_TREE_STATE ""
#endif
#ifndef BOSUN_BUILD_DATE
#define BOSUN_BUILD_DATE "1970-01-01T00:00:00Z"
#endif

namespace bosun::apiserver {

namespace {

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

std::string platform() {
#if defined(__x86_64__)
  return "linux/amd64";
#elif defined(__aarch64__)
  return "linux/arm64";
#else
  return "linux/unknown";
#endif
}

}  // namespace

std::string bosun_version() { return BOSUN_VERSION; }

VersionInfo server_version() {
  VersionInfo v;
  v.git_version =
      "v" + std::string(kKubernetesMajor) + "." + kKubernetesMinor + ".0+bosun." + bosun_version();
  v.git_commit = BOSUN_GIT_COMMIT;
  v.git_tree_state = BOSUN_GIT_TREE_STATE;
  v.build_date = BOSUN_BUILD_DATE;
  v.go_version = "n/a";
  v.compiler = compiler();
  v.platform = platform();
  return v;
}

std::string version_body(const VersionInfo& v) {
  nlohmann::ordered_json j = {
      {"major", v.major},
      {"minor", v.minor},
      {"emulationMajor", v.emulation_major},
      {"emulationMinor", v.emulation_minor},
      {"minCompatibilityMajor", v.min_compatibility_major},
      {"minCompatibilityMinor", v.min_compatibility_minor},
      {"gitVersion", v.git_version},
      {"gitCommit", v.git_commit},
      {"gitTreeState", v.git_tree_state},
      {"buildDate", v.build_date},
      {"goVersion", v.go_version},
      {"compiler", v.compiler},
      {"platform", v.platform},
  };
  // kube-apiserver writes /version with json.MarshalIndent(v, "", "  ").
  return j.dump(2);
}

void install_version_endpoint(Router& router, const VersionInfo& v) {
  auto body = std::make_shared<const std::string>(version_body(v));
  router.handle("/version",
                Route{[body](const std::shared_ptr<Exchange>& ex) {
                        const std::string& method = ex->request().method;
                        if (method != "GET" && method != "HEAD") {
                          ex->respond(Response::error(make_error(
                              ErrorCode::kMethodNotAllowed,
                              "the server does not allow this method on the requested resource")));
                          return;
                        }
                        Response r;
                        r.body = *body;
                        ex->respond(std::move(r));
                      },
                      /*may_block=*/false});
}

}  // namespace bosun::apiserver
