// The agent's own HTTPS port (the kubelet's server, port 10250): `/containerLogs`, `/exec`,
// `/attach` and `/healthz`, which the API server proxies pods/log, pods/exec and pods/attach to.
// Only the API server or an admin may call it: clients present a certificate signed by the
// cluster CA (the kubelet's --client-ca-file) whose user is in system:masters or is the API
// server's kubelet client; the serving certificate is self-signed, as the kubelet makes one when
// given none. Thread-safe: start() returns a running server; stop() may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/container_runtime.h"
#include "common/clock.h"
#include "common/result.h"
#include "http/http_message.h"
#include "http/user_info.h"
#include "runtime/runc.h"

namespace bosun::agent {

// The user the API server authenticates as when it calls the agent (k3s and kubeadm name its
// kubelet client certificate so; system:masters is admitted too).
inline constexpr std::string_view kApiServerKubeletClientUser = "kube-apiserver-kubelet-client";

// A command running in a container with its standard streams connected (the runtime's half of
// `kubectl exec` and `kubectl attach`): what the agent's exec session reads and writes.
class ExecProcess {
 public:
  virtual ~ExecProcess() = default;
  // fds the session polls: stdout (or the tty's master), stderr (-1 with a tty), stdin (-1
  // unless asked for; the tty's master with one).
  virtual int stdout_fd() const = 0;
  virtual int stderr_fd() const = 0;
  virtual int stdin_fd() const = 0;
  // Closes stdin (the client sent its end of input).
  virtual void close_stdin() = 0;
  // TIOCSWINSZ on the tty; ignored without one.
  virtual void resize(uint16_t width, uint16_t height) = 0;
  // Blocks until the process exits; its exit code (128 + signal when killed).
  virtual Result<int> wait() = 0;
  // Ends the process (the client went away).
  virtual void kill() = 0;
};

struct ExecSpec {
  std::string container_id;  // the runtime's id
  std::vector<std::string> command;
  bool stdin = false;
  bool tty = false;
};

// Starts a process in a container with pipes or a tty (RuncRuntime: `runc exec`).
using ExecStarter = std::function<Result<std::unique_ptr<ExecProcess>>(const ExecSpec&)>;

// The starter for containers run by runc (runtime::exec_streaming); `runc` must outlive it.
ExecStarter runc_exec_starter(const runtime::Runc& runc);

struct KubeletServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 10250;      // 0 picks a free port; see KubeletServer::port()
  std::string client_ca_pem;  // the cluster CA; empty: every request but /healthz is refused
  std::string node_name;      // the serving certificate's CN (<node>@<unix time>, as the kubelet)
  ContainerRuntime* runtime = nullptr;  // required
  ExecStarter exec;                     // empty: exec and attach answer 400
  Clock* clock = nullptr;               // Clock::real() when null
  size_t io_threads = 1;
  size_t worker_threads = 4;
};

class KubeletServer {
 public:
  static Result<std::unique_ptr<KubeletServer>> start(KubeletServerOptions options);
  ~KubeletServer();  // stop()s
  KubeletServer(const KubeletServer&) = delete;
  KubeletServer& operator=(const KubeletServer&) = delete;

  uint16_t port() const;
  // Ends following log reads and exec sessions, then the server.
  void stop();

  struct Impl;

 private:
  explicit KubeletServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The container a request names: the newest attempt, or with `previous` the one before it
// (which must have exited). Errors carry the kubelet's messages (BadRequest), or NotFound when the
// pod has no sandbox on this node.
struct ContainerPick {
  std::string pod_uid;
  ContainerStatus container;
};
Result<ContainerPick> pick_container(ContainerRuntime& runtime, std::string_view ns,
                                     std::string_view pod, std::string_view container,
                                     bool previous);

// Whether an authenticated user may use the agent's API (the kubelet asks a SubjectAccessReview
// for nodes/proxy; here only the API server's client and system:masters are allowed).
bool may_use_kubelet_api(const apiserver::UserInfo& user);

// A self-signed serving certificate and key (PEM), EC P-256, valid a year, CN `common_name`,
// covering `hosts` (IP addresses and DNS names), as the kubelet makes for itself.
struct SelfSignedCertificate {
  std::string cert_pem;
  std::string key_pem;
};
Result<SelfSignedCertificate> make_self_signed_certificate(const std::string& common_name,
                                                           const std::vector<std::string>& hosts,
                                                           Clock::WallTime now);

}  // namespace bosun::agent
