#include "apiserver/healthz.h"

#include <algorithm>
#include <set>

#include "common/log.h"

namespace bosun::apiserver {

namespace {

unsigned endpoint_bit(std::string_view endpoint) {
  if (endpoint == "healthz") return HealthChecks::kHealthz;
  if (endpoint == "livez") return HealthChecks::kLivez;
  if (endpoint == "readyz") return HealthChecks::kReadyz;
  return 0;
}

Result<void> run(const HealthChecks::Check& check) {
  try {
    return check();
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInternal, e.what());
  }
}

}  // namespace

HealthChecks::HealthChecks() {
  add("ping", [] { return ok_result(); });
}

void HealthChecks::add(std::string name, Check check, unsigned endpoints) {
  std::lock_guard lock(mu_);
  checks_.push_back(Entry{std::move(name), std::move(check), endpoints});
}

std::vector<HealthChecks::Entry> HealthChecks::snapshot(unsigned endpoint) const {
  std::lock_guard lock(mu_);
  std::vector<Entry> out;
  for (const auto& e : checks_) {
    if (e.endpoints & endpoint) out.push_back(e);
  }
  return out;
}

Response HealthChecks::serve(std::string_view endpoint, std::string_view check,
                             const QueryParams& query) const {
  std::vector<Entry> checks = snapshot(endpoint_bit(endpoint));
  if (!check.empty()) {
    auto it =
        std::find_if(checks.begin(), checks.end(), [&](const Entry& e) { return e.name == check; });
    if (it == checks.end()) {
      return Response::error(
          make_error(ErrorCode::kNotFound, "the server could not find the requested resource"));
    }
    auto r = run(it->check);
    // Kubernetes' adaptCheckToHandler: http.Error adds a newline; success is a bare "ok".
    if (!r.ok()) return Response::text(500, "internal server error: " + r.error().message + "\n");
    return Response::text(200, "ok");
  }

  std::vector<std::string_view> excluded_list = query.get_all("exclude");
  std::set<std::string_view> excluded(excluded_list.begin(), excluded_list.end());
  std::string out;
  bool failed = false;
  for (const auto& e : checks) {
    if (excluded.erase(e.name) > 0) {
      out += "[+]" + e.name + " excluded: ok\n";
      continue;
    }
    auto r = run(e.check);
    if (r.ok()) {
      out += "[+]" + e.name + " ok\n";
    } else {
      // The reason stays out of this anonymous endpoint; it goes to the log.
      out += "[-]" + e.name + " failed: reason withheld\n";
      SPDLOG_INFO("{} check {} failed: {}", endpoint, e.name, r.error().message);
      failed = true;
    }
  }
  if (!excluded.empty()) {
    std::string names;
    for (auto n : excluded) names += (names.empty() ? "\"" : ",\"") + std::string(n) + "\"";
    out += "warn: some health checks cannot be excluded: no matches for " + names + "\n";
  }
  if (failed) return Response::text(500, out + std::string(endpoint) + " check failed\n");
  if (!query.has("verbose")) return Response::text(200, "ok");
  return Response::text(200, out + std::string(endpoint) + " check passed\n");
}

void HealthChecks::install(Router& router) {
  for (std::string endpoint : {"healthz", "livez", "readyz"}) {
    std::string path = "/" + endpoint;
    router.handle(path, Route{[this, endpoint](const std::shared_ptr<Exchange>& ex) {
                    ex->respond(serve(endpoint, "", ex->request().query));
                  }});
    router.handle_prefix(
        path + "/", Route{[this, endpoint](const std::shared_ptr<Exchange>& ex) {
          const auto& segs = ex->request().segments;
          // Only /<endpoint>/<check>; deeper paths are not registered.
          std::string_view check =
              segs.size() == 2 ? std::string_view(segs[1]) : std::string_view();
          if (check.empty()) {
            ex->respond(Response::error(make_error(
                ErrorCode::kNotFound, "the server could not find the requested resource")));
            return;
          }
          ex->respond(serve(endpoint, check, ex->request().query));
        }});
  }
}

}  // namespace bosun::apiserver
