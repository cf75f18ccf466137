// Container start-up through the runtime module versus bare runc, for busybox `true`:
//  - BM_BosunCreateToRunning: write the bundle, create (monitor + runc create), start: the user's
//    process is running.
//  - BM_BosunCreateToExitRead: the same, then the exit status read from the monitor's record.
//  - BM_BosunRunDetachedToExitRead: create with start (`runc run --detach`), then the exit read.
//  - BM_RuncRunBaseline: `runc run` of the same bundle (foreground, until it exits): the baseline.
//  - BM_RuncRuntimePodStart: a pod through the agent's RuncRuntime: sandbox (namespaces, /etc
//    files), container (overlay rootfs of the busybox image, bundle, monitor + runc create), start,
//    and its status read back as Running.
//  - BM_RuncRunImageBaseline: `runc run` of /bin/true on an overlay of the same image's layers.
//  - BM_RuncRuntime50PodsAtOnce: 50 such pods started by 8 threads (pod workers) at once, until
//    every one is Running.
//  - BM_RuncRun50AtOnceBaseline: its floor, bare `runc run --detach` of 50 prepared bundles
//    (busybox `sleep`) by 2 or 8 threads at once, until every runc has returned with its container
//    running.
//  Both bursts also report the machine's CPU time per container (every process and the kernel,
//  from /proc/stat), this process's own share of it, and the share of CPU time left idle.
// Needs root, runc and busybox-static; reports an error otherwise. Removing each container is
// outside the timed region.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/runc_runtime.h"
#include "runtime/bundle_spec.h"
#include "runtime/cgroup.h"
#include "runtime/image_testlib.h"
#include "runtime/layer_mount.h"
#include "runtime/runc.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using bosun::runtime::ContainerSpec;
using bosun::runtime::Runc;
using bosun::runtime::RuncOptions;

constexpr const char* kRunc = "/usr/sbin/runc";
constexpr const char* kPodUid = "runc-bench";

struct Fixture {
  std::string dir;
  std::string rootfs;
  std::string error;

  Fixture() {
    if (::geteuid() != 0 || ::access(kRunc, X_OK) != 0 || ::access("/bin/busybox", X_OK) != 0) {
      error = "needs root, /usr/sbin/runc and /bin/busybox";
      return;
    }
    char tmpl[] = "/tmp/bosun-runc-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) {
      error = "mkdtemp failed";
      return;
    }
    dir = tmpl;
    rootfs = dir + "/rootfs";
    std::error_code ec;
    fs::create_directories(rootfs + "/bin", ec);
    for (const char* d : {"etc", "tmp", "proc", "sys", "dev"})
      fs::create_directories(rootfs + "/" + d, ec);
    fs::copy_file("/bin/busybox", rootfs + "/bin/busybox", ec);
    for (const char* a : {"sh", "true", "sleep"})
      fs::create_symlink("busybox", rootfs + "/bin/" + a, ec);
  }
  ~Fixture() {
    if (dir.empty()) return;
    (void)bosun::runtime::remove_cgroup_tree(bosun::runtime::pod_cgroup_parent(kPodUid));
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  ContainerSpec spec(const std::string& id) const {
    ContainerSpec s;
    s.args = {"/bin/true"};
    s.env = {"PATH=/bin"};
    s.rootfs = rootfs;
    s.hostname = "bench";
    s.cgroups_path = bosun::runtime::container_cgroup_path(kPodUid, id);
    return s;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void bosun_start(benchmark::State& state, bool wait_exit, bool run_at_once = false) {
  Fixture& f = fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  Runc runc(RuncOptions{kRunc, f.dir + "/state"});
  int n = 0;
  for (auto _ : state) {
    std::string id = std::string(wait_exit ? "exit-" : "run-") + std::to_string(n++);
    std::string bundle = f.dir + "/bundles/" + id;
    if (!bosun::runtime::write_bundle(bundle, f.spec(id)).ok()) {
      state.SkipWithError("write_bundle failed");
      break;
    }
    bosun::runtime::CreateOptions options{id, bundle, f.dir + "/logs/" + id + ".log"};
    options.start = run_at_once;
    auto pid = runc.create(options);
    if (!pid.ok()) {
      state.SkipWithError(pid.error().message.c_str());
      break;
    }
    if (!run_at_once && !runc.start(id).ok()) {
      state.SkipWithError("start failed");
      break;
    }
    if (wait_exit) {
      auto exit = Runc::wait(bundle, std::chrono::seconds(30));
      if (!exit.ok() || exit->exit_code != 0) {
        state.SkipWithError("exit not read");
        break;
      }
    }
    state.PauseTiming();
    if (!wait_exit) (void)Runc::wait(bundle, std::chrono::seconds(30));
    (void)runc.remove(id, true);
    std::error_code ec;
    fs::remove_all(bundle, ec);
    state.ResumeTiming();
  }
}

void BM_BosunCreateToRunning(benchmark::State& state) { bosun_start(state, false); }
void BM_BosunCreateToExitRead(benchmark::State& state) { bosun_start(state, true); }
void BM_BosunRunDetachedToExitRead(benchmark::State& state) { bosun_start(state, true, true); }

// `runc run` with stdio on /dev/null: in the foreground until the container exits, or with
// `detach` until it runs; false when runc failed.
bool runc_run(const std::string& root, const std::string& bundle, const std::string& id,
              bool detach = false) {
  std::vector<std::string> args = {kRunc, "--root", root, "run", "--bundle", bundle, id};
  if (detach) args.insert(args.begin() + 4, "--detach");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  if (detach) posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid;
  int rc = ::posix_spawn(&pid, kRunc, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return false;
  int st = 0;
  ::waitpid(pid, &st, 0);
  return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

void BM_RuncRunBaseline(benchmark::State& state) {
  Fixture& f = fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  std::string root = f.dir + "/state-baseline";
  std::string bundle = f.dir + "/bundles/baseline";
  if (!bosun::runtime::write_bundle(bundle, f.spec("baseline")).ok()) {
    state.SkipWithError("write_bundle failed");
    return;
  }
  int n = 0;
  for (auto _ : state) {
    if (!runc_run(root, bundle, "baseline-" + std::to_string(n++))) {
      state.SkipWithError("runc run failed");
      break;
    }
  }
}

// The agent's runtime over a data directory of its own, holding the busybox test image; and that
// image's layers mounted once as an overlay for the baseline.
struct PodFixture {
  std::unique_ptr<bosun::agent::RuncRuntime> rt;
  std::string image_container_dir;
  std::string error;

  PodFixture() {
    Fixture& f = fixture();
    if (!f.error.empty()) {
      error = f.error;
      return;
    }
    bosun::agent::RuncRuntimeOptions options;
    options.data_dir = f.dir + "/agent";
    auto opened = bosun::agent::RuncRuntime::open(options);
    if (!opened.ok()) {
      error = opened.error().message;
      return;
    }
    rt = std::move(*opened);
    auto image = bosun::runtime::testing::add_busybox_image(rt->image_store(), "busybox:latest");
    if (!image.ok()) {
      error = image.error().message;
      return;
    }
    auto layers = rt->image_store().lowerdirs(*image);
    image_container_dir = f.dir + "/image-baseline";
    if (!layers.ok() ||
        !bosun::runtime::mount_container_rootfs(*layers, image_container_dir).ok()) {
      error = "cannot mount the image's layers";
    }
  }
  ~PodFixture() {
    rt.reset();
    if (!image_container_dir.empty()) {
      (void)bosun::runtime::unmount_container_rootfs(image_container_dir);
    }
  }
};

PodFixture& pod_fixture() {
  static PodFixture f;
  return f;
}

// Machine-wide CPU time from /proc/stat (all CPUs, in clock ticks): busy and idle (idle + iowait).
struct CpuTicks {
  long long busy = 0;
  long long idle = 0;

  static CpuTicks now() {
    CpuTicks t;
    std::ifstream in("/proc/stat");
    std::string cpu;
    long long v[8] = {};
    in >> cpu;
    for (long long& x : v) in >> x;
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];  // user nice system irq softirq steal
    t.idle = v[3] + v[4];                              // idle iowait
    return t;
  }
};

// CPU time of this process (the in-process runtime and the benchmark's threads), in ms.
double self_cpu_ms() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto ms = [](const timeval& t) { return t.tv_sec * 1000.0 + t.tv_usec / 1000.0; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

// What the machine did while a burst ran (from each start() to its stop()): CPU milliseconds per
// container (every process, the benchmark's own threads included), this process's share of it,
// and the share of CPU time left idle.
class BurstCpu {
 public:
  void start() {
    from_ = CpuTicks::now();
    self_from_ = self_cpu_ms();
  }
  void stop() {
    CpuTicks to = CpuTicks::now();
    busy_ += to.busy - from_.busy;
    idle_ += to.idle - from_.idle;
    self_ms_ += self_cpu_ms() - self_from_;
  }
  void report(benchmark::State& state, int containers) const {
    if (busy_ + idle_ <= 0 || containers <= 0) return;
    state.counters["cpu_ms_per_pod"] = 1000.0 * static_cast<double>(busy_) /
                                       static_cast<double>(::sysconf(_SC_CLK_TCK)) / containers;
    state.counters["idle_pct"] =
        100.0 * static_cast<double>(idle_) / static_cast<double>(busy_ + idle_);
    state.counters["self_cpu_ms_per_pod"] = self_ms_ / containers;
  }

 private:
  CpuTicks from_;
  double self_from_ = 0;
  long long busy_ = 0;
  long long idle_ = 0;
  double self_ms_ = 0;
};

// Where one pod's start-up time goes, summed over the pods started.
struct Phases {
  double sandbox_ms = 0;
  double create_ms = 0;
  double start_ms = 0;
  double status_ms = 0;
};

double ms_since(std::chrono::steady_clock::time_point& t) {
  auto now = std::chrono::steady_clock::now();
  double ms = std::chrono::duration<double, std::milli>(now - t).count();
  t = now;
  return ms;
}

// One pod: sandbox, container (sleep), start, status Running. Returns "" or what failed.
std::string start_pod(bosun::agent::RuncRuntime& rt, const std::string& uid,
                      Phases* phases = nullptr) {
  Phases ignored;
  Phases& p = phases ? *phases : ignored;
  auto t = std::chrono::steady_clock::now();
  bosun::runtime::SandboxConfig pod;
  pod.pod_uid = uid;
  pod.pod_name = uid;
  pod.pod_namespace = "default";
  auto sandbox = rt.run_pod_sandbox(pod);
  if (!sandbox.ok()) return sandbox.error().message;
  p.sandbox_ms += ms_since(t);
  bosun::agent::ContainerConfig c;
  c.pod_uid = uid;
  c.pod_name = uid;
  c.pod_namespace = "default";
  c.name = "main";
  c.image = "busybox";
  c.command = {"sleep", "1000"};
  c.log_path = fixture().dir + "/logs/" + uid + "/main/0.log";
  auto id = rt.create_container(c);
  if (!id.ok()) return id.error().message;
  p.create_ms += ms_since(t);
  if (auto started = rt.start_container(*id); !started.ok()) return started.error().message;
  p.start_ms += ms_since(t);
  auto status = rt.container_status(*id);
  if (!status.ok() || status->state != bosun::agent::ContainerState::kRunning) {
    return "the container is not running";
  }
  p.status_ms += ms_since(t);
  return "";
}

void BM_RuncRuntimePodStart(benchmark::State& state) {
  PodFixture& f = pod_fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  int n = 0;
  Phases phases;
  for (auto _ : state) {
    std::string uid = "bench-pod-" + std::to_string(n++);
    std::string error = start_pod(*f.rt, uid, &phases);
    state.PauseTiming();
    (void)f.rt->remove_pod_sandbox(uid);
    state.ResumeTiming();
    if (!error.empty()) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  if (n > 0) {
    state.counters["sandbox_ms"] = phases.sandbox_ms / n;
    state.counters["create_ms"] = phases.create_ms / n;
    state.counters["start_ms"] = phases.start_ms / n;
    state.counters["status_ms"] = phases.status_ms / n;
  }
}

void BM_RuncRuntime50PodsAtOnce(benchmark::State& state) {
  constexpr int kPods = 50;
  const int workers_count = static_cast<int>(state.range(0));
  PodFixture& f = pod_fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  int round = 0;
  BurstCpu cpu;
  for (auto _ : state) {
    cpu.start();
    std::atomic<int> next{0};
    std::mutex mu;
    std::string failure;
    std::vector<std::thread> workers;
    std::string prefix = "bench-many-" + std::to_string(round++) + "-";
    for (int w = 0; w < workers_count; ++w) {
      workers.emplace_back([&] {
        for (int i = next++; i < kPods; i = next++) {
          std::string error = start_pod(*f.rt, prefix + std::to_string(i));
          if (!error.empty()) {
            std::lock_guard<std::mutex> lock(mu);
            failure = error;
          }
        }
      });
    }
    for (std::thread& t : workers) t.join();
    cpu.stop();
    state.PauseTiming();
    for (int i = 0; i < kPods; ++i) (void)f.rt->remove_pod_sandbox(prefix + std::to_string(i));
    state.ResumeTiming();
    if (!failure.empty()) {
      state.SkipWithError(failure.c_str());
      break;
    }
  }
  cpu.report(state, kPods * round);
}

void BM_RuncRun50AtOnceBaseline(benchmark::State& state) {
  constexpr int kContainers = 50;
  const int workers_count = static_cast<int>(state.range(0));
  Fixture& f = fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  Runc runc(RuncOptions{kRunc, f.dir + "/state-many"});
  int round = 0;
  BurstCpu cpu;
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<std::string> ids;
    for (int i = 0; i < kContainers; ++i) {
      std::string id = "many-" + std::to_string(round) + "-" + std::to_string(i);
      ContainerSpec spec = f.spec(id);
      spec.args = {"/bin/sleep", "600"};
      if (!bosun::runtime::write_bundle(f.dir + "/bundles/" + id, spec).ok()) {
        state.SkipWithError("write_bundle failed");
        return;
      }
      ids.push_back(std::move(id));
    }
    ++round;
    state.ResumeTiming();
    cpu.start();
    std::atomic<int> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int w = 0; w < workers_count; ++w) {
      workers.emplace_back([&] {
        for (int i = next++; i < kContainers; i = next++) {
          const std::string& id = ids[static_cast<size_t>(i)];
          if (!runc_run(f.dir + "/state-many", f.dir + "/bundles/" + id, id, /*detach=*/true)) {
            failed = true;
          }
        }
      });
    }
    for (std::thread& t : workers) t.join();
    cpu.stop();
    state.PauseTiming();
    for (const std::string& id : ids) {
      (void)runc.remove(id, true);
      std::error_code ec;
      fs::remove_all(f.dir + "/bundles/" + id, ec);
    }
    state.ResumeTiming();
    if (failed) {
      state.SkipWithError("runc run --detach failed");
      break;
    }
  }
  cpu.report(state, kContainers * round);
}

void BM_RuncRunImageBaseline(benchmark::State& state) {
  PodFixture& f = pod_fixture();
  if (!f.error.empty()) {
    state.SkipWithError(f.error.c_str());
    return;
  }
  std::string root = fixture().dir + "/state-image-baseline";
  std::string bundle = fixture().dir + "/bundles/image-baseline";
  ContainerSpec spec = fixture().spec("image-baseline");
  spec.rootfs = f.image_container_dir + "/rootfs";
  if (!bosun::runtime::write_bundle(bundle, spec).ok()) {
    state.SkipWithError("write_bundle failed");
    return;
  }
  int n = 0;
  for (auto _ : state) {
    if (!runc_run(root, bundle, "image-baseline-" + std::to_string(n++))) {
      state.SkipWithError("runc run failed");
      break;
    }
  }
}

BENCHMARK(BM_BosunCreateToRunning)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(30);
BENCHMARK(BM_BosunCreateToExitRead)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(30);
BENCHMARK(BM_BosunRunDetachedToExitRead)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(30);
BENCHMARK(BM_RuncRunBaseline)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(30);
BENCHMARK(BM_RuncRuntimePodStart)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(30);
BENCHMARK(BM_RuncRunImageBaseline)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(30);
BENCHMARK(BM_RuncRuntime50PodsAtOnce)
    ->ArgName("workers")
    ->Arg(8)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);
BENCHMARK(BM_RuncRun50AtOnceBaseline)
    ->ArgName("workers")
    ->Arg(2)
    ->Arg(8)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

}  // namespace

BENCHMARK_MAIN();
