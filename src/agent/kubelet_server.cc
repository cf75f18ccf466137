#include "agent/kubelet_server.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <charconv>
#include <mutex>
#include <thread>

#include "agent/container_logs.h"
#include "agent/exec_session.h"
#include "agent/port_forward.h"
#include "common/log.h"
#include "common/openssl_init.h"
#include "common/time_format.h"
#include "http/authn.h"
#include "http/http_server.h"
#include "http/router.h"
#include "runtime/runc_exec.h"

namespace bosun::agent {

using apiserver::Exchange;
using apiserver::Request;
using apiserver::Response;

bool may_use_kubelet_api(const apiserver::UserInfo& user) {
  if (user.is_anonymous()) return false;
  return user.in_group(apiserver::kSystemPrivilegedGroup) ||
         user.name == kApiServerKubeletClientUser;
}

namespace {

std::optional<int64_t> int_param(const Request& r, std::string_view key,
                                 std::optional<Error>* bad) {
  auto v = r.query.get(key);
  if (!v || v->empty()) return std::nullopt;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size()) {
    *bad = make_error(ErrorCode::kBadRequest,
                      "invalid " + std::string(key) + " " + std::string(*v) + ": not an integer");
  }
  return n;
}

// Go's strconv.ParseBool, which the kubelet's query decoding uses.
bool bool_param(const Request& r, std::string_view key) {
  auto v = r.query.get(key);
  if (!v) return false;
  return *v == "true" || *v == "1" || *v == "t" || *v == "T" || *v == "TRUE" || *v == "True";
}

// /containerLogs/{ns}/{pod}/{container} and /exec/{ns}/{pod}/{container} (with an optional uid
// segment between pod and container, as the kubelet accepts).
struct ContainerPath {
  std::string ns, pod, container;
};
Result<ContainerPath> container_path(const Request& r) {
  const auto& s = r.segments;
  if (s.size() == 4) return ContainerPath{s[1], s[2], s[3]};
  if (s.size() == 5) return ContainerPath{s[1], s[2], s[4]};
  return make_error(ErrorCode::kNotFound, "the server could not find the requested resource");
}

}  // namespace

Result<ContainerPick> pick_container(ContainerRuntime& runtime, std::string_view ns,
                                     std::string_view pod, std::string_view container,
                                     bool previous) {
  BOSUN_ASSIGN_OR_RETURN(auto sandboxes, runtime.list_pod_sandboxes());
  const SandboxStatus* best = nullptr;
  for (const auto& s : sandboxes) {
    if (s.pod_namespace != ns || s.pod_name != pod) continue;
    // A pod deleted and made again under the same name: the newest sandbox is the live one.
    if (!best || s.created_at > best->created_at) best = &s;
  }
  if (!best) {
    return make_error(ErrorCode::kNotFound, "pod \"" + std::string(pod) +
                                                "\" not found in namespace \"" + std::string(ns) +
                                                "\" on this node");
  }
  BOSUN_ASSIGN_OR_RETURN(auto containers, runtime.list_pod_containers(best->pod_uid));
  std::vector<ContainerStatus> mine;
  for (auto& c : containers) {
    if (c.name == container) mine.push_back(std::move(c));
  }
  std::sort(mine.begin(), mine.end(), [](const ContainerStatus& a, const ContainerStatus& b) {
    if (a.attempt != b.attempt) return a.attempt > b.attempt;
    return a.created_at > b.created_at;
  });
  // The kubelet's validateContainerLogStatus messages.
  if (previous) {
    if (mine.size() < 2 || mine[1].state != ContainerState::kExited) {
      return make_error(ErrorCode::kBadRequest, "previous terminated container \"" +
                                                    std::string(container) + "\" in pod \"" +
                                                    std::string(pod) + "\" not found");
    }
    return ContainerPick{best->pod_uid, std::move(mine[1])};
  }
  if (mine.empty()) {
    return make_error(ErrorCode::kBadRequest, "container \"" + std::string(container) +
                                                  "\" in pod \"" + std::string(pod) +
                                                  "\" is waiting to start: ContainerCreating");
  }
  return ContainerPick{best->pod_uid, std::move(mine[0])};
}

namespace {

class RuncExecAdapter final : public ExecProcess {
 public:
  explicit RuncExecAdapter(std::unique_ptr<runtime::RuncExecProcess> p) : p_(std::move(p)) {}
  int stdout_fd() const override { return p_->stdout_fd(); }
  int stderr_fd() const override { return p_->stderr_fd(); }
  int stdin_fd() const override { return p_->stdin_fd(); }
  void close_stdin() override { p_->close_stdin(); }
  void resize(uint16_t w, uint16_t h) override { p_->resize(w, h); }
  Result<int> wait() override { return p_->wait(); }
  void kill() override { p_->kill(); }

 private:
  std::unique_ptr<runtime::RuncExecProcess> p_;
};

}  // namespace

ExecStarter runc_exec_starter(const runtime::Runc& runc) {
  return [&runc](const ExecSpec& spec) -> Result<std::unique_ptr<ExecProcess>> {
    BOSUN_ASSIGN_OR_RETURN(auto p, runtime::exec_streaming(runc, spec.container_id, spec.command,
                                                           spec.tty, spec.stdin));
    return std::unique_ptr<ExecProcess>(new RuncExecAdapter(std::move(p)));
  };
}

struct KubeletServer::Impl {
  KubeletServerOptions options;
  Clock* clock = nullptr;
  std::unique_ptr<apiserver::HttpServer> server;

  std::mutex mu;  // guards follows, threads and stopping
  std::vector<std::shared_ptr<LogCancel>> follows;
  std::vector<std::thread> threads;
  bool stopping = false;
  std::shared_ptr<ExecSessions> sessions = std::make_shared<ExecSessions>();

  bool authorize(const std::shared_ptr<Exchange>& ex) {
    if (may_use_kubelet_api(ex->request().user)) return true;
    const auto& u = ex->request().user;
    // The kubelet's wording for a user its authorizer refused.
    ex->respond(Response::error(make_error(ErrorCode::kForbidden, "Forbidden (user=" + u.name +
                                                                      ", verb=get, resource=nodes, "
                                                                      "subresource=proxy)")));
    return false;
  }

  void container_logs(const std::shared_ptr<Exchange>& ex);
  void exec(const std::shared_ptr<Exchange>& ex, bool attach);
  void run_detached(std::function<void()> fn);
};

void KubeletServer::Impl::run_detached(std::function<void()> fn) {
  std::lock_guard lock(mu);
  if (stopping) return;
  threads.emplace_back(std::move(fn));
}

void KubeletServer::Impl::container_logs(const std::shared_ptr<Exchange>& ex) {
  if (!authorize(ex)) return;
  const Request& r = ex->request();
  auto path = container_path(r);
  if (!path.ok()) return ex->respond(Response::error(path.error()));
  std::optional<Error> bad;
  auto tail = int_param(r, "tailLines", &bad);
  auto limit = int_param(r, "limitBytes", &bad);
  auto since_seconds = int_param(r, "sinceSeconds", &bad);
  if (bad) return ex->respond(Response::error(*bad));
  std::optional<Clock::WallTime> since_time;
  if (auto st = r.query.get("sinceTime"); st && !st->empty()) {
    auto t = parse_rfc3339(*st);
    if (!t.ok()) {
      return ex->respond(Response::error(
          make_error(ErrorCode::kBadRequest, "invalid sinceTime " + std::string(*st))));
    }
    since_time = *t;
  }
  const bool follow = bool_param(r, "follow");
  LogOptions lo = make_log_options(tail, limit, since_seconds, since_time,
                                   bool_param(r, "timestamps"), follow, clock->now());
  auto pick = pick_container(*options.runtime, path->ns, path->pod, path->container,
                             bool_param(r, "previous"));
  if (!pick.ok()) return ex->respond(Response::error(pick.error()));
  if (pick->container.log_path.empty()) {
    return ex->respond(Response::error(make_error(
        ErrorCode::kBadRequest,
        "container \"" + path->container + "\" in pod \"" + path->pod + "\" has no log")));
  }
  apiserver::StreamHead head;
  head.content_type = "text/plain";
  auto stream = ex->start_stream(std::move(head));
  auto sink = [stream](LogStream, std::string_view data) {
    return stream->write_blocking(std::string(data));
  };
  if (!follow || pick->container.state != ContainerState::kRunning) {
    lo.follow = false;
    auto done = read_container_log(pick->container.log_path, lo, sink);
    if (!done.ok()) SPDLOG_DEBUG("agent: log read ended: {}", done.error().message);
    stream->finish();
    return;
  }
  // A follow lasts as long as the container runs: its own thread, not a handler worker.
  auto cancel = std::make_shared<LogCancel>();
  {
    std::lock_guard lock(mu);
    if (stopping) {
      stream->finish();
      return;
    }
    follows.push_back(cancel);
  }
  stream->on_close([cancel](apiserver::StreamEnd) { cancel->cancel(); });
  ContainerRuntime* runtime = options.runtime;
  std::string id = pick->container.id;
  std::string log_path = pick->container.log_path;
  run_detached([this, stream, cancel, runtime, id, log_path, lo, sink] {
    FollowControl fc;
    fc.cancel = cancel.get();
    fc.container_running = [runtime, id] {
      auto s = runtime->container_status(id);
      return s.ok() && s->state == ContainerState::kRunning;
    };
    auto done = read_container_log(log_path, lo, sink, fc);
    if (!done.ok()) SPDLOG_DEBUG("agent: log follow ended: {}", done.error().message);
    stream->finish();
    std::lock_guard lock(mu);
    follows.erase(std::remove(follows.begin(), follows.end(), cancel), follows.end());
  });
}

void KubeletServer::Impl::exec(const std::shared_ptr<Exchange>& ex, bool attach) {
  if (!authorize(ex)) return;
  const Request& r = ex->request();
  auto path = container_path(r);
  if (!path.ok()) return ex->respond(Response::error(path.error()));
  if (!options.exec) {
    return ex->respond(Response::error(
        make_error(ErrorCode::kBadRequest, "exec is not supported by this runtime")));
  }
  auto pick = pick_container(*options.runtime, path->ns, path->pod, path->container, false);
  if (!pick.ok()) return ex->respond(Response::error(pick.error()));
  if (pick->container.state != ContainerState::kRunning) {
    return ex->respond(Response::error(
        make_error(ErrorCode::kBadRequest, "container " + pick->container.id + " is not running")));
  }
  ExecRequest er;
  er.spec.container_id = pick->container.id;
  er.attach = attach;
  er.log_path = pick->container.log_path;
  er.container_running = [runtime = options.runtime, id = pick->container.id] {
    auto s = runtime->container_status(id);
    return s.ok() && s->state == ContainerState::kRunning;
  };
  er.attach_connect = [runtime = options.runtime, id = pick->container.id](bool stdin) {
    return runtime->attach_container(id, stdin);
  };
  for (auto c : r.query.get_all("command")) er.spec.command.emplace_back(c);
  er.spec.stdin = bool_param(r, "stdin") || bool_param(r, "input");
  er.spec.tty = bool_param(r, "tty");
  er.stdout = bool_param(r, "stdout") || bool_param(r, "output");
  er.stderr = bool_param(r, "stderr") || bool_param(r, "error");
  if (!attach && er.spec.command.empty()) {
    return ex->respond(Response::error(make_error(ErrorCode::kBadRequest,
                                                  "you must specify at least one command for the "
                                                  "container")));
  }
  serve_exec(ex, std::move(er), options.exec, sessions,
             [this](std::function<void()> fn) { run_detached(std::move(fn)); });
}

KubeletServer::KubeletServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KubeletServer::~KubeletServer() { stop(); }

uint16_t KubeletServer::port() const { return impl_->server ? impl_->server->port() : 0; }

void KubeletServer::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mu);
    if (impl_->stopping) return;
    impl_->stopping = true;
    for (auto& c : impl_->follows) c->cancel();
  }
  impl_->sessions->stop_all();
  if (impl_->server) impl_->server->shutdown(std::chrono::milliseconds(1000));
  {
    std::lock_guard lock(impl_->mu);
    threads.swap(impl_->threads);
  }
  for (auto& t : threads) {
    if (t.joinable()) t.join();
  }
}

Result<std::unique_ptr<KubeletServer>> KubeletServer::start(KubeletServerOptions options) {
  if (options.runtime == nullptr) {
    return make_error(ErrorCode::kInternal, "KubeletServer needs a runtime");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->clock = impl->options.clock ? impl->options.clock : &Clock::real();
  Impl* p = impl.get();

  apiserver::AuthnOptions ao;
  ao.client_ca_pem = p->options.client_ca_pem;
  ao.clock = p->clock;
  BOSUN_ASSIGN_OR_RETURN(std::unique_ptr<apiserver::Authenticator> authn,
                         apiserver::Authenticator::create(std::move(ao)));

  auto router = std::make_shared<apiserver::Router>();
  router->handle(
      "/healthz",
      {[](const std::shared_ptr<Exchange>& ex) { ex->respond(Response::text(200, "ok")); }, false});
  router->handle_prefix("/containerLogs/",
                        {[p](const std::shared_ptr<Exchange>& ex) { p->container_logs(ex); }});
  router->handle_prefix("/exec/",
                        {[p](const std::shared_ptr<Exchange>& ex) { p->exec(ex, false); }});
  router->handle_prefix("/attach/",
                        {[p](const std::shared_ptr<Exchange>& ex) { p->exec(ex, true); }});
  router->handle_prefix("/portForward/", {[p](const std::shared_ptr<Exchange>& ex) {
                          if (!p->authorize(ex)) return;
                          serve_port_forward(
                              *p->options.runtime, ex, p->sessions,
                              [p](std::function<void()> fn) { p->run_detached(std::move(fn)); });
                        }});

  std::string cn =
      (p->options.node_name.empty() ? std::string("bosun-agent") : p->options.node_name) + "@" +
      std::to_string(
          std::chrono::duration_cast<std::chrono::seconds>(p->clock->now().time_since_epoch())
              .count());
  std::vector<std::string> hosts = {"localhost", "127.0.0.1"};
  if (!p->options.node_name.empty()) hosts.push_back(p->options.node_name);
  BOSUN_ASSIGN_OR_RETURN(auto cert, make_self_signed_certificate(cn, hosts, p->clock->now()));

  apiserver::HttpServerOptions so;
  so.host = p->options.host;
  so.port = p->options.port;
  so.tls.cert_chain_pem = cert.cert_pem;
  so.tls.key_pem = cert.key_pem;
  so.tls.client_ca_pem = p->options.client_ca_pem;
  so.authenticator = std::shared_ptr<const apiserver::Authenticator>(std::move(authn));
  so.router = router;
  so.io_threads = p->options.io_threads;
  so.worker_threads = p->options.worker_threads;
  // The kubelet's streaming connections idle for as long as the user does (4 h
  // streamingConnectionIdleTimeout); a log follow writes nothing while the container is quiet.
  so.write_timeout = std::chrono::hours(4);
  BOSUN_ASSIGN_OR_RETURN(p->server, apiserver::HttpServer::start(std::move(so)));
  return std::unique_ptr<KubeletServer>(new KubeletServer(std::move(impl)));
}

namespace {

struct OpenSslFree {
  void operator()(X509* p) const { X509_free(p); }
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
};
template <typename T>
using Ptr = std::unique_ptr<T, OpenSslFree>;

Error openssl_error(std::string_view what) {
  ERR_clear_error();
  return make_error(ErrorCode::kInternal, "serving certificate: " + std::string(what));
}

std::string bio_text(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return std::string(mem->data, mem->length);
}

}  // namespace

Result<SelfSignedCertificate> make_self_signed_certificate(const std::string& common_name,
                                                           const std::vector<std::string>& hosts,
                                                           Clock::WallTime now) {
  Ptr<EVP_PKEY> key(EVP_EC_gen("P-256"));
  if (!key) return openssl_error("generating a key");
  Ptr<X509> cert(X509_new());
  if (!cert) return openssl_error("allocating");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(
      X509_get_serialNumber(cert.get()),
      static_cast<long>(
          std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count()));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  auto t = std::chrono::system_clock::to_time_t(now);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), t - 3600);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), t + 365L * 24 * 3600);
  if (X509_set_pubkey(cert.get(), key.get()) != 1) return openssl_error("setting the key");
  std::string sans;
  for (const auto& h : hosts) {
    if (!sans.empty()) sans += ",";
    bool ip = !h.empty() &&
              (std::isdigit(static_cast<unsigned char>(h[0])) || h.find(':') != std::string::npos);
    sans += (ip ? "IP:" : "DNS:") + h;
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : std::vector<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature,keyEncipherment"},
           {NID_ext_key_usage, "serverAuth"},
           {NID_subject_alt_name, sans}}) {
    if (value.empty()) continue;
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext) return openssl_error("extension");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return openssl_error("signing");
  SelfSignedCertificate out;
  Ptr<BIO> cb(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cb.get(), cert.get()) != 1) return openssl_error("encoding");
  out.cert_pem = bio_text(cb.get());
  Ptr<BIO> kb(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return openssl_error("encoding the key");
  }
  out.key_pem = bio_text(kb.get());
  return out;
}

}  // namespace bosun::agent
