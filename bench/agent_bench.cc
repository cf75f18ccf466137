// Node agent hot paths outside the runtime: `kubectl logs` over a container's CRI log file (the
// line parser and a whole-file read, with the tail case the kubelet seeks for), a probe's way into
// the pod's network namespace (a socket made by a throw-away thread that setns()es, against a
// plain socket and against switching the calling thread there and back), a whole TCP probe into a
// namespace, a configMap volume update through the atomic writer, and a container's environment
// with the service variables of N services in its namespace (every container start computes it).
// The namespace cases need root (they are skipped otherwise); files go under $TMPDIR.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "agent/atomic_writer.h"
#include "agent/container_env.h"
#include "agent/container_logs.h"
#include "agent/fake_runtime.h"
#include "agent/probe_manager.h"
#include "agent/prober.h"
#include "agent/service_env.h"
#include "runtime/runc_log.h"

namespace {

namespace fs = std::filesystem;
using namespace bosun;

std::string temp_dir(const char* name) {
  std::string t = (fs::temp_directory_path() / (std::string(name) + "-XXXXXX")).string();
  return ::mkdtemp(t.data()) ? t : std::string();
}

// A 100,000-line CRI log (about 9 MB), as a chatty container writes in a few minutes.
struct LogFile {
  std::string dir = temp_dir("bosun-agent-bench");
  std::string path = dir + "/0.log";
  int64_t bytes = 0;
  LogFile() {
    std::ofstream out(path);
    int64_t t = int64_t{1714564800} * 1000000000;
    for (int i = 0; i < 100000; ++i) {
      std::string line = runtime::format_cri_log_line(
          t + i * 1000, i % 7 == 0 ? "stderr" : "stdout", false,
          "GET /api/v1/items?page=" + std::to_string(i) + " 200 OK in 3.2ms user=alice");
      bytes += static_cast<int64_t>(line.size());
      out << line;
    }
  }
  ~LogFile() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

LogFile& log_file() {
  static LogFile f;
  return f;
}

void BM_ParseCriLogLine(benchmark::State& state) {
  const std::string line =
      "2024-05-01T12:00:00.123456789Z stdout F GET /api/v1/items 200 OK in 3.2ms\n";
  for (auto _ : state) {
    auto r = agent::parse_cri_log_line(line);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(line.size()));
}
BENCHMARK(BM_ParseCriLogLine);

// The whole file to a sink that only counts (kubectl logs without options); arg 1 adds
// --timestamps.
void BM_ReadContainerLog(benchmark::State& state) {
  LogFile& f = log_file();
  agent::LogOptions o;
  o.timestamps = state.range(0) != 0;
  for (auto _ : state) {
    int64_t out = 0;
    auto r = agent::read_container_log(f.path, o, [&](agent::LogStream, std::string_view d) {
      out += static_cast<int64_t>(d.size());
      return true;
    });
    benchmark::DoNotOptimize(out);
    if (!r.ok()) state.SkipWithError(r.error().message.c_str());
  }
  state.SetBytesProcessed(state.iterations() * f.bytes);
}
BENCHMARK(BM_ReadContainerLog)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// kubectl logs --tail=100: a seek from the end, not a read of the whole file.
void BM_ReadContainerLogTail100(benchmark::State& state) {
  LogFile& f = log_file();
  agent::LogOptions o;
  o.tail_lines = 100;
  for (auto _ : state) {
    int64_t lines = 0;
    auto r = agent::read_container_log(f.path, o, [&](agent::LogStream, std::string_view) {
      ++lines;
      return true;
    });
    if (!r.ok() || lines != 100) state.SkipWithError("tail did not give 100 lines");
  }
}
BENCHMARK(BM_ReadContainerLogTail100)->Unit(benchmark::kMicrosecond);

// A network namespace with lo up, held by a parked thread, and a listener in it.
struct Netns {
  std::string path;
  std::thread holder;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  int listener = -1;
  int port = 0;
  std::thread acceptor;

  Netns() {
    if (::geteuid() != 0) return;
    std::promise<std::string> p;
    auto f = p.get_future();
    holder = std::thread([&] {
      if (::unshare(CLONE_NEWNET) != 0) {
        p.set_value("");
        return;
      }
      int s = ::socket(AF_INET, SOCK_DGRAM, 0);
      ifreq ifr{};
      std::snprintf(ifr.ifr_name, IFNAMSIZ, "lo");
      ::ioctl(s, SIOCGIFFLAGS, &ifr);
      ifr.ifr_flags |= IFF_UP;
      ::ioctl(s, SIOCSIFFLAGS, &ifr);
      ::close(s);
      p.set_value("/proc/" + std::to_string(::getpid()) + "/task/" +
                  std::to_string(::syscall(SYS_gettid)) + "/ns/net");
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return done; });
    });
    path = f.get();
    if (path.empty()) return;
    auto fd = agent::open_socket_in_netns(path, AF_INET, SOCK_STREAM);
    if (!fd.ok()) return;
    listener = *fd;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(listener, 128);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
    acceptor = std::thread([this] {
      for (;;) {
        int c = ::accept(listener, nullptr, nullptr);
        if (c < 0 && (errno == EBADF || errno == EINVAL)) return;  // closed: the end
        if (c >= 0) ::close(c);
      }
    });
  }
  ~Netns() {
    if (listener >= 0) {
      ::shutdown(listener, SHUT_RDWR);
      ::close(listener);
      acceptor.join();
    }
    {
      std::lock_guard lock(mu);
      done = true;
    }
    cv.notify_all();
    if (holder.joinable()) holder.join();
  }
};

Netns& netns() {
  static Netns n;
  return n;
}

void BM_SocketPlain(benchmark::State& state) {
  for (auto _ : state) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::close(fd);
  }
}
BENCHMARK(BM_SocketPlain)->Unit(benchmark::kMicrosecond);

// What the prober does: a throw-away thread enters the namespace and makes the socket.
void BM_SocketInNetnsThread(benchmark::State& state) {
  Netns& n = netns();
  if (n.path.empty()) return state.SkipWithError("needs root");
  for (auto _ : state) {
    auto fd = agent::open_socket_in_netns(n.path, AF_INET, SOCK_STREAM);
    if (!fd.ok()) return state.SkipWithError(fd.error().message.c_str());
    ::close(*fd);
  }
}
BENCHMARK(BM_SocketInNetnsThread)->Unit(benchmark::kMicrosecond);

// The alternative not taken: the calling thread switches there and back (cheaper, but a failed
// switch back would leave an agent thread in a pod's namespace).
void BM_SocketInNetnsSwitchBack(benchmark::State& state) {
  Netns& n = netns();
  if (n.path.empty()) return state.SkipWithError("needs root");
  int home = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  for (auto _ : state) {
    int ns = ::open(n.path.c_str(), O_RDONLY | O_CLOEXEC);
    ::setns(ns, CLONE_NEWNET);
    ::close(ns);
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ::setns(home, CLONE_NEWNET);
    ::close(fd);
  }
  ::close(home);
}
BENCHMARK(BM_SocketInNetnsSwitchBack)->Unit(benchmark::kMicrosecond);

// A whole tcpSocket probe against a listener inside the namespace.
void BM_TcpProbeInNetns(benchmark::State& state) {
  Netns& n = netns();
  if (n.path.empty()) return state.SkipWithError("needs root");
  for (auto _ : state) {
    auto out = agent::probe_tcp(n.path, "127.0.0.1", n.port, std::chrono::seconds(1));
    if (out.result != agent::ProbeResult::kSuccess) {
      return state.SkipWithError(out.output.c_str());
    }
  }
}
BENCHMARK(BM_TcpProbeInNetns)->Unit(benchmark::kMicrosecond);

// A configMap volume of three keys, one of which changes every time: a new version directory,
// three files, the ..data swap and the old version removed.
void BM_AtomicWriterUpdate(benchmark::State& state) {
  std::string dir = temp_dir("bosun-agent-bench-volume");
  FakeClock clock;
  agent::Payload p{{"app.conf", {std::string(2048, 'a'), 0644}},
                   {"log.conf", {std::string(512, 'l'), 0644}},
                   {"version", {"0", 0644}}};
  int64_t i = 0;
  for (auto _ : state) {
    p["version"].data = std::to_string(++i);
    auto r = agent::write_payload(dir, p, clock);
    if (!r.ok()) return state.SkipWithError(r.error().message.c_str());
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
}
BENCHMARK(BM_AtomicWriterUpdate)->Unit(benchmark::kMicrosecond);

// What every pod sync adds for probes (ProbeManager::update_pod after the sync): a pod without
// probes (most pods, and hollow nodes' thousands), one with readiness and liveness probes whose
// workers already run (the steady state; workers are not started here), and hollow nodes' mode
// where probes pass without workers.
void BM_ProbeManagerUpdatePod(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  bosun::FakeClock clock;
  bosun::agent::FakeRuntimeOptions ro;
  ro.clock = &clock;
  bosun::agent::FakeRuntime runtime(ro);
  bosun::agent::ProbeResults results;
  bosun::agent::ProbeManagerOptions options;
  options.worker_threads = false;
  options.assume_success = mode == 2;
  bosun::agent::ProbeManager manager(clock, runtime, results, nullptr, options);
  bosun::Json container = {{"name", "app"}, {"image", "nginx:1.25"}};
  if (mode != 0) {
    bosun::Json probe = {{"httpGet", {{"path", "/healthz"}, {"port", 8080}}},
                         {"periodSeconds", 10}};
    container["readinessProbe"] = probe;
    container["livenessProbe"] = probe;
  }
  bosun::Json pod = {{"metadata", {{"name", "web"}, {"namespace", "default"}, {"uid", "uid-1"}}},
                     {"spec", {{"containers", bosun::Json::array({container})}}}};
  bosun::agent::PodRuntimeView view;
  view.sandbox = bosun::agent::SandboxStatus{};
  view.sandbox->pod_uid = "uid-1";
  view.sandbox->ready = true;
  bosun::agent::ContainerStatus c;
  c.id = "c1";
  c.pod_uid = "uid-1";
  c.name = "app";
  c.state = bosun::agent::ContainerState::kRunning;
  view.containers.push_back(c);
  for (auto _ : state) manager.update_pod(pod, view);
}
BENCHMARK(BM_ProbeManagerUpdatePod)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kNanosecond);

// A container's environment at its start: the service variables of `range(0)` services in the
// pod's namespace (plus `kubernetes`) through service_env_map and resolve_container_env, against
// the same container without a service source (the baseline, Arg 0 with no source).
void BM_ContainerEnvWithServices(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  std::vector<std::shared_ptr<const Json>> prod, def;
  def.push_back(std::make_shared<const Json>(
      Json::parse(R"({"metadata": {"name": "kubernetes", "namespace": "default"},
                      "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443}]}})")));
  for (int i = 0; i < n; ++i) {
    prod.push_back(std::make_shared<const Json>(
        Json{{"metadata", {{"name", "svc-" + std::to_string(i)}, {"namespace", "prod"}}},
             {"spec",
              {{"clusterIP", "10.96.1." + std::to_string(i % 250)},
               {"ports", Json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}})}}}}));
  }
  agent::ServiceEnvSource source;
  source.list = [&](std::string_view ns) { return ns == "prod" ? prod : def; };
  source.synced = [] { return true; };
  const bool with_source = state.range(1) != 0;
  const Json pod = Json::parse(R"({"metadata": {"name": "p", "namespace": "prod", "uid": "u"}})");
  const Json container = Json::parse(R"({"name": "c",
      "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "$(A)-x"}]})");
  size_t vars = 0;
  for (auto _ : state) {
    agent::EnvContext ctx;
    ctx.pod = &pod;
    std::map<std::string, std::string> services;
    if (with_source) {
      services = *agent::service_env_map(source, "prod", true);
      ctx.service_env = &services;
    }
    auto env = agent::resolve_container_env(container, ctx);
    vars = env->env.size();
    benchmark::DoNotOptimize(env);
  }
  state.counters["vars"] = static_cast<double>(vars);
}
BENCHMARK(BM_ContainerEnvWithServices)
    ->Args({0, 0})
    ->Args({0, 1})
    ->Args({10, 1})
    ->Args({100, 1})
    ->Args({1000, 1})
    ->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
