// Container start-up through the runtime module versus bare runc, for busybox `true`:
//  - BM_BosunCreateToRunning: write the bundle, create (monitor + runc create), start: the user's
//    process is running.
//  - BM_BosunCreateToExitRead: the same, then the exit status read from the monitor's record.
//  - BM_BosunRunDetachedToExitRead: create with start (`runc run --detach`), then the exit read.
//  - BM_RuncRunBaseline: `runc run` of the same bundle (foreground, until it exits): the baseline.
// Needs root, runc and busybox-static; reports an error otherwise. Removing each container is
// outside the timed region.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "runtime/bundle_spec.h"
#include "runtime/cgroup.h"
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
    for (const char* a : {"sh", "true"}) fs::create_symlink("busybox", rootfs + "/bin/" + a, ec);
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
    std::string id = "baseline-" + std::to_string(n++);
    std::vector<std::string> args = {kRunc, "--root", root, "run", "--bundle", bundle, id};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = ::posix_spawn(&pid, kRunc, &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
      state.SkipWithError("spawn runc failed");
      break;
    }
    int st = 0;
    ::waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
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

}  // namespace

BENCHMARK_MAIN();
