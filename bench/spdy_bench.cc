// kubectl exec and port-forward over SPDY before 1.30: what the API server pays per chunk it
// bridges. SPDY framing alone (parsing kubectl's DATA frames, encoding ours, a stream's compressed
// headers), and the exec bridge per stdout chunk (the agent's WebSocket frame in, a SPDY DATA frame
// out) and per stdin chunk (kubectl's DATA frame in, a masked WebSocket frame out), at the sizes a
// session sees (a keystroke, a line, the 32 KiB reads of a busy command). websocket_bench has the
// WebSocket-only path it adds to.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "apiserver/spdy_exec_bridge.h"
#include "http/spdy.h"
#include "http/websocket.h"

namespace {

using namespace bosun::apiserver;

void BM_SpdyParseDataFrames(benchmark::State& state) {
  SpdyWriter w;
  const std::string frame = w.data(3, std::string(static_cast<size_t>(state.range(0)), 'x'));
  SpdyParser parser;
  std::vector<SpdyFrame> out;
  for (auto _ : state) {
    out.clear();
    auto r = parser.feed(frame, &out);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SpdyParseDataFrames)->Arg(1)->Arg(80)->Arg(32 * 1024);

void BM_SpdyEncodeDataFrame(benchmark::State& state) {
  SpdyWriter w;
  const std::string data(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) {
    std::string f = w.data(5, data);
    benchmark::DoNotOptimize(f);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SpdyEncodeDataFrame)->Arg(1)->Arg(80)->Arg(32 * 1024);

// A stream's SYN_STREAM written and read back through the connection's two zlib contexts (what each
// kubectl exec stream and each port-forward connection costs in headers).
void BM_SpdySynStreamRoundTrip(benchmark::State& state) {
  SpdyWriter w;
  SpdyParser parser;
  std::vector<SpdyFrame> out;
  uint32_t id = 1;
  const SpdyHeaders headers = {{"streamtype", "data"}, {"port", "8080"}, {"requestid", "17"}};
  for (auto _ : state) {
    out.clear();
    auto r = parser.feed(w.syn_stream(id, headers), &out);
    benchmark::DoNotOptimize(r);
    id = id >= 0x7ffffff0 ? 1 : id + 2;
  }
}
BENCHMARK(BM_SpdySynStreamRoundTrip);

std::unique_ptr<SpdyExecBridge> open_bridge() {
  SpdyExecOptions o;
  o.protocol = "v4.channel.k8s.io";
  o.stdin = o.stdout = o.stderr = true;
  auto bridge = std::make_unique<SpdyExecBridge>(o);
  UpstreamHead head;
  head.status = 101;
  head.headers.add("Sec-WebSocket-Protocol", "v5.channel.k8s.io");
  bridge->switching_protocols(head);
  SpdyWriter client;
  BridgeOutput out;
  uint32_t id = 1;
  for (const char* type : {"error", "stdin", "stdout", "stderr"}) {
    bridge->from_client(client.syn_stream(id, {{"streamtype", type}}), &out);
    id += 2;
  }
  return bridge;
}

void BM_SpdyExecBridgeStdout(benchmark::State& state) {
  auto bridge = open_bridge();
  const std::string frame =
      encode_channel_frame(kStdoutChannel, std::string(static_cast<size_t>(state.range(0)), 'o'));
  for (auto _ : state) {
    BridgeOutput out;
    bridge->from_upstream(frame, &out);
    benchmark::DoNotOptimize(out.to_client);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SpdyExecBridgeStdout)->Arg(1)->Arg(80)->Arg(32 * 1024);

void BM_SpdyExecBridgeStdin(benchmark::State& state) {
  auto bridge = open_bridge();
  SpdyWriter client;
  const std::string frame = client.data(3, std::string(static_cast<size_t>(state.range(0)), 'i'));
  for (auto _ : state) {
    BridgeOutput out;
    bridge->from_client(frame, &out);
    benchmark::DoNotOptimize(out.to_upstream);
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SpdyExecBridgeStdin)->Arg(1)->Arg(80)->Arg(32 * 1024);

}  // namespace

BENCHMARK_MAIN();
