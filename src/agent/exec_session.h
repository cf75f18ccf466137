// The agent's side of `kubectl exec` and `kubectl attach` over WebSocket (v5.channel.k8s.io, or
// v4): answers the upgrade, then relays channel 0 to the process's stdin, its stdout and stderr to
// channels 1 and 2, applies resizes from channel 4, and ends with the v4 Status on channel 3
// (Success, or NonZeroExitCode with the ExitCode cause kubectl exits with) and a normal close.
// attach relays through the container monitor's attach socket (input, output, resizes); with a
// runtime that cannot attach it follows the container's log, output only. Thread-safe: each
// session runs on its own thread; ExecSessions ends them all.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "agent/kubelet_server.h"
#include "http/exchange.h"
#include "runtime/container_attach.h"

namespace bosun::agent {

struct ExecRequest {
  ExecSpec spec;
  bool stdout = true;
  bool stderr = true;
  bool attach = false;
  std::string log_path;  // attach: the container's log
  // attach: whether the container still runs (the log follow ends once it stopped).
  std::function<bool()> container_running;
  // attach: connects to the container's streams (ContainerRuntime::attach_container). Empty, or
  // NotFound from it, and the session follows the log instead.
  std::function<Result<std::unique_ptr<runtime::AttachConnection>>(bool stdin)> attach_connect;
};

// The sessions running, so that the server's stop ends them.
class ExecSessions {
 public:
  // A session over an upgraded WebSocket (exec, attach, port-forward).
  class Session {
   public:
    virtual ~Session() = default;
    virtual void attach(std::shared_ptr<apiserver::UpgradedStream> ws) = 0;
    virtual void on_data(std::string_view data) = 0;  // from the client, on an io thread
    virtual void run() = 0;                           // the session's own thread, until it ends
    virtual void stop() = 0;
  };
  void add(const std::shared_ptr<Session>& s);
  void remove(const std::shared_ptr<Session>& s);
  void stop_all();

 private:
  std::mutex mu_;  // guards sessions_
  std::set<std::shared_ptr<Session>> sessions_;
};

// Takes the exchange over with `head` (the 101) and runs `session` through `run`: the client's data
// goes to on_data and its close to stop, and `sessions` tracks the session while it runs.
void run_upgraded_session(const std::shared_ptr<apiserver::Exchange>& exchange,
                          apiserver::Response head, std::shared_ptr<ExecSessions::Session> session,
                          const std::shared_ptr<ExecSessions>& sessions,
                          const std::function<void(std::function<void()>)>& run);

// The v4 Status a session ends with on channel 3 (metav1.Status as remotecommand writes it).
std::string exec_status_json(int exit_code);

// Answers an exec or attach request: 400 when it is not a WebSocket upgrade with a channel
// protocol, the runtime's error when the process cannot start, else 101 and a session run through
// `run` (a function that runs its argument on a thread of its own).
void serve_exec(const std::shared_ptr<apiserver::Exchange>& exchange, ExecRequest request,
                const ExecStarter& starter, const std::shared_ptr<ExecSessions>& sessions,
                const std::function<void(std::function<void()>)>& run);

}  // namespace bosun::agent
