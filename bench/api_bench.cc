// The REST layer under load over HTTPS keep-alive, as kubectl and controllers use it, with the
// client in the same run: GET of one pod, durable creates and updates at 16 and 64 concurrent
// connections (req_per_s, p50_us, p99_us), a LIST of 5,000 pods (JSON and Table), 10,000 concurrent
// watchers of one namespace with the delay from a write to each watcher's receipt of its event
// (p50_ms, p99_ms), and the resident memory of an idle `bosun server` on an empty store. The load
// benchmarks run an in-process server (durable SQLite, 2 io threads); the watcher and RSS
// benchmarks start build/bosun as a separate process, so that 10,000 connections' two ends do not
// share one file-descriptor limit.
#include <utility>  // before Asio: Boost 1.74's headers use std::exchange without including it

#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "apiserver/api_stack.h"
#include "apiserver/pki.h"
#include "common/json.h"
#include "common/log.h"
#include "common/openssl_init.h"
#include "http/socket_ring.h"
#include "tls_load.h"

// The watcher benchmark's client stands in for 10,000 remote watchers but shares this machine's
// cores with the server, so its CPU per line adds to the delivery latency measured. Its hot state
// is 10,000 TLS connections, each one's SSL object and cipher contexts on pages of their own; on
// this VM, reading one event per connection missed the TLB on nearly every object. Transparent huge
// pages for this process's heap (jemalloc's documented malloc_conf, read when the allocator
// starts) cut the client's CPU per line by 25-40 % (bench/results.md, session 8). Only
// when the run selects BM_Watchers, so that the other benchmarks' figures stay comparable with
// earlier runs; the `bosun` child process keeps its own allocator settings.
extern "C" {
__attribute__((visibility("default"))) const char* malloc_conf = nullptr;
}

namespace {

void choose_malloc_conf(int argc, char** argv, char**) {
  for (int i = 1; i < argc; ++i) {
    if (std::strstr(argv[i], "BM_Watchers") != nullptr) {
      malloc_conf = "thp:always,metadata_thp:always";
    }
  }
}

// Runs before jemalloc's first allocation (see src/cmd/malloc_conf.cc).
__attribute__((section(".preinit_array"),
               used)) void (*const kChooseMallocConf)(int, char**, char**) = choose_malloc_conf;

using namespace bosun::bench;
using bosun::Json;

std::string make_temp_dir() { return bosun::bench::make_temp_dir("bosun-api-bench"); }

std::string pod_json(std::string_view ns, std::string_view name) {
  Json pod = {
      {"apiVersion", "v1"},
      {"kind", "Pod"},
      {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"app", "bench"}}}}},
      {"spec",
       {{"containers",
         Json::array({{{"name", "app"},
                       {"image", "nginx:1.25"},
                       {"ports", Json::array({{{"containerPort", 80}}})},
                       {"resources", {{"requests", {{"cpu", "100m"}, {"memory", "64Mi"}}}}}}})}}}};
  return pod.dump();
}

// An in-process API server with a durable store, shared by the load benchmarks.
struct Server {
  Server() : dir(make_temp_dir()) {
    bosun::init_logging("warn");
    bosun::apiserver::ApiStackOptions o;
    o.data_dir = dir;
    o.listen = "127.0.0.1:0";
    o.metrics = &metrics;
    o.durable = true;
    auto s = bosun::apiserver::ApiStack::start(std::move(o));
    if (!s.ok()) {
      std::fprintf(stderr, "server: %s\n", s.error().message.c_str());
      std::abort();
    }
    stack = std::move(s).value();
  }
  ~Server() {
    stack.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  bosun::MetricsRegistry metrics;
  std::unique_ptr<bosun::apiserver::ApiStack> stack;
};

Server& server() {
  // Lives for the whole run; the process exit reclaims it, and then its data directory goes too.
  static Server* s = [] {
    auto* server = new Server();
    remove_at_exit(server->dir);
    return server;
  }();
  return *s;
}

// One POST through a fresh connection (set-up, outside the measured loops).
void must_create(asio::io_context& ioc, ssl::context& ctx, uint16_t port,
                 std::vector<std::string> bodies, std::string_view collection) {
  auto conns = connect_all(ioc, ctx, port, 8);
  Load load;
  load.expect_status = 201;
  load.remaining = bodies.size();
  load.make = [&](Conn&, size_t i) { return http_request("POST", collection, bodies[i]); };
  for (auto& c : conns) load.next(*c);
  ioc.restart();
  ioc.run();
  if (load.errors) {
    std::fprintf(stderr, "set-up failed: %s\n", load.last_error.c_str());
    std::abort();
  }
}

void ensure_namespace(asio::io_context& ioc, ssl::context& ctx, uint16_t port,
                      std::string_view name) {
  static std::mutex mu;
  static std::vector<std::string> done;
  std::lock_guard lock(mu);
  if (std::find(done.begin(), done.end(), name) != done.end()) return;
  Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}};
  must_create(ioc, ctx, port, {ns.dump()}, "/api/v1/namespaces");
  done.emplace_back(name);
}

void BM_GetPod(benchmark::State& state) {
  Server& s = server();
  const int connections = static_cast<int>(state.range(0));
  constexpr size_t kPods = 256;
  constexpr size_t kRequestsPerIteration = 4000;
  asio::io_context ioc;
  ssl::context ctx = client_context(s.stack->server().pki());
  uint16_t port = s.stack->server().port();
  static bool seeded = false;
  if (!seeded) {
    ensure_namespace(ioc, ctx, port, "get");
    std::vector<std::string> bodies;
    for (size_t i = 0; i < kPods; ++i) bodies.push_back(pod_json("get", "p" + std::to_string(i)));
    must_create(ioc, ctx, port, std::move(bodies), "/api/v1/namespaces/get/pods");
    seeded = true;
  }
  auto conns = connect_all(ioc, ctx, port, connections);
  Load load;
  load.make = [](Conn&, size_t i) {
    return http_request("GET", "/api/v1/namespaces/get/pods/p" + std::to_string(i % kPods), "");
  };
  run_load(state, ioc, conns, load, kRequestsPerIteration);
}
BENCHMARK(BM_GetPod)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_CreatePod(benchmark::State& state) {
  Server& s = server();
  const int connections = static_cast<int>(state.range(0));
  constexpr size_t kRequestsPerIteration = 2000;
  asio::io_context ioc;
  ssl::context ctx = client_context(s.stack->server().pki());
  uint16_t port = s.stack->server().port();
  std::string ns = "create-" + std::to_string(connections);
  ensure_namespace(ioc, ctx, port, ns);
  auto conns = connect_all(ioc, ctx, port, connections);
  static std::atomic<size_t> seq{0};
  Load load;
  load.expect_status = 201;
  std::string collection = "/api/v1/namespaces/" + ns + "/pods";
  load.make = [&](Conn&, size_t) {
    return http_request("POST", collection, pod_json(ns, "c" + std::to_string(seq++)));
  };
  run_load(state, ioc, conns, load, kRequestsPerIteration);
}
BENCHMARK(BM_CreatePod)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_UpdateConfigMap(benchmark::State& state) {
  Server& s = server();
  const int connections = static_cast<int>(state.range(0));
  constexpr size_t kRequestsPerIteration = 2000;
  asio::io_context ioc;
  ssl::context ctx = client_context(s.stack->server().pki());
  uint16_t port = s.stack->server().port();
  std::string ns = "update-" + std::to_string(connections);
  ensure_namespace(ioc, ctx, port, ns);
  auto cm = [&](size_t i, size_t value) {
    Json c = {{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", "cm" + std::to_string(i)}, {"namespace", ns}}},
              {"data", {{"value", std::to_string(value)}}}};
    return c.dump();
  };
  static std::map<int, bool> seeded;
  if (!seeded[connections]) {
    std::vector<std::string> bodies;
    for (int i = 0; i < connections; ++i) bodies.push_back(cm(static_cast<size_t>(i), 0));
    must_create(ioc, ctx, port, std::move(bodies), "/api/v1/namespaces/" + ns + "/configmaps");
    seeded[connections] = true;
  }
  auto conns = connect_all(ioc, ctx, port, connections);
  // Each connection replaces its own ConfigMap (an unconditional PUT, as controllers' updates of
  // objects they own are), with a new value every time so that every request writes.
  Load load;
  load.make = [&](Conn& c, size_t seqno) {
    return http_request("PUT",
                        "/api/v1/namespaces/" + ns + "/configmaps/cm" + std::to_string(c.index),
                        cm(c.index, seqno));
  };
  run_load(state, ioc, conns, load, kRequestsPerIteration);
}
BENCHMARK(BM_UpdateConfigMap)->Arg(16)->Arg(64)->UseRealTime()->Unit(benchmark::kMillisecond);

// LIST of 5,000 pods: range(0) 0 = plain JSON (`-o json`, informers), 1 = Table (`kubectl get`),
// 2 = JSON from the watch cache (resourceVersion=0, as informers list).
void BM_ListPods(benchmark::State& state) {
  Server& s = server();
  constexpr size_t kPods = 5000;
  asio::io_context ioc;
  ssl::context ctx = client_context(s.stack->server().pki());
  uint16_t port = s.stack->server().port();
  static bool seeded = false;
  if (!seeded) {
    ensure_namespace(ioc, ctx, port, "list");
    std::vector<std::string> bodies;
    for (size_t i = 0; i < kPods; ++i) bodies.push_back(pod_json("list", "p" + std::to_string(i)));
    must_create(ioc, ctx, port, std::move(bodies), "/api/v1/namespaces/list/pods");
    seeded = true;
  }
  auto conns = connect_all(ioc, ctx, port, 1);
  Load load;
  std::string target = "/api/v1/namespaces/list/pods";
  std::string accept = "application/json";
  if (state.range(0) == 1) {
    accept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json";
  } else if (state.range(0) == 2) {
    target += "?resourceVersion=0";
  }
  size_t bytes = 0;
  load.make = [&](Conn& c, size_t) {
    if (c.res) bytes = c.res->body().size();
    return http_request("GET", target, "", "", accept);
  };
  size_t done = 0;
  for (auto _ : state) {
    load.remaining = 1;
    load.next(*conns[0]);
    ioc.restart();
    ioc.run();
    ++done;
  }
  bytes = conns[0]->res ? conns[0]->res->body().size() : 0;
  report(state, load, done);
  state.counters["body_kib"] = static_cast<double>(bytes) / 1024.0;
}
BENCHMARK(BM_ListPods)->Arg(0)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// ---- A separate `bosun server` process.

// User plus system CPU time of a process (from /proc/<pid>/stat), and of this one.
// Fields FIRST..LAST (1-based, as proc(5) numbers them) of /proc/PID/stat, summed.
double stat_fields(pid_t pid, int first, int last) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string f;
  double sum = 0;
  for (int i = 3; i <= last && fields >> f; ++i) {
    if (i >= first) sum += std::stod(f);
  }
  return sum;
}

double cpu_ms(pid_t pid) {
  return stat_fields(pid, 14, 15) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Minor page faults (field 10, minflt).
double minor_faults(pid_t pid) { return stat_fields(pid, 10, 10); }

double self_cpu_ms() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000.0 +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1000.0;
}

struct ChildServer {
  std::string dir = make_temp_dir();
  pid_t pid = -1;
  uint16_t port = 0;

  // `agent`: whether the server runs its local node agent too (`bosun server` does by default).
  // `command` "apiserver" runs the API server alone: no scheduler, controllers or agent.
  bool start(bool agent = true, const char* command = "server") {
    const bool alone = std::string_view(command) == "apiserver";
    std::string binary = bosun_binary();
    if (!std::filesystem::exists(binary)) return false;
    std::string kubeconfig = dir + "/kubeconfig";
    pid = fork();
    if (pid == 0) {
      freopen("/dev/null", "w", stdout);
      freopen("/dev/null", "w", stderr);
      execl(binary.c_str(), binary.c_str(), "--log-level", "warn", command, "--data-dir",
            dir.c_str(), "--listen", "127.0.0.1:0",
            agent || alone ? static_cast<char*>(nullptr) : "--disable-agent",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 1000 && port == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (std::filesystem::exists(kubeconfig)) port = port_from_kubeconfig(kubeconfig);
    }
    // The kubeconfig is written once serving started; give the bootstrap objects a moment.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return port != 0;
  }
  ~ChildServer() {
    if (pid > 0) {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
    }
    // A node agent leaves its state tmpfs (<data-dir>/run) mounted when it stops, for containers
    // that outlive it (scripts/agent-cleanup.sh removes the rest; these benchmarks start none).
    ::umount2((dir + "/run").c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

void BM_IdleServerRss(benchmark::State& state) {
  for (auto _ : state) {
    ChildServer child;
    if (!child.start()) return state.SkipWithError("build the bosun binary first");
    asio::io_context ioc;
    auto pki = bosun::apiserver::ensure_pki(bosun::apiserver::PkiOptions{child.dir, {}, nullptr});
    ssl::context ctx = client_context(*pki);
    // One request first, so that the figure includes what serving a request leaves allocated.
    auto conns = connect_all(ioc, ctx, child.port, 1);
    Load load;
    load.remaining = 1;
    load.make = [](Conn&, size_t) { return http_request("GET", "/api/v1/namespaces", ""); };
    load.next(*conns[0]);
    ioc.run();
    conns.clear();
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    state.counters["rss_kib"] = static_cast<double>(rss_kib(child.pid));
  }
}
BENCHMARK(BM_IdleServerRss)->Iterations(1)->Unit(benchmark::kMillisecond);

// Watchers of one namespace's pods, each reading its chunked stream; a writer creates pods one at a
// time and every watcher's receipt of each ADDED event is timed from the moment the create was
// sent. The watchers are a lean client on the same 2 cores as the server: plain non-blocking
// OpenSSL sockets on one epoll thread (real watchers run elsewhere; Asio's ssl::stream cost ~8 us
// of client CPU per event line, which the server's figures paid for in waiting). A watcher proves
// delivery line by line: each complete line (up to its '\n') that names pod ev-<e> counts, and
// its time is taken once the whole line was read. The bytes are scanned once (memchr for the line
// ends, memmem for the name); only a line split across reads is copied.
struct Watcher {
  int fd = -1;
  SSL* ssl = nullptr;
  std::string partial;   // the start of a line the last read ended in
  uint32_t seen = 0;     // bit e: the ADDED event of pod ev-<e> arrived
  bool drained = false;  // the last receive found the socket empty (see WatcherReadBio)
  // What the io loop's batched receive (io_uring) already read for this round, served to OpenSSL
  // before any recv() of its own.
  enum class Prefetch { kNone, kData, kDrained, kEof, kError } prefetch = Prefetch::kNone;
  std::string_view prefetched;  // kData: the bytes not yet taken
  bool prefetch_short = false;  // kData: the receive took everything the socket had
  ~Watcher() {
    if (ssl != nullptr) SSL_free(ssl);
    if (fd >= 0) ::close(fd);
  }
};

int64_t steady_ns(SteadyClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The read side of a watcher's TLS connection: recv() on the socket, noting when a receive came
// back short or empty, which shows the socket is drained at that moment. That lets epoll be
// edge-triggered without a final receive that ends in EAGAIN (level-triggered epoll polls every
// ready socket twice per event: ~1.4 us of client CPU per line at 10,000 watchers).
struct WatcherReadBio {
  static int read(BIO* b, char* data, int len) {
    BIO_clear_retry_flags(b);
    auto* w = static_cast<Watcher*>(BIO_get_data(b));
    switch (w->prefetch) {
      case Watcher::Prefetch::kNone:
        break;
      case Watcher::Prefetch::kData: {
        size_t n = std::min(w->prefetched.size(), static_cast<size_t>(len));
        std::memcpy(data, w->prefetched.data(), n);
        w->prefetched.remove_prefix(n);
        if (w->prefetched.empty()) {
          w->prefetch = w->prefetch_short ? Watcher::Prefetch::kDrained : Watcher::Prefetch::kNone;
          if (w->prefetch_short) w->drained = true;
        }
        return static_cast<int>(n);
      }
      case Watcher::Prefetch::kDrained:
        // The socket was empty when the batch read it; epoll reports what comes later.
        w->prefetch = Watcher::Prefetch::kNone;
        w->drained = true;
        BIO_set_retry_read(b);
        return -1;
      case Watcher::Prefetch::kEof:
        return 0;
      case Watcher::Prefetch::kError:
        return -1;
    }
    for (;;) {
      ssize_t r = ::recv(w->fd, data, static_cast<size_t>(len), 0);
      if (r > 0) {
        if (r < len) w->drained = true;
        return static_cast<int>(r);
      }
      if (r == 0) return 0;
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        w->drained = true;
        BIO_set_retry_read(b);
      }
      return -1;
    }
  }
  static long ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }
  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }
  static BIO_METHOD* method() {
    static BIO_METHOD* m = [] {
      BIO_METHOD* bm = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "watcher-read");
      BIO_meth_set_read(bm, read);
      BIO_meth_set_ctrl(bm, ctrl);
      BIO_meth_set_create(bm, create);
      return bm;
    }();
    return m;
  }
};

// Receives from many watchers' sockets with one io_uring submission (SocketRing), into one buffer
// per slot; each watcher's BIO then serves its bytes to OpenSSL.
class PrefetchRing {
 public:
  explicit PrefetchRing(unsigned slots)
      : ring_(bosun::apiserver::SocketRing::create(slots, nullptr)),
        buffers_(slots * kSlotBytes),
        recvs_(slots),
        results_(slots) {}
  bool ready() const { return ring_ != nullptr; }

  void read(std::span<const epoll_event> events, std::vector<std::unique_ptr<Watcher>>& ws) {
    const size_t n = std::min(events.size(), recvs_.size());
    for (size_t k = 0; k < n; ++k) {
      recvs_[k] = {ws[events[k].data.u32]->fd,
                   std::span(buffers_).subspan(k * kSlotBytes, kSlotBytes)};
    }
    ring_->recv_all(std::span(recvs_).first(n), std::span(results_).first(n));
    for (size_t k = 0; k < n; ++k) {
      Watcher& w = *ws[events[k].data.u32];
      int res = results_[k];
      if (res > 0) {
        w.prefetch = Watcher::Prefetch::kData;
        w.prefetched = std::string_view(recvs_[k].into.data(), static_cast<size_t>(res));
        w.prefetch_short = static_cast<size_t>(res) < kSlotBytes;
      } else if (res == 0) {
        w.prefetch = Watcher::Prefetch::kEof;
      } else if (res == -EAGAIN) {
        // Nothing there, or not read by the ring: OpenSSL's own recv() finds out which.
        w.prefetch = Watcher::Prefetch::kNone;
      } else {
        w.prefetch = Watcher::Prefetch::kError;
      }
    }
  }

 private:
  static constexpr size_t kSlotBytes = 16384;

  std::unique_ptr<bosun::apiserver::SocketRing> ring_;
  std::vector<char> buffers_;
  std::vector<bosun::apiserver::SocketRing::Recv> recvs_;
  std::vector<int> results_;
};

// Connects, shakes hands and sends the watch request, blocking; then makes the socket
// non-blocking.
bool open_watcher(Watcher& w, SSL_CTX* ctx, uint16_t port, const std::string& request) {
  w.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (w.fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(w.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return false;
  int one = 1;
  ::setsockopt(w.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  w.ssl = SSL_new(ctx);
  if (w.ssl == nullptr || SSL_set_fd(w.ssl, w.fd) != 1 || SSL_connect(w.ssl) != 1) return false;
  if (SSL_write(w.ssl, request.data(), static_cast<int>(request.size())) !=
      static_cast<int>(request.size())) {
    return false;
  }
  BIO* rbio = BIO_new(WatcherReadBio::method());
  if (rbio == nullptr) return false;
  BIO_set_data(rbio, &w);
  SSL_set0_rbio(w.ssl, rbio);
  return ::fcntl(w.fd, F_SETFL, ::fcntl(w.fd, F_GETFL) | O_NONBLOCK) == 0;
}

void BM_Watchers(benchmark::State& state) {
  const int watchers = static_cast<int>(state.range(0));
  constexpr int kEvents = 20;
  rlimit nofile;
  getrlimit(RLIMIT_NOFILE, &nofile);
  nofile.rlim_cur = nofile.rlim_max;
  setrlimit(RLIMIT_NOFILE, &nofile);
  if (nofile.rlim_cur < static_cast<rlim_t>(watchers + 64)) {
    return state.SkipWithError("RLIMIT_NOFILE is too low for that many watchers");
  }
  for (auto _ : state) {
    ChildServer child;
    // Without the local agent: it would start every pod (and its status writes would be more
    // events), which is not what this measures. Argument 1 selects what else runs: 0 is `bosun
    // server` (the scheduler marks each pod unschedulable, a second fan-out right behind the
    // timed one), 1 is `bosun apiserver` alone (only the writer's events).
    const bool alone = state.range(1) == 1;
    if (!child.start(false, alone ? "apiserver" : "server")) {
      return state.SkipWithError("build the bosun binary first");
    }
    auto pki = bosun::apiserver::ensure_pki(bosun::apiserver::PkiOptions{child.dir, {}, nullptr});
    ssl::context ctx = client_context(*pki);
    asio::io_context ioc;
    Json ns = {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "watch"}}}};
    must_create(ioc, ctx, child.port, {ns.dump()}, "/api/v1/namespaces");

    std::vector<std::unique_ptr<Watcher>> ws;
    // When the create of pod ev-<e> was sent (steady-clock ns), written before the POST goes out.
    std::array<std::atomic<int64_t>, kEvents> sent_at{};
    std::vector<double> delays_ms;  // io thread until it is joined
    delays_ms.reserve(static_cast<size_t>(watchers) * kEvents);
    // The first event apart from the rest (io thread until it is joined): it is every
    // connection's first write after the watchers connected and sat idle for 2 s, and costs the
    // server 2-3x the CPU of each later event (bench/results.md, session 8).
    std::vector<double> first_delays_ms;
    std::vector<double> later_delays_ms;
    std::atomic<size_t> received{0};
    size_t lines = 0;  // every event line of an ev- pod, ADDED or MODIFIED; io thread
    static constexpr std::string_view kName = "\"name\":\"ev-";
    auto on_line = [&](Watcher& w, std::string_view line, SteadyClock::time_point now) {
      const void* at = ::memmem(line.data(), line.size(), kName.data(), kName.size());
      if (at == nullptr) return;
      const char* digits = static_cast<const char*>(at) + kName.size();
      const char* end = line.data() + line.size();
      int index = 0;
      const char* d = digits;
      for (; d < end && *d >= '0' && *d <= '9'; ++d) index = index * 10 + (*d - '0');
      if (d == digits || d == end || *d != '"') return;
      ++lines;
      // Only the first sighting is the ADDED event; the scheduler's status update (no nodes:
      // PodScheduled=False) follows as a MODIFIED one.
      if (index >= kEvents || (w.seen & (1u << index)) != 0) return;
      int64_t sent = sent_at[static_cast<size_t>(index)].load(std::memory_order_acquire);
      if (sent == 0) return;
      w.seen |= 1u << index;
      delays_ms.push_back(static_cast<double>(steady_ns(now) - sent) / 1e6);
      (index == 0 ? first_delays_ms : later_delays_ms).push_back(delays_ms.back());
      received.fetch_add(1, std::memory_order_relaxed);
    };
    auto on_bytes = [&](Watcher& w, const char* data, size_t n, SteadyClock::time_point now) {
      const char* p = data;
      const char* end = data + n;
      while (p < end) {
        const char* nl =
            static_cast<const char*>(std::memchr(p, '\n', static_cast<size_t>(end - p)));
        if (nl == nullptr) {
          w.partial.append(p, static_cast<size_t>(end - p));
          // What is not an event line (the response head, chunk sizes) never grows large.
          if (w.partial.size() > (1u << 20)) w.partial.clear();
          return;
        }
        if (w.partial.empty()) {
          on_line(w, std::string_view(p, static_cast<size_t>(nl - p)), now);
        } else {
          w.partial.append(p, static_cast<size_t>(nl - p));
          on_line(w, w.partial, now);
          w.partial.clear();
        }
        p = nl + 1;
      }
    };
    // Connect and start every watch.
    const std::string request =
        http_request("GET", "/api/v1/namespaces/watch/pods?watch=true&resourceVersion=0", "");
    // One recv per TLS record batch instead of a header read and a body read per record.
    SSL_CTX_set_read_ahead(ctx.native_handle(), 1);
    int epoll = ::epoll_create1(EPOLL_CLOEXEC);
    for (int i = 0; i < watchers; ++i) {
      auto w = std::make_unique<Watcher>();
      if (!open_watcher(*w, ctx.native_handle(), child.port, request)) {
        ::close(epoll);
        return state.SkipWithError("a watcher could not connect");
      }
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLET;
      ev.data.u32 = static_cast<uint32_t>(i);
      ::epoll_ctl(epoll, EPOLL_CTL_ADD, w->fd, &ev);
      ws.push_back(std::move(w));
    }
    std::atomic<bool> stop{false};
    // The client reads the sockets epoll reports ready with one io_uring submission per
    // epoll_wait, not one recv() each: on a real cluster these 10,000 clients run elsewhere, and
    // here their CPU shares the server's two cores. BENCH_WATCH_RECV=syscall keeps recv().
    PrefetchRing prefetch(256);
    const char* recv_mode = std::getenv("BENCH_WATCH_RECV");
    const bool batched_recv =
        prefetch.ready() && !(recv_mode != nullptr && std::string_view(recv_mode) == "syscall");
    state.counters["client_io_uring"] = batched_recv ? 1 : 0;
    std::thread io([&] {
      std::array<epoll_event, 256> events;
      std::array<char, 16384> buf;
      while (!stop.load()) {
        int n = ::epoll_wait(epoll, events.data(), static_cast<int>(events.size()), 100);
        if (batched_recv && n > 0) {
          prefetch.read(std::span(events.data(), static_cast<size_t>(n)), ws);
        }
        for (int k = 0; k < n; ++k) {
          Watcher& w = *ws[events[static_cast<size_t>(k)].data.u32];
          // Edge-triggered: read until the socket is known to be empty and OpenSSL holds no
          // further record.
          w.drained = false;
          for (;;) {
            int r = SSL_read(w.ssl, buf.data(), static_cast<int>(buf.size()));
            if (r > 0) {
              on_bytes(w, buf.data(), static_cast<size_t>(r), SteadyClock::now());
              if (w.drained && SSL_has_pending(w.ssl) == 0) break;
              continue;
            }
            if (SSL_get_error(w.ssl, r) != SSL_ERROR_WANT_READ) {
              ::epoll_ctl(epoll, EPOLL_CTL_DEL, w.fd, nullptr);
            }
            ERR_clear_error();
            break;
          }
          w.prefetch = Watcher::Prefetch::kNone;
        }
      }
    });
    std::this_thread::sleep_for(std::chrono::seconds(2));

    double server_cpu_start = cpu_ms(child.pid);
    double server_faults_start = minor_faults(child.pid);
    double server_cpu_after_first = 0;
    double server_faults_after_first = 0;
    double client_cpu_start = self_cpu_ms();
    // The writer: its own connection and io_context.
    asio::io_context wioc;
    auto writer = connect_all(wioc, ctx, child.port, 1);
    for (int e = 0; e < kEvents; ++e) {
      std::string name = "ev-" + std::to_string(e);
      sent_at[static_cast<size_t>(e)].store(steady_ns(SteadyClock::now()),
                                            std::memory_order_release);
      Load one;
      one.expect_status = 201;
      one.remaining = 1;
      one.make = [&](Conn&, size_t) {
        return http_request("POST", "/api/v1/namespaces/watch/pods", pod_json("watch", name));
      };
      one.next(*writer[0]);
      wioc.restart();
      wioc.run();
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      if (e == 0) {
        server_cpu_after_first = cpu_ms(child.pid);
        server_faults_after_first = minor_faults(child.pid);
      }
    }
    // Wait for the stragglers, then stop.
    for (int i = 0; i < 100; ++i) {
      if (received.load() >= static_cast<size_t>(watchers) * kEvents) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    double server_cpu_ms = cpu_ms(child.pid) - server_cpu_start;
    // The first event apart: its CPU and page faults against the mean of the later ones.
    state.counters["server_cpu_ms_first_event"] = server_cpu_after_first - server_cpu_start;
    state.counters["server_cpu_ms_later_event"] =
        (cpu_ms(child.pid) - server_cpu_after_first) / (kEvents - 1);
    state.counters["server_faults_first_event"] = server_faults_after_first - server_faults_start;
    state.counters["server_faults_later_event"] =
        (minor_faults(child.pid) - server_faults_after_first) / (kEvents - 1);
    double client_cpu_ms = self_cpu_ms() - client_cpu_start;
    stop.store(true);
    io.join();
    ::close(epoll);
    state.counters["delivered"] = static_cast<double>(received.load());
    state.counters["expected"] = static_cast<double>(watchers) * kEvents;
    state.counters["p50_ms"] = percentile(delays_ms, 0.50);
    state.counters["p99_ms"] = percentile(delays_ms, 0.99);
    state.counters["first_event_p99_ms"] = percentile(first_delays_ms, 0.99);
    state.counters["later_events_p99_ms"] = percentile(later_delays_ms, 0.99);
    state.counters["server_rss_kib"] = static_cast<double>(rss_kib(child.pid));
    // Where the time goes: CPU per event on each side (both share the machine's cores).
    state.counters["server_cpu_ms_per_event"] = server_cpu_ms / kEvents;
    state.counters["client_cpu_ms_per_event"] = client_cpu_ms / kEvents;
    // The same per event line delivered to one watcher (each pod write fans out as ADDED and,
    // from the scheduler, MODIFIED).
    state.counters["lines"] = static_cast<double>(lines);
    if (lines > 0) {
      state.counters["server_us_per_line"] = server_cpu_ms * 1000 / static_cast<double>(lines);
      state.counters["client_us_per_line"] = client_cpu_ms * 1000 / static_cast<double>(lines);
    }
    ws.clear();
  }
}
BENCHMARK(BM_Watchers)
    ->ArgNames({"watchers", "apiserver_alone"})
    ->Args({1000, 0})
    ->Args({10000, 0})
    ->Args({10000, 1})
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
