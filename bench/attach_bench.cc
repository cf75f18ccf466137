// The container monitor's attach relay (runtime/container_attach.h): what each read of container
// output costs the monitor with nobody attached (every container, all the time), output relayed
// to one attached client (`kubectl attach`, MB/s), and a line typed into the container's stdin
// through the socket and the hub into its pipe.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "runtime/container_attach.h"

namespace {

using bosun::runtime::AttachConnection;
using bosun::runtime::AttachHub;
using bosun::runtime::AttachOptions;

struct Fixture {
  std::string dir;
  int stdin_pipe[2] = {-1, -1};
  std::unique_ptr<AttachHub> hub;

  explicit Fixture(AttachOptions options) {
    char tmpl[] = "/tmp/bosun-attach-bench-XXXXXX";
    dir = ::mkdtemp(tmpl);
    (void)::pipe2(stdin_pipe, O_CLOEXEC | O_NONBLOCK);
    auto listen = bosun::runtime::listen_attach_socket(dir);
    hub = std::make_unique<AttachHub>(*listen, stdin_pipe[1], true, options);
  }
  ~Fixture() {
    hub.reset();
    ::close(stdin_pipe[0]);
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  void pump(int timeout_ms) {
    std::vector<pollfd> fds;
    hub->poll_fds(&fds);
    if (::poll(fds.data(), fds.size(), timeout_ms) > 0) {
      for (const pollfd& p : fds) hub->on_event(p.fd, p.revents);
    }
  }
  std::unique_ptr<AttachConnection> connect(bool stdin) {
    auto c = AttachConnection::connect(dir, stdin);
    while (hub->client_count() == 0) pump(10);
    for (int i = 0; i < 3; ++i) pump(1);
    return std::move(c).value();
  }
};

void BM_BroadcastNobodyAttached(benchmark::State& state) {
  Fixture f({});
  std::string chunk(4096, 'x');
  for (auto _ : state) {
    f.hub->broadcast(bosun::runtime::kAttachStdout, chunk.data(), chunk.size());
  }
}
BENCHMARK(BM_BroadcastNobodyAttached);

void BM_RelayToOneClient(benchmark::State& state) {
  Fixture f({});
  auto client = f.connect(false);
  std::string chunk(static_cast<size_t>(state.range(0)), 'x');
  AttachConnection::Output out;
  for (auto _ : state) {
    f.hub->broadcast(bosun::runtime::kAttachStdout, chunk.data(), chunk.size());
    size_t got = 0;
    while (got < chunk.size()) {
      auto r = client->read(&out);
      if (r == AttachConnection::ReadResult::kData) {
        got += out.data.size();
      } else {
        f.pump(0);
      }
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_RelayToOneClient)->Arg(80)->Arg(4096)->Arg(32768);

void BM_StdinLineToContainer(benchmark::State& state) {
  Fixture f({.stdin = true});
  auto client = f.connect(true);
  std::string line(80, 'y');
  line.back() = '\n';
  char buf[4096];
  for (auto _ : state) {
    client->write_stdin(line);
    client->flush();
    size_t got = 0;
    while (got < line.size()) {
      f.pump(1);
      ssize_t n = ::read(f.stdin_pipe[0], buf, sizeof buf);
      if (n > 0) got += static_cast<size_t>(n);
    }
  }
}
BENCHMARK(BM_StdinLineToContainer);

}  // namespace

BENCHMARK_MAIN();
