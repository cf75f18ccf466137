// Container probes as the kubelet runs them (pkg/probe, pkg/kubelet/prober): one probe run (exec
// through a callback the agent binds to ContainerRuntime::exec_sync; httpGet with Kubernetes'
// request, status and redirect rules, HTTPS without verification; tcpSocket), and the per-container
// probe worker (prober/worker.go) that applies initialDelaySeconds, periodSeconds, the success and
// failure thresholds and startup-probe gating on an injected Clock. Pods have no IP yet, so network
// probes connect from inside the pod's network namespace: the socket is created by a short-lived
// thread that setns()es into it (a socket keeps the namespace it was created in), and the caller's
// thread never leaves its own. run_probe is safe from any thread; a ProbeWorker owns one thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "agent/container_runtime.h"
#include "common/clock.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::agent {

// pkg/probe.Result. A Warning counts as a success (an HTTP redirect to another host); Unknown is a
// prober error (bad spec, no exec callback), which the worker throws away as the kubelet does.
enum class ProbeResult { kSuccess, kWarning, kFailure, kUnknown };

struct ProbeOutcome {
  ProbeResult result = ProbeResult::kUnknown;
  // The probe's output: the command's output (exec), the body or the failure ("HTTP probe failed
  // with statuscode: 500", Go's dial errors); what the kubelet puts in "Liveness probe failed:
  // ...".
  std::string output;
};

// Runs a command in the container and returns its output and exit code (exec probes).
using ExecProbeFn = std::function<Result<ExecSyncResult>(const std::vector<std::string>& command,
                                                         std::chrono::milliseconds timeout)>;

// Where a probe connects and how it runs commands.
struct ProbeTarget {
  std::string netns_path;  // the sandbox's network namespace; empty: the agent's (hostNetwork)
  std::string pod_ip;      // the host when httpGet/tcpSocket give none; empty: 127.0.0.1
  Json container;          // the v1 Container: its named ports
  ExecProbeFn exec;        // exec probes; empty: they are Unknown
};

// Runs a v1.Probe once, bounded by its timeoutSeconds (default 1).
ProbeOutcome run_probe(const Json& probe, const ProbeTarget& target);

// A port given as a number or a container port's name (probe.ResolveContainerPort).
Result<int> resolve_probe_port(const Json& port, const Json& container);

// A socket (SOCK_CLOEXEC) created inside the network namespace at netns_path (empty: here).
Result<int> open_socket_in_netns(const std::string& netns_path, int domain, int type);

ProbeOutcome probe_tcp(const std::string& netns_path, const std::string& host, int port,
                       std::chrono::milliseconds timeout);

struct HttpProbeRequest {
  std::string scheme = "http";  // "http" or "https"
  std::string host;
  int port = 80;
  std::string path;                                          // as in the spec; "" means "/"
  std::vector<std::pair<std::string, std::string>> headers;  // httpHeaders, in order
};
ProbeOutcome probe_http(const std::string& netns_path, const HttpProbeRequest& request,
                        std::chrono::milliseconds timeout);

// ---- the probe worker ----

enum class ProbeType { kLiveness, kReadiness, kStartup };

// "Liveness", "Readiness", "Startup" (the kubelet's event wording).
const char* probe_type_name(ProbeType type);

// What the worker needs to know about its container at each tick (the kubelet reads the pod
// status). nullopt from the callback: the container does not exist yet.
struct ProbedContainer {
  std::string id;  // changes when the container is restarted
  bool running = false;
  bool terminated = false;
  Clock::WallTime started_at{};  // when it started running (initialDelaySeconds counts from it)
  bool started = false;          // the startup probe passed (true when there is none)
  bool pod_terminating = false;  // the pod has a deletionTimestamp
  bool restart_never = false;    // restartPolicy Never
};

// A result the worker set: delivered when the container's result changes (and the first time).
struct ProbeUpdate {
  ProbeType type;
  std::string container_id;
  bool success = false;
  std::string message;  // the probe's output on failure
};

struct ProbeWorkerConfig {
  ProbeType type = ProbeType::kReadiness;
  Json probe;  // the v1.Probe
  std::function<std::optional<ProbedContainer>()> container;
  std::function<ProbeOutcome(const Json& probe)> run;  // usually run_probe bound to a target
  std::function<void(const ProbeUpdate&)> on_update;
  // Every failed (or warning) probe run, below the threshold too: the kubelet's Unhealthy event
  // "Liveness probe failed: <output>". May be empty.
  std::function<void(ProbeType, const ProbeOutcome&)> on_probe_failed;
};

// The v1.Probe timing fields with the API's defaults (period 10 s, timeout 1 s, thresholds 1/3).
struct ProbeTiming {
  int initial_delay_seconds = 0;
  int period_seconds = 10;
  int timeout_seconds = 1;
  int success_threshold = 1;
  int failure_threshold = 3;
};
ProbeTiming probe_timing(const Json& probe);

// One probe worker per container and probe type (kubelet prober/worker.go): probes every
// periodSeconds on its own thread until stopped or the container will not run again. step() is
// one tick and may be called directly (tests) when the thread is not started.
class ProbeWorker {
 public:
  ProbeWorker(Clock& clock, ProbeWorkerConfig config);
  ~ProbeWorker();
  ProbeWorker(const ProbeWorker&) = delete;
  ProbeWorker& operator=(const ProbeWorker&) = delete;

  void start();
  // Stops and joins the thread; safe to call more than once.
  void stop();
  // Probes now rather than at the next tick (kubelet's manual trigger).
  void trigger();

  // One doProbe; returns whether the worker should keep going.
  bool step();

  // The last result set (the initial one before any: readiness failure, liveness success,
  // startup unknown = nullopt).
  std::optional<bool> result() const;
  int probes_run() const { return probes_run_.load(); }

 private:
  void run_loop();
  void set_result(std::optional<bool> result, const std::string& message);

  Clock& clock_;
  const bool real_clock_;
  ProbeWorkerConfig config_;
  ProbeTiming timing_;
  std::atomic<int> probes_run_{0};

  // Owned by the thread running step().
  std::string container_id_;
  bool on_hold_ = false;
  std::optional<ProbeResult> last_result_;
  int result_run_ = 0;

  mutable std::mutex mu_;  // guards everything below
  std::condition_variable cv_;
  std::optional<bool> result_;
  bool stopping_ = false;
  bool triggered_ = false;
  std::thread thread_;
};

}  // namespace bosun::agent
