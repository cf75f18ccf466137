#include "apiserver/apiserver.h"

#include <algorithm>
#include <atomic>
#include <charconv>

#include "apiserver/version.h"
#include "common/log.h"

namespace bosun::apiserver {

namespace {

void install_metrics_endpoint(Router& router, MetricsRegistry& registry) {
  router.handle("/metrics", Route{[&registry](const std::shared_ptr<Exchange>& ex) {
                  Response r;
                  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                  r.body = registry.expose();
                  ex->respond(std::move(r));
                }});
}

// GET / lists the server's paths, as kube-apiserver's index does ({"paths": [...]}).
void install_index(Router& router) {
  auto paths = router.paths();
  paths.push_back("/");
  std::sort(paths.begin(), paths.end());
  auto body = std::make_shared<const std::string>(Json{{"paths", paths}}.dump(2));
  router.handle("/", Route{[body](const std::shared_ptr<Exchange>& ex) {
                             Response r;
                             r.body = *body;
                             ex->respond(std::move(r));
                           },
                           /*may_block=*/false});
}

}  // namespace

Result<std::pair<std::string, uint16_t>> parse_listen_address(std::string_view listen) {
  size_t colon = listen.rfind(':');
  if (colon == std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest,
                      "listen address \"" + std::string(listen) + "\" has no :PORT");
  }
  std::string_view host = listen.substr(0, colon);
  std::string_view port_text = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest, "listen address \"" + std::string(listen) +
                                                  "\": IPv6 addresses go in brackets");
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return make_error(ErrorCode::kBadRequest,
                      "listen address \"" + std::string(listen) + "\" has a bad port");
  }
  return std::pair<std::string, uint16_t>(host.empty() ? "0.0.0.0" : std::string(host),
                                          static_cast<uint16_t>(port));
}

Result<std::unique_ptr<ApiServer>> ApiServer::start(ApiServerOptions options) {
  BOSUN_ASSIGN_OR_RETURN(auto listen, parse_listen_address(options.listen));
  auto [host, port] = listen;
  Clock& clock = options.clock ? *options.clock : Clock::real();
  MetricsRegistry& metrics = options.metrics ? *options.metrics : MetricsRegistry::global();

  std::vector<std::string> sans = default_serving_hosts(host);
  sans.insert(sans.end(), options.extra_sans.begin(), options.extra_sans.end());
  BOSUN_ASSIGN_OR_RETURN(Pki pki, ensure_pki(PkiOptions{options.data_dir, sans, &clock}));

  AuthnOptions authn;
  authn.client_ca_pem = pki.ca.cert_pem;
  authn.tokens.push_back(BearerToken{pki.node_token, node_token_user(pki.node_token)});
  authn.clock = &clock;
  BOSUN_ASSIGN_OR_RETURN(std::unique_ptr<Authenticator> authenticator,
                         Authenticator::create(std::move(authn)));

  std::unique_ptr<ApiServer> s(new ApiServer());
  s->health_ = std::make_shared<HealthChecks>();
  s->shutting_down_ = std::make_shared<std::atomic<bool>>(false);
  // Kubernetes' readyz "shutdown" check: load balancers stop sending requests once shutdown begins.
  s->health_->add(
      "shutdown",
      [flag = s->shutting_down_]() -> Result<void> {
        if (flag->load())
          return make_error(ErrorCode::kServiceUnavailable, "process is shutting down");
        return ok_result();
      },
      HealthChecks::kReadyz);

  auto router = std::make_shared<Router>();
  install_version_endpoint(*router, server_version());
  s->health_->install(*router);
  install_metrics_endpoint(*router, metrics);
  if (options.install_routes) BOSUN_RETURN_IF_ERROR(options.install_routes(*router, *s->health_));
  install_index(*router);

  HttpServerOptions http;
  http.host = host;
  http.port = port;
  http.tls = TlsConfig{pki.serving.cert_pem, pki.serving.key_pem, pki.ca.cert_pem};
  http.authenticator = std::move(authenticator);
  http.router = std::move(router);
  http.metrics = &metrics;
  http.io_threads = options.io_threads;
  http.worker_threads = options.worker_threads;
  http.write_timeout = options.write_timeout;
  BOSUN_ASSIGN_OR_RETURN(s->server_, HttpServer::start(std::move(http)));

  bool wildcard = host == "0.0.0.0" || host == "::";
  std::string url_host = wildcard ? "127.0.0.1" : host;
  if (url_host.find(':') != std::string::npos) url_host = "[" + url_host + "]";
  s->url_ = "https://" + url_host + ":" + std::to_string(s->server_->port());
  s->kubeconfig_path_ = PkiPaths(options.data_dir).kubeconfig;
  BOSUN_RETURN_IF_ERROR(write_kubeconfig(s->kubeconfig_path_, s->url_, pki));
  s->pki_ = std::move(pki);
  return s;
}

ApiServer::~ApiServer() {
  if (server_) shutdown(std::chrono::milliseconds(0));
}

uint16_t ApiServer::port() const { return server_->port(); }

void ApiServer::shutdown(std::chrono::milliseconds grace) {
  shutting_down_->store(true);
  server_->shutdown(grace);
}

}  // namespace bosun::apiserver
